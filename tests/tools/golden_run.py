#!/usr/bin/env python3
"""Golden-test runner for TCAP/MAP/CAP cases (format: tests/golden/README.md).

For each case file tests/golden/<proto>/<name>.json:
  (a) `ss7gw decode --proto P HEX` must print JSON deep-equal to "json";
  (b) `ss7gw encode --proto P` with "json" on stdin must print "hex", and so
      must `ss7gw encode` without the flag (the JSON says what the message does not);
  (c) tshark (one batch for all cases) must decode "hex" without problems,
      up to the gsm_map / camel layer, showing every "tshark" expectation.
A case without "tshark" expectations fails.  --update fills an empty "hex"
(encode "json") and then "json" (decode that hex) for bootstrapping.

Usage: golden_run.py --ss7gw PATH [--update] DIR|FILE...
"""
import argparse
import json
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tshark_check  # noqa: E402

LAYER = {'map': 'gsm_map', 'cap': 'camel'}
DEFAULT_SCCP = {'map': {'called_ssn': 6, 'calling_ssn': 8},
                'cap': {'called_ssn': 146, 'calling_ssn': 146}}
UPDATED = 'updated "hex" and "json": review them'
WRAP_KEYS = {'called_ssn', 'calling_ssn', 'called_gt', 'calling_gt', 'opc', 'dpc',
             'msg', 'pclass'}


def find_cases(paths):
    files = []
    for p in paths:
        if os.path.isdir(p):
            for d, _, names in os.walk(p):
                files += [os.path.join(d, n) for n in names if n.endswith('.json')]
        else:
            files.append(p)
    return sorted(files)


def case_name(path):
    parts = os.path.normpath(path).split(os.sep)
    return '/'.join(parts[-2:])[:-len('.json')]


def norm_hex(s):
    return ''.join(str(s).split()).lower()


def diff(got, want, path='$'):
    """First difference between two JSON values (types strict), or None."""
    if type(got) is not type(want):
        return '%s: got %s, want %s' % (path, json.dumps(got), json.dumps(want))
    if isinstance(want, dict):
        for k in list(want) + [k for k in got if k not in want]:
            if k not in got:
                return '%s: missing key %r' % (path, k)
            if k not in want:
                return '%s: unexpected key %r' % (path, k)
            d = diff(got[k], want[k], '%s.%s' % (path, k))
            if d:
                return d
        return None
    if isinstance(want, list):
        if len(got) != len(want):
            return '%s: %d elements, want %d' % (path, len(got), len(want))
        for i, (g, w) in enumerate(zip(got, want)):
            d = diff(g, w, '%s[%d]' % (path, i))
            if d:
                return d
        return None
    return None if got == want else '%s: got %s, want %s' % (
        path, json.dumps(got), json.dumps(want))


def ss7gw(binary, args, stdin=None):
    """Run ss7gw; (stdout, None) on success or (None, error text)."""
    try:
        r = subprocess.run([binary] + args, input=stdin, capture_output=True,
                           text=True, timeout=20)
    except (OSError, subprocess.TimeoutExpired) as e:
        return None, 'ss7gw %s: %s' % (args[0], e)
    if r.returncode != 0:
        return None, 'ss7gw %s exit %d: %s' % (args[0], r.returncode,
                                              r.stderr.strip()[:200])
    return r.stdout, None


def gw_decode(binary, proto, hexstr):
    out, err = ss7gw(binary, ['decode', '--proto', proto, hexstr])
    if err:
        return None, err
    try:
        return json.loads(out), None
    except ValueError as e:
        return None, 'decode output is not JSON (%s): %s' % (e, out.strip()[:200])


def gw_encode(binary, proto, value):
    out, err = ss7gw(binary, ['encode'] + (['--proto', proto] if proto else []), json.dumps(value))
    return (None, err) if err else (norm_hex(out), None)


def run_case(case, binary, update, path):
    """Steps (a) and (b); returns the list of errors (may update the file)."""
    proto = case.get('proto')
    if proto not in LAYER:
        return ['"proto" must be "map" or "cap"']
    if 'json' not in case:
        return ['no "json"']
    errs = []
    if update and not norm_hex(case.get('hex', '')):
        hexstr, err = gw_encode(binary, proto, case['json'])
        if err:
            return ['update: ' + err]
        value, err = gw_decode(binary, proto, hexstr)
        if err:
            return ['update: ' + err]
        case['hex'], case['json'] = hexstr, value
        with open(path, 'w') as f:
            json.dump(case, f, indent=2, ensure_ascii=False)
            f.write('\n')
        errs.append(UPDATED)
    hexstr = norm_hex(case.get('hex', ''))
    if not hexstr:
        return errs + ['no "hex" (run with --update)']
    value, err = gw_decode(binary, proto, hexstr)
    if err:
        errs.append(err)
    else:
        d = diff(value, case['json'])
        if d:
            errs.append('decode: json differs at ' + d)
    got, err = gw_encode(binary, proto, case['json'])
    if err:
        errs.append(err)
    elif got != hexstr:
        errs.append('encode: got %s, want %s' % (got, hexstr))
    got, err = gw_encode(binary, None, case['json'])
    if err or got != hexstr:
        errs.append('encode without --proto: %s' % (err or 'got %s, want %s' % (got, hexstr)))
    if not case.get('tshark'):
        errs.append('no "tshark" expectations (write them from tshark -V output)')
    return errs


def expected_problems(problems, expected):
    """Problems tshark must report for this case (e.g. an opcode it does not
    know either) are consumed by the substrings in "tshark_problems"; every
    other problem, and every expected one that is absent, is an error."""
    errs, left = [], list(problems)
    for sub in expected:
        hit = [p for p in left if sub in p]
        if not hit:
            errs.append('expected tshark problem %r absent' % sub)
        left = [p for p in left if p not in hit]
    return left + errs


def tshark_step(cases):
    """Step (c) for all cases: {index: [errors]}; one tshark run per option set."""
    groups, errors = {}, {}
    for i, case in enumerate(cases):
        if case.get('proto') not in LAYER:
            continue
        try:
            tcap = bytes.fromhex(norm_hex(case.get('hex', '')))
            opts = dict(DEFAULT_SCCP[case['proto']], **case.get('sccp', {}))
            bad = set(opts) - WRAP_KEYS
            if bad:
                raise ValueError('unknown "sccp" keys %s' % sorted(bad))
            pkt = tshark_check.wrap(tcap, **opts)
        except (ValueError, KeyError, TypeError) as e:
            errors[i] = ['tshark: cannot wrap: %s' % e]
            continue
        if not tcap:
            continue
        key = tuple(case.get('tshark_args', []))
        groups.setdefault(key, []).append((i, pkt))
    for args, items in groups.items():
        decoded = tshark_check.decode([p for _, p in items], args)
        for (i, _), fields in zip(items, decoded):
            expect = dict(cases[i].get('tshark') or {})
            expect.setdefault(cases[i].get('layer', LAYER[cases[i]['proto']]), None)
            errs = expected_problems(fields['_problems'], cases[i].get('tshark_problems', []))
            errs += tshark_check.match(fields, expect)
            if errs:
                errors[i] = ['tshark: ' + e for e in errs]
    return errors


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--ss7gw', required=True, help='path of the ss7gw binary')
    ap.add_argument('--update', action='store_true',
                    help='fill empty "hex" (and re-decode "json") via ss7gw')
    ap.add_argument('paths', nargs='+', metavar='DIR')
    a = ap.parse_args(argv)
    files = find_cases(a.paths)
    cases, errors = [], []
    for path in files:
        try:
            with open(path) as f:
                case = json.load(f)
            if not isinstance(case, dict):
                raise ValueError('not a JSON object')
        except (OSError, ValueError) as e:
            cases.append({'proto': None})
            errors.append(['cannot read case: %s' % e])
            continue
        cases.append(case)
        errors.append(run_case(case, a.ss7gw, a.update, path))
    for i, errs in tshark_step(cases).items():
        errors[i] += errs
    failed = 0
    for path, errs in zip(files, errors):
        note = ' (%s)' % UPDATED if UPDATED in errs and len(errs) == 1 else ''
        if errs and not note:
            failed += 1
            print('FAIL %s: %s' % (case_name(path), '; '.join(errs)))
        else:
            print('ok %s%s' % (case_name(path), note))
    print('%d passed, %d failed' % (len(files) - failed, failed))
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
