#!/usr/bin/env python3
"""One sender's steady mixed load for bench/soak.sh, on stdout (for `socctl send -`).

   soak_gen.py SENDER RATE SECONDS

Every 10 ms it writes the events due, stamped with the time they are written (their send time):
85 % flows, a tenth of them from a new source address (the churn of distinct sources), 14 % web
requests, 1 % SSH logins of known users from known addresses (a login is rare; every one stays
for 30 minutes in the window of "SSH login success after a brute force"); and every 5 s a brute
force: ten failed SSH logins from a new address, which the shipped pack alerts on at the tenth.
Deterministic but for the clock.
"""
import json, random, sys, time

sender, rate, seconds = int(sys.argv[1]), float(sys.argv[2]), float(sys.argv[3])
rng = random.Random(sender)
out = sys.stdout
start = time.time()
sent = 0
churn = 0
bursts = 0
next_burst = start + 5


def stamp():
    t = time.time()
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(t)) + ".%06dZ" % int((t % 1) * 1e6)


def flow():
    global churn
    if rng.random() < 0.1:
        churn += 1
        src = "172.%d.%d.%d" % (16 + sender, (churn >> 8) & 255, churn & 255)
    else:
        src = "10.%d.0.%d" % (sender, rng.randrange(1, 50))
    return {"@timestamp": stamp(), "event.kind": "event", "event.dataset": "flow", "event.category": ["network"],
            "source.ip": src, "source.port": rng.randrange(1024, 65535), "destination.ip": "192.0.2.%d" % rng.randrange(1, 20),
            "destination.port": rng.choice([443, 80, 53]), "network.transport": "tcp", "ndpi.protocol": "TLS"}


def ssh(outcome, src):
    return {"@timestamp": stamp(), "event.kind": "event", "event.dataset": "sshd", "event.category": ["authentication"],
            "event.outcome": outcome, "source.ip": src, "user.name": rng.choice(["root", "admin", "hue", "lan"])}


def web():
    return {"@timestamp": stamp(), "event.kind": "event", "event.dataset": "nginx.access", "event.category": ["web"],
            "source.ip": "10.%d.1.%d" % (sender, rng.randrange(1, 50)), "url.original": "/index.html",
            "http.request.method": "GET", "http.response.status_code": 200}


while True:
    now = time.time()
    if now - start >= seconds:
        break
    due = int((now - start) * rate) - sent
    lines = []
    for _ in range(max(0, due)):
        r = rng.random()
        e = flow() if r < 0.85 else web() if r < 0.99 else ssh("success", "10.%d.2.%d" % (sender, rng.randrange(1, 20)))
        lines.append(json.dumps(e, separators=(",", ":")))
    sent += max(0, due)
    if now >= next_burst:
        next_burst += 5
        bursts += 1
        src = "100.%d.%d.%d" % (64 + sender, (bursts >> 8) & 255, bursts & 255)
        lines.extend(json.dumps(ssh("failure", src), separators=(",", ":")) for _ in range(10))
    if lines:
        out.write("\n".join(lines) + "\n")
        out.flush()
    time.sleep(0.01)
