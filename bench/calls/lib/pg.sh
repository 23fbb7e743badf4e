# shellcheck shell=bash
# The benchmarks' private PostgreSQL 15 cluster, sourced by run.sh and run-kamailio.sh:
# $BENCH_PGDATA (default /var/tmp/bench-pg) on 127.0.0.1:$BENCH_PGPORT (default 55432),
# trust auth, default durability (fsync=on, synchronous_commit=on), as in production.
#   bench_pg_start LOGDIR   initdb if needed, start unless already up (then reused and
#                           left running); sets BENCH_PG_PID only when started here
#   bench_pg_stop           fast shutdown of a cluster started here, by PID
#   bench_pg_tree           PID of the postmaster (for the harness's db CPU%)
PGBIN=/usr/lib/postgresql/15/bin
PGDATA="${BENCH_PGDATA:-/var/tmp/bench-pg}"
PGPORT="${BENCH_PGPORT:-55432}"
PSQL=(psql -X -q -t -A -h 127.0.0.1 -p "$PGPORT" -U postgres)
BENCH_PG_PID=

as_pg() { setpriv --reuid=postgres --regid=postgres --init-groups -- "$@"; }

bench_pg_start() { # logdir
  if [ ! -s "$PGDATA/PG_VERSION" ]; then
    mkdir -p "$PGDATA" && chown postgres:postgres "$PGDATA" && chmod 700 "$PGDATA"
    as_pg "$PGBIN/initdb" -D "$PGDATA" -U postgres --auth=trust -E UTF8 \
      --no-instructions > "$1/initdb.log" 2>&1 || { echo "initdb failed" >&2; return 1; }
  fi
  if "$PGBIN/pg_isready" -q -h 127.0.0.1 -p "$PGPORT"; then
    echo "postgres already running on $PGPORT, reusing it" >&2
    return 0
  fi
  ( cd / && exec setpriv --reuid=postgres --regid=postgres --init-groups -- \
      "$PGBIN/postgres" -D "$PGDATA" -p "$PGPORT" -c listen_addresses=127.0.0.1 \
      -c unix_socket_directories="$PGDATA" -c max_connections=100 \
      -c logging_collector=off ) > "$1/postgres.log" 2>&1 &
  BENCH_PG_PID=$!
  for _ in $(seq 1 100); do
    "$PGBIN/pg_isready" -q -h 127.0.0.1 -p "$PGPORT" && break; sleep 0.1
  done
  "$PGBIN/pg_isready" -q -h 127.0.0.1 -p "$PGPORT" || { echo "postgres did not start" >&2; return 1; }
}

bench_pg_stop() {
  [ -n "$BENCH_PG_PID" ] || return 0
  kill -INT "$BENCH_PG_PID" 2>/dev/null       # postgres "fast" shutdown
  for _ in $(seq 1 150); do kill -0 "$BENCH_PG_PID" 2>/dev/null || break; sleep 0.1; done
  kill -KILL "$BENCH_PG_PID" 2>/dev/null
  BENCH_PG_PID=
}

bench_pg_tree() { head -1 "$PGDATA/postmaster.pid"; }
