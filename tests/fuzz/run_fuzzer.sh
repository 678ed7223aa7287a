#!/usr/bin/env bash
# run_fuzzer.sh FUZZER CORPUS SECONDS: libFuzzer for a bounded time on a copy
# of the corpus. Any crash, leak or sanitizer report fails the test; the
# reproducer is left in the work directory and printed as hex.
set -euo pipefail
fuzzer=$1 corpus=$2 seconds=$3
work=$(mktemp -d /tmp/ss7gw-fuzz.XXXXXX)
mkdir -p "$work/corpus"
cp "$corpus"/* "$work/corpus/" 2>/dev/null || true
cd "$work"
if "$fuzzer" -max_total_time="$seconds" -max_len=4096 -timeout=10 -rss_limit_mb=2048 \
     -print_final_stats=1 corpus >fuzz.log 2>&1; then
  grep -E "stat::number_of_executed_units|stat::peak_rss_mb" fuzz.log || true
  echo "1 passed, 0 failed"
  rm -rf "$work"
  exit 0
fi
tail -n 60 fuzz.log
for f in crash-* leak-* timeout-* oom-*; do
  [ -e "$f" ] && echo "reproducer $f: $(od -An -tx1 -v "$f" | tr -d ' \n')"
done
echo "0 passed, 1 failed"
exit 1
