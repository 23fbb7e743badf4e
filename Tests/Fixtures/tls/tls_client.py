#!/usr/bin/python3
"""A SIP-over-TLS peer for the integration tests, on Python's ssl module (OpenSSL).

Connects to 127.0.0.1:PORT, verifies the server against --ca (host name --server-name),
optionally presents --cert/--key, prints the server certificate's subject, sends each
--send file and prints what comes back until a final response (or --read seconds).
--hold: afterwards waits for a line on stdin, then sends the files again on the same
connection (a connection established before a certificate reload). --reset: closes with
a TCP reset right after sending. Exit codes: 0 ok, 2 handshake failed, 3 TLS error after
the handshake (a refused client certificate under TLS 1.3), 4 no final response.
"""
import argparse, re, socket, ssl, struct, sys, time

ap = argparse.ArgumentParser()
ap.add_argument("--port", type=int, required=True)
ap.add_argument("--ca", required=True)
ap.add_argument("--cert")
ap.add_argument("--key")
ap.add_argument("--server-name", default="127.0.0.1")
ap.add_argument("--send", action="append", default=[])
ap.add_argument("--read", type=float, default=5.0)
ap.add_argument("--hold", action="store_true")
ap.add_argument("--reset", action="store_true")
args = ap.parse_args()

ctx = ssl.create_default_context(ssl.Purpose.SERVER_AUTH, cafile=args.ca)
ctx.minimum_version = ssl.TLSVersion.TLSv1_2
if args.cert:
    ctx.load_cert_chain(args.cert, args.key)
raw = socket.create_connection(("127.0.0.1", args.port), timeout=args.read)
try:
    tls = ctx.wrap_socket(raw, server_hostname=args.server_name)
except (ssl.SSLError, OSError) as e:
    print("HANDSHAKE-FAILED", e, flush=True)
    sys.exit(2)
subject = dict(x[0] for x in tls.getpeercert()["subject"])
print("SUBJECT", subject.get("commonName"), flush=True)
print("VERSION", tls.version(), flush=True)

FINAL = re.compile(rb"^SIP/2\.0 [2-6]\d\d ", re.M)

def exchange():
    for path in args.send:
        with open(path, "rb") as f:
            tls.sendall(f.read())
    if args.reset:
        raw.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        raw.close()
        sys.exit(0)
    got = b""
    deadline = time.time() + args.read
    while time.time() < deadline:
        tls.settimeout(max(0.05, deadline - time.time()))
        try:
            chunk = tls.recv(65536)
        except socket.timeout:
            break
        except ssl.SSLError as e:
            print("TLS-ERROR", e, flush=True)
            sys.exit(3)
        if not chunk:
            if not got:
                print("CLOSED", flush=True)
                sys.exit(3)
            break
        got += chunk
        if len(FINAL.findall(got)) >= len(args.send) and got.endswith(b"\r\n\r\n"):
            break
    sys.stdout.write(got.decode("utf-8", "replace"))
    sys.stdout.flush()
    if not FINAL.search(got):
        print("NO-FINAL-RESPONSE", flush=True)
        sys.exit(4)

exchange()
if args.hold:
    print("HOLDING", flush=True)
    sys.stdin.readline()
    exchange()
tls.close()
