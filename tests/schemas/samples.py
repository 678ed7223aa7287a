#!/usr/bin/env python3
"""schemas.samples: every sample under tests/schemas/valid/ meets its schema, every one under
invalid/ is refused, and for the reason invalid/REASONS gives it.

A sample's schema is the start of its file name: event-, answer-, request-, reply-, kv-state-.
Ends with 'N passed, N failed'; exit status 1 if anything failed.
"""
import glob
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, '..', 'tools'))
from schema_check import Schemas  # noqa: E402

KINDS = ('kv-state', 'event', 'answer', 'request', 'reply')


def kind_of(path):
    name = os.path.basename(path)
    for k in KINDS:
        if name.startswith(k + '-'):
            return k
    return None


def reasons():
    out = {}
    with open(os.path.join(HERE, 'invalid', 'REASONS')) as f:
        for line in f:
            if line.strip() and not line.startswith('#'):
                name, _, why = line.partition(': ')
                out[name.strip()] = why.rstrip('\n')
    return out


def main():
    schemas = Schemas()
    why = reasons()
    passed = failed = 0

    def result(ok, text):
        nonlocal passed, failed
        if ok:
            passed += 1
        else:
            failed += 1
            print('FAIL ' + text)

    for valid in (True, False):
        files = sorted(glob.glob(os.path.join(HERE, 'valid' if valid else 'invalid', '*.json')))
        result(len(files) > 0, 'no samples in %s' % ('valid' if valid else 'invalid'))
        for path in files:
            name = os.path.basename(path)[:-5]
            kind = kind_of(path)
            if not kind:
                result(False, '%s: the name says no schema (%s-...)' % (name, '-, '.join(KINDS)))
                continue
            with open(path) as f:
                errs = schemas.errors(kind, json.load(f))
            if valid:
                result(not errs, '%s: %s' % (name, errs[0] if errs else ''))
            elif name not in why:
                result(False, '%s: not in invalid/REASONS' % name)
            else:
                result(errs and any(why[name] in e for e in errs),
                       '%s: must be refused for "%s", got: %s' % (name, why[name], ' | '.join(errs) or 'accepted'))
    for name in sorted(set(why) - {os.path.basename(p)[:-5] for p in glob.glob(os.path.join(HERE, 'invalid', '*.json'))}):
        result(False, 'invalid/REASONS names %s, which has no sample' % name)
    print('%d passed, %d failed' % (passed, failed))
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
