#!/usr/bin/env bash
# Run a command with a throwaway PostgreSQL (127.0.0.1, free port) and Redis (unix socket), removed afterwards.
# Exports DATABASE_URL and PORTICO_TEST_REDIS_URL for the command, and exits with the command's status.
set -euo pipefail

PG_BIN=/usr/lib/postgresql/15/bin
work=$(mktemp -d /tmp/portico-test.XXXXXX)
chmod 755 "$work"
mkdir "$work/pg" "$work/redis"
chown postgres:postgres "$work/pg"

cleanup() {
    status=$?
    (cd "$work/pg" && runuser -u postgres -- "$PG_BIN/pg_ctl" -D "$work/pg/data" -m immediate stop >/dev/null 2>&1) || true
    if [ -f "$work/redis/redis.pid" ]; then
        pid=$(cat "$work/redis/redis.pid")
        kill "$pid" 2>/dev/null || true
        # Redis writes its log while it shuts down: removing its folder before it is gone fails ("Directory not
        # empty") and, under set -e, turned a passing run into exit 1.
        for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    fi
    rm -rf "$work" || true
    exit $status
}
trap cleanup EXIT INT TERM

pgport=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
cd "$work/pg"
runuser -u postgres -- "$PG_BIN/initdb" -D "$work/pg/data" -U postgres -A trust --no-sync >/dev/null
runuser -u postgres -- "$PG_BIN/pg_ctl" -D "$work/pg/data" -w -l "$work/pg/log" \
    -o "-k $work/pg -c listen_addresses=127.0.0.1 -p $pgport -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200" \
    start >/dev/null
cd - >/dev/null

redis-server --port 0 --unixsocket "$work/redis/redis.sock" --unixsocketperm 777 --save '' --appendonly no \
    --daemonize yes --pidfile "$work/redis/redis.pid" --logfile "$work/redis/log" --dir "$work/redis"
for _ in $(seq 50); do [ -S "$work/redis/redis.sock" ] && break; sleep 0.1; done

export DATABASE_URL="postgres://postgres@127.0.0.1:$pgport/portico"
export PORTICO_TEST_REDIS_URL="redis+socket://$work/redis/redis.sock"
"$@"
