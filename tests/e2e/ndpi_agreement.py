#!/usr/bin/env python3
"""Agreement of soc-packet-sensor with Debian's ndpiReader (nDPI 4.2), flow by flow.

For every capture under PCAP_DIR: runs `ndpiReader -v 2 -C out.csv -i FILE` (without -v 2 the CSV holds only
the flows whose protocol is known) and
`soc-packet-sensor --read FILE`, then compares
  - the set of flows, keyed by (IP protocol, the two (address, port) ends in either order);
  - for flows both found, ndpi.protocol (ours) against the ndpi_proto column (theirs).
Prints the agreement per file and overall. Every difference is either listed in the
known-differences file (with its reason) or reported as UNLISTED.

usage: ndpi_agreement.py SENSOR PCAP_DIR KNOWN_FILE MIN_FLOW_AGREEMENT MIN_PROTO_AGREEMENT [--write-known]
Exit 0 when both agreements reach their minimum and no difference is unlisted; 1 otherwise.
"""
import csv
import ipaddress
import json
import os
import subprocess
import sys
import tempfile

TRANSPORT = {"icmp": 1, "igmp": 2, "tcp": 6, "udp": 17, "gre": 47, "esp": 50, "ah": 51, "ipv6-icmp": 58,
             "ospf": 89, "sctp": 132}


# ndpiReader never expires a flow when it reads a file (its idle scan runs in live capture
# only), so ours runs with timeouts longer than any capture here; FIN/RST still end flows.
SENSOR_ARGS = os.environ.get("AGREEMENT_SENSOR_ARGS", "--idle-timeout 86400 --active-timeout 86400").split()


def norm_ip(s):
    try:
        return str(ipaddress.ip_address(s))
    except ValueError:
        return s


def key(proto, a, ap, b, bp):
    ends = sorted([(norm_ip(a), int(ap)), (norm_ip(b), int(bp))])
    return (int(proto), ends[0][0], ends[0][1], ends[1][0], ends[1][1])


def fmt_key(k):
    return f"{k[0]}:{k[1]}:{k[2]}-{k[3]}:{k[4]}"


def theirs(path, work):
    out = os.path.join(work, "ndpi.csv")
    if os.path.exists(out):
        os.unlink(out)
    r = subprocess.run(["ndpiReader", "-v", "2", "-C", out, "-i", path], stdout=subprocess.DEVNULL,
                       stderr=subprocess.PIPE, timeout=300)
    flows = {}
    if not os.path.exists(out):
        return flows, f"ndpiReader exited {r.returncode} without output"
    with open(out, newline="", encoding="utf-8", errors="replace") as f:
        rows = csv.reader(f)
        header = next(rows, None)
        if not header:
            return flows, None
        header[0] = header[0].lstrip("#")
        col = {n: i for i, n in enumerate(header)}
        for row in rows:
            if len(row) < len(header) - 5:
                continue
            k = key(row[col["protocol"]], row[col["src_ip"]], row[col["src_port"]], row[col["dst_ip"]],
                    row[col["dst_port"]])
            flows.setdefault(k, []).append(row[col["ndpi_proto"]])
    return flows, None


def ours(sensor, path):
    r = subprocess.run([sensor, "--read", path] + SENSOR_ARGS, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=300)
    flows = {}
    if r.returncode != 0:
        return flows, f"soc-packet-sensor exited {r.returncode}: {r.stderr.decode(errors='replace').strip()}"
    for line in r.stdout.decode("utf-8", errors="replace").splitlines():
        e = json.loads(line)
        if e.get("event.dataset") != "flow":
            continue
        t = e.get("network.transport", "")
        proto = TRANSPORT.get(t, int(t) if t.isdigit() else -1)
        k = key(proto, e["source.ip"], e.get("source.port", 0), e["destination.ip"], e.get("destination.port", 0))
        flows.setdefault(k, []).append((e["event.start"], e["ndpi.protocol"]))
    return {k: [p for _, p in sorted(v)] for k, v in flows.items()}, None


def load_known(path):
    known = {}
    if not os.path.exists(path):
        return known
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            line = line.rstrip("\n")
            if not line.strip() or line.lstrip().startswith("#"):
                continue
            parts = line.split("\t")
            if len(parts) < 5:
                print(f"{path}:{n}: expected 5 tab-separated columns: file, flow, ours, theirs, reason")
                continue
            known[(parts[0], parts[1])] = (parts[2], parts[3], parts[4])
    return known


def main():
    sensor, pcap_dir, known_path = sys.argv[1], sys.argv[2], sys.argv[3]
    min_flow, min_proto = float(sys.argv[4]), float(sys.argv[5])
    write_known = "--write-known" in sys.argv
    known = load_known(known_path)
    captures = []
    for root, _, files in os.walk(pcap_dir):
        for f in files:
            if f.endswith((".pcap", ".pcapng", ".cap")):
                captures.append(os.path.join(root, f))
    captures.sort()
    tot_union = tot_common = tot_proto_ok = 0
    unlisted, listed_seen, new_known = [], set(), []
    with tempfile.TemporaryDirectory() as work:
        for path in captures:
            name = os.path.relpath(path, pcap_dir)
            ref, err1 = theirs(path, work)
            got, err2 = ours(sensor, path)
            if err2:
                print(f"{name}: ERROR {err2}")
                unlisted.append((name, "*", "error", "", err2))
                continue
            union = set(ref) | set(got)
            common = set(ref) & set(got)
            proto_ok = 0
            diffs = []
            for k in sorted(union, key=fmt_key):
                a, b = got.get(k), ref.get(k)
                if a is None:
                    diffs.append((k, "-", "|".join(b)))
                elif b is None:
                    diffs.append((k, "|".join(a), "-"))
                elif sorted(set(a)) == sorted(set(b)):
                    proto_ok += 1
                else:
                    diffs.append((k, "|".join(a), "|".join(b)))
            tot_union += len(union)
            tot_common += len(common)
            tot_proto_ok += proto_ok
            fa = len(common) / len(union) if union else 1.0
            pa = proto_ok / len(common) if common else 1.0
            note = f" (ndpiReader: {err1})" if err1 else ""
            print(f"{name}: flows ours {sum(map(len, got.values()))} theirs {sum(map(len, ref.values()))}, "
                  f"same flows {len(common)}/{len(union)} = {fa:.1%}, same ndpi.protocol {proto_ok}/{len(common)} "
                  f"= {pa:.1%}{note}")
            for k, a, b in diffs:
                kk = (name, fmt_key(k))
                if kk in known:
                    listed_seen.add(kk)
                    print(f"    known: {fmt_key(k)} ours={a} theirs={b}: {known[kk][2]}")
                else:
                    unlisted.append((name, fmt_key(k), a, b, ""))
                    new_known.append(f"{name}\t{fmt_key(k)}\t{a}\t{b}\tTODO")
                    print(f"    UNLISTED: {fmt_key(k)} ours={a} theirs={b}")
    fa = tot_common / tot_union if tot_union else 1.0
    pa = tot_proto_ok / tot_common if tot_common else 1.0
    print(f"overall: {len(captures)} captures, same flows {tot_common}/{tot_union} = {fa:.2%}, "
          f"same ndpi.protocol {tot_proto_ok}/{tot_common} = {pa:.2%}")
    stale = sorted(set(known) - listed_seen)
    for s in stale:
        print(f"note: known difference no longer seen: {s[0]} {s[1]}")
    if write_known and new_known:
        with open(known_path, "a", encoding="utf-8") as f:
            f.write("\n".join(new_known) + "\n")
    ok = True
    if fa < min_flow:
        print(f"FAIL: flow agreement {fa:.2%} is below the minimum {min_flow:.2%}")
        ok = False
    if pa < min_proto:
        print(f"FAIL: protocol agreement {pa:.2%} is below the minimum {min_proto:.2%}")
        ok = False
    if unlisted:
        print(f"FAIL: {len(unlisted)} differences are not in {known_path}")
        ok = False
    print("agreement test passed" if ok else "agreement test failed")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
