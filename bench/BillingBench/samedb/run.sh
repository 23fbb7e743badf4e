#!/bin/bash
# run.sh RATE.sql explain|run|commit [db]
sql=$1; mode=$2; db=${3:-bench}
{
cat "$(dirname "$0")/prep.sql"
echo "BEGIN;"
echo "SELECT pg_advisory_xact_lock(1);"
echo "INSERT INTO closes (at, account) VALUES ('2026-11-12T12:00:00Z', NULL) RETURNING close_id \\gset"
echo "SET LOCAL enable_mergejoin = off; SET LOCAL jit = off; SET LOCAL work_mem = '2GB';"
[ -f "$sql.pre" ] && cat "$sql.pre"
echo "PREPARE r(bigint, text[], date[], timestamptz[], timestamptz[], boolean[], timestamptz, bigint, bigint, text[]) AS"
cat $sql; echo ";"
echo "SELECT pg_backend_pid() AS pid \\gset"
echo "\\setenv PID :pid"
echo "\\! awk '{print \"cpu before\", (\$14+\$15)/100}' /proc/\$PID/stat"
echo "\\timing on"
case $mode in
 explain) echo "EXPLAIN (ANALYZE, BUFFERS) EXECUTE r(:close_id, :'a', :'b', :'c', :'e', :'f', '2026-11-12T12:00:00Z', :high, :floor, :'nomarks');" ;;
 *) echo "EXECUTE r(:close_id, :'a', :'b', :'c', :'e', :'f', '2026-11-12T12:00:00Z', :high, :floor, :'nomarks');" ;;
esac
echo "\\! awk '{print \"cpu after\", (\$14+\$15)/100}' /proc/\$PID/stat"
[ -f "$sql.post" ] && cat "$sql.post"
echo "SELECT count(*), sum(micros), sum(rated_seconds), sum(free_seconds), sum(hashtextextended(end_seq || ':' || micros || ':' || business_day || ':' || rated_seconds || ':' || free_seconds || ':' || account, 0)::numeric) FROM leg_ratings;"
echo "SELECT count(*), sum(amount), sum(hashtextextended(account || ':' || business_day || ':' || legs || ':' || billed_seconds || ':' || included_seconds || ':' || included_used_seconds || ':' || amount_micros || ':' || amount || ':' || coalesce(charge_id::text, ''), 0)::numeric) FROM usage_days;"
[ "$mode" = commit ] && echo "COMMIT;" || echo "ROLLBACK;"
} > /tmp/close-last.sql
psql -h 127.0.0.1 -p 55432 -U postgres -d $db -X -q -v ON_ERROR_STOP=1 -f /tmp/close-last.sql
