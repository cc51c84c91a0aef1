# Helpers for end-to-end tests: they start the real binaries on loopback and stop them after.
# Sourced by each test; expects BUILD (the meson build dir) and SRC (the source root) in the
# environment, as tests/e2e/meson.build sets them.
set -euo pipefail

: "${BUILD:?BUILD must point at the meson build directory}"
: "${SRC:?SRC must point at the source tree}"
SOCCTL="$BUILD/socctl/socctl"
CORRELATOR="$BUILD/daemon/soc-correlator"
WORK=$(mktemp -d "${TMPDIR:-/tmp}/soc-e2e.XXXXXX")
PIDS=()
FAILS=0

cleanup() {
  local rc=$?
  for p in "${PIDS[@]:-}"; do
    [ -n "$p" ] && kill "$p" 2>/dev/null || true
  done
  for p in "${PIDS[@]:-}"; do
    [ -n "$p" ] && wait "$p" 2>/dev/null || true
  done
  if [ "$FAILS" -eq 0 ] && [ "$rc" -eq 0 ]; then
    rm -rf "$WORK"
    return
  fi
  # A test that stopped on an error (set -e, a helper's return 1) says why as well as one that
  # counted failures: the end of each log the processes wrote, and the folder is kept.
  local f
  for f in "$WORK"/*.log "$WORK"/*/*.log; do
    [ -s "$f" ] || continue
    echo "--- last lines of ${f#"$WORK"/}:" >&2
    tail -n 20 "$f" >&2
  done
  echo "work folder kept: $WORK" >&2
}
trap cleanup EXIT

need() {  # need CMD...: skip (77) when a tool is missing
  for c in "$@"; do
    command -v "$c" >/dev/null 2>&1 || { echo "SKIP: $c is not installed"; exit 77; }
  done
}

# A TCP port nobody uses, below the kernel's ephemeral range: a port from that range can be
# taken by any outgoing connection on the machine (another test's client) between this check
# and the bind, and a listener's bind then fails. Never the same port twice in one test (two
# ports taken before either is bound).
free_port() {
  local lo hi p first last
  read -r lo hi </proc/sys/net/ipv4/ip_local_port_range 2>/dev/null || { lo=32768; hi=60999; }
  if ((lo > 12000)); then first=10000; last=$((lo - 1)); else first=$((hi + 1)); last=65000; fi
  for _ in $(seq 1 100); do
    p=$((first + (RANDOM * 32768 + RANDOM) % (last - first + 1)))
    grep -qx "$p" "$WORK/.ports" 2>/dev/null && continue
    if ! ss -Htan "sport = :$p" | grep -q .; then
      echo "$p" >>"$WORK/.ports"
      echo "$p"
      return
    fi
  done
  echo "no free port found" >&2
  return 1
}

wait_port() {  # wait_port PORT [SECONDS]
  local deadline=$((SECONDS + ${2:-10}))
  until ss -Hltn "sport = :$1" | grep -q .; do
    [ "$SECONDS" -lt "$deadline" ] || { echo "port $1 did not open" >&2; return 1; }
    sleep 0.05
  done
}

# metric NAME 'label="v",...' : the value of one series from the correlator's /metrics (0 when absent).
metric() {
  local body
  body=$(curl -fsS "http://127.0.0.1:$METRICS_PORT/metrics")
  awk -v name="$1" -v want="$2" '
    function norm(s,   n, parts, i, j, t, out) {
      n = split(s, parts, ",")
      for (i = 2; i <= n; i++) { t = parts[i]; for (j = i - 1; j >= 1 && parts[j] > t; j--) parts[j + 1] = parts[j]; parts[j + 1] = t }
      out = ""; for (i = 1; i <= n; i++) out = out (i > 1 ? "," : "") parts[i]; return out
    }
    $0 !~ /^#/ {
      split($0, a, " "); series = a[1]; value = a[2]
      labels = ""
      if (index(series, "{")) { labels = substr(series, index(series, "{") + 1); labels = substr(labels, 1, length(labels) - 1); series = substr(series, 1, index(series, "{") - 1) }
      if (series == name && norm(labels) == norm(want)) { print value; found = 1 }
    }
    END { if (!found) print 0 }' <<<"$body"
}

check() {  # check "what" ACTUAL EXPECTED
  if [ "$2" == "$3" ]; then
    echo "ok: $1 ($2)"
  else
    echo "FAIL: $1: got '$2', expected '$3'"
    FAILS=$((FAILS + 1))
  fi
}

check_ge() {  # check_ge "what" ACTUAL MIN
  if awk -v a="$2" -v b="$3" 'BEGIN { exit !(a + 0 >= b + 0) }'; then
    echo "ok: $1 ($2 >= $3)"
  else
    echo "FAIL: $1: got '$2', expected at least $3"
    FAILS=$((FAILS + 1))
  fi
}

check_contains() {  # check_contains "what" FILE TEXT
  if grep -qF -- "$3" "$2"; then
    echo "ok: $1"
  else
    echo "FAIL: $1: '$3' not in $2:"; sed 's/^/    /' "$2" | head -20
    FAILS=$((FAILS + 1))
  fi
}

# start_correlator ARGS...: starts soc-correlator with a fresh listen/metrics/publish port.
start_correlator() {
  LISTEN_PORT=$(free_port)
  METRICS_PORT=$(free_port)
  PUBLISH_PORT=$(free_port)
  "$CORRELATOR" --listen "tcp://127.0.0.1:$LISTEN_PORT" --metrics "127.0.0.1:$METRICS_PORT" \
    --publish "tcp://127.0.0.1:$PUBLISH_PORT" "$@" >"$WORK/correlator.log" 2>&1 &
  CORRELATOR_PID=$!
  PIDS+=("$CORRELATOR_PID")
  wait_port "$METRICS_PORT"
  wait_port "$LISTEN_PORT"
}

stop_correlator() {
  kill -TERM "$CORRELATOR_PID" 2>/dev/null || true
  wait "$CORRELATOR_PID" 2>/dev/null || true
}

# make_keys NAME...: socctl keygen --out $WORK/NAME for each
make_keys() {
  for n in "$@"; do "$SOCCTL" keygen --out "$WORK/$n" >/dev/null; done
}

finish() {
  if [ "$FAILS" -gt 0 ]; then
    echo "$FAILS checks failed"; echo "--- correlator log ---"; tail -30 "$WORK/correlator.log" 2>/dev/null || true
    exit 1
  fi
  echo "all checks passed"
}

# gen_events N FILE [DATASET]: N valid flat ECS events, one per line (~200 bytes each).
gen_events() {
  awk -v n="$1" -v ds="${3:-flow}" 'BEGIN {
    for (i = 0; i < n; i++) {
      printf "{\"@timestamp\":\"2026-11-20T08:%02d:%02d.%06dZ\",\"event.kind\":\"event\",\"event.dataset\":\"%s\",\"event.category\":[\"network\"],\"source.ip\":\"10.1.%d.%d\",\"source.port\":%d,\"destination.ip\":\"192.0.2.%d\",\"destination.port\":443,\"network.transport\":\"tcp\",\"ndpi.protocol\":\"TLS\"}\n", (i / 60000) % 60, (i / 1000) % 60, i % 1000000, ds, (i / 256) % 256, i % 256, 1024 + i % 60000, i % 254 + 1
    }
  }' >"$2"
}
