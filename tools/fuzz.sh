#!/usr/bin/env bash
# Runs one libFuzzer harness for SECONDS over its seeds (tests/fuzz/corpus/NAME) and a working corpus,
# then prints "fuzz NAME: N executions in S s, corpus C inputs" (N from libFuzzer's final stats).
# Usage: tools/fuzz.sh BUILD/fuzz/fuzz_NAME SECONDS WORK_CORPUS_DIR [--fresh]
# --fresh empties the working corpus first (the bounded run in make test). Exit status: the fuzzer's,
# non-zero when an invariant broke or a sanitizer fired; the input is saved under build/fuzz-crashes/.
# PTV_FUZZ_SEED=N fixes libFuzzer's seed (the bounded run in make test does, so a CI run repeats the
# same inputs); unset, every run explores anew (make fuzz).
set -uo pipefail
cd "$(dirname "$0")/.."
bin=$1 secs=$2 work=$3
name=$(basename "$bin")
seeds=tests/fuzz/corpus/${name#fuzz_}
crashes=build/fuzz-crashes
log=build/fuzz-logs/$name.log

if [ ! -x "$bin" ]; then
  echo "fuzz  $name: no fuzzer binary $bin (clang with libFuzzer missing? run tools/deps.sh)" >&2
  exit 1
fi
if [ ! -d "$seeds" ]; then
  echo "fuzz  $name: no seed corpus $seeds" >&2
  exit 1
fi
[ "${4:-}" = --fresh ] && rm -rf "$work"
mkdir -p "$work" "$crashes" "$(dirname "$log")"
seed=()
[ -n "${PTV_FUZZ_SEED:-}" ] && seed=(-seed="$PTV_FUZZ_SEED")
"$bin" "${seed[@]}" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
  -artifact_prefix="$crashes/$name-" "$work" "$seeds" >"$log" 2>&1
rc=$?
execs=$(grep -aoE 'stat::number_of_executed_units: [0-9]+' "$log" | awk '{print $2}')
corpus=$(find "$work" -type f | wc -l)
if [ "$rc" -ne 0 ]; then
  echo "fuzz  $name: FAILED (exit $rc) after ${execs:-?} executions; log $log"
  grep -aE 'fuzz: |ERROR: |runtime error|SUMMARY|Test unit written' "$log" | head -n 12 | sed 's/^/      /'
  exit "$rc"
fi
if [ -z "$execs" ]; then
  echo "fuzz  $name: FAILED: no execution count in $log"
  exit 1
fi
echo "fuzz  $name: $execs executions in ${secs} s, corpus $corpus inputs (+ $(find "$seeds" -type f | wc -l) seeds)"
