#!/usr/bin/env python3
"""Rebuilds the seed corpus under bench/fuzz/corpus/ from material in the repository and
the system: the RFC 4475/5118 torture messages, the sample dialplans, RTP/RTCP packets from
sip-tester's pcaps, hand-made DNS responses. The journal seed comes from the real writer
(`Fuzz journal-seed`, run by run.sh). Deterministic, small (well under 1 MB)."""
import os, re, shutil, struct, sys, glob

here = os.path.dirname(os.path.abspath(__file__))
root = os.path.dirname(os.path.dirname(here))
corpus = os.path.join(here, "corpus")

def put(target, name, data):
    d = os.path.join(corpus, target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)

sip = {}
for set_ in ("rfc4475", "rfc5118"):
    for path in sorted(glob.glob(os.path.join(root, "Tests/Fixtures", set_, "*"))):
        name = os.path.basename(path)
        if name in ("README.md", "SHA256SUMS"):
            continue
        data = open(path, "rb").read()
        sip[set_ + "-" + name] = data
        put("sip", set_ + "-" + name, data)

# Framer: a stream of well-framed messages with keep-alives between; the first byte picks the
# chunk size of the chunked feed (FramerFuzz).
def framed(msg):
    head, sep, body = msg.partition(b"\r\n\r\n")
    if not sep:
        return None
    lines = [l for l in head.split(b"\r\n") if not re.match(rb"(?i)(content-length|l)\s*:", l)]
    return b"\r\n".join(lines) + b"\r\nContent-Length: %d\r\n\r\n" % len(body) + body
good = [framed(sip[k]) for k in ("rfc4475-sdp01.dat", "rfc4475-wsinv.dat", "rfc4475-dblreq.dat", "rfc4475-noreason.dat") if k in sip]
good = [g for g in good if g]
put("framer", "stream-1", bytes([7]) + b"\r\n\r\n".join(good))
put("framer", "stream-2", bytes([0]) + b"\r\n\r\n\r\n" + good[0] + good[-1])
for k in ("rfc4475-ncl.dat", "rfc4475-clerr.dat", "rfc4475-mcl01.dat"):
    if k in sip:
        put("framer", k, bytes([3]) + sip[k])

# SDP: bodies of the torture messages that carry one, plus a typical phone offer.
for k, v in sip.items():
    _, _, body = v.partition(b"\r\n\r\n")
    if body.startswith(b"v=0"):
        put("sdp", k, body)
put("sdp", "phone-offer", b"v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
    b"m=audio 6000 RTP/AVP 0 8 101\r\na=rtpmap:0 PCMU/8000\r\na=rtpmap:8 PCMA/8000\r\n"
    b"a=rtpmap:101 telephone-event/8000\r\na=fmtp:101 0-15\r\na=ptime:20\r\na=sendrecv\r\n")
put("sdp", "hold-two-streams", b"v=0\r\no=- 2 2 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 0.0.0.0\r\nt=0 0\r\n"
    b"m=video 0 RTP/AVP 31\r\nm=audio 6002 RTP/AVP 8\r\nc=IN IP6 ::1\r\na=sendonly\r\na=ptime:30\r\n")

# RTP: UDP payloads of sip-tester's captures (pcap: 24-byte file header, 16-byte record headers).
def udp_payloads(path):
    data = open(path, "rb").read()
    endian = "<" if data[:4] == b"\xd4\xc3\xb2\xa1" else ">"
    link = struct.unpack(endian + "I", data[20:24])[0]
    off, out = 24, []
    while off + 16 <= len(data):
        _, _, incl, _ = struct.unpack(endian + "IIII", data[off:off + 16])
        pkt = data[off + 16:off + 16 + incl]
        off += 16 + incl
        if link == 1:
            pkt = pkt[14:]          # Ethernet
        elif link == 113:
            pkt = pkt[16:]          # Linux cooked
        if len(pkt) < 28 or pkt[0] >> 4 != 4 or pkt[9] != 17:
            continue
        ihl = (pkt[0] & 0x0F) * 4
        out.append(pkt[ihl + 8:])
    return out
pcaps = sorted(glob.glob("/usr/share/sip-tester/*.pcap"))
for path in pcaps:
    name = os.path.basename(path)[:-5]
    payloads = udp_payloads(path)
    # The start, an end-of-event packet and a middle one: enough to seed every branch.
    for i in sorted({0, len(payloads) // 2, len(payloads) - 1}):
        if 0 <= i < len(payloads):
            put("rtp", "%s-%d" % (name, i), payloads[i])
# RTCP: an SR with one report block followed by an SDES CNAME (RFC 3550 §6.4.1, §6.5).
sr = struct.pack(">BBHIIIIII", 0x81, 200, 12, 0x1234, 0xE0000000, 0, 160, 1, 160) + \
     struct.pack(">IIIIII", 0x5678, 0, 0, 0, 0, 0)
cname = b"\x01\x09127.0.0.1\x00\x00"
sdes = struct.pack(">BBHI", 0x81, 202, (4 + len(cname)) // 4, 0x1234) + cname
put("rtp", "rtcp-sr-sdes", sr + sdes)
put("rtp", "rtp-csrc-ext-pad", struct.pack(">BBHII", 0xB2, 0x80 | 0, 1, 160, 0x1234) + struct.pack(">II", 1, 2)
    + struct.pack(">HH", 0xBEDE, 1) + b"\x10\xAA\x00\x00" + b"\xFF" * 8 + b"\x00\x00\x03")

# Dialplans: the samples.
for path in sorted(glob.glob(os.path.join(root, "Dialplans", "*.yaml"))):
    put("dialplan", os.path.basename(path), open(path, "rb").read())

# DNS: an SRV answer with compression pointers and its A/AAAA additionals, an NXDOMAIN.
def name(n):
    return b"".join(bytes([len(p)]) + p.encode() for p in n.split(".")) + b"\x00"
q = name("_sip._udp.example.test") + struct.pack(">HH", 33, 1)
ans = b"\xc0\x0c" + struct.pack(">HHIH", 33, 1, 300, 6 + len(name("sip1.example.test"))) + \
      struct.pack(">HHH", 10, 60, 5060) + name("sip1.example.test")
ans2 = b"\xc0\x0c" + struct.pack(">HHIH", 33, 1, 300, 6 + 6) + struct.pack(">HHH", 20, 0, 5070) + b"\x04sip2\xc0\x11"
target_ptr = 12 + len(q) + 2 + 10 + 6          # where "sip1.example.test" starts
add = struct.pack(">H", 0xC000 | target_ptr) + struct.pack(">HHIH", 1, 1, 300, 4) + bytes([127, 0, 0, 1])
add6 = struct.pack(">H", 0xC000 | target_ptr) + struct.pack(">HHIH", 28, 1, 300, 16) + bytes(15) + b"\x01"
put("dns", "srv-with-additionals", struct.pack(">HHHHHH", 0x4242, 0x8180, 1, 2, 0, 2) + q + ans + ans2 + add + add6)
put("dns", "nxdomain", struct.pack(">HHHHHH", 7, 0x8183, 1, 0, 0, 0) + name("nothing.example.test") + struct.pack(">HH", 1, 1))
put("dns", "a-answer", struct.pack(">HHHHHH", 9, 0x8180, 1, 1, 0, 0) + name("host.example.test") + struct.pack(">HH", 1, 1)
    + b"\xc0\x0c" + struct.pack(">HHIH", 1, 1, 60, 4) + bytes([127, 0, 0, 2]))

print("corpus:", {t: len(os.listdir(os.path.join(corpus, t))) for t in sorted(os.listdir(corpus))})

# Journal: writer-segment comes from the real writer (`swift run Fuzz journal-seed
# bench/fuzz/corpus/journal/writer-segment`); the other two modes are derived from it.
seg = os.path.join(corpus, "journal", "writer-segment")
if os.path.exists(seg):
    d = open(seg, "rb").read()[1:]
    framed_records, i = bytearray([1]), 0
    while i + 8 <= len(d):
        n, _ = struct.unpack("<II", d[i:i + 8])
        framed_records += bytes([n]) + d[i + 8:i + 8 + n]
        i += 8 + n
    put("journal", "writer-records-framed", bytes(framed_records))
    put("journal", "writer-segment-two-committed", bytes([2 | 4 | 8]) + d)
