#!/usr/bin/env bash
# Instruction counts of the transport_bench "ours" path (socctl send -> CURVE -> soc-correlator)
# under valgrind's callgrind: deterministic where wall and CPU time on a shared machine are not.
#
#   bench/transport_callgrind.sh MODE BUILD N OUT [SEND_ARGS...]
#
#   MODE   send: the sender (socctl send) under callgrind, the correlator native;
#          correlator: the correlator under callgrind, the sender native.
#          native: neither (user and system CPU seconds and context switches of both sides, in
#          OUT/usage.txt: what callgrind does not see, the kernel's share).
#          One side at a time: with both under valgrind on a shared machine, the sender outran the
#          correlator by more than its 10 s ack timeout and sent its window again (counted twice).
#   BUILD  a meson build directory holding daemon/soc-correlator and socctl/socctl (this one, or
#          a base build of an older commit)
#   N      events (bench/gen_events.py flow events, as transport_bench.sh sends)
#   OUT    folder for callgrind.send.out or callgrind.correlator.out.1, and the logs
#   SEND_ARGS  extra `socctl send` arguments. Under valgrind the sender runs ~50x slower, so a
#          512-event batch takes longer than the 10 ms flush deadline and would leave part full;
#          the real run (~700,000 events/s) fills every batch: pass --flush-deadline 60000 to a
#          build that has it. In correlator mode pass --rate R so that the correlator under
#          valgrind keeps up (and then --flush-deadline 100, the base build's fixed flush interval,
#          so that both builds close batches alike).
#
# The correlator's counters are zeroed once it is ready (callgrind_control -z) and dumped after
# the last event was counted (callgrind_control -d): its start-up (rule pack, keys) is left out.
# The sender's file holds its whole run (start-up, handshake, drain). Run two N and take the
# difference for a per-event figure (bench/README.md, "Transport CPU per event").
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
mode=${1:?MODE}
build=${2:?BUILD}
n=${3:?N}
out=${4:?OUT}
shift 4
[[ $mode = send || $mode = correlator || $mode = native ]] || { echo "transport_callgrind: MODE is send, correlator or native" >&2; exit 2; }
[[ $build = /* ]] || build="$repo/$build"
correlator=$build/daemon/soc-correlator
socctl=$build/socctl/socctl
for tool in valgrind callgrind_control curl ss python3; do
  command -v "$tool" >/dev/null || { echo "transport_callgrind: missing $tool" >&2; exit 77; }
done
mkdir -p "$out"
out=$(cd "$out" && pwd)
cg_send=()
cg_corr=()
if [[ $mode = native ]]; then
  cg_send=(/usr/bin/time -o "$out/send.time" -f "send user_s %U sys_s %S voluntary_cs %w involuntary_cs %c")
elif [[ $mode = send ]]; then
  cg_send=(valgrind --tool=callgrind --callgrind-out-file="$out/callgrind.send.out")
else
  cg_corr=(valgrind --tool=callgrind --callgrind-out-file="$out/callgrind.correlator.out")
fi
source "$repo/bench/lib.sh"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/transport_callgrind.XXXXXX")
cpid=
cleanup() {
  if [[ -n $cpid ]] && kill -0 "$cpid" 2>/dev/null; then
    kill -KILL "$cpid" 2>/dev/null || true
    wait "$cpid" 2>/dev/null || true
  fi
  rm -rf "$tmp"
}
trap cleanup EXIT

python3 "$repo/bench/gen_events.py" --count "$n" --out "$tmp/events.jsonl"
"$socctl" keygen --out "$tmp/server" >/dev/null
"$socctl" keygen --out "$tmp/bench1" >/dev/null
printf "sensors: [{id: bench1, site: lab, public_key: '%s'}]\n" "$(tr -d ' \t\r\n' <"$tmp/bench1.pub")" >"$tmp/allow.yaml"
free_port port
free_port mport
free_port pport

received() {
  curl -fsS --max-time 5 "http://127.0.0.1:$mport/metrics" 2>/dev/null | awk '
    /^soc_events_received_total\{/ && /sensor="bench1"/ && /dataset="flow"/ { v = $NF; f = 1 }
    END { if (f) printf "%.0f\n", v }'
}

mkdir -p "$tmp/work"
(cd "$tmp/work" && exec "${cg_corr[@]}" "$correlator" --listen "tcp://127.0.0.1:$port" --server-key "$tmp/server.key" --allow "$tmp/allow.yaml" \
   --metrics "127.0.0.1:$mport" --publish "tcp://127.0.0.1:$pport") >"$out/correlator.log" 2>&1 &
cpid=$!
for _ in $(seq 600); do
  if [[ -n $(ss -Hltn "sport = :$port") ]] && curl -fsS --max-time 2 -o /dev/null "http://127.0.0.1:$mport/metrics" 2>/dev/null; then
    break
  fi
  kill -0 "$cpid" 2>/dev/null || { tail "$out/correlator.log" >&2; exit 1; }
  sleep 0.2
done
[[ $mode = correlator ]] && callgrind_control -z "$cpid" >/dev/null
# CPU seconds (user, system) and context switches (voluntary, involuntary) of the correlator, all threads.
usage_of() {
  local hz t u=0 s=0 v=0 i=0
  hz=$(getconf CLK_TCK)
  for t in /proc/"$cpid"/task/*; do
    read -r a b < <(sed 's/^.*) //' "$t/stat" | awk '{ print $12, $13 }')
    u=$((u + a)); s=$((s + b))
    v=$((v + $(awk '/^voluntary_ctxt_switches/ { print $2 }' "$t/status")))
    i=$((i + $(awk '/^nonvoluntary_ctxt_switches/ { print $2 }' "$t/status")))
  done
  echo "$u $s $v $i $hz"
}
u0=$(usage_of)
"${cg_send[@]}" "$socctl" send --connect "tcp://127.0.0.1:$port" --server-pub "$tmp/server.pub" --key "$tmp/bench1.key" \
  --sensor-id bench1 --site lab --timeout 600 "$@" "$tmp/events.jsonl" >"$out/send.log" 2>&1
value=
for _ in $(seq 100); do
  value=$(received) || true
  [[ $value = "$n" ]] && break
  sleep 0.2
done
[[ $value = "$n" ]] || { echo "transport_callgrind: correlator counted '${value}', expected $n" >&2; exit 1; }
curl -fsS "http://127.0.0.1:$mport/metrics" >"$out/metrics.txt" 2>/dev/null || true
# Dumped while running: the counts since the zero, without the shutdown.
[[ $mode = correlator ]] && callgrind_control -d "$cpid" >/dev/null
if [[ $mode = native ]]; then
  read -r u1 s1 v1 i1 hz <<<"$(usage_of)"
  read -r u0 s0 v0 i0 _ <<<"$u0"
  { cat "$out/send.time"
    awk -v u=$((u1 - u0)) -v s=$((s1 - s0)) -v hz="$hz" -v v=$((v1 - v0)) -v i=$((i1 - i0)) \
      'BEGIN { printf "correlator user_s %.2f sys_s %.2f voluntary_cs %d involuntary_cs %d\n", u / hz, s / hz, v, i }'
  } >"$out/usage.txt"
  cat "$out/usage.txt" >&2
fi
sleep 1
kill -TERM "$cpid"
wait "$cpid" || true
cpid=
grep -h "delivered" "$out/send.log" >&2 || true
grep -q ", 0 resent" "$out/send.log" || echo "transport_callgrind: WARNING: batches were resent (ack timeout): counts inflated" >&2
ls "$out"
