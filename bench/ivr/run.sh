#!/bin/bash
# Concurrent IVR calls against a release switchboardd: every caller sits in the menu for
# HOLD ms while the daemon plays the prompt to it over RTP; at each call's end the daemon
# logs its RTP packet-clock figures, summed here. Criterion: ticks more than 5 ms late < 1 %.
#
#   bench/ivr/run.sh [CALLS] [HOLD_MS]        (defaults 200 calls, 20000 ms)
#   MEDIA_THREADS=N bench/ivr/run.sh ...      (media.threads; default: the daemon's, cores - 1)
# Needs: swift build -c release --product switchboardd; sipp (sip-tester).
set -euo pipefail
CALLS=${1:-200}
HOLD=${2:-20000}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BIN=${SWITCHBOARDD:-$ROOT/.build/release/switchboardd}
[ -x "$BIN" ] || { echo "build first: swift build -c release --product switchboardd" >&2; exit 1; }
WORK=$(mktemp -d /tmp/ivr-bench.XXXXXX)
SIP_PORT=$((25000 + RANDOM % 2000))
mkdir -p "$WORK/dialplans/prompts"
python3 - "$WORK/dialplans/prompts/menu.wav" <<'PY'
import math, struct, sys
rate, seconds = 8000, 30
samples = [int(8000 * math.sin(2 * math.pi * 440 * i / rate)) for i in range(rate * seconds)]
data = struct.pack('<%dh' % len(samples), *samples)
hdr = b'RIFF' + struct.pack('<I', 36 + len(data)) + b'WAVEfmt ' + struct.pack('<IHHIIHH', 16, 1, 1, rate, rate * 2, 2, 16)
open(sys.argv[1], 'wb').write(hdr + b'data' + struct.pack('<I', len(data)) + data)
PY
cat > "$WORK/dialplans/bench.yaml" <<YAML
account: bench
timezone: UTC
caller-id: caller
numbers:
  "+13125550100": { plan: main, source: bench }
plans:
  main:
    ivr:
      prompt: prompts/menu.wav
      options: { "1": sales }
      timeout: 60s
      attempts: 1
  sales:
    ring-all: { targets: ["sip:sales@127.0.0.1:9"], timeout: 10s }
YAML
MEDIA_PORTS=40000-49999
. "$ROOT/bench/lib/media-daemon.sh"
start_media_daemon || exit 1
trap 'kill $DAEMON 2>/dev/null || true; wait $DAEMON 2>/dev/null || true' EXIT
sipp 127.0.0.1:$SIP_PORT -sf "$ROOT/bench/ivr/ivr-caller.xml" -s +13125550100 -m "$CALLS" -l "$CALLS" -r 100 \
     -d "$HOLD" -i 127.0.0.1 -p $((SIP_PORT + 1)) -mp $((SIP_PORT + 10)) -cp $((SIP_PORT + 2)) \
     -timeout $((HOLD / 1000 + 60))s -timeout_error -nostdin -trace_stat -stf "$WORK/stat.csv" > "$WORK/sipp.log" 2>&1 || true
sleep 1
python3 - "$WORK/daemon.log" "$CALLS" <<'PY'
import re, sys
ticks = late = sessions = sent = 0
worst = 0
for line in open(sys.argv[1]):
    if 'rtp session closed' not in line: continue
    f = dict(re.findall(r'(rtp\.\w+)=(\S+)', line))
    sessions += 1
    ticks += int(f['rtp.ticks']); late += int(f['rtp.late_ticks']); sent += int(f['rtp.sent'])
    worst = max(worst, int(f['rtp.max_late_us']))
pct = 100.0 * late / ticks if ticks else float('nan')
print(f"calls {sys.argv[2]}  sessions {sessions}  packets sent {sent}  ticks {ticks}  late>5ms {late} ({pct:.3f} %)  worst {worst/1000:.1f} ms")
print("PASS" if sessions and pct < 1.0 else "FAIL")
PY
grep -E "Successful call|Failed call" "$WORK/sipp.log" | head -4 || true
echo "work dir: $WORK"
