#!/usr/bin/env python3
"""Junk SIP over UDP from several loopback sources, bounded in count and time.

  junk.py HOST PORT RATE SECONDS SOURCES TORTURE_DIR

RATE packets/s in total, spread over SOURCES addresses 127.0.0.2 .. 127.0.0.(SOURCES+1)
(each its own socket). The mix, per packet, round-robin over sources:
  - OPTIONS / REGISTER / INVITE scans (SIPVicious-style: a new Call-ID and number each time),
  - mutated RFC 4475 torture messages (random bytes flipped, truncated, duplicated headers),
  - stray responses (200 OK to nothing) and ACK/CANCEL for nothing.
Prints one line: sent=N seconds=S achieved_pps=P.
"""
import os, random, socket, sys, time

host, port, rate, seconds, sources, torture = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4]), int(sys.argv[5]), sys.argv[6]
rng = random.Random(13)
socks = []
for i in range(sources):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((f"127.0.0.{i + 2}", 0))
    s.setblocking(False)
    socks.append(s)

fixtures = []
for name in sorted(os.listdir(torture)):
    if name.endswith(".dat"):
        with open(os.path.join(torture, name), "rb") as f:
            fixtures.append(f.read())

def scan(method, src, sport, n):
    user = str(100 + n % 9000)
    return (f"{method} sip:{user}@{host} SIP/2.0\r\nVia: SIP/2.0/UDP {src}:{sport};branch=z9hG4bK-{n}-{rng.randrange(1 << 30)};rport\r\n"
            f"Max-Forwards: 70\r\nFrom: \"sipvicious\"<sip:{user}@{src}>;tag={rng.randrange(1 << 30)}\r\nTo: <sip:{user}@{host}>\r\n"
            f"Call-ID: junk-{n}-{rng.randrange(1 << 40)}\r\nCSeq: 1 {method}\r\nContact: <sip:{user}@{src}:{sport}>\r\n"
            f"User-Agent: friendly-scanner\r\nContent-Length: 0\r\n\r\n").encode()

def mutate(data):
    b = bytearray(data)
    kind = rng.randrange(3)
    if kind == 0 and b:
        for _ in range(rng.randrange(1, 8)):
            b[rng.randrange(len(b))] = rng.randrange(256)
    elif kind == 1 and b:
        b = b[: rng.randrange(len(b))]
    else:
        lines = bytes(b).split(b"\r\n")
        if len(lines) > 2:
            i = rng.randrange(1, len(lines) - 1)
            lines.insert(i, lines[i])
        b = bytearray(b"\r\n".join(lines))
    return bytes(b)

def packet(n, src, sport):
    k = n % 10
    if k < 2: return scan("OPTIONS", src, sport, n)
    if k < 4: return scan("REGISTER", src, sport, n)
    if k < 6: return scan("INVITE", src, sport, n)
    if k < 9: return mutate(rng.choice(fixtures)) if fixtures else scan("OPTIONS", src, sport, n)
    stray = [b"SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP %s:%d;branch=z9hG4bK-stray-%d\r\nFrom: <sip:a@x>;tag=1\r\nTo: <sip:b@y>;tag=2\r\nCall-ID: stray-%d\r\nCSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n" % (src.encode(), sport, n, n),
             scan("CANCEL", src, sport, n), scan("ACK", src, sport, n)]
    return stray[n % 3]

total = int(rate * seconds)
start = time.monotonic()
sent = 0
batch = max(1, rate // 200)  # send in small bursts every 5 ms
while sent < total and time.monotonic() - start < seconds + 5:
    target_sent = min(total, int((time.monotonic() - start) * rate) + batch)
    while sent < target_sent:
        s = socks[sent % len(socks)]
        src, sport = s.getsockname()
        try:
            s.sendto(packet(sent, src, sport), (host, port))
        except (BlockingIOError, OSError):
            pass
        sent += 1
    # drain whatever came back (403s, 400s) so our sockets never fill
    for s in socks:
        try:
            while True: s.recv(65536)
        except (BlockingIOError, OSError):
            pass
    time.sleep(0.005)
elapsed = time.monotonic() - start
print(f"sent={sent} seconds={elapsed:.1f} achieved_pps={sent / elapsed:.0f}")
