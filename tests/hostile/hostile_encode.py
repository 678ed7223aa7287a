#!/usr/bin/env python3
"""Hostile JSON for `ss7gw encode`: broken JSON, wrong types, values out of
range, unknown fields, deep nesting, huge inputs. Every case must be refused
with exit status 2, nothing on stdout and one line on stderr that names the
problem (and, for a value, where it is). Run in the sanitizer build too.
Usage: hostile_encode.py SS7GW"""
import json
import subprocess
import sys

DLG = {"direct-reference": "0.0.17.773.1.1.1",
       "encoding": {"single-ASN1-type": {"dialogueRequest": {
           "protocol-version": "1", "application-context-name": "0.4.0.0.1.0.20.3"}}}}
MSISDN = {"nature": "international", "plan": "isdn", "digits": "4917012345678"}


def sri(**param):
    p = {"msisdn": MSISDN, "sm-RP-PRI": True, "serviceCentreAddress": MSISDN}
    p.update(param)
    p = {k: v for k, v in p.items() if v is not None}
    return json.dumps({"begin": {"otid": "01020304", "dialoguePortion": DLG, "components": [
        {"invoke": {"invokeID": 1, "opCode": {"localValue": 45}, "parameter": p}}]}})


def deep(n):
    return '{"begin":{"otid":"01","components":[{"invoke":{"invokeID":1,"opCode":{"localValue":45},"parameter":' + \
        '{"a":' * n + '1' + '}' * n + '}}]}}'


CASES = [
    # (name, stdin text, text the error must contain)
    ('empty', '', 'JSON'),
    ('not-json', 'hello', 'JSON line 1'),
    ('truncated', '{"begin":{"otid":"01"', 'JSON'),
    ('trailing-garbage', '{"begin":{"otid":"01"}} x', 'garbage after'),
    ('duplicate-key', '{"begin":{"otid":"01","otid":"02"}}', 'duplicate key'),
    ('bad-utf8', b'{"begin":{"otid":"\xff"}}', 'UTF-8'),
    ('lone-surrogate', '{"begin":{"otid":"\\ud800"}}', 'surrogate'),
    ('array-top', '[1,2]', 'TCAP message is a JSON object'),
    ('two-kinds', '{"begin":{"otid":"01"},"end":{"dtid":"01"}}', 'exactly one alternative'),
    ('unknown-kind', '{"beginn":{"otid":"01"}}', 'unknown alternative "beginn"'),
    ('unknown-field', '{"begin":{"otid":"01","colour":"red"}}', 'unknown field "colour"'),
    ('missing-dtid', '{"end":{}}', 'missing mandatory field "dtid"'),
    ('otid-not-hex', '{"begin":{"otid":"xyz1"}}', 'begin.otid'),
    ('otid-too-long', '{"begin":{"otid":"0102030405"}}', 'begin.otid: 5 octets, the size is 1..4'),
    ('otid-number', '{"begin":{"otid":1}}', 'begin.otid'),
    ('invoke-id-string', '{"begin":{"otid":"01","components":[{"invoke":{"invokeID":"1","opCode":{"localValue":45}}}]}}', 'invokeID'),
    ('invoke-id-range', '{"begin":{"otid":"01","components":[{"invoke":{"invokeID":300,"opCode":{"localValue":45}}}]}}', 'invoke.invokeID: 300 is above 127'),
    ('integer-huge', '{"begin":{"otid":"01","components":[{"invoke":{"invokeID":99999999999999999999,"opCode":{"localValue":45}}}]}}', 'out of range'),
    ('integer-real', '{"begin":{"otid":"01","components":[{"invoke":{"invokeID":1.5,"opCode":{"localValue":45}}}]}}', 'invokeID'),
    ('no-components', '{"begin":{"otid":"01","components":[]}}', 'ComponentPortion'),
    ('unknown-operation-name', '{"begin":{"otid":"01","components":[{"invoke":{"invokeID":1,"operation":"fly"}}]}}', 'unknown MAP operation "fly"'),
    ('bad-acn', json.dumps({"begin": {"otid": "01", "dialoguePortion": {"direct-reference": "0.0.17.773.1.1.1", "encoding": {"single-ASN1-type": {"dialogueRequest": {"application-context-name": "banana"}}}}}}), 'OID'),
    ('param-missing-mandatory', sri(**{"sm-RP-PRI": None}), 'missing mandatory field "sm-RP-PRI"'),
    ('param-wrong-type', sri(**{"sm-RP-PRI": "yes"}), 'sm-RP-PRI'),
    ('param-bad-digits', sri(msisdn={"nature": "international", "plan": "isdn", "digits": "49-170"}), 'msisdn'),
    ('param-msisdn-too-long', sri(msisdn={"nature": "international", "plan": "isdn", "digits": "4" * 30}), 'msisdn'),
    ('param-unknown-nature', sri(msisdn={"nature": "galactic", "plan": "isdn", "digits": "49"}), 'msisdn'),
    ('param-unknown-field', sri(colour="red"), 'unknown field "colour"'),
    ('param-bad-extension-hex', sri(_unknownExtensions="9f"), '_unknownExtensions'),
    ('param-extension-known-tag', sri(_unknownExtensions="800100"), 'tag of a known member'),
    ('param-enumerated-unknown', json.dumps({"begin": {"otid": "01", "components": [{"invoke": {"invokeID": 1, "opCode": {"localValue": 66}, "parameter": {"imsi": "262011234567890", "alertReason": "sleepy"}}}]}}), 'unknown value "sleepy"'),
    ('deep-nesting', deep(200), 'nested too deeply'),
    ('huge-hex', '{"begin":{"otid":"01","components":[{"invoke":{"invokeID":1,"opCode":{"localValue":99},"parameter":"' + '00' * 70000 + '"}}]}}', 'parameter'),
    ('huge-input', '{"begin":{"otid":"01","x":"' + 'a' * (5 << 20) + '"}}', 'too large'),
    # an open type's value is one whole TLV: never a constructed tag around something else (issue 9)
    ('raw-parameter-not-a-tlv', '{"begin":{"otid":"01","components":[{"invoke":{"invokeID":1,"opCode":{"localValue":99},"parameter":"ff"}}]}}', 'one whole TLV'),
    ('raw-parameter-two-tlvs', '{"begin":{"otid":"01","components":[{"invoke":{"invokeID":1,"opCode":{"localValue":99},"parameter":"04000400"}}]}}', 'one whole TLV'),
]

# One parameter (--param ...): (name, args, stdin text, text the error must contain)
CAP_RESET_TIMER = ['--param', 'argument', '--code', '33', '--proto', 'cap']


def reset_timer(value):
    return json.dumps({"timerID": "tssf", "timervalue": 1000, "callSegmentID": 100,
                       "extensions": [{"type": {"local": 2}, "value": value}]})


PARAM_CASES = [
    ('constraint-error-names-field', ['--param', 'argument', '--code', '63', '--proto', 'map'],
     '{"absentSubscriberDiagnosticSM":555}', 'absentSubscriberDiagnosticSM: 555 is above 255'),
    ('cap-extension-value-not-a-tlv', CAP_RESET_TIMER, reset_timer("ff"), "extensions[0].value: value: an open type's value is one whole TLV"),
    ('cap-extension-value-empty', CAP_RESET_TIMER, reset_timer(""), 'one whole TLV'),
    ('cap-extension-value-two-tlvs', CAP_RESET_TIMER, reset_timer("02010502"), 'one whole TLV'),
]


def main():
    binary = sys.argv[1]
    passed = failed = 0
    for name, args, text, want in [(c[0], [], *c[1:]) for c in CASES] + PARAM_CASES:
        data = text if isinstance(text, bytes) else text.encode()
        p = subprocess.run([binary, 'encode', *args], input=data, capture_output=True, timeout=30)
        out, err = p.stdout.decode(errors='replace'), p.stderr.decode(errors='replace')
        ok = p.returncode == 2 and out == '' and err.count('\n') == 1 and want in err
        if ok:
            print('ok   %s' % name)
            passed += 1
        else:
            print('FAIL %s: want exit 2 naming %r, got rc=%d out=%r err=%r' % (name, want, p.returncode, out[:100], err.strip()[-300:]))
            failed += 1
    print('%d passed, %d failed' % (passed, failed))
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
