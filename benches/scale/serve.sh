# Sourced by resident.sh and activation.sh: a release server on a database and a random
# sample of its instances. Expects PG, KEY, PORT, URL, bin, N (the resident bound's base)
# and a log folder `out`; sets `pid`. Loopback only.

start() { # database
  env IDENTITY_OS_DATABASE__URL="postgres://postgres@127.0.0.1:5432/$1" \
      IDENTITY_OS_SERVER__BIND=127.0.0.1:$PORT IDENTITY_OS_BOOTSTRAP_KEY=$KEY \
      IDENTITY_OS_MIN_CYCLE_INTERVAL_MS=0 \
      IDENTITY_OS_ACTORS__MAX_RESIDENT=$((N + 100000)) \
      IDENTITY_OS_ACTORS__IDLE_TIMEOUT_MS=3600000 \
      "$bin/identity-os" serve >> "$out/server-$1.log" 2>&1 &
  pid=$!
  until curl -sf -o /dev/null "$URL/readyz"; do sleep 0.02; done
}
stop() { kill "$pid"; wait "$pid" 2>/dev/null || true; }
sample() { # database count file
  psql $PG -d "$1" -tAc "SELECT id FROM instances WHERE deleted_at IS NULL AND NOT stopped \
      ORDER BY random() LIMIT $2" | grep . > "$3"
}
