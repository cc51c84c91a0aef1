#!/usr/bin/env bash
# The command-line contract of every binary: --help lists every flag, --version answers,
# unknown flags exit 2, bad config exits 78 with file:line:column.
source "$(dirname "$0")/lib.sh"
need ss

code() { set +e; "$@" >"$WORK/out" 2>&1; echo $?; set -e; }

echo "== --help and --version"
check "soc-correlator --help exits 0" "$(code "$CORRELATOR" --help)" 0
for flag in --listen --server-key --allow --insecure --metrics --events-out --publish --max-message-bytes --log-level --config --help --version; do
  check_contains "soc-correlator --help lists $flag" "$WORK/out" "$flag"
done
check "soc-correlator --version exits 0" "$(code "$CORRELATOR" --version)" 0
check_contains "the version is printed" "$WORK/out" "soc-correlator 0."
check "socctl --help exits 0" "$(code "$SOCCTL" --help)" 0
for sub in keygen send tail demo; do check_contains "socctl --help lists $sub" "$WORK/out" "$sub"; done
check "socctl send --help exits 0" "$(code "$SOCCTL" send --help)" 0
for flag in --connect --server-pub --key --sensor-id --site --insecure --timeout --batch --heartbeat --quiet --rate --loop --config; do
  check_contains "socctl send --help lists $flag" "$WORK/out" "$flag"
done
check "socctl keygen --help exits 0" "$(code "$SOCCTL" keygen --help)" 0
check_contains "socctl keygen --help lists --out" "$WORK/out" "--out"
check "socctl tail --help exits 0" "$(code "$SOCCTL" tail --help)" 0
check_contains "socctl tail --help lists --alerts" "$WORK/out" "--alerts"
check "socctl demo --help exits 0" "$(code "$SOCCTL" demo --help)" 0
check_contains "socctl demo --help lists --once" "$WORK/out" "--once"

echo "== usage errors exit 2"
check "an unknown flag" "$(code "$CORRELATOR" --no-such-flag)" 2
check_contains "it is named" "$WORK/out" "no-such-flag"
check "a bad number" "$(code "$CORRELATOR" --max-message-bytes lots)" 2
check "socctl without a subcommand" "$(code "$SOCCTL")" 2
check "socctl send without files" "$(code "$SOCCTL" send --sensor-id a --insecure)" 2
check "socctl send: unknown flag" "$(code "$SOCCTL" send --bogus x.jsonl)" 2

echo "== keygen"
check "socctl keygen exits 0" "$(code "$SOCCTL" keygen --out "$WORK/k")" 0
check "the secret key is mode 0600" "$(stat -c %a "$WORK/k.key")" 600
check "the secret key is 40 characters of Z85" "$(tr -d '\n' <"$WORK/k.key" | wc -c)" 40
check "the public key is 40 characters of Z85" "$(tr -d '\n' <"$WORK/k.pub" | wc -c)" 40
check "keygen refuses to overwrite" "$(code "$SOCCTL" keygen --out "$WORK/k")" 1
check "unless --force" "$(code "$SOCCTL" keygen --out "$WORK/k" --force)" 0

echo "== config errors exit 78 with a position"
make_keys server s1
printf 'listen: tcp://127.0.0.1:1\nmetrics-port: 9\nallow: [a, b]\n' >"$WORK/bad.yaml"
check "a config file with an unknown key and a wrong type" "$(code "$CORRELATOR" --config "$WORK/bad.yaml")" 78
check_contains "the unknown key is located" "$WORK/out" "bad.yaml:2:1: error[config.unknown_key]: unknown key 'metrics-port'"
check_contains "the wrong type is located" "$WORK/out" "bad.yaml:3:8: error[config.bad_value]: 'allow' expects a string"
printf 'listen: [unclosed\n' >"$WORK/syntax.yaml"
check "a config file that is not YAML" "$(code "$CORRELATOR" --config "$WORK/syntax.yaml")" 78
check_contains "the syntax error is located" "$WORK/out" "syntax.yaml:"
check "a missing config file" "$(code "$CORRELATOR" --config "$WORK/none.yaml")" 78
check "no server key" "$(code "$CORRELATOR" --allow "$WORK/x.yaml")" 78
check_contains "it says what is missing" "$WORK/out" "--server-key is required"
echo "not a key" >"$WORK/bad.key"
chmod 600 "$WORK/bad.key"  # a secret readable by others is refused before its content is read
printf 'sensors: []\n' >"$WORK/empty.yaml"
check "a server key that is not a key" "$(code "$CORRELATOR" --server-key "$WORK/bad.key" --allow "$WORK/empty.yaml")" 78
check_contains "it names the file" "$WORK/out" "bad.key: not a CURVE key"
cat >"$WORK/allow.yaml" <<YAML
sensors:
  - {id: s1, site: a, public_key: "$(cat "$WORK/s1.pub")"}
  - {id: s1, site: b, public_key: "short"}
  - {id: s3, site: c, pubkey: "x"}
YAML
check "an allowlist with mistakes" "$(code "$CORRELATOR" --server-key "$WORK/server.key" --allow "$WORK/allow.yaml")" 78
check_contains "a bad key is located" "$WORK/out" "allow.yaml:3:35: error[allowlist.bad_key]"
check_contains "an unknown key is located" "$WORK/out" "allow.yaml:4:23: error[allowlist.unknown_key]: unknown key 'pubkey'"
check_contains "a snippet with a caret is shown" "$WORK/out" "^"

echo "== a config file sets the same keys as the flags"
LISTEN_PORT=$(free_port)
METRICS_PORT=$(free_port)
cat >"$WORK/good.yaml" <<YAML
listen: tcp://127.0.0.1:$LISTEN_PORT
server-key: $WORK/server.key
allow: $WORK/allow-ok.yaml
metrics: 127.0.0.1:$METRICS_PORT
publish: ""
YAML
printf 'sensors:\n  - {id: s1, site: a, public_key: "%s"}\n' "$(cat "$WORK/s1.pub")" >"$WORK/allow-ok.yaml"
"$CORRELATOR" --config "$WORK/good.yaml" >"$WORK/correlator.log" 2>&1 &
CORRELATOR_PID=$!
PIDS+=("$CORRELATOR_PID")
wait_port "$METRICS_PORT"
check "the correlator serves metrics on the configured port" "$(metric soc_build_info "version=\"$("$CORRELATOR" --version | awk '{print $2}')\"")" 1
stop_correlator

echo "== plain TCP only with --insecure on both sides"
start_correlator --insecure
gen_events 100 "$WORK/100.jsonl"
check "socctl send --insecure to an insecure correlator" \
  "$(code "$SOCCTL" send --insecure --connect "tcp://127.0.0.1:$LISTEN_PORT" --sensor-id lab1 --site lab "$WORK/100.jsonl")" 0
check "the header's identity is taken as it is" "$(metric soc_events_received_total 'dataset="flow",sensor="lab1",site="lab"')" 100
check_contains "the correlator says it is insecure" "$WORK/correlator.log" "INSECURE plain TCP"
check "a CURVE sender cannot talk to it" \
  "$(code "$SOCCTL" send --connect "tcp://127.0.0.1:$LISTEN_PORT" --server-pub "$WORK/server.pub" --key "$WORK/s1.key" --sensor-id s1 --site a --timeout 3 "$WORK/100.jsonl")" 1
stop_correlator
finish
