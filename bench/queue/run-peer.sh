#!/bin/bash
# The peer for bench/queue/run.sh: the same SIPp callers (looped µ-law) and echoing agents,
# through Kamailio (record-routing proxy) with rtpengine relaying the media in userspace
# (Debian's rtpengine-daemon, one forwarding thread; no kernel module), instead of
# switchboardd. Prints the packets rtpengine relayed (its per-call final stats) and the CPU
# seconds Kamailio and rtpengine used, next to what run.sh prints for the daemon.
#
#   bench/queue/run-peer.sh [CALLS] [HOLD_MS]      (defaults 200 calls, 20000 ms)
# Needs: kamailio, rtpengine-daemon (apt), sipp, sox.
set -euo pipefail
CALLS=${1:-200}
HOLD=${2:-20000}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
command -v rtpengine > /dev/null || { echo "apt-get install rtpengine-daemon" >&2; exit 1; }
WORK=$(mktemp -d /tmp/queue-peer.XXXXXX)
K_PORT=$((29000 + RANDOM % 900))
AGENT_PORT=$((K_PORT + 20))
NG_PORT=$((K_PORT + 40))
sox -n -r 8000 -c 1 -t raw -e u-law "$WORK/talk.ul" synth 2 sine 300 vol 0.3
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT
rtpengine --foreground --table=-1 --interface=127.0.0.1 --listen-ng=127.0.0.1:$NG_PORT \
    --port-min=30000 --port-max=59999 --num-threads=1 --delete-delay=0 --log-stderr --log-level=6 \
    --pidfile="$WORK/rtpengine.pid" > "$WORK/rtpengine.log" 2>&1 &
RTPE=$!; PIDS+=($RTPE)
for _ in $(seq 1 50); do ss -Hlun "sport = :$NG_PORT" | grep -q . && break; sleep 0.1; done
kamailio -DD -E -f "$ROOT/bench/queue/kamailio-rtpengine.cfg" -P "$WORK/kamailio.pid" \
    -A "PORT=$K_PORT" -A "AGENT=\"127.0.0.1:$AGENT_PORT\"" -A "RTPENGINE=\"udp:127.0.0.1:$NG_PORT\"" \
    > "$WORK/kamailio.log" 2>&1 &
KAM=$!; PIDS+=($KAM)
for _ in $(seq 1 50); do ss -Hlun "sport = :$K_PORT" | grep -q . && break; sleep 0.1; done
sipp -sf "$ROOT/bench/queue/agent.xml" -i 127.0.0.1 -p "$AGENT_PORT" -mp $((AGENT_PORT + 100)) -cp $((AGENT_PORT + 2)) \
     -rtp_echo -nostdin -timeout $((HOLD / 1000 + 120))s > "$WORK/agent.log" 2>&1 &
PIDS+=($!)
cpu() { local t=0 p; for p in "$@"; do t=$((t + $(awk '{print $14 + $15}' /proc/$p/stat 2>/dev/null || echo 0))); done; echo $t; }
kam_pids() { pgrep -P $KAM | tr '\n' ' '; echo $KAM; }
CPU0_R=$(cpu $RTPE); CPU0_K=$(cpu $(kam_pids))
( cd "$WORK" && sipp 127.0.0.1:$K_PORT -sf "$ROOT/bench/queue/caller.xml" -s +13125550100 -m "$CALLS" -l "$CALLS" -r 100 \
     -d "$HOLD" -i 127.0.0.1 -p $((K_PORT + 1)) -mp $((K_PORT + 200)) -cp $((K_PORT + 2)) \
     -timeout $((HOLD / 1000 + 60))s -timeout_error -nostdin > "$WORK/caller.log" 2>&1 ) || true
CPU1_R=$(cpu $RTPE); CPU1_K=$(cpu $(kam_pids))
sleep 2
HZ=$(getconf CLK_TCK)
python3 - "$WORK/rtpengine.log" "$CALLS" "$HOLD" $(( CPU1_R - CPU0_R )) $(( CPU1_K - CPU0_K )) "$HZ" <<'PY'
import re, sys
log, calls, hold, rtpe, kam, hz = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]) / 1000, int(sys.argv[4]), int(sys.argv[5]), int(sys.argv[6])
relayed = 0
for line in open(log):
    # Per-port lines of rtpengine's "Final packet stats": "--------- Port A <> B, SSRC x, N p, …";
    # a port's packets are the ones it received and forwarded to the other side.
    m = re.search(r'-{9} Port .*?, (\d+) p, ', line)
    if m and '(RTCP)' not in line: relayed += int(m.group(1))
print(f"peer calls {calls}  rtpengine packets (final stats) {relayed}  expected ≈ {calls * 100 * hold:,.0f}"
      f"  cpu s: rtpengine {rtpe / hz:.1f}  kamailio {kam / hz:.1f}  total {(rtpe + kam) / hz:.1f}")
PY
grep -E "Successful call|Failed call" "$WORK/caller.log" | head -2 || true
echo "work dir: $WORK"
