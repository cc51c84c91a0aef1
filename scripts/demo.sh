#!/usr/bin/env bash
# Installs what is missing, builds, and runs `socctl demo` from the repository root (it reads
# the sample province under examples/). Extra arguments go to `socctl demo`.
# The setup's progress goes to stderr, so stdout carries only the demo's output.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"

"$root/scripts/setup.sh" >&2 || { echo "demo: setup or build failed, see above" >&2; exit 1; }

socctl=build/socctl/socctl
[[ -x "$socctl" ]] || { echo "demo: $socctl was not built" >&2; exit 1; }
exec "$socctl" demo "$@"
