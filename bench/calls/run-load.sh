#!/usr/bin/env bash
# Generic SIPp load run against ANY SIP proxy on loopback (Kamailio, or the
# project's own daemon).  Starts the SIPp UAS(es), runs one bounded SIPp UAC
# pass, stops the UASes by PID and prints one RESULT line (+ summary.json).
#
#   bench/run-load.sh -T 127.0.0.1:5060 -v single -r 1000 [-t 30] [-d 1000]
#                     [-l LIMIT] [-P "pid pid..."] [-o OUTDIR]
#
#   -T host:port  where the UAC sends INVITEs (the proxy; must be loopback).
#                 Default 127.0.0.1:5080 = straight to the UAS (harness ceiling)
#   -v topology   single : one answering UAS on 127.0.0.1:5080
#                 fork   : + a UAS on :5081 that rings and must be CANCELled
#                 serial : + a UAS on :5081 that answers 486 (tried first)
#   -r rate       target calls per second          (default 500)
#   -t seconds    how long calls are generated     (default 30; -m = rate*t)
#   -d ms         call hold time between ACK and BYE (default 1000)
#   -R ms         ring time of the answering UAS before its 200 (default 0;
#                 100 for -v fork: with an instant answer a multi-process
#                 proxy can see the 200 before it has sent the 2nd branch)
#   -l limit      max simultaneous calls at the UAC (default 3*rate*(1+d/1000)+100)
#   -P pids       PIDs of the system under test (for CPU%); also read from
#                 $SUT_PIDS.  Children of these PIDs are included.
#   -Q pids       PIDs of its database (PostgreSQL postmaster) for db CPU%;
#                 also read from $DB_PIDS.  Children included.
#   -o dir        output directory (default: a new dir under $BENCH_OUT or /tmp)
#   -n label      free-text label stored in the result (e.g. "kamailio-single")
#
# Every SIPp process is bounded: -m calls, -timeout (t+60 s) and `timeout`.
# Only processes this script started are signalled, by PID (trap on EXIT).
set -u
HERE="$(cd "$(dirname "$0")" && pwd)"
SIPP_DIR="$HERE/sipp"

TARGET=127.0.0.1:5080 TOPO=single RATE=500 DUR=30 PAUSE=1000 LIMIT= OUT= LABEL= RING=
SUT="${SUT_PIDS:-}" DBP="${DB_PIDS:-}"
while getopts "T:v:r:t:d:l:R:P:Q:o:n:h" o; do
  case "$o" in
    T) TARGET="$OPTARG";; v) TOPO="$OPTARG";; r) RATE="$OPTARG";;
    t) DUR="$OPTARG";; d) PAUSE="$OPTARG";; l) LIMIT="$OPTARG";; R) RING="$OPTARG";;
    P) SUT="$OPTARG";; Q) DBP="$OPTARG";; o) OUT="$OPTARG";; n) LABEL="$OPTARG";;
    *) sed -n "2,$(( $(grep -n '^set -u' "$0" | cut -d: -f1) - 1 ))p" "$0"; exit 2;;
  esac
done

case "${TARGET%:*}" in
  127.*|localhost|::1|\[::1\]) ;;
  *) echo "refusing non-loopback target $TARGET" >&2; exit 2;;
esac
case "$TOPO" in single|fork|serial) ;; *) echo "bad -v $TOPO" >&2; exit 2;; esac
CALLS=$(( RATE * DUR ))
[ -n "$RING" ] || { [ "$TOPO" = fork ] && RING=100 || RING=0; }
[ -n "$LIMIT" ] || LIMIT=$(( 3 * RATE * (1000 + PAUSE + ${RING:-0}) / 1000 + 100 ))
GTIMEOUT=$(( DUR + 60 ))
# SIPp socket buffers: its default (64 KiB, kernel doubles it) overflows at
# a few thousand cps on loopback; 4 MiB = net.core.rmem_max here.
BUFF="${SIPP_BUFF:-4194304}"
[ -n "$OUT" ] || OUT="$(mktemp -d "${BENCH_OUT:-/tmp}/load.XXXXXX")"
mkdir -p "$OUT"
[ -n "$LABEL" ] || LABEL="$TOPO@$TARGET"

STARTED=()
cleanup() {
  local p
  for p in "${STARTED[@]}"; do kill -TERM "$p" 2>/dev/null; done
  for p in "${STARTED[@]}"; do
    for _ in $(seq 1 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$p" 2>/dev/null
  done
  STARTED=()
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# raise the fd limit for SIPp (it tunes rlimits itself, but be explicit)
ulimit -n 65536 2>/dev/null || true

start_uas() { # name port scenario [ring-ms]
  ( cd "$OUT" && exec timeout -s TERM $(( GTIMEOUT + 30 )) \
      sipp -sf "$SIPP_DIR/$3" -i 127.0.0.1 -p "$2" -t u1 -nostdin -aa -d "${4:-0}" \
        -buff_size "$BUFF" ${UAS_LIMIT:+-l "$UAS_LIMIT"} \
        -trace_stat -stf "$1_stat.csv" -fd 1 \
        -trace_err -error_file "$1_err.log" -max_log_size 5000000 \
        > "$1.out" 2>&1 ) &
  STARTED+=($!)
}

# --- UASes -----------------------------------------------------------------
port_busy() { ss -Hlun "sport = :$1" | awk '{print $4}' | grep -qE "^(127\.0\.0\.1|0\.0\.0\.0|\*|\[::\]):$1$"; }
for port in 5080 5081 5090; do
  if port_busy $port; then
    echo "UDP port $port is already in use (leftover SIPp?):" >&2
    ss -Hlunp "sport = :$port" >&2; exit 3
  fi
done
start_uas uas_a 5080 uas_rr.xml "$RING"
case "$TOPO" in
  fork)   start_uas uas_b 5081 uas_ring_cancel.xml;;
  serial) start_uas uas_b 5081 uas_busy.xml;;
esac
sleep 1
for p in "${STARTED[@]}"; do
  kill -0 "$p" 2>/dev/null || { echo "a UAS failed to start:" >&2; tail -3 "$OUT"/uas_*.out >&2; exit 1; }
done

# --- sampling helpers --------------------------------------------------------
tree_pids() { # pids -> pids + direct children
  local p
  for p in $*; do
    [ -d /proc/$p ] || continue
    echo "$p"; ps -o pid= --ppid "$p" 2>/dev/null
  done | tr -s ' \n' ' '
}
ticks() { # sum utime+stime of pids
  local t=0 p s
  for p in $*; do
    s=$(awk '{print $14+$15}' "/proc/$p/stat" 2>/dev/null) || continue
    [ -n "$s" ] && t=$(( t + s ))
  done
  echo $t
}
# CPU ticks of every process on the machine (incl. reaped children via
# cutime/cstime).  /proc/stat's "cpu" line is tick-sampled and badly
# under-counts bursty processes in this VM, so it is not used.
all_ticks() { cat /proc/[0-9]*/stat 2>/dev/null | sed 's/.*) //' | awk '{t+=$12+$13+$14+$15} END{print t+0}'; }
udp_err() { awk '/^Udp: [0-9]/{print $4, $6}' /proc/net/snmp; }
# per-socket receive-buffer drops ("d" in skmem) of the loopback SIP sockets
sock_drops() {
  ss -Huanm "sport = :${TARGET##*:} or sport = :5070 or sport = :5080 or sport = :5081 or sport = :5090" 2>/dev/null |
    awk '/^UNCONN/{port=""; if ($4 ~ /^127\.0\.0\.1:/) {split($4,a,":"); port=a[2]}} /skmem/{match($0,/,d[0-9]+/); d=substr($0,RSTART+2,RLENGTH-2); if(port!="") printf "%s:%s ", port, d}'
}
now() { date +%s.%N; }

SUT_ALL="$(tree_pids $SUT)"
DB_ALL="$(tree_pids $DBP)"
UAS_PIDS="$(tree_pids "${STARTED[@]}")"
{
  echo "label=$LABEL"; echo "target=$TARGET"; echo "topology=$TOPO"
  echo "rate=$RATE"; echo "duration=$DUR"; echo "calls=$CALLS"
  echo "pause_ms=$PAUSE"; echo "ring_ms=$RING"; echo "limit=$LIMIT"
  echo "uptime_before=$(uptime)"
  echo "load1_before=$(cut -d' ' -f1 /proc/loadavg)"
  echo "sut_pids=$SUT_ALL"; echo "sut_nproc=$(echo $SUT_ALL | wc -w)"
} > "$OUT/meta.env"

# CPU used by other jobs on the machine over 2 s just before the load
A0=$(all_ticks); B0=$(now); sleep 2; A1=$(all_ticks); B1=$(now)
python3 -c "print('bg_busy_pct=%.0f' % (($A1 - $A0) * 100.0 / $(getconf CLK_TCK) / ($B1 - $B0)))" >> "$OUT/meta.env"

# --- UAC ---------------------------------------------------------------------
read -r UE0 RB0 < <(udp_err)
T0=$(now)
( cd "$OUT" && exec timeout -s TERM $(( GTIMEOUT + 15 )) \
    sipp "$TARGET" -sf "$SIPP_DIR/uac_rr.xml" -inf "$SIPP_DIR/numbers.csv" \
      -i 127.0.0.1 -p 5090 -t u1 -nostdin -buff_size "$BUFF" \
      -m "$CALLS" -r "$RATE" -rp 1000 -l "$LIMIT" -d "$PAUSE" \
      -timeout "${GTIMEOUT}s" -timeout_error \
      -trace_stat -stf uac_stat.csv -fd 1 \
      -trace_rtt -rtt_freq 200 \
      -trace_screen -screen_file uac_screen.log \
      -trace_err -error_file uac_err.log -max_log_size 5000000 \
      > uac.out 2>&1 ) &
UAC=$!
STARTED+=($UAC)
# CPU is measured over the steady window [T0+2 s, T0+DUR-1 s] while calls are
# being generated (not over the drain), plus one top snapshot in the middle.
W0=2; W1=$(( DUR - 1 )); [ $W1 -gt $W0 ] || { W0=0; W1=$DUR; }
UACP= S0= S1= D1=
sample() { # -> "time sut uas uac db all"
  echo "$(now) $(ticks $SUT_ALL) $(ticks $UAS_PIDS) $(ticks $UACP) $(ticks $DB_ALL) $(all_ticks)"
}
TOPDONE=
while kill -0 $UAC 2>/dev/null; do
  [ -n "$UACP" ] || UACP=$(ps -o pid= --ppid $UAC 2>/dev/null | head -1)
  el=$(( $(date +%s) - ${T0%.*} ))
  if [ -z "$S0" ] && [ "$el" -ge $W0 ]; then S0=$(sample); fi
  if [ -z "$TOPDONE" ] && [ "$el" -ge $(( DUR / 2 )) ]; then
    [ -n "$SUT_ALL" ] && top -b -n1 -p "$(echo $SUT_ALL | tr ' ' ',')" > "$OUT/top_mid.txt" 2>&1
    TOPDONE=1
  fi
  if [ -n "$S0" ] && [ -z "$S1" ] && [ "$el" -ge $W1 ]; then S1=$(sample); D1=$(sock_drops); fi
  sleep 0.25
done
wait $UAC; UAC_RC=$?
T1=$(now)
[ -n "$S0" ] || S0="$T0 0 0 0 0 0"
[ -n "$S1" ] || S1=$(sample)
read -r UE1 RB1 < <(udp_err)
D2=$(sock_drops)
echo "sock_drops=$(echo $D1 $D2 | tr ' ' '\n' | awk -F: 'NF==2{v=$2+0; if(!($1 in m) || v>m[$1]) m[$1]=v} END{for(p in m) printf "%s:%s,", p, m[p]}')" >> "$OUT/meta.env"

# let the UASes finish their 4 s timewait, then stop them (stats are per 1 s)
sleep 5.5
cleanup

python3 - <<EOF >> "$OUT/meta.env"
hz = $(getconf CLK_TCK)
a = [float(x) for x in "$S0".split()]
b = [float(x) for x in "$S1".split()]
w = max(0.001, b[0] - a[0])
pc = lambda i: max(0.0, (b[i] - a[i]) * 100.0 / hz / w)
print("uac_rc=$UAC_RC")
print("wall_s=%.2f" % ($T1 - $T0))
print("cpu_window_s=%.1f" % w)
print("sut_cpu_pct=%.1f" % pc(1))
print("uas_cpu_pct=%.1f" % pc(2))
print("uac_cpu_pct=%.1f" % pc(3))
if "$DBP": print("db_cpu_pct=%.1f" % pc(4))
print("all_cpu_pct=%.1f" % pc(5))
print("other_cpu_pct=%.1f" % max(0.0, pc(5) - pc(1) - pc(2) - pc(3) - (pc(4) if "$DBP" else 0)))
print("udp_inerr=%d" % ($UE1 - $UE0))
print("udp_rcvbuf_err=%d" % ($RB1 - $RB0))
EOF
echo "load1_after=$(cut -d' ' -f1 /proc/loadavg)" >> "$OUT/meta.env"

[ -n "${NO_SUMMARY:-}" ] || python3 "$HERE/lib/summarize.py" "$OUT"
