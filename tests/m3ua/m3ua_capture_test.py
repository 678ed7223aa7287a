#!/usr/bin/env python3
"""The gateway's pcap capture of its M3UA (src/m3ua/m3ua_capture.c): `ss7gw run`, the real
osmo-stp and a peer P (tests/net/m3ua_asp) over libsctp2tcp.so, ports 33100-33104.
  1. the dynamic linker binds libosmo-netif's sctp_send and libosmo-sigtran's sctp_recvmsg to
     ss7gw, whose next definition is libsctp's without the shim (production), the shim's with it;
  2. capture enabled in the configuration file: tshark reads M3UA in SCTP (PPID 3) in IPv4 with
     the associations' addresses and ports, good checksums, no malformed frame: ASPUP, ASPUP Ack,
     ASPAC, ASPAC Ack on both associations, DAUD out and DUNA in, and N UDTs in and N UDTS out
     as DATA; nothing of the telnet VTY used meanwhile;
  3. `capture stop` on the telnet VTY: nothing more is written; `capture start`: a new file with
     exactly the traffic since, the previous one kept as m3ua.pcap.1;
  4. `configure terminal`, `m3ua-link`, `capture file rot.pcap`, `capture max-size 16 kb`,
     `capture max-files 3`, `capture enable`: rot.pcap and rot.pcap.1-3 and no more, each at
     most 16 KiB and read by tshark; `show m3ua-link capture`, `show running-config` tell it;
  5. a path in a missing directory, at run time and in the configuration file, and a file size
     limit reached mid-run (RLIMIT_FSIZE): one log line each, counted, capture off, the file left
     readable, the gateway serving on and exiting 0 with the counters.
Prints 'N passed, M failed'."""
import argparse
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, '..', 'net'))
sys.path.insert(0, os.path.join(HERE, '..', 'e2e'))
import m3ua_stp_test as net  # noqa: E402  (Proc, check, tcp_listening, wait_until)
import e2e_test as e2e  # noqa: E402  (SCCP octets: udt, addr_pc_ssn)

STP_PORT, G_PORTS, P_PORT, VTY = 33100, (33101, 33102), 33103, ('127.0.33.1', 33104)
PC_GW, PC_P = 2065, 2066          # 1.2.1, 1.2.2 (3.8.3)
NO_DIR = '/nonexistent-ss7gw-capture-test'
FSIZE_LIMIT = 100 * 1024
check = net.check

# A UDT from P to an SSN the gateway does not serve, return option set: the gateway answers
# each with a UDTS, so that DATA goes both ways.
UDT = e2e.udt(e2e.addr_pc_ssn(PC_GW, 99), e2e.addr_pc_ssn(PC_P, 8),
              bytes.fromhex('6206480400000001'))


class Vty:
    """A telnet VTY session: each command's output, up to the next prompt."""

    def __init__(self, timeout=5):
        self.s = socket.create_connection(VTY, timeout=timeout)
        self.timeout = timeout
        self._read()

    def _read(self):
        out, end = b'', time.monotonic() + self.timeout
        while time.monotonic() < end and not re.search(rb'[>#] $', out):
            chunk = self.s.recv(4096)
            if not chunk:
                break
            out += chunk
        return out.decode(errors='replace')

    def cmd(self, line):
        self.s.sendall((line + '\r\n').encode())
        return self._read()

    def close(self):
        self.s.close()


def tshark(pcap, fields, extra=()):
    r = subprocess.run(['tshark', '-r', pcap, '-o', 'sctp.checksum:crc-32c',
                        '-o', 'ip.check_checksum:TRUE', '-T', 'fields', '-E', 'separator=;']
                       + [x for f in fields for x in ('-e', f)] + list(extra),
                       capture_output=True, text=True, timeout=60)
    return r.returncode, [l.split(';') for l in r.stdout.splitlines()], r.stderr


FIELDS = ['ip.src', 'ip.dst', 'sctp.srcport', 'sctp.dstport', 'sctp.data_payload_proto_id',
          'm3ua.message_class', 'm3ua.message_type', 'sccp.message_type', 'sctp.checksum.status',
          'ip.checksum.status', '_ws.malformed', '_ws.expert.severity', 'frame.time_epoch']


def frames(pcap):
    """(rc, [dict per frame], stderr) of tshark on one capture file."""
    rc, rows, err = tshark(pcap, FIELDS)
    return rc, [dict(zip(FIELDS, r)) for r in rows], err


def sound(rc, fr, err):
    """Every frame M3UA in SCTP DATA with PPID 3, good checksums, nothing malformed."""
    bad = [f for f in fr if not f['m3ua.message_class'] or f['sctp.data_payload_proto_id'] != '3'
           or f['sctp.checksum.status'] != '1' or f['ip.checksum.status'] != '1'
           or f['_ws.malformed'] or f['_ws.expert.severity']]
    return rc == 0 and not err.strip().replace('Running as user "root" and group "root". '
                                               'This could be dangerous.', '') and not bad, bad[:3]


def kind(f):
    return int(f['m3ua.message_class']), int(f['m3ua.message_type'])


def outbound(f):
    return int(f['sctp.dstport']) == STP_PORT


def data_counts(fr):
    """DATA frames (gateway -> STP, STP -> gateway)."""
    d = [f for f in fr if kind(f) == (1, 1)]
    return sum(1 for f in d if outbound(f)), sum(1 for f in d if not outbound(f))


def exchange(p, n, label):
    """P sends n UDTs to the gateway and gets n UDTS back."""
    for i in range(n):
        p.send('raw %d %d %s' % (PC_GW, i % 16, UDT.hex()))
    got = 0
    while got < n and p.wait_for('RX %d ' % PC_GW, 10):
        got += 1
    return check('%s: %d UDTs from P answered by %d UDTS' % (label, n, n), got == n, got)


def show_counters(vty):
    out = vty.cmd('show m3ua-link capture')
    m = re.search(r'packets (\d+), octets (\d+), drops (\d+), write-errors (\d+), '
                  r'rotations (\d+)', out)
    return out, (dict(zip(('packets', 'octets', 'drops', 'write-errors', 'rotations'),
                          map(int, m.groups()))) if m else {})


def log_lines(gw, text):
    return [l for l in gw.stderr().splitlines() if text in l]


def test_bindings(args, env):
    """Where the libraries' calls go: ss7gw first, then libsctp or the shim."""
    for shim in (False, True):
        e = dict(env, LD_BIND_NOW='1', LD_DEBUG='bindings')
        if not shim:
            e.pop('LD_PRELOAD', None)
        r = subprocess.run([args.ss7gw, 'run', '-c', os.path.join(NO_DIR, 'x.cfg')], env=e,
                           capture_output=True, text=True, timeout=30)
        lines = r.stderr.splitlines()

        def bound(frm, sym, to):
            return any(frm in l and ('to %s ' % to) in l and ("`%s'" % sym) in l for l in lines)
        gw = args.ss7gw
        nxt = os.path.abspath(args.shim) if shim else 'libsctp.so.1'
        ok = (bound('libosmonetif.so', 'sctp_send', gw) and bound('libosmonetif.so', 'sctp_recvmsg', gw)
              and bound('libosmo-sigtran.so', 'sctp_recvmsg', gw)
              and any(re.search(r'binding file %s \[0\] to \S*%s \[0\]: normal symbol `sctp_send\''
                                % (re.escape(gw), re.escape(nxt)), l) for l in lines)
              and any(re.search(r'binding file %s \[0\] to \S*%s \[0\]: normal symbol `sctp_recvmsg\''
                                % (re.escape(gw), re.escape(nxt)), l) for l in lines))
        check('%s: libosmo-netif sctp_send, libosmo-netif/-sigtran sctp_recvmsg -> ss7gw -> %s'
              % ('with the shim' if shim else 'without the shim (kernel SCTP)',
                 os.path.basename(nxt)), ok,
              [l for l in lines if 'sctp_send' in l or 'sctp_recvmsg' in l][:8])


def start_gw(args, workdir, env, cfg, name, fsize=None):
    argv = [args.ss7gw, 'run', '-c', cfg]
    if fsize:
        # python ignores SIGXFSZ, and an exec'ed program would inherit that: the default back,
        # so that the gateway has to ignore it itself
        argv = [sys.executable, '-c', 'import os, resource, signal, sys; n = int(sys.argv[1]); '
                'resource.setrlimit(resource.RLIMIT_FSIZE, (n, n)); '
                'signal.signal(signal.SIGXFSZ, signal.SIG_DFL); os.execv(sys.argv[2], sys.argv[2:])',
                str(fsize)] + argv
    gw = net.Proc(name, argv, workdir, env)
    ev = None
    end = time.monotonic() + 15
    while time.monotonic() < end:
        line = gw.wait_for('{', end - time.monotonic())
        if line is None:
            break
        ev = json.loads(line)
        if ev.get('event') == 'pc' and ev.get('pc') == '1.2.7':
            break       # link up and the DAUD answered
    check('%s: link up, DAUD answered' % name, ev == {'event': 'pc', 'pc': '1.2.7',
                                                      'state': 'unavailable'},
          (ev, gw.stderr()[-500:]))
    return gw


def start_p(args, workdir, env, procs):
    p = net.Proc('P', [args.asp, 'P', '1.2.2', '1.2.1', '20', str(P_PORT), str(STP_PORT)],
                 workdir, env)
    procs.append(p)
    if not check('P active', p.wait_for('STATE ACTIVE', 10)):
        return None
    p.send('rawmode')
    return p


def stop_gw(gw, label):
    gw.p.send_signal(signal.SIGTERM)
    try:
        rc = gw.p.wait(10)
    except subprocess.TimeoutExpired:
        rc = None
    line = gw.wait_for('{"event":"counters"', 2)
    cap = json.loads(line).get('capture', {}) if line else {}
    check('%s: SIGTERM: exit 0, counters printed' % label, rc == 0 and cap, (rc, gw.stderr()[-400:]))
    err = gw.stderr()
    check('%s: no sanitizer report' % label, 'Sanitizer' not in err and 'runtime error' not in err,
          err[-600:])
    return cap


def phase_config(workdir, vty, p, n):
    """2. The file the configuration started, up to `capture stop`."""
    exchange(p, n, 'capture from the configuration')
    vty.cmd('show cs7 instance 0 asp')      # the telnet VTY in use while capturing
    out = vty.cmd('capture stop')
    _, ctr = show_counters(vty)
    pcap = os.path.join(workdir, 'm3ua.pcap')
    rc, fr, err = frames(pcap)
    ok, bad = sound(rc, fr, err)
    check('m3ua.pcap: %d frames, each M3UA in SCTP DATA PPID 3 in IPv4, checksums good, none '
          'malformed' % len(fr), fr and ok, (rc, bad, err[-300:], out))
    check('m3ua.pcap: as many frames as the packets counter', len(fr) == ctr.get('packets'),
          (len(fr), ctr))
    pairs = {(33101, 33100), (33100, 33101), (33102, 33100), (33100, 33102)}
    stray = [f for f in fr if f['ip.src'] != '127.0.0.1' or f['ip.dst'] != '127.0.0.1'
             or (int(f['sctp.srcport']), int(f['sctp.dstport'])) not in pairs]
    check('m3ua.pcap: only the two associations, 127.0.0.1:33101/33102 <-> 127.0.0.1:33100 '
          '(nothing of the telnet VTY)', fr and not stray, stray[:3])
    for port in G_PORTS:
        seen = [(kind(f), outbound(f)) for f in fr if port in (int(f['sctp.srcport']),
                                                                int(f['sctp.dstport']))]
        want = [((3, 1), True), ((3, 4), False), ((4, 1), True), ((4, 3), False)]
        idx = [seen.index(w) if w in seen else -1 for w in want]
        check('association :%d: ASPUP out, ASPUP Ack in, ASPAC out, ASPAC Ack in, in that order'
              % port, -1 not in idx and idx == sorted(idx), seen[:8])
    check('m3ua.pcap: DAUD out, DUNA in', any(kind(f) == (2, 3) and outbound(f) for f in fr)
          and any(kind(f) == (2, 1) and not outbound(f) for f in fr))
    d = [f for f in fr if kind(f) == (1, 1)]
    udt_in = sum(1 for f in d if not outbound(f) and f['sccp.message_type'] == '0x09')
    udts_out = sum(1 for f in d if outbound(f) and f['sccp.message_type'] == '0x0a')
    check('m3ua.pcap: %d DATA in (UDT) and %d DATA out (UDTS), no other DATA' % (n, n),
          udt_in == n and udts_out == n and len(d) == 2 * n, (udt_in, udts_out, len(d)))
    return ctr


def phase_toggle(workdir, vty, p, n):
    """3. `capture stop`/`capture start` at run time (enable node)."""
    pcap = os.path.join(workdir, 'm3ua.pcap')
    with open(pcap, 'rb') as f:
        before = f.read()
    out, c0 = show_counters(vty)
    check('show m3ua-link capture: off after capture stop', out.count('capture off') == 1, out)
    exchange(p, n, 'capture stopped')
    time.sleep(1.2)     # past the once-a-second write-out
    _, c1 = show_counters(vty)
    with open(pcap, 'rb') as f:
        check('capture stopped: file and packets counter unchanged by the traffic',
              f.read() == before and c1.get('packets') == c0.get('packets'), (c0, c1))
    out = vty.cmd('capture start')
    check('capture start: no complaint, capture on', '%' not in out and
          'capture on' in vty.cmd('show m3ua-link capture'), out)
    with open(pcap + '.1', 'rb') as f:
        check('capture start: the previous file kept as m3ua.pcap.1', f.read() == before)
    exchange(p, n, 'capture restarted')
    out = vty.cmd('capture stop')
    _, c2 = show_counters(vty)
    rc, fr, err = frames(pcap)
    ok, bad = sound(rc, fr, err)
    check('new m3ua.pcap: exactly the %d UDTs and %d UDTS since capture start' % (n, n),
          ok and data_counts(fr) == (n, n) and len(fr) == c2['packets'] - c1['packets'],
          (rc, bad, data_counts(fr), len(fr), c1, c2, err[-200:]))


def phase_rotation(workdir, vty, p, n):
    """4. Settings changed live in `configure terminal`, then rotation."""
    _, c0 = show_counters(vty)
    outs = [vty.cmd(c) for c in ('configure terminal', 'm3ua-link', 'capture max-size 16 kb',
                                 'capture max-files 3', 'capture file rot.pcap',
                                 'capture enable', 'end')]
    check('configure terminal: m3ua-link capture settings taken', not any('%' in o for o in outs),
          outs)
    exchange(p, n, 'rotation traffic')
    out, c1 = show_counters(vty)
    run = vty.cmd('show running-config')
    check('show running-config: the capture as configured live',
          all(l in run for l in (' capture file rot.pcap', ' capture max-size 16 kb',
                                 ' capture max-files 3', ' capture enable')), run[-600:])
    vty.cmd('capture stop')
    rot = c1.get('rotations', 0) - c0.get('rotations', 0)
    files = sorted(f for f in os.listdir(workdir) if f.startswith('rot.pcap'))
    check('rotation at 16 KiB: %d rotations, rot.pcap and rot.pcap.1-3 kept, no more' % rot,
          rot >= 4 and files == ['rot.pcap', 'rot.pcap.1', 'rot.pcap.2', 'rot.pcap.3'], (rot, files))
    last_t, total = 0.0, 0
    for name in ('rot.pcap.3', 'rot.pcap.2', 'rot.pcap.1', 'rot.pcap'):
        path = os.path.join(workdir, name)
        if not check('%s there' % name, os.path.exists(path)):
            continue
        size = os.path.getsize(path)
        rc, fr, err = frames(path)
        ok, bad = sound(rc, fr, err)
        full = name == 'rot.pcap' or size > 16384 - 200
        in_order = fr and float(fr[0]['frame.time_epoch']) >= last_t
        check('%s: %d octets (at most 16384%s), %d frames read by tshark, sound, after the older '
              'file' % (name, size, '' if name == 'rot.pcap' else ', full', len(fr)),
              size <= 16384 and full and ok and in_order, (size, rc, bad, err[-200:]))
        if fr:
            last_t = float(fr[-1]['frame.time_epoch'])
        total += sum(data_counts(fr)) if fr else 0
    check('rotated files: the newest DATA of the %d exchanged, the oldest gone' % n,
          0 < total < 2 * n, total)


def phase_bad_path(vty, gw, p):
    """5a. A directory that does not exist, set at run time."""
    _, c0 = show_counters(vty)
    outs = [vty.cmd(c) for c in ('configure terminal', 'm3ua-link',
                                 'capture file %s/x.pcap' % NO_DIR, 'capture enable', 'end')]
    check('bad path on the VTY: "% capture: cannot open ...: No such file or directory"',
          sum('cannot open %s/x.pcap: No such file or directory' % NO_DIR in o for o in outs) == 1,
          outs)
    out, c1 = show_counters(vty)
    check('bad path: capture off, write-errors +1, no drops', 'capture off' in out and
          c1.get('write-errors') == c0.get('write-errors', -9) + 1 and c1.get('drops') == 0, out)
    exchange(p, 20, 'bad path')
    check('bad path: one log line', len(log_lines(gw, 'cannot open %s/x.pcap' % NO_DIR)) == 1,
          gw.stderr()[-400:])


def phase_errors_from_start(args, workdir, env, procs, cfg_text):
    """5b. A bad path in the configuration file, then a file size limit reached mid-run."""
    cfg = os.path.join(workdir, 'gateway-bad-path.cfg')
    with open(cfg, 'w') as f:
        f.write(cfg_text.replace('capture file m3ua.pcap', 'capture file %s/m3ua.pcap' % NO_DIR))
    gw = start_gw(args, workdir, env, cfg, 'ss7gw-2', fsize=FSIZE_LIMIT)
    procs.append(gw)
    check('bad path in the configuration file: the gateway runs, one log line',
          gw.p.poll() is None and len(log_lines(gw, 'cannot open %s/m3ua.pcap' % NO_DIR)) == 1,
          gw.stderr()[-400:])
    p = start_p(args, workdir, env, procs)
    vty = Vty()
    vty.cmd('enable')
    out, c0 = show_counters(vty)
    check('show m3ua-link capture: off, write-errors 1, the error told', 'capture off' in out
          and c0.get('write-errors') == 1 and 'last error: cannot open' in out, out)
    outs = [vty.cmd(c) for c in ('configure terminal', 'm3ua-link', 'capture file big.pcap',
                                 'capture max-size 1 mb', 'capture enable', 'end')]
    check('capture to big.pcap started', not any('%' in o for o in outs), outs)
    n = 600     # ~140 KiB of capture, past the 100 KiB limit
    if p:
        exchange(p, n, 'file size limit')
    ok = net.wait_until(lambda: log_lines(gw, 'cannot write big.pcap: File too large'), 3)
    out, c1 = show_counters(vty)
    check('file size limit: one log line, capture off, write-errors 2, drops counted',
          ok and len(log_lines(gw, 'cannot write big.pcap')) == 1 and 'capture off' in out
          and c1.get('write-errors') == 2 and c1.get('drops', 0) > 0, (out, gw.stderr()[-400:]))
    path = os.path.join(workdir, 'big.pcap')
    rc, fr, err = frames(path)
    size = os.path.getsize(path)
    check('big.pcap: cut back to its last whole frame (%d octets, %d frames), read by tshark'
          % (size, len(fr)), size <= FSIZE_LIMIT and fr and sound(rc, fr, err)[0]
          and len(fr) + c1['drops'] == c1['packets'] - c0['packets'],
          (size, len(fr), c0, c1, err[-300:]))
    if p:
        exchange(p, 20, 'after the write error')
        p.send('quit')
    vty.close()
    cap = stop_gw(gw, 'ss7gw-2')
    procs.remove(gw)
    check('ss7gw-2 counters: capture write-errors 2', cap.get('write-errors') == 2, cap)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--shim', required=True)
    ap.add_argument('--ss7gw', required=True)
    ap.add_argument('--asp', required=True)
    ap.add_argument('--osmo-stp', default='osmo-stp')
    ap.add_argument('--keep', action='store_true', help='keep the work directory')
    args = ap.parse_args()
    args.ss7gw, args.asp = os.path.abspath(args.ss7gw), os.path.abspath(args.asp)
    if os.sep in args.osmo_stp:
        args.osmo_stp = os.path.abspath(args.osmo_stp)
    signal.signal(signal.SIGALRM, lambda *_: (_ for _ in ()).throw(TimeoutError('100 s')))
    signal.alarm(100)
    workdir = tempfile.mkdtemp(prefix='m3ua_capture.')
    env = dict(os.environ, LD_PRELOAD=os.path.abspath(args.shim),
               ASAN_OPTIONS=os.environ.get('ASAN_OPTIONS', '') + ':verify_asan_link_order=0')
    procs = []
    try:
        busy = [p for p in range(33100, 33105) if net.tcp_listening(p)]
        if not check('test ports free', not busy, busy):
            return 1
        test_bindings(args, env)
        with open(os.path.join(HERE, 'gateway-capture.cfg')) as f:
            cfg_text = f.read()
        cfg = os.path.join(workdir, 'gateway-capture.cfg')
        with open(cfg, 'w') as f:
            f.write(cfg_text)

        stp = net.Proc('osmo-stp', [args.osmo_stp, '-c', os.path.join(HERE, 'osmo-stp-capture.cfg')],
                       workdir, env, stdin=False)
        procs.append(stp)
        check('osmo-stp listens', net.wait_until(lambda: net.tcp_listening(STP_PORT), 5))
        gw = start_gw(args, workdir, env, cfg, 'ss7gw')
        procs.append(gw)
        p = start_p(args, workdir, env, procs)
        if p:
            vty = Vty()
            vty.cmd('enable')
            c = phase_config(workdir, vty, p, 50)
            phase_toggle(workdir, vty, p, 30)
            phase_rotation(workdir, vty, p, 400)
            phase_bad_path(vty, gw, p)
            _, c = show_counters(vty)
            vty.close()
            p.send('quit')
            procs.remove(p)
            cap = stop_gw(gw, 'ss7gw')
            procs.remove(gw)
            check('ss7gw counters at exit: as show m3ua-link capture said', cap == c, (cap, c))
            phase_errors_from_start(args, workdir, env, procs, cfg_text)
    except (TimeoutError, OSError) as e:
        check('finished within 100 s, the VTY and every file there', False, repr(e))
    finally:
        signal.alarm(0)
        for x in procs:
            x.stop()
        print('%d passed, %d failed' % (len(net.PASSED), len(net.FAILED)), flush=True)
        if net.FAILED or args.keep:
            print('logs kept in ' + workdir)
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    return 1 if net.FAILED else 0


if __name__ == '__main__':
    sys.exit(main())
