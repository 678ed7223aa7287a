#!/usr/bin/env python3
"""schemas.gw: what the gateway core really sends meets the schemas.

Runs test_gw (unit.gw) with SS7GW_GW_DUMP=<temporary directory>: every event it published
(plain or as a request for an answer), every reply to an application and every KV state
written lands there as <kind>-<n>.json, beside the answers and requests the test sent as
the application. Each file is validated against schemas/<kind>.json; a kind with no file
fails too (the dump or the test lost a path).

    gw_dump.py PATH/TO/test_gw [--keep DIR]
"""
import argparse
import glob
import json
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, '..', 'tools'))
from schema_check import Schemas  # noqa: E402

KINDS = ('event', 'reply', 'kv-state', 'answer', 'request')


def check(directory, schemas):
    passed = failed = 0
    for kind in KINDS:
        files = sorted(glob.glob(os.path.join(directory, kind + '-*.json')))
        if not files:
            failed += 1
            print('FAIL %s: test_gw dumped no file of this kind' % kind)
            continue
        bad = 0
        for path in files:
            with open(path) as f:
                text = f.read()
            try:
                doc = json.loads(text)
            except ValueError as e:
                errs = ['not JSON: %s' % e]
            else:
                errs = schemas.errors(kind, doc)
            if errs:
                bad += 1
                print('FAIL %s: %s\n  %s' % (os.path.basename(path), errs[0], text.strip()[:600]))
        print('%-8s %3d files, %d refused' % (kind, len(files), bad))
        passed += len(files) - bad
        failed += bad
    return passed, failed


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    ap.add_argument('test_gw')
    ap.add_argument('--keep', help='dump into this directory and leave it there')
    args = ap.parse_args()
    schemas = Schemas()
    with tempfile.TemporaryDirectory(prefix='gw_dump.') as tmp:
        directory = args.keep or tmp
        os.makedirs(directory, exist_ok=True)
        for old in glob.glob(os.path.join(directory, '*.json')):
            os.unlink(old)
        run = subprocess.run([args.test_gw], env=dict(os.environ, SS7GW_GW_DUMP=directory),
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=120)
        if run.returncode != 0:
            print(run.stdout[-3000:])
            print('FAIL test_gw exited %d' % run.returncode)
            print('0 passed, 1 failed')
            return 1
        passed, failed = check(directory, schemas)
    print('%d passed, %d failed' % (passed, failed))
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
