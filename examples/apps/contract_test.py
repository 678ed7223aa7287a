#!/usr/bin/env python3
"""examples.apps.contract: the example applications keep the NATS contract (docs/nats.md).

A real nats-server (a port of 33300-33399) and one app at a time (the C one, the JavaScript
one); this script plays the gateway with a few lines of the NATS text protocol: it publishes
events as NATS requests, as `ss7gw run` does, and checks each answer against
schemas/answer.json and against what the app is meant to say; then it serves the app's own
SendRoutingInfoForSM requests (each checked against schemas/request.json) with a result, an
error and a refusal; last it stops the app with SIGTERM and reads its count summary.
Every event and reply it sends is checked against schemas/event.json and reply.json first.

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


def ussd_begin_event(dialog):
    ev = envelope(dialog, 1, "begin",
                  answer={"invokeId": 1, "operation": "processUnstructuredSS-Request", "timeoutMs": 10000})
    ev.update({"version": 2, "ac": "networkUnstructuredSsContext-v2", "called": ADDR_USSD, "calling": ADDR_MSC,
               "components": [{"invoke": {"invokeId": 1, "operation": "processUnstructuredSS-Request", "opcode": 59,
                                          "argument": {"ussd-DataCodingScheme": "0f", "ussd-String": {"text": "*100#"},
                                                       "msisdn": {"digits": "491711111111"}}}}]})
    return ev


def ussd_choice_event(dialog, context, choice):
    ev = envelope(dialog, 2, "continue", dtid=dialog, called=ADDR_USSD, calling=ADDR_MSC,
                  answer={"invokeId": 1, "operation": "processUnstructuredSS-Request", "timeoutMs": 10000})
    if context is not None:
        ev["context"] = context
    ev.update({"version": 2, "components": [{"result": {
        "invokeId": 1, "operation": "unstructuredSS-Request", "opcode": 60, "last": True,
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


def serve_as_app(nc, name):
    # (a) SMS home routing: SRI-for-SM answered with the IMSI and the MSC number
    a = ask(nc, 'event.map.sendRoutingInfoForSM', sri_event('20000001', '491719876543'), name + ' SRI-for-SM')
    if a is not None:
        res = a.get('result') or {}
        check(res.get('imsi') == '262011719876543' and
              res.get('locationInfoWithLMSI', {}).get('networkNode-Number', {}).get('digits') == '491700000008'
              and a.get('dialog', 'end') == 'end',
              '%s SRI-for-SM: want imsi 262011719876543 and networkNode-Number 491700000008: %s' % (name, a))

    # (b) USSD: a continue with the menu, then the final result on the subscriber's choice
    a = ask(nc, 'event.map.processUnstructuredSS-Request', ussd_begin_event('20000002'), name + ' USSD begin')
    context = None
    if a is not None:
        inv = (a.get('components') or [{}])[0].get('invoke', {})
        text = inv.get('argument', {}).get('ussd-String', {}).get('text', '')
        check(inv.get('operation') == 'unstructuredSS-Request' and '1' in text and
              not any(k in a for k in ('result', 'error', 'reject')) and a.get('dialog', 'continue') == 'continue',
              '%s USSD begin: want a continue with an unstructuredSS-Request menu: %s' % (name, a))
        context = a.get('context')
        check(context is not None, '%s USSD begin: the menu step is kept in the context' % name)
    a = ask(nc, 'event.map.unstructuredSS-Request.result', ussd_choice_event('20000002', context, '1'),
            name + ' USSD choice')
    if a is not None:
        text = ((a.get('result') or {}).get('ussd-String') or {}).get('text', '')
        check('Balance' in text and a.get('dialog', 'end') == 'end',
              '%s USSD choice 1: want the balance as the result, ending the dialogue: %s' % (name, a))

    # an event published plainly (nothing to answer) is left alone
    ev = sri_event('20000003', '491719876543')
    del ev['answer']
    nc.pub('ss7.event.map.sendRoutingInfoForSM', json.dumps(ev))
    nc.ping()


def reply_event(dialog, outcome, comp):
    ev = envelope(dialog, 1, "end", dtid=dialog, called=ADDR_SMSC, calling=ADDR_HLR, outcome=outcome)
    ev.update({"version": 3, "ac": "shortMsgGatewayContext-v3", "components": [comp]})
    return ev


REPLIES = [
    reply_event('20000011', 'result', {"result": {"invokeId": 1, "operation": "sendRoutingInfoForSM", "opcode": 45,
                                                  "last": True, "result": {"imsi": "262011719876543",
                                                  "locationInfoWithLMSI": {"networkNode-Number": {"digits": "4917000"}}}}}),
    reply_event('20000012', 'error', {"error": {"invokeId": 1, "error": "absentSubscriberSM", "errorCode": 6}}),
    {"outcome": "refused", "error": "no application context known"},
]


def requests_from_app(nc, cmd, port, name):
    """(c) the app's own requests: the driver answers as the gateway would."""
    nc.sub('ss7.request.map.sendRoutingInfoForSM', 'gateways')
    nc.ping()
    proc = start_app(cmd, port, ['--requests', str(len(REPLIES))])
    for i, rep in enumerate(REPLIES):
        msg = nc.next(15)
        if not check(msg is not None and msg[1], '%s request %d: none came (or without a reply subject)' % (name, i + 1)):
            break
        try:
            req = json.loads(msg[2])
            errs = SCHEMAS.errors('request', req)
        except ValueError:
            errs = ['not JSON: %r' % msg[2]]
        check(not errs, '%s request %d breaks schemas/request.json: %s' % (name, i + 1, errs[:1]))
        check(not SCHEMAS.errors('reply', rep), 'the driver\'s reply %d is off-contract' % (i + 1))
        nc.pub(msg[1], json.dumps(rep))
    try:
        out, _ = proc.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, _ = proc.communicate()
    lines = out.splitlines()
    check(proc.returncode == 0, '%s --requests exited %s:\n%s' % (name, proc.returncode, out))
    for i, word in enumerate(('result', 'error', 'refused')):
        check(any(l.startswith('request %d: %s' % (i + 1, word)) for l in lines),
              '%s: want "request %d: %s ..." in:\n%s' % (name, i + 1, word, out))
    check(any('262011719876543' in l for l in lines), '%s: the result line shows the IMSI:\n%s' % (name, out))


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
    summary = [l for l in out.splitlines() if l.startswith('ss7app:')]
    check(summary and 'sri-for-sm 1' in summary[-1] and 'ussd menus 1' in summary[-1] and
          'ussd ends 1' in summary[-1] and 'ignored 1' in summary[-1],
          '%s: want a summary line with sri-for-sm 1, ussd menus 1, ussd ends 1, ignored 1 on SIGTERM, got:\n%s'
          % (name, out))
    requests_from_app(nc, cmd, port, name)


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
