#!/usr/bin/env bash
# Activation of random instances over HTTP, two databases alternating (BENCHMARKS.md,
# issue 16): per run a server started on the database, N of its instances sampled at
# random, each activated once at 128 connections, the server stopped; with the
# database's buffer reads and hits over the run (the sampling scan's included).
# Loopback only.
#
#   benches/scale/activation.sh [DB_A=idos_fill] [DB_B=idos_fresh] [N=300000] [ROUNDS=3]
#   # after a release build (target dir: $CARGO_TARGET_DIR, else target/)
set -euo pipefail
A="${1:-idos_fill}"; B="${2:-idos_fresh}"; N="${3:-300000}"; ROUNDS="${4:-3}"
KEY=idos_sk_bench000000000000000000000000000000000
PG="-h 127.0.0.1 -U postgres"
bin="${CARGO_TARGET_DIR:-target}/release"
PORT=18607; URL="http://127.0.0.1:$PORT"
ids=$(mktemp); out=$(mktemp)
trap 'rm -f "$ids" "$out"' EXIT
blocks() { psql $PG -d "$1" -tAc \
  "SELECT blks_read || ' read, ' || blks_hit || ' hit' FROM pg_stat_database WHERE datname = current_database()"; }

run() { # database
  env IDENTITY_OS_DATABASE__URL="postgres://postgres@127.0.0.1:5432/$1" \
      IDENTITY_OS_SERVER__BIND=127.0.0.1:$PORT IDENTITY_OS_BOOTSTRAP_KEY=$KEY \
      IDENTITY_OS_MIN_CYCLE_INTERVAL_MS=0 IDENTITY_OS_ACTORS__MAX_RESIDENT=$((N + 100000)) \
      IDENTITY_OS_ACTORS__IDLE_TIMEOUT_MS=3600000 \
      "$bin/identity-os" serve > /tmp/activation-server.log 2>&1 &
  local pid=$! before
  until curl -sf -o /dev/null $URL/readyz; do sleep 0.05; done
  before=$(blocks "$1")
  psql $PG -d "$1" -tAc "SELECT id FROM instances WHERE deleted_at IS NULL AND NOT stopped \
      ORDER BY random() LIMIT $N" | grep . > "$ids"
  "$bin/loadtest" run activation --ids "$ids" --requests "$N" --connections 128 \
      --duration-secs 300 --target $URL --key $KEY > "$out" 2>&1 || true
  echo "$1: $(tr '\r' '\n' < "$out" | grep -m1 "127.0.0.1:$PORT |")" \
       "blocks before: $before; after: $(blocks "$1")"
  kill "$pid"; wait "$pid" 2>/dev/null || true
}
for _ in $(seq "$ROUNDS"); do run "$A"; run "$B"; done
