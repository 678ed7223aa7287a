#!/usr/bin/env python3
"""tests/tools/capture.py on its own: a live capture holds the traffic sent right after start()
returns; a capture that never goes live, or one with a gap or drops, is said to be a capture
problem ("capture late", "capture incomplete"), not passed over. Prints 'N passed, M failed'.
"""
import os
import shutil
import signal
import socket
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, '..', 'net'))
sys.path.insert(0, HERE)
import capture  # noqa: E402
import m3ua_stp_test as net  # noqa: E402  (Proc)

PORT = 32960     # a TCP listener of this test only
RESULTS = []


def check(name, ok, detail=''):
    RESULTS.append(bool(ok))
    print('%s - %s%s' % ('ok' if ok else 'FAIL', name, '' if ok else ': ' + str(detail)), flush=True)
    return ok


def quiet_check(log):
    """A check() that records what the helper says instead of judging this test by it."""
    def c(name, ok, detail=''):
        log.append((name, bool(ok), str(detail)))
        return ok
    return c


def exchange(n):
    """n request/answer pairs over one loopback TCP connection to PORT."""
    srv = socket.socket()
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind(('127.0.0.1', PORT))
    srv.listen(1)
    cli = socket.create_connection(('127.0.0.1', PORT))
    conn, _ = srv.accept()
    for i in range(n):
        cli.sendall(b'%08d' % i)
        conn.sendall(conn.recv(8))
        cli.recv(8)
    for s in (cli, conn, srv):
        s.close()


def main():
    workdir = tempfile.mkdtemp(prefix='capture_test.')
    try:
        # 1. live at once: the very first segment after start() is in the file, whole
        log = []
        cap = capture.LoCapture(net.Proc, workdir, 'tcp port %d' % PORT, quiet_check(log), 'live')
        started = cap.start()
        exchange(50)
        cap.stop()
        streams = capture.tcp_streams(cap.pcap)
        data = b''.join(d for (_, sport, _), (d, _) in sorted(streams.items()) if sport != PORT)
        gaps = sum(1 for _, c in streams.values() if not c)
        cap.check_whole(gaps)
        cap.close()
        check('a started capture holds the first segment sent after start() and the last',
              started and data[:8] == b'00000000' and data[-8:] == b'00000049' and len(data) == 400,
              (started, data[:16], len(data)))
        check('... and calls itself whole', all(ok for _, ok, _ in log), log)

        # 2. never live: the markers are filtered out, so start() retries once, then says late
        log = []
        cap = capture.LoCapture(net.Proc, workdir, 'tcp port %d' % PORT, quiet_check(log), 'late',
                                live_timeout=1)
        cap.bpf = 'tcp port %d' % PORT      # a filter the markers do not pass
        started = cap.start()
        cap.close()
        check('a capture that never shows its start marker: retried once, then "capture late"',
              not started and cap.late == 2 and log and not log[-1][1]
              and 'capture late' in log[-1][2], (started, cap.late, log))

        # 3. whole or not: end marker, drops and gaps are each named
        cap = capture.LoCapture(net.Proc, workdir, 'tcp port %d' % PORT, None, 'words')
        for end_seen, drops, gaps, word in ((False, 0, 0, 'end marker'),
                                            (True, 7, 0, 'dropped 7 packets'),
                                            (True, 0, 2, '2 TCP directions have sequence gaps'),
                                            (True, None, 0, 'no statistics')):
            log = []
            cap.check, cap.end_seen, cap.drops = quiet_check(log), end_seen, drops
            cap.check_whole(gaps)
            check('an incomplete capture says so: "%s"' % word,
                  not log[0][1] and log[0][2].startswith('capture incomplete:') and word in log[0][2],
                  log)
        cap.close()
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    failed = RESULTS.count(False)
    print('%d passed, %d failed' % (len(RESULTS) - failed, failed), flush=True)
    return 1 if failed else 0


if __name__ == '__main__':
    signal.alarm(60)
    sys.exit(main())
