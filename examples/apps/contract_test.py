#!/usr/bin/env python3
"""examples.apps.contract: the example applications keep the NATS contract (docs/nats.md).

A real nats-server (a port of 33300-33399) and one app at a time (the C one, the JavaScript
one); this script plays the gateway with a few lines of the NATS text protocol: it publishes
events as NATS requests, as `ss7gw run` does (SRI-for-SM, MO-ForwardSM, a USSD session of
menu, submenu and end), and checks each answer against schemas/answer.json and against what
the app is meant to say; it stops the app with SIGTERM and reads its count summary. Then it
serves the app's own requests, each checked against schemas/request.json and for its
content: --requests (SRI-for-SM answered with a result, an error and a refusal) and --sms
(SRI-for-SM then MT-ForwardSM to the MSC the result names; a delivery, an HLR error, an MSC
error). Every event and reply it sends is checked against schemas/event.json and reply.json
first.

    contract_test.py --nats-server PATH --c PATH/ss7app [--node PATH --js PATH/ss7app.js]

Ends with 'N passed, N failed'.
"""
import argparse
import json
import os
import random
import socket
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, '..', '..', 'tests', 'tools'))
from schema_check import Schemas  # noqa: E402

PORTS = range(33300, 33400)
SCHEMAS = Schemas()
passed = failed = 0


def check(ok, what):
    global passed, failed
    if ok:
        passed += 1
    else:
        failed += 1
        print('FAIL ' + what)
    return ok


# --- a NATS client in a few lines: INFO, CONNECT, SUB, PUB, MSG, PING/PONG --------------

class Nats:
    def __init__(self, port):
        self.sock = socket.create_connection(('127.0.0.1', port), timeout=5)
        self.buf = b''
        self.sid = 0
        info = self._line()
        if not info.startswith(b'INFO '):
            raise OSError('not a NATS server: %r' % info)
        self._send(b'CONNECT {"verbose":false,"pedantic":false,"name":"contract_test","protocol":1}\r\n')
        self.ping()

    def _send(self, data):
        self.sock.sendall(data)

    def _fill(self, deadline):
        self.sock.settimeout(max(0.01, deadline - time.monotonic()))
        chunk = self.sock.recv(65536)
        if not chunk:
            raise OSError('the server closed the connection')
        self.buf += chunk

    def _line(self, deadline=None):
        deadline = deadline or time.monotonic() + 5
        while b'\r\n' not in self.buf:
            self._fill(deadline)
        line, self.buf = self.buf.split(b'\r\n', 1)
        return line

    def ping(self):
        """A round trip: everything sent before it has reached the server."""
        self._send(b'PING\r\n')
        while self.next(5, want_pong=True) != 'PONG':
            pass

    def sub(self, subject, queue=None):
        self.sid += 1
        self._send(('SUB %s %s%d\r\n' % (subject, queue + ' ' if queue else '', self.sid)).encode())
        return self.sid

    def pub(self, subject, payload, reply=None):
        data = payload.encode() if isinstance(payload, str) else payload
        self._send(('PUB %s %s%d\r\n' % (subject, reply + ' ' if reply else '', len(data))).encode() + data + b'\r\n')

    def next(self, timeout, want_pong=False):
        """The next MSG as (subject, reply, payload), 'PONG' if want_pong, None on timeout."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                line = self._line(deadline)
            except socket.timeout:
                return None
            if line == b'PING':
                self._send(b'PONG\r\n')
            elif line == b'PONG':
                if want_pong:
                    return 'PONG'
            elif line.startswith(b'MSG '):
                parts = line.decode().split()
                size = int(parts[-1])
                while len(self.buf) < size + 2:
                    self._fill(deadline + 5)
                payload, self.buf = self.buf[:size], self.buf[size + 2:]
                return parts[1], parts[3] if len(parts) == 5 else None, payload.decode()
            elif line.startswith(b'-ERR'):
                raise OSError(line.decode())

    def request(self, subject, payload, timeout=5):
        inbox = '_INBOX.contract.%d' % random.randrange(1 << 30)
        sid = self.sub(inbox)
        self.pub(subject, payload, inbox)
        msg = self.next(timeout)
        self._send(b'UNSUB %d\r\n' % sid)
        return msg


# --- the server and the apps ----------------------------------------------------------

def start_server(path, tmp):
    """nats-server with JetStream on a free port of the range (another build's test may hold one)."""
    for port in random.sample(PORTS, len(PORTS)):
        with socket.socket() as s:
            try:
                s.bind(('127.0.0.1', port))
            except OSError:
                continue
        store = os.path.join(tmp, 'js%d' % port)
        proc = subprocess.Popen([path, '-a', '127.0.0.1', '-p', str(port), '-js', '-sd', store],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for _ in range(50):
            time.sleep(0.1)
            if proc.poll() is not None:
                break
            try:
                Nats(port).sock.close()
                return proc, port
            except OSError:
                pass
        proc.kill()
        proc.wait()
    raise SystemExit('no nats-server could start on ports 33300-33399')


def start_app(cmd, port, extra=()):
    proc = subprocess.Popen(cmd + ['--server', 'nats://127.0.0.1:%d' % port] + list(extra),
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    if extra:
        return proc
    line = proc.stdout.readline()
    check('serving' in line, '%s: did not say it serves: %r' % (cmd[-1], line))
    return proc


# --- the gateway's side: events as ss7gw run writes them -------------------------------

ADDR_HLR = {"ri": "gt", "gt": "491700000006", "tt": 0, "np": 1, "nai": 4, "ssn": 6}
ADDR_SMSC = {"ri": "gt", "gt": "491700000100", "tt": 0, "np": 1, "nai": 4, "ssn": 8}
ADDR_USSD = {"ri": "gt", "gt": "491700000200", "tt": 0, "np": 1, "nai": 4, "ssn": 6}
ADDR_MSC = {"ri": "gt", "gt": "491700000008", "tt": 0, "np": 1, "nai": 4, "ssn": 8}
seq = 0


def envelope(dialog, n, event, **rest):
    global seq
    seq += 1
    ev = {"schema": 1, "instance": 2, "seq": seq, "id": "%s-%d" % (dialog, n), "ts": int(time.time() * 1e6),
          "opc": 1001, "dpc": 2002, "otid": "1%07d" % seq}
    ev.update(rest)
    ev.update({"event": event, "dialog": dialog, "proto": "map"})
    return ev


def sri_event(dialog, msisdn):
    ev = envelope(dialog, 1, "begin", answer={"invokeId": 1, "operation": "sendRoutingInfoForSM", "timeoutMs": 10000})
    ev.update({"version": 3, "ac": "shortMsgGatewayContext-v3", "called": ADDR_HLR, "calling": ADDR_SMSC,
               "components": [{"invoke": {"invokeId": 1, "operation": "sendRoutingInfoForSM", "opcode": 45, "argument": {
                   "msisdn": {"nature": "international", "plan": "isdn", "digits": msisdn}, "sm-RP-PRI": True,
                   "serviceCentreAddress": {"nature": "international", "plan": "isdn", "digits": "491700000100"}}}}]})
    return ev


def mo_event(dialog):
    ev = envelope(dialog, 1, "begin", answer={"invokeId": 1, "operation": "mo-ForwardSM", "timeoutMs": 10000})
    ev.update({"version": 3, "ac": "shortMsgMO-RelayContext-v3", "called": ADDR_SMSC, "calling": ADDR_MSC,
               "components": [{"invoke": {"invokeId": 1, "operation": "mo-ForwardSM", "opcode": 46, "argument": {
                   "sm-RP-DA": {"serviceCentreAddressDA": {"nature": "international", "plan": "isdn",
                                                           "digits": "491700000100"}},
                   "sm-RP-OA": {"msisdn": {"nature": "international", "plan": "isdn", "digits": "491701234567"}},
                   "sm-RP-UI": {"type": "SMS-SUBMIT", "rd": False, "srr": False, "rp": False, "udhi": False,
                                "mr": 42, "da": {"nature": "international", "plan": "isdn",
                                                 "digits": "491719876543"},
                                "pid": 0, "dcs": {"value": 0, "alphabet": "gsm7"}, "udl": 11,
                                "text": "Hello there"},
                   "imsi": "262019876543210"}}}]})
    return ev


def ussd_begin_event(dialog):
    ev = envelope(dialog, 1, "begin",
                  answer={"invokeId": 1, "operation": "processUnstructuredSS-Request", "timeoutMs": 10000})
    ev.update({"version": 2, "ac": "networkUnstructuredSsContext-v2", "called": ADDR_USSD, "calling": ADDR_MSC,
               "components": [{"invoke": {"invokeId": 1, "operation": "processUnstructuredSS-Request", "opcode": 59,
                                          "argument": {"ussd-DataCodingScheme": "0f", "ussd-String": {"text": "*100#"},
                                                       "msisdn": {"digits": "491711111111"}}}}]})
    return ev


def ussd_choice_event(dialog, n, context, choice):
    """The subscriber's answer to our n-1'th unstructuredSS-Request (message n of the dialogue)."""
    ev = envelope(dialog, n, "continue", dtid=dialog, called=ADDR_USSD, calling=ADDR_MSC,
                  answer={"invokeId": 1, "operation": "processUnstructuredSS-Request", "timeoutMs": 10000})
    if context is not None:
        ev["context"] = context
    ev.update({"version": 2, "components": [{"result": {
        "invokeId": n - 1, "operation": "unstructuredSS-Request", "opcode": 60, "last": True,
        "result": {"ussd-DataCodingScheme": "0f", "ussd-String": {"text": choice}}}}]})
    return ev


def ask(nc, subject, event, what):
    """Publish an event as the gateway's request; the app's answer, checked against answer.json."""
    errs = SCHEMAS.errors('event', event)
    if not check(not errs, '%s: the driver\'s own event is off-contract: %s' % (what, errs[:1])):
        return None
    msg = nc.request('ss7.' + subject, json.dumps(event))
    if not check(msg is not None, '%s: no answer in 5 s' % what):
        return None
    try:
        answer = json.loads(msg[2])
    except ValueError:
        check(False, '%s: the answer is not JSON: %r' % (what, msg[2]))
        return None
    errs = SCHEMAS.errors('answer', answer)
    check(not errs, '%s: the answer breaks schemas/answer.json: %s\n  %s' % (what, errs[:1], msg[2]))
    return answer


def ussd_menu(a, name, what):
    """A continue with an unstructuredSS-Request; its text and the context to give back."""
    inv = (a.get('components') or [{}])[0].get('invoke', {})
    text = inv.get('argument', {}).get('ussd-String', {}).get('text', '')
    check(inv.get('operation') == 'unstructuredSS-Request' and '1' in text and
          not any(k in a for k in ('result', 'error', 'reject')) and a.get('dialog', 'continue') == 'continue',
          '%s%s: want a continue with an unstructuredSS-Request menu: %s' % (name, what, a))
    check(a.get('context') is not None, '%s%s: the menu step is kept in the context' % (name, what))
    return text, a.get('context')


def ussd_session(nc, name, dialog, choices, final):
    """*100#, the menu, the choices (a submenu after each but the last), the final text."""
    a = ask(nc, 'event.map.processUnstructuredSS-Request', ussd_begin_event(dialog), name + ' USSD begin')
    if a is None:
        return
    text, context = ussd_menu(a, name, ' USSD menu')
    for i, choice in enumerate(choices):
        what = '%s USSD choice %s after %r' % (name, choice, text)
        a = ask(nc, 'event.map.unstructuredSS-Request.result', ussd_choice_event(dialog, i + 2, context, choice), what)
        if a is None:
            return
        if i + 1 < len(choices):
            text, context = ussd_menu(a, '', what + ' (a submenu)')
    text = ((a.get('result') or {}).get('ussd-String') or {}).get('text', '')
    check(text == final and a.get('dialog', 'end') == 'end',
          '%s USSD choices %s: want %r as the result, ending the dialogue: %s' % (name, choices, final, a))


def serve_as_app(nc, name):
    # (a) SMS home routing: SRI-for-SM answered with the IMSI and the MSC number
    a = ask(nc, 'event.map.sendRoutingInfoForSM', sri_event('20000001', '491719876543'), name + ' SRI-for-SM')
    if a is not None:
        res = a.get('result') or {}
        check(res.get('imsi') == '262011719876543' and
              res.get('locationInfoWithLMSI', {}).get('networkNode-Number', {}).get('digits') == '491700000008'
              and a.get('dialog', 'end') == 'end',
              '%s SRI-for-SM: want imsi 262011719876543 and networkNode-Number 491700000008: %s' % (name, a))

    # (b) the SMSC takes an MO short message: a result, empty or the v3 one with an SMS-SUBMIT-REPORT
    a = ask(nc, 'event.map.mo-ForwardSM', mo_event('20000004'), name + ' MO-ForwardSM')
    if a is not None:
        res = a.get('result', 'absent')
        check(res in (None, {}) or (isinstance(res, dict) and list(res) == ['sm-RP-UI'] and
                                    res['sm-RP-UI'].get('type') == 'SMS-SUBMIT-REPORT')
              and a.get('dialog', 'end') == 'end',
              '%s MO-ForwardSM: want a result (none or an SMS-SUBMIT-REPORT) ending the dialogue: %s' % (name, a))

    # (c) USSD: the menu, a submenu, the final result; and a choice no menu has
    ussd_session(nc, name, '20000002', ['1', '1'], 'Balance: 5.00 EUR')
    ussd_session(nc, name, '20000005', ['2', '2'], 'Topped up 10.00 EUR')
    ussd_session(nc, name, '20000006', ['9'], 'Unknown choice')

    # an event published plainly (nothing to answer) is left alone
    ev = sri_event('20000003', '491719876543')
    del ev['answer']
    nc.pub('ss7.event.map.sendRoutingInfoForSM', json.dumps(ev))
    nc.ping()


def reply_event(dialog, outcome, comp, ac="shortMsgGatewayContext-v3", peer=ADDR_HLR):
    ev = envelope(dialog, 1, "end", dtid=dialog, called=ADDR_SMSC, calling=peer, outcome=outcome)
    ev.update({"version": 3, "ac": ac, "components": [comp]})
    return ev


def sri_result(dialog, imsi, msc):
    return reply_event(dialog, 'result', {"result": {
        "invokeId": 1, "operation": "sendRoutingInfoForSM", "opcode": 45, "last": True,
        "result": {"imsi": imsi, "locationInfoWithLMSI": {"networkNode-Number": {
            "nature": "international", "plan": "isdn", "digits": msc}}}}})


def sri_error(dialog, error, code):
    return reply_event(dialog, 'error', {"error": {"invokeId": 1, "error": error, "errorCode": code}})


def mt_reply(dialog, msc, comp):
    peer = dict(ADDR_MSC, gt=msc)
    return reply_event(dialog, 'result' if 'result' in comp else 'error', comp, "shortMsgMT-RelayContext-v3", peer)


MT_DELIVERED = {"result": {"invokeId": 1, "operation": "mt-ForwardSM", "opcode": 44, "last": True,
                           "result": {"sm-RP-UI": {"type": "SMS-DELIVER-REPORT", "udhi": False, "pi": 0}}}}
MT_FAILED = {"error": {"invokeId": 1, "error": "sm-DeliveryFailure", "errorCode": 32,
                       "parameter": {"sm-EnumeratedDeliveryFailureCause": "memoryCapacityExceeded"}}}

# --requests 3: the SRI-for-SM replies and the line each one must give
REQUESTS = [
    (sri_result('20000011', '262011719876543', '4917000'), 'result imsi 262011719876543'),
    (sri_error('20000012', 'absentSubscriberSM', 6), 'error absentSubscriberSM'),
    ({"outcome": "refused", "error": "no application context known"}, 'refused no application context known'),
]

# --sms 3: the requests that must come, in order, the gateway's reply to each, and what the
# MT-ForwardSM must say (the IMSI, the MSC of the SRI-for-SM result before it); the lines
SMS = [
    ('sendRoutingInfoForSM', sri_result('20000021', '262011234567890', '491700000008'), None),
    ('mt-ForwardSM', mt_reply('20000022', '491700000008', MT_DELIVERED), ('262011234567890', '491700000008', 1)),
    ('sendRoutingInfoForSM', sri_error('20000023', 'absentSubscriberSM', 6), None),
    ('sendRoutingInfoForSM', sri_result('20000024', '262011234567891', '491700000009'), None),
    ('mt-ForwardSM', mt_reply('20000025', '491700000009', MT_FAILED), ('262011234567891', '491700000009', 3)),
]
SMS_LINES = ['sms 1: delivered to imsi 262011234567890 via msc 491700000008',
             'sms 2: sendRoutingInfoForSM error absentSubscriberSM',
             'sms 3: mt-ForwardSM error sm-DeliveryFailure',
             'ss7app: sms 3: delivered 1, failed 2, no reply 0']


def digits(obj, key):
    return ((obj or {}).get(key) or {}).get('digits')


def check_content(name, operation, req, mt):
    """What an SMSC client's request must say (mt: the IMSI, MSC and message number it is for)."""
    arg = req.get('argument') or {}
    if operation == 'sendRoutingInfoForSM':
        check(req.get('called') == {"gt": "491700000006", "ssn": 6} and digits(arg, 'msisdn') == '491719876543'
              and arg.get('sm-RP-PRI') is True and digits(arg, 'serviceCentreAddress') == '491700000100',
              '%s: want an SRI-for-SM to GT 491700000006 SSN 6 for 491719876543 from SC 491700000100: %s'
              % (name, req))
        return
    imsi, msc, n = mt
    tpdu = arg.get('sm-RP-UI') or {}
    check(req.get('called') == {"gt": msc, "ssn": 8} and (arg.get('sm-RP-DA') or {}).get('imsi') == imsi and
          digits(arg.get('sm-RP-OA'), 'serviceCentreAddressOA') == '491700000100',
          '%s: want an MT-ForwardSM to the MSC %s SSN 8 for IMSI %s from SC 491700000100: %s' % (name, msc, imsi, req))
    check(tpdu.get('type') == 'SMS-DELIVER' and 'message %d of 3' % n in tpdu.get('text', '') and 'oa' in tpdu,
          '%s: want an SMS-DELIVER with an originator and "message %d of 3" in its text: %s' % (name, n, tpdu))


def requests_from_app(nc, cmd, port, name, mode, script):
    """The app's own requests (--requests, --sms): the driver answers as the gateway would.
    script: (operation, the reply, what an MT-ForwardSM is for). The app's output."""
    for operation in sorted({step[0] for step in script}):
        nc.sub('ss7.request.map.' + operation, 'gateways')
    nc.ping()
    proc = start_app(cmd, port, [mode, '3'])
    for i, (operation, rep, mt) in enumerate(script):
        what = '%s %s request %d' % (name, mode, i + 1)
        msg = nc.next(15)
        if not check(msg is not None and msg[1], '%s: none came (or without a reply subject)' % what):
            break
        check(msg[0] == 'ss7.request.map.' + operation, '%s: want %s, got %s' % (what, operation, msg[0]))
        try:
            req = json.loads(msg[2])
            errs = SCHEMAS.errors('request', req)
        except ValueError:
            req, errs = {}, ['not JSON: %r' % msg[2]]
        check(not errs, '%s breaks schemas/request.json: %s' % (what, errs[:1]))
        if mode == '--sms':
            check_content(what, operation, req, mt)
        check(not SCHEMAS.errors('reply', rep), 'the driver\'s reply %d is off-contract' % (i + 1))
        nc.pub(msg[1], json.dumps(rep))
    try:
        out, _ = proc.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, _ = proc.communicate()
    check(proc.returncode == 0, '%s %s exited %s:\n%s' % (name, mode, proc.returncode, out))
    check(nc.next(0.5) is None, '%s %s: a request more than the script' % (name, mode))
    return out.splitlines()


def client_modes(nc, cmd, port, name):
    lines = requests_from_app(nc, cmd, port, name, '--requests', [('sendRoutingInfoForSM', r, None)
                                                                  for r, _ in REQUESTS])
    for i, (_, want) in enumerate(REQUESTS):
        check('request %d: %s' % (i + 1, want) in lines, '%s: want "request %d: %s" in:\n%s'
              % (name, i + 1, want, '\n'.join(lines)))
    lines = requests_from_app(nc, cmd, port, name, '--sms', SMS)
    for want in SMS_LINES:
        check(want in [l.rstrip() for l in lines], '%s --sms: want "%s" in:\n%s' % (name, want, '\n'.join(lines)))


def run_app(nc, port, cmd, name):
    proc = start_app(cmd, port)
    nc.ping()
    time.sleep(0.2)     # the app's SUBs have reached the server once its 'serving' line is out; be generous
    serve_as_app(nc, name)
    time.sleep(0.5)     # the plain event reached the server, give the app time to read it
    proc.send_signal(15)
    try:
        out, _ = proc.communicate(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, _ = proc.communicate()
    check(proc.returncode == 0, '%s exited %s after SIGTERM:\n%s' % (name, proc.returncode, out))
    summary = [l for l in out.splitlines() if l.startswith('ss7app:')]
    want = 'sri-for-sm 1, mo-forward-sm 1, ussd menus 3, ussd submenus 2, ussd ends 3, ignored 1'
    check(summary and summary[-1] == 'ss7app: ' + want,
          '%s: want the summary line "ss7app: %s" on SIGTERM, got:\n%s' % (name, want, out))
    check('mo-sms from 491701234567 to 491719876543: Hello there' in out,
          '%s: want the MO short message shown, got:\n%s' % (name, out))
    client_modes(nc, cmd, port, name)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    ap.add_argument('--nats-server', default='nats-server')
    ap.add_argument('--c', help='the C app (build target ss7app)')
    ap.add_argument('--node', default='node')
    ap.add_argument('--js', help='examples/apps/js/ss7app.js (its node_modules installed)')
    args = ap.parse_args()
    apps = []
    if args.c:
        apps.append(([args.c], 'C app'))
    if args.js:
        apps.append(([args.node, args.js], 'JS app'))
    check(apps, 'no app given (--c, --js)')
    with tempfile.TemporaryDirectory(prefix='apps_contract.') as tmp:
        server, port = start_server(args.nats_server, tmp)
        try:
            for cmd, name in apps:
                run_app(Nats(port), port, cmd, name)
        finally:
            server.terminate()
            server.wait(timeout=10)
    print('%d passed, %d failed' % (passed, failed))
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
