#!/usr/bin/env python3
"""The codec's one-parameter API against the golden messages.

For every component parameter that a golden case decodes (no "_error"), the parameter TLV is
cut out of the case's hex by a small BER walk written here, then:
  (a) `ss7gw decode --param KIND --code N --proto P [--version V] TLV` must print the case's
      "parameter" JSON, and
  (b) `ss7gw encode --param ...` with that JSON must print the same TLV.
The version comes from the case's application context (MAP: last arc; CAP: by the golden
directory's convention of the phase in the AC table), or none for MAP v1 dialogues.
Prints 'N passed, M failed'; exits non-zero on failure.
"""
import concurrent.futures
import glob
import json
import os
import subprocess
import sys

KINDS = {0xa1: 'argument', 0xa2: 'result', 0xa7: 'result', 0xa3: 'error'}


def tlvs(buf):
    """Split concatenated BER TLVs (definite lengths only: goldens are DER)."""
    out, i = [], 0
    while i < len(buf):
        start, tag = i, buf[i]
        i += 1
        if tag & 0x1f == 0x1f:
            while buf[i] & 0x80:
                i += 1
            i += 1
        n = buf[i]
        i += 1
        if n & 0x80:
            k = n & 0x7f
            n = int.from_bytes(buf[i:i + k], 'big')
            i += k
        out.append((tag, buf[start:i + n], buf[i:i + n]))
        i += n
    return out


def components(msg):
    """(component tag, code, parameter TLV or None) for each component of a TCAP message."""
    (_, _, body), = tlvs(msg)
    for tag, _, content in tlvs(body):
        if tag != 0x6c:
            continue
        for ctag, _, c in tlvs(content):
            parts = tlvs(c)
            if ctag in (0xa2, 0xa7):
                seq = [p for p in parts if p[0] == 0x30]
                parts = tlvs(seq[0][2]) if seq else []
            else:
                parts = [p for p in parts if p[0] != 0x80]          # linked id
                parts = parts[1:] if ctag != 0xa4 else parts        # invoke id
            if ctag not in KINDS or not parts or parts[0][0] != 0x02:
                continue
            code = int.from_bytes(parts[0][2], 'big', signed=True)
            yield ctag, code, parts[1][1] if len(parts) > 1 else None


def json_components(case):
    body = next(iter(case['json'].values()))
    for comp in body.get('components', []):
        kind, c = next(iter(comp.items()))
        if kind.startswith('returnResult'):
            c = c.get('result', {})
        yield c


def version_of(case):
    body = next(iter(case['json'].values()))
    pdu = body.get('dialoguePortion', {}).get('encoding', {}).get('single-ASN1-type', {})
    for apdu in ('dialogueRequest', 'dialogueResponse', 'unidialoguePDU'):
        acn = pdu.get(apdu, {}).get('application-context-name')
        if acn:
            return acn
    return None


def jobs(root):
    for path in sorted(glob.glob(os.path.join(root, '*', '*.json'))):
        proto = os.path.basename(os.path.dirname(path))
        if proto not in ('map', 'cap'):
            continue
        case = json.load(open(path))
        acn = version_of(case)
        for i, ((ctag, code, tlv), jc) in enumerate(zip(components(bytes.fromhex(case['hex'])),
                                                        json_components(case))):
            if tlv is None or '_error' in jc or 'parameter' not in jc:
                continue
            yield ('%s#%d' % (os.path.relpath(path, root), i), proto, acn, KINDS[ctag], code,
                   tlv.hex(), jc['parameter'])


def run_one(ss7gw, job):
    name, proto, acn, kind, code, hexs, want = job
    args = ['--proto', proto, '--param', kind, '--code', str(code)]
    if acn:
        args += ['--ac', acn]
    d = subprocess.run([ss7gw, 'decode'] + args + [hexs], capture_output=True, text=True)
    if d.returncode or json.loads(d.stdout) != want:
        return name, 'decode: %s%s' % (d.stderr.strip(), d.stdout[:300])
    e = subprocess.run([ss7gw, 'encode'] + args, input=json.dumps(want), capture_output=True,
                       text=True)
    if e.returncode or e.stdout.strip() != hexs:
        return name, 'encode: %s got %s want %s' % (e.stderr.strip(), e.stdout.strip(), hexs)
    return name, None


# (args, stdin or None for decode, expected stderr fragment): refused with exit status 2
BAD = [
    (['decode', '--param', 'argument', '--code', '45', '3000'], None, 'RoutingInfoForSM-Arg'),
    (['decode', '--param', 'argument', '--code', '4242', '3000'], None, 'unknown MAP operation 4242'),
    (['decode', '--param', 'result', '--code', '45', '--version', '1', 'ff'], None, ''),
    (['decode', '--param', 'error', '--code', '3', '3000'], None, 'has no parameter'),
    (['decode', '--param', 'argument', '3000'], None, '--param and --code go together'),
    (['decode', '--ac', 'noSuchContext-v9', '3000'], None, 'unknown application context'),
    (['encode', '--param', 'argument', '--code', '45'], '{"msisdn": 12', 'JSON'),
    (['encode', '--param', 'argument', '--code', '45'], '{"msisdn": {"digits": "12x"}}', 'msisdn'),
    (['encode', '--param', 'argument', '--code', '45'], '{"noSuchField": 1}', 'noSuchField'),
    (['encode', '--proto', 'cap', '--param', 'argument', '--code', '999'], '{}', 'unknown CAP operation'),
]


def refusals(ss7gw):
    failed = 0
    for args, stdin, frag in BAD:
        r = subprocess.run([ss7gw] + args, input=stdin or '', capture_output=True, text=True)
        if r.returncode != 2 or frag not in r.stderr or r.stdout:
            failed += 1
            print('FAIL - refusal %s: rc=%d %r' % (' '.join(args), r.returncode, r.stderr))
    return failed


def main():
    ss7gw, root = sys.argv[1], sys.argv[2]
    todo = list(jobs(root))
    failed = refusals(ss7gw)
    with concurrent.futures.ThreadPoolExecutor(4) as pool:
        for name, err in pool.map(lambda j: run_one(ss7gw, j), todo):
            if err:
                failed += 1
                print('FAIL - %s: %s' % (name, err))
    print('%d passed, %d failed' % (len(todo) + len(BAD) - failed, failed))
    return 1 if failed or not todo else 0


if __name__ == '__main__':
    sys.exit(main())
