#!/usr/bin/env bash
# The main job: `socctl demo --once` replays the project's sample data through a real correlator
# and exits 0 only when every event was counted.
source "$(dirname "$0")/lib.sh"
set +e
# Its own TMPDIR, so that another demo running beside it cannot make the last check fail.
TMPDIR="$WORK" "$SOCCTL" demo --once --metrics "127.0.0.1:$(free_port)" >"$WORK/demo.out" 2>&1
rc=$?
set -e
cat "$WORK/demo.out"
check "socctl demo --once exits 0" "$rc" 0
check_contains "it says every event was counted" "$WORK/demo.out" "Every sample event was delivered and counted."
for f in "$SRC"/examples/events/*.jsonl; do
  id=$(basename "$f" .jsonl)
  lines=$(grep -c . "$f")
  check "the summary counts every event of $id" "$(awk -v id="$id" '$1 == id { print $4 }' "$WORK/demo.out")" "$lines"
done
check "no temporary folder is left behind" "$(find "$WORK" -maxdepth 1 -name 'soc-demo.*' | wc -l)" 0
finish
