#!/usr/bin/env bash
# Memory with N calls established at once (default 10,000): starts the
# release switchboardd (single-target plan), one answering SIPp UAS on :5080
# and a SIPp UAC that sets up N calls at -r cps and holds each for -d ms, then
# reads the daemon's VmRSS from /proc while all N calls are up.
#
#   bench/calls/mem.sh [-n 10000] [-r 500] [-d HOLD_MS] [-p 5062] [-L yes|no] [-o DIR]
#
# -L yes (default, as in production and in run.sh): the daemon writes its leg journal
# and its PostgreSQL writer copies the legs into the benchmarks' private cluster
# (lib/pg.sh); the run also reports how many legs reached call_legs.
#
# HOLD_MS defaults to N/r seconds + 30 s, so every call is still up 30 s after
# the last one was set up.  Prints
#   MEM calls=N rate=R rss_idle_mib=.. rss_plateau_mib=.. rss_peak_mib=..
#       per_call_kib=.. established=.. failed=..
# Target: VmRSS < 200 MiB with 10,000 calls up.
set -u
HERE="$(cd "$(dirname "$0")" && pwd)"
REPO="$(cd "$HERE/../.." && pwd)"
N=10000 RATE=500 HOLD= PORT=5062 OUT= LEGS=yes
while getopts "n:r:d:p:o:L:h" o; do
  case "$o" in
    n) N="$OPTARG";; r) RATE="$OPTARG";; d) HOLD="$OPTARG";; p) PORT="$OPTARG";; o) OUT="$OPTARG";; L) LEGS="$OPTARG";;
    *) sed -n "2,$(( $(grep -n '^set -u' "$0" | cut -d: -f1) - 1 ))p" "$0"; exit 2;;
  esac
done
RAMP=$(( (N + RATE - 1) / RATE ))
[ -n "$HOLD" ] || HOLD=$(( (RAMP + 30) * 1000 ))
[ -n "$OUT" ] || OUT="$(mktemp -d "${BENCH_OUT:-/tmp}/mem.XXXXXX")"
mkdir -p "$OUT"
DAEMON="${SWITCHBOARDD:-$REPO/.build/release/switchboardd}"   # SWITCHBOARDD=path: another build
[ -x "$DAEMON" ] || ( cd "$REPO" && swift build -c release --product switchboardd ) || exit 1
CLI="$(dirname "$DAEMON")/switchboard"
if [ "$LEGS" = yes ] && [ ! -x "$CLI" ]; then ( cd "$REPO" && swift build -c release --product switchboard ) || exit 1; fi
ulimit -n 65536 2>/dev/null || true

WORK="$(mktemp -d /tmp/calls-mem.XXXXXX)"
PIDS=()
cleanup() {
  local p
  for p in "${PIDS[@]}"; do kill -TERM "$p" 2>/dev/null; done
  for p in "${PIDS[@]}"; do
    for _ in $(seq 1 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$p" 2>/dev/null
  done
  PIDS=()
  bench_pg_stop
  rm -rf "$WORK"
}
. "$HERE/lib/pg.sh"
trap cleanup EXIT
trap 'exit 130' INT TERM

"$HERE/make-dialplans.sh" "$WORK" "$PORT" || exit 1
if [ "$LEGS" = yes ]; then
  DBURL="postgresql://postgres@127.0.0.1:$PGPORT/switchboard"
  bench_pg_start "$OUT" || exit 1
  [ -n "$("${PSQL[@]}" -c "select 1 from pg_database where datname='switchboard'")" ] ||
    "${PSQL[@]}" -c "create database switchboard" || exit 1
  "$CLI" migrate --database "$DBURL" > "$OUT/migrate.log" 2>&1 || { echo "migrate failed, see $OUT/migrate.log" >&2; exit 1; }
  "${PSQL[@]}" -d switchboard -c "truncate call_legs, calls cascade" || exit 1
  printf 'journal: %s\ndatabase: "%s"\n' "$WORK/journal" "$DBURL" >> "$WORK/single.yaml"
fi
for port in $PORT 5080 5090; do
  ss -Hlun "sport = :$port" | grep -q . && { echo "UDP port $port in use" >&2; exit 3; }
done
"$DAEMON" --config "$WORK/single.yaml" > "$OUT/switchboardd.log" 2>&1 &
DPID=$!; PIDS+=($DPID)
for _ in $(seq 1 100); do ss -Hlun "sport = :$PORT" | grep -q 127.0.0.1 && break; sleep 0.1; done
kill -0 $DPID 2>/dev/null || { echo "switchboardd failed" >&2; cat "$OUT/switchboardd.log" >&2; exit 1; }

LIMIT=$(( N + 1000 ))
TMO=$(( RAMP + HOLD / 1000 + 60 ))
( cd "$OUT" && exec timeout -s TERM $(( TMO + 30 )) sipp -sf "$HERE/sipp/uas_rr.xml" -i 127.0.0.1 -p 5080 -t u1 \
    -nostdin -buff_size 4194304 -l $(( LIMIT * 2 )) -max_socket 65000 \
    -trace_stat -stf uas_stat.csv -fd 1 > uas.out 2>&1 ) &
PIDS+=($!)
sleep 1
rss() { awk '/^VmRSS/{print $2}' "/proc/$DPID/status"; }
IDLE=$(rss)
( cd "$OUT" && exec timeout -s TERM $(( TMO + 15 )) sipp "127.0.0.1:$PORT" -sf "$HERE/sipp/uac_rr.xml" \
    -inf "$HERE/sipp/numbers.csv" -i 127.0.0.1 -p 5090 -t u1 -nostdin -buff_size 4194304 \
    -m "$N" -r "$RATE" -l "$LIMIT" -d "$HOLD" -timeout "${TMO}s" -timeout_error \
    -trace_stat -stf uac_stat.csv -fd 1 -trace_err -error_file uac_err.log \
    > uac.out 2>&1 ) &
UAC=$!; PIDS+=($UAC)
# sample RSS every second while the UAC runs
PEAK=0 PLATEAU= T0=$(date +%s)
echo "t_s rss_kib uac_current_calls" > "$OUT/rss.txt"
while kill -0 $UAC 2>/dev/null; do
  el=$(( $(date +%s) - T0 ))
  r=$(rss); [ -n "$r" ] || break
  [ "$r" -gt "$PEAK" ] && PEAK=$r
  echo "$el $r" >> "$OUT/rss.txt"
  # plateau: all N calls set up (ramp over) and before the first BYE
  if [ -z "$PLATEAU" ] && [ $el -ge $(( RAMP + 10 )) ]; then
    PLATEAU=$r
    CUR=$(python3 - "$OUT/uac_stat.csv" <<'EOF'
import sys
rows=[l.strip().rstrip(';').split(';') for l in open(sys.argv[1]) if l.strip()]
h=rows[0]; last=dict(zip(h, rows[-1]))
print(last.get("CurrentCall","?"), last.get("SuccessfulCall(C)","?"), last.get("FailedCall(C)","?"))
EOF
)
    echo "plateau at ${el}s: rss=${r} KiB, uac current/successful/failed calls: $CUR" | tee -a "$OUT/rss.txt"
    sleep 3
    cp "/proc/$DPID/status" "$OUT/status_plateau.txt"
    cp "/proc/$DPID/smaps_rollup" "$OUT/smaps_rollup_plateau.txt" 2>/dev/null
  fi
  sleep 1
done
wait $UAC; RC=$?
CPU_S=$(awk -v hz="$(getconf CLK_TCK)" '{printf "%.2f", ($14+$15)/hz}' "/proc/$DPID/stat")
FINAL=$(python3 - "$OUT/uac_stat.csv" <<'EOF'
import sys
rows=[l.strip().rstrip(';').split(';') for l in open(sys.argv[1]) if l.strip()]
h=rows[0]; last=dict(zip(h, rows[-1]))
print(last.get("SuccessfulCall(C)","?"), last.get("FailedCall(C)","?"))
EOF
)
read -r OK FAILED <<< "$FINAL"
LEGROWS=-
if [ "$LEGS" = yes ]; then   # the writer may still be draining: wait until the count settles
  prev=-1
  for _ in $(seq 1 60); do
    LEGROWS=$("${PSQL[@]}" -d switchboard -c "select count(*) from call_legs" 2>/dev/null || echo 0)
    [ "$LEGROWS" = "$prev" ] && break; prev=$LEGROWS; sleep 1
  done
fi
read -r CUR_CALLS _ _ <<< "${CUR:-? ? ?}"
python3 - <<EOF | tee "$OUT/mem.txt"
idle, plat, peak = $IDLE, ${PLATEAU:-0}, $PEAK
est = "$CUR_CALLS"
n = int(est) if est.isdigit() and int(est) > 0 else $N
print("MEM calls=$N rate=$RATE hold_ms=$HOLD rss_idle_mib=%.1f rss_plateau_mib=%.1f rss_peak_mib=%.1f per_call_kib=%.1f established_at_plateau=%s successful=$OK failed=$FAILED leg_records=$LEGS legs_in_db=$LEGROWS cpu_s=$CPU_S uac_rc=$RC dir=$OUT" % (
    idle / 1024, plat / 1024, peak / 1024, (plat - idle) / n, est))
EOF
