#!/usr/bin/env bash
# Type-checks, builds and starts every app in examples/ as its user would (its own package.json
# and tsconfig: strict, exactOptionalPropertyTypes, target esnext), against the *packed* package:
# `npm pack` of the current build is unpacked into examples/node_modules/trpc-durin, which is
# where `"trpc-durin": "file:../.."` resolves from each example. Every other dependency resolves
# through the repository's node_modules (Node and tsc look in parent folders), so CI pays one
# `npm ci`, not one install per example. Each example then plays login, `me` and a throttled 429
# with Retry-After (scripts/exampleSmoke.ts) on a fresh SQLite file and, when
# DURIN_TEST_MYSQL_URL is set, on a fresh MariaDB database.
#
#   npm run build && bash scripts/examples.sh [example...]
set -euo pipefail
cd "$(dirname "$0")/.."
[ -f dist/index.js ] || { echo 'examples: dist/ is missing: run "npm run build" first' >&2; exit 1; }

examples=("$@")
[ ${#examples[@]} -gt 0 ] || examples=(standalone express fastify fetch)

echo "== npm pack into examples/node_modules/trpc-durin"
packdir=$(mktemp -d)
trap 'rm -rf "$packdir"' EXIT
tarball=$(npm pack --silent --pack-destination "$packdir")
rm -rf examples/node_modules/trpc-durin
mkdir -p examples/node_modules/trpc-durin
tar -xzf "$packdir/$tarball" -C examples/node_modules/trpc-durin --strip-components=1

tsc="$PWD/node_modules/.bin/tsc"
for example in "${examples[@]}"; do
  echo "== examples/$example: tsc"
  (cd "examples/$example" && rm -rf dist && "$tsc" -p .)
  npx --no -- tsx scripts/exampleSmoke.ts "$example" sqlite
  if [ -n "${DURIN_TEST_MYSQL_URL:-}" ]; then
    npx --no -- tsx scripts/exampleSmoke.ts "$example" mysql
  fi
done
echo "examples: all passed"
