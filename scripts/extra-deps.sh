#!/usr/bin/env bash
# System packages `make test` and `make bench` need on top of `make setup`, installed with apt only
# when missing (idempotent):
#   test:  openssh-server and openssh-client (the Git-over-SSH tests start their own sshd on a
#          loopback port; a packaged service that may start too is not used), skopeo (the
#          independent OCI client), docker-registry (the registry the push tests start on a
#          loopback port), apache2-utils (htpasswd, for its basic-auth file) and chromium (the
#          browser the web UI tests drive headless with playwright-core; no downloaded browsers),
#          postgresql (the PostgreSQL tests start their own server on a private data directory and
#          loopback port; the packaged service is not used)
#   bench: nginx (the static-file baseline), wrk (the HTTP load generator), curl (NAR downloads),
#          skopeo and docker-registry (the image benchmark's reference push and its registries)
#          and postgresql (the workers benchmark's database, started like the tests' one)
set -euo pipefail

case "${1:-}" in
  test) wanted=(sshd:openssh-server ssh:openssh-client ssh-keygen:openssh-client skopeo:skopeo
    docker-registry:docker-registry htpasswd:apache2-utils chromium:chromium
    pg_ctlcluster:postgresql) ;;
  bench) wanted=(nginx:nginx wrk:wrk curl:curl skopeo:skopeo docker-registry:docker-registry
    pg_ctlcluster:postgresql) ;;
  *)
    echo "usage: $0 test|bench" >&2
    exit 2
    ;;
esac

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then SUDO="sudo"; else
    echo "extra-deps: must run as root or with sudo available (apt needs it)" >&2
    exit 1
  fi
fi

need_pkgs=()
for pair in "${wanted[@]}"; do
  program="${pair%%:*}"
  package="${pair#*:}"
  # Daemons live in /usr/sbin, which is not always on a non-root PATH.
  if ! command -v "$program" >/dev/null 2>&1 && [ ! -x "/usr/sbin/$program" ]; then
    case " ${need_pkgs[*]:-} " in *" $package "*) ;; *) need_pkgs+=("$package") ;; esac
  fi
done
if [ "${#need_pkgs[@]}" -gt 0 ]; then
  echo "extra-deps: installing ${need_pkgs[*]} with apt"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends \
    "${need_pkgs[@]}" >/dev/null
fi
