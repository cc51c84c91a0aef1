#!/usr/bin/env bash
# Configures and builds build-san/: the whole project with clang (-O1, line tables only: what ASan
# recommends, and less to compile than -O2 -g; docs/adr/0035), AddressSanitizer and
# UndefinedBehaviorSanitizer (findings end the process), instrumented for libFuzzer, with the
# fuzz targets (-Dfuzz=enabled). `meson test -C build-san` then runs the whole suite under the
# sanitizers (the environment and the LeakSanitizer suppressions are the build's default test
# setup, tests/meson.build) and the `fuzz` suite fuzzes each parser of untrusted input for
# SOC_FUZZ_SECONDS (default 20) seconds (docs/adr/0035). Idempotent, like setup.sh; run it after
# scripts/setup.sh (which installs clang with the other packages).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
say() { printf '==> %s\n' "$*"; }
if [[ ! -f build-san/meson-private/coredata.dat ]]; then
  say "configuring build-san/ (clang, -Db_sanitize=address,undefined, -Dfuzz=enabled)"
  CC=clang CXX=clang++ meson setup build-san -Doptimization=1 -Ddebug=false \
    -Dc_args=-gline-tables-only -Dcpp_args=-gline-tables-only -Db_sanitize=address,undefined \
    -Db_lundef=false -Dfuzz=enabled -Dbench=disabled
elif ! meson introspect --projectinfo build-san >/dev/null 2>&1 || [[ ! -f build-san/build.ninja ]]; then
  meson setup --reconfigure build-san
fi
say "building (ninja -C build-san)"
ninja -C build-san
