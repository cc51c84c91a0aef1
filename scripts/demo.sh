#!/usr/bin/env bash
# Installs what is missing, builds, and runs `socctl demo` from the repository root: the
# correlator and the real log and packet sensors on the sample province under examples/
# (docs/adr/0015-demo-real-sensors.md). Extra arguments go to `socctl demo`.
# The setup's progress goes to stderr, so stdout carries only the demo's output.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"

"$root/scripts/setup.sh" >&2 || { echo "demo: setup or build failed, see above" >&2; exit 1; }

socctl=build/socctl/socctl
for bin in "$socctl" build/daemon/soc-correlator build/sensors/log/soc-log-sensor build/sensors/packet/soc-packet-sensor; do
  [[ -x "$bin" ]] || { echo "demo: $bin was not built" >&2; exit 1; }
done
exec "$socctl" demo "$@"
