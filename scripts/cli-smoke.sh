#!/usr/bin/env bash
# Smoke test of the `trpc-durin` bin as a user runs it from a fresh clone, after
# `npm ci && npm run build`: migrate, create-client, list-clients on a new SQLite file and, when
# DURIN_TEST_MYSQL_URL is set (.ci/run sets it), on a new database of that MySQL/MariaDB server.
# Exits non-zero, naming the step, on the first failure.
set -Eeuo pipefail
cd "$(dirname "$0")/.."
failed=''
on_error() { # once, with the failing command's first line
  [ -n "$failed" ] && return
  failed=1
  echo "cli-smoke: FAILED (line $1): ${BASH_COMMAND%%$'\n'*}" >&2
}
trap 'on_error $LINENO' ERR

[ -f dist/cli/bin.js ] || { echo 'cli-smoke: dist/cli/bin.js is missing: run "npm ci && npm run build" first' >&2; exit 1; }

# --no: use the package's own bin, never fetch anything from the registry.
trpc_durin() { npx --no -- trpc-durin "$@"; }

# Runs the README's sequence against $DATABASE_URL and checks what it prints.
smoke() {
  echo "== trpc-durin on $1"
  trpc_durin migrate
  trpc_durin create-client web --token-ttl 1d
  local listing
  listing=$(trpc_durin list-clients)
  echo "$listing"
  grep -Eq '^web +1d +-$' <<<"$listing" || { echo "cli-smoke: list-clients does not show web with 1d" >&2; return 1; }
  trpc_durin migrate | grep -q 'up to date' || { echo 'cli-smoke: a second migrate applied something' >&2; return 1; }
  # Bad input: exit code 1 and exactly one line on stderr.
  local errors status=0
  errors=$(trpc_durin create-client web 2>&1 >/dev/null) || status=$?
  [ "$status" -eq 1 ] && [ "$(wc -l <<<"$errors")" -eq 1 ] && [[ $errors == 'trpc-durin: '* ]] \
    || { echo "cli-smoke: a duplicate client gave status $status and: $errors" >&2; return 1; }
}

# Runs SQL on the server of DURIN_TEST_MYSQL_URL (mysql2 is a dependency of the package).
mysql_admin() {
  node --input-type=module -e '
    import mysql from "mysql2/promise";
    const url = new URL(process.env.DURIN_TEST_MYSQL_URL);
    try {
      const connection = await mysql.createConnection({ host: url.hostname, port: Number(url.port || 3306),
        user: decodeURIComponent(url.username), password: decodeURIComponent(url.password) });
      try { await connection.query(process.argv[1]); } finally { await connection.end(); }
    } catch (error) {
      console.error(`cli-smoke: MySQL at ${url.host}: ${error.message}`);
      process.exitCode = 1;
    }' "$1"
}

tmp=$(mktemp -d)
mysql_db=''
cleanup() {
  rm -rf "$tmp"
  if [ -n "$mysql_db" ]; then mysql_admin "DROP DATABASE IF EXISTS \`$mysql_db\`" 2>/dev/null || true; fi
}
trap cleanup EXIT

export DATABASE_URL="sqlite:$tmp/durin.db"
smoke "SQLite ($DATABASE_URL)"

if [ -n "${DURIN_TEST_MYSQL_URL:-}" ]; then
  mysql_db="durin_smoke_$(date +%s)_$RANDOM"
  mysql_admin "CREATE DATABASE \`$mysql_db\`"
  DATABASE_URL=$(node -e 'const u = new URL(process.argv[1]); u.pathname = "/" + process.argv[2]; console.log(u.toString())' \
    "$DURIN_TEST_MYSQL_URL" "$mysql_db")
  export DATABASE_URL
  smoke "MySQL (database $mysql_db)"
else
  echo '== DURIN_TEST_MYSQL_URL is not set: MySQL smoke skipped'
fi
echo '== cli-smoke: OK'
