#!/usr/bin/env bash
# `meson install` into a DESTDIR (issue 16): the binaries, the units, the sysusers and tmpfiles
# snippets, the default rules and field mappings, the log decoders, the dashboards (when the tree
# has them), the sample province, the docs, and the example configuration in SYSCONFDIR/soc,
# which a second install does not overwrite. The installed units pass `systemd-analyze verify`
# (against the DESTDIR as root) and score at most 2.5 (3.5 for the packet sensor) in
# `systemd-analyze security --offline=yes`.
source "$(dirname "$0")/lib.sh"
need meson systemd-analyze

DEST="$WORK/root"
meson install -C "$BUILD" --no-rebuild --destdir "$DEST" >"$WORK/install.log" 2>&1 ||
  { cat "$WORK/install.log"; echo "FAIL: meson install"; exit 1; }
intro() { meson introspect "$BUILD" --buildoptions | python3 -c "import json,sys; print(next(o['value'] for o in json.load(sys.stdin) if o['name']=='$1'))"; }
PREFIX=$(intro prefix)
BINDIR="$PREFIX/$(intro bindir)"
DATADIR="$PREFIX/$(intro datadir)/soc"
DOCDIR="$PREFIX/$(intro datadir)/doc/soc"
SYSCONF=$(intro sysconfdir); [[ "$SYSCONF" = /* ]] || SYSCONF="$PREFIX/$SYSCONF"
UNITDIR="$PREFIX/lib/systemd/system"
echo "prefix $PREFIX, data $DATADIR, config $SYSCONF"

echo "== what is installed"
for b in soc-correlator soc-packet-sensor soc-log-sensor soc-collector socctl; do
  check "$b is installed and runs" "$("$DEST$BINDIR/$b" --version | awk '{print $1}')" "$b"
done
for u in soc-correlator.service soc-log-sensor.service soc-collector.service soc-packet-sensor@.service; do
  check "the unit $u" "$(test -f "$DEST$UNITDIR/$u" && echo installed)" installed
done
check "the sysusers snippet" "$(grep -c '^u soc ' "$DEST$PREFIX/lib/sysusers.d/soc.conf")" 1
check "the tmpfiles snippet names the keys folder" "$(grep -c "^d $SYSCONF/soc/keys 0700 soc soc" "$DEST$PREFIX/lib/tmpfiles.d/soc.conf")" 1
check "the default rules" "$(find "$DEST$DATADIR/rules" -name '*.yml' | wc -l)" "$(find "$SRC/rules" -name '*.yml' | wc -l)"
check "the field mappings" "$(test -f "$DEST$DATADIR/rules/mappings/sigma-ecs.yaml" && echo installed)" installed
check "the log decoders" "$(ls "$DEST$DATADIR/log-decoders"/*.yaml | wc -l)" "$(ls "$SRC/sensors/log/decoders"/*.yaml | wc -l)"
if [ -d "$SRC/dashboards" ]; then
  check "the dashboards" "$(find "$DEST$DATADIR/dashboards" -type f | wc -l)" "$(find "$SRC/dashboards" -type f | wc -l)"
else
  echo "ok: no dashboards/ in this tree, none installed ($(test -e "$DEST$DATADIR/dashboards" && echo 'but found' || echo absent))"
fi
check "the sample province" "$(test -f "$DEST$DATADIR/examples/inventory.yaml" && echo installed)" installed
for d in api.md fields.md adr/0033-secret-files.md; do
  check "the doc $d" "$(test -f "$DEST$DOCDIR/$d" && echo installed)" installed
done
for c in correlator log-sensor packet-sensor collector; do
  check "$SYSCONF/soc/$c.yaml" "$(test -f "$DEST$SYSCONF/soc/$c.yaml" && echo installed)" installed
done
check "the logrotate snippet" "$(test -f "$DEST$SYSCONF/logrotate.d/soc" && echo installed)" installed
check_contains "the installed config points at the installed rules" "$DEST$SYSCONF/soc/correlator.yaml" "  - $DATADIR/rules"
check_contains "and at the installed keys folder" "$DEST$SYSCONF/soc/correlator.yaml" "server-key: $SYSCONF/soc/keys/correlator.key"

echo "== an installed binary without its data folder says so"
# The DESTDIR's binaries look for their data in $DATADIR, which only a real install fills: on a
# machine without one, the rules cannot load their field mappings, and the correlator stops with
# EX_CONFIG naming the folder instead of refusing (or mis-mapping) most rules quietly.
if [ -e "$DATADIR/rules/mappings" ]; then
  echo "ok: $DATADIR/rules/mappings exists on this machine (a real install): nothing to check"
else
  set +e
  "$DEST$BINDIR/soc-correlator" --insecure --listen "tcp://127.0.0.1:$(free_port)" --metrics "127.0.0.1:$(free_port)" \
    --rules "$SRC/rules" >"$WORK/no-data.log" 2>&1
  rc=$?
  set -e
  check "the correlator exits with EX_CONFIG" "$rc" 78
  check_contains "and names the missing mappings folder" "$WORK/no-data.log" "$DATADIR/rules/mappings: error[mapping.missing]"
  set +e
  "$DEST$BINDIR/socctl" rules check "$SRC/rules" >"$WORK/no-data-ctl.log" 2>&1
  rc=$?
  set -e
  check "socctl rules check fails" "$rc" 1
  check_contains "and says why" "$WORK/no-data-ctl.log" "no field mapping files"
fi

echo "== a second install keeps what the admin changed"
echo "# edited by the admin" >>"$DEST$SYSCONF/soc/correlator.yaml"
rm "$DEST$SYSCONF/soc/collector.yaml"
meson install -C "$BUILD" --no-rebuild --destdir "$DEST" >"$WORK/install2.log" 2>&1 ||
  { cat "$WORK/install2.log"; echo "FAIL: second meson install"; exit 1; }
check_contains "the edited file is kept" "$DEST$SYSCONF/soc/correlator.yaml" "# edited by the admin"
check "a removed example comes back" "$(test -f "$DEST$SYSCONF/soc/collector.yaml" && echo restored)" restored

echo "== systemd-analyze verify on the installed units"
# verify needs each ExecStart binary where the unit says; the copies checked here point into
# DEST (the real paths are checked by tests/e2e/systemd_units_test.sh, which installs for real).
mkdir -p "$WORK/units"
for u in soc-correlator.service soc-log-sensor.service soc-collector.service soc-packet-sensor@.service; do
  sed "s|$BINDIR/|$DEST$BINDIR/|g" "$DEST$UNITDIR/$u" >"$WORK/units/$u"
done
cp "$WORK/units/soc-packet-sensor@.service" "$WORK/units/soc-packet-sensor@eth0.service"
for u in soc-correlator.service soc-log-sensor.service soc-collector.service soc-packet-sensor@eth0.service; do
  set +e
  (cd "$WORK/units" && systemd-analyze verify --man=no "$WORK/units/$u") >"$WORK/verify.log" 2>&1
  rc=$?
  set -e
  check "systemd-analyze verify $u" "$rc:$(wc -l <"$WORK/verify.log")" "0:0"
  [ -s "$WORK/verify.log" ] && sed 's/^/    /' "$WORK/verify.log"
done

echo "== exposure (systemd-analyze security --offline=yes)"
score() { systemd-analyze security --offline=yes --root="$DEST" "$1" 2>/dev/null | sed -n 's/.*Overall exposure level for .*: \([0-9.]*\).*/\1/p'; }
for pair in soc-correlator.service:2.5 soc-log-sensor.service:2.5 soc-collector.service:2.5 soc-packet-sensor@.service:3.5; do
  u=${pair%%:*} max=${pair##*:}
  s=$(score "$DEST$UNITDIR/$u")
  echo "   $u: $s"
  check "$u scores at most $max (scored ${s:-nothing})" "$(awk -v s="${s:-99}" -v m="$max" 'BEGIN { print (s <= m) ? "yes" : "no" }')" yes
done
finish
