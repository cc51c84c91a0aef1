#!/usr/bin/env bash
# The wire decoder under fire, end to end: a peer with a valid key sends malformed and randomly
# mutated messages to a live correlator. Nothing crashes, each refusal is counted by its reason,
# and every message lands in exactly one counter.
source "$(dirname "$0")/lib.sh"
need curl ss awk
: "${WIRE_GARBAGE:?WIRE_GARBAGE must point at the wire_garbage tool}"

make_keys server hostile
printf 'sensors:\n  - {id: hostile, site: lab, public_key: "%s"}\n' "$(cat "$WORK/hostile.pub")" >"$WORK/allow.yaml"
start_correlator --server-key "$WORK/server.key" --allow "$WORK/allow.yaml"

"$WIRE_GARBAGE" "tcp://127.0.0.1:$LISTEN_PORT" "$WORK/server.pub" "$WORK/hostile.key" hostile lab 20000 >"$WORK/sent.txt"
cat "$WORK/sent.txt"
sent() { awk -v k="$1" '$1 == k { print $2 }' "$WORK/sent.txt"; }
total_sent=$(awk '{ s += $2 } END { print s }' "$WORK/sent.txt")

check "the correlator is still running" "$(kill -0 "$CORRELATOR_PID" && echo yes)" yes
for reason in frame_count bad_header bad_version bad_type count_mismatch sensor_mismatch site_mismatch; do
  check_ge "soc_messages_rejected_total{reason=\"$reason\"} counts the hand-made ones" \
    "$(metric soc_messages_rejected_total "reason=\"$reason\"")" "$(sent "$reason")"
done
for reason in syntax truncated invalid_utf8 too_deep not_object wrong_type missing_field duplicate_key nested_array bad_number; do
  check_ge "soc_events_rejected_total{reason=\"$reason\"} counts the bad event" \
    "$(metric soc_events_rejected_total "reason=\"$reason\",sensor=\"hostile\"")" 1
done
body=$(curl -fsS "http://127.0.0.1:$METRICS_PORT/metrics")
rejected=$(awk '/^soc_messages_rejected_total/ { s += $2 } END { print s + 0 }' <<<"$body")
batches=$(awk '/^soc_batches_received_total\{sensor="hostile"\}/ { print $2 }' <<<"$body")
heartbeats=$(awk '/^soc_heartbeats_received_total\{sensor="hostile"\}/ { s += $2 } END { print s + 0 }' <<<"$body")
echo "sent $total_sent messages; the correlator counted $rejected refused, $batches batches, $heartbeats heartbeats"
check "every message landed in exactly one counter" "$((rejected + batches + heartbeats))" "$total_sent"
check_ge "most mutations were refused" "$rejected" 1000
stop_correlator
check_contains "the correlator stops cleanly" "$WORK/correlator.log" "stopping after"
finish
