#!/usr/bin/env bash
# Edge load test (issue 13): junk from strangers while a trusted carrier places calls.
#
#   bench/edge/run.sh [-r junk_pps=5000] [-c calls_per_s=50] [-t seconds=60] [-n sources=4]
#                     [-p sip_port=5172] [-o DIR] [-b]
#
# On loopback: switchboardd (release) trusts only 127.0.0.1. SIPp places -c calls/s from
# 127.0.0.1 (uac_rr.xml, 1 s hold) to a SIPp UAS on 127.0.0.1:5181, while junk.py sends
# -r packets/s from 127.0.0.2 .. 127.0.0.(n+1): OPTIONS/REGISTER/INVITE scans, mutated
# RFC 4475 torture messages, stray responses, ACK/CANCEL for nothing. Reports: calls
# completed (%), the daemon's RSS before/after/peak, the edge's counters and bans, load.
# Every load is bounded (-m, -timeout, junk count and time); only processes started here
# are signalled, by PID.
set -u
HERE="$(cd "$(dirname "$0")" && pwd)"
REPO="$(cd "$HERE/../.." && pwd)"
JUNK=5000 CPS=50 DUR=60 SOURCES=4 PORT=5172 OUT= BUILD=
UAS_PORT=5181 UAC_PORT=5182 MPORT=9172
while getopts "r:c:t:n:p:o:bh" o; do
  case "$o" in
    r) JUNK="$OPTARG";; c) CPS="$OPTARG";; t) DUR="$OPTARG";; n) SOURCES="$OPTARG";;
    p) PORT="$OPTARG";; o) OUT="$OPTARG";; b) BUILD=1;;
    *) sed -n "2,$(( $(grep -n '^set -u' "$0" | cut -d: -f1) - 1 ))p" "$0"; exit 2;;
  esac
done
[ -n "$OUT" ] || OUT="$(mktemp -d "${BENCH_OUT:-/tmp}/edge.XXXXXX")"
mkdir -p "$OUT"
DAEMON="${SWITCHBOARDD:-$REPO/.build/release/switchboardd}"
CLI="${SWITCHBOARD:-$(dirname "$DAEMON")/switchboard}"
if [ -n "$BUILD" ] || [ ! -x "$DAEMON" ]; then
  ( cd "$REPO" && swift build -c release --product switchboardd && swift build -c release --product switchboard ) || exit 1
fi
SIPP_DIR="$REPO/bench/calls/sipp"

PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill -TERM "$p" 2>/dev/null; done
  for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null; done
}
trap cleanup EXIT
trap 'exit 130' INT TERM

mkdir -p "$OUT/dialplans"
nums=$(tail -n +2 "$SIPP_DIR/numbers.csv" | sed 's/^+//; s/^/+/' | sort -u | sed 's/.*/"&"/' | paste -sd, -)
cat > "$OUT/dialplans/bench.yaml" <<YAML
account: bench
timezone: America/Chicago
caller-id: caller
pools:
  bench: { numbers: [$nums], plan: main, source: bench }
plans:
  main:
    ring-all: { targets: ["sip:callee@127.0.0.1:$UAS_PORT"], timeout: 30s }
YAML
cat > "$OUT/switchboard.yaml" <<YAML
listen: ["udp:127.0.0.1:$PORT"]
trusted-networks: ["127.0.0.1/32"]
dialplans: $OUT/dialplans
log-level: notice
default-region: US
metrics: 127.0.0.1:$MPORT
calls:
  max-concurrent: 200000
  max-per-number: 100000
  max-per-second-per-source: 100000
  max-duration: 1h
YAML

"$DAEMON" --config "$OUT/switchboard.yaml" > "$OUT/switchboardd.log" 2>&1 &
DPID=$!; PIDS+=($DPID)
for _ in $(seq 1 100); do ss -Hlun "sport = :$PORT" | grep -q 127.0.0.1 && break; sleep 0.1; done
rss() { awk "/^$1/{print \$2}" "/proc/$DPID/status"; }

( cd "$OUT" && exec sipp -sf "$SIPP_DIR/uas_rr.xml" -i 127.0.0.1 -p "$UAS_PORT" -t u1 -nostdin -aa \
    -timeout "$((DUR + 60))s" -trace_err -error_file uas_err.log > uas.out 2>&1 ) &
PIDS+=($!)
sleep 1
LOAD0="$(cut -d' ' -f1-3 /proc/loadavg)"
RSS0=$(rss VmRSS)
ticks() { awk '{print $14+$15}' "/proc/$DPID/stat"; }
T0=$(ticks)
echo "daemon pid $DPID, RSS before ${RSS0} KiB, load $LOAD0" | tee "$OUT/summary.txt"

# RSS every 5 s while the load runs (reading /proc costs the daemon nothing).
( while kill -0 "$DPID" 2>/dev/null; do echo "$(date +%s) $(rss VmRSS)"; sleep 5; done ) > "$OUT/rss.tsv" &
PIDS+=($!)
python3 "$HERE/junk.py" 127.0.0.1 "$PORT" "$JUNK" "$DUR" "$SOURCES" "$REPO/Tests/Fixtures/rfc4475" > "$OUT/junk.out" 2>&1 &
JPID=$!; PIDS+=($JPID)
CALLS=$((CPS * DUR))
( cd "$OUT" && sipp 127.0.0.1:"$PORT" -sf "$SIPP_DIR/uac_rr.xml" -inf "$SIPP_DIR/numbers.csv" \
    -i 127.0.0.1 -p "$UAC_PORT" -t u1 -nostdin -m "$CALLS" -r "$CPS" -d 1000 \
    -timeout "$((DUR + 60))s" -timeout_error -trace_stat -stf uac_stat.csv -fd 5 \
    -trace_err -error_file uac_err.log > uac.out 2>&1 )
UAC_RC=$?
# RSS samples during the run would race the load; take the peak (VmHWM) and the end.
wait "$JPID"
LOAD1="$(cut -d' ' -f1-3 /proc/loadavg)"
RSS1=$(rss VmRSS); HWM=$(rss VmHWM)
T1=$(ticks)
curl -s "http://127.0.0.1:$MPORT/metrics" > "$OUT/metrics.txt"
"$CLI" bans --metrics "127.0.0.1:$MPORT" > "$OUT/bans.txt" 2>&1
last=$(tail -1 "$OUT/uac_stat.csv")
hdr=$(head -1 "$OUT/uac_stat.csv")
col() { echo "$hdr" | tr ';' '\n' | grep -nx "$1" | cut -d: -f1; }
ok=$(echo "$last" | cut -d';' -f"$(col SuccessfulCall\(C\))")
failed=$(echo "$last" | cut -d';' -f"$(col FailedCall\(C\))")
{
  echo "calls: $ok of $CALLS completed, $failed failed (SIPp rc $UAC_RC) -> $(python3 -c "print(f'{100 * $ok / $CALLS:.2f} %')")"
  echo "junk: $(cat "$OUT/junk.out")"
  echo "daemon CPU: $(python3 -c "print(f'{($T1 - $T0) / $(getconf CLK_TCK):.1f} s')") over the run"
  echo "RSS after ${RSS1} KiB, peak ${HWM} KiB, load after $LOAD1"
  echo "RSS samples (KiB, every 5 s): $(awk '{print $2}' "$OUT/rss.tsv" | paste -sd' ')"
  grep -E '^switchboard_(edge|sip_stray|sip_transactions_in_progress|calls_total)' "$OUT/metrics.txt"
  echo "bans:"; cat "$OUT/bans.txt"
} | tee -a "$OUT/summary.txt"
echo "output: $OUT"
