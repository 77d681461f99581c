#!/usr/bin/env bash
# The full suite: format check, lint, architecture rules, then every test with node's runner.
set -euo pipefail
cd "$(dirname "$0")/.."

npx --no-install prettier --check .
npx --no-install eslint .
node scripts/check-architecture.mjs

mapfile -t files < <(find dist/test -name '*.test.js' | sort)
if [ "${#files[@]}" -eq 0 ]; then
  echo "no test files found under dist/test" >&2
  exit 1
fi
exec node --test --test-concurrency="${KILN_TEST_CONCURRENCY:-2}" --test-reporter=spec "${files[@]}"
