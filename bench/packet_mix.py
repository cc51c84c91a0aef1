#!/usr/bin/env python3
"""pcap helpers for bench/packet_bench.sh (classic pcap, microsecond or nanosecond records).

  packet_mix.py merge OUT IN...     merge captures of one link type into OUT, sorted by time
  packet_mix.py interleave OUT IN...  OUT takes packet 1 of each IN, then packet 2 of each, ...
                                      (copies of one capture with different addresses)
  packet_mix.py count IN            prints the number of packets
  packet_mix.py run CMD...          runs CMD (output to /dev/null); prints its wall time in
                                    microseconds, peak RSS in KiB (GNU time) and CPU seconds
                                    (user+sys, from wait4())
A record cut at the end of a file ends that file.
"""
import heapq
import os
import struct
import subprocess
import sys
import time


def records(path):
    with open(path, "rb") as f:
        head = f.read(24)
        magic = head[:4]
        if magic in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1"):
            end = "<"
        elif magic in (b"\xa1\xb2\xc3\xd4", b"\xa1\xb2\x3c\x4d"):
            end = ">"
        else:
            sys.exit(f"{path}: not a classic pcap file (convert it with tcpdump -r IN -w OUT)")
        nano = magic in (b"\x4d\x3c\xb2\xa1", b"\xa1\xb2\x3c\x4d")
        linktype = struct.unpack(end + "I", head[20:24])[0]
        yield linktype
        while True:
            rh = f.read(16)
            if len(rh) < 16:
                return
            sec, frac, incl, orig = struct.unpack(end + "IIII", rh)
            data = f.read(incl)
            if len(data) < incl:
                return
            usec = frac // 1000 if nano else frac
            yield (sec * 1_000_000 + usec, orig, data)


def open_all(paths):
    gens, link = [], None
    for p in paths:
        g = records(p)
        lt = next(g)
        if link is None:
            link = lt
        elif lt != link:
            sys.exit(f"{p}: link type {lt}, expected {link}")
        gens.append(g)
    return link, gens


def write(out, link, recs):
    n = 0
    with open(out, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 262144, link))
        for ts, orig, data in recs:
            f.write(struct.pack("<IIII", ts // 1_000_000, ts % 1_000_000, len(data), orig))
            f.write(data)
            n += 1
    return n


def main():
    cmd, args = sys.argv[1], sys.argv[2:]
    if cmd == "run":
        # The peak RSS comes from GNU time: a child forked from this Python process would count
        # Python's own pages as its peak (the kernel keeps the pre-exec high-water mark).
        import tempfile
        with tempfile.NamedTemporaryFile("r") as rss:
            t0 = time.perf_counter()
            proc = subprocess.Popen(["/usr/bin/time", "-f", "%M", "-o", rss.name] + args,
                                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            _, status, ru = os.wait4(proc.pid, 0)
            wall = time.perf_counter() - t0
            if status != 0:
                sys.exit(f"{args[0]} failed (wait status {status})")
            peak = int(rss.read().split()[-1])
        print(f"{int(wall * 1e6)} {peak} {ru.ru_utime + ru.ru_stime:.4f}")
    elif cmd == "count":
        g = records(args[0])
        next(g)
        print(sum(1 for _ in g))
    elif cmd == "merge":
        link, gens = open_all(args[1:])
        # (ts, file index, packet index) keeps the merge stable
        streams = [((r[0], i, j, r) for j, r in enumerate(g)) for i, g in enumerate(gens)]
        print(write(args[0], link, (t[3] for t in heapq.merge(*streams))))
    elif cmd == "interleave":
        link, gens = open_all(args[1:])

        def rr():
            live = list(gens)
            while live:
                nxt = []
                for g in live:
                    r = next(g, None)
                    if r is not None:
                        yield r
                        nxt.append(g)
                live = nxt
        print(write(args[0], link, rr()))
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
