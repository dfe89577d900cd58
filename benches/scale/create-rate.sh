#!/usr/bin/env bash
# Creation rate over HTTP, one build against another (BENCHMARKS.md, issue 16): each run
# starts the build's server on a fresh PostgreSQL database (no throttle), runs the
# `create` scenario (or SCENARIO, e.g. `process` for the write path) for DUR seconds,
# counts the instance and history rows and stops it; the two builds alternate, twice.
# Loopback only.
#
#   [SCENARIO=create] [DUR=20] benches/scale/create-rate.sh OLD_CHECKOUT NEW_CHECKOUT
#
# Each checkout must hold a release build (target dir: $CARGO_TARGET_DIR, else the
# checkout's target/): its server runs from the checkout (its config/default.toml); the
# load tool is NEW's.
set -euo pipefail
old="$(cd "$1" && pwd)"; new="$(cd "$2" && pwd)"
KEY=idos_sk_bench000000000000000000000000000000000
PG="-h 127.0.0.1 -U postgres"
bin() { echo "${CARGO_TARGET_DIR:-$1/target}/release/$2"; }
LOADTEST="$(bin "$new" loadtest)"
run() { # label checkout port
  local db="idos_create_$1"
  dropdb $PG --if-exists "$db"; createdb $PG "$db"
  (cd "$2" && exec env IDENTITY_OS_DATABASE__URL="postgres://postgres@127.0.0.1:5432/$db" \
      IDENTITY_OS_SERVER__BIND="127.0.0.1:$3" IDENTITY_OS_BOOTSTRAP_KEY=$KEY \
      IDENTITY_OS_MIN_CYCLE_INTERVAL_MS=0 \
      "$(bin "$2" identity-os)" serve) > "/tmp/create-$1.log" 2>&1 &
  local pid=$!
  for _ in $(seq 1 50); do curl -s -o /dev/null "127.0.0.1:$3/healthz" && break; sleep 0.2; done
  "$LOADTEST" run "${SCENARIO:-create}" --target "http://127.0.0.1:$3" --key $KEY \
      --duration-secs "${DUR:-20}" --json "/tmp/create-$1.json" > "/tmp/create-$1.out" 2>&1
  echo "$1: $(tr '\r' '\n' < "/tmp/create-$1.out" | grep -m1 "127.0.0.1:$3 |")" \
      "rows $(psql $PG -d "$db" -tAc 'SELECT COUNT(*) FROM instances')" \
      "history $(psql $PG -d "$db" -tAc 'SELECT COUNT(*) FROM history')"
  kill $pid; wait $pid 2>/dev/null || true
}
for round in 1 2; do
  run "old$round" "$old" 18601
  run "new$round" "$new" 18602
done
