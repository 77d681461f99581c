#!/bin/sh
# Serves the example's releases on http://127.0.0.1:8765 (what package.nix downloads from):
# hello-VERSION.tar.gz for every directory under releases/, and the dependency files under deps/.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
out=$(mktemp -d)
for dir in "$here"/releases/hello-*; do
  tar -czf "$out/$(basename "$dir").tar.gz" -C "$here/releases" "$(basename "$dir")"
done
cp -r "$here/releases/deps" "$out/deps"
echo "serving $out on http://127.0.0.1:8765"
exec python3 -m http.server 8765 --bind 127.0.0.1 --directory "$out"
