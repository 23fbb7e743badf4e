#!/bin/bash
# Concurrent queue calls bridged to agents, against a release switchboardd: each caller joins
# a queue, is offered to a free agent (a SIPp UAS with -rtp_echo, one of AGENTS names on it),
# and talks (looped µ-law from SIPp's rtp_stream) for HOLD ms; the agent echoes everything,
# so the daemon relays RTP both ways through its media anchor. At each call's end the daemon
# logs per-session counters (`rtp session closed … rtp.received rtp.relayed`); summed here:
# packets relayed per second over the hold, packets received outside the bridge (before the
# agent answered, after the hang-up), and the host's UDP receive-buffer drops during the run
# (/proc/net/snmp RcvbufErrors: packets the kernel dropped because a socket — ours or
# SIPp's — was not read in time).
#
#   bench/queue/run.sh [CALLS] [HOLD_MS]      (defaults 200 calls, 20000 ms)
#   MEDIA_THREADS=N bench/queue/run.sh ...    (media.threads; default: the daemon's)
# bench/queue/run-peer.sh runs the same load through Kamailio + rtpengine for comparison.
# Needs: swift build -c release --product switchboardd; sipp (sip-tester); sox.
set -euo pipefail
CALLS=${1:-200}
HOLD=${2:-20000}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BIN=${SWITCHBOARDD:-$ROOT/.build/release/switchboardd}
[ -x "$BIN" ] || { echo "build first: swift build -c release --product switchboardd" >&2; exit 1; }
WORK=$(mktemp -d /tmp/queue-bench.XXXXXX)
SIP_PORT=$((27000 + RANDOM % 2000))
AGENT_PORT=$((SIP_PORT + 20))
mkdir -p "$WORK/dialplans"
# What the callers say: 2 s of a 300 Hz tone, raw µ-law (payload type 0), looped.
sox -n -r 8000 -c 1 -t raw -e u-law "$WORK/talk.ul" synth 2 sine 300 vol 0.3
AGENTS=$(python3 -c "import sys; n=int(sys.argv[1]); print(', '.join(f'\"sip:agent{i}@127.0.0.1:{sys.argv[2]}\"' for i in range(n)))" "$CALLS" "$AGENT_PORT")
cat > "$WORK/dialplans/bench.yaml" <<YAML
account: bench
timezone: UTC
caller-id: caller
numbers:
  "+13125550100": { plan: support, source: bench }
plans:
  support:
    queue:
      agents: [$AGENTS]
      strategy: round-robin
      agent-timeout: 10s
      max-wait: 60s
YAML
MEDIA_PORTS=30000-59999
. "$ROOT/bench/lib/media-daemon.sh"
start_media_daemon || exit 1
sipp -sf "$ROOT/bench/queue/agent.xml" -i 127.0.0.1 -p "$AGENT_PORT" -mp $((AGENT_PORT + 100)) -cp $((AGENT_PORT + 2)) \
     -rtp_echo -nostdin -timeout $((HOLD / 1000 + 120))s > "$WORK/agent.log" 2>&1 &
AGENT=$!
trap 'kill $DAEMON $AGENT 2>/dev/null || true; wait $DAEMON $AGENT 2>/dev/null || true' EXIT
rcvbuf() { awk '/^Udp:/ { if (!h) { for (i = 1; i <= NF; i++) if ($i == "RcvbufErrors") c = i; h = 1 } else print $c }' /proc/net/snmp; }
DROPS_BEFORE=$(rcvbuf)
cpu() { awk '{print $14 + $15}' /proc/$1/stat; }
CPU0=$(cpu $DAEMON)
( cd "$WORK" && sipp 127.0.0.1:$SIP_PORT -sf "$ROOT/bench/queue/caller.xml" -s +13125550100 -m "$CALLS" -l "$CALLS" -r 100 \
     -d "$HOLD" -i 127.0.0.1 -p $((SIP_PORT + 1)) -mp $((SIP_PORT + 200)) -cp $((SIP_PORT + 2)) \
     -timeout $((HOLD / 1000 + 60))s -timeout_error -nostdin > "$WORK/caller.log" 2>&1 ) || true
CPU1=$(cpu $DAEMON)
sleep 1
echo "host UDP receive-buffer drops during the run: $(( $(rcvbuf) - DROPS_BEFORE ))"
echo "switchboardd cpu s during the calls: $(python3 -c "print(f'{($CPU1 - $CPU0) / $(getconf CLK_TCK):.1f}')")"
python3 - "$WORK/daemon.log" "$CALLS" "$HOLD" <<'PY'
import re, sys
received = relayed = sessions = bridged = 0
for line in open(sys.argv[1]):
    if 'bridged with anchored media' in line: bridged += 1
    if 'rtp session closed' not in line: continue
    f = dict(re.findall(r'(rtp\.\w+)=(\S+)', line))
    sessions += 1
    received += int(f['rtp.received']); relayed += int(f['rtp.relayed'])
seconds = int(sys.argv[3]) / 1000
print(f"calls {sys.argv[2]}  bridged {bridged}  sessions {sessions}  received {received}  relayed {relayed}"
      f"  outside the bridge {received - relayed} ({100.0 * (received - relayed) / max(received, 1):.2f} %)"
      f"  expected ≈ {int(sys.argv[2]) * 100 * seconds:,.0f} (100 packets/s per call)"
      f"  relay ≈ {relayed / seconds:,.0f} packets/s over the {seconds:.0f} s hold")
PY
grep -E "Successful call|Failed call" "$WORK/caller.log" | head -4 || true
echo "work dir: $WORK"
