#!/usr/bin/env python3
"""A webhook receiver for WebhookTests (loopback only).

Per idempotency key, attempts 1..--fail answer 500, attempt --hang (if any) sleeps
--hang-seconds (longer than the sender's timeout) and then answers 503, and later attempts
answer 200. Each request is one JSON line in --log: the path, headers, body, the answer,
its start and end (monotonic seconds), and whether the Switchboard-Signature verifies
(HMAC-SHA256 over "<t>.<body>" with the secret in --secret-file, computed here with
Python's hmac, independently of the Swift code). Prints the port it listens on.
"""
import argparse, hashlib, hmac, json, signal, sys, threading, time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

parser = argparse.ArgumentParser()
parser.add_argument("--log", required=True)
parser.add_argument("--secret-file", required=True)
parser.add_argument("--fail", type=int, default=0)
parser.add_argument("--hang", type=int, default=0)
parser.add_argument("--hang-seconds", type=float, default=4.0)
args = parser.parse_args()
# A test runner may start us with signals blocked (the mask is inherited): let SIGTERM stop us.
signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGTERM, signal.SIGINT})
secret = open(args.secret_file, "rb").read().strip()
lock = threading.Lock()
attempts = {}
log = open(args.log, "a", buffering=1)


def verifies(header, body):
    parts = dict(p.split("=", 1) for p in header.split(",") if "=" in p)
    if "t" not in parts or "v1" not in parts:
        return False
    expected = hmac.new(secret, parts["t"].encode() + b"." + body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, parts["v1"]) and abs(time.time() - int(parts["t"])) <= 300


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *a):
        pass

    def do_POST(self):
        start = time.monotonic()
        length = int(self.headers.get("Content-Length", "0"))
        body = self.rfile.read(min(length, 1 << 20))
        key = self.headers.get("Idempotency-Key", "")
        with lock:
            attempts[key] = attempts.get(key, 0) + 1
            n = attempts[key]
        if n <= args.fail:
            status = 500
        elif args.hang and n == args.hang:
            time.sleep(args.hang_seconds)
            status = 503
        else:
            status = 200
        try:
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()
            sent = True
        except OSError:
            sent = False
        record = {"path": self.path, "headers": {k.lower(): v for k, v in self.headers.items()},
                  "body": body.decode("utf-8", "replace"), "status": status, "answered": sent, "attempt": n,
                  "start": start, "end": time.monotonic(),
                  "signature_ok": verifies(self.headers.get("Switchboard-Signature", ""), body)}
        with lock:
            log.write(json.dumps(record) + "\n")


server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
print(server.server_address[1], flush=True)
server.serve_forever()
