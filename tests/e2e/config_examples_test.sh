#!/usr/bin/env bash
# The example configuration (examples/etc/soc/, installed to /etc/soc) against the binaries: every
# flag a daemon's --help lists is a key of its example, with its default and meaning; the example
# as shipped and with every commented key uncommented passes the binary's own --check-config
# (no unknown key, every value of the right type); docs/configuration.md lists every key.
source "$(dirname "$0")/lib.sh"
need python3

# uncomment FILE: every `#key: value` line (and the `#  - item` lines of a commented list) made
# live; a `key: []` followed by commented items becomes `key:` with them.
uncomment() {
  python3 - "$1" <<'PY'
import re, sys
out, lines = [], open(sys.argv[1]).read().splitlines()
for i, line in enumerate(lines):
    nxt = lines[i + 1] if i + 1 < len(lines) else ""
    if re.match(r"^[a-z][a-z0-9-]*: \[\]$", line) and nxt.startswith("#  - "):
        out.append(line[:-3].rstrip()); continue
    m = re.match(r"^#([a-z][a-z0-9-]*:.*)$", line)
    if m: out.append(m.group(1)); continue
    if line.startswith("#  - "): out.append(line[1:]); continue
    out.append(line)
print("\n".join(out))
PY
}

for pair in correlator:"$CORRELATOR" log-sensor:"$LOG_SENSOR" packet-sensor:"$BUILD/sensors/packet/soc-packet-sensor" collector:"$COLLECTOR"; do
  name=${pair%%:*} bin=${pair#*:}
  example="$SRC/examples/etc/soc/$name.yaml"
  echo "== $name ($example)"
  flags=$("$bin" --help | grep -o -- '--[a-z][a-z0-9-]*' | sed 's/^--//' | sort -u | grep -v -x -e help -e version -e config -e check-config)
  missing=""
  for f in $flags; do grep -Eq "^#?$f:" "$example" || missing="$missing $f"; done
  check "every flag of $name is a key of its example" "${missing:-none missing}" "none missing"
  nodoc=""
  for f in $flags; do
    # Each key must appear, with its default, in the example's comment block above it.
    # (a blank line or another key ends a comment block)
    awk -v k="$f" '
      /^# / { if (index($0, "Default:")) d = 1; next }
      /^$/ { d = 0; next }
      $0 ~ "^#?" k ":" { found = d; exit }
      /^#?[a-z][a-z0-9-]*:/ { d = 0 }
      END { exit !found }' "$example" || nodoc="$nodoc $f"
  done
  check "every key of the $name example says its default" "${nodoc:-all documented}" "all documented"
  check "the $name example as shipped is valid" "$(set +e; "$bin" --config "$example" --check-config >"$WORK/out" 2>&1; echo $?)" 0
  [ "$(cat "$WORK/out")" != "" ] && sed 's/^/    /' "$WORK/out" | head -5
  uncomment "$example" >"$WORK/$name.all.yaml"
  check "the $name example with every key uncommented is valid" "$(set +e; "$bin" --config "$WORK/$name.all.yaml" --check-config >"$WORK/out" 2>&1; echo $?)" 0
  grep -q error "$WORK/out" && sed 's/^/    /' "$WORK/out" | head -10
  if [ -f "$SRC/docs/configuration.md" ]; then
    undoc=""
    for f in $flags; do
      awk -v s="## soc-$name" -v k="\`$f\`" 'index($0, "## ") == 1 { on = ($0 == s) } on && index($0, k) { found = 1 } END { exit !found }' \
        "$SRC/docs/configuration.md" || undoc="$undoc $f"
    done
    check "docs/configuration.md lists every key of soc-$name" "${undoc:-all listed}" "all listed"
  fi
done
finish
