#!/usr/bin/env python3
"""The gateway service under load, against osmo-stp relaying the same dialogues.

SRI-for-SM dialogues (a Begin, an End with the result) enter through osmo-stp. Two phases
in one run, on the same machine and the same osmo-stp:

  baseline  ss7sim A (load)  -> osmo-stp -> ss7sim B (HLR)          osmo-stp's CPU per dialogue
  gateway   ss7sim B (load)  -> osmo-stp -> ss7gw run -> NATS -> ss7app (C) answers

The gateway phase runs at saturation (dialogues/s, CPU per dialogue of the gateway, of
osmo-stp, of nats-server and of the app), then at half that rate for the event latency:
bench_sub subscribes beside the app and measures now - "ts" of every event (M3UA receipt at
the gateway to the subscriber). KV is on (file storage). Every phase is bounded in count
and time. Ports 33500-33505. Prints a table and one JSON line.

    bench_service.py --build DIR [--count N] [--seconds S]
"""
import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.join(HERE, '..', '..')
NET = os.path.join(ROOT, 'examples', 'network')
NATS_PORT, STP_PORT, A_PORT, B_PORT = 33500, 33501, 33502, 33503
CLK = os.sysconf('SC_CLK_TCK')
GW_GT, HLR_GT = '491700000001', '491700000006'

NATS_NODE = """!
nats
 server nats://127.0.0.1:{port}
 answer-timeout 5000
 max-waiting 20000
kv
 bucket ss7gw_bench
""".format(port=NATS_PORT)


def cpu_s(pid):
    """user + system CPU seconds of a process so far"""
    with open('/proc/%d/stat' % pid) as f:
        fields = f.read().rsplit(')', 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK


def config(name, tmp, extra='', out=None):
    with open(os.path.join(NET, name)) as f:
        text = f.read()
    for old, new in ((32950, STP_PORT), (32951, A_PORT), (32952, B_PORT)):
        text = text.replace(str(old), str(new))
    text = text.replace('logging level set-all notice', 'logging level set-all error')
    text = text.replace('127.0.29.8', '127.0.29.21')   # osmo-stp's VTY address
    if name == 'gateway.cfg':
        text = text.replace(' ssn 7\n', ' ssn 6\n ssn 7\n', 1)
    path = os.path.join(tmp, out or name)
    with open(path, 'w') as f:
        f.write(text + extra)
    return path


def scenario(tmp):
    with open(os.path.join(ROOT, 'examples', 'ss7sim', 'network.json')) as f:
        sc = json.load(f)

    def sri(gt):
        return {"ac": "shortMsgGatewayContext-v3", "called": {"gt": gt, "ssn": 6}, "script": [
            {"send": "begin", "components": [{"invoke": "sendRoutingInfoForSM", "argument": {
                "msisdn": {"nature": "international", "plan": "isdn", "digits": "491719876543"},
                "sm-RP-PRI": True, "serviceCentreAddress": {"nature": "international", "plan": "isdn",
                                                            "digits": "491700000100"}}}]},
            {"expect": "end", "components": [{"result": "sendRoutingInfoForSM"}]}]}
    sc['flows'] = [{"name": "sri-gw", "dialogs": [sri(GW_GT)]}, {"name": "sri-hlr", "dialogs": [sri(HLR_GT)]}]
    path = os.path.join(tmp, 'scenario.json')
    with open(path, 'w') as f:
        json.dump(sc, f)
    return path


class Bench:
    def __init__(self, args, tmp):
        self.args, self.tmp, self.procs = args, tmp, []
        self.env = dict(os.environ, LD_PRELOAD=os.path.join(args.build, 'src', 'sctpshim', 'libsctp2tcp.so'),
                        ASAN_OPTIONS=os.environ.get('ASAN_OPTIONS', '') + ':verify_asan_link_order=0')

    def start(self, name, argv, shim=True, stdout=None):
        log = open(os.path.join(self.tmp, name + '.log'), 'w')
        p = subprocess.Popen(argv, env=self.env if shim else None, cwd=self.tmp, text=True,
                             stdout=stdout or log, stderr=log)
        self.procs.append(p)
        return p

    def stop(self, p):
        if p.poll() is None:
            p.send_signal(signal.SIGTERM)
            try:
                p.wait(10)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()

    def load(self, cfg, sc, flow, count, seconds, rate=0, conc=200):
        """ss7sim as the load generator; its report line"""
        argv = [os.path.join(self.args.build, 'src', 'sim', 'ss7sim'), '-c', cfg, '-s', sc, '-f', flow,
                '-n', str(count), '-C', str(conc), '-d', str(seconds), '-t', str(seconds + 20)]
        if rate:
            argv += ['-r', str(rate)]
        r = subprocess.run(argv, env=self.env, cwd=self.tmp, capture_output=True, text=True,
                           timeout=seconds + 40)
        for line in r.stdout.splitlines():
            if line.startswith('{"flow"'):
                return json.loads(line)
        raise RuntimeError('ss7sim %s gave no report (rc %d): %s' % (flow, r.returncode, r.stderr[-800:]))


def measure(b, pids, fn):
    """run fn() and return (its result, CPU seconds each pid used meanwhile)"""
    before = {k: cpu_s(p) for k, p in pids.items()}
    res = fn()
    return res, {k: cpu_s(p) - before[k] for k, p in pids.items()}


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--build', default=os.path.join(ROOT, 'build'))
    ap.add_argument('--count', type=int, default=100000)
    ap.add_argument('--seconds', type=int, default=10)
    ap.add_argument('--osmo-stp', default='osmo-stp')
    ap.add_argument('--nats-server', default='nats-server')
    ap.add_argument('--smoke', action='store_true', help='fail unless every dialogue succeeded (CTest)')
    ap.add_argument('--perf', metavar='FILE', help='perf record the gateway at saturation into FILE')
    args = ap.parse_args()
    args.build = os.path.abspath(args.build)
    tmp = tempfile.mkdtemp(prefix='ss7gw-bench.')
    b = Bench(args, tmp)
    sc = scenario(tmp)
    out = {}
    try:
        ns = b.start('nats-server', [args.nats_server, '-a', '127.0.0.1', '-p', str(NATS_PORT), '-js',
                                     '-sd', os.path.join(tmp, 'js')], shim=False)
        stp = b.start('osmo-stp', [args.osmo_stp, '-c', config('osmo-stp.cfg', tmp)])
        time.sleep(1)
        net_cfg = config('network.cfg', tmp)

        # --- baseline: osmo-stp relaying ss7sim A's SRI-for-SM to ss7sim B's HLR ---
        hlr = b.start('hlr', [os.path.join(args.build, 'src', 'sim', 'ss7sim'), '-c', net_cfg, '-s', sc,
                              '-t', str(args.seconds + 60)], stdout=subprocess.PIPE)
        if 'ready' not in hlr.stdout.readline():
            raise RuntimeError('ss7sim B (HLR) did not attach')
        a_cfg = config('gateway.cfg', tmp, out='side-a.cfg')
        base, cpu = measure(b, {'stp': stp.pid},
                            lambda: b.load(a_cfg, sc, 'sri-hlr', args.count, args.seconds))
        out['baseline'] = {'dialogs_per_s': base['dialogs_per_s'], 'ok': base['ok'], 'failed': base['failed'],
                           'stp_us_per_dialog': 1e6 * cpu['stp'] / max(base['ok'], 1)}
        b.stop(hlr)

        # --- the gateway at saturation ---
        gw = b.start('ss7gw', [os.path.join(args.build, 'ss7gw'), 'run', '-c',
                               config('gateway.cfg', tmp, NATS_NODE), '--vty-port', '0'])
        app = b.start('ss7app', [os.path.join(args.build, 'examples', 'apps', 'ss7app'), '--server',
                                 'nats://127.0.0.1:%d' % NATS_PORT], shim=False, stdout=subprocess.PIPE)
        if 'serving' not in app.stdout.readline():
            raise RuntimeError('ss7app did not start')
        time.sleep(2)   # the gateway's link
        pids = {'gw': gw.pid, 'stp': stp.pid, 'nats': ns.pid, 'app': app.pid}
        perf = subprocess.Popen(['perf', 'record', '-g', '-o', os.path.abspath(args.perf), '-p', str(gw.pid)],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) if args.perf else None
        sat, cpu = measure(b, pids, lambda: b.load(net_cfg, sc, 'sri-gw', args.count, args.seconds))
        if perf:
            perf.send_signal(signal.SIGINT)
            perf.wait(30)
        n = max(sat['ok'], 1)
        out['gateway'] = {'dialogs_per_s': sat['dialogs_per_s'], 'ok': sat['ok'], 'failed': sat['failed'],
                          'latency_ms': sat['latency_ms']}
        out['gateway'].update({'%s_us_per_dialog' % k: 1e6 * v / n for k, v in cpu.items()})

        # --- half that rate: event latency at the subscriber ---
        half = max(int(sat['dialogs_per_s'] / 2), 100)
        sub = b.start('bench_sub', [os.path.join(args.build, 'tests', 'bench_sub'),
                                    'nats://127.0.0.1:%d' % NATS_PORT, 'ss7.event.>', str(args.seconds + 30)],
                      shim=False, stdout=subprocess.PIPE)
        if 'ready' not in sub.stdout.readline():
            raise RuntimeError('bench_sub did not subscribe')
        hl, cpu = measure(b, pids, lambda: b.load(net_cfg, sc, 'sri-gw', half * args.seconds, args.seconds,
                                                  rate=half))
        sub.send_signal(signal.SIGTERM)
        lat = json.loads(sub.communicate(timeout=10)[0].strip().splitlines()[-1])
        n = max(hl['ok'], 1)
        out['half_load'] = {'rate': half, 'dialogs_per_s': hl['dialogs_per_s'], 'ok': hl['ok'],
                            'failed': hl['failed'], 'dialog_latency_ms': hl['latency_ms'],
                            'event_latency_us': lat['latency_us'], 'events': lat['events']}
        out['half_load'].update({'%s_us_per_dialog' % k: 1e6 * v / n for k, v in cpu.items()})
        b.stop(app)
        b.stop(gw)
    finally:
        for p in reversed(b.procs):
            b.stop(p)
    base_us = out['baseline']['stp_us_per_dialog']
    g, h = out['gateway'], out['half_load']
    out['ratio_gw_to_stp'] = g['gw_us_per_dialog'] / base_us if base_us else None
    print('gateway service benchmark (SRI-for-SM, Begin + End, through osmo-stp; KV on)')
    print('  baseline: osmo-stp relays %8.0f dialogues/s at %6.1f us CPU per dialogue' %
          (out['baseline']['dialogs_per_s'], base_us))
    print('  gateway at saturation: %8.0f dialogues/s (%d ok, %d failed), dialogue p50 %.2f ms p99 %.2f ms' %
          (g['dialogs_per_s'], g['ok'], g['failed'], g['latency_ms']['p50'], g['latency_ms']['p99']))
    print('    CPU per dialogue: gateway %.1f us, osmo-stp %.1f us, nats-server %.1f us, app %.1f us' %
          (g['gw_us_per_dialog'], g['stp_us_per_dialog'], g['nats_us_per_dialog'], g['app_us_per_dialog']))
    r = out['ratio_gw_to_stp']
    print('    ratio gateway / osmo-stp (baseline): %s' %
          ('%.2f' % r if r is not None else 'n/a (osmo-stp used no measurable CPU: too few dialogues)'))
    print('  half load (%d/s): event latency M3UA receipt -> subscriber p50 %d us, p99 %d us, max %d us '
          '(%d events); gateway %.1f us CPU per dialogue' %
          (h['rate'], h['event_latency_us']['p50'], h['event_latency_us']['p99'], h['event_latency_us']['max'],
           h['events'], h['gw_us_per_dialog']))
    print(json.dumps(out))
    shutil.rmtree(tmp, ignore_errors=True)
    if args.smoke:
        bad = [k for k in ('baseline', 'gateway', 'half_load') if out[k]['failed'] or not out[k]['ok']]
        bad += ['events'] if not h['events'] else []
        if bad:
            print('FAIL: dialogues failed or nothing measured in %s' % bad)
            return 1
    return 0


if __name__ == '__main__':
    sys.exit(main())
