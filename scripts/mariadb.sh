#!/usr/bin/env bash
# Starts a private MariaDB server for the tests and the benchmarks: its own data folder, socket
# and free port, nothing shared with a system server. Prints `export` lines to eval:
#   eval "$(bash scripts/mariadb.sh start)"   ...   bash scripts/mariadb.sh stop "$DURIN_MARIADB_DIR"
# Needs Debian's mariadb-server (mariadb-install-db, mariadbd, mariadb).
set -euo pipefail

start() {
  local dir port pid
  dir=$(mktemp -d /tmp/durin-mariadb.XXXXXX)
  port=$(node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')
  mariadb-install-db --no-defaults --user=root --datadir="$dir/data" --auth-root-authentication-method=normal \
    --skip-test-db >"$dir/install.log" 2>&1 || { cat "$dir/install.log" >&2; exit 1; }
  mariadbd --no-defaults --user=root --datadir="$dir/data" --port="$port" --bind-address=127.0.0.1 \
    --socket="$dir/mysqld.sock" --pid-file="$dir/mysqld.pid" --skip-name-resolve --skip-log-bin \
    --innodb-buffer-pool-size=128M --innodb-flush-log-at-trx-commit=2 --max-connections=500 \
    >"$dir/server.log" 2>&1 &
  pid=$!
  echo "$pid" >"$dir/server.pid"
  for _ in $(seq 1 100); do
    if mariadb --no-defaults --socket="$dir/mysqld.sock" -uroot -e 'SELECT 1' >/dev/null 2>&1; then break; fi
    if ! kill -0 "$pid" 2>/dev/null; then cat "$dir/server.log" >&2; exit 1; fi
    sleep 0.2
  done
  mariadb --no-defaults --socket="$dir/mysqld.sock" -uroot <<SQL
CREATE DATABASE durin;
CREATE USER 'durin'@'127.0.0.1' IDENTIFIED BY 'durin';
CREATE USER 'durin'@'localhost' IDENTIFIED BY 'durin';
GRANT ALL PRIVILEGES ON *.* TO 'durin'@'127.0.0.1';
GRANT ALL PRIVILEGES ON *.* TO 'durin'@'localhost';
FLUSH PRIVILEGES;
SQL
  echo "export DURIN_MARIADB_DIR=$dir"
  echo "export DURIN_TEST_MYSQL_URL=mysql://durin:durin@127.0.0.1:$port/durin"
}

stop() {
  local dir=${1:?usage: mariadb.sh stop DIR}
  if [ -f "$dir/server.pid" ]; then
    local pid
    pid=$(cat "$dir/server.pid")
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
    kill -9 "$pid" 2>/dev/null || true
  fi
  rm -rf "$dir"
}

case "${1:-}" in
  start) start ;;
  stop) shift; stop "$@" ;;
  *) echo "usage: $0 start | stop DIR" >&2; exit 1 ;;
esac
