#!/usr/bin/env bash
# Runs the static checks, the host unit tests (cmocka) and the emulator integration tests, then
# prints "N passed, M failed, K skipped" as its last line; exits non-zero on any failure.
# Usage: tools/run-tests.sh UNIT_BINARIES...   (PTV_TESTS=checks|unit|fuzz|integration|all, default all;
# unit includes the bounded fuzz run;
# PTV_TEST_FILTER=regex selects integration scripts by name; PTV_ANALYZE_LOGS lists the analyzer's
# per-source logs, which `make test` builds: see the Makefile; PTV_FUZZ_TIME=seconds per fuzzer in the
# bounded fuzz run, default 4)
set -uo pipefail
cd "$(dirname "$0")/.."
which=${PTV_TESTS:-all}
passed=0 failed=0 skipped=0
failures=()
logdir=build/test-logs
mkdir -p "$logdir"

# Static checks, one test each: the analyzer's findings (gcc -fanalyzer on the VMM sources, run by
# make into one log per source, empty when clean) and the layout of the C sources (.clang-format).
if [ "$which" = all ] || [ "$which" = checks ]; then
  out=$logdir/analyze.log
  if [ -n "${PTV_ANALYZE_LOGS:-}" ]; then
    read -ra logs <<<"$PTV_ANALYZE_LOGS"
    found=()
    for l in "${logs[@]}"; do [ -s "$l" ] && found+=("$l"); done
    if [ ${#found[@]} -eq 0 ]; then
      : >"$out"
      passed=$((passed + 1))
      echo "check analyze: ${#logs[@]} VMM sources, no findings"
    else
      cat "${found[@]}" >"$out"
      failed=$((failed + 1))
      failures+=("analyze (see $out)")
      echo "check analyze: findings in ${#found[@]} of ${#logs[@]} VMM sources, FAILED"
      grep -aE ': (error|warning): ' "$out" | head -n 20 | sed 's/^/      /'
    fi
  else
    skipped=$((skipped + 1))
    echo "check analyze: skipped (run through make test, which builds the analyzer's logs)"
  fi

  out=$logdir/format.log
  tools/format.sh --check >"$out" 2>&1
  rc=$?
  if [ "$rc" -eq 0 ]; then
    passed=$((passed + 1))
    echo "check $(head -n 1 "$out")"
  else
    failed=$((failed + 1))
    failures+=("format (see $out)")
    echo "check format: FAILED"
    head -n 21 "$out" | sed 's/^/      /'
    n=$(wc -l <"$out")
    [ "$n" -le 21 ] || echo "      ... $((n - 21)) more lines in $out"
  fi
fi

if [ "$which" = all ] || [ "$which" = unit ]; then
  for t in "$@"; do
    name=$(basename "$t")
    out=$logdir/$name.log
    "$t" >"$out" 2>&1
    rc=$?
    p=$(grep -aoE '\[  PASSED  \] [0-9]+ test' "$out" | awk '{s+=$4} END {print s+0}')
    f=$(grep -aoE '\[  FAILED  \] [0-9]+ test' "$out" | awk '{s+=$4} END {print s+0}')
    if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
      f=1   # crashed or aborted before cmocka could summarise
    fi
    passed=$((passed + p)); failed=$((failed + f))
    if [ "$f" -gt 0 ]; then
      failures+=("$name (see $out)")
      echo "unit  $name: $p passed, $f FAILED"
      grep -aE '^\[  FAILED  \] test|^\[  ERROR   \]|ERROR: |panic at|runtime error|AddressSanitizer' "$out" | head -n 20 | sed 's/^/      /'
    else
      echo "unit  $name: $p passed"
    fi
  done
fi

# The bounded fuzz run: every harness in tests/fuzz for a few seconds, one test each, with a fixed
# seed (PTV_FUZZ_SEED; empty for a fresh one) so that a run repeats; make fuzz explores. A harness whose
# binary was not built (no clang/libFuzzer) is a failure, never a skip.
if [ "$which" = all ] || [ "$which" = unit ] || [ "$which" = fuzz ]; then
  for src in tests/fuzz/fuzz_*.c; do
    bin=build/fuzz/$(basename "$src" .c)
    line=$(PTV_FUZZ_SEED=${PTV_FUZZ_SEED-20261206} tools/fuzz.sh "$bin" "${PTV_FUZZ_TIME:-4}" "build/test-fuzz/$(basename "$bin")" --fresh 2>&1)
    rc=$?
    echo "$line" | sed '2,$s/^/      /'
    if [ "$rc" -eq 0 ]; then
      passed=$((passed + 1))
    else
      failed=$((failed + 1))
      failures+=("$(basename "$bin") (see build/fuzz-logs/$(basename "$bin").log)")
    fi
  done
fi

if [ "$which" = all ] || [ "$which" = integration ]; then
  for s in tests/integration/test_*.sh; do
    name=$(basename "$s" .sh)
    if [ -n "${PTV_TEST_FILTER:-}" ] && ! [[ $name =~ $PTV_TEST_FILTER ]]; then continue; fi
    out=$logdir/$name.log
    start=$EPOCHREALTIME
    bash "$s" >"$out" 2>&1
    rc=$?
    secs=$(awk -v a="$start" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }')
    p=$(grep -ac '^PASS: ' "$out"); f=$(grep -ac '^FAIL: ' "$out"); k=$(grep -ac '^SKIP: ' "$out")
    if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
      f=1
      echo "FAIL: $name exited $rc" >>"$out"
    fi
    passed=$((passed + p)); failed=$((failed + f)); skipped=$((skipped + k))
    if [ "$f" -gt 0 ]; then
      failures+=("$name (see $out)")
      echo "integ $name: $p passed, $f FAILED, $k skipped (${secs}s)"
      grep -a '^FAIL: ' "$out" | head -n 20 | sed 's/^/      /'
    else
      echo "integ $name: $p passed, $k skipped (${secs}s)"
    fi
  done
fi

if [ ${#failures[@]} -gt 0 ]; then
  echo "failed: ${failures[*]}"
fi
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
