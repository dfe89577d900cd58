#!/usr/bin/env bash
# Fills one account of a fresh PostgreSQL database in SQL, in minutes instead of the
# hours fill.sh and the recovery scenario take over HTTP (BENCHMARKS.md, issue 16):
# N instances shaped as the `create` scenario makes them (name, user tag u-0 … u-99999,
# one creation every 100 µs), each with the creation profile of one instance created over
# HTTP and, as created instances have, no snapshot yet, 1 % of them stopped (those with
# abs(hashtext(id)) % 100 = 7, as an UPDATE stopped them before); then H (named hist-…) with
# R history rows each, and one (hist-deep) with D. A history-bearing instance gets a
# snapshot at its last row (the template's, written as its server stopped), so that
# activation replays nothing: the rows are made up, not engine output. Creation itself is measured over
# HTTP on top of the result (create-rate.sh). Leaves the server stopped. Loopback only.
#
#   benches/scale/fill-sql.sh [DB=idos_fill] [N=10000000] [H=10000] [R=4900] [D=1000000]
set -euo pipefail
DB="${1:-idos_fill}"; N="${2:-10000000}"; H="${3:-10000}"; R="${4:-4900}"; D="${5:-1000000}"
KEY=idos_sk_bench000000000000000000000000000000000
PG="-h 127.0.0.1 -U postgres"
bin="${CARGO_TARGET_DIR:-target}/release"
URL=http://127.0.0.1:18606
sql() { psql $PG -d "$DB" -v ON_ERROR_STOP=1 -qtA "$@"; }

dropdb $PG --if-exists "$DB"; createdb $PG "$DB"
env IDENTITY_OS_DATABASE__URL="postgres://postgres@127.0.0.1:5432/$DB" \
    IDENTITY_OS_SERVER__BIND=127.0.0.1:18606 IDENTITY_OS_BOOTSTRAP_KEY=$KEY \
    "$bin/identity-os" serve > /tmp/fill-sql-server.log 2>&1 &
pid=$!
until curl -sf -o /dev/null $URL/readyz; do sleep 0.1; done
template=$(curl -sf -H "Authorization: Bearer $KEY" -H 'content-type: application/json' \
    -d '{"name":"template"}' $URL/v1/instances | python3 -c 'import json,sys; print(json.load(sys.stdin)["data"]["id"])')
# One cycle, whose history row the made-up ones copy.
curl -sf -o /dev/null -H "Authorization: Bearer $KEY" -H 'content-type: application/json' \
    -d '{"mode_target":"EXPLORATION","signal_strength":0.6,"confidence":0.9}' \
    $URL/v1/instances/$template/process
kill $pid; wait $pid 2>/dev/null || true # SIGTERM: the template's snapshot is written

# Instances, a million per statement (the count triggers run once per
# statement). Ids are md5-derived: distinct, and random in order as generated ones are.
start_us=$(sql -c "SELECT created_at FROM instances WHERE id = '$template'")
for ((from = 0; from < N; from += 1000000)); do
  to=$(( from + 1000000 < N ? from + 1000000 : N ))
  sql <<SQL
INSERT INTO instances (id, account_id, name, description, user_tag, metadata, cycle_cap,
                       stopped, persona, engine_version, profile, created_at, updated_at,
                       has_tail)
SELECT i.id, t.account_id,
       CASE WHEN n <= $H THEN 'hist-' || n ELSE 'loadtest-' || n END, '', 'u-' || (n % 100000),
       '{}', NULL, n > $H AND abs(hashtext(i.id)) % 100 = 7, NULL, t.engine_version, t.profile,
       $start_us + 100 * (n + 1), $start_us + 100 * (n + 1), FALSE
FROM generate_series($from, $to - 1) AS n
     CROSS JOIN LATERAL (SELECT 'inst_' || substr(md5('i' || n), 1, 16) AS id) i,
     instances t WHERE t.id = '$template';
SQL
  echo "instances: $to"
done

# History: D rows on instance 0 (hist-deep), R on each of the H after it.
now_us=$(sql -c "SELECT (EXTRACT(EPOCH FROM now()) * 1000000)::BIGINT")
rows() { # first-instance last-instance rows-each
  sql <<SQL
INSERT INTO history (instance_id, seq, cycle, mode, signal, confidence, dt, context,
                     observed_at, recorded_at, energy_level, stress_state, stability_index)
SELECT 'inst_' || substr(md5('i' || n), 1, 16), k, k, h.mode, h.signal, h.confidence, h.dt,
       h.context, NULL, $now_us + k, h.energy_level, h.stress_state, h.stability_index
FROM generate_series($1, $2) AS n, generate_series(1, $3) AS k, history h
WHERE h.instance_id = '$template' AND h.seq = 1;
INSERT INTO snapshots (instance_id, id, seq, state, last_cycle_at, energy_level, stress_state,
                       stability_index, written_at)
SELECT 'inst_' || substr(md5('i' || n), 1, 16), 'snap_' || substr(md5('s' || n), 1, 16),
       $3, s.state, s.last_cycle_at, s.energy_level, s.stress_state, s.stability_index,
       s.written_at
FROM generate_series($1, $2) AS n, snapshots s WHERE s.instance_id = '$template';
-- As a passivation leaves them: the snapshot covers the history (migration 0011).
UPDATE instances SET has_tail = FALSE
WHERE id IN (SELECT 'inst_' || substr(md5('i' || n), 1, 16) FROM generate_series($1, $2) AS n);
SQL
}
sql -c "UPDATE instances SET name = 'hist-deep' WHERE id = 'inst_' || substr(md5('i0'), 1, 16)"
rows 0 0 "$D"
echo "history: $D rows on hist-deep"
for ((from = 1; from <= H; from += 500)); do
  to=$(( from + 499 < H ? from + 499 : H ))
  rows "$from" "$to" "$R"
  echo "history: instances $to"
done
sql -c "VACUUM ANALYZE"
sql -c "SELECT (SELECT COUNT(*) FROM instances) AS instances, (SELECT COUNT(*) FROM history) AS history_rows, pg_size_pretty(pg_database_size('$DB')) AS size"
