#!/usr/bin/env python3
"""The gateway's main job on one machine: SS7 traffic in, JSON events on NATS out.

    ss7sim (the network)  <-M3UA->  osmo-stp  <-M3UA->  ss7gw run  <-NATS->  ss7app (C)
                                                                     \\->  this script prints
                                                                           every event

nats-server with JetStream on a temporary store, osmo-stp through the SCTP-over-TCP
library, the gateway with examples/service/gateway.cfg, the example application in C, and
ss7sim as the network. First the network asks and the application answers (SMS home
routing's SRI-for-SM, an MO-ForwardSM to the SMSC, a USSD session); then the application
asks and the network answers (an SMSC sending an SMS: SRI-for-SM, then MT-ForwardSM).
Every event the gateway publishes is printed as it flows, one line each. Loopback only,
ports 32970-32973; everything stops by itself within a minute.

    run.py --build DIR [--quiet] [--osmo-stp PATH] [--nats-server PATH]
"""
import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.join(HERE, '..', '..')
sys.path.insert(0, os.path.join(ROOT, 'examples', 'apps'))
from contract_test import Nats  # noqa: E402  (a NATS client in a few lines of its text protocol)

NATS_PORT = 32973
GW_GT, HLR_GT = '491700000001', '491700000006'
ISDN = {"nature": "international", "plan": "isdn"}


def scenario(tmp):
    """ss7sim's network (examples/ss7sim/network.json: HLR, MSC, ...) and the flow it runs
    towards the gateway: what an operator's network sends an SMSC, an HLR and a USSD service."""
    with open(os.path.join(ROOT, 'examples', 'ss7sim', 'network.json')) as f:
        sc = json.load(f)
    gw = {"gt": GW_GT, "ssn": 6}
    sc['flows'] = [{"name": "to-the-gateway", "dialogs": [
        {"ac": "shortMsgGatewayContext-v3", "called": gw, "script": [
            {"send": "begin", "components": [{"invoke": "sendRoutingInfoForSM", "argument": {
                "msisdn": dict(ISDN, digits="491719876543"), "sm-RP-PRI": True,
                "serviceCentreAddress": dict(ISDN, digits="491700000100")}}]},
            {"expect": "end", "components": [{"result": "sendRoutingInfoForSM"}]}]},
        {"ac": "shortMsgMO-RelayContext-v3", "called": {"gt": GW_GT, "ssn": 8}, "script": [
            {"send": "begin", "components": [{"invoke": "mo-ForwardSM", "argument": {
                "sm-RP-DA": {"serviceCentreAddressDA": dict(ISDN, digits=GW_GT)},
                "sm-RP-OA": {"msisdn": dict(ISDN, digits="491711111111")},
                "sm-RP-UI": {"type": "SMS-SUBMIT", "rd": False, "rp": False, "udhi": False,
                             "srr": False, "mr": 7, "da": dict(ISDN, digits="491722222222"), "pid": 0,
                             "dcs": {"value": 0, "alphabet": "gsm7"}, "text": "Hello from the network"}}}]},
            {"expect": "end", "components": [{"result": "mo-ForwardSM"}]}]},
        {"ac": "networkUnstructuredSsContext-v2", "called": gw, "script": [
            {"send": "begin", "components": [{"invoke": "processUnstructuredSS-Request", "argument": {
                "ussd-DataCodingScheme": "0f", "ussd-String": {"text": "*100#"},
                "msisdn": dict(ISDN, digits="491711111111")}}]},
            {"expect": "continue", "components": [{"invoke": "unstructuredSS-Request"}]},
            {"send": "continue", "components": [{"result": "unstructuredSS-Request", "value": {
                "ussd-DataCodingScheme": "0f", "ussd-String": {"text": "1"}}}]},
            {"expect": "continue", "components": [{"invoke": "unstructuredSS-Request"}]},
            {"send": "continue", "components": [{"result": "unstructuredSS-Request", "value": {
                "ussd-DataCodingScheme": "0f", "ussd-String": {"text": "2"}}}]},
            {"expect": "end", "components": [{"result": "processUnstructuredSS-Request", "match": {
                "result": {"ussd-String": {"text": "Data left: 1.50 GB"}}}}]}]},
    ]}]
    path = os.path.join(tmp, 'scenario.json')
    with open(path, 'w') as f:
        json.dump(sc, f)
    return path


class Demo:
    def __init__(self, args, tmp):
        self.args, self.tmp, self.procs = args, tmp, []
        self.env = dict(os.environ, LD_PRELOAD=os.path.join(args.build, 'src', 'sctpshim', 'libsctp2tcp.so'),
                        ASAN_OPTIONS=os.environ.get('ASAN_OPTIONS', '') + ':verify_asan_link_order=0')
        self.lock = threading.Lock()
        self.events = {}

    def say(self, text):
        with self.lock:
            print('\n== ' + text, flush=True)

    def start(self, name, argv, shim=True, stdout=None):
        log = open(os.path.join(self.tmp, name + '.log'), 'w')
        p = subprocess.Popen(argv, env=self.env if shim else None, cwd=self.tmp, text=True,
                             stdout=stdout or log, stderr=log)
        self.procs.append(p)
        return p

    def printer(self, stop):
        """every event as it flows: subject, then the dialogue, the operation and a few fields"""
        nc = Nats(NATS_PORT)
        nc.sub('ss7.event.>')
        nc.sub('ss7.dialog.>')
        nc.sub('ss7.network.>')
        nc.ping()
        while not stop.is_set():
            try:
                msg = nc.next(0.2)
            except OSError:
                return      # nats-server stopped at the end
            if not msg or not msg[0].startswith('ss7.'):
                continue
            subject, body = msg[0], json.loads(msg[2])
            kind = subject.split('.')[1]
            with self.lock:
                self.events[kind] = self.events.get(kind, 0) + 1
                if not self.args.quiet:
                    text = json.dumps({k: body[k] for k in ('event', 'dialog', 'ac', 'state', 'pc', 'components')
                                       if k in body}, separators=(',', ':'))
                    print('  %-44s %s' % (subject, text if len(text) < 240 else text[:237] + '...'), flush=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--build', default=os.path.join(ROOT, 'build'))
    ap.add_argument('--osmo-stp', default='osmo-stp')
    ap.add_argument('--nats-server', default='nats-server')
    ap.add_argument('--quiet', action='store_true')
    args = ap.parse_args()
    args.build = os.path.abspath(args.build)
    tmp = tempfile.mkdtemp(prefix='ss7gw-demo.')
    d = Demo(args, tmp)
    stop = threading.Event()
    ok = False
    signal.signal(signal.SIGALRM, lambda *_: (_ for _ in ()).throw(TimeoutError('the demo took over 90 s')))
    signal.alarm(90)
    sim = os.path.join(args.build, 'src', 'sim', 'ss7sim')
    net_cfg = os.path.join(HERE, 'network.cfg')
    try:
        d.say('nats-server (JetStream, temporary store), osmo-stp, the gateway on NATS, the C application')
        d.start('nats-server', [args.nats_server, '-a', '127.0.0.1', '-p', str(NATS_PORT), '-js', '-sd',
                                os.path.join(tmp, 'jetstream')], shim=False)
        d.start('osmo-stp', [args.osmo_stp, '-c', os.path.join(HERE, 'osmo-stp.cfg')])
        time.sleep(0.5)
        link = Nats(NATS_PORT)
        link.sub('ss7.network.link')
        link.ping()
        printer = threading.Thread(target=d.printer, args=(stop,), daemon=True)
        printer.start()
        gw = d.start('ss7gw', [os.path.join(args.build, 'ss7gw'), 'run', '-c',
                               os.path.join(HERE, 'gateway.cfg'), '--vty-port', '0'])
        msg = link.next(20)
        if not msg or json.loads(msg[2]).get('state') != 'up':
            raise RuntimeError('the gateway did not attach (logs in %s)' % tmp)
        app = d.start('ss7app', [os.path.join(args.build, 'examples', 'apps', 'ss7app'), '--server',
                                 'nats://127.0.0.1:%d' % NATS_PORT], shim=False, stdout=subprocess.PIPE)
        if 'serving' not in app.stdout.readline():
            raise RuntimeError('the application did not start (logs in %s)' % tmp)

        d.say('the network asks, the application answers: SRI-for-SM, MO-ForwardSM, a USSD session')
        sc = scenario(tmp)
        r = subprocess.run([sim, '-c', net_cfg, '-s', sc, '-f', 'to-the-gateway', '-n', '2', '-r', '2', '-t', '30'],
                           env=d.env, cwd=tmp, capture_output=True, text=True, timeout=40)
        net_ok = r.returncode == 0
        summary = [l for l in r.stdout.splitlines() if l.startswith('{"flow"')]
        d.say('the network: %s' % (summary[-1] if summary else 'no summary (rc %d)' % r.returncode))

        d.say('the application asks, the network answers: an SMSC sends an SMS (SRI-for-SM, then MT-ForwardSM)')
        hlr = d.start('network', [sim, '-c', net_cfg, '-s', sc, '-t', '30'], stdout=subprocess.PIPE)
        if 'ready' not in hlr.stdout.readline():
            raise RuntimeError('ss7sim did not attach as the network (logs in %s)' % tmp)
        r = subprocess.run([os.path.join(args.build, 'examples', 'apps', 'ss7app'), '--server',
                            'nats://127.0.0.1:%d' % NATS_PORT, '--sms', '2', '--hlr', HLR_GT],
                           capture_output=True, text=True, timeout=30)
        sms_ok = r.returncode == 0
        with d.lock:
            print(r.stdout.rstrip(), flush=True)
        time.sleep(0.3)
        app.send_signal(signal.SIGTERM)
        d.say('the application: %s' % app.communicate(timeout=10)[0].strip().splitlines()[-1])
        gw.send_signal(signal.SIGTERM)
        gw.wait(15)
        with d.lock:
            counts = dict(d.events)
        ok = net_ok and sms_ok and gw.returncode == 0 and counts.get('event', 0) >= 10
        d.say('%s: %s events published, the gateway stopped with exit status %d' %
              ('done' if ok else 'something went wrong (logs in %s)' % tmp,
               ', '.join('%d %s' % (n, k) for k, n in sorted(counts.items())), gw.returncode))
    except (RuntimeError, OSError, TimeoutError, subprocess.TimeoutExpired) as e:
        print('demo failed: %s (logs in %s)' % (e, tmp))
    finally:
        signal.alarm(0)
        stop.set()
        for p in reversed(d.procs):
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
                try:
                    p.wait(5)
                except subprocess.TimeoutExpired:
                    p.kill()
    if ok:
        shutil.rmtree(tmp, ignore_errors=True)
    return 0 if ok else 1


if __name__ == '__main__':
    sys.exit(main())
