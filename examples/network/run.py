#!/usr/bin/env python3
"""The gateway's main job on an embedded network: osmo-stp, a simulated network (ss7sim
playing HLR, MSC, USSD application from examples/ss7sim/network.json) and the gateway
(`ss7gw run`), all on loopback over the SCTP-over-TCP shim. An application talks to the
gateway in JSON (docs/tc-json.md): this script sends the requests an SMSC and a USSD
client would send, and prints every event as it flows. Exits 1 if a step goes wrong, so CI
runs it and it never rots.

Usage: run.py --ss7gw BIN --ss7sim BIN --shim LIB [--quiet]
"""
import argparse
import json
import os
import queue
import signal
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
NETWORK = os.path.join(HERE, '..', 'ss7sim', 'network.json')
STP_PORT = 32950


class Child:
    """A process whose stdout lines are queued; stderr goes to a log file."""

    def __init__(self, name, argv, env, workdir, stdin=False):
        self.name, self.log = name, os.path.join(workdir, name + '.log')
        self.lines = queue.Queue()
        self.p = subprocess.Popen(argv, env=env, cwd=workdir, text=True, bufsize=1,
                                  stdin=subprocess.PIPE if stdin else subprocess.DEVNULL,
                                  stdout=subprocess.PIPE, stderr=open(self.log, 'w'))
        threading.Thread(target=lambda: [self.lines.put(l.rstrip('\n')) for l in self.p.stdout],
                         daemon=True).start()

    def next(self, timeout):
        try:
            return self.lines.get(timeout=timeout)
        except queue.Empty:
            return None

    def stop(self):
        if self.p.poll() is None:
            self.p.send_signal(signal.SIGTERM)
            try:
                self.p.wait(5)
            except subprocess.TimeoutExpired:
                self.p.kill()


def listening(port):
    with open('/proc/net/tcp') as f:
        return any(l.split()[1].endswith(':%04X' % port) and l.split()[3] == '0A' for l in f.readlines()[1:])


class Demo:
    def __init__(self, gw, quiet):
        self.gw, self.quiet = gw, quiet

    def show(self, arrow, obj):
        if not self.quiet:
            text = json.dumps(obj, ensure_ascii=False)
            print('%s %s' % (arrow, text if len(text) < 400 else text[:400] + ' ...'), flush=True)

    def say(self, text):
        if not self.quiet:
            print('\n== ' + text, flush=True)

    def request(self, req):
        """Send one request; returns the dialog id of the reply (or raises)."""
        self.show('>>', req)
        self.gw.p.stdin.write(json.dumps(req) + '\n')
        self.gw.p.stdin.flush()
        while True:
            line = self.gw.next(10)
            if line is None:
                raise RuntimeError('no reply to %s' % req['request'])
            msg = json.loads(line)
            if 'reply' in msg:
                if msg['reply'] != 'ok':
                    raise RuntimeError('request refused: %s' % msg.get('error'))
                return msg.get('dialog')
            self.show('<<', msg)

    def event(self, dialog, kinds, timeout=10):
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            line = self.gw.next(max(0.1, end - time.monotonic()))
            if line is None:
                break
            ev = json.loads(line)
            self.show('<<', ev)
            if ev.get('dialog') == dialog and ev.get('event') in kinds:
                return ev
        raise RuntimeError('no %s for dialog %s' % ('/'.join(kinds), dialog))


def component(ev, kind):
    for c in ev.get('components', []):
        if kind in c:
            return c[kind]
    raise RuntimeError('no %s component in %s' % (kind, ev.get('event')))


def flows(d):
    d.say('SMS MT: SendRoutingInfoForSM to the HLR, routed on its global title')
    dlg = d.request({'request': 'begin', 'ac': 'shortMsgGatewayContext-v3',
                     'called': {'gt': '491700000006', 'ssn': 6},
                     'components': [{'invoke': {'invokeId': 1, 'operation': 'sendRoutingInfoForSM', 'argument': {
                         'msisdn': {'nature': 'international', 'plan': 'isdn', 'digits': '491719876543'},
                         'sm-RP-PRI': True,
                         'serviceCentreAddress': {'nature': 'international', 'plan': 'isdn',
                                                  'digits': '491700000100'}}}}]})
    sri = component(d.event(dlg, ('end',)), 'result')['result']
    msc, imsi = sri['locationInfoWithLMSI']['networkNode-Number']['digits'], sri['imsi']

    d.say('SMS MT: MT-ForwardSM to the MSC the HLR named (%s), for IMSI %s' % (msc, imsi))
    dlg = d.request({'request': 'begin', 'ac': 'shortMsgMT-RelayContext-v3',
                     'called': {'gt': msc, 'ssn': 8},
                     'components': [{'invoke': {'invokeId': 1, 'operation': 'mt-ForwardSM', 'argument': {
                         'sm-RP-DA': {'imsi': imsi},
                         'sm-RP-OA': {'serviceCentreAddressOA': {'nature': 'international', 'plan': 'isdn',
                                                                 'digits': '491700000100'}},
                         'sm-RP-UI': {'type': 'SMS-DELIVER', 'mms': False, 'lp': False, 'sri': False,
                                      'rp': False, 'udhi': False,
                                      'oa': {'nature': 'international', 'plan': 'isdn', 'digits': '491701234567'},
                                      'pid': 0, 'dcs': {'value': 0, 'alphabet': 'gsm7'},
                                      'scts': '2026-11-25T12:00:00+01:00', 'text': 'Hello from SS7 HA Gateway'}}}}]})
    component(d.event(dlg, ('end',)), 'result')

    d.say('USSD: *135# to the USSD application, a menu, the choice "1", the answer')
    dlg = d.request({'request': 'begin', 'ac': 'networkUnstructuredSsContext-v2',
                     'called': {'gt': '491700000006', 'ssn': 6},
                     'components': [{'invoke': {'invokeId': 1, 'operation': 'processUnstructuredSS-Request',
                                                'argument': {'ussd-DataCodingScheme': '0f',
                                                             'ussd-String': {'text': '*135#'}}}}]})
    menu = component(d.event(dlg, ('continue',)), 'invoke')
    d.request({'request': 'continue', 'dialog': dlg,
               'components': [{'result': {'invokeId': menu['invokeId'], 'operation': 'unstructuredSS-Request',
                                          'result': {'ussd-DataCodingScheme': '0f',
                                                     'ussd-String': {'text': '1'}}}}]})
    answer = component(d.event(dlg, ('end',)), 'result')['result']['ussd-String']['text']
    d.say('USSD answer: %s' % answer)

    d.say('A subsystem nobody serves: the network returns the message (UDTS), the dialogue hears of it')
    dlg = d.request({'request': 'begin', 'ac': 'anyTimeInfoEnquiryContext-v3',
                     'called': {'gt': '491700000006', 'ssn': 99},
                     'components': [{'invoke': {'invokeId': 1, 'operation': 'anyTimeInterrogation', 'argument': {
                         'subscriberIdentity': {'msisdn': {'digits': '491711234567'}},
                         'requestedInfo': {'locationInformation': None},
                         'gsmSCF-Address': {'digits': '491700000001'}}}}]})
    ev = d.event(dlg, ('notice',))
    d.request({'request': 'u-abort', 'dialog': dlg})
    return ev['cause'] == 'unequipped-user'


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--ss7gw', required=True)
    ap.add_argument('--ss7sim', required=True)
    ap.add_argument('--shim', required=True)
    ap.add_argument('--osmo-stp', default='osmo-stp')
    ap.add_argument('--quiet', action='store_true')
    args = ap.parse_args()
    workdir = tempfile.mkdtemp(prefix='ss7gw-demo.')
    env = dict(os.environ, LD_PRELOAD=os.path.abspath(args.shim),
               ASAN_OPTIONS=os.environ.get('ASAN_OPTIONS', '') + ':verify_asan_link_order=0')
    children, ok = [], False
    try:
        if listening(STP_PORT):
            print('port %d is busy: is another demo running?' % STP_PORT)
            return 1
        children.append(Child('osmo-stp', [args.osmo_stp, '-c', os.path.join(HERE, 'osmo-stp.cfg')],
                              env, workdir))
        for _ in range(50):
            if listening(STP_PORT):
                break
            time.sleep(0.1)
        net = Child('network', [os.path.abspath(args.ss7sim), '-c', os.path.join(HERE, 'network.cfg'),
                                '-s', os.path.abspath(NETWORK), '-t', '120'], env, workdir)
        children.append(net)
        gw = Child('ss7gw', [os.path.abspath(args.ss7gw), 'run', '-c', os.path.join(HERE, 'gateway.cfg'),
                             '--vty-port', '0'], env, workdir, stdin=True)
        children.append(gw)
        d = Demo(gw, args.quiet)
        d.say('osmo-stp, the simulated network and the gateway are starting')
        while True:
            line = gw.next(20)
            if line is None:
                raise RuntimeError('the gateway did not attach (see %s)' % gw.log)
            ev = json.loads(line)
            d.show('<<', ev)
            if ev == {'event': 'link', 'state': 'up'}:
                break
        time.sleep(0.3)     # the network side attaches too
        ok = flows(d)
        d.say('done: every step answered as expected' if ok else 'a step went wrong')
    except (RuntimeError, ValueError) as e:
        print('demo failed: %s (logs in %s)' % (e, workdir))
    finally:
        for c in reversed(children):
            c.stop()
    return 0 if ok else 1


if __name__ == '__main__':
    sys.exit(main())
