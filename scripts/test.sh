#!/usr/bin/env bash
# Installs what is missing, builds, runs every test registered with meson (unit and end-to-end),
# and ends with exactly one summary line:
#
#   N passed, N failed, N skipped
#
# preceded by the names of the skipped and failed tests. Exits 0 if and only if nothing failed.
# Extra arguments go to `meson test` (e.g. a test name, or --suite unit).
#
# A failure of the setup/build step, or of `meson test` itself without a failed test in its
# log, is counted as one failed "test" with that name, so the last line is always the summary.
set -uo pipefail

# summarize TESTLOG [MESON_TEST_STATUS]: prints the skipped and failed tests and the summary
# line; exits 0 iff nothing failed. A non-zero MESON_TEST_STATUS with no failed test in the log
# means meson itself failed, and counts as one failure.
summarize() {
  python3 - "$@" <<'PY'
import json
import sys

path = sys.argv[1]
meson_status = int(sys.argv[2]) if len(sys.argv) > 2 else 0

# meson's TestResult values. EXPECTEDFAIL is a pass (the test is known to fail and did);
# UNEXPECTEDPASS, TIMEOUT, ERROR and INTERRUPT are failures.
PASS = {"OK", "EXPECTEDFAIL"}
SKIP = {"SKIP"}

passed, failed, skipped = [], [], []
try:
    with open(path, encoding="utf-8") as f:
        for lineno, line in enumerate(f, 1):
            line = line.strip()
            if not line:
                continue
            try:
                rec = json.loads(line)
            except json.JSONDecodeError as e:
                failed.append(f"{path}:{lineno}: unreadable test log line ({e.msg})")
                continue
            name = rec.get("name", f"<unnamed test at {path}:{lineno}>")
            result = str(rec.get("result", "")).upper()
            if result in PASS:
                passed.append(name)
            elif result in SKIP:
                skipped.append(name)
            else:
                failed.append(f"{name} ({result or 'no result'})")
except FileNotFoundError:
    if meson_status == 0:
        print(f"note: {path} not found: no tests ran")

if meson_status != 0 and not failed:
    failed.append(f"meson test (exited {meson_status} without a failed test, see above)")

if skipped:
    print("skipped tests:")
    for n in skipped:
        print(f"  {n}")
if failed:
    print("failed tests:")
    for n in failed:
        print(f"  {n}")
print(f"{len(passed)} passed, {len(failed)} failed, {len(skipped)} skipped")
sys.exit(1 if failed else 0)
PY
}

# Lets the parser be checked without building: scripts/test.sh --summarize FILE
if [[ "${1:-}" == "--summarize" ]]; then
  summarize "${2:?usage: scripts/test.sh --summarize TESTLOG.json}"
  exit $?
fi

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root" || exit 1
testlog=build/meson-logs/testlog.json

if ! "$root/scripts/setup.sh"; then
  echo "test: setup or build failed; no tests were run" >&2
  echo "failed tests:"
  echo "  setup/build (scripts/setup.sh failed, see above)"
  echo "0 passed, 1 failed, 0 skipped"
  exit 1
fi

# A stale log from an earlier run must not be counted.
rm -f "$testlog"

echo "==> running tests (meson test -C build --print-errorlogs --num-processes 2${*:+ $*})"
meson test -C build --print-errorlogs --num-processes 2 "$@"
meson_rc=$?

summarize "$testlog" "$meson_rc"
