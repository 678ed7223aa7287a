#!/usr/bin/env python3
"""The gateway's M3UA link with its AS in override traffic mode, through the real osmo-stp.

One ASP of the AS carries all traffic while the other stands by; when the association of
the active one is lost, the standby takes over and traffic goes on; the lost one comes back.
Same programs, ports and helpers as m3ua_link_test.py. Prints 'N passed, M failed'.
"""
import argparse
import os
import shutil
import signal
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, '..', 'net'))
import m3ua_stp_test as net  # noqa: E402
import m3ua_link_test as m3  # noqa: E402

check = net.check


def carried(a0, a1):
    return {k: a1[k][1] - a0.get(k, (0, 0, 0))[1] for k in a1}


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--shim', required=True)
    ap.add_argument('--probe', required=True)
    ap.add_argument('--asp', required=True)
    ap.add_argument('--osmo-stp', default='osmo-stp')
    ap.add_argument('--messages', type=int, default=500)
    args = ap.parse_args()
    args.probe, args.asp = os.path.abspath(args.probe), os.path.abspath(args.asp)
    signal.signal(signal.SIGALRM, lambda *_: (_ for _ in ()).throw(TimeoutError('60 s')))
    signal.alarm(60)
    workdir = tempfile.mkdtemp(prefix='m3ua_override.')
    env = dict(os.environ, LD_PRELOAD=os.path.abspath(args.shim),
               ASAN_OPTIONS=os.environ.get('ASAN_OPTIONS', '') + ':verify_asan_link_order=0')
    procs, n = [], args.messages
    try:
        busy = [p for p in range(32910, 32915) if net.tcp_listening(p)]
        if not check('test ports free', not busy, busy):
            return 1
        stp = net.Proc('osmo-stp', [args.osmo_stp, '-c', os.path.join(HERE, 'osmo-stp-override.cfg')],
                       workdir, env, stdin=False)
        procs.append(stp)
        check('osmo-stp listens', net.wait_until(lambda: net.tcp_listening(m3.STP_PORT), 5))
        p = m3.start_p(args, workdir, env)
        g = net.Proc('G', [args.probe, os.path.join(HERE, 'gateway-override.cfg')], workdir, env)
        procs += [g, p]
        check('G: link up', g.wait_for('LINK UP', 15), g.stderr()[-400:])
        check('P: ASP active', p.wait_for('STATE ACTIVE', 15))
        net.wait_until(lambda: sum(a[0] for a in m3.asps(g).values()) == 1, 5, 0.2)
        a0 = m3.asps(g)
        active = [k for k, a in a0.items() if a[0]]
        check('override: exactly one of G\'s ASPs is active %s' % active, len(active) == 1, a0)
        m3.transfer(g, p, n, 0, 'override', m3.P_PC)
        a1 = m3.asps(g)
        share = carried(a0, a1)
        check('override: the active ASP carries everything %s' % share,
              active and share.get(active[0], 0) >= n and sum(share.values()) == share.get(active[0], 0), share)
        m3.transfer(p, g, n, 0, 'override, P to G')

        if active:
            standby = [k for k in a1 if k != active[0]][0]
            g.send('kill %s' % active[0])
            g.wait_for('KILLED', 5)
            check('%s lost: %s takes over, the link stays up' % (active[0], standby), net.wait_until(
                lambda: m3.asps(g).get(standby, (False,))[0], 5, 0.2) and
                not any(l == 'LINK DOWN' for l in list(g.lines.queue)), m3.asps(g))
            a2 = m3.asps(g)
            m3.transfer(g, p, n, 1000000, 'after the takeover', m3.P_PC, rx_before=1 + n - 1)
            a3 = m3.asps(g)
            check('after the takeover: all over %s' % standby,
                  carried(a2, a3).get(standby, 0) >= n, carried(a2, a3))
            check('%s comes back within 10 s' % active[0], net.wait_until(
                lambda: active[0] in m3.asps(g), 10, 0.3))
        for x in (g, p):
            x.send('quit')
        check('G exits cleanly', g.p.wait(5) == 0, g.stderr()[-500:])
    except TimeoutError as e:
        check('finished within 60 s', False, e)
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
