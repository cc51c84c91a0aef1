#!/usr/bin/env bash
# Compliance report at country scale (issue 13): bench/inventory_scale's province (SITES
# communes, 20 assets each, two sensors each; one level-3 system over every site and a level-2
# system per 50 sites) and what the correlator's --events-out would hold for it (a heartbeat of
# every sensor, an sshd event per site), through the real CLI, round after round, in this order:
#   floor   socctl inventory check INV --baseline B           loading and validating both files
#   json    socctl report ... --events E --at T --format json load + replay + evaluate + JSON
#   html    socctl report ... --format html                   the same, rendered as HTML
# Wall and CPU (user + system) seconds and peak RSS from GNU time, per process; medians
# (min-max) on stdout as a markdown table, with the outputs' sizes.
#
#   bench/report_bench.sh [BUILD] [SITES] [ROUNDS]      (defaults: build 5000 3)
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${1:-build}
sites=${2:-5000}
rounds=${3:-3}
[[ $build = /* ]] || build="$repo/$build"
socctl="$build/socctl/socctl"
scale="$build/bench/inventory_scale"
for b in "$socctl" "$scale"; do [ -x "$b" ] || { echo "report_bench: $b is not built" >&2; exit 2; }; done
[ -x /usr/bin/time ] || { echo "report_bench: GNU time (/usr/bin/time) is missing" >&2; exit 2; }
tmp=$(mktemp -d "${TMPDIR:-/tmp}/soc-report-bench.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
baseline="$repo/examples/baseline.yaml"
"$scale" "$sites" --write "$tmp" >&2
at=2026-11-27T12:00:00Z

measure() {  # measure NAME COMMAND...: appends "NAME wall cpu rss_kib" to $tmp/times
  local name=$1; shift
  /usr/bin/time -o "$tmp/time.out" -f '%e %U %S %M' "$@" >/dev/null 2>"$tmp/$name.err" ||
    { echo "report_bench: $name failed:" >&2; cat "$tmp/$name.err" >&2; exit 1; }
  read -r wall user sys rss <"$tmp/time.out"
  echo "$name $wall $(awk -v u="$user" -v s="$sys" 'BEGIN { print u + s }') $rss" >>"$tmp/times"
}
for round in $(seq 1 "$rounds"); do
  echo "round $round of $rounds" >&2
  measure floor "$socctl" inventory check "$tmp/inventory.yaml" --baseline "$baseline"
  for format in json html; do
    measure "$format" "$socctl" report --inventory "$tmp/inventory.yaml" --baseline "$baseline" \
      --events "$tmp/events.jsonl" --at "$at" --format "$format" --out "$tmp/report.$format"
  done
done

echo "| phase | wall s | CPU s | peak RSS MiB |"
echo "|---|---|---|---|"
for name in floor json html; do
  awk -v n="$name" '
    function med(a, k,   i, j, t) { for (i = 2; i <= k; i++) { t = a[i]; for (j = i - 1; j >= 1 && a[j] > t; j--) a[j + 1] = a[j]; a[j + 1] = t }
                                    return sprintf("%.2f (%.2f-%.2f)", a[int((k + 1) / 2)], a[1], a[k]) }
    $1 == n { k++; w[k] = $2; c[k] = $3; r[k] = $4 / 1024 }
    END { printf "| %s | %s | %s | %s |\n", n, med(w, k), med(c, k), med(r, k) }' "$tmp/times"
done
printf '\ninventory %s MiB, events %s lines; report.json %s MiB, report.html %s MiB\n' \
  "$(awk -v b="$(stat -c %s "$tmp/inventory.yaml")" 'BEGIN { printf "%.1f", b / 1048576 }')" \
  "$(wc -l <"$tmp/events.jsonl")" \
  "$(awk -v b="$(stat -c %s "$tmp/report.json")" 'BEGIN { printf "%.1f", b / 1048576 }')" \
  "$(awk -v b="$(stat -c %s "$tmp/report.html")" 'BEGIN { printf "%.1f", b / 1048576 }')"
grep -h "socctl report:" "$tmp/json.err" | tail -1
