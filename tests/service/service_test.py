#!/usr/bin/env python3
"""`ss7gw run` as a NATS service, at its edges: every startup problem is one clear line with
its remedy and exit 2 (no nats-server, no JetStream, a bucket of another configuration, a
bad line in the nats/kv sections, a host without kernel SCTP); a good start answers `show
gateway`, `show nats`, `show kv` and writes its nats/kv sections back in `show
running-config`; SIGTERM drains and exits 0 with its counters. The traffic itself is
e2e.nats's and examples.apps.e2e's. Ports 33450-33459. Prints 'N passed, M failed'."""
import argparse
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, '..', 'net'))
sys.path.insert(0, os.path.join(HERE, '..', 'm3ua'))
import m3ua_stp_test as net  # noqa: E402
from ss7gw_run_test import kernel_sctp  # noqa: E402

NATS_PORT, STP_PORT, GW_PORT, VTY_PORT, STATSD_PORT = 33450, 33451, 33452, 33453, 33454
VTY_ADDR = '127.0.0.1'
check = net.check

GATEWAY = """log stderr
 logging filter all 1
 logging color 0
 logging level set-all notice
!
cs7 instance 0
 point-code 1.3.1
 asp asp-A {stp} {gw} m3ua
  local-ip 127.0.0.1
  remote-ip 127.0.0.1
  role asp
  sctp-role client
 as as-A m3ua
  asp asp-A
  routing-key 31 1.3.1
!
sccp-node
 local-gt 491700000001 tt 0 np 1 nai 4 ssn 8
 ssn 8
!
tcap
 instance-bits 4
 instance-id 3
""".format(stp=STP_PORT, gw=GW_PORT)

OSMO_STP = """log stderr
 logging filter all 1
 logging color 0
 logging level set-all error
line vty
 no login
 ! osmo-stp 1.6.0 always takes VTY port 4239: an address of this test's own
 bind 127.0.29.20
cs7 instance 0
 point-code 1.3.0
 asp asp-A {gw} {stp} m3ua
  local-ip 127.0.0.1
  remote-ip 127.0.0.1
 as as-A m3ua
  asp asp-A
  routing-key 31 1.3.1
 route-table system
  update route 1.3.1 7.255.7 linkset as-A
 listen m3ua {stp}
  local-ip 127.0.0.1
""".format(stp=STP_PORT, gw=GW_PORT)

STATS = """!
stats interval 1
stats reporter statsd
 remote-ip 127.0.0.1
 remote-port {port}
 prefix ss7gw
 level subscriber
 enable
""".format(port=STATSD_PORT)

NATS = """!
nats
 server nats://127.0.0.1:{port}
 subject-prefix svc
 answer-timeout 2500
 answer-timeout operation mo-ForwardSM 4000
 default-action timeout error systemFailure
 default-action overload abort
 max-waiting 77
 drain-timeout 300
kv
 bucket {bucket}
 storage {storage}
 write-delay 25
""".replace('{port}', str(NATS_PORT))


def write(workdir, name, text):
    path = os.path.join(workdir, name)
    with open(path, 'w') as f:
        f.write(text)
    return path


def start_error(args, env, workdir, name, text, expect):
    """ss7gw run must exit 2 at once with one 'ss7gw:' line saying expect."""
    path = write(workdir, name, text)
    r = subprocess.run([args.ss7gw, 'run', '-c', path, '--vty-port', '0'], env=env, capture_output=True,
                       text=True, timeout=20)
    lines = [l for l in r.stderr.splitlines() if l.startswith('ss7gw:')]
    check('%s: exit 2 with one line saying "%s"' % (name, expect),
          r.returncode == 2 and len(lines) == 1 and expect in lines[0], (r.returncode, r.stderr[-600:]))


def vty(cmd, timeout=5):
    """One command on the telnet VTY (enable first), the text up to the next prompt."""
    s = socket.create_connection((VTY_ADDR, VTY_PORT), timeout=timeout)
    out, end = b'', time.monotonic() + timeout

    def upto_prompt(start):
        nonlocal out
        while time.monotonic() < end and not out[start:].rstrip().endswith((b'>', b'#')):
            chunk = s.recv(65536)
            if not chunk:
                break
            out += chunk
    try:
        upto_prompt(0)
        for c in ('enable', cmd):
            mark = len(out)
            s.sendall((c + '\r\n').encode())
            upto_prompt(mark)
    except socket.timeout:
        pass
    s.close()
    return out.decode(errors='replace')


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--ss7gw', required=True)
    ap.add_argument('--shim', required=True)
    ap.add_argument('--osmo-stp', default='osmo-stp')
    ap.add_argument('--nats-server', default='nats-server')
    args = ap.parse_args()
    args.ss7gw = os.path.abspath(args.ss7gw)
    signal.signal(signal.SIGALRM, lambda *_: (_ for _ in ()).throw(TimeoutError('100 s')))
    signal.alarm(100)
    workdir = tempfile.mkdtemp(prefix='ss7gw_service.')
    env = dict(os.environ, LD_PRELOAD=os.path.abspath(args.shim),
               ASAN_OPTIONS=os.environ.get('ASAN_OPTIONS', '') + ':verify_asan_link_order=0')
    procs = []
    try:
        busy = [p for p in range(33450, 33454) if net.tcp_listening(p)]
        if not check('test ports free', not busy, busy):
            return 1
        good = GATEWAY + NATS.replace('{bucket}', 'svc_test').replace('{storage}', 'memory')

        # --- startup problems, one line each ---
        start_error(args, env, workdir, 'no-nats-server.cfg', good,
                    "cannot reach nats-server at nats://127.0.0.1:%d" % NATS_PORT)
        start_error(args, env, workdir, 'bad-server.cfg', good.replace('server nats://', 'server '),
                    'bad configuration file')
        start_error(args, env, workdir, 'bad-op.cfg', good.replace('operation mo-ForwardSM', 'operation moForwardSMS'),
                    'bad configuration file')
        start_error(args, env, workdir, 'bad-error.cfg', good.replace('error systemFailure', 'error systemFailur'),
                    'bad configuration file')
        # the example configuration parses whole (its server moved to our port, where nobody listens)
        with open(os.path.join(HERE, '..', '..', 'examples', 'ss7gw.cfg')) as f:
            example = f.read().replace('127.0.0.1:4222', '127.0.0.1:%d' % NATS_PORT)
        start_error(args, env, workdir, 'examples-ss7gw.cfg', example,
                    "cannot reach nats-server at nats://127.0.0.1:%d" % NATS_PORT)
        if not kernel_sctp():
            start_error(args, dict(env, LD_PRELOAD=''), workdir, 'no-sctp.cfg', good,
                        "no kernel SCTP (Protocol not supported): load it ('modprobe sctp')")

        plain = net.Proc('nats-server', [args.nats_server, '-a', '127.0.0.1', '-p', str(NATS_PORT)], workdir,
                         None, stdin=False)
        procs.append(plain)
        check('nats-server (no JetStream) listens', net.wait_until(lambda: net.tcp_listening(NATS_PORT), 5))
        start_error(args, env, workdir, 'no-jetstream.cfg', good, 'start nats-server with -js')
        plain.p.terminate()
        plain.p.wait(5)
        procs.remove(plain)

        ns = net.Proc('nats-server', [args.nats_server, '-a', '127.0.0.1', '-p', str(NATS_PORT), '-js',
                                      '-sd', os.path.join(workdir, 'js')], workdir, None, stdin=False)
        procs.append(ns)
        check('nats-server -js listens', net.wait_until(lambda: net.tcp_listening(NATS_PORT), 5))
        # the bucket exists in memory storage; a configuration asking for file storage is refused
        first = subprocess.Popen([args.ss7gw, 'run', '-c', write(workdir, 'first.cfg', good), '--vty-port', '0'],
                                 env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        time.sleep(1.5)
        first.send_signal(signal.SIGTERM)
        out, err = first.communicate(timeout=15)
        check('a first start creates the bucket, SIGTERM exits 0', first.returncode == 0, err[-600:])
        start_error(args, env, workdir, 'other-storage.cfg',
                    GATEWAY + NATS.replace('{bucket}', 'svc_test').replace('{storage}', 'file'), 'svc_test')

        # --- a good start: the VTY ---
        stp = net.Proc('osmo-stp', [args.osmo_stp, '-c', write(workdir, 'osmo-stp.cfg', OSMO_STP)], workdir, env,
                       stdin=False)
        procs.append(stp)
        check('osmo-stp listens', net.wait_until(lambda: net.tcp_listening(STP_PORT), 5))
        statsd = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        statsd.bind(('127.0.0.1', STATSD_PORT))
        statsd.settimeout(0.5)
        gw = subprocess.Popen([args.ss7gw, 'run', '-c', write(workdir, 'gw.cfg', good + STATS),
                               '--vty-port', str(VTY_PORT)],
                              env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        check('VTY listens', net.wait_until(lambda: net.tcp_listening(VTY_PORT), 10))
        metrics, end = '', time.monotonic() + 6
        want = ('ss7gw.gw.0.events:', 'ss7gw.nats.0.pub.sent:', 'rx.begin:', 'asp.aspac:')
        while time.monotonic() < end and not all(w in metrics for w in want):
            try:
                metrics += statsd.recv(65536).decode(errors='replace') + '\n'
            except socket.timeout:
                pass
        statsd.close()
        check('counters through the statsd reporter: gw, nats, tcap and m3ua-link groups',
              all(w in metrics for w in want), metrics[-800:])
        out = vty('show gateway')
        check('show gateway: instance 3, prefix svc, dialogues by state, kind, waiting',
              'instance 3' in out and 'prefix svc' in out and 'waiting for an application: 0 (max-waiting 77)' in out
              and 'TCAP dialogues alive: 0 (initiation-sent 0, initiation-received 0, active 0, idle 0)' in out
              and 'gateway dialogues: 0 (network-begun 0' in out, out[-800:])
        out = vty('show nats')
        check('show nats: connected to our server', str(NATS_PORT) in out, out[-800:])
        out = vty('show kv')
        check('show kv: the bucket', 'svc_test' in out, out[-800:])
        out = vty('show running-config')
        for line in ('server nats://127.0.0.1:%d' % NATS_PORT, 'subject-prefix svc', 'answer-timeout 2500',
                     'answer-timeout operation mo-ForwardSM 4000', 'default-action overload abort',
                     'max-waiting 77', 'drain-timeout 300', 'bucket svc_test', 'storage memory',
                     'write-delay 25', 'dialogue-state on'):
            check('show running-config: %s' % line, (' ' + line + '\r\n') in out or (' ' + line + '\n') in out,
                  out[-1500:])
        gw.send_signal(signal.SIGTERM)
        out, err = gw.communicate(timeout=15)
        lines = [json.loads(l) for l in out.splitlines() if l.startswith('{')]
        check('SIGTERM: exit 0, drain logged, two counter lines (stack, gateway)',
              gw.returncode == 0 and 'draining' in err and len(lines) == 2 and 'gw' in lines[1] and
              'nats' in lines[1] and 'kv' in lines[1], (gw.returncode, err[-600:], out[-300:]))
    except TimeoutError as e:
        check('finished within 100 s', False, e)
    finally:
        for p in reversed(procs):
            p.stop()
        shutil.rmtree(workdir, ignore_errors=True)
    print('%d passed, %d failed' % (len(net.PASSED), len(net.FAILED)))
    return 1 if net.FAILED else 0


if __name__ == '__main__':
    sys.exit(main())
