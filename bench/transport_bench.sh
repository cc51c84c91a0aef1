#!/usr/bin/env bash
# Transport benchmark: our sensor -> correlator transport against bare cppzmq, in the same run.
#
#   bench/transport_bench.sh [BUILD] [N] [ROUNDS]
#
#   BUILD   meson build directory (default: build); it must hold bench/zmq_bare, and for "ours"
#           daemon/soc-correlator and socctl/socctl (without them only the bare rows are run)
#   N       events per run (default: 1000000)
#   ROUNDS  rounds (default: 5); each round runs, in this order:
#             bare CURVE batch 1    one event per message (floor of a naive transport)
#             bare CURVE batch 512  512 events per message, our batch framing (our floor)
#             the same with --tune-malloc (glibc trim/mmap thresholds raised, as our binaries
#                                   do at start: see core/allocator.h)
#             transport only        bench/transport_loop: our Sender and Receiver, CURVE, ZAP,
#                                   sequence accounting and acks, without JSON decoding
#             ours                  socctl send -> soc-correlator, CURVE, allowlist, acks, every
#                                   event validated by the sender and decoded by the correlator
#             ours, spool           the same with `socctl send --spool DIR` (a fresh folder in the
#                                   temp dir each round): every batch written to disk before it is
#                                   sent, acknowledgement marks, segments deleted
#             ours, base build      the same as "ours" with BASE_BUILD's binaries (a build of the
#                                   commit before a change), when BASE_BUILD is set (and the
#                                   transport-only row with its bench/transport_loop, if built)
#           "ours" and "ours, base build" swap places every other round, so neither always runs
#           first.
#
# Environment: CORRELATOR_ARGS, SEND_ARGS (extra arguments appended to the two commands),
# BASE_BUILD (a meson build directory of another commit: daemon/soc-correlator and socctl/socctl),
# KEEP=1 (keep the temp dir), TMPDIR (also where the spool rows write).
#
# Output: a markdown table of medians (min-max) on stdout; progress on stderr.
#
# How each side is timed (they differ; read the ratios with this in mind):
#   bare: in-loop at the receiver, first to last message (zmq_bare's own figure);
#   ours: whole `socctl send` process with `date +%s.%N` around it: start-up, reading the file,
#         CURVE handshake, every batch, and the wait for the final acknowledgement.
# Before a run of ours counts, the correlator's soc_events_received_total for the bench sensor
# must equal N.
# CPU per event is the CPU time (user + system, all threads) of both sides over N: for bare the
# two zmq_bare processes, for ours `socctl send` plus what the correlator used meanwhile. It
# moves less than the rates when the machine is shared.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${1:-build}
n=${2:-1000000}
rounds=${3:-5}
[[ $build = /* ]] || build="$repo/$build"
[[ $n =~ ^[1-9][0-9]*$ ]] || { echo "transport_bench: N must be a positive integer, got '$n'" >&2; exit 2; }
[[ $rounds =~ ^[1-9][0-9]*$ ]] || { echo "transport_bench: ROUNDS must be a positive integer, got '$rounds'" >&2; exit 2; }

bare=$build/bench/zmq_bare
loop=$build/bench/transport_loop
correlator=$build/daemon/soc-correlator
socctl=$build/socctl/socctl
batch=512  # our transport's batch size; bare batch-N runs use the same

log() { echo "transport_bench: $*" >&2; }
die() { log "$*"; exit 1; }

for tool in python3 curl ss awk timeout; do
  command -v "$tool" >/dev/null || { log "missing tool: $tool"; exit 77; }
done
[[ -x $bare ]] || { log "missing $bare (meson setup with -Dbench=enabled, then ninja)"; exit 77; }
base=${BASE_BUILD:-}
if [[ -n $base ]]; then
  [[ $base = /* ]] || base="$repo/$base"
  for bin in "$base/daemon/soc-correlator" "$base/socctl/socctl"; do
    [[ -x $bin ]] || die "BASE_BUILD: missing $bin"
  done
fi
base_commit=$(cat "${base:-/nonexistent}/../BASE_COMMIT" 2>/dev/null || echo "?")
ours=1
for bin in "$correlator" "$socctl"; do
  if [[ ! -x $bin ]]; then
    log "missing $bin: running the bare rows only"
    ours=0
  fi
done

tmp=$(mktemp -d "${TMPDIR:-/tmp}/transport_bench.XXXXXX")
correlator_pid=
cleanup() {
  local rc=$?
  if [[ -n $correlator_pid ]] && kill -0 "$correlator_pid" 2>/dev/null; then
    kill -TERM "$correlator_pid" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$correlator_pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$correlator_pid" 2>/dev/null || true
    wait "$correlator_pid" 2>/dev/null || true
  fi
  if [[ ${KEEP:-0} = 1 || $rc -ne 0 ]]; then
    log "temp dir kept: $tmp"
  else
    rm -rf "$tmp"
  fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# free_port VAR: a port below the ephemeral range, never twice (bench/lib.sh). A clash in the
# gap until the binary binds it fails the run loudly rather than measuring the wrong thing.
source "$repo/bench/lib.sh"

listening() { [[ -n $(ss -Hltn "sport = :$1") ]]; }

# CPU seconds (user + system, all threads) a running process has used so far.
clk_tck=$(getconf CLK_TCK)
cpu_of() {  # pid
  # Fields after "pid (comm) ": utime and stime are the 12th and 13th.
  sed 's/^.*) //' "/proc/$1/stat" | awk -v hz="$clk_tck" '{ printf "%.2f\n", ($12 + $13) / hz }'
}

events=$tmp/events.jsonl
log "generating $n events"
python3 "$repo/bench/gen_events.py" --count "$n" --out "$events"
event_bytes=$(stat -c %s "$events")  # JSON lines, newlines included

results=$tmp/results.tsv  # kind <tab> seconds <tab> events/s <tab> CPU us/event
: >"$results"

run_bare() {  # kind, zmq_bare arguments...
  local kind=$1 out
  shift
  out=$("$bare" --file "$events" "$@") || die "zmq_bare $* failed"
  python3 - "$kind" "$out" >>"$results" <<'EOF'
import json, sys
r = json.loads(sys.argv[2])
print(f"{sys.argv[1]}\t{r['seconds']}\t{r['events_per_s']}\t{r['cpu_us_per_event']}")
EOF
  log "  $kind: $(tail -n1 "$results" | cut -f3) events/s, $(tail -n1 "$results" | cut -f4) us CPU/event"
}

run_loop() {  # [kind binary]
  local kind=${1:-loop} bin=${2:-$loop} out
  out=$("$bin" --file "$events" --batch "$batch") || die "transport_loop failed"
  python3 - "$kind" "$out" >>"$results" <<'EOF'
import json, sys
r = json.loads(sys.argv[2])
print(f"{sys.argv[1]}\t{r['seconds']}\t{r['events_per_s']}\t{(r['cpu_sender_s'] + r['cpu_receiver_s']) * 1e6 / r['events']:.3f}")
EOF
  log "  $kind: $(tail -n1 "$results" | cut -f3) events/s, $(tail -n1 "$results" | cut -f4) us CPU/event"
}

if [[ $ours = 1 ]]; then
  keys=$tmp/keys
  mkdir -p "$keys"
  "$socctl" keygen --out "$keys/server" >/dev/null || die "socctl keygen (server) failed"
  "$socctl" keygen --out "$keys/bench1" >/dev/null || die "socctl keygen (bench1) failed"
  for f in server.key server.pub bench1.key bench1.pub; do
    [[ -s $keys/$f ]] || die "socctl keygen did not write $keys/$f"
  done
  bench1_pub=$(tr -d ' \t\r\n' <"$keys/bench1.pub")
  [[ ${#bench1_pub} -eq 40 ]] || die "$keys/bench1.pub does not hold a 40-character Z85 key"
  # Quoted: Z85 uses [ ] { } # : & * ! % @, which a plain YAML scalar may not hold; it never
  # uses a single quote.
  printf "sensors: [{id: bench1, site: lab, public_key: '%s'}]\n" "$bench1_pub" >"$keys/allow.yaml"
fi

# soc_events_received_total{...sensor="bench1",site="lab",dataset="flow"...}, whatever the label
# order; empty when the series is absent.
received_metric() {  # metrics port
  curl -fsS --max-time 5 "http://127.0.0.1:$1/metrics" 2>/dev/null | awk '
    /^soc_events_received_total\{/ && /sensor="bench1"/ && /site="lab"/ && /dataset="flow"/ {
      v = $NF; found = 1
    }
    END { if (found) printf "%.0f\n", v }'
}

run_ours() {  # round number, kind, correlator, socctl, extra socctl send arguments...
  local round=$1 kind=$2 correlator=$3 socctl=$4 dir port mport pport t0 t1 secs value status cpu0 cpu1 send_cpu
  shift 4
  dir=$tmp/round$round-$kind
  mkdir -p "$dir"
  free_port port
  free_port mport
  free_port pport  # the live feed: its default port (7701) may be taken by another instance
  # Each round starts from an empty working directory, so no state (sequence numbers, spool)
  # carries over from the previous round.
  # shellcheck disable=SC2086  # CORRELATOR_ARGS is split on purpose
  (cd "$dir" && exec "$correlator" --listen "tcp://127.0.0.1:$port" --server-key "$keys/server.key" \
     --allow "$keys/allow.yaml" --metrics "127.0.0.1:$mport" --publish "tcp://127.0.0.1:$pport" \
     ${CORRELATOR_ARGS:-}) \
     >"$dir/correlator.log" 2>&1 &
  correlator_pid=$!
  local ready=0
  for _ in $(seq 150); do  # 15 s
    if ! kill -0 "$correlator_pid" 2>/dev/null; then
      tail -n 20 "$dir/correlator.log" >&2
      die "soc-correlator exited during start-up (log: $dir/correlator.log)"
    fi
    # Both ports: the metrics endpoint answers, and the ZeroMQ socket is bound (otherwise the
    # sender's reconnect interval would be timed as ours).
    if listening "$port" && curl -fsS --max-time 1 -o /dev/null "http://127.0.0.1:$mport/metrics" 2>/dev/null; then
      ready=1
      break
    fi
    sleep 0.1
  done
  [[ $ready = 1 ]] || die "soc-correlator not ready after 15 s (log: $dir/correlator.log)"

  cpu0=$(cpu_of "$correlator_pid")
  local TIMEFORMAT='%3U %3S'  # bash's `time`: CPU of socctl send
  t0=$(date +%s.%N)
  # shellcheck disable=SC2086
  if ! { time timeout 300 "$socctl" send --connect "tcp://127.0.0.1:$port" --server-pub "$keys/server.pub" \
         --key "$keys/bench1.key" --sensor-id bench1 --site lab "$@" ${SEND_ARGS:-} "$events" \
         >"$dir/send.log" 2>&1; } 2>"$dir/send.time"; then
    tail -n 20 "$dir/send.log" >&2
    die "socctl send failed or timed out (logs: $dir/send.log, $dir/correlator.log)"
  fi
  t1=$(date +%s.%N)
  secs=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.6f", b - a }')

  # Every event acknowledged must have been counted; allow the counter a moment to catch up.
  value=
  for _ in $(seq 50); do
    value=$(received_metric "$mport") || true
    [[ $value = "$n" ]] && break
    sleep 0.1
  done
  [[ $value = "$n" ]] || die "soc_events_received_total{sensor=\"bench1\",site=\"lab\",dataset=\"flow\"} is '${value:-absent}', expected $n (log: $dir/correlator.log)"
  cpu1=$(cpu_of "$correlator_pid")
  send_cpu=$(awk '{ print $1 + $2 }' "$dir/send.time")

  kill -TERM "$correlator_pid"
  for _ in $(seq 100); do kill -0 "$correlator_pid" 2>/dev/null || break; sleep 0.1; done
  if kill -0 "$correlator_pid" 2>/dev/null; then
    log "  soc-correlator ignored SIGTERM for 10 s: killing it"
    kill -KILL "$correlator_pid" 2>/dev/null || true
  fi
  status=0
  wait "$correlator_pid" || status=$?
  correlator_pid=
  [[ $status = 0 ]] || log "  warning: soc-correlator exited with status $status after SIGTERM"

  awk -v k="$kind" -v s="$secs" -v n="$n" -v c="$(awk -v a="$cpu0" -v b="$cpu1" -v x="$send_cpu" 'BEGIN { print b - a + x }')" \
    'BEGIN { printf "%s\t%s\t%.0f\t%.3f\n", k, s, n / s, c * 1e6 / n }' >>"$results"
  log "  $kind: $(tail -n1 "$results" | cut -f3) events/s ($secs s), $(tail -n1 "$results" | cut -f4) us CPU/event"
}

load_before=$(cut -d' ' -f1-3 /proc/loadavg)
if awk -v l="${load_before%% *}" -v c="$(nproc)" 'BEGIN { exit !(l > c / 2) }'; then
  log "warning: load average is $load_before on $(nproc) CPUs: figures will be noisy"
fi

for round in $(seq "$rounds"); do
  log "round $round/$rounds"
  run_bare bare_b1 --curve --batch 1
  run_bare "bare_b$batch" --curve --batch "$batch"
  run_bare "bare_b${batch}_tuned" --curve --batch "$batch" --tune-malloc
  if [[ -x $loop ]]; then run_loop; fi
  if [[ -n $base && -x $base/bench/transport_loop ]]; then run_loop loop_base "$base/bench/transport_loop"; fi
  if [[ $ours = 1 ]]; then
    if [[ -n $base && $((round % 2)) = 0 ]]; then run_ours "$round" ours_base "$base/daemon/soc-correlator" "$base/socctl/socctl"; fi
    run_ours "$round" ours "$correlator" "$socctl"
    run_ours "$round" ours_spool "$correlator" "$socctl" --spool "$tmp/round$round-spool"
    if [[ -n $base && $((round % 2)) = 1 ]]; then run_ours "$round" ours_base "$base/daemon/soc-correlator" "$base/socctl/socctl"; fi
  fi
done

model=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)
zmq_version=$(pkg-config --modversion libzmq 2>/dev/null || echo "?")
commit=$(git -C "$repo" rev-parse --short HEAD 2>/dev/null || echo "?")
machine="$(nproc) CPUs, ${model:-?}, kernel $(uname -r), libzmq $zmq_version; load average before: $load_before"
command="${BASE_BUILD:+BASE_BUILD=$BASE_BUILD }bench/transport_bench.sh ${1:-build} $n $rounds (commit $commit${base:+, base build of $base_commit})"
python3 - "$results" "$n" "$event_bytes" "$batch" "$machine" "$command" "$base_commit" <<'EOF'
import statistics, sys
path, n, event_bytes, batch, machine, command, base_commit = sys.argv[1:8]
n, event_bytes = int(n), int(event_bytes)
runs, cpus = {}, {}
for line in open(path):
    kind, secs, eps, cpu = line.rstrip("\n").split("\t")
    runs.setdefault(kind, []).append(float(eps))
    cpus.setdefault(kind, []).append(float(cpu))
bytes_per_event = event_bytes / n


def si(x):
    return f"{x / 1e6:.2f} M" if x >= 1e6 else f"{x / 1e3:.0f} k"


def mb(x):
    return x * bytes_per_event / 1e6


rows = [("bare_b1", "bare cppzmq PUSH/PULL, CURVE, 1 event per message"),
        (f"bare_b{batch}", f"bare cppzmq PUSH/PULL, CURVE, {batch} events per message"),
        (f"bare_b{batch}_tuned", f"the same, glibc malloc thresholds raised (`--tune-malloc`)"),
        ("loop", "our transport alone (`transport_loop`: Sender/Receiver, CURVE, ZAP, sequences, acks; no JSON)"),
        ("loop_base", f"the same, base build `{base_commit}`"),
        ("ours", "ours end to end: `socctl send` -> `soc-correlator` (+ validation and decoding of every event)"),
        ("ours_spool", "the same, `socctl send --spool DIR` (every batch on disk before it is sent)"),
        ("ours_base", f"the same as ours, base build `{base_commit}` (before the change)")]
med = {}
print(f"Transport benchmark: {n} flow events of {bytes_per_event:.0f} B (JSON line, newline included), "
      f"{len(runs.get('bare_b1', []))} rounds, medians (min-max).\n")
print("| run | events/s | MB/s | CPU µs/event, both sides |")
print("| --- | --- | --- | --- |")
for kind, label in rows:
    v = runs.get(kind)
    if not v:
        if kind in ("ours_spool", "ours_base", "loop_base"):
            continue
        print(f"| {label} | not run | | |")
        continue
    m = med[kind] = statistics.median(v)
    c = cpus[kind]
    print(f"| {label} | **{si(m)}** ({si(min(v))}-{si(max(v))}) | {mb(m):.0f} ({mb(min(v)):.0f}-{mb(max(v)):.0f}) "
          f"| {statistics.median(c):.2f} ({min(c):.2f}-{max(c):.2f}) |")
print()
tuned = f"bare_b{batch}_tuned"
if "loop" in med:
    print(f"- transport alone / bare batch {batch}, malloc tuned (the same bytes, framing and allocator): "
          f"**{med['loop'] / med[tuned]:.2f}**")
if "ours" in med:
    print(f"- ours end to end / bare batch {batch}, malloc tuned: **{med['ours'] / med[tuned]:.2f}**")
    print(f"- ours end to end / bare batch 1: **{med['ours'] / med['bare_b1']:.2f}**")
    print(f"- ours end to end / bare batch {batch} (default malloc): **{med['ours'] / med[f'bare_b{batch}']:.2f}**")
else:
    print("- ours: not run (soc-correlator or socctl missing)")


def paired(a, b):
    # Per-round ratios a/b: both measured in the same round, in round order.
    return [x / y for x, y in zip(runs.get(a, []), runs.get(b, []))]


for a, b, what in (("ours_spool", "ours", "spool on / spool off (goal: the spool costs under 20%, i.e. at least 0.80)"),
                   ("ours", "ours_base", "this build / base build, end to end (goal: at least 0.90)"),
                   ("loop", "loop_base", "this build / base build, transport alone")):
    xs = paired(a, b)
    if xs:
        print(f"- {what}: median of medians **{med[a] / med[b]:.2f}**; per round {', '.join(f'{x:.2f}' for x in xs)} "
              f"(worst {min(xs):.2f}, best {max(xs):.2f})")
print("- MB/s = events/s x mean JSON line size. Bare is timed in-loop at the receiver (first to last "
      "message); ours is the whole `socctl send` process (start-up, reading the file, handshake, final ack).")
print("- CPU µs/event: user + system time of both processes (all threads) over the events; for ours, "
      "`socctl send` (start-up and reading included) plus the correlator's CPU during the send.")
print(f"- machine: {machine}")
print(f"- command: `{command}`")
EOF
