#!/usr/bin/env bash
# Runs clang-tidy (the checks of .clang-tidy) over the project's own sources: every .cpp of
# core/, daemon/, sensors/, collectors/ and socctl/ that build/compile_commands.json compiles,
# and the project headers they include (.clang-tidy's HeaderFilterRegex). Tests, benchmarks and
# generated files are not linted. Every finding is an error (WarningsAsErrors), so the exit
# status is 0 iff the code is clean.
#
#   scripts/tidy.sh [BUILD_DIR]        # default build/, configured with `meson setup` if needed
#
# SOC_TIDY_JOBS sets the parallel clang-tidy processes (default: the number of CPUs).
# Needs Debian 12's clang-tidy (clang-tidy 14); docs/adr/0035 says what it costs.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
build=${1:-build}
command -v run-clang-tidy >/dev/null 2>&1 || { echo "tidy: run-clang-tidy not found (apt-get install clang-tidy)" >&2; exit 1; }
if [[ ! -f "$build/compile_commands.json" ]]; then
  meson setup "$build" >/dev/null
fi
# run-clang-tidy reads the remaining arguments as regular expressions over the absolute paths of
# compile_commands.json; the generated sources under the build directory do not match.
pattern="^$(printf '%s' "$root" | sed 's/[][\.*^$+?(){}|/]/\\&/g')/(core|daemon|sensors|collectors|socctl)/.*\.cpp$"
started=$SECONDS
set +e
run-clang-tidy -quiet -p "$build" -j "${SOC_TIDY_JOBS:-$(nproc)}" "$pattern" 2>&1 |
  grep -v -e '^[0-9]* warnings\? generated\.$' -e '^Suppressed [0-9]* warnings' \
    -e '^Use -header-filter=' -e '^clang-tidy-14 ' -e '^clang-tidy '
rc=${PIPESTATUS[0]}
set -e
files=$(grep -oE '"file": "[^"]*\.\./(core|daemon|sensors|collectors|socctl)/[^"]*\.cpp"' "$build/compile_commands.json" | sort -u | wc -l)
echo "tidy: clang-tidy over $files files took $((SECONDS - started)) s; $([[ $rc == 0 ]] && echo clean || echo 'findings above')"
exit "$rc"
