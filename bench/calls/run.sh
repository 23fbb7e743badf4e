#!/usr/bin/env bash
# Side-by-side call benchmark: switchboardd (release) against Kamailio 5.6 as a
# stateful proxy, same SIPp traffic, same machine, in the same run.
#
#   bench/calls/run.sh [-v "single fork"] [-s "500 1000 ..."] [-t 20] [-d 1000]
#                      [-k yes|no] [-a "none sync"] [-L yes|no] [-c 4] [-o DIR] [-b]
#
#   -v topologies  single : the tracking number rings one target (:5080, answers)
#                  fork   : ring-all of :5080 (answers after -R 100 ms) and :5081
#                           (rings until CANCELled)            (default: both)
#   -s rates       calls/s steps, ascending (default "250 500 1000 1500 2000 2500 3000")
#   -t seconds     load per step (default 20; calls = rate * t)
#   -d ms          hold time between ACK and BYE (default 1000)
#   -k yes|no      also run Kamailio at each step (default yes; installed with apt if missing)
#   -a modes       Kamailio acc modes to run, each a system of its own (default
#                  "none sync"): none = no accounting, sync|async = acc rows to
#                  PostgreSQL (run-kamailio.sh -a); "kam" and "kamacc" in reports
#   -L yes|no      our leg records on (default yes, as in production): the leg
#                  journal on disk and its PostgreSQL writer, into the same
#                  private cluster Kamailio's acc uses; a run passes only when
#                  every leg of every call is in call_legs when it ends
#   -c N           Kamailio UDP worker processes (default 4, as in the shared anchor)
#   -p port        switchboardd's UDP port (default 5062)
#   -o dir         output directory (default a new dir under $BENCH_OUT or /tmp)
#   -b             (re)build the release daemon first
#   -B binary      also run this switchboardd binary (e.g. a copy of the build
#                  before a change) at every step: "base" rows, before/after
#                  measured in the same conditions
#
# For each topology, rates are stepped up; each system stops at the second
# failing run (one retry per rate, the machine is shared and noisy).  A step
# "passes" as in lib/summarize.py: every call completed, none failed or left
# open, retransmissions <= 0.1 %, achieved rate >= 95 % of target, INVITE->180
# p99 <= 100 ms (+ ring time).
#
# Per run it reports INVITE->first 180 latency p50/p99 (SIPp rtd 1, whole ms),
# the system's CPU% over the steady window (from /proc/PID/stat, children
# included) and CPU per call = CPU seconds / calls set up in that window.
#
# Everything stays on 127.0.0.1, every load is bounded (-m, -timeout,
# `timeout`), and only processes started here are signalled, by PID.
set -u
HERE="$(cd "$(dirname "$0")" && pwd)"
REPO="$(cd "$HERE/../.." && pwd)"
TOPOS="single fork" RATES="250 500 1000 1500 2000 2500 3000" DUR=20 HOLD=1000
KAM=yes ACCS="none sync" LEGS=yes CHILDREN=4 PORT=5062 OUT= BUILD= BASE=
while getopts "v:s:t:d:k:a:L:c:p:o:B:bh" o; do
  case "$o" in
    v) TOPOS="$OPTARG";; s) RATES="$OPTARG";; t) DUR="$OPTARG";; d) HOLD="$OPTARG";;
    k) KAM="$OPTARG";; a) ACCS="$OPTARG";; L) LEGS="$OPTARG";; c) CHILDREN="$OPTARG";; p) PORT="$OPTARG";; o) OUT="$OPTARG";; b) BUILD=1;; B) BASE="$OPTARG";;
    *) sed -n "2,$(( $(grep -n '^set -u' "$0" | cut -d: -f1) - 1 ))p" "$0"; exit 2;;
  esac
done
[ -n "$OUT" ] || OUT="$(mktemp -d "${BENCH_OUT:-/tmp}/calls.XXXXXX")"
mkdir -p "$OUT"
export RESULTS_TSV="$OUT/results.tsv"

# --- tools -------------------------------------------------------------------
need_pkgs=()
command -v sipp >/dev/null || need_pkgs+=(sip-tester)
command -v sar >/dev/null || need_pkgs+=(sysstat)
[ "$KAM" = yes ] && ! command -v kamailio >/dev/null && need_pkgs+=(kamailio)
[ "$KAM" = yes ] && [ "$ACCS" != none ] && [ ! -e /usr/lib/x86_64-linux-gnu/kamailio/modules/db_postgres.so ] &&
  need_pkgs+=(kamailio-postgres-modules)
{ [ "$LEGS" = yes ] || [ "$ACCS" != none ]; } && [ ! -x /usr/lib/postgresql/15/bin/postgres ] && need_pkgs+=(postgresql)
if [ ${#need_pkgs[@]} -gt 0 ]; then
  echo "installing ${need_pkgs[*]} (apt)" >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y "${need_pkgs[@]}" > "$OUT/apt.log" 2>&1 ||
    { echo "apt-get install failed, see $OUT/apt.log" >&2; [ "$KAM" = yes ] && ! command -v kamailio >/dev/null && KAM=no; }
fi

DAEMON="${SWITCHBOARDD:-$REPO/.build/release/switchboardd}"
CLI="$(dirname "$DAEMON")/switchboard"
if [ -n "$BUILD" ] || [ ! -x "$DAEMON" ] || { [ "$LEGS" = yes ] && [ ! -x "$CLI" ]; }; then
  ( cd "$REPO" && swift build -c release --product switchboardd && swift build -c release --product switchboard ) ||
    { echo "build failed" >&2; exit 1; }
fi

# --- config and dialplans (temporary) ------------------------------------------
WORK="$(mktemp -d /tmp/calls-bench.XXXXXX)"
DPID=
stop_daemon() {
  [ -n "$DPID" ] || return 0
  kill -TERM "$DPID" 2>/dev/null
  for _ in $(seq 1 50); do kill -0 "$DPID" 2>/dev/null || break; sleep 0.1; done
  kill -KILL "$DPID" 2>/dev/null
  wait "$DPID" 2>/dev/null
  DPID=
}
. "$HERE/lib/pg.sh"
cleanup() { stop_daemon; bench_pg_stop; rm -rf "$WORK"; }
trap cleanup EXIT
trap 'exit 130' INT TERM

"$HERE/make-dialplans.sh" "$WORK" "$PORT" || exit 1

# Our leg records: one database for the whole run (migrated once, emptied before each
# run), a fresh journal directory per run. Kamailio's acc runs reuse the same cluster.
DBURL="postgresql://postgres@127.0.0.1:$PGPORT/switchboard"
if [ "$LEGS" = yes ] || { [ "$KAM" = yes ] && [ "$ACCS" != none ]; }; then
  bench_pg_start "$OUT" || exit 1
fi
if [ "$LEGS" = yes ]; then
  [ -n "$("${PSQL[@]}" -c "select 1 from pg_database where datname='switchboard'")" ] ||
    "${PSQL[@]}" -c "create database switchboard" || exit 1
  "$CLI" migrate --database "$DBURL" > "$OUT/migrate.log" 2>&1 || { echo "migrate failed, see $OUT/migrate.log" >&2; exit 1; }
  for topo in single fork; do
    printf 'journal: %s\ndatabase: "%s"\n' "$WORK/journal-$topo" "$DBURL" >> "$WORK/$topo.yaml"
  done
fi
legs_per_call() { case "$1" in single) echo 2;; fork) echo 3;; esac; } # inbound + each outbound leg
leg_rows() { "${PSQL[@]}" -d switchboard -c "select count(*) from call_legs" 2>/dev/null || echo 0; }

start_daemon() { # topology logfile [binary]
  if ss -Hlun "sport = :$PORT" | grep -q .; then
    echo "UDP port $PORT already in use" >&2; ss -Hlunp "sport = :$PORT" >&2; return 1
  fi
  "${3:-$DAEMON}" --config "$WORK/$1.yaml" > "$2" 2>&1 &
  DPID=$!
  for _ in $(seq 1 100); do
    ss -Hlun "sport = :$PORT" | grep -q 127.0.0.1 && break
    kill -0 "$DPID" 2>/dev/null || break
    sleep 0.1
  done
  kill -0 "$DPID" 2>/dev/null || { echo "switchboardd failed:" >&2; tail "$2" >&2; DPID=; return 1; }
}

HZ=$(getconf CLK_TCK)
ticks_of() { awk '{print $14+$15}' "/proc/$1/stat" 2>/dev/null || echo 0; }

run_ours() { # topo rate tag [binary name]
  local d="$OUT/${5:-ours}-$1-r$2-$3" t0 t1 rss
  mkdir -p "$d"
  local dbargs=() prev rows
  if [ "$LEGS" = yes ]; then
    rm -rf "$WORK/journal-$1"
    "${PSQL[@]}" -d switchboard -c "truncate call_legs, calls cascade" || return 1
    dbargs=(-Q "$(bench_pg_tree)")
  fi
  start_daemon "$1" "$d/switchboardd.log" "${4:-$DAEMON}" || return 1
  t0=$(ticks_of "$DPID")
  NO_SUMMARY=1 "$HERE/run-load.sh" -T "127.0.0.1:$PORT" -v "$1" -r "$2" -t "$DUR" -d "$HOLD" \
    -P "$DPID" "${dbargs[@]}" -o "$d" -n "${5:-ours}-$1" > "$d/run.log" 2>&1
  t1=$(ticks_of "$DPID")
  rss=$(awk '/^VmHWM/{print $2}' "/proc/$DPID/status" 2>/dev/null)
  if [ "$LEGS" = yes ]; then   # the writer may still be draining the journal: wait for it
    prev=-1 rows=0
    for _ in $(seq 1 60); do rows=$(leg_rows); [ "$rows" = "$prev" ] && break; prev=$rows; sleep 1; done
    { echo "acc=legs"; echo "acc_rows=$rows"; echo "acc_legs=$(legs_per_call "$1")"; } >> "$d/meta.env"
  fi
  stop_daemon
  { echo "sut_cpu_total_s=$(python3 -c "print(($t1 - $t0) / $HZ)")"; echo "sut_vmhwm_kib=${rss:-}"; } >> "$d/meta.env"
  python3 "$HERE/lib/summarize.py" "$d" | tee -a "$d/run.log" | grep '^RESULT' | tail -1
}

run_base() { run_ours "$1" "$2" "$3" "$BASE" base; }

run_kam() { # topo rate tag [acc mode]
  local acc="${4:-none}" d
  d="$OUT/$([ "$acc" = none ] && echo kam || echo kamacc)-$1-r$2-$3"
  "$HERE/run-kamailio.sh" -v "$1" -c "$CHILDREN" -a "$acc" -r "$2" -t "$DUR" -d "$HOLD" -o "$d" > "$d.log" 2>&1
  grep '^RESULT' "$d.log" | tail -1
}
KAMACC=$(echo "$ACCS" | tr ' ' '\n' | grep -v '^none$' | head -1)
run_kamacc() { run_kam "$1" "$2" "$3" "$KAMACC"; }

passed() { echo "$1" | grep -q 'pass=True'; }

# one run (and one retry on failure) -> prints RESULT, returns 0 on pass
attempt() { # system topo rate
  local res
  for tag in 1 2; do
    res=$("run_$1" "$2" "$3" "$tag")
    echo "   $1 $2 r=$3 #$tag: $(echo "$res" | tr ' ' '\n' | grep -E '^(achieved_cps|failed|uas_open|retrans_pct|setup_p50_ms|setup_p99_ms|sut_cpu_pct|db_cpu_pct|acc_rows|acc_rows_expected|other_cpu_pct|pass)=' | tr '\n' ' ')"
    passed "$res" && return 0
  done
  return 1
}

echo "output: $OUT   (load before: $(cut -d' ' -f1-3 /proc/loadavg))"
{
  echo "date=$(date -Is)"; echo "host=$(uname -n) $(nproc) cpus"
  echo "switchboardd=$(cd "$REPO" && git rev-parse --short HEAD)$(cd "$REPO" && git diff --quiet HEAD -- Sources || echo +dirty)"
  command -v kamailio >/dev/null && echo "kamailio=$(kamailio -v 2>/dev/null | head -1)"
  echo "sipp=$(sipp -v 2>/dev/null | grep -o 'SIPp v[0-9.]*' | head -1)"
  echo "rates=$RATES duration=$DUR hold=$HOLD children=$CHILDREN"
  echo "leg_records=$LEGS kamailio_acc=$ACCS"
  [ -n "$BASE" ] && echo "base=$BASE"
} > "$OUT/run.env"

for topo in $TOPOS; do
  ours_ok=1 base_ok=$([ -n "$BASE" ] && echo 1 || echo 0)
  kam_ok=$([ "$KAM" = yes ] && echo "$ACCS" | grep -qw none && echo 1 || echo 0)
  kamacc_ok=$([ "$KAM" = yes ] && [ -n "$KAMACC" ] && echo 1 || echo 0)
  for r in $RATES; do
    [ $ours_ok = 1 ] || [ $kam_ok = 1 ] || [ $kamacc_ok = 1 ] || [ $base_ok = 1 ] || break
    echo "== $(date +%T) $topo rate=$r  load $(cut -d' ' -f1 /proc/loadavg)"
    if [ $ours_ok = 1 ]; then attempt ours "$topo" "$r" || ours_ok=0; fi
    if [ $base_ok = 1 ]; then attempt base "$topo" "$r" || base_ok=0; fi
    if [ $kam_ok = 1 ]; then attempt kam "$topo" "$r" || kam_ok=0; fi
    if [ $kamacc_ok = 1 ]; then attempt kamacc "$topo" "$r" || kamacc_ok=0; fi
  done
done

python3 "$HERE/lib/report.py" "$OUT" | tee "$OUT/report.md"
