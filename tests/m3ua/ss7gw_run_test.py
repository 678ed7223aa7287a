#!/usr/bin/env python3
"""`ss7gw run` against the real osmo-stp over libsctp2tcp.so: a bad configuration, or a host
without kernel SCTP and no shim, exits 2 with one clear line; a good one (tests/m3ua/gateway.cfg) reaches link up, prints JSON events,
answers `show cs7 instance 0 asp` on its telnet VTY, counts what P sends it, and exits 0 on
SIGTERM. Prints 'N passed, M failed'."""
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
import m3ua_stp_test as net  # noqa: E402

STP_PORT, P_PORT, VTY = 32910, 32913, ('127.0.29.6', 32914)
check = net.check


def bad_config(args, workdir, env, name, text, expect):
    path = os.path.join(workdir, name)
    if text is not None:
        with open(path, 'w') as f:
            f.write(text)
    r = subprocess.run([args.ss7gw, 'run', '-c', path], env=env, capture_output=True, text=True,
                       timeout=10)
    last = [l for l in r.stderr.splitlines() if l.startswith('ss7gw:')]
    check('ss7gw run, %s: exit 2, one clear line' % name,
          r.returncode == 2 and len(last) == 1 and expect in last[0], (r.returncode, r.stderr[-400:]))


def kernel_sctp():
    try:
        socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_SCTP).close()
        return True
    except OSError:
        return False


def vty_command(cmd, timeout=5):
    """One command on the telnet VTY: wait for the prompt, send, read up to the next one."""
    s = socket.create_connection(VTY, timeout=timeout)
    out, end = b'', time.monotonic() + timeout

    def read_prompt(start):
        nonlocal out
        while time.monotonic() < end and not out[start:].rstrip().endswith(b'>'):
            chunk = s.recv(4096)
            if not chunk:
                break
            out += chunk
    try:
        read_prompt(0)
        mark = len(out)
        s.sendall((cmd + '\r\n').encode())
        read_prompt(mark)
    except socket.timeout:
        pass
    s.close()
    return out.decode(errors='replace')


def events(proc, kind, timeout):
    """The next JSON event line of that kind, as a dict, or None."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        line = proc.wait_for('{', end - time.monotonic())
        if line is None:
            return None
        ev = json.loads(line)
        if ev.get('event') == kind:
            return ev
    return None


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--shim', required=True)
    ap.add_argument('--ss7gw', required=True)
    ap.add_argument('--asp', required=True)
    ap.add_argument('--osmo-stp', default='osmo-stp')
    args = ap.parse_args()
    args.ss7gw, args.asp = os.path.abspath(args.ss7gw), os.path.abspath(args.asp)
    if os.sep in args.osmo_stp:
        args.osmo_stp = os.path.abspath(args.osmo_stp)
    signal.signal(signal.SIGALRM, lambda *_: (_ for _ in ()).throw(TimeoutError('50 s')))
    signal.alarm(50)
    workdir = tempfile.mkdtemp(prefix='ss7gw_run.')
    env = dict(os.environ, LD_PRELOAD=os.path.abspath(args.shim),
               ASAN_OPTIONS=os.environ.get('ASAN_OPTIONS', '') + ':verify_asan_link_order=0')
    procs = []
    try:
        busy = [p for p in range(32910, 32915) if net.tcp_listening(p)]
        if not check('test ports free', not busy, busy):
            return 1
        bad_config(args, workdir, env, 'missing.cfg', None, 'cannot open')
        bad_config(args, workdir, env, 'unknown-command.cfg',
                   'cs7 instance 0\n point-code 1.2.1\n no-such-command 3\n', 'bad configuration')
        bad_config(args, workdir, env, 'no-asp.cfg', 'cs7 instance 0\n point-code 1.2.1\n',
                   'no cs7 instance 0 with an asp')
        with open(os.path.join(HERE, 'gateway.cfg')) as f:
            link_only = f.read()
        bad_config(args, workdir, env, 'no-ssn.cfg', link_only, 'sccp-node serves no ssn')
        # the link's configuration, plus the SCCP node the service needs on top
        good = link_only + '!\nsccp-node\n local-gt 491700001201 tt 0 np 1 nai 4\n ssn 6\n'
        run_cfg = os.path.join(workdir, 'gateway-run.cfg')
        with open(run_cfg, 'w') as f:
            f.write(good)
        bad_config(args, workdir, env, 'bad-audit-pc.cfg',
                   good.replace('audit-pc 1.2.7', 'audit-pc 9.999.9'), 'm3ua link refused')
        if kernel_sctp():
            print('skip: this host has kernel SCTP, so the no-SCTP line cannot show')
        else:
            no_shim = {k: v for k, v in env.items() if k != 'LD_PRELOAD'}
            bad_config(args, workdir, no_shim, 'gateway-run.cfg', good,
                       "no kernel SCTP (Protocol not supported): load it ('modprobe sctp'), or "
                       "carry M3UA over TCP with LD_PRELOAD=libsctp2tcp.so")

        stp = net.Proc('osmo-stp', [args.osmo_stp, '-c', os.path.join(HERE, 'osmo-stp.cfg')],
                       workdir, env, stdin=False)
        procs.append(stp)
        check('osmo-stp listens', net.wait_until(lambda: net.tcp_listening(STP_PORT), 5))
        gw = net.Proc('ss7gw', [args.ss7gw, 'run', '-c', run_cfg],
                      workdir, env)
        procs.append(gw)
        ev = events(gw, 'link', 15)
        check('ss7gw run: {"event":"link","state":"up"}', ev == {'event': 'link', 'state': 'up'},
              (ev, gw.stderr()[-500:]))
        ev = events(gw, 'pc', 5)
        check('ss7gw run: DAUD answer as {"event":"pc","pc":"1.2.7","state":"unavailable"}',
              ev == {'event': 'pc', 'pc': '1.2.7', 'state': 'unavailable'}, ev)
        out = vty_command('show cs7 instance 0 asp')
        check('telnet VTY on %s:%d answers show cs7 instance 0 asp' % VTY,
              'asp-G1' in out and 'asp-G2' in out and 'ASP_ACTIVE' in out, out[-600:])

        p = net.Proc('P', [args.asp, 'P', '1.2.2', '1.2.1', '20', str(P_PORT), str(STP_PORT)],
                     workdir, env)
        procs.append(p)
        if check('P active', p.wait_for('STATE ACTIVE', 10)):
            p.send('send 500 0')
            check('P sent 500', p.wait_for('SENT', 20))
        time.sleep(0.5)
        gw.p.send_signal(signal.SIGTERM)
        rc = gw.p.wait(10)
        ev = events(gw, 'counters', 2)
        check('SIGTERM: exit 0 with counters, rx:msgs=500', rc == 0 and ev and
              ev.get('m3ua', {}).get('rx:msgs') == 500, (rc, ev, gw.stderr()[-300:]))
        p.send('quit')
    except TimeoutError as e:
        check('finished within 50 s', False, e)
    finally:
        signal.alarm(0)
        for x in procs:
            x.stop()
        print('%d passed, %d failed' % (len(net.PASSED), len(net.FAILED)), flush=True)
        if net.FAILED:
            print('logs kept in ' + workdir)
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    return 1 if net.FAILED else 0


if __name__ == '__main__':
    sys.exit(main())
