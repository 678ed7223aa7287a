#!/usr/bin/env python3
"""The gateway's M3UA link (src/m3ua) through the real osmo-stp, over libsctp2tcp.so.

G is m3ua_link_probe (the link, configured by tests/m3ua/gateway.cfg: one AS, two client
ASPs, loadshare); P is tests/net's m3ua_asp. Checked: traffic both ways over both ASPs, an
ASP association lost and traffic continuing on the other, DAUD answered, DUNA/DAVA when P
goes and comes back (-EHOSTUNREACH meanwhile), -EMSGSIZE at the library's bound, an unpaced
burst kept bounded by -ENOBUFS and delivered intact, an osmo-stp restart, the M3UA on the wire
decoded by tshark, and a benchmark line. Every wait is bounded; prints 'N passed, M failed'.
"""
import argparse
import os
import shutil
import signal
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, '..', 'net'))
sys.path.insert(0, os.path.join(HERE, '..', 'tools'))
import m3ua_stp_test as net  # noqa: E402  (Proc, check)
import capture  # noqa: E402  (live captures, TCP reassembly, SCTP wrapping for tshark)

STP_PORT, G1_PORT, G2_PORT, P_PORT, GVTY_PORT = 32910, 32911, 32912, 32913, 32914
G_PC, P_PC, NOROUTE_PC = '1.2.1', '1.2.2', '1.2.7'
check = net.check


def start_stp(args, workdir, env):
    stp = net.Proc('osmo-stp', [args.osmo_stp, '-c', os.path.join(HERE, 'osmo-stp.cfg')],
                   workdir, env, stdin=False)
    ok = net.wait_until(lambda: net.tcp_listening(STP_PORT) or stp.p.poll() is not None, 5)
    check('osmo-stp listens on 127.0.0.1:%d' % STP_PORT, ok and stp.p.poll() is None,
          stp.stderr()[-500:])
    return stp


def start_p(args, workdir, env):
    return net.Proc('P', [args.asp, 'P', P_PC, G_PC, '20', str(P_PORT), str(STP_PORT)],
                    workdir, env)


def stats(proc, timeout=5):
    proc.send('stats')
    line = proc.wait_for('STATS', timeout) or ''
    return dict(kv.split('=') for kv in line.split()[1:])


def asps(g):
    g.send('asps')
    out = {}
    end = time.monotonic() + 5
    while time.monotonic() < end:
        line = g.wait_for('ASP', 5)
        if not line or line == 'ASPS':
            break
        name, active, tx, rx = line.split()[1:]
        out[name] = (active == '1', int(tx), int(rx))
    return out


def transfer(src, dst, count, first, label, dpc=None, rx_before=0, bad_ok=0):
    """src sends count numbered payloads from first; dst must get them all intact."""
    dst.send('expect %d' % (rx_before + count))
    src.send('send %d %d%s' % (count, first, ' ' + dpc if dpc else ''))
    sent = src.wait_for('SENT', 30)
    done = dst.wait_for('DONE', 10 if sent else 0.1)
    ok = done and int(done.split()[4]) == bad_ok
    check('%s: %d MTP-TRANSFERs %s -> osmo-stp -> %s intact' % (label, count, src.name, dst.name),
          ok, 'sent=%r done=%r' % (sent, done))
    return (int(sent.split()[-2]), int(done.split()[3]), done) if ok else None


def check_capture(cap, workdir):
    msgs, gaps = capture.m3ua_messages(cap.pcap)
    cap.check_whole(gaps)
    rc, rows, err = capture.tshark_fields(capture.sctp_pcap(msgs, workdir),
                                          ['m3ua.message_class', 'm3ua.message_type',
                                           '_ws.malformed', '_ws.expert.severity'],
                                          ['--disable-protocol', 'sccp'])
    decoded = [r for r in rows if r[0]]
    problems = [r for r in rows if r[2] or r[3]]
    check('capture: tshark decodes all %d M3UA messages, none malformed' % len(msgs),
          rc == 0 and msgs and len(decoded) == len(msgs) and not problems,
          'rc=%d decoded=%d problems=%s %s' % (rc, len(decoded), problems[:3], err[:200]))
    snm = {t for c, t, *_ in decoded if c == '2'}
    check('capture: DUNA, DAVA and the gateway\'s DAUD on the wire (SSNM types %s)'
          % sorted(snm), {'1', '2', '3'} <= snm, snm)


def wait_pc(g, pc, state, timeout, label):
    line = g.wait_for('PC %s %s' % (pc, state), timeout)
    check('%s: G told PC %s %s' % (label, pc, state), line, line)
    return line


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--shim', required=True)
    ap.add_argument('--probe', required=True)
    ap.add_argument('--asp', required=True)
    ap.add_argument('--osmo-stp', default='osmo-stp')
    ap.add_argument('--messages', type=int, default=1000)
    ap.add_argument('--burst', type=int, default=200000)
    ap.add_argument('--bench', type=int, default=20000)
    ap.add_argument('--no-capture', action='store_true')
    ap.add_argument('--keep', action='store_true')
    args = ap.parse_args()
    args.probe, args.asp = os.path.abspath(args.probe), os.path.abspath(args.asp)
    if os.sep in args.osmo_stp:
        args.osmo_stp = os.path.abspath(args.osmo_stp)

    signal.signal(signal.SIGALRM, lambda *_: (_ for _ in ()).throw(TimeoutError('80 s')))
    signal.alarm(80)
    workdir = tempfile.mkdtemp(prefix='m3ua_link.')
    env = dict(os.environ, LD_PRELOAD=os.path.abspath(args.shim),
               ASAN_OPTIONS=os.environ.get('ASAN_OPTIONS', '') + ':verify_asan_link_order=0')
    procs, cap = [], None
    n = args.messages
    try:
        busy = [p for p in range(32910, 32915) if net.tcp_listening(p)]
        if not check('test ports free', not busy, busy):
            return 1
        if not args.no_capture:
            cap = capture.LoCapture(net.Proc, workdir, 'tcp port %d' % STP_PORT, check)
            if not cap.start():
                cap.close()
                cap = None

        stp = start_stp(args, workdir, env)
        procs.append(stp)
        p = start_p(args, workdir, env)
        g = net.Proc('G', [args.probe, os.path.join(HERE, 'gateway.cfg')], workdir, env)
        procs += [g, p]
        check('G: link up (AS active over its ASPs)', g.wait_for('LINK UP', 15), g.stderr()[-400:])
        check('P: ASP active', p.wait_for('STATE ACTIVE', 15))
        wait_pc(g, NOROUTE_PC, 'unavailable', 5, 'DAUD answered (no route in osmo-stp)')

        # the library's size bound
        g.send('try 1505 %s' % P_PC)
        check('1505-octet payload refused with -EMSGSIZE', g.wait_for('RC', 5) == 'RC EMSGSIZE')
        g.send('try 1504 %s' % P_PC)
        check('1504-octet payload accepted', g.wait_for('RC', 5) == 'RC 0')
        check('1504-octet payload relayed by osmo-stp to P', net.wait_until(
            lambda: stats(p).get('rx') == '1', 5))

        # loadshare both ways
        a0 = asps(g)
        r = transfer(g, p, n, 0, 'loadshare', P_PC, rx_before=1, bad_ok=1)
        a1 = asps(g)
        share = {k: a1[k][1] - a0.get(k, (0, 0, 0))[1] for k in a1}
        check('loadshare: both ASPs of G carry the traffic %s' % share,
              len(share) == 2 and all(v >= n // 4 for v in share.values()), share)
        if r:
            print('note - P saw %s of %d messages out of sequence: libosmo-sigtran 1.6.0 '
                  'round-robins loadshare per message, ignoring the SLS' % (r[2].split()[5], n))
        transfer(p, g, n, 0, 'P to G')

        # one association lost: traffic continues on the other
        g.send('kill asp-G1')
        g.wait_for('KILLED', 5)
        check('asp-G1 down, link stays up', net.wait_until(
            lambda: not asps(g).get('asp-G1', (True,))[0], 5) and
            not any(l == 'LINK DOWN' for l in list(g.lines.queue)))
        a0 = asps(g)
        transfer(g, p, n, 1000000, 'one ASP lost', P_PC, rx_before=1 + n, bad_ok=1)
        a1 = asps(g)
        check('one ASP lost: all over asp-G2', a1['asp-G2'][1] - a0['asp-G2'][1] >= n
              and a1['asp-G1'][1] == a0['asp-G1'][1], (a0, a1))
        check('asp-G1 back within 10 s (library reconnects after 5 s)', net.wait_until(
            lambda: asps(g).get('asp-G1', (False,))[0], 10, 0.3))

        # the peer goes: DUNA; comes back: DAVA
        p.send('quit')
        p.p.wait(5)
        procs.remove(p)
        wait_pc(g, P_PC, 'unavailable', 5, 'P gone, DUNA')
        g.send('try 100 %s' % P_PC)
        check('P unavailable: transfer_req gives -EHOSTUNREACH',
              g.wait_for('RC', 5) == 'RC EHOSTUNREACH')
        p = start_p(args, workdir, env)
        procs.append(p)
        check('P back: ASP active', p.wait_for('STATE ACTIVE', 10))
        wait_pc(g, P_PC, 'available', 5, 'P back, DAVA')
        transfer(g, p, n, 0, 'after DAVA', P_PC)

        if cap:
            cap.stop()
            check_capture(cap, workdir)
            cap.close()
            cap = None

        # unpaced burst: bounded by the send queue, every accepted message intact
        g.send('burst %d %d %s' % (args.burst, n, P_PC))
        b = g.wait_for('BURST', 40)
        if check('burst of %d requests ends' % args.burst, b):
            tried, acc, enobufs, maxq, hwm_kb = map(int, b.split()[1:])
            st = stats(g)
            check('burst: queue bound 1000 held (max %d), %d -ENOBUFS counted, VmHWM %d KiB'
                  % (maxq, enobufs, hwm_kb), maxq <= 1000 and enobufs > 0 and
                  int(st['tx:drop:enobufs']) >= enobufs and hwm_kb < 200 * 1024, (b, st))
            p.send('expect %d' % (n + acc))
            done = p.wait_for('DONE', 20)
            check('burst: all %d accepted messages arrive intact' % acc,
                  done and done.split()[4] == '0', done)

        # osmo-stp restart
        stp.stop(signal.SIGKILL)
        procs.remove(stp)
        check('osmo-stp killed: G link down', g.wait_for('LINK DOWN', 5))
        stp = start_stp(args, workdir, env)
        procs.append(stp)
        check('osmo-stp restarted: G link up again', g.wait_for('LINK UP', 20))
        check('osmo-stp restarted: P active again', p.wait_for('STATE ACTIVE', 20))
        rx = int(stats(p)['rx'])
        transfer(g, p, n, 0, 'after osmo-stp restart', P_PC, rx_before=rx)

        if args.bench:
            rx = int(stats(p)['rx'])
            cpu0 = [x.cpu_ns() for x in (stp, g, p)]
            r = transfer(g, p, args.bench, 0, 'benchmark G -> P', P_PC, rx_before=rx)
            cpu1 = [x.cpu_ns() for x in (stp, g, p)]
            if r:
                secs = (r[1] - r[0]) / 1e9
                us = [(c1 - c0) / 1e3 / args.bench for c0, c1 in zip(cpu0, cpu1)]
                print('bench - G sends %d in %.3f s = %.0f msg/s; CPU per message: G %.1f us '
                      '(link send), osmo-stp %.1f us (relay), P %.1f us (receive)'
                      % (args.bench, secs, args.bench / secs, us[1], us[0], us[2]), flush=True)
            rx = int(stats(g)['rx'])
            cpu0 = [x.cpu_ns() for x in (stp, g, p)]
            r = transfer(p, g, args.bench, 0, 'benchmark P -> G', rx_before=rx)
            cpu1 = [x.cpu_ns() for x in (stp, g, p)]
            if r:
                secs = (r[1] - r[0]) / 1e9
                us = [(c1 - c0) / 1e3 / args.bench for c0, c1 in zip(cpu0, cpu1)]
                print('bench - G receives %d in %.3f s = %.0f msg/s; CPU per message: G %.1f us '
                      '(link receive), osmo-stp %.1f us (relay), P %.1f us (send)'
                      % (args.bench, secs, args.bench / secs, us[1], us[0], us[2]), flush=True)
        for x in (g, p):
            x.send('quit')
        check('G exits cleanly', g.p.wait(5) == 0, g.stderr()[-500:])
    except TimeoutError as e:
        check('finished within 80 s', False, e)
    finally:
        signal.alarm(0)
        for x in procs:
            x.stop()
        if cap:
            cap.close()
        print('%d passed, %d failed' % (len(net.PASSED), len(net.FAILED)), flush=True)
        if net.FAILED or args.keep:
            print('logs kept in ' + workdir)
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    return 1 if net.FAILED else 0


if __name__ == '__main__':
    sys.exit(main())
