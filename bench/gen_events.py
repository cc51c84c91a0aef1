#!/usr/bin/env python3
"""Writes N flat ECS flow events (~200 bytes each) as JSON lines, for the transport benchmark.

Deterministic: the same arguments give the same file, byte for byte. Field names and types
follow docs/fields.md (core/fields.cpp): @timestamp is RFC 3339 UTC with 6 fractional digits,
ports and byte counts are integers, addresses are IP text, event.category is a list. The events
carry every required field except observer.name and site.id, which the correlator sets from the
sensor's key.

By default an event is the flow's 5-tuple and the required fields, ~242 bytes, near the size of
the messages of the ZeroMQ bus baseline (200 B). --wide adds ndpi.protocol and source.bytes
(~290 bytes, closer to what the packet sensor emits).

    python3 bench/gen_events.py --count 1000000 --out /tmp/ev.jsonl [--wide]

Prints the number of events and the mean line length (newline excluded) to stderr.
"""

import argparse
import random
import sys
from datetime import datetime, timedelta, timezone

# (network.transport, destination.port, ndpi.protocol); weights roughly like a government LAN.
SERVICES = [
    ("tcp", 443, "TLS", 30),
    ("tcp", 443, "TLS.Google", 10),
    ("tcp", 443, "TLS.Microsoft", 10),
    ("udp", 53, "DNS", 20),
    ("tcp", 80, "HTTP", 8),
    ("udp", 123, "NTP", 4),
    ("tcp", 22, "SSH", 3),
    ("tcp", 445, "SMBv23", 3),
    ("tcp", 3389, "RDP", 2),
    ("udp", 443, "QUIC.YouTube", 5),
    ("tcp", 8080, "Unknown", 5),
]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--count", type=int, default=1_000_000, help="number of events (default 1000000)")
    ap.add_argument("--out", required=True, help="output file ('-' for stdout)")
    ap.add_argument("--wide", action="store_true",
                    help="add ndpi.protocol and source.bytes (~290 bytes per event)")
    ap.add_argument("--seed", type=int, default=20240514, help="random seed (default 20240514)")
    args = ap.parse_args()
    if args.count < 1:
        ap.error("--count must be at least 1")

    rng = random.Random(args.seed)
    services = [s[:3] for s in SERVICES]
    weights = [s[3] for s in SERVICES]
    # A fixed start, so that the file does not depend on the day it was made.
    t0 = datetime(2024, 5, 14, 8, 0, 0, tzinfo=timezone.utc)
    micros = 0
    total_len = 0

    out = sys.stdout if args.out == "-" else open(args.out, "w", encoding="ascii", newline="\n")
    try:
        chunk = []
        for _ in range(args.count):
            micros += rng.randint(1, 2000)
            ts = (t0 + timedelta(microseconds=micros)).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
            transport, dport, proto = rng.choices(services, weights)[0]
            src = f"10.{rng.randint(1, 40)}.{rng.randint(0, 255)}.{rng.randint(1, 254)}"
            sport = rng.randint(1024, 65535)
            dst = f"192.168.{rng.randint(0, 15)}.{rng.randint(1, 254)}"
            nbytes = rng.randint(60, 2_000_000)  # drawn in both modes: same 5-tuples either way
            if args.wide:
                line = (
                    f'{{"@timestamp":"{ts}","event.kind":"event","event.dataset":"flow",'
                    f'"event.category":["network"],"source.ip":"{src}","source.port":{sport},'
                    f'"destination.ip":"{dst}","destination.port":{dport},'
                    f'"network.transport":"{transport}","ndpi.protocol":"{proto}",'
                    f'"source.bytes":{nbytes}}}'
                )
            else:
                line = (
                    f'{{"@timestamp":"{ts}","event.kind":"event","event.dataset":"flow",'
                    f'"event.category":["network"],"source.ip":"{src}","source.port":{sport},'
                    f'"destination.ip":"{dst}","destination.port":{dport},'
                    f'"network.transport":"{transport}"}}'
                )
            total_len += len(line)
            chunk.append(line)
            if len(chunk) == 10_000:
                out.write("\n".join(chunk))
                out.write("\n")
                chunk.clear()
        if chunk:
            out.write("\n".join(chunk))
            out.write("\n")
    finally:
        if out is not sys.stdout:
            out.close()

    print(f"gen_events: {args.count} events, mean line length {total_len / args.count:.1f} bytes "
          f"(newline excluded)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
