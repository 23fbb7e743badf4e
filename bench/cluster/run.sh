#!/usr/bin/env bash
# Several switchboardd nodes behind Kamailio's dispatcher, sharing one PostgreSQL that
# fails over to a streaming-replication standby (issue 17 items 4 and 5).
#
#   bench/cluster/run.sh [-n 3] [-r 40] [-t 20] [-d 2000] [-f yes|no] [-o DIR] [-b]
#
#   -n nodes     switchboardd nodes, 2 or 3, on 127.0.0.2, .3, .4 (UDP :5062 each)
#   -r rate      calls/s offered to the dispatcher in each phase (default 40)
#   -t seconds   load per phase (default 20; calls = rate * t)
#   -d ms        hold time between ACK and BYE (default 2000)
#   -f yes|no    phase 2, PostgreSQL failover (default yes): a primary and a
#                `pg_basebackup -R` standby; the primary is stopped (fast shutdown)
#                mid-load and the standby promoted (pg_ctl promote)
#   -o dir       output directory (default a new dir under $BENCH_OUT or /tmp)
#   -b           (re)build the release binaries first ($SWITCHBOARDD overrides the daemon)
#
# Phase 1: SIPp calls through Kamailio (127.0.0.1:5075, dispatcher round-robin, OPTIONS
# probing every second) to the nodes; a third of the way in the last node is killed
# (kill -9) and restarted on the same journal 5 s later.
# Phase 2 (-f yes): the same load; half way in the primary stops and the standby is
# promoted; the daemons' database is a multi-host URL with target_session_attrs=read-write.
# Then `switchboard billing close --config node-N.yaml` runs on every node at once.
# The report (lib/check.py): legs per node, the calls routed around the dead node, every
# call whose BYE was answered has both legs exactly once, the close rated each leg once.
#
# Everything is on loopback, every load is bounded (-m, -timeout, `timeout`), and only
# processes started here are signalled, by PID (Kamailio's children too, SIGKILL after a
# short SIGTERM grace). PostgreSQL clusters live in a temp dir under /var/tmp, removed at exit.
set -u
HERE="$(cd "$(dirname "$0")" && pwd)"
REPO="$(cd "$HERE/../.." && pwd)"
NODES=3 RATE=40 DUR=20 HOLD=2000 FAILOVER=yes OUT= BUILD=
while getopts "n:r:t:d:f:o:bh" o; do
  case "$o" in
    n) NODES="$OPTARG";; r) RATE="$OPTARG";; t) DUR="$OPTARG";; d) HOLD="$OPTARG";;
    f) FAILOVER="$OPTARG";; o) OUT="$OPTARG";; b) BUILD=1;;
    *) sed -n "2,$(( $(grep -n '^set -u' "$0" | cut -d: -f1) - 1 ))p" "$0"; exit 2;;
  esac
done
case "$NODES" in 2|3) ;; *) echo "-n must be 2 or 3" >&2; exit 2;; esac
[ -n "$OUT" ] || OUT="$(mktemp -d "${BENCH_OUT:-/tmp}/cluster.XXXXXX")"
mkdir -p "$OUT"
SIPP_PORT=5075 KAM_PORT=5076 CALLEE_PORT=5091 NODE_PORT=5062 PG1=55452 PG2=55453
PGBIN=/usr/lib/postgresql/15/bin
for t in kamailio sipp psql "$PGBIN/pg_basebackup"; do
  command -v "$t" >/dev/null || { echo "missing $t (scripts/setup-debian installs it)" >&2; exit 1; }
done

DAEMON="${SWITCHBOARDD:-$REPO/.build/release/switchboardd}"
CLI="$(dirname "$DAEMON")/switchboard"
if [ -n "$BUILD" ] || [ ! -x "$DAEMON" ] || [ ! -x "$CLI" ]; then
  ( cd "$REPO" && swift build -c release --product switchboardd && swift build -c release --product switchboard ) ||
    { echo "build failed" >&2; exit 1; }
fi

WORK="$(mktemp -d /tmp/cluster-run.XXXXXX)"
PGROOT="$(mktemp -d /var/tmp/cluster-pg.XXXXXX)"
chown postgres:postgres "$PGROOT"
declare -a NODE_PID=()
KAM_PID= KAM_CHILDREN= CALLEE_PID= CALLER_PID=
as_pg() { setpriv --reuid=postgres --regid=postgres --init-groups -- "$@"; }
pg_pid() { head -1 "$PGROOT/$1/postmaster.pid" 2>/dev/null; }
stop_pid() { # pid [grace tenths]
  [ -n "$1" ] || return 0
  kill -TERM "$1" 2>/dev/null
  for _ in $(seq 1 "${2:-50}"); do kill -0 "$1" 2>/dev/null || break; sleep 0.1; done
  kill -KILL "$1" 2>/dev/null
  wait "$1" 2>/dev/null
}
stop_pg() { # name: fast shutdown (SIGINT) of a cluster we started, by its postmaster PID
  local p; p="$(pg_pid "$1")"
  [ -n "$p" ] || return 0
  kill -INT "$p" 2>/dev/null
  for _ in $(seq 1 150); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
  kill -KILL "$p" 2>/dev/null
}
cleanup() {
  set +e
  stop_pid "$CALLER_PID" 30; stop_pid "$CALLEE_PID" 30
  for p in "${NODE_PID[@]}"; do stop_pid "$p"; done
  if [ -n "$KAM_PID" ]; then   # Kamailio has ignored SIGTERM before: SIGKILL it and its children
    KAM_CHILDREN="$KAM_CHILDREN $(ps -o pid= --ppid "$KAM_PID" 2>/dev/null | tr '\n' ' ')"
    stop_pid "$KAM_PID" 30
    for p in $KAM_CHILDREN; do [ "$(cat /proc/$p/comm 2>/dev/null)" = kamailio ] && kill -KILL "$p" 2>/dev/null; done
  fi
  stop_pg standby; stop_pg primary
  for f in "$PGROOT"/*.log; do [ -e "$f" ] && cp "$f" "$OUT/pg-$(basename "$f")"; done
  rm -rf "$WORK" "$PGROOT"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
log() { echo "$(date +%T) $*" | tee -a "$OUT/run.log"; }

for a in "127.0.0.1:$SIPP_PORT" "127.0.0.1:$KAM_PORT" "127.0.0.1:$CALLEE_PORT"; do
  ss -Hlun "sport = :${a##*:}" | awk '{print $4}' | grep -qE "^(127\.0\.0\.1|0\.0\.0\.0|\*):${a##*:}$" &&
    { echo "UDP port ${a##*:} already in use" >&2; exit 1; }
done

# --- PostgreSQL: primary (and standby) ------------------------------------------
start_pg() { # name port
  # the log in PGROOT (written by postgres), copied to OUT at exit
  ( cd / && as_pg "$PGBIN/pg_ctl" -D "$PGROOT/$1" -l "$PGROOT/$1.log" -w -t 60 start \
      -o "-p $2 -c listen_addresses=127.0.0.1 -c unix_socket_directories=$PGROOT/$1" ) > /dev/null ||
    { echo "postgres $1 did not start" >&2; tail "$PGROOT/$1.log" >&2; exit 1; }
}
as_pg "$PGBIN/initdb" -D "$PGROOT/primary" -U postgres --auth=trust -E UTF8 --no-instructions > "$OUT/initdb.log" 2>&1 ||
  { echo "initdb failed" >&2; exit 1; }
start_pg primary "$PG1"
psql -X -q -h 127.0.0.1 -p "$PG1" -U postgres -c "create database switchboard" || exit 1
DBURL="postgresql://postgres@127.0.0.1:$PG1/switchboard"
"$CLI" migrate --database "$DBURL" > "$OUT/migrate.log" 2>&1 || { echo "migrate failed" >&2; exit 1; }
"$CLI" accounts create bench --timezone America/Chicago --plan pay-as-you-go \
  --start "$(date -u -d '-2 days' +%Y-%m-%dT%H:%M:%SZ)" --database "$DBURL" > "$OUT/account.log" 2>&1 ||
  { echo "account create failed, see $OUT/account.log" >&2; exit 1; }
if [ "$FAILOVER" = yes ]; then
  as_pg "$PGBIN/pg_basebackup" -h 127.0.0.1 -p "$PG1" -U postgres -D "$PGROOT/standby" -R -X stream -c fast \
    > "$OUT/basebackup.log" 2>&1 || { echo "pg_basebackup failed" >&2; exit 1; }
  start_pg standby "$PG2"
  DBURL="postgresql://postgres@127.0.0.1:$PG1,127.0.0.1:$PG2/switchboard?target_session_attrs=read-write"
fi
PSQL=(psql -X -q -t -A -d "$DBURL")

# --- dialplan, nodes ---------------------------------------------------------------
mkdir -p "$WORK/dialplans"
nums=$(tail -n +2 "$REPO/bench/calls/sipp/numbers.csv" | sed 's/^+//; s/^/+/' | sort -u | sed 's/.*/"&"/' | paste -sd, -)
cat > "$WORK/dialplans/bench.yaml" <<YAML
account: bench
timezone: America/Chicago
caller-id: caller
pools:
  bench: { numbers: [$nums], plan: main, source: bench }
plans:
  main:
    ring-all: { targets: ["sip:callee@127.0.0.1:$CALLEE_PORT"], timeout: 30s }
YAML
node_addr() { echo "127.0.0.$(( $1 + 1 ))"; }
: > "$WORK/dispatcher.list"
for i in $(seq 1 "$NODES"); do
  cat > "$WORK/node-$i.yaml" <<YAML
listen: ["udp:$(node_addr "$i"):$NODE_PORT"]
trusted-networks: ["127.0.0.0/8"]
dialplans: $WORK/dialplans
log-level: warning
default-region: US
node-id: node-$i
journal: $WORK/journal-node-$i
database: "$DBURL"
calls: { max-concurrent: 100000, max-per-number: 100000, max-per-second-per-source: 100000, max-duration: 1h }
security: { trusted-flood: { requests: 1000000, window: 1s } }
YAML
  echo "1 sip:$(node_addr "$i"):$NODE_PORT" >> "$WORK/dispatcher.list"
done
start_node() { # i
  local a; a="$(node_addr "$1")"
  ss -Hlun "sport = :$NODE_PORT" | awk '{print $4}' | grep -qx "$a:$NODE_PORT" && { echo "$a:$NODE_PORT in use" >&2; exit 1; }
  "$DAEMON" --config "$WORK/node-$1.yaml" >> "$OUT/node-$1.log" 2>&1 &
  NODE_PID[$1]=$!
  for _ in $(seq 1 100); do
    ss -Hlun "sport = :$NODE_PORT" | awk '{print $4}' | grep -qx "$a:$NODE_PORT" && return 0
    kill -0 "${NODE_PID[$1]}" 2>/dev/null || break; sleep 0.1
  done
  echo "node $1 failed to start:" >&2; tail "$OUT/node-$1.log" >&2; exit 1
}
for i in $(seq 1 "$NODES"); do start_node "$i"; done

# --- Kamailio dispatcher -----------------------------------------------------------
kamailio -f "$HERE/kamailio-dispatcher.cfg" -DD -E -Y "$WORK" -P "$WORK/kamailio.pid" -m 256 -M 16 \
  -A "LISTEN=udp:127.0.0.1:$KAM_PORT" -A "DSLIST=\"$WORK/dispatcher.list\"" -A CHILDREN=4 \
  > "$OUT/kamailio.log" 2>&1 &
KAM_PID=$!
for _ in $(seq 1 50); do ss -Hlun "sport = :$KAM_PORT" | grep -q 127.0.0.1 && break; sleep 0.1; done
sleep 0.5
kill -0 "$KAM_PID" 2>/dev/null || { echo "kamailio failed:" >&2; tail "$OUT/kamailio.log" >&2; exit 1; }
KAM_CHILDREN="$(ps -o pid= --ppid "$KAM_PID" | tr '\n' ' ')"
sleep 2   # first OPTIONS round: every node active

# --- callee, callers ---------------------------------------------------------------
CALLS=$(( RATE * DUR ))
( cd "$OUT" && exec timeout -s KILL $(( 4 * DUR + 120 )) sipp -sf "$REPO/bench/calls/sipp/uas_rr.xml" \
    -i 127.0.0.1 -p "$CALLEE_PORT" -cp 0 -mp 6100 -t u1 -nostdin -trace_stat -stf callee_stat.csv -fd 1 > callee.out 2>&1 ) &
CALLEE_PID=$!
sleep 1
kill -0 "$CALLEE_PID" 2>/dev/null || { echo "callee failed to start:" >&2; tail "$OUT/callee.out" >&2; exit 1; }
start_caller() { # phase
  ( cd "$OUT" && exec timeout -s TERM $(( DUR + HOLD / 1000 + 60 )) sipp "127.0.0.1:$KAM_PORT" \
      -sf "$REPO/bench/calls/sipp/uac_rr.xml" -inf "$REPO/bench/calls/sipp/numbers.csv" \
      -i 127.0.0.1 -p "$SIPP_PORT" -cp 0 -mp 6200 -t u1 -nostdin -r "$RATE" -m "$CALLS" -d "$HOLD" \
      -l $(( RATE * (HOLD / 1000 + 3) + 50 )) -timeout $(( DUR + HOLD / 1000 + 40 ))s \
      -trace_msg -message_file "caller-$1.msg" -trace_stat -stf "caller-$1_stat.csv" -fd 1 \
      -trace_screen -screen_file "caller-$1.screen" > "caller-$1.out" 2>&1 ) &
  CALLER_PID=$!
}
wait_caller() { wait "$CALLER_PID"; local rc=$?; CALLER_PID=; return $rc; }
# Until the writers are done: ended legs stop growing and none is open (bounded).
settle() {
  local prev=-1 now
  for _ in $(seq 1 90); do
    now=$("${PSQL[@]}" -c "select count(*) || '/' || count(*) filter (where ended_at is null) from call_legs" 2>/dev/null)
    [ "$now" = "$prev" ] && [ "${now#*/}" = 0 ] && return 0
    prev=$now; sleep 1
  done
  echo "legs did not settle: $now" >&2
}

KILLED=$NODES
log "phase 1: $CALLS calls at $RATE/s over $NODES nodes; node $KILLED is killed at $(( DUR / 3 )) s"
start_caller 1
sleep $(( DUR / 3 ))
log "kill -9 node $KILLED (pid ${NODE_PID[$KILLED]})"
kill -KILL "${NODE_PID[$KILLED]}"; wait "${NODE_PID[$KILLED]}" 2>/dev/null; NODE_PID[$KILLED]=
date +%s.%N > "$OUT/kill.at"   # after it: a call sent later cannot have reached the node alive
sleep 5
log "restart node $KILLED on its journal"
date +%s.%N > "$OUT/restart.at"
start_node "$KILLED"
wait_caller; log "phase 1 caller exit $?"
settle
"${PSQL[@]}" -c "select node, count(*) from call_legs group by node order by node" > "$OUT/phase1-nodes.txt"

if [ "$FAILOVER" = yes ]; then
  log "phase 2: $CALLS calls; the primary stops at $(( DUR / 2 )) s and the standby is promoted"
  start_caller 2
  sleep $(( DUR / 2 ))
  log "fast shutdown of the primary (pid $(pg_pid primary))"
  stop_pg primary
  sleep 1
  ( cd / && as_pg "$PGBIN/pg_ctl" -D "$PGROOT/standby" -w -t 60 promote ) >> "$OUT/run.log" 2>&1
  log "standby promoted"
  wait_caller; log "phase 2 caller exit $?"
  settle
fi

log "billing close on every node at once"
AT="$(date -u -d '+2 days' +%Y-%m-%dT%H:%M:%SZ)"
CPIDS=()
for i in $(seq 1 "$NODES"); do
  timeout -s KILL 300 "$CLI" billing close --config "$WORK/node-$i.yaml" --at "$AT" > "$OUT/close-$i.out" 2>&1 &
  CPIDS+=($!)
done
for p in "${CPIDS[@]}"; do wait "$p"; done
for i in $(seq 1 "$NODES"); do log "close from node $i: $(cat "$OUT/close-$i.out")"; done

for i in $(seq 1 "$NODES"); do
  grep -E "error|critical" "$OUT/node-$i.log" | grep -vc "PostgreSQL failed; retrying" | sed "s/^/node $i other errors: /" >> "$OUT/run.log"
done
python3 "$HERE/lib/check.py" --out "$OUT" --database "$DBURL" --nodes "$NODES" --killed "$KILLED" \
  --hold-ms "$HOLD" --phases "$([ "$FAILOVER" = yes ] && echo 2 || echo 1)" | tee "$OUT/report.md"
exit "${PIPESTATUS[0]}"
