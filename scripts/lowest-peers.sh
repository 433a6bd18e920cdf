#!/usr/bin/env bash
# The suite at the lowest versions the peer ranges allow (request/lookup.ts reads a few
# Sequelize internals on the hot path; test/request/sequelizeInternals.unit.test.ts pins them, and this run
# proves the ranges in package.json are true). A copy of the tree in a temp folder, the repository's
# node_modules with the peers swapped for their floors, then build + the unit and SQLite projects
# (and the Redis tests, when DURIN_TEST_REDIS_URL is set). Needs `npm ci` first.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -d node_modules ] || { echo 'lowest-peers: run "npm ci" first' >&2; exit 1; }

# Keep in step with peerDependencies' lower bounds.
LOWEST=(sequelize@6.37.0 sequelize-typescript@2.1.6 @trpc/server@11.0.0 @trpc/client@11.0.0 ioredis@5.3.0)

dir=$(mktemp -d /tmp/durin-lowest.XXXXXX)
trap 'rm -rf "$dir"' EXIT
git ls-files -z | xargs -0 tar -cf - | tar -xf - -C "$dir"
cp -a node_modules "$dir/"
cd "$dir"
npm install --no-save --no-audit --no-fund --loglevel=error "${LOWEST[@]}" >/dev/null
node -e 'for (const p of process.argv.slice(1)) console.log(`  ${p} ${require(`./node_modules/${p}/package.json`).version}`)' \
  sequelize sequelize-typescript @trpc/server @trpc/client ioredis
npm run build >/dev/null
env -u DURIN_TEST_MYSQL_URL npx vitest run --project unit --project sqlite
