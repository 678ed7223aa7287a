#!/usr/bin/env python3
"""Walks the example flows in this folder through the codec: each JSON message
is encoded to BER, decoded back, and read by Wireshark's tshark as it would be
on the wire (in SCCP/M3UA). Prints what happens; exits 1 if anything is off
(so CI runs the examples and they never rot).
Usage: run.py SS7GW [--quiet]"""
import glob
import json
import os
import subprocess
import sys

here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(here, '..', '..', 'tests', 'tools'))
import tshark_check  # noqa: E402


def ss7gw(binary, args, stdin=None):
    p = subprocess.run([binary] + args, input=stdin, capture_output=True, text=True, timeout=30)
    if p.returncode:
        raise RuntimeError(p.stderr.strip())
    return p.stdout.strip()


def main():
    binary, quiet = sys.argv[1], '--quiet' in sys.argv
    flows = sorted(glob.glob(os.path.join(here, '*.json')))
    packets, failures = [], 0
    for path in flows:
        ex = json.load(open(path))
        hexstr = ss7gw(binary, ['encode', '--proto', ex['proto']], json.dumps(ex['message']))
        back = json.loads(ss7gw(binary, ['decode', '--proto', ex['proto'], hexstr]))
        again = ss7gw(binary, ['encode', '--proto', ex['proto']], json.dumps(back))
        ssn = (146, 146) if ex['proto'] == 'cap' else (6, 8)
        packets.append(tshark_check.wrap(bytes.fromhex(hexstr), called_ssn=ssn[0], calling_ssn=ssn[1]))
        ok = again == hexstr
        failures += not ok
        if not quiet:
            print('== %s: %s' % (os.path.basename(path)[:-5], ex['description']))
            print('   BER  %s' % hexstr)
            print('   JSON %s' % json.dumps(back, ensure_ascii=False))
        if not ok:
            print('   FAIL: decoded JSON encodes to %s' % again)
    layers = {'map': 'gsm_map', 'cap': 'camel'}
    decoded = tshark_check.decode(packets)
    for path, fields in zip(flows, decoded):
        want = layers[json.load(open(path))['proto']]
        problems = fields['_problems'] + tshark_check.match(fields, {want: None})
        name = os.path.basename(path)[:-5]
        if problems:
            failures += 1
            print('FAIL %s: tshark: %s' % (name, '; '.join(problems)))
        elif not quiet:
            ops = fields.get('gsm_old.localValue') or fields.get('camel.local') or []
            print('tshark reads %s: %s opcode %s, no problems' % (name, want, ','.join(ops)))
    print('%d passed, %d failed' % (len(flows) - failures, failures))
    return 1 if failures else 0


if __name__ == '__main__':
    sys.exit(main())
