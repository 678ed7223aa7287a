#!/usr/bin/env python3
"""Check the SCCP encodings of src/sccp with an independent decoder, tshark.

    tshark_sccp.py TEST_SCCP            runs "TEST_SCCP --emit"
    tshark_sccp.py --from-file FILE     reads such output from FILE

Each input line is "HEX field=value ..." (one SCCP message and the field
values tshark must show; the values come from the C struct that was encoded,
not from the bytes), optionally with "group=NAME": the XUDT segments of one
message. A line "# group=NAME payload=HEX" gives that message's user data.

Every message is wrapped in M3UA DATA / SCTP (tests/tools/tshark_check.py:
m3ua_data(), decode()) and decoded alone; it must show no malformed or
expert warning/error and every expected field. Then the segments of each
group go through tshark in one capture, and its XUDT reassembly must give the
payload back. TCAP is disabled so the user data stays "data" (the payload here
is not TCAP, and we test SCCP).
"""
import argparse
import os
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'tools'))
import tshark_check  # noqa: E402

TSHARK_ARGS = ['--disable-protocol', 'tcap']


def parse(lines):
    """-> [(bytes, {field: value}, group)], {group: payload bytes}"""
    msgs, payloads = [], {}
    for line in lines:
        words = line.split()
        if not words:
            continue
        if words[0] == '#':
            kv = dict(w.split('=', 1) for w in words[1:])
            payloads[kv['group']] = bytes.fromhex(kv['payload'])
            continue
        fields = dict(w.split('=', 1) for w in words[1:])
        group = fields.pop('group', None)
        msgs.append((bytes.fromhex(words[0]), fields, group))
    return msgs, payloads


# Wireshark writes the Q.713 address signals "code 11" and "code 12" as 11, 12
WS_SIGNALS = {'A': '(spare)', 'B': '11', 'C': '12', 'D': '(spare)', 'E': '(spare)', 'F': 'ST'}


def same(key, want, have):
    """tshark shows numbers in hex or decimal by field; digits are text."""
    for h in have:
        if key.endswith('.digits'):
            if h.strip() == ''.join(WS_SIGNALS.get(c, c) for c in want.upper()):
                return True
            continue
        try:
            if int(h, 0) == int(want, 0):
                return True
        except ValueError:
            if h.strip().lower() == want.lower():
                return True
    return False


def problems(f):
    # the user data is not dissected on purpose (TCAP disabled)
    out = [p for p in f['_problems'] if not p.startswith('undissected data after sccp')]
    if 'sccp' not in f['_layers']:
        out.append('not decoded as SCCP (layers %s)' % ':'.join(f['_layers']))
    return out


def check_each(msgs):
    errs = []
    decoded = tshark_check.decode([tshark_check.m3ua_data(m) for m, _, _ in msgs], TSHARK_ARGS)
    for i, ((m, want, _), f) in enumerate(zip(msgs, decoded), 1):
        e = problems(f)
        for key, val in want.items():
            have = f.get(key)
            if have is None:
                e.append('%s absent (want %s)' % (key, val))
            elif not same(key, val, have):
                e.append('%s = %s, tshark shows %s' % (key, val, have))
        errs += ['message %d (%s...): %s' % (i, m[:12].hex(), x) for x in e]
    return len(msgs), errs


def check_groups(msgs, payloads):
    """Segments of one message in one capture: tshark reassembles them."""
    errs, n = [], 0
    for group, payload in sorted(payloads.items()):
        segs = [m for m, _, g in msgs if g == group]
        n += 1
        decoded = tshark_check.decode([tshark_check.m3ua_data(m) for m in segs], TSHARK_ARGS,
                                      isolate=False)
        last = decoded[-1]
        e = [p for f in decoded for p in problems(f)]
        length = last.get('sccp.msg.reassembled.length', [])
        data = ''.join(last.get('data.data', [''])[:1]).replace(':', '')
        if [int(x) for x in length] != [len(payload)]:
            e.append('reassembled length %s, want %d' % (length, len(payload)))
        if data != payload.hex():
            e.append('reassembled data differs (%d of %d octets)' % (len(data) // 2, len(payload)))
        errs += ['group %s (%d segments): %s' % (group, len(segs), x) for x in e]
    return n, errs


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('test_sccp', nargs='?', help='the test_sccp binary')
    ap.add_argument('--from-file', metavar='FILE')
    a = ap.parse_args(argv)
    if a.from_file:
        with open(a.from_file) as fh:
            lines = fh.read().splitlines()
    elif a.test_sccp:
        lines = subprocess.run([a.test_sccp, '--emit'], check=True, capture_output=True,
                               text=True).stdout.splitlines()
    else:
        ap.error('test_sccp or --from-file required')
    msgs, payloads = parse(lines)
    n1, errs1 = check_each(msgs)
    n2, errs2 = check_groups(msgs, payloads)
    for e in errs1 + errs2:
        print(e)
    bad = len({e.split(':')[0] for e in errs1 + errs2})
    print('%d passed, %d failed' % (n1 + n2 - bad, bad))
    return 1 if bad or not msgs else 0


if __name__ == '__main__':
    sys.exit(main())
