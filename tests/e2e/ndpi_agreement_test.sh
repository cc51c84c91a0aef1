#!/usr/bin/env bash
# Agreement with the peer: soc-packet-sensor against Debian's ndpiReader on every capture of
# ../shared/testdata/pcap/ (flows and ndpi.protocol, flow by flow; tests/e2e/ndpi_agreement.py).
# Every difference must be listed, with its reason, in tests/e2e/ndpi_agreement_known.tsv.
source "$(dirname "$0")/lib.sh"
need ndpiReader python3
PCAPS="$SRC/../shared/testdata/pcap"
[ -d "$PCAPS" ] || { echo "SKIP: $PCAPS is absent (the shared test data)"; exit 77; }
# Minimums set from the measured figures (docs/adr/0006-packet-sensor.md): a drop below them is
# a regression, not noise (both programs are deterministic on a file).
python3 "$SRC/tests/e2e/ndpi_agreement.py" "$BUILD/sensors/packet/soc-packet-sensor" "$PCAPS" \
  "$SRC/tests/e2e/ndpi_agreement_known.tsv" "${MIN_FLOW_AGREEMENT:-0.99}" "${MIN_PROTO_AGREEMENT:-0.99}" "$@"
