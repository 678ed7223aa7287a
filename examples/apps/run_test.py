#!/usr/bin/env python3
"""The example applications end to end: the real network side, the real gateway, NATS.

    ss7sim (network: SMSC, MSC, HLR)  <-M3UA->  osmo-stp  <-M3UA->  ss7gw run  <-NATS->  apps

Everything on loopback, over the SCTP-over-TCP shim, ports 33380-33383 only (nats-server
with JetStream on a temporary store, osmo-stp, the gateway's and the network's ASPs). The
configurations are those of examples/network with other ports, the gateway serving SSN 6
as an HLR would and a `nats` node added. The C and the JavaScript app run side by side in
queue group "apps"; then:

1. ss7sim runs the flow "apps" COUNT times, each dialogue to the gateway's GT: an
   SRI-for-SM (the apps answer it, home routing: the IMSI and networkNode-Number
   491700000008), an MO-ForwardSM to SSN 8 (the apps take it as an SMSC: an
   SMS-SUBMIT-REPORT) and a USSD session (*100#, the menu, choice 1, the submenu, choice 2,
   the data balance). ss7sim checks every answer.
2. each app as an SMSC client (--sms 3): SRI-for-SM to ss7sim's HLR, then MT-ForwardSM to
   the MSC it names (examples/ss7sim/network.json's responders); all 3 must be delivered.
3. SIGTERM to both apps: their count lines must add up to the dialogues of step 1.
Every event the gateway publishes meanwhile is checked against schemas/event.json.

    run_test.py --ss7gw BIN --ss7sim BIN --shim LIB --ss7app BIN [--node BIN] [--count N]
"""
import argparse
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
NETWORK_DIR = os.path.join(HERE, '..', 'network')
sys.path.insert(0, HERE)
from contract_test import Nats, SCHEMAS  # noqa: E402

NATS_PORT, STP_PORT, GW_PORT, NET_PORT = 33380, 33381, 33382, 33383
GW_GT = '491700000001'

# the gateway's NATS node (docs/nats.md); the exact words are the service branch's
NATS_NODE = """!
nats
 server nats://127.0.0.1:{port}
 subject-prefix ss7
 answer-timeout 5000
kv
 bucket ss7gw-apps-test
 storage memory
!
"""


def config(name, tmp, extra=''):
    """examples/network/<name> with this test's ports, written to tmp."""
    with open(os.path.join(NETWORK_DIR, name)) as f:
        text = f.read()
    for old, new in ((32950, STP_PORT), (32951, GW_PORT), (32952, NET_PORT)):
        text = text.replace(str(old), str(new))
    if name == 'gateway.cfg':
        text = text.replace(' ssn 7\n', ' ssn 6\n ssn 7\n', 1)	# the apps answer as an HLR
    path = os.path.join(tmp, name)
    with open(path, 'w') as f:
        f.write(text + extra)
    return path


def isdn(digits):
    return {"nature": "international", "plan": "isdn", "digits": digits}


def ussd(text):
    return {"ussd-DataCodingScheme": "0f", "ussd-String": {"text": text}}


def scenario(tmp):
    """network.json's responders (the HLR and MSC for step 2) and one flow for step 1."""
    with open(os.path.join(HERE, '..', 'ss7sim', 'network.json')) as f:
        sc = json.load(f)
    gw = {"gt": GW_GT, "ssn": 6}
    sc['flows'] = [{"name": "apps", "dialogs": [
        {"ac": "shortMsgGatewayContext-v3", "called": gw, "script": [
            {"send": "begin", "components": [{"invoke": "sendRoutingInfoForSM", "argument": {
                "msisdn": isdn("491719876543"), "sm-RP-PRI": True, "serviceCentreAddress": isdn("491700000100")}}]},
            {"expect": "end", "components": [{"result": "sendRoutingInfoForSM", "match": {"result": {
                "imsi": "262011719876543",
                "locationInfoWithLMSI": {"networkNode-Number": {"digits": "491700000008"}}}}}]}]},
        {"ac": "shortMsgMO-RelayContext-v3", "called": {"gt": GW_GT, "ssn": 8}, "script": [
            {"send": "begin", "components": [{"invoke": "mo-ForwardSM", "argument": {
                "sm-RP-DA": {"serviceCentreAddressDA": isdn("491700000100")},
                "sm-RP-OA": {"msisdn": isdn("491701234567")},
                "sm-RP-UI": {"type": "SMS-SUBMIT", "mr": 7, "da": isdn("491719876543"), "text": "MO via the apps"},
                "imsi": "262019876543210"}}]},
            {"expect": "end", "components": [{"result": "mo-ForwardSM", "match": {"result": {
                "sm-RP-UI": {"type": "SMS-SUBMIT-REPORT"}}}}]}]},
        {"ac": "networkUnstructuredSsContext-v2", "called": gw, "script": [
            {"send": "begin", "components": [{"invoke": "processUnstructuredSS-Request", "argument": dict(
                ussd("*100#"), msisdn=isdn("491711111111"))}]},
            {"expect": "continue", "components": [{"invoke": "unstructuredSS-Request", "match": {
                "argument": {"ussd-String": {"text": "1 Balance\n2 Top up"}}}}]},
            {"send": "continue", "components": [{"result": "unstructuredSS-Request", "value": ussd("1")}]},
            {"expect": "continue", "components": [{"invoke": "unstructuredSS-Request", "match": {
                "argument": {"ussd-String": {"text": "Balance of\n1 Money\n2 Data"}}}}]},
            {"send": "continue", "components": [{"result": "unstructuredSS-Request", "value": ussd("2")}]},
            {"expect": "end", "components": [{"result": "processUnstructuredSS-Request", "match": {
                "result": {"ussd-String": {"text": "Data left: 1.50 GB"}}}}]}]},
    ]}]
    path = os.path.join(tmp, 'scenario.json')
    with open(path, 'w') as f:
        json.dump(sc, f)
    return path


class Run:
    def __init__(self, tmp, shim):
        self.tmp, self.procs = tmp, []
        self.env = dict(os.environ, LD_PRELOAD=os.path.abspath(shim),
                        ASAN_OPTIONS=os.environ.get('ASAN_OPTIONS', '') + ':verify_asan_link_order=0')
        self.passed = self.failed = 0

    def start(self, name, argv, shim=False, **kw):
        log = open(os.path.join(self.tmp, name + '.log'), 'w')
        p = subprocess.Popen(argv, env=self.env if shim else None, cwd=self.tmp, text=True,
                             stdout=kw.get('stdout', log), stderr=log)
        self.procs.append(p)
        return p

    def check(self, ok, what):
        if ok:
            self.passed += 1
        else:
            self.failed += 1
            print('FAIL ' + what)
        return ok

    def stop_all(self):
        for p in reversed(self.procs):
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
                try:
                    p.wait(5)
                except subprocess.TimeoutExpired:
                    p.kill()


def watch_events(port, seen, bad, stop):
    """Every event the gateway publishes, checked against schemas/event.json."""
    nc = Nats(port)
    nc.sub('ss7.event.>')
    nc.sub('ss7.dialog.>')
    nc.ping()
    while not stop.is_set():
        msg = nc.next(0.5)
        if msg and msg[0].startswith('ss7.'):
            seen.append(msg[0])
            errs = SCHEMAS.errors('event', json.loads(msg[2]))
            if errs:
                bad.append('%s: %s' % (msg[0], errs[0]))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    for a in ('--ss7gw', '--ss7sim', '--shim', '--ss7app'):
        ap.add_argument(a, required=True)
    ap.add_argument('--osmo-stp', default='osmo-stp')
    ap.add_argument('--nats-server', default='nats-server')
    ap.add_argument('--node', default='node')
    ap.add_argument('--count', type=int, default=5)
    args = ap.parse_args()
    tmp = tempfile.mkdtemp(prefix='ss7gw-apps.')
    r = Run(tmp, args.shim)
    stop = threading.Event()
    seen, bad = [], []
    try:
        r.start('nats-server', [args.nats_server, '-a', '127.0.0.1', '-p', str(NATS_PORT), '-js',
                                '-sd', os.path.join(tmp, 'js')])
        time.sleep(0.5)
        link = Nats(NATS_PORT)
        link.sub('ss7.network.link')
        link.ping()
        watcher = threading.Thread(target=watch_events, args=(NATS_PORT, seen, bad, stop), daemon=True)
        watcher.start()
        r.start('osmo-stp', [args.osmo_stp, '-c', config('osmo-stp.cfg', tmp)], shim=True)
        time.sleep(0.5)
        r.start('ss7gw', [os.path.abspath(args.ss7gw), 'run', '-c',
                          config('gateway.cfg', tmp, NATS_NODE.format(port=NATS_PORT)), '--vty-port', '0'],
                shim=True)
        msg = link.next(20)
        if not r.check(msg and json.loads(msg[2]).get('state') == 'up',
                       'the gateway said no link up on ss7.network.link (logs in %s)' % tmp):
            return 1
        apps = [r.start('app-c', [os.path.abspath(args.ss7app), '--server', 'nats://127.0.0.1:%d' % NATS_PORT],
                        stdout=subprocess.PIPE),
                r.start('app-js', [args.node, os.path.join(HERE, 'js', 'ss7app.js'),
                                   '--server', 'nats://127.0.0.1:%d' % NATS_PORT], stdout=subprocess.PIPE)]
        for a in apps:
            r.check('serving' in a.stdout.readline(), 'an app did not start')

        # 1. the network's SRI-for-SM and USSD sessions, answered by the apps
        sc = scenario(tmp)
        sim = subprocess.run([os.path.abspath(args.ss7sim), '-c', config('network.cfg', tmp), '-s', sc,
                              '-f', 'apps', '-n', str(args.count), '-t', '60'], env=r.env, cwd=tmp,
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=90)
        r.check(sim.returncode == 0, 'ss7sim flow "apps" x%d failed:\n%s' % (args.count, sim.stdout[-2000:]))

        # 2. each app as an SMSC client: ss7sim's HLR names its MSC, the MSC takes the message
        net = r.start('ss7sim', [os.path.abspath(args.ss7sim), '-c', config('network.cfg', tmp), '-s', sc,
                                 '-t', '60'], shim=True, stdout=subprocess.PIPE)
        r.check('ready' in net.stdout.readline(), 'ss7sim as the HLR and MSC did not come up')
        sms_args = ['--server', 'nats://127.0.0.1:%d' % NATS_PORT, '--sms', '3', '--hlr', '491700000006']
        for name, cmd in (('C', [os.path.abspath(args.ss7app)]),
                          ('JS', [args.node, os.path.join(HERE, 'js', 'ss7app.js')])):
            sms = subprocess.run(cmd + sms_args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=90)
            r.check(sms.returncode == 0 and
                    len(re.findall(r'^sms \d+: delivered to imsi 262011234567890 via msc 491700000008$', sms.stdout,
                                   re.M)) == 3 and 'ss7app: sms 3: delivered 3, failed 0, no reply 0' in sms.stdout,
                    'the %s app --sms 3: want 3 delivered via the HLR\'s MSC:\n%s' % (name, sms.stdout))

        # 3. the apps' counts add up
        kinds = ('sri-for-sm', 'mo-forward-sm', 'ussd menus', 'ussd submenus', 'ussd ends')
        totals, shown = dict.fromkeys(kinds, 0), 0
        for a in apps:
            a.send_signal(signal.SIGTERM)
            out = a.communicate(timeout=10)[0]
            r.check(a.returncode == 0, 'an app exited %s after SIGTERM:\n%s' % (a.returncode, out[-2000:]))
            for key, n in re.findall(r'(%s) (\d+)' % '|'.join(kinds), out):
                totals[key] += int(n)
            shown += out.count('mo-sms from 491701234567 to 491719876543: MO via the apps\n')
        r.check(totals == dict.fromkeys(kinds, args.count) and shown == args.count,
                'the apps\' counts %s (MO messages shown %d) do not add up to %d dialogues of each'
                % (totals, shown, args.count))
        stop.set()
        watcher.join(2)
        r.check(len(seen) >= 5 * args.count, 'only %d events seen on ss7.event.>/ss7.dialog.>' % len(seen))
        r.check(not bad, 'events off schema:\n  ' + '\n  '.join(bad[:5]))
    finally:
        stop.set()
        r.stop_all()
    print('%d passed, %d failed' % (r.passed, r.failed))
    if r.failed:
        print('logs in %s' % tmp)
    return 1 if r.failed else 0


if __name__ == '__main__':
    sys.exit(main())
