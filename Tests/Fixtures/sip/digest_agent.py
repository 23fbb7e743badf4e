#!/usr/bin/python3
"""An agent's phone speaking RFC 7616/8760 digest with SHA-256 (SIPp 3.6 only does MD5),
for the integration tests; Python 3 standard library only.

It runs --steps in order over one UDP socket or one TCP connection and prints one line per
result ("KEY value"), so the test asserts on what went over the wire:

  register      REGISTER, 401: prints OFFERED (the challenges' algorithms, in order), then
                answers the SHA-256 one (qop=auth, cnonce, nc=00000001): REGISTER <status>.
  replay        the same nonce and the same nc again (a replayed request): REPLAY <status>.
  next          the same nonce with the next nc: NEXT <status>.
  md5           a fresh challenge answered with MD5 (algorithm=MD5, the MD5 HA1, whatever
                was offered): MD5 <status>.
  stale:S       waits S seconds, then answers with the old nonce and the next nc:
                STALE <status> <stale=true|stale=absent>.
  call:DEST:T   INVITE DEST, 407: PROXY-OFFERED (algorithms), ACK, INVITE again with a
                SHA-256 Proxy-Authorization: CALL <final status>; on 2xx ACK, talk T
                seconds, BYE: BYE <status>.
  wait:S        sleeps S seconds (keeps a TCP connection, and so the flow, open).
  callbacks:N   waits (up to --wait) for N INVITEs to this phone, answers each with 200, takes
                the ACK and the BYE: CALLBACK <request line>.

Exit 0 once every step ran (the test decides what the statuses mean).
"""
import argparse, hashlib, os, re, socket, sys, time, uuid

ap = argparse.ArgumentParser()
ap.add_argument("--server", required=True, help="host:port of the daemon")
ap.add_argument("--transport", choices=["udp", "tcp"], default="udp")
ap.add_argument("--user", required=True)
ap.add_argument("--password", required=True)
ap.add_argument("--steps", required=True, help="comma-separated steps (see above)")
ap.add_argument("--wait", type=float, default=20, help="seconds any one answer may take")
ap.add_argument("--call-id-prefix", default="", help="put in front of calls' Call-IDs (sw1. picks SIP loop 1)")
args = ap.parse_args()

HOST, PORT = args.server.rsplit(":", 1)
PORT = int(PORT)
TRANSPORT = args.transport.upper()
if args.transport == "udp":
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 0))
    sock.connect((HOST, PORT))
else:
    sock = socket.create_connection((HOST, PORT), timeout=10)
LOCAL_PORT = sock.getsockname()[1]
buffer = b""


def say(*words):
    print(*words, flush=True)


def send(message):
    sock.sendall(message.encode())


def receive(deadline):
    """One SIP message (a datagram, or one Content-Length framed message on TCP)."""
    global buffer
    while True:
        if args.transport == "tcp":
            buffer = buffer.lstrip(b"\r\n")  # keep-alive CRLFs
            end = buffer.find(b"\r\n\r\n")
            if end >= 0:
                head = buffer[:end].decode(errors="replace")
                m = re.search(r"^(?:Content-Length|l)\s*:\s*(\d+)", head, re.M | re.I)
                length = int(m.group(1)) if m else 0
                if len(buffer) >= end + 4 + length:
                    message = buffer[:end + 4 + length].decode(errors="replace")
                    buffer = buffer[end + 4 + length:]
                    return message
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return None
        sock.settimeout(remaining)
        try:
            data = sock.recv(65535)
        except socket.timeout:
            return None
        if args.transport == "udp":
            if data.strip():
                return data.decode(errors="replace")
        else:
            if not data:
                return None
            buffer += data


def header(msg, name):
    m = re.search(rf"^{name}\s*:\s*(.*)$", msg, re.M | re.I)
    return m.group(1).strip() if m else None


def headers(msg, name):
    return [v.strip() for v in re.findall(rf"^{name}\s*:\s*(.*)$", msg, re.M | re.I)]


def status(msg):
    return int(msg.split(" ", 2)[1]) if msg and msg.startswith("SIP/2.0 ") else None


def algorithm_of(challenge):
    m = re.search(r"algorithm=\"?([A-Za-z0-9-]+)", challenge)
    return m.group(1).upper() if m else "MD5"


def hash_for(algorithm):
    if algorithm == "SHA-256":
        return lambda s: hashlib.sha256(s.encode()).hexdigest()
    return lambda s: hashlib.md5(s.encode()).hexdigest()


def authorization(challenge, method, uri, nc, algorithm=None):
    params = dict(re.findall(r'(\w+)="?([^",]*)"?', challenge))
    alg = algorithm or algorithm_of(challenge)
    h = hash_for(alg)
    ha1 = h(f"{args.user}:{params['realm']}:{args.password}")
    ha2 = h(f"{method}:{uri}")
    cnonce, count = os.urandom(8).hex(), f"{nc:08x}"
    response = h(f"{ha1}:{params['nonce']}:{count}:{cnonce}:auth:{ha2}")
    value = (f'Digest username="{args.user}", realm="{params["realm"]}", nonce="{params["nonce"]}", uri="{uri}", '
             f'response="{response}", algorithm={alg}, qop=auth, nc={count}, cnonce="{cnonce}"')
    if "opaque" in params:
        value += f', opaque="{params["opaque"]}"'
    return value


def final(deadline, on_provisional=None):
    """The next final response (provisional ones skipped)."""
    while True:
        msg = receive(deadline)
        if msg is None:
            return None
        code = status(msg)
        if code is None:
            continue  # a request (a retransmission crossing ours): not what we wait for
        if code >= 200:
            return msg


VIA_HOST = f"127.0.0.1:{LOCAL_PORT}"
CONTACT = f"<sip:{args.user}@127.0.0.1:{LOCAL_PORT};transport={args.transport}>"
REG_CALL_ID = uuid.uuid4().hex
REG_URI = f"sip:{HOST}:{PORT}"
state = {"cseq": 0, "challenge": None, "nc": 0}


def branch():
    return f"z9hG4bK{uuid.uuid4().hex[:20]}"


def register(auth=None):
    state["cseq"] += 1
    lines = [f"REGISTER {REG_URI} SIP/2.0",
             f"Via: SIP/2.0/{TRANSPORT} {VIA_HOST};branch={branch()};rport",
             "Max-Forwards: 70",
             f"From: <sip:{args.user}@{HOST}>;tag=r{REG_CALL_ID[:8]}",
             f"To: <sip:{args.user}@{HOST}>",
             f"Call-ID: {REG_CALL_ID}", f"CSeq: {state['cseq']} REGISTER",
             f"Contact: {CONTACT}", "Expires: 300", "User-Agent: digest_agent.py"]
    if auth:
        lines.append(f"Authorization: {auth}")
    send("\r\n".join(lines) + "\r\nContent-Length: 0\r\n\r\n")
    return final(time.monotonic() + args.wait)


def sha256_challenge(msg, name):
    offered = headers(msg, name)
    return next((c for c in offered if algorithm_of(c) == "SHA-256"), None), offered


def step_register():
    first = register()
    code = status(first)
    if code != 401:
        say("REGISTER", f"unchallenged:{code}")
        return
    challenge, offered = sha256_challenge(first, "WWW-Authenticate")
    say("OFFERED", ",".join(algorithm_of(c) for c in offered))
    if challenge is None:
        say("REGISTER", "no-sha256")
        return
    state["challenge"], state["nc"] = challenge, 1
    say("REGISTER", status(register(authorization(challenge, "REGISTER", REG_URI, 1))))


def step_replay():
    say("REPLAY", status(register(authorization(state["challenge"], "REGISTER", REG_URI, state["nc"]))))


def step_next():
    state["nc"] += 1
    say("NEXT", status(register(authorization(state["challenge"], "REGISTER", REG_URI, state["nc"]))))


def step_md5():
    first = register()
    offered = headers(first or "", "WWW-Authenticate")
    if not offered:
        say("MD5", f"unchallenged:{status(first)}")
        return
    md5 = next((c for c in offered if algorithm_of(c) == "MD5"), offered[0])
    say("MD5", status(register(authorization(md5, "REGISTER", REG_URI, 1, algorithm="MD5"))))


def step_stale(seconds):
    time.sleep(seconds)
    state["nc"] += 1
    answer = register(authorization(state["challenge"], "REGISTER", REG_URI, state["nc"]))
    stale = any(re.search(r"stale\s*=\s*\"?true", c, re.I) for c in headers(answer or "", "WWW-Authenticate"))
    say("STALE", status(answer), "stale=true" if stale else "stale=absent")


def step_call(dest, talk):
    call_id, tag = args.call_id_prefix + uuid.uuid4().hex, uuid.uuid4().hex[:10]
    uri = f"sip:{dest}@{HOST}:{PORT}"
    sdp = (f"v=0\r\no=agent 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
           f"m=audio {40000 + LOCAL_PORT % 20000} RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n")

    def request(method, cseq, via_branch, to_tag="", extra=(), body="", target=uri, routes=()):
        lines = [f"{method} {target} SIP/2.0", f"Via: SIP/2.0/{TRANSPORT} {VIA_HOST};branch={via_branch};rport"]
        lines += [f"Route: {r}" for r in routes]
        lines += ["Max-Forwards: 70", f"From: <sip:{args.user}@{HOST}>;tag={tag}",
                  f"To: <{uri}>{to_tag}", f"Call-ID: {call_id}", f"CSeq: {cseq} {method}", f"Contact: {CONTACT}"]
        lines += list(extra)
        if body:
            lines.append("Content-Type: application/sdp")
        send("\r\n".join(lines) + f"\r\nContent-Length: {len(body.encode())}\r\n\r\n" + body)

    b1 = branch()
    request("INVITE", 1, b1, body=sdp)
    challenged = final(time.monotonic() + args.wait)
    if status(challenged) != 407:
        say("CALL", f"unchallenged:{status(challenged)}")
        return
    offered = headers(challenged, "Proxy-Authenticate")
    say("PROXY-OFFERED", ",".join(algorithm_of(c) for c in offered))
    to_tag = re.search(r";tag=([^;>\s]+)", header(challenged, "To") or "")
    request("ACK", 1, b1, to_tag=f";tag={to_tag.group(1)}" if to_tag else "")
    challenge = next((c for c in offered if algorithm_of(c) == "SHA-256"), None)
    if challenge is None:
        say("CALL", "no-sha256")
        return
    b2 = branch()
    request("INVITE", 2, b2, extra=[f"Proxy-Authorization: {authorization(challenge, 'INVITE', uri, 1)}"], body=sdp)
    answer = final(time.monotonic() + args.wait)
    code = status(answer)
    say("CALL", code)
    if code is None:
        return
    reason = header(answer, "Reason")
    if reason:
        say("REASON", reason)
    peer = re.search(r";tag=([^;>\s]+)", header(answer, "To") or "")
    peer_tag = f";tag={peer.group(1)}" if peer else ""
    if code >= 300:
        request("ACK", 2, b2, to_tag=peer_tag)  # RFC 3261 §17.1.1.3: same branch as the INVITE
        return
    target = re.search(r"<([^>]+)>", header(answer, "Contact") or f"<{uri}>").group(1)
    routes = list(reversed(headers(answer, "Record-Route")))
    request("ACK", 2, branch(), to_tag=peer_tag, target=target, routes=routes)
    time.sleep(talk)
    request("BYE", 3, branch(), to_tag=peer_tag, target=target, routes=routes)
    say("BYE", status(final(time.monotonic() + args.wait)))


def step_callbacks(count):
    answered = 0
    deadline = time.monotonic() + args.wait
    while answered < count:
        msg = receive(deadline)
        if msg is None:
            say("CALLBACK", "timeout")
            return
        line = msg.split("\r\n", 1)[0]
        if status(msg) is not None:
            continue
        method = line.split(" ", 1)[0]
        def reply(code, body=""):
            to = header(msg, "To")
            if ";tag=" not in to:
                to += ";tag=agentcb1"
            lines = [f"SIP/2.0 {code}"] + [f"Via: {v}" for v in headers(msg, "Via")]
            lines += [f"From: {header(msg, 'From')}", f"To: {to}", f"Call-ID: {header(msg, 'Call-ID')}",
                      f"CSeq: {header(msg, 'CSeq')}", f"Contact: {CONTACT}"]
            if body:
                lines.append("Content-Type: application/sdp")
            send("\r\n".join(lines) + f"\r\nContent-Length: {len(body.encode())}\r\n\r\n" + body)
        if method == "INVITE":
            say("CALLBACK", line)
            reply("200 OK", "v=0\r\no=agent 2 2 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
                            "m=audio 41000 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n")
        elif method == "BYE":
            reply("200 OK")
            answered += 1
        elif method not in ("ACK",):
            reply("200 OK")


for step in args.steps.split(","):
    name, _, rest = step.partition(":")
    if name == "register":
        step_register()
    elif name == "replay":
        step_replay()
    elif name == "next":
        step_next()
    elif name == "md5":
        step_md5()
    elif name == "stale":
        step_stale(float(rest or "11"))
    elif name == "call":
        dest, _, talk = rest.partition(":")
        step_call(dest, float(talk or "1"))
    elif name == "wait":
        time.sleep(float(rest or "1"))
    elif name == "callbacks":
        step_callbacks(int(rest or "1"))
    else:
        say("UNKNOWN", step)
        sys.exit(2)
say("DONE")
sys.exit(0)
