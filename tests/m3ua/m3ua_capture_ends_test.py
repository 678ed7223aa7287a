#!/usr/bin/env python3
"""The capture's addresses and ports (src/m3ua/m3ua_capture.c), read back by tshark: the probe
(m3ua_capture_ends.c) makes four associations under libsctp2tcp.so, one message each way on
each: IPv4 with distinct local and peer addresses; IPv4 again, on the same socket numbers but
other ends (a reconnection); IPv6; IPv4 to a dual-stack IPv6 listener (v4-mapped ends shown as
IPv4). Both ends are in the probe, so each message is in the file twice, as sent and as
received; both frames must carry its association's ends as the test set them, in order, M3UA
in SCTP DATA with PPID 3, good checksums, nothing malformed. Ports 33105-33110.
Prints 'N passed, M failed'."""
import argparse
import os
import subprocess
import sys
import tempfile

FIELDS = ['ip.src', 'ipv6.src', 'sctp.srcport', 'ip.dst', 'ipv6.dst', 'sctp.dstport',
          'sctp.data_payload_proto_id', 'm3ua.message_class', 'm3ua.message_type',
          'm3ua.info_string', 'sctp.checksum.status', 'ip.checksum.status', '_ws.malformed']

# (source, destination) of messages 1..8, as the probe binds and connects its sockets
C1, C2, S4 = ('127.0.33.2', 33106), ('127.0.33.3', 33107), ('127.0.33.1', 33105)
C6, S6 = ('::1', 33109), ('::1', 33108)
C4M, S4M = ('127.0.33.4', 33110), ('127.0.33.1', 33108)   # ::ffff:... on the server's side
EXPECTED = [(C1, S4), (S4, C1), (C2, S4), (S4, C2), (C6, S6), (S6, C6), (C4M, S4M), (S4M, C4M)]

passed = failed = 0


def check(name, ok, detail=''):
    global passed, failed
    print('%s %s%s' % ('ok  ' if ok else 'FAIL', name, '' if ok else ': %s' % (detail,)))
    if ok:
        passed += 1
    else:
        failed += 1
    return ok


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--shim', required=True)
    ap.add_argument('--probe', required=True)
    args = ap.parse_args()
    env = dict(os.environ, LD_PRELOAD=args.shim)
    env['ASAN_OPTIONS'] = env.get('ASAN_OPTIONS', '') + ':verify_asan_link_order=0'
    with tempfile.TemporaryDirectory(prefix='m3ua-capture-ends-') as tmp:
        pcap = os.path.join(tmp, 'ends.pcap')
        r = subprocess.run([args.probe, pcap], env=env, capture_output=True, text=True,
                           timeout=30)
        fds = [l for l in r.stdout.splitlines() if l.startswith('client fd')]
        check('probe: four associations, a message each way on each', r.returncode == 0,
              r.stderr[-500:])
        check('the second association reuses the first one\'s socket numbers',
              len(fds) == 4 and fds[0] == fds[1], fds)
        t = subprocess.run(['tshark', '-r', pcap, '-o', 'sctp.checksum:crc-32c',
                            '-o', 'ip.check_checksum:TRUE', '-T', 'fields', '-E', 'separator=;']
                           + [x for f in FIELDS for x in ('-e', f)],
                           capture_output=True, text=True, timeout=60)
        rows = [dict(zip(FIELDS, l.split(';'))) for l in t.stdout.splitlines()]
        check('tshark reads the file', t.returncode == 0, t.stderr[-500:])
        check('16 frames: 8 messages, each as sent and as received', len(rows) == 16, len(rows))
        for k, f in enumerate(rows):
            i, (src, dst) = k // 2 + 1, EXPECTED[k // 2]
            v6 = ':' in src[0]
            got = ((f['ipv6.src' if v6 else 'ip.src'], int(f['sctp.srcport'] or 0)),
                   (f['ipv6.dst' if v6 else 'ip.dst'], int(f['sctp.dstport'] or 0)))
            check('message %d %s: %s:%d -> %s:%d' % (i, ('sent', 'received')[k % 2], src[0],
                                                      src[1], dst[0], dst[1]),
                  got == (src, dst) and f['m3ua.info_string'] == 'msg %d' % i, (got, f))
            check('message %d %s: ASPUP in SCTP DATA, PPID 3, checksums good, not malformed'
                  % (i, ('sent', 'received')[k % 2]),
                  (f['m3ua.message_class'], f['m3ua.message_type']) == ('3', '1')
                  and f['sctp.data_payload_proto_id'] == '3'
                  and f['sctp.checksum.status'] == '1'
                  and f['ip.checksum.status'] == ('' if v6 else '1')
                  and not f['_ws.malformed'], f)
    print('%d passed, %d failed' % (passed, failed))
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
