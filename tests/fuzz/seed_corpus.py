#!/usr/bin/env python3
"""Refresh the fuzz corpus seeds from the golden cases: one file per case,
named after it; the first byte picks the protocol (0 MAP, 1 CAP) as
fuzz_decode.c reads it. Run after adding golden cases."""
import glob
import json
import os

here = os.path.dirname(os.path.abspath(__file__))
out = os.path.join(here, 'corpus')
os.makedirs(out, exist_ok=True)
n = 0
for path in sorted(glob.glob(os.path.join(here, '..', 'golden', '*', '*.json'))):
    case = json.load(open(path))
    if not case.get('hex'):
        continue
    sel = b'\x01' if case.get('proto') == 'cap' else b'\x00'
    name = 'golden-%s-%s' % (os.path.basename(os.path.dirname(path)), os.path.basename(path)[:-5])
    with open(os.path.join(out, name), 'wb') as f:
        f.write(sel + bytes.fromhex(case['hex']))
    n += 1
print('%d seeds in %s' % (n, out))
