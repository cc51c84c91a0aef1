#!/usr/bin/env bash
# The installed units under a real systemd (issue 16, docs/adr/0035). This machine has no systemd
# as PID 1, so the test boots one with systemd-nspawn in a container made from the machine's own
# files: an overlay of / with a tmpfs on top, into which `meson install` puts the build (the
# host is never written). The container shares the host's network namespace, so everything
# listens on loopback ports chosen free. Inside, from the installed example configuration:
#
# - systemd-sysusers and systemd-tmpfiles make the soc user and /etc/soc/keys from the snippets;
# - soc-correlator, soc-log-sensor, soc-collector and soc-packet-sensor@lo start with their
#   hardening as shipped and reach READY (Type=notify: `systemctl start` returns once they are
#   ready), run as soc with the umask 0077, report a STATUS, and have a watchdog;
# - sample events pass: sshd lines through the journal (the log sensor reads it as group
#   systemd-journal) and through syslog over UDP, a collector probe, packet-sensor flows of the
#   scrapes on lo; all counted at the correlator's /metrics, with PCRE2's JIT (rules and
#   decoders) working under the system call filter;
# - the packet sensor holds no capability once capturing;
# - a secret key others can read stops the correlator with 78 and the chmod to run, and systemd
#   does not restart it; a hung main loop is killed by the watchdog and restarted;
# - systemd-analyze verify passes on the installed units, and security gives their exposure.
source "$(dirname "$0")/lib.sh"
need systemd-nspawn systemd-analyze meson curl logger
[ "$(id -u)" = 0 ] || { echo "SKIP: booting systemd in a container needs root"; exit 77; }

CT="$WORK/ct"
ROOT="$CT/root"
NSPAWN=""
LEADER=""
teardown() {
  if [ -n "$NSPAWN" ] && kill -0 "$NSPAWN" 2>/dev/null; then
    kill -TERM "$NSPAWN" 2>/dev/null || true  # nspawn asks the container's systemd to halt
    for _ in $(seq 1 100); do kill -0 "$NSPAWN" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$NSPAWN" 2>/dev/null || true
    wait "$NSPAWN" 2>/dev/null || true
  fi
  umount "$ROOT" 2>/dev/null || umount -l "$ROOT" 2>/dev/null || true
  umount "$CT" 2>/dev/null || umount -l "$CT" 2>/dev/null || true
  cleanup
}
trap teardown EXIT

# in_ct COMMAND...: runs COMMAND inside the container (its mount, PID, IPC and UTS namespaces).
in_ct() { nsenter -t "$LEADER" -m -u -i -p -- "$@"; }

intro() { meson introspect "$BUILD" --buildoptions | python3 -c "import json,sys; print(next(o['value'] for o in json.load(sys.stdin) if o['name']=='$1'))"; }
PREFIX=$(intro prefix)
BINDIR="$PREFIX/$(intro bindir)"
SYSCONF=$(intro sysconfdir); [[ "$SYSCONF" = /* ]] || SYSCONF="$PREFIX/$SYSCONF"
ETC="$SYSCONF/soc"
DATADIR="$PREFIX/$(intro datadir)/soc"

t0=$SECONDS
echo "== the container: an overlay of / with the build installed into it"
mkdir -p "$CT"
mount -t tmpfs -o size=2g,mode=0755 tmpfs "$CT"
mkdir -p "$CT/upper" "$CT/work" "$ROOT"
mount -t overlay overlay -o "lowerdir=/,upperdir=$CT/upper,workdir=$CT/work" "$ROOT"
meson install -C "$BUILD" --no-rebuild --destdir "$ROOT" >"$WORK/install.log" 2>&1 ||
  { tail -20 "$WORK/install.log"; echo "FAIL: meson install"; exit 1; }
systemd-id128 new >"$ROOT/etc/machine-id"
# A target of its own, so that none of the host's enabled services starts in the container.
cat >"$ROOT/etc/systemd/system/soc-test.target" <<'EOF'
[Unit]
Description=SOC unit test
Requires=basic.target
After=basic.target
AllowIsolate=yes
EOF
# Test-only overrides: a short watchdog for the log sensor (to see it act), nothing else.
mkdir -p "$ROOT/etc/systemd/system/soc-log-sensor.service.d"
printf '[Service]\nWatchdogSec=3s\n' >"$ROOT/etc/systemd/system/soc-log-sensor.service.d/test.conf"
# Sanitized binaries (the sanitizer suite runs this test too): LeakSanitizer stops the process
# with ptrace at exit, which the units' system call filter forbids; ASan itself runs.
if nm -D "$ROOT$BINDIR/soc-correlator" 2>/dev/null | grep -q __asan_init; then
  for u in soc-correlator soc-log-sensor soc-collector soc-packet-sensor@; do
    mkdir -p "$ROOT/etc/systemd/system/$u.service.d"
    printf '[Service]\nEnvironment=ASAN_OPTIONS=detect_leaks=0:halt_on_error=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1\n' \
      >"$ROOT/etc/systemd/system/$u.service.d/sanitizer.conf"
  done
  echo "   (sanitized build: LeakSanitizer off inside the units)"
fi

systemd-nspawn -q -D "$ROOT" -M "soc-test-$$" --register=no --keep-unit --link-journal=no --boot \
  --console=pipe -- systemd.unit=soc-test.target >"$WORK/boot.log" 2>&1 &
NSPAWN=$!
for _ in $(seq 1 300); do
  for p in $(pgrep -P "$NSPAWN" 2>/dev/null) $(pgrep -P "$(pgrep -P "$NSPAWN" | head -1)" 2>/dev/null); do
    [ "$(cat "/proc/$p/comm" 2>/dev/null)" = systemd ] && LEADER=$p
  done
  [ -n "$LEADER" ] && break
  sleep 0.1
done
[ -n "$LEADER" ] || { cat "$WORK/boot.log"; echo "FAIL: systemd did not start in the container"; exit 1; }
state=""
for _ in $(seq 1 300); do
  state=$(in_ct systemctl is-system-running 2>/dev/null || true)
  case "$state" in running|degraded) break ;; esac
  sleep 0.1
done
check "systemd booted in the container (state: $state)" "$(case "$state" in running|degraded) echo yes ;; *) echo no ;; esac)" yes
echo "   booted in $((SECONDS - t0)) s"

echo "== users, folders and keys from the installed snippets"
in_ct systemd-sysusers
in_ct systemd-tmpfiles --create "$PREFIX/lib/tmpfiles.d/soc.conf"
check "systemd-sysusers made the user soc" "$(in_ct id -un soc)" soc
check "systemd-tmpfiles made the keys folder 0700 soc" "$(in_ct stat -c '%a %U' "$ETC/keys")" "700 soc"
for k in correlator log-sensor collector packet-sensor; do
  in_ct "$BINDIR/socctl" keygen --out "$ETC/keys/$k" >/dev/null
done
in_ct chown soc:soc "$ETC"/keys/correlator.key "$ETC"/keys/log-sensor.key "$ETC"/keys/collector.key "$ETC"/keys/packet-sensor.key

LISTEN=$(free_port); METRICS=$(free_port); PUBLISH=$(free_port); SYSLOG=$(free_port)
pub() { cat "$ROOT$ETC/keys/$1.pub"; }
cat >"$ROOT$ETC/inventory.yaml" <<EOF
sites:
  - {id: dc-central, name: "Central", kind: datacenter}
systems: []
assets: []
sensors:
  - {id: log-central, site: dc-central, kind: log, public_key: "$(pub log-sensor)"}
  - {id: pkt-central, site: dc-central, kind: packet, public_key: "$(pub packet-sensor)"}
  - {id: collector-central, site: dc-central, kind: collector, public_key: "$(pub collector)"}
EOF
cp "$ROOT$DATADIR/examples/baseline.yaml" "$ROOT$ETC/baseline.yaml"
# The installed examples, with this test's ports; every other key as shipped.
sed -i -e "s|^listen: .*|listen: tcp://127.0.0.1:$LISTEN|" -e "s|^#metrics: .*|metrics: 127.0.0.1:$METRICS|" \
  -e "s|^#publish: .*|publish: tcp://127.0.0.1:$PUBLISH|" "$ROOT$ETC/correlator.yaml"
for f in log-sensor collector packet-sensor; do sed -i "s|^connect: .*|connect: tcp://127.0.0.1:$LISTEN|" "$ROOT$ETC/$f.yaml"; done
sed -i "s|^#syslog-udp: .*|syslog-udp: 127.0.0.1:$SYSLOG|" "$ROOT$ETC/log-sensor.yaml"
sed -i "s|^targets: \[\]|targets:\n  - {tcp: \"127.0.0.1:$METRICS\", interval: 2}|" "$ROOT$ETC/collector.yaml"
sed -e "s|^#filter: .*|filter: \"tcp port $METRICS\"|" -e "s|^#tcp-close-timeout: .*|tcp-close-timeout: 1|" \
  "$ROOT$ETC/packet-sensor.yaml" >"$ROOT$ETC/packet-sensor-lo.yaml"
in_ct systemctl daemon-reload

unit_check() {  # unit_check UNIT: active, ready, as soc, umask, status, watchdog
  local u=$1 pid
  check "$u is active (running)" "$(in_ct systemctl show -P ActiveState "$u")/$(in_ct systemctl show -P SubState "$u")" "active/running"
  pid=$(in_ct systemctl show -P MainPID "$u")
  check "$u runs as soc" "$(in_ct ps -o user= -p "$pid" | tr -d ' ')" soc
  check "$u has the umask 0077" "$(in_ct awk '/^Umask/ {print $2}' "/proc/$pid/status")" 0077
  check "$u reported a STATUS" "$(in_ct systemctl show -P StatusText "$u" | grep -c .)" 1
  check_ge "$u has a watchdog (us)" "$(in_ct systemctl show -P WatchdogUSec "$u" | sed 's/s$//; s/min/*60/' | awk '{print $1 * 1000000}')" 1000000
  echo "   $u: $(in_ct systemctl show -P StatusText "$u")"
}
start_unit() {  # start_unit UNIT: systemctl start returns once a Type=notify unit said READY=1
  local t=$SECONDS
  if in_ct systemctl start "$1"; then echo "   $1 ready after $((SECONDS - t)) s"; else
    in_ct journalctl -u "$1" --no-pager | tail -20
    echo "FAIL: $1 did not start"; FAILS=$((FAILS + 1))
  fi
}

echo "== the four units start and reach READY"
start_unit soc-correlator.service
check "the correlator is READY only once /metrics answers" "$(curl -fsS -o /dev/null -w '%{http_code}' "http://127.0.0.1:$METRICS/metrics")" 200
start_unit soc-log-sensor.service
start_unit soc-collector.service
start_unit soc-packet-sensor@lo.service
for u in soc-correlator.service soc-log-sensor.service soc-collector.service soc-packet-sensor@lo.service; do unit_check "$u"; done
ppid=$(in_ct systemctl show -P MainPID soc-packet-sensor@lo.service)
check "the packet sensor dropped every capability" "$(in_ct awk '/^CapEff/ {print $2}' "/proc/$ppid/status")" 0000000000000000

echo "== sample events pass"
METRICS_PORT=$METRICS
in_ct logger -t sshd -p auth.info "Failed password for root from 198.51.100.9 port 4242 ssh2"
logger --udp --server 127.0.0.1 --port "$SYSLOG" --rfc3164 -t sshd -p auth.info \
  "Failed password for admin from 198.51.100.10 port 4243 ssh2"
for _ in $(seq 1 30); do curl -fsS -o /dev/null "http://127.0.0.1:$METRICS/metrics"; sleep 0.1; done
got() { metric soc_events_received_total "dataset=\"$1\",sensor=\"$2\",site=\"dc-central\""; }
for _ in $(seq 1 100); do
  [ "$(got sshd log-central)" -ge 2 ] && [ "$(got collector.tcp collector-central)" -ge 1 ] &&
    [ "$(got flow pkt-central)" -ge 1 ] && break
  sleep 0.2
done
check "both sshd lines (journal and syslog) reached the correlator" "$(got sshd log-central)" 2
check_ge "the collector's probes reached it" "$(got collector.tcp collector-central)" 1
check_ge "the packet sensor's flows reached it" "$(got flow pkt-central)" 1
check_ge "the correlator hears every sensor's heartbeat" "$(metric soc_heartbeats_received_total 'sensor="pkt-central"')" 1
# soc_sensor_up follows the baseline's evaluation, every --tick (10 s by default): wait for one.
for _ in $(seq 1 75); do
  [ "$(metric soc_sensor_up 'sensor="pkt-central",site="dc-central"')" = 1 ] && break
  sleep 0.2
done
check "the inventory is live: the packet sensor is up" "$(metric soc_sensor_up 'sensor="pkt-central",site="dc-central"')" 1
check "the inventory loaded" "$(metric soc_inventory_last_reload_successful '')" 1
in_ct journalctl -u soc-correlator --no-pager >"$WORK/correlator.journal"
check_contains "the correlator's log went to the journal" "$WORK/correlator.journal" "rules loaded from"

echo "== systemctl reload re-reads the rules (SIGHUP)"
before=$(metric soc_rules_reload_total 'result="success"')
in_ct systemctl reload soc-correlator.service
for _ in $(seq 1 50); do [ "$(metric soc_rules_reload_total 'result="success"')" -gt "$before" ] && break; sleep 0.2; done
check "the reload succeeded" "$(metric soc_rules_reload_total 'result="success"')" "$((before + 1))"

echo "== a hung main loop: the watchdog (3 s for this test) kills the log sensor and it comes back"
lpid=$(in_ct systemctl show -P MainPID soc-log-sensor.service)
in_ct kill -STOP "$lpid"
for _ in $(seq 1 150); do
  [ "$(in_ct systemctl show -P NRestarts soc-log-sensor.service)" -ge 1 ] &&
    [ "$(in_ct systemctl show -P ActiveState soc-log-sensor.service)" = active ] && break
  sleep 0.2
done
check "systemd restarted the log sensor" "$(in_ct systemctl show -P NRestarts soc-log-sensor.service)" 1
in_ct journalctl -u soc-log-sensor --no-pager >"$WORK/log-sensor.journal"
check_contains "because of the watchdog" "$WORK/log-sensor.journal" "Watchdog timeout"

echo "== a secret key others can read: exit 78, the chmod to run, no restart loop"
in_ct chmod 644 "$ETC/keys/correlator.key"
in_ct systemctl restart soc-correlator.service 2>/dev/null || true
sleep 6  # longer than RestartSec: a restart would have happened by now
check "the correlator failed with 78" "$(in_ct systemctl show -P ExecMainStatus soc-correlator.service)" 78
check "and is not restarted" "$(in_ct systemctl show -P ActiveState soc-correlator.service)/$(in_ct systemctl show -P NRestarts soc-correlator.service)" "failed/0"
in_ct journalctl -u soc-correlator --no-pager >"$WORK/correlator.journal"
check_contains "the journal says which flag and what to run" "$WORK/correlator.journal" "--server-key: $ETC/keys/correlator.key can be read by other users (mode 0644)"
check_contains "with the chmod" "$WORK/correlator.journal" "run: chmod 600 $ETC/keys/correlator.key"
in_ct chmod 600 "$ETC/keys/correlator.key"
in_ct systemctl reset-failed soc-correlator.service
start_unit soc-correlator.service
check "after the chmod it runs again" "$(in_ct systemctl show -P ActiveState soc-correlator.service)" active

echo "== systemd-analyze on the installed units"
for u in soc-correlator.service soc-log-sensor.service soc-collector.service soc-packet-sensor@lo.service; do
  set +e
  in_ct systemd-analyze verify --man=no "$u" >"$WORK/verify.log" 2>&1
  rc=$?
  set -e
  check "systemd-analyze verify $u" "$rc:$(wc -l <"$WORK/verify.log")" "0:0"
  [ -s "$WORK/verify.log" ] && sed 's/^/    /' "$WORK/verify.log"
  echo "   $(in_ct systemd-analyze security "$u" 2>/dev/null | tail -1)"
done
echo "   the whole test took $((SECONDS - t0)) s"
finish
