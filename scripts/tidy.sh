#!/usr/bin/env bash
# Runs clang-tidy (the checks of .clang-tidy) over the project's own sources: every .cpp that git
# tracks outside tests/ and bench/ (so a new file, or a new top-level folder, is checked without
# editing this script), and the project headers they include, also outside tests/ and bench/.
# Tests, benchmarks and generated files are not linted. Every finding is an error
# (WarningsAsErrors), so the exit status is 0 iff the code is clean.
#
#   scripts/tidy.sh [BUILD_DIR]        # default build/, configured with `meson setup` if needed
#
# Exit status: 0 clean; 1 findings (or a tracked .cpp that BUILD_DIR does not compile, which
# clang-tidy cannot check); 77 when clang-tidy is not installed (scripts/test.sh counts that as
# a skip, and under CI=true as a failure).
#
# SOC_TIDY_JOBS sets the parallel clang-tidy processes (default: the number of CPUs).
# Needs Debian 12's clang-tidy (clang-tidy 14); docs/adr/0035 says what it costs.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
build=${1:-build}
command -v run-clang-tidy >/dev/null 2>&1 || { echo "tidy: run-clang-tidy not found (apt-get install clang-tidy)" >&2; exit 77; }
if [[ ! -f "$build/compile_commands.json" ]]; then
  meson setup "$build" >/dev/null
fi

# The sources to check: tracked .cpp files outside tests/ and bench/ (without git, the same
# from the tree, build folders left out).
if git -C "$root" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
  mapfile -t sources < <(git -C "$root" ls-files '*.cpp' | grep -v -e '^tests/' -e '^bench/')
else
  mapfile -t sources < <(find . -name '*.cpp' -not -path './tests/*' -not -path './bench/*' -not -path './build*' \
    -not -path './.*' | sed 's|^\./||' | sort)
fi
((${#sources[@]})) || { echo "tidy: no sources found under $root" >&2; exit 1; }
# Each must be in the compilation database, or clang-tidy would skip it without a word.
compiled=$(python3 - "$build/compile_commands.json" <<'PY'
import json, os, sys
with open(sys.argv[1], encoding="utf-8") as f:
    for e in json.load(f):
        print(os.path.normpath(os.path.join(e["directory"], e["file"])))
PY
)
missing=()
for f in "${sources[@]}"; do
  grep -qxF "$root/$f" <<<"$compiled" || missing+=("$f")
done
if ((${#missing[@]})); then
  echo "tidy: $build does not compile these sources, so clang-tidy cannot check them:" >&2
  printf '  %s\n' "${missing[@]}" >&2
  exit 1
fi

# run-clang-tidy reads the remaining arguments as regular expressions over the absolute paths of
# compile_commands.json; headers reach clang-tidy as ROOT/BUILD/../DIR/x.h or ROOT/DIR/x.h.
quote() { sed 's/[][\.*^$+?(){}|/]/\\&/g'; }
quoted_root=$(printf '%s' "$root" | quote)
file_re="^$quoted_root/($(printf '%s\n' "${sources[@]}" | quote | paste -sd'|'))\$"
dirs=$(printf '%s\n' "${sources[@]}" | grep / | cut -d/ -f1 | sort -u | paste -sd'|')
header_re="^$quoted_root/([^/]+/\.\./)?($dirs)/"
started=$SECONDS
set +e
# -fno-diagnostics-color: meson's compile commands ask for colour (b_colorout), unreadable in a log.
run-clang-tidy -quiet -p "$build" -j "${SOC_TIDY_JOBS:-$(nproc)}" -header-filter "$header_re" \
  -extra-arg=-fno-diagnostics-color "$file_re" 2>&1 |
  grep --line-buffered -v -e '^\(.\[0m\)\?[0-9]* warnings\? generated\.$' -e '^Suppressed [0-9]* warnings' \
    -e '^Use -header-filter=' -e '^clang-tidy-14 ' -e '^clang-tidy '
rc=${PIPESTATUS[0]}
set -e
echo "tidy: clang-tidy over ${#sources[@]} files (${dirs//|/, }) took $((SECONDS - started)) s; $([[ $rc == 0 ]] && echo clean || echo 'findings above')"
((rc == 0)) || exit 1
