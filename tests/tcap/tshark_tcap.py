#!/usr/bin/env python3
"""Check what the TCAP layer encodes with an independent decoder, tshark.

    tshark_tcap.py PROGRAM [ARGS...]   runs "PROGRAM ARGS..." (e.g.
                                       "test_tcap_msg --emit") and checks its output
    tshark_tcap.py --from-file FILE    reads such output from FILE
    --map-ac3 (first)                  read MAP without an application context as
                                       version 3 (the parameters the tests use are v3)

Input lines are "HEX field=value ..." (one TCAP message and fields tshark must
show), as tests/tools/tshark_check.py --from-file reads them; a line may carry
ssn=CALLED,CALLING. Each message is wrapped in SCCP UDT / M3UA / SCTP and
decoded; any malformed frame or expert warning fails, like a missing field.
"""
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'tools'))
import tshark_check  # noqa: E402


def main(argv):
    extra = []
    if argv and argv[0] == '--map-ac3':
        extra = ['-o', 'gsm_map.application.context.version:Treat as AC 3']
        argv = argv[1:]
    if len(argv) >= 2 and argv[0] == '--from-file':
        text = open(argv[1]).read()
    elif argv:
        text = subprocess.run(argv, check=True, capture_output=True, text=True).stdout
    else:
        print(__doc__)
        return 2
    lines = [ln for ln in text.splitlines() if ln.strip()]
    if not lines:
        print('no messages to check')
        return 1
    with tempfile.NamedTemporaryFile('w', suffix='.txt') as f:
        f.write('\n'.join(lines) + '\n')
        f.flush()
        return tshark_check.main(extra + ['--from-file', f.name])


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
