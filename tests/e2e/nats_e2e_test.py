#!/usr/bin/env python3
"""e2e.nats: `ss7gw run` as a NATS service, end to end, the test playing the application.

    ss7sim (network: HLR, MSC, VLR)  <-M3UA->  osmo-stp  <-M3UA->  ss7gw run x2  <-NATS->  this test

Everything on loopback over the SCTP-over-TCP shim, ports 33400-33449 only: nats-server with
JetStream on a temporary store (33400), osmo-stp (33401), two gateway instances as the two
ASPs of one AS in loadshare (33402, 33403; tcap instance-id 1 and 2), the network (33404).
Configurations and the network's scenario are in tests/e2e/nats/. Checked, each by name:

  1 mo-sms       network MO-ForwardSM to the gateway's GT/SSN 8: a NATS request, our result in the End
  2 ussd-menu    network USSD: two continues with unstructuredSS-Request, then the result
  3 sri-sm       network SRI-for-SM answered by the application
  4 req-sms      application SRI-for-SM, then MT-ForwardSM with moreMessagesToSend, kept open,
                 a second MT-ForwardSM on the dialogue, ended by the network
  5 req-ussd     network-initiated USSD: unstructuredSS-Request then -Notify on the same dialogue
  6 defaults     no answer in time (answer-timeout operation), no responders (at once)
  7 bad-answer   not JSON, JSON of the wrong shape, a result that does not encode
  8 bad-request  malformed JSON, unknown operation, missing parameters, impossible destination,
                 unknown dialogue: refused with the reason
  9 ha           a second instance: both take requests and publish events (instance field)
 10 nats-outage  nats-server killed and restarted: SS7 goes on with defaults, events buffered
                 and published after the reconnection (counted by a JetStream stream)
 11 kv           a delayed answer: the dialogue's KV value read while it waits, deleted at its end
 12 drain        SIGTERM with a dialogue waiting: left in KV, exit 0, counter lines
 13 contract     every event against schemas/event.json, replies against reply.json; tshark on
                 all M3UA through osmo-stp: no malformed frame
Then the gateways' counters (printed at exit) are checked against what the test did.
Prints 'N passed, M failed'; every wait is bounded (alarm at 230 s).
"""
import argparse
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.join(HERE, '..', '..')
DATA = os.path.join(HERE, 'nats')
sys.path.insert(0, os.path.join(HERE, '..', 'net'))
sys.path.insert(0, os.path.join(HERE, '..', 'tools'))
import m3ua_stp_test as net  # noqa: E402  (Proc, check, wait_until, tcp_listening)
import capture  # noqa: E402
from nats_proto import Nats, connect_retry  # noqa: E402
from schema_check import Schemas  # noqa: E402

NATS_PORT, STP_PORT, GW1_PORT, GW2_PORT, NET_PORT = 33400, 33401, 33402, 33403, 33404
PORTS = (NATS_PORT, STP_PORT, GW1_PORT, GW2_PORT, NET_PORT)
BUCKET = 'ss7gw-e2e'
GW_GT = '491700000001'
HLR = {"gt": "491700000006", "ssn": 6}
QUEUE = 'apps'
SCHEMAS = Schemas()
check = net.check


def isdn(digits):
    return {"nature": "international", "plan": "isdn", "digits": digits}


def ussd(text):
    return {"ussd-DataCodingScheme": "0f", "ussd-String": {"text": text}}


def comp(ev, kind, i=0):
    """The body of the i-th component of that kind in an event, {} if none."""
    found = [c[kind] for c in ev.get('components', []) if kind in c]
    return found[i] if len(found) > i else {}


def dig(obj, *path):
    for p in path:
        if not isinstance(obj, dict):
            return None
        obj = obj.get(p)
    return obj


# ---- what crossed NATS: every event and reply is checked against the contract -------------

class Contract:
    def __init__(self):
        self.lock = threading.Lock()
        self.events = self.replies = 0
        self.bad = []

    def event(self, subject, ev):
        errs = SCHEMAS.errors('event', ev)
        with self.lock:
            self.events += 1
            if errs:
                self.bad.append('%s: %s' % (subject, errs[0]))

    def reply(self, what, rep):
        errs = SCHEMAS.errors('reply', rep)
        with self.lock:
            self.replies += 1
            if errs:
                self.bad.append('reply to %s: %s' % (what, errs[0]))


CONTRACT = Contract()

# The watcher's subjects: everything the gateway publishes except checkIMEI, whose
# request must find no responders at all (test 6)
WATCH_OPS = ('mo-ForwardSM', 'processUnstructuredSS-Request', 'unstructuredSS-Request', 'sendRoutingInfoForSM',
             'anyTimeInterrogation', 'mt-ForwardSM', 'unstructuredSS-Notify')


class Watcher(threading.Thread):
    """A plain (non-queue) subscriber on the gateway's subjects: keeps every event, checks it
    against schemas/event.json, never answers; reconnects after a server restart."""

    def __init__(self):
        super().__init__(daemon=True)
        self.stop = threading.Event()
        self.connected = threading.Event()
        self.lock = threading.Lock()
        self.msgs = []          # (subject, has reply, event dict or None)
        self.nc = None
        self.reconnects = 0

    def _connect(self, deadline_s):
        nc = connect_retry(NATS_PORT, deadline_s, 'e2e-watcher')
        if not nc:
            return None
        for op in WATCH_OPS:
            nc.sub('ss7.event.map.%s' % op)
            nc.sub('ss7.event.map.%s.>' % op)
        nc.sub('ss7.dialog.>')
        nc.sub('ss7.network.>')
        nc.ping()
        return nc

    def run(self):
        self.nc = self._connect(10)
        if self.nc:
            self.connected.set()
        while not self.stop.is_set() and self.nc:
            try:
                m = self.nc.next(0.2)
            except OSError:
                self.connected.clear()
                self.nc.close()
                self.nc = None
                while not self.stop.is_set() and not self.nc:
                    self.nc = self._connect(0.5)
                if self.nc:
                    self.reconnects += 1
                    self.connected.set()
                continue
            if m is None:
                continue
            try:
                ev = json.loads(m.data)
            except ValueError:
                ev = None
            if m.subject.startswith('ss7.event.') or m.subject.startswith('ss7.dialog.'):
                if ev is None:
                    CONTRACT.bad.append('%s: not JSON: %r' % (m.subject, m.data[:80]))
                else:
                    CONTRACT.event(m.subject, ev)
            with self.lock:
                self.msgs.append((m.subject, m.reply is not None, ev))

    def snapshot(self):
        with self.lock:
            return list(self.msgs)


# ---- processes -----------------------------------------------------------------------------

class Sim:
    """One ss7sim run as the network: a flow (-f) or only the responders; its stdout read by
    a thread (the 'ready' line, the flow summary, the sim line)."""

    def __init__(self, t, flow=None, count=1, extra=(), limit=40):
        argv = [t.args.ss7sim, '-c', os.path.join(DATA, 'network.cfg'), '-s', os.path.join(DATA, 'scenario.json'),
                '-w', '15', '-t', str(limit)]
        if flow:
            argv += ['-f', flow, '-n', str(count)] + list(extra)
        self.name = flow or 'responders'
        self.p = subprocess.Popen(argv, cwd=t.tmp, env=t.env, stdout=subprocess.PIPE,
                                  stderr=open(os.path.join(t.tmp, 'ss7sim-%s.log' % self.name), 'a'), text=True)
        t.procs.append(self.p)
        self.ready = threading.Event()
        self.lines = []
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self):
        for line in self.p.stdout:
            self.lines.append(line)
            if '"ready"' in line:
                self.ready.set()

    def done(self):
        return self.p.poll() is not None

    def finish(self, timeout=30, term=False):
        """(rc, flow summary, sim line) once it exits (SIGTERM first when term)."""
        if term and self.p.poll() is None:
            self.p.send_signal(signal.SIGTERM)
        try:
            rc = self.p.wait(timeout)
        except subprocess.TimeoutExpired:
            self.p.kill()
            rc = self.p.wait(5)
        self.reader.join(5)
        summary = simline = None
        for line in self.lines:
            if line.startswith('{"flow"'):
                summary = json.loads(line)
            elif line.startswith('{"event":"sim"'):
                simline = json.loads(line)
        return rc, summary, simline


class Gateway:
    def __init__(self, t, n):
        self.n = n
        asp, port = ('asp-A1', GW1_PORT) if n == 1 else ('asp-A2', GW2_PORT)
        with open(os.path.join(DATA, 'gateway.cfg')) as f:
            text = f.read().replace('@ASP@', asp).replace('@PORT@', str(port)).replace('@ID@', str(n))
        self.cfg = os.path.join(t.tmp, 'gateway%d.cfg' % n)
        with open(self.cfg, 'w') as f:
            f.write(text)
        self.log = os.path.join(t.tmp, 'ss7gw%d.log' % n)
        self.p = subprocess.Popen([t.args.ss7gw, 'run', '-c', self.cfg, '--vty-port', '0'], cwd=t.tmp, env=t.env,
                                  stdout=subprocess.PIPE, stderr=open(self.log, 'w'), text=True)
        t.procs.append(self.p)
        self.rc = self.out = None

    def stderr(self):
        with open(self.log, errors='replace') as f:
            return f.read()

    def stop(self, timeout=20):
        """SIGTERM; (exit code, [counter lines as dicts])."""
        self.p.send_signal(signal.SIGTERM)
        try:
            self.out, _ = self.p.communicate(timeout=timeout)
            self.rc = self.p.returncode
        except subprocess.TimeoutExpired:
            self.p.kill()
            self.out, _ = self.p.communicate()
            self.rc = 'hung (killed after %d s)' % timeout
        with open(self.log.replace('.log', '.out'), 'w') as f:
            f.write(self.out)
        lines = []
        for line in self.out.splitlines():
            try:
                lines.append(json.loads(line))
            except ValueError:
                pass
        return self.rc, [c for c in lines if c.get('event') == 'counters']


class Test:
    def __init__(self, args, tmp):
        self.args, self.tmp = args, tmp
        self.procs = []
        self.env = dict(os.environ, LD_PRELOAD=os.path.abspath(args.shim),
                        ASAN_OPTIONS=os.environ.get('ASAN_OPTIONS', '') + ':verify_asan_link_order=0')
        self.nats_proc = None
        self.expect = {}        # gw1 counter -> (op, value) checked at the end

    def start_nats(self):
        log = open(os.path.join(self.tmp, 'nats-server.log'), 'a')
        self.nats_proc = subprocess.Popen([self.args.nats_server, '-a', '127.0.0.1', '-p', str(NATS_PORT), '-js',
                                           '-sd', os.path.join(self.tmp, 'js')], stdout=log, stderr=log)
        self.procs.append(self.nats_proc)
        return net.wait_until(lambda: net.tcp_listening(NATS_PORT), 10)

    def stop_all(self):
        for p in reversed(self.procs):
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
                try:
                    p.wait(5)
                except subprocess.TimeoutExpired:
                    p.kill()
                    p.wait(5)


# ---- the application: answer what the gateway asks ------------------------------------------

class App:
    """The application's connection: queue-group subscriptions, answers, requests."""

    def __init__(self):
        self.nc = Nats(NATS_PORT, 'e2e-app')
        self.subs = []

    def subscribe(self, *subjects):
        for s in subjects:
            self.subs.append(self.nc.sub(s, QUEUE))
        self.nc.ping()

    def unsubscribe_all(self):
        for sid in self.subs:
            self.nc.unsub(sid)
        self.subs = []
        self.nc.ping()

    def serve(self, handler, until, timeout):
        """Answer every event with handler(subject, event) -> answer (dict, str: sent as is, or
        None: no answer) until until() holds; (events seen, deadline missed)."""
        seen = []
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            m = self.nc.next(0.05)
            if m is None:
                if until():
                    return seen, False
                continue
            try:
                ev = json.loads(m.data)
            except ValueError:
                CONTRACT.bad.append('%s: not JSON' % m.subject)
                continue
            CONTRACT.event(m.subject, ev)
            seen.append((m.subject, m.reply, ev))
            ans = handler(m.subject, ev)
            if ans is not None and m.reply:
                self.nc.pub(m.reply, ans if isinstance(ans, str) else json.dumps(ans))
        return seen, True

    def request(self, subject, req, timeout=10, what=None):
        """A request on ss7.request...; the reply as a dict (checked against reply.json), or
        None on no reply / not JSON (reported by the caller)."""
        m = self.nc.request(subject, req if isinstance(req, str) else json.dumps(req), timeout)
        if m is None or m.status:
            return None
        try:
            rep = json.loads(m.data)
        except ValueError:
            return {'not-json': m.data}
        CONTRACT.reply(what or subject, rep)
        if 'event' in rep:
            CONTRACT.event('reply to ' + subject, {k: v for k, v in rep.items()})
        return rep


def run_flow(t, app, flow, handler, count=1, extra=(), timeout=40, check_ok=True, name=None):
    """Run one ss7sim flow while the app answers; (rc, summary, events seen by the app)."""
    sim = Sim(t, flow, count, extra)
    seen, missed = app.serve(handler, sim.done, timeout)
    rc, summ, _ = sim.finish(10)
    if check_ok:
        check('%s: ss7sim flow %s x%d succeeds' % (name or flow, flow, count),
              rc == 0 and summ and summ['ok'] == count and not missed,
              (rc, summ, 'app deadline missed' if missed else ''))
    return rc, summ, seen


# ---- 1, 2, 3: the network's dialogues answered by the application ----------------------------

SRI_RESULT = {"imsi": "262011719876543", "locationInfoWithLMSI": {"networkNode-Number": isdn("491700000008")}}


def t1_mo_sms(t, app):
    app.subscribe('ss7.event.map.mo-ForwardSM')
    got = []

    def h(subject, ev):
        got.append(ev)
        return {"result": {"sm-RP-UI": {"type": "SMS-SUBMIT-REPORT", "udhi": False, "pi": 0,
                                        "scts": "2026-12-04T10:00:00+01:00"}}}
    _, _, seen = run_flow(t, app, 'mo-sms', h, name='1 mo-sms')
    ev = got[0] if got else {}
    inv = comp(ev, 'invoke')
    check('1 mo-sms: event on ss7.event.map.mo-ForwardSM as a NATS request, answer asked for the invoke',
          len(seen) == 1 and seen[0][0] == 'ss7.event.map.mo-ForwardSM' and seen[0][1] and
          dig(ev, 'answer', 'operation') == 'mo-ForwardSM' and dig(ev, 'answer', 'invokeId') == inv.get('invokeId'),
          seen[:1])
    check('1 mo-sms: the event carries the decoded SMS-SUBMIT, the SMSC address and the envelope '
          '(instance 1, OPC 1.3.2 -> DPC 1.3.1, called GT/SSN 8)',
          dig(inv, 'argument', 'sm-RP-UI', 'text') == 'hello e2e.n' and
          dig(inv, 'argument', 'sm-RP-DA', 'serviceCentreAddressDA', 'digits') == GW_GT and
          ev.get('instance') == 1 and ev.get('opc') == 2074 and ev.get('dpc') == 2073 and
          dig(ev, 'called', 'ssn') == 8 and dig(ev, 'called', 'gt') == GW_GT and ev.get('event') == 'begin',
          {k: ev.get(k) for k in ('instance', 'opc', 'dpc', 'called', 'event')})
    app.unsubscribe_all()


def t2_ussd(t, app):
    app.subscribe('ss7.event.map.processUnstructuredSS-Request', 'ss7.event.map.unstructuredSS-Request.result')
    steps = []

    def h(subject, ev):
        ctx = ev.get('context')
        steps.append((subject, ctx, ev))
        if subject.endswith('processUnstructuredSS-Request'):
            return {"components": [{"invoke": {"operation": "unstructuredSS-Request",
                                               "argument": ussd("Menu 1: 1 a 2 b")}}], "context": {"step": 1}}
        choice = dig(comp(ev, 'result'), 'result', 'ussd-String', 'text')
        if ctx and ctx.get('step') == 1:
            return {"components": [{"invoke": {"operation": "unstructuredSS-Request", "argument": ussd("Menu 2: 1 c 2 d")}}],
                    "dialog": "continue", "context": {"step": 2, "choices": [choice]}}
        return {"result": ussd("Done: %s %s" % ((ctx or {}).get('choices', ['?'])[0], choice)), "dialog": "end"}
    run_flow(t, app, 'ussd-menu', h, name='2 ussd-menu')
    subjects = [s for s, _, _ in steps]
    check('2 ussd-menu: three requests in one dialogue: the begin, then two unstructuredSS-Request results',
          subjects == ['ss7.event.map.processUnstructuredSS-Request'] + ['ss7.event.map.unstructuredSS-Request.result'] * 2
          and len({e.get('dialog') for _, _, e in steps}) == 1, subjects)
    check('2 ussd-menu: the stored context comes back with each next event; the pending invoke stays '
          'processUnstructuredSS-Request',
          [c for _, c, _ in steps] == [None, {"step": 1}, {"step": 2, "choices": ["1"]}] and
          all(dig(e, 'answer', 'operation') == 'processUnstructuredSS-Request' for _, _, e in steps),
          [(c, e.get('answer')) for _, c, e in steps])
    check('2 ussd-menu: event ids count the dialogue\'s messages (<dialog>-1, -2, -3)',
          [e.get('id', '').split('-')[-1] for _, _, e in steps] == ['1', '2', '3'], [e.get('id') for _, _, e in steps])
    app.unsubscribe_all()


def sri_answer(subject, ev):
    return {"result": SRI_RESULT}


def t3_sri(t, app):
    app.subscribe('ss7.event.map.sendRoutingInfoForSM')
    _, _, seen = run_flow(t, app, 'sri-sm', sri_answer, name='3 sri-sm')
    ev = seen[0][2] if seen else {}
    check('3 sri-sm: SRI-for-SM begun by the network reached the application as a request with its MSISDN',
          len(seen) == 1 and seen[0][1] and
          dig(comp(ev, 'invoke'), 'argument', 'msisdn', 'digits') == '491719876543' and
          ev.get('ac') == 'shortMsgGatewayContext-v3' and ev.get('version') == 3, seen[:1])
    # (the subscription stays for 11 and 9)


# ---- 6, 7: defaults --------------------------------------------------------------------------

def t6_defaults(t, app, watcher):
    n0 = len(watcher.snapshot())
    t0 = time.monotonic()
    rc, summ, _ = run_flow(t, app, 'ati-timeout', lambda s, e: None, name='6 timeout')
    ati = [m for m in watcher.snapshot()[n0:] if m[0] == 'ss7.event.map.anyTimeInterrogation']
    check('6 timeout: the ATI went out as a request with timeoutMs 400 (answer-timeout operation); nobody '
          'answered it; the network got ReturnError systemFailure', len(ati) == 1 and ati[0][1] and
          dig(ati[0][2], 'answer', 'timeoutMs') == 400 and summ and summ['ok'] == 1,
          (ati[:1], summ))
    check('6 timeout: the default came after the answer timeout (flow latency 400-3000 ms)',
          summ and 400 <= summ['latency_ms']['max'] < 3000, summ and summ['latency_ms'])
    rc, summ, _ = run_flow(t, app, 'imei-no-responders', lambda s, e: None, name='6 no-responders')
    check('6 no-responders: checkIMEI, which nobody subscribes to, got its default at once (< 1 s, '
          'answer-timeout is 8 s)', summ and summ['ok'] == 1 and summ['latency_ms']['max'] < 1000,
          summ and summ['latency_ms'])
    t.expect['answer:timeout'] = ('==', 1)
    t.expect['answer:no_responders'] = ('==', 1)


def t7_bad_answers(t, app):
    garbage = ['this is not JSON {',
               '["result", {"imsi": "262011719876543"}]',
               '{"result": {"imsi": 262011719876543, "locationInfoWithLMSI": "nowhere"}}',
               '{"result": {"imsi": "262011719876543"}, "error": "systemFailure"}']
    sent = []

    def h(subject, ev):
        sent.append(garbage[len(sent) % len(garbage)])
        return sent[-1]
    run_flow(t, app, 'sri-bad-answer', h, count=len(garbage), name='7 bad-answer')
    check('7 bad-answer: not JSON, a JSON list, a result that does not encode, result and error at once: '
          'each got the bad-answer default (ReturnError unexpectedDataValue) and the gateway lives on',
          len(sent) == len(garbage) and t.gw1.p.poll() is None, sent)
    t.expect['answer:bad'] = ('==', len(garbage))


# ---- 11: KV ---------------------------------------------------------------------------------

def t11_kv(t, app):
    kvc = Nats(NATS_PORT, 'e2e-kv')
    seen_kv = {}

    def h(subject, ev):
        time.sleep(0.3)     # far beyond write-delay (10 ms)
        try:
            val, hdrs = kvc.kv_get(BUCKET, 'd.' + ev['dialog'])
        except OSError as e:
            val, hdrs = None, {'error': str(e)}
        seen_kv.update(ev=ev, val=val, hdrs=hdrs)
        return {"result": SRI_RESULT, "context": {"kv": "test"}}
    run_flow(t, app, 'sri-sm', h, name='11 kv')
    ev, val = seen_kv.get('ev', {}), seen_kv.get('val')
    try:
        st = json.loads(val) if val else None
    except ValueError:
        st = None
    check('11 kv: while the application waits, $KV.%s.d.<dialog> holds the dialogue' % BUCKET, st is not None,
          seen_kv.get('hdrs'))
    st = st or {}
    errs = SCHEMAS.errors('kv-state', st) if st else ['none']
    check('11 kv: the stored value is valid against schemas/kv-state.json', not errs, errs[:2])
    now_ms = time.time() * 1000
    inv = comp(ev, 'invoke')
    check('11 kv: v1 fields: owner 1, ids, state initiation-received, role network, addresses, AC, class',
          st.get('v') == 1 and st.get('owner') == 1 and st.get('dialog') == ev.get('dialog') ==
          st.get('localTid') and st.get('remoteTid') == ev.get('otid') and st.get('state') == 'initiation-received'
          and st.get('role') == 'network' and st.get('ac') == 'shortMsgGatewayContext-v3' and
          st.get('proto') == 'map' and st.get('version') == 3 and st.get('dialoguePortion') is True and
          st.get('answered') is False and dig(st, 'local', 'gt') == GW_GT and
          dig(st, 'remote', 'gt') == dig(ev, 'calling', 'gt') and st.get('n') == 1, st)
    check('11 kv: the pending invoke (in, opcode 45) and the answer it waits for (token, invokeId, '
          'deadline in the future), written within the last seconds',
          any(i.get('dir') == 'in' and i.get('opcode') == 45 and i.get('invokeId') == inv.get('invokeId')
              for i in st.get('invokes', [])) and
          dig(st, 'answer', 'invokeId') == inv.get('invokeId') and isinstance(dig(st, 'answer', 'token'), int) and
          (dig(st, 'answer', 'deadline') or 0) > now_ms - 1000 and 'vars' in st and
          now_ms - 5000 < (st.get('written') or 0) <= now_ms + 1000, st)
    gone = net.wait_until(lambda: kvc.kv_get(BUCKET, 'd.' + ev.get('dialog', 'x'))[0] is None, 3)
    check('11 kv: the key is deleted once the dialogue ended', gone)
    kvc.close()
    t.expect['kv:writes'] = ('>=', 1)
    t.expect['kv:deletes'] = ('>=', 1)


# ---- 4, 5: the application's own requests -----------------------------------------------------

MT_ARG = {"sm-RP-DA": {"imsi": "262011234567890"},
          "sm-RP-OA": {"serviceCentreAddressOA": isdn("491700000100")},
          "sm-RP-UI": {"type": "SMS-DELIVER", "mms": True, "lp": False, "sri": False, "rp": False, "udhi": False,
                       "oa": isdn("491701234567"), "pid": 0, "dcs": {"value": 0, "alphabet": "gsm7"},
                       "scts": "2026-12-04T10:00:00+01:00", "udl": 11, "text": "part 1 of 2"}}


def t4_t5_requests(t, app):
    sim = Sim(t, None, limit=60)
    if not check('4/5: ss7sim as the HLR, MSC and VLR is up', sim.ready.wait(20), sim.lines):
        sim.finish(5, term=True)
        return
    # 4. SRI-for-SM, then the MT-ForwardSM in two parts on one dialogue
    sri = app.request('ss7.request.map.sendRoutingInfoForSM', {
        "called": HLR, "timeoutMs": 5000,
        "argument": {"msisdn": isdn("491719876543"), "sm-RP-PRI": True, "serviceCentreAddress": isdn("491700000100")}})
    res = dig(comp(sri or {}, 'result'), 'result') or {}
    msc = dig(res, 'locationInfoWithLMSI', 'networkNode-Number', 'digits')
    check('4 req-sms: SRI-for-SM request -> outcome result from ss7sim\'s HLR (IMSI, MSC number)',
          sri and sri.get('outcome') == 'result' and res.get('imsi') == '262011234567890' and msc == '491700000008', sri)
    arg1 = dict(MT_ARG, moreMessagesToSend=None)
    arg1['sm-RP-DA'] = {"imsi": res.get('imsi', '262011234567890')}
    mt1 = app.request('ss7.request.map.mt-ForwardSM', {"called": {"gt": msc or '491700000008', "ssn": 8},
                                                        "keepOpen": True, "timeoutMs": 5000, "argument": arg1})
    check('4 req-sms: MT-ForwardSM part 1 (moreMessagesToSend, keepOpen) -> outcome result in a continue',
          mt1 and mt1.get('outcome') == 'result' and mt1.get('event') == 'continue' and mt1.get('dialog'), mt1)
    arg2 = json.loads(json.dumps(MT_ARG))
    arg2['sm-RP-UI']['text'] = 'part 2 of 2'
    arg2['sm-RP-UI']['mms'] = False
    mt2 = app.request('ss7.request.map.mt-ForwardSM', {"dialog": (mt1 or {}).get('dialog', '00000000'),
                                                        "timeoutMs": 5000, "argument": arg2})
    check('4 req-sms: MT-ForwardSM part 2 on the same dialogue by its id -> outcome result, ended by the MSC',
          mt2 and mt2.get('outcome') == 'result' and mt2.get('event') == 'end' and
          mt2.get('dialog') == (mt1 or {}).get('dialog'), mt2)

    # 5. network-initiated USSD: a question, the subscriber's answer, a notification
    q = app.request('ss7.request.map.unstructuredSS-Request', {
        "called": {"gt": "491700000007", "ssn": 7}, "keepOpen": True, "timeoutMs": 5000,
        "argument": dict(ussd("Top up 10 EUR? 1 yes 2 no"), msisdn=isdn("491711111111"))})
    check('5 req-ussd: unstructuredSS-Request towards the VLR -> outcome result with the subscriber\'s "1", '
          'the dialogue kept open', q and q.get('outcome') == 'result' and q.get('event') == 'continue' and
          dig(comp(q, 'result'), 'result', 'ussd-String', 'text') == '1', q)
    n = app.request('ss7.request.map.unstructuredSS-Notify', {
        "dialog": (q or {}).get('dialog', '00000000'), "timeoutMs": 5000, "argument": ussd("Done: 10 EUR added")})
    check('5 req-ussd: unstructuredSS-Notify on the same dialogue -> outcome result, the VLR ends it',
          n and n.get('outcome') == 'result' and n.get('event') == 'end' and n.get('dialog') == (q or {}).get('dialog'), n)
    rc, _, simline = sim.finish(10, term=True)
    check('4/5: the network served 3 dialogues, none failed', simline and simline['served'] == 3 and
          simline['dialogs_failed'] == 0 and simline['unmatched'] == 0, simline)
    t.expect['request:done'] = ('>=', 5)


# ---- 8: bad requests ------------------------------------------------------------------------

def t8_bad_requests(t, app):
    sri_arg = {"msisdn": isdn("491719876543"), "sm-RP-PRI": True, "serviceCentreAddress": isdn("491700000100")}
    cases = [
        ('malformed JSON', 'ss7.request.map.sendRoutingInfoForSM', '{"called": {"gt": "491700000006", ',
         r'line 1 column \d+'),
        ('unknown operation', 'ss7.request.map.noSuchOperation', {"called": HLR, "argument": {}},
         r'noSuchOperation'),
        ('no called address', 'ss7.request.map.sendRoutingInfoForSM', {"argument": sri_arg}, r'called'),
        ('argument without the mandatory msisdn', 'ss7.request.map.sendRoutingInfoForSM',
         {"called": HLR, "argument": {"sm-RP-PRI": True, "serviceCentreAddress": isdn("491700000100")}}, r'msisdn'),
        ('impossible destination (called not an address)', 'ss7.request.map.sendRoutingInfoForSM',
         {"called": "nowhere", "argument": sri_arg}, r'called|address'),
        ('impossible destination (point code out of range)', 'ss7.request.map.sendRoutingInfoForSM',
         {"called": {"pc": 99999, "ssn": 6}, "argument": sri_arg}, r'pc'),
        ('unknown dialogue', 'ss7.request.map.mt-ForwardSM', {"dialog": "0deadbee", "argument": MT_ARG},
         r'0deadbee'),
        ('unknown AC version', 'ss7.request.map.sendRoutingInfoForSM', {"called": HLR, "version": 9, "argument": sri_arg},
         r'version'),
    ]
    for what, subject, req, pattern in cases:
        rep = app.request(subject, req, 5, what) or {}
        check('8 bad-request: %s -> outcome refused, error naming it (/%s/)' % (what, pattern),
              rep.get('outcome') == 'refused' and re.search(pattern, rep.get('error', ''), re.I), rep)
    # a GT no rule translates is found out by the gateway's own SCCP: per docs/nats.md the
    # request is settled by the TC-NOTICE (outcome notice with the SCCP return cause), not refused
    t0 = time.monotonic()
    rep = app.request('ss7.request.map.sendRoutingInfoForSM',
                      {"called": {"gt": "999999999", "ssn": 6}, "timeoutMs": 3000, "argument": sri_arg}, 8) or {}
    check('8 bad-request: impossible destination (a GT with no translation) -> outcome notice, cause '
          'no-translation-for-address, at once', rep.get('outcome') == 'notice' and
          rep.get('cause') == 'no-translation-for-address' and time.monotonic() - t0 < 2, rep)
    rep = app.request('ss7.request.tc', {"request": "continue", "dialog": "0deadbee", "components": []}, 5) or {}
    check('8 bad-request: raw tc-json continue of an unknown dialogue -> reply error',
          rep.get('reply') == 'error' and rep.get('error'), rep)
    t.expect['request:refused'] = ('==', len(cases) + 1)


# ---- 9: two instances --------------------------------------------------------------------------

def t9_ha(t, app, watcher):
    n0 = len(watcher.snapshot())
    t.gw2 = Gateway(t, 2)
    up = net.wait_until(lambda: any(m[0] == 'ss7.network.link' and (m[2] or {}).get('state') == 'up'
                                    for m in watcher.snapshot()[n0:]), 20)
    if not check('9 ha: gateway instance 2 (tcap instance-id 2) says its link is up', up, t.gw2.stderr()[-500:]):
        return
    time.sleep(1.0)     # its ASPAC reached osmo-stp: the AS has two active ASPs
    replies, rq_done = [], threading.Event()
    sim = Sim(t, 'sri-sm', 30, ['-r', '25', '-C', '4'], limit=40)

    def requests():
        nc = Nats(NATS_PORT, 'e2e-requests')
        sim.ready.wait(20)
        inbox = '_INBOX.ha'
        nc.sub(inbox + '.*')
        for i in range(20):
            nc.pub('ss7.request.map.sendRoutingInfoForSM', json.dumps({
                "called": HLR, "timeoutMs": 1500, "argument": {
                    "msisdn": isdn("49171987%04d" % i), "sm-RP-PRI": True, "serviceCentreAddress": isdn("491700000100")}}),
                   '%s.%d' % (inbox, i))
            time.sleep(0.05)
        end = time.monotonic() + 15
        while len(replies) < 20 and time.monotonic() < end:
            m = nc.next(0.5)
            if m:
                replies.append(json.loads(m.data))
        nc.close()
        rq_done.set()
    th = threading.Thread(target=requests, daemon=True)
    th.start()
    seen, missed = app.serve(sri_answer, lambda: sim.done() and rq_done.is_set(), 50)
    rc, summ, _ = sim.finish(10)
    th.join(5)
    for r in replies:
        CONTRACT.reply('ha request', r)
        CONTRACT.event('ha reply', r)
    check('9 ha: 30 network SRI-for-SM through two instances in loadshare, all answered',
          rc == 0 and summ and summ['ok'] == 30, (rc, summ))
    net_inst = {}
    for s, _, ev in seen:
        if ev.get('event') == 'begin':
            net_inst[ev.get('instance')] = net_inst.get(ev.get('instance'), 0) + 1
    check('9 ha: both instances published the network\'s events (envelope "instance": %s)' % net_inst,
          set(net_inst) == {1, 2} and min(net_inst.values()) >= 5, net_inst)
    by = {}
    for r in replies:
        key = (r.get('instance'), r.get('outcome'))
        by[key] = by.get(key, 0) + 1
    check('9 ha: 20 requests in queue group "ss7" all replied, taken by both instances %s' % sorted(by.items()),
          len(replies) == 20 and {i for i, _ in by} == {1, 2}, by)
    # osmo-stp 1.6 round-robins an AS's ASPs per message: half of the HLR's Ends reach the
    # instance that did not begin the dialogue, which drops them (tcap rx:foreign_tid); the
    # owner's invoke timer then settles the request as "timeout" (noted, not a failure here)
    lost = sum(n for (i, o), n in by.items() if o != 'result')
    check('9 ha: every request settled as result or (its End at the other instance) timeout',
          all(o in ('result', 'timeout') for _, o in by), by)
    print('note - 9 ha: %d of %d requests timed out: their End reached the other instance (osmo-stp '
          'round-robin loadshare; no forwarding of foreign transaction ids yet)' % (lost, len(replies)), flush=True)
    rc2, ctrs2 = t.gw2.stop()
    gw2 = ctrs2[-1].get('gw', {}) if ctrs2 else {}
    check('9 ha: instance 2 stops on SIGTERM: exit 0, both counter lines, it answered network dialogues and '
          'took requests', rc2 == 0 and len(ctrs2) == 2 and gw2.get('answer:done', 0) > 0 and
          gw2.get('request:done', 0) > 0, (rc2, gw2, t.gw2.stderr()[-400:]))
    t.gw2_ctrs, t.ha_lost = ctrs2, lost


# ---- 10: nats-server away ------------------------------------------------------------------------

def js_stream_msgs(nc, name):
    m = nc.request('$JS.API.STREAM.INFO.' + name, '', 3)
    try:
        return json.loads(m.data)['state']['messages']
    except (AttributeError, ValueError, KeyError, TypeError):
        return None


def t10_outage(t, app, watcher):
    # A stream keeps the unis' events (never requests) whoever listens when they come
    jsc = Nats(NATS_PORT, 'e2e-js')
    m = jsc.request('$JS.API.STREAM.CREATE.E2E_UNI', json.dumps({
        "name": "E2E_UNI", "subjects": ["ss7.event.map.unstructuredSS-Notify"], "storage": "file",
        "retention": "limits", "max_msgs": 1000, "num_replicas": 1}), 5)
    check('10 nats-outage: JetStream stream E2E_UNI on ss7.event.map.unstructuredSS-Notify created',
          m and 'error' not in m.data, m)
    jsc.close()
    n_unis = 5
    os.kill(t.nats_proc.pid, signal.SIGKILL)
    t.nats_proc.wait(5)
    down = net.wait_until(lambda: 'lost: SS7 goes on' in t.gw1.stderr(), 10)
    check('10 nats-outage: nats-server killed; the gateway says so', down, t.gw1.stderr()[-300:])
    t0 = time.monotonic()
    rc, summ, _ = Sim(t, 'sri-no-nats', 5, ['-C', '5']).finish(30)
    check('10 nats-outage: 5 network SRI-for-SM while NATS is away: each gets the default (systemFailure) at once',
          rc == 0 and summ and summ['ok'] == 5 and summ['latency_ms']['max'] < 2000, (rc, summ))
    rc, summ, _ = Sim(t, 'uni-notify', n_unis).finish(30)
    check('10 nats-outage: %d network unis (nothing to answer) while NATS is away' % n_unis,
          rc == 0 and summ and summ['ok'] == n_unis, (rc, summ))
    check('10 nats-outage: the gateway still runs', t.gw1.p.poll() is None)
    away = time.monotonic() - t0
    check('10 nats-outage: nats-server restarts on its store', t.start_nats())
    jsc = connect_retry(NATS_PORT, 10, 'e2e-js')
    got = None
    if jsc:
        end = time.monotonic() + 15
        while time.monotonic() < end:
            got = js_stream_msgs(jsc, 'E2E_UNI')
            if got is not None and got >= n_unis:
                break
            time.sleep(0.2)
        time.sleep(0.3)
        got = js_stream_msgs(jsc, 'E2E_UNI')
    check('10 nats-outage: the %d buffered uni events were published after the reconnection (stream E2E_UNI '
          'holds %s, NATS was away %.1f s)' % (n_unis, got, away), got == n_unis, got)
    back = net.wait_until(lambda: 'up again' in t.gw1.stderr(), 10)
    check('10 nats-outage: the gateway says NATS is back', back)
    check('10 nats-outage: the watcher is back too', watcher.connected.wait(10))
    ups = [ev for s, _, ev in watcher.snapshot() if s == 'ss7.event.map.unstructuredSS-Notify']
    print('note - 10 nats-outage: the watcher saw %d of the %d buffered unis (it may reconnect after '
          'the gateway)' % (len(ups), n_unis), flush=True)
    # the app's connection died with the server: a new one, the same subscriptions
    app.nc.close()
    app.nc = connect_retry(NATS_PORT, 10, 'e2e-app')
    app.subs = []
    app.subscribe('ss7.event.map.sendRoutingInfoForSM')
    rc, summ, seen = run_flow(t, app, 'sri-sm', sri_answer, name='10 nats-outage after')
    check('10 nats-outage: after the reconnection a network SRI-for-SM is asked and answered again',
          len(seen) == 1 and summ and summ['ok'] == 1, seen[:1])
    rep = app.request('ss7.request.map.noSuchOperation', '{}', 5) or {}
    check('10 nats-outage: the gateway\'s request subscription is back (a request gets its reply)',
          rep.get('outcome') == 'refused', rep)
    if jsc:
        jsc.close()
    t.expect['answer:not_asked'] = ('==', 5)
    t.expect['request:refused'] = (t.expect['request:refused'][0], t.expect['request:refused'][1] + 1)
    t.expect_nats = {'conn:disconnects': 1, 'conn:reconnects': 1, 'req:notconn': 5}


# ---- 12: SIGTERM drain ---------------------------------------------------------------------------

def t12_drain(t, app):
    held = {}

    def h(subject, ev):
        held['ev'] = ev
        return None     # never answered: it waits when SIGTERM comes
    sim = Sim(t, 'sri-held', 1)
    app.serve(h, lambda: 'ev' in held, 20)
    check('12 drain: the network\'s SRI-for-SM waits for the application', 'ev' in held)
    time.sleep(0.2)
    # the network side goes away without a word (SIGKILL: no abort), so that the port is free
    # for the next ss7sim; the gateway's dialogue goes on waiting for us
    sim.p.kill()
    sim.finish(5)
    t0 = time.monotonic()
    t.gw1.p.send_signal(signal.SIGTERM)
    # while it drains (drain-timeout 3 s): no new dialogues, from the network or from us
    drained = net.wait_until(lambda: 'draining: no new dialogues' in t.gw1.stderr(), 3)
    refused = Sim(t, 'sri-draining', 1, limit=10)
    m = app.nc.request('ss7.request.map.sendRoutingInfoForSM', json.dumps({"called": HLR, "argument": {}}), 3)
    rc_new, summ_new, _ = refused.finish(10)
    rc, ctrs = t.gw1.stop(30)
    took = time.monotonic() - t0
    check('12 drain: while draining, a new network SRI-for-SM gets the overload default (resourceLimitation) '
          'and a request finds no responders (the request subscription is gone)',
          drained and rc_new == 0 and summ_new and summ_new['ok'] == 1 and m is not None and m.status == '503',
          (drained, rc_new, summ_new, m))
    check('12 drain: SIGTERM -> exit code 0 after the drain-timeout (3 s; took %.1f s)' % took,
          rc == 0 and 2.9 < took < 20, (rc, t.gw1.stderr()[-600:]))
    check('12 drain: the gateway says it left the open dialogue in KV',
          '1 dialogues were still open: left in KV' in t.gw1.stderr(), t.gw1.stderr()[-600:])
    check('12 drain: two counter lines on stdout (stack layers, then gw/nats/kv)',
          len(ctrs) == 2 and 'tcap' in ctrs[0] and all(k in ctrs[1] for k in ('gw', 'nats', 'kv')), t.gw1.out[-800:])
    t.gw1_ctrs = ctrs
    t.expect['drain:refused'] = ('==', 1)
    ev = held.get('ev', {})
    kvc = connect_retry(NATS_PORT, 5, 'e2e-kv')
    st = None
    try:
        val, hdrs = kvc.kv_get(BUCKET, 'd.' + ev.get('dialog', 'x'))
        st = json.loads(val) if val else None
    except (OSError, ValueError, AttributeError) as e:
        hdrs = str(e)
    check('12 drain: the waiting dialogue is in KV after the exit (owner 1, waiting for its answer)',
          st and st.get('owner') == 1 and st.get('dialog') == ev.get('dialog') and
          dig(st, 'answer', 'invokeId') == dig(ev, 'answer', 'invokeId') and not SCHEMAS.errors('kv-state', st),
          (st, hdrs))
    if kvc:
        kvc.close()


# ---- counters and the capture -------------------------------------------------------------------

def check_counters(t):
    ctrs = getattr(t, 'gw1_ctrs', None)
    if not check('counters: instance 1 printed its counters', ctrs and len(ctrs) == 2, ctrs):
        return
    gw, nats, kv = ctrs[1].get('gw', {}), ctrs[1].get('nats', {}), ctrs[1].get('kv', {})
    for name, (op, want) in sorted(t.expect.items()):
        have = gw.get(name)
        ok = have is not None and (have == want if op == '==' else have >= want)
        check('counters: gw %s %s %d (is %s)' % (name, op, want, have), ok, gw)
    for name, want in sorted(getattr(t, 'expect_nats', {}).items()):
        check('counters: nats %s >= %d (is %s)' % (name, want, nats.get(name)), nats.get(name, 0) >= want, nats)
    check('counters: kv writes acknowledged, none lost for good (kv %s)' % {k: kv.get(k) for k in ('ack:ok', 'errors')},
          kv.get('ack:ok', 0) >= 2 and gw.get('kv:lost', 1) == 0, (kv, gw))
    if getattr(t, 'gw2_ctrs', None):
        foreign = [c[0].get('tcap', {}).get('rx:foreign_tid') for c in (ctrs, t.gw2_ctrs)]
        check('counters: the requests of 9 that timed out are the Ends each instance got for the other\'s '
              'dialogue (tcap rx:foreign_tid %s, %d timed out)' % (foreign, t.ha_lost),
              None not in foreign and sum(foreign) == t.ha_lost, foreign)
    check('counters: nothing dropped on the bus while connected (events:dropped 0)', gw.get('events:dropped') == 0, gw)


def check_capture(t, cap):
    msgs, gaps = capture.m3ua_messages(cap.pcap, skip_ports=(NATS_PORT,))
    cap.check_whole(gaps)
    wrapped = capture.sctp_pcap(msgs, t.tmp)
    rc, rows, err = capture.tshark_fields(wrapped, ['m3ua.message_class', 'm3ua.message_type', 'sccp.message_type',
                                                   'gsm_old.localValue', '_ws.malformed', 'sctp.srcport'],
                                          ['-o', 'sccp.defragment_xudt:TRUE'])
    malformed = [r for r in rows if r[4]]
    check('13 capture: %d M3UA messages through osmo-stp, tshark finds no malformed frame' % len(msgs),
          rc == 0 and msgs and not malformed, 'rc=%d malformed=%s %s' % (rc, malformed[:3], err[:200]))
    ops = {o for r in rows if r[0] == '1' for o in r[3].split(',') if o}
    want = {'46', '59', '60', '45', '44', '71', '43', '61'}
    check('13 capture: tshark reads MO-FSM, USSD (59, 60, 61), SRI-for-SM, MT-FSM, ATI and checkIMEI',
          want <= ops, sorted(ops))
    aspia = [r for r in rows if r[0] == '4' and r[1] == '2' and r[5] == str(GW1_PORT)]
    check('13 capture: instance 1 sent ASPIA while draining', aspia, [r for r in rows if r[0] == '4'][:6])


def check_sanitizers(t):
    """Under the ASan build: no sanitizer report in any child's log."""
    found = []
    for name in sorted(os.listdir(t.tmp)):
        if name.endswith('.log') or name.endswith('.out'):
            with open(os.path.join(t.tmp, name), errors='replace') as f:
                text = f.read()
            for pat in ('ERROR: AddressSanitizer', 'ERROR: LeakSanitizer', 'runtime error:'):
                if pat in text:
                    found.append('%s: %s' % (name, pat))
    check('no sanitizer report in the logs of ss7gw, ss7sim, osmo-stp', not found, found)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    for a in ('--ss7gw', '--ss7sim', '--shim'):
        ap.add_argument(a, required=True)
    ap.add_argument('--osmo-stp', default='osmo-stp')
    ap.add_argument('--nats-server', default='nats-server')
    ap.add_argument('--keep', action='store_true', help='keep the work directory')
    args = ap.parse_args()
    args.ss7gw, args.ss7sim = os.path.abspath(args.ss7gw), os.path.abspath(args.ss7sim)

    def alarm(*_):
        raise TimeoutError('e2e.nats: 230 s')
    signal.signal(signal.SIGALRM, alarm)
    signal.alarm(230)
    tmp = tempfile.mkdtemp(prefix='e2e-nats.')
    t = Test(args, tmp)
    cap, watcher = None, None
    try:
        net.wait_until(lambda: not any(net.tcp_listening(p) for p in PORTS), 10)
        busy = [p for p in PORTS if net.tcp_listening(p)]
        if not check('test ports free (33400-33404)', not busy, busy):
            return 1
        cap = capture.LoCapture(net.Proc, tmp, 'tcp port %d' % STP_PORT, check, duration=220)
        if not cap.start():
            cap.close()
            cap = None
        if not check('nats-server -js listens on %d' % NATS_PORT, t.start_nats()):
            return 1
        watcher = Watcher()
        watcher.start()
        check('watcher subscribed', watcher.connected.wait(10))
        stp = subprocess.Popen([args.osmo_stp, '-c', os.path.join(DATA, 'osmo-stp.cfg')], cwd=tmp, env=t.env,
                               stdout=subprocess.DEVNULL, stderr=open(os.path.join(tmp, 'osmo-stp.log'), 'w'))
        t.procs.append(stp)
        check('osmo-stp listens on %d' % STP_PORT, net.wait_until(lambda: net.tcp_listening(STP_PORT), 10))
        t.gw1 = Gateway(t, 1)
        up = net.wait_until(lambda: any(m[0] == 'ss7.network.link' and (m[2] or {}).get('state') == 'up'
                                        for m in watcher.snapshot()), 20)
        if not check('gateway instance 1: link up, said on ss7.network.link', up, t.gw1.stderr()[-800:]):
            return 1
        app = App()
        t1_mo_sms(t, app)
        t2_ussd(t, app)
        t3_sri(t, app)
        t11_kv(t, app)
        t6_defaults(t, app, watcher)
        t7_bad_answers(t, app)
        app.unsubscribe_all()
        t4_t5_requests(t, app)
        t8_bad_requests(t, app)
        app.subscribe('ss7.event.map.sendRoutingInfoForSM')
        t9_ha(t, app, watcher)
        app.unsubscribe_all()
        t10_outage(t, app, watcher)
        t12_drain(t, app)
        check_counters(t)
        check_sanitizers(t)
        watcher.stop.set()
        watcher.join(3)
        check('13 contract: %d events and %d replies checked against schemas/event.json and reply.json, '
              'all valid' % (CONTRACT.events, CONTRACT.replies), CONTRACT.events >= 40 and not CONTRACT.bad,
              CONTRACT.bad[:5])
        if cap:
            cap.stop()
            check_capture(t, cap)
    except TimeoutError as e:
        check('everything within the time limit', False, e)
    finally:
        signal.alarm(0)
        if watcher:
            watcher.stop.set()
        t.stop_all()
        if cap:
            cap.close()
        print('%d passed, %d failed' % (len(net.PASSED), len(net.FAILED)), flush=True)
    failed = len(net.FAILED)
    if failed or args.keep:
        print('work directory kept: %s' % tmp)
    else:
        shutil.rmtree(tmp, ignore_errors=True)
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
