#!/usr/bin/env bash
# Creation rate over HTTP on an existing database (BENCHMARKS.md, issue 16): each
# checkout's server in turn on DB for DUR seconds of the `create` scenario, ROUNDS
# times; the instances added (from the account's counters), the server's CPU per create
# (/proc) and PostgreSQL's (the machine's busy time less the server's and the load
# generator's). Loopback only.
#
#   benches/scale/create-on.sh DB CHECKOUT…     # each with a release build in target/
set -uo pipefail
DB="$1"; shift
KEY=idos_sk_bench000000000000000000000000000000000
PG="-h 127.0.0.1 -U postgres"
LOADTEST="$(cd "$(dirname "$0")/../.." && pwd)/target/release/loadtest"
busy() { awk '/^cpu / {print $2+$3+$4+$7+$8}' /proc/stat; }   # jiffies
live() { psql $PG -d "$DB" -tAc "SELECT SUM(live) FROM account_counts"; }
run() { # label checkout
  (cd "$2" && exec env IDENTITY_OS_DATABASE__URL="postgres://postgres@127.0.0.1:5432/$DB" \
      IDENTITY_OS_SERVER__BIND=127.0.0.1:18607 IDENTITY_OS_BOOTSTRAP_KEY=$KEY \
      "$2/target/release/identity-os" serve) > "/tmp/create-on-$1.log" 2>&1 &
  local pid=$!
  until curl -sf -o /dev/null 127.0.0.1:18607/readyz; do sleep 0.1; done
  local before; before=$(live)
  local b0 s0; b0=$(busy); s0=$(awk '{print $14+$15}' /proc/$pid/stat)
  /usr/bin/time -o "/tmp/create-on-$1.time" -f "%U %S" "$LOADTEST" run create \
      --target http://127.0.0.1:18607 --key $KEY --duration-secs "${DUR:-30}" \
      > "/tmp/create-on-$1.out" 2>&1
  local b1 s1; b1=$(busy); s1=$(awk '{print $14+$15}' /proc/$pid/stat)
  local after; after=$(live)
  local n=$((after - before)) gen
  gen=$(awk '{print ($1 + $2) * 100}' "/tmp/create-on-$1.time")
  echo "$1: $(tr '\r' '\n' < "/tmp/create-on-$1.out" | grep -m1 '127.0.0.1:18607 |')" \
       "instances $before -> $after;" \
       "PostgreSQL $(echo "scale=1; (($b1 - $b0) - ($s1 - $s0) - $gen) * 10000 / $n" | bc) us," \
       "server $(echo "scale=1; ($s1 - $s0) * 10000 / $n" | bc) us per create"
  kill $pid; wait $pid 2>/dev/null
}
for round in $(seq 1 "${ROUNDS:-2}"); do
  i=0
  for checkout in "$@"; do
    i=$((i + 1)); run "$i-$round" "$(cd "$checkout" && pwd)"
  done
done
