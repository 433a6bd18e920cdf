#!/usr/bin/env bash
# Checks the package as npm would publish it, after `npm run build`: publint (package.json's
# exports, files and fields against the packed contents) and @arethetypeswrong/cli (every entry
# point's types resolve under node16 ESM and bundlers; the package is ESM-only, so the CommonJS
# and node10 rules are off). test/package/package.unit.test.ts checks the contents themselves.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -f dist/index.js ] || { echo 'check-pack: dist/ is missing: run "npm run build" first' >&2; exit 1; }
echo "== publint --strict"
npx --no -- publint --strict
echo "== attw --pack . --profile esm-only"
npx --no -- attw --pack . --profile esm-only
