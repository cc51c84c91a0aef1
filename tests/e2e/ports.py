"""Ports for the listeners an end-to-end test starts (the Python twin of lib.sh's free_port).

A port is taken below the kernel's ephemeral range: a port from that range (what binding to port
0 hands out) can be taken by any outgoing connection on the machine, another test's client,
between this check and the listener's bind, which then fails. No port is handed out twice in one
process (two ports are often taken before either is bound).
"""
import random
import socket

_given = set()


def _candidates():
    try:
        with open("/proc/sys/net/ipv4/ip_local_port_range") as f:
            lo, hi = (int(x) for x in f.read().split())
    except (OSError, ValueError):
        lo, hi = 32768, 60999
    return (10000, lo - 1) if lo > 12000 else (hi + 1, 65000)


def free_port():
    first, last = _candidates()
    for _ in range(200):
        port = random.randint(first, last)
        if port in _given:
            continue
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
        _given.add(port)
        return port
    raise RuntimeError(f"no free port in {first}-{last}")
