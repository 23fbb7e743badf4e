#!/usr/bin/python3
"""A browser-like SIP agent over WebSocket (RFC 7118) for the integration tests, on the
`websockets` library (Debian's python3-websockets).

register-and-answer: connects with the `sip` subprotocol, REGISTERs USER with digest
(RFC 8760 SHA-256 or MD5, qop=auth), prints REGISTERED, then waits for an INVITE, answers
it (180, 200 with SDP), takes the ACK and the caller's BYE, and prints each step.
subprotocol PROTO: tries the upgrade offering only PROTO and prints the HTTP status.
Exit 0 when every step happened.
"""
import argparse, asyncio, hashlib, os, re, sys, uuid
import websockets

ap = argparse.ArgumentParser()
ap.add_argument("mode", choices=["register-and-answer", "subprotocol"])
ap.add_argument("--url", required=True)
ap.add_argument("--user", default="alice")
ap.add_argument("--password", default="")
ap.add_argument("--realm-host", default="127.0.0.1")
ap.add_argument("--proto", default="chat")
ap.add_argument("--wait", type=float, default=30)
ap.add_argument("--ca", help="wss: verify the server against this CA file")
ap.add_argument("--origin", help="send this Origin header (as a browser page would)")
args = ap.parse_args()
SSL = None
if args.ca:
    import ssl
    SSL = ssl.create_default_context(cafile=args.ca)

HOST = f"{uuid.uuid4().hex[:12]}.invalid"   # RFC 7118 §5.2: a browser has no reachable address


def say(*words):
    print(*words, flush=True)


def header(msg, name):
    m = re.search(rf"^{name}:\s*(.*)$", msg, re.M | re.I)
    return m.group(1).strip() if m else None


def headers(msg, name):
    return [v.strip() for v in re.findall(rf"^{name}:\s*(.*)$", msg, re.M | re.I)]


def digest(challenge, method, uri):
    params = dict(re.findall(r'(\w+)="?([^",]*)"?', challenge))
    alg = params.get("algorithm", "MD5").upper()
    h = (lambda s: hashlib.sha256(s.encode()).hexdigest()) if alg == "SHA-256" else (lambda s: hashlib.md5(s.encode()).hexdigest())
    ha1 = h(f"{args.user}:{params['realm']}:{args.password}")
    ha2 = h(f"{method}:{uri}")
    cnonce, nc = os.urandom(8).hex(), "00000001"
    resp = h(f"{ha1}:{params['nonce']}:{nc}:{cnonce}:auth:{ha2}")
    value = (f'Digest username="{args.user}", realm="{params["realm"]}", nonce="{params["nonce"]}", uri="{uri}", '
             f'response="{resp}", algorithm={alg}, qop=auth, nc={nc}, cnonce="{cnonce}"')
    if "opaque" in params:
        value += f', opaque="{params["opaque"]}"'
    return value


def reply(request, status, extra="", body=""):
    lines = [f"SIP/2.0 {status}"]
    for name in ("Via", "From", "Call-ID", "CSeq"):
        lines += [f"{name}: {v}" for v in headers(request, name)]
    to = header(request, "To")
    if ";tag=" not in to:
        to += ";tag=wsagent1"
    lines.append(f"To: {to}")
    if extra:
        lines.append(extra)
    lines.append(f"Content-Length: {len(body.encode())}")
    return "\r\n".join(lines) + "\r\n\r\n" + body


async def register_and_answer():
    async with websockets.connect(args.url, subprotocols=["sip"], open_timeout=10, ssl=SSL, origin=args.origin) as ws:
        say("SUBPROTOCOL", ws.subprotocol)
        call_id = uuid.uuid4().hex
        uri = f"sip:{args.realm_host}"
        contact = f"<sip:{args.user}@{HOST};transport=ws;ob>;+sip.instance=\"<urn:uuid:{uuid.uuid4()}>\";reg-id=1"

        def register(cseq, auth=None):
            lines = [f"REGISTER {uri} SIP/2.0",
                     f"Via: SIP/2.0/WS {HOST};branch=z9hG4bK{uuid.uuid4().hex[:16]}",
                     "Max-Forwards: 70",
                     f"From: <sip:{args.user}@{args.realm_host}>;tag=ws{cseq}x",
                     f"To: <sip:{args.user}@{args.realm_host}>",
                     f"Call-ID: {call_id}", f"CSeq: {cseq} REGISTER",
                     f"Contact: {contact}", "Expires: 300", "Supported: path, outbound"]
            if auth:
                lines.append(f"Authorization: {auth}")
            return "\r\n".join(lines) + "\r\nContent-Length: 0\r\n\r\n"

        await ws.send(register(1))
        first = await asyncio.wait_for(ws.recv(), 10)
        status = first.split(" ", 2)[1]
        say("FIRST", status)
        if status != "401":
            return 1
        challenges = headers(first, "WWW-Authenticate")
        await ws.send(register(2, digest(challenges[0], "REGISTER", uri)))
        second = await asyncio.wait_for(ws.recv(), 10)
        say("SECOND", second.split(" ", 2)[1])
        if not second.startswith("SIP/2.0 200"):
            say(second)
            return 1
        say("REGISTERED")
        steps = set()
        loop = asyncio.get_running_loop()
        deadline = loop.time() + args.wait
        while loop.time() < deadline:
            try:
                msg = await asyncio.wait_for(ws.recv(), deadline - loop.time())
            except asyncio.TimeoutError:
                break
            if isinstance(msg, bytes):
                msg = msg.decode()
            line = msg.split("\r\n", 1)[0]
            say("GOT", line)
            if line.startswith("INVITE "):
                steps.add("INVITE")
                say("VIA", header(msg, "Via"))
                say("CONTACT", header(msg, "Contact"))
                await ws.send(reply(msg, "180 Ringing", f"Contact: <sip:{args.user}@{HOST};transport=ws>"))
                sdp = ("v=0\r\no=callee 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
                       "m=audio 49170 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n")
                await ws.send(reply(msg, "200 OK", f"Contact: <sip:{args.user}@{HOST};transport=ws>\r\n"
                                    "Content-Type: application/sdp", sdp))
            elif line.startswith("ACK "):
                steps.add("ACK")
            elif line.startswith("BYE "):
                steps.add("BYE")
                await ws.send(reply(msg, "200 OK"))
                break
        say("STEPS", ",".join(sorted(steps)))
        return 0 if steps == {"INVITE", "ACK", "BYE"} else 1


async def subprotocol():
    try:
        async with websockets.connect(args.url, subprotocols=[args.proto], open_timeout=10, ssl=SSL,
                                      origin=args.origin) as ws:
            say("UPGRADED", ws.subprotocol)
            return 1
    except websockets.exceptions.InvalidStatusCode as e:
        say("STATUS", e.status_code)
        return 0
    except Exception as e:  # noqa: BLE001 - printed for the test
        say("ERROR", type(e).__name__, e)
        return 2


sys.exit(asyncio.run(register_and_answer() if args.mode == "register-and-answer" else subprotocol()))
