#!/usr/bin/env bash
# At scale (BENCHMARKS.md, issue 16). On DB (filled by fill-sql.sh, or by fill.sh and
# the recovery scenario): activation of N random instances in storage (each read once), `mixed` with
# those N resident, list and history pages (list-pages.py, history-pages.py), then a
# SIGKILL and the time until 10 000 other random instances serve again. Then the same
# activation and `mixed` on a fresh database holding N instances, for the ratio.
# Loopback only.
#
#   benches/scale/resident.sh [DB=idos_fill] [N=1000000]   # after a release build
set -euo pipefail
DB="${1:-idos_fill}"; N="${2:-1000000}"
KEY=idos_sk_bench000000000000000000000000000000000
PG="-h 127.0.0.1 -U postgres"
bin="${CARGO_TARGET_DIR:-target}/release"
here="$(cd "$(dirname "$0")" && pwd)"
PORT=18605; URL="http://127.0.0.1:$PORT"
out=/tmp/scale; mkdir -p $out
. "$here/serve.sh"

summary() { tr '\r' '\n' < "$1" | grep -m1 "127.0.0.1:$PORT |" || tail -3 "$1"; }
rss() { echo "server RSS $(($(awk '/VmRSS/ {print $2}' /proc/$pid/status) / 1024)) MiB"; }
run() { # label scenario args…
  local label=$1; shift
  "$bin/loadtest" run "$@" --target $URL --key $KEY --json "$out/$label.json" \
      > "$out/$label.out" 2>&1 || true
  echo "$label: $(summary "$out/$label.out")"
}
activate_and_mix() { # label database
  sample "$2" "$N" "$out/ids-$1.txt"
  run "$1-activation" activation --ids "$out/ids-$1.txt" --requests "$N" \
      --connections 128 --duration-secs 900
  echo "$1: $(rss)"
  run "$1-mixed" mixed --instances 1000 --connections 64 --duration-secs 30
}
now() { date +%s.%N; }
since() { echo "$(now) - $1" | bc; }

# Autovacuum is off on this machine: vacuum the counter tables as it would (every
# creation rewrites a counter row; bloated, a count read 1 000 pages, docs/storage.md).
psql $PG -d "$DB" -qc "VACUUM ANALYZE account_counts, user_counts"
start "$DB"
activate_and_mix scale "$DB"
python3 "$here/list-pages.py" $PORT 1000000 | tee "$out/list-pages.txt"
longest=$(psql $PG -d "$DB" -tAc "SELECT instance_id FROM snapshots ORDER BY seq DESC LIMIT 1")
python3 "$here/history-pages.py" $PORT $KEY "$longest" | tee "$out/history-pages.txt"

# SIGKILL with N resident. The old process frees its memory before its port, so the
# new one starts once it is gone.
sample "$DB" 10000 "$out/ids-after-kill.txt"
t0=$(now); kill -9 "$pid"; wait "$pid" 2>/dev/null || true
gone=$(since "$t0")
start "$DB"
ready=$(since "$t0")
run after-kill activation --ids "$out/ids-after-kill.txt" --requests 10000 \
    --connections 128 --duration-secs 60
echo "after SIGKILL: process gone in $gone s, ready in $ready s," \
     "10 000 random instances served in $(since "$t0") s"
stop

# A fresh database with N instances (created first, not measured).
dropdb $PG --if-exists idos_fresh; createdb $PG idos_fresh
start idos_fresh
run fresh-fill create --requests "$N" --connections 128 --duration-secs 900
psql $PG -d idos_fresh -c "VACUUM ANALYZE" > /dev/null
activate_and_mix fresh idos_fresh
stop
