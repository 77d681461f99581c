#!/usr/bin/env bash
# What `make bench` needs on top of `make setup`: Debian's nginx (the static-file baseline for the
# binary cache benchmark), wrk (the HTTP load generator) and curl (the NAR download client). Idempotent: apt runs only when one
# of them is missing.
set -euo pipefail

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then SUDO="sudo"; else
    echo "bench-deps: must run as root or with sudo available (apt needs it)" >&2
    exit 1
  fi
fi

need_pkgs=()
# nginx lives in /usr/sbin, which is not always on a non-root PATH.
command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || need_pkgs+=(nginx)
command -v wrk >/dev/null 2>&1 || need_pkgs+=(wrk)
command -v curl >/dev/null 2>&1 || need_pkgs+=(curl)
if [ "${#need_pkgs[@]}" -gt 0 ]; then
  echo "bench-deps: installing ${need_pkgs[*]} with apt"
  $SUDO apt-get update -qq
  # The benchmark runs its own nginx (one worker, a free port, its own config); whether Debian's
  # packaged service starts too does not matter to it.
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends \
    "${need_pkgs[@]}" >/dev/null
fi
