#!/usr/bin/env bash
# Fills one account with N instances over HTTP (the `create` scenario) on a fresh
# PostgreSQL database, and leaves the server running on 127.0.0.1:18604 for
# list-pages.py (BENCHMARKS.md, issue 16). Loopback only.
#
#   benches/scale/fill.sh [N=1000000]     # from the checkout, after a release build
set -euo pipefail
N="${1:-1000000}"
KEY=idos_sk_bench000000000000000000000000000000000
DB=idos_fill
PG="-h 127.0.0.1 -U postgres"
bin="${CARGO_TARGET_DIR:-target}/release"
dropdb $PG --if-exists $DB; createdb $PG $DB
env IDENTITY_OS_DATABASE__URL=postgres://postgres@127.0.0.1:5432/$DB \
    IDENTITY_OS_SERVER__BIND=127.0.0.1:18604 IDENTITY_OS_BOOTSTRAP_KEY=$KEY \
    "$bin/identity-os" serve > /tmp/fill-server.log 2>&1 &
echo $! > /tmp/fill.pid
for _ in $(seq 1 50); do curl -s -o /dev/null 127.0.0.1:18604/healthz && break; sleep 0.2; done
"$bin/loadtest" run create --target http://127.0.0.1:18604 --key $KEY \
    --duration-secs 7200 --requests "$N" --json /tmp/fill.json > /tmp/fill.out 2>&1
tr '\r' '\n' < /tmp/fill.out | grep "check: \|127.0.0.1:18604 |"
echo "rows: $(psql $PG -d $DB -tAc 'SELECT COUNT(*) FROM instances')"
echo "server pid $(cat /tmp/fill.pid) left running; each instance has a user tag"
echo "(u-0 … u-99999, from the scenario); stop 1 % of them with:"
echo "  psql $PG -d $DB -c \"UPDATE instances SET stopped = TRUE WHERE abs(hashtext(id)) % 100 = 7\" -c 'VACUUM ANALYZE instances'"
