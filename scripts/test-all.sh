#!/usr/bin/env bash
# `make test`: every suite of vbridge, continuing past failures. A suite with its own counts (the C
# vector driver, bun test) contributes them; every other step (build, type check, a binary smoke
# check) counts as one test. Each suite's output is shown and kept in test-artifacts/<name>.log.
# The last line is "N passed, M failed"; the exit status is non-zero if anything failed.
set -uo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
BUN=$ROOT/node_modules/.bin/bun
LOGS=$ROOT/test-artifacts
# qemu-user runs the arm64 binary here; `-cpu max` emulates AES + PMULL, so "auto" picks armv8.
QEMU=(qemu-aarch64 -cpu max -L /usr/aarch64-linux-gnu)
ARM64_BIN=$ROOT/dist/vbridge-linux-arm64
X64_BIN=$ROOT/dist/vbridge-linux-x64

rm -rf "$LOGS"
mkdir -p "$LOGS"
passed=0
failed=0
summary=()

record() { # NAME PASSED FAILED
  passed=$((passed + $2))
  failed=$((failed + $3))
  summary+=("$(printf '  %-32s %5d passed, %d failed' "$1" "$2" "$3")")
}

# Runs a command with its output shown and logged; returns the command's exit status.
# (Whole-output greps below read to the end: an early-exiting `grep -q` would SIGPIPE the tee.)
logged() { # NAME COMMAND...
  local name=$1
  shift
  echo "=== $name"
  "$@" 2>&1 | tee "$LOGS/$name.log"
  return "${PIPESTATUS[0]}"
}

# One test: passes iff the command exits 0.
check() { # NAME COMMAND...
  if logged "$@"; then record "$1" 1 0; else record "$1" 0 1; fi
}

# A suite that prints counts; PASS_RE and FAIL_RE capture them (group 1). A crash before the counts
# is one failure; a non-zero exit with no failure counted is one too.
counted() { # NAME PASS_RE FAIL_RE COMMAND...
  local name=$1 pass_re=$2 fail_re=$3
  shift 3
  logged "$name" "$@"
  local rc=$? p f
  # A suite may run its driver more than once (one C run per emulated CPU): sum every count line.
  p=$(sed -nE "s/$pass_re/\\1/p" "$LOGS/$name.log" | awk '{ s += $1 } END { if (NR) print s }')
  f=$(sed -nE "s/$fail_re/\\1/p" "$LOGS/$name.log" | awk '{ s += $1 } END { if (NR) print s }')
  if [[ -z $p ]]; then
    record "$name" 0 1
    return
  fi
  f=${f:-0}
  ((rc != 0 && f == 0)) && f=1
  record "$name" "$p" "$f"
}

C_PASS='^RESULT passed=([0-9]+) failed=[0-9]+$'
C_FAIL='^RESULT passed=[0-9]+ failed=([0-9]+)$'
BUN_PASS='^ *([0-9]+) pass$'
BUN_FAIL='^ *([0-9]+) fail$'

# The greps below read to the end of their input: an early exit (grep -q) would SIGPIPE the tee.
# The arm64 binary's selftest must resolve "auto" to armv8 (qemu -cpu max has the crypto extensions).
arm64_selftest_auto() {
  "${QEMU[@]}" "$ARM64_BIN" selftest --impl auto | tee /dev/stderr | grep -E '^armv8 +ok' >/dev/null
}

# The arm64 miner under qemu against the built-in pool (the x64 binary, on whatever free port it
# gets): shares accepted and none rejected, read from the --json summary.
arm64_mine_smoke() {
  local log pid port="" summary rc=1
  log=$(mktemp)
  "$X64_BIN" pool --port 0 --diff 1 >"$log" 2>&1 &
  pid=$!
  for _ in $(seq 100); do
    port=$(sed -nE 's/.*listening on 127\.0\.0\.1:([0-9]+),.*/\1/p' "$log")
    [[ -n $port ]] && break
    sleep 0.1
  done
  if [[ -n $port ]]; then
    summary=$("${QEMU[@]}" "$ARM64_BIN" mine --pool "stratum+tcp://127.0.0.1:$port" --user RSmoke.arm64 \
      --threads 2 --duration 4 --json)
    echo "$summary"
    grep -E '"accepted":[1-9]' <<<"$summary" | grep '"rejected":0,' >/dev/null && rc=0
  else
    echo "the built-in pool did not start:" && cat "$log"
  fi
  kill "$pid" 2>/dev/null
  wait "$pid" 2>/dev/null
  rm -f "$log"
  return $rc
}

# The x64 binary alone in an empty directory: nothing but itself to load from.
ALONE=$(mktemp -d)
trap 'rm -rf "$ALONE"' EXIT
alone() {
  cp "$X64_BIN" "$ALONE/vbridge" && (cd "$ALONE" && env -u VBRIDGE_NATIVE_LIB "$@")
}
alone_bench_threads() {
  alone ./vbridge bench --threads 2 --seconds 0.3 --json | tee /dev/stderr | grep '"threads":2' >/dev/null
}

check deps make deps
check native make native-all
check browser-build make wasm web
check typecheck make typecheck
check format make fmt-check
counted c-vectors-x64-sanitizers "$C_PASS" "$C_FAIL" make test-c-host
counted c-lanes-2e20-nonces "$C_PASS" "$C_FAIL" make test-c-lanes
counted c-vectors-x64-old-cpus "$C_PASS" "$C_FAIL" make test-c-x64-old-cpus
counted c-vectors-arm64-qemu "$C_PASS" "$C_FAIL" make test-c-arm64
counted bun-test "$BUN_PASS" "$BUN_FAIL" make test-bun
check dist make dist
check arm64-selftest-auto arm64_selftest_auto
check arm64-hash-auto "$BUN" scripts/hash-check.ts "${QEMU[@]}" "$ARM64_BIN"
check arm64-selftest-portable "${QEMU[@]}" "$ARM64_BIN" selftest --impl portable
check arm64-hash-portable "$BUN" scripts/hash-check.ts --impl portable "${QEMU[@]}" "$ARM64_BIN"
check arm64-mine-smoke arm64_mine_smoke
check x64-alone-selftest alone ./vbridge selftest
check x64-alone-hash alone "$BUN" "$ROOT/scripts/hash-check.ts" ./vbridge
check x64-alone-bench-threads alone_bench_threads
# The browser miner in headless Chromium, served by the x64 binary (its embedded page and .wasm).
counted browser-chromium "$BUN_PASS" "$BUN_FAIL" env VBRIDGE_BIN="$X64_BIN" make test-browser

echo "=== summary (logs in test-artifacts/)"
printf '%s\n' "${summary[@]}"
echo "$passed passed, $failed failed"
((failed == 0))
