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
out=/tmp/activation; mkdir -p $out
. "$(cd "$(dirname "$0")" && pwd)/serve.sh"
blocks() { psql $PG -d "$1" -tAc \
  "SELECT blks_read || ' read, ' || blks_hit || ' hit' FROM pg_stat_database WHERE datname = current_database()"; }

run() { # database
  start "$1"
  local before; before=$(blocks "$1")
  sample "$1" "$N" "$out/ids.txt"
  "$bin/loadtest" run activation --ids "$out/ids.txt" --requests "$N" --connections 128 \
      --duration-secs 300 --target $URL --key $KEY > "$out/$1.out" 2>&1 || true
  echo "$1: $(tr '\r' '\n' < "$out/$1.out" | grep -m1 "127.0.0.1:$PORT |")" \
       "blocks before: $before; after: $(blocks "$1")"
  stop
}
for _ in $(seq "$ROUNDS"); do run "$A"; run "$B"; done
