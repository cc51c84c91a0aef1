#!/usr/bin/env bash
# Runs every replay case (tests/replay/README.md): socctl replay with the case's args, from the
# repository root, compared byte for byte with expected.jsonl.
set -uo pipefail
: "${BUILD:?BUILD must point at the meson build directory}"
: "${SRC:?SRC must point at the source tree}"
cd "$SRC"
fails=0
for dir in tests/replay/*/; do
  case=$(basename "$dir")
  mapfile -t args <"$dir/args"
  if "$BUILD/socctl/socctl" replay "${args[@]}" >"${TMPDIR:-/tmp}/replay-$case.$$" 2>/dev/null &&
     diff -u "$dir/expected.jsonl" "${TMPDIR:-/tmp}/replay-$case.$$"; then
    echo "ok: $case"
  else
    echo "FAIL: $case"
    fails=$((fails + 1))
  fi
  rm -f "${TMPDIR:-/tmp}/replay-$case.$$"
done
[ "$fails" -eq 0 ]
