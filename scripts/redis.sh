#!/usr/bin/env bash
# Starts a private redis-server for the tests and the benchmarks: its own folder and free port,
# no persistence, nothing shared with a system server. Prints `export` lines to eval:
#   eval "$(bash scripts/redis.sh start)"   ...   bash scripts/redis.sh stop "$DURIN_REDIS_DIR"
# Needs Debian's redis-server (redis-server, redis-cli).
set -euo pipefail

start() {
  local dir port pid
  dir=$(mktemp -d /tmp/durin-redis.XXXXXX)
  port=$(node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')
  redis-server --port "$port" --bind 127.0.0.1 --dir "$dir" --save '' --appendonly no \
    --pidfile "$dir/redis.pid" --logfile "$dir/redis.log" --daemonize no >/dev/null 2>&1 &
  pid=$!
  echo "$pid" >"$dir/server.pid"
  for _ in $(seq 1 100); do
    if redis-cli -p "$port" ping >/dev/null 2>&1; then break; fi
    if ! kill -0 "$pid" 2>/dev/null; then cat "$dir/redis.log" >&2; exit 1; fi
    sleep 0.1
  done
  echo "export DURIN_REDIS_DIR=$dir"
  echo "export DURIN_TEST_REDIS_URL=redis://127.0.0.1:$port"
}

stop() {
  local dir=${1:?usage: redis.sh stop DIR}
  if [ -f "$dir/server.pid" ]; then
    local pid
    pid=$(cat "$dir/server.pid")
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
  fi
  rm -rf "$dir"
}

case "${1:-}" in
  start) start ;;
  stop) shift; stop "$@" ;;
  *) echo "usage: $0 start | stop DIR" >&2; exit 1 ;;
esac
