#!/usr/bin/env bash
# Regenerates docs/screenshots/*.png, the pictures of the web UI the README shows: builds kiln, then
# runs the web UI tests (test/e2e/web-ui*.test.ts) with KILN_UPDATE_SCREENSHOTS=1. They start a real
# `kiln serve`, fill it with realistic data through the API (a project's matrix started by a signed
# push webhook, a failed build, a running build with a long coloured log, a cache with tokens and
# hits; see test/helpers/ui-showcase.ts) and photograph every page, on a desktop and on a phone,
# with Debian's Chromium, headless.
# `make screenshots` runs this after installing what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

chromium="${KILN_CHROMIUM:-/usr/bin/chromium}"
if [ ! -x "$chromium" ]; then
  echo "screenshots: $chromium is missing; install it with: bash scripts/extra-deps.sh test" >&2
  exit 1
fi

npm run build
KILN_UPDATE_SCREENSHOTS=1 node --test --test-reporter=spec dist/test/e2e/web-ui*.test.js
echo "screenshots: updated docs/screenshots:"
ls -1 docs/screenshots/*.png
