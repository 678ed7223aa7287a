#!/usr/bin/env python3
"""M3UA through the real osmo-stp on a host without kernel SCTP, via libsctp2tcp.so.

Starts osmo-stp (tests/net/osmo-stp.cfg) and two libosmo-sigtran ASPs (m3ua_asp) under the
shim, all on 127.0.0.1; A sends numbered MTP-TRANSFER payloads to B, which checks them;
raw TCP peers probe the shim's framing and hostile lengths; osmo-stp is killed and restarted
and traffic must resume; the M3UA on the wire is captured and decoded by tshark; a bounded
burst measures messages/s and CPU per message. Every wait is bounded; prints 'N passed,
M failed' and exits non-zero on failure.
"""
import argparse
import os
import queue
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'tools'))
import capture  # noqa: E402  (live captures, TCP reassembly, SCTP wrapping for tshark)

STP_PORT, A_PORT, B_PORT, H_PORT = 32905, 32906, 32907, 32909
PASSED, FAILED = [], []


def check(name, ok, detail=''):
    (PASSED if ok else FAILED).append(name)
    print('%s - %s%s' % ('ok' if ok else 'FAIL', name, '' if ok else ': ' + str(detail)),
          flush=True)
    return ok


class Proc:
    """A child with stdout read line by line on a thread; stderr goes to a file."""

    def __init__(self, name, argv, workdir, env=None, stdin=True):
        self.name = name
        self.err_path = os.path.join(workdir, name + '.stderr')
        self.lines = queue.Queue()
        self.p = subprocess.Popen(argv, cwd=workdir, env=env, text=True, bufsize=1,
                                  stdin=subprocess.PIPE if stdin else subprocess.DEVNULL,
                                  stdout=subprocess.PIPE, stderr=open(self.err_path, 'a'))
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        for line in self.p.stdout:
            self.lines.put(line.strip())

    def send(self, line):
        self.p.stdin.write(line + '\n')
        self.p.stdin.flush()

    def wait_for(self, prefix, timeout):
        """The next stdout line starting with prefix (earlier ones are dropped), or None."""
        end = time.monotonic() + timeout
        while True:
            try:
                line = self.lines.get(timeout=max(0.01, end - time.monotonic()))
            except queue.Empty:
                return None
            if line.startswith(prefix):
                return line
            if time.monotonic() > end:
                return None

    def stderr(self):
        with open(self.err_path, errors='replace') as f:
            return f.read()

    def cpu_ns(self):
        """On-CPU time of the process so far (ns), from the scheduler's own accounting."""
        with open('/proc/%d/schedstat' % self.p.pid) as f:
            return int(f.read().split()[0])

    def stop(self, sig=signal.SIGTERM, timeout=3):
        if self.p.poll() is None:
            self.p.send_signal(sig)
            try:
                self.p.wait(timeout)
            except subprocess.TimeoutExpired:
                self.p.kill()
                self.p.wait(timeout)


def tcp_listening(port):
    for path in ('/proc/net/tcp', '/proc/net/tcp6'):
        with open(path) as f:
            for row in f.readlines()[1:]:
                local, state = row.split()[1], row.split()[3]
                if state == '0A' and int(local.split(':')[1], 16) == port:
                    return True
    return False


def wait_until(fn, timeout, step=0.05):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if fn():
            return True
        time.sleep(step)
    return fn()


# ---- raw M3UA over TCP, the framing the shim speaks ------------------------------------

def m3ua(cls, typ, params=b''):
    return struct.pack('>BBBBI', 1, 0, cls, typ, 8 + len(params)) + params


def recv_exact(s, n):
    buf = b''
    while len(buf) < n:
        chunk = s.recv(n - len(buf))
        if not chunk:
            raise EOFError
        buf += chunk
    return buf


def recv_m3ua(s):
    hdr = recv_exact(s, 8)
    return hdr + recv_exact(s, struct.unpack('>I', hdr[4:])[0] - 8)


def raw_peer():
    """A TCP connection from asp-H's configured port; closed with RST (no TIME_WAIT)."""
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack('ii', 1, 0))
    s.settimeout(3)
    s.bind(('127.0.0.1', H_PORT))
    s.connect(('127.0.0.1', STP_PORT))
    return s


def test_framing(stp):
    """Half a message, a pause, then the rest plus a second message in one segment."""
    aspup, beat = m3ua(3, 1), m3ua(3, 3, struct.pack('>HH', 9, 8) + b'ping')
    s = raw_peer()
    try:
        s.sendall(aspup[:3])
        time.sleep(0.3)
        s.sendall(aspup[3:] + beat)
        got = []
        while not {(3, 4), (3, 6)} <= set(got):
            m = recv_m3ua(s)
            got.append((m[2], m[3]))
        check('raw TCP peer: split ASPUP and coalesced BEAT answered by ASPUP-ACK and BEAT-ACK',
              True)
    except (OSError, EOFError) as e:
        check('raw TCP peer: split ASPUP and coalesced BEAT answered', False, repr(e))
    finally:
        s.close()
    check('osmo-stp alive after the framing probe', stp.p.poll() is None)


def test_oversized(stp):
    """A well-framed 4000-octet DATA: larger than libosmo-sigtran 1.6.0's 2048-octet receive
    buffer, so it arrives in two parts as with SCTP partial delivery; both are refused."""
    big = m3ua(1, 1, struct.pack('>HH', 0x0210, 3988) + bytes(3984))
    s = raw_peer()
    got = []
    try:
        s.sendall(m3ua(3, 1) + big + m3ua(3, 3, struct.pack('>HH', 9, 8) + b'ping'))
        while (3, 6) not in got:
            m = recv_m3ua(s)
            got.append((m[2], m[3]))
    except (OSError, EOFError) as e:
        got.append(repr(e))
    finally:
        s.close()
    check('4000-octet M3UA message: osmo-stp answers ERR, stays up, association answers BEAT',
          got.count((0, 0)) >= 1 and (3, 6) in got and stp.p.poll() is None, got)


def test_hostile(stp, length, why):
    before = stp.stderr().count('invalid M3UA length')
    s = raw_peer()
    closed = False
    try:
        s.sendall(struct.pack('>BBBBI', 1, 0, 3, 1, length) + bytes(8))
        closed = s.recv(100) == b''
    except ConnectionResetError:
        closed = True
    except OSError as e:
        closed = repr(e)
    finally:
        s.close()
    logged = wait_until(lambda: stp.stderr().count('invalid M3UA length') == before + 1, 2)
    check('M3UA length %u (%s): association closed, one line logged, osmo-stp alive'
          % (length, why), closed is True and logged and stp.p.poll() is None,
          'closed=%s logged=%s alive=%s' % (closed, logged, stp.p.poll() is None))


# ---- traffic ----------------------------------------------------------------------------

def transfer(a, b, count, first, label):
    """A sends count payloads numbered from first; B must have all, intact, in order."""
    b.send('expect %d' % (first + count))
    a.send('send %d %d' % (count, first))
    sent = a.wait_for('SENT', 30)
    done = b.wait_for('DONE', 10 if sent else 0.1)
    if not check('%s: %d MTP-TRANSFERs A -> osmo-stp -> B intact and in order' % (label, count),
                 done and done.split()[4:6] == ['0', '0'],
                 'sent=%r done=%r' % (sent, done)):
        return None
    return int(sent.split()[2]), int(done.split()[3])


def start_stp(args, workdir, env):
    stp = Proc('osmo-stp', [args.osmo_stp, '-c', os.path.abspath(args.config)], workdir, env,
               stdin=False)
    ok = wait_until(lambda: tcp_listening(STP_PORT) or stp.p.poll() is not None, 5)
    check('osmo-stp listens on 127.0.0.1:%d over the shim' % STP_PORT,
          ok and stp.p.poll() is None, stp.stderr()[-500:])
    return stp


def wait_state(procs, state, timeout, label):
    res = [p.wait_for('STATE ' + state, timeout) for p in procs]
    check('%s: ASPs %s %s' % (label, '+'.join(p.name for p in procs), state), all(res),
          dict(zip([p.name for p in procs], res)))
    return all(res)


# ---- capture and decoding -----------------------------------------------------------------

def check_capture(cap, workdir, data_expected):
    # 1. What Wireshark 4.0 makes of M3UA over TCP by itself.
    rc, rows, err = capture.tshark_fields(cap.pcap, ['frame.number'],
                                          ['-d', 'tcp.port==%d,m3ua' % STP_PORT, '-Y', 'm3ua'])
    refusal = [l for l in err.splitlines() if "isn't valid" in l]
    print('note - tshark -d tcp.port==%d,m3ua: %s' % (
        STP_PORT, refusal[0].strip() if refusal else '%d frames dissected as M3UA' % len(rows)),
        flush=True)

    # 2. The same bytes split by the M3UA length, re-wrapped in SCTP and decoded. A
    # direction cut by a sequence gap is a capture problem (check_whole says so) and is
    # checked up to the gap; any framing fault in the octets captured is the protocol's.
    streams = capture.tcp_streams(cap.pcap, (H_PORT,))
    msgs, bad_framing = [], []
    gaps = sum(1 for _, complete in streams.values() if not complete)
    for (stream, sport, dport), (data, complete) in sorted(streams.items()):
        off = 0
        while off + 8 <= len(data):
            n = struct.unpack('>I', data[off + 4:off + 8])[0]
            if n < 8 or n % 4 or (complete and off + n > len(data)):
                bad_framing.append((stream, sport, off, n))
                break
            if off + n > len(data):
                break   # the last message before a gap
            msgs.append((sport, dport, data[off:off + n]))
            off += n
        if complete and off != len(data) and not bad_framing:
            bad_framing.append((stream, sport, off, len(data)))
    whole = cap.check_whole(gaps)
    check('capture: %d M3UA messages in %d TCP directions, framing consistent'
          % (len(msgs), len(streams)), msgs and not bad_framing, bad_framing[:3])
    wrapped = capture.sctp_pcap(msgs, workdir)
    # SCCP is off: the test payloads are numbered octets, not SCCP.
    rc, rows, err = capture.tshark_fields(wrapped, ['m3ua.message_class', 'm3ua.message_type',
                                                    '_ws.malformed', '_ws.expert.severity'],
                                          ['--disable-protocol', 'sccp'])
    decoded = [r for r in rows if r[0]]
    problems = [r for r in rows if r[2] or r[3]]
    data = sum(1 for r in decoded if r[0] == '1' and r[1] == '1')
    check('tshark decodes every captured message as M3UA, none malformed (%d DATA)' % data,
          rc == 0 and len(decoded) == len(msgs) and not problems
          and (data == data_expected if whole else 0 < data <= data_expected),
          'rc=%d decoded=%d/%d problems=%s data=%d/%d %s' % (
              rc, len(decoded), len(msgs), problems[:3], data, data_expected, err[:200]))


# ---- main ---------------------------------------------------------------------------------

def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--shim', required=True, help='libsctp2tcp.so')
    ap.add_argument('--asp', required=True, help='the m3ua_asp test program')
    ap.add_argument('--config', default=os.path.join(os.path.dirname(__file__), 'osmo-stp.cfg'))
    ap.add_argument('--osmo-stp', default='osmo-stp')
    ap.add_argument('--messages', type=int, default=1000, help='per traffic phase')
    ap.add_argument('--bench', type=int, default=20000, help='messages in the measured burst')
    ap.add_argument('--no-capture', action='store_true')
    ap.add_argument('--keep', action='store_true', help='keep the work directory')
    args = ap.parse_args()
    args.asp = os.path.abspath(args.asp)
    if os.sep in args.osmo_stp:
        args.osmo_stp = os.path.abspath(args.osmo_stp)

    signal.signal(signal.SIGALRM, lambda *_: (_ for _ in ()).throw(TimeoutError('60 s')))
    signal.alarm(58)
    workdir = tempfile.mkdtemp(prefix='m3ua_stp.')
    env = dict(os.environ, LD_PRELOAD=os.path.abspath(args.shim))
    procs, cap = [], None
    try:
        busy = [p for p in (STP_PORT, A_PORT, B_PORT, H_PORT) if tcp_listening(p)]
        if not check('test ports free', not busy, busy):
            return 1
        if not args.no_capture:
            cap = capture.LoCapture(Proc, workdir, 'tcp port %d' % STP_PORT, check, duration=50)
            if not cap.start():
                cap.close()
                cap = None

        stp = start_stp(args, workdir, env)
        procs.append(stp)
        b = Proc('B', [args.asp, 'B', '1.1.2', '1.1.1', '2', str(B_PORT), str(STP_PORT)],
                 workdir, env)
        a = Proc('A', [args.asp, 'A', '1.1.1', '1.1.2', '1', str(A_PORT), str(STP_PORT)],
                 workdir, env)
        procs += [a, b]
        n = args.messages
        if wait_state([a, b], 'ACTIVE', 15, 'start'):
            transfer(a, b, n, 0, 'phase 1')

        test_framing(stp)
        test_oversized(stp)
        test_hostile(stp, 4, 'below the header')
        test_hostile(stp, 70000, 'above 64 KiB')
        test_hostile(stp, 10, 'not a multiple of 4')

        stp.stop(signal.SIGKILL)
        procs.remove(stp)
        wait_state([a, b], 'DOWN', 5, 'osmo-stp killed')
        stp = start_stp(args, workdir, env)
        procs.append(stp)
        if wait_state([a, b], 'ACTIVE', 20, 'osmo-stp restarted'):
            transfer(a, b, n, n, 'phase 2 (after restart)')

        if cap:
            cap.stop()
            check_capture(cap, workdir, 4 * n)

        if args.bench:
            cpu0 = [p.cpu_ns() for p in (stp, a, b)]
            r = transfer(a, b, args.bench, 2 * n, 'benchmark burst')
            cpu1 = [p.cpu_ns() for p in (stp, a, b)]
            if r:
                secs = (r[1] - r[0]) / 1e9
                us = [(c1 - c0) / 1e3 / args.bench for c0, c1 in zip(cpu0, cpu1)]
                print('bench - %d messages in %.3f s = %.0f msg/s; CPU per message: '
                      'osmo-stp %.1f us (relay), A %.1f us (send), B %.1f us (receive)'
                      % (args.bench, secs, args.bench / secs, *us), flush=True)
        for p in (a, b):
            p.send('quit')
    except TimeoutError as e:
        check('finished within 60 s', False, e)
    finally:
        signal.alarm(0)
        for p in procs:
            p.stop()
        if cap:
            cap.close()
        print('%d passed, %d failed' % (len(PASSED), len(FAILED)), flush=True)
        if FAILED or args.keep:
            print('logs kept in ' + workdir)
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    return 1 if FAILED else 0


if __name__ == '__main__':
    sys.exit(main())
