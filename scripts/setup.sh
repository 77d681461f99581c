#!/usr/bin/env bash
# Idempotent installation shared by `make up` and `make test`: system packages (apt), a
# single-user Nix for root, npm dependencies and the TypeScript build.
set -euo pipefail
cd "$(dirname "$0")/.."

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then SUDO="sudo"; else
    echo "setup: must run as root or with sudo available (apt and /nix need it)" >&2
    exit 1
  fi
fi

need_pkgs=()
command -v nix-build >/dev/null 2>&1 || need_pkgs+=(nix-bin)
[ -x /bin/busybox ] && /bin/busybox --list 2>/dev/null | grep -qx sh || need_pkgs+=(busybox-static)
command -v git >/dev/null 2>&1 || need_pkgs+=(git)
command -v g++ >/dev/null 2>&1 || need_pkgs+=(g++)
command -v make >/dev/null 2>&1 || need_pkgs+=(make)
command -v python3 >/dev/null 2>&1 || need_pkgs+=(python3)
# The binary cache pipes NARs through these: Node 20's zlib has no xz, zstd or bzip2.
command -v xz >/dev/null 2>&1 || need_pkgs+=(xz-utils)
command -v zstd >/dev/null 2>&1 || need_pkgs+=(zstd)
command -v bzip2 >/dev/null 2>&1 || need_pkgs+=(bzip2)
if [ "${#need_pkgs[@]}" -gt 0 ]; then
  echo "setup: installing ${need_pkgs[*]} with apt"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need_pkgs[@]}" >/dev/null
fi

# Single-user Nix for root. kiln passes its own settings on every invocation; this file makes
# plain `nix` commands (tests' clients, the user's own) behave the same way.
nix_conf=/etc/nix/nix.conf
write_conf() {
  $SUDO mkdir -p /etc/nix
  $SUDO tee "$nix_conf.kiln-tmp" >/dev/null <<CONF
# Written by kiln's make setup.
build-users-group =
sandbox = $1
sandbox-fallback = false
sandbox-paths = /bin/sh=/bin/busybox
substituters =
experimental-features = nix-command flakes
extra-platforms = i686-linux
CONF
  $SUDO mv "$nix_conf.kiln-tmp" "$nix_conf"
}
if ! grep -q "Written by kiln" "$nix_conf" 2>/dev/null; then
  write_conf true
  probe_dir=$(mktemp -d)
  cat >"$probe_dir/probe.nix" <<'NIX'
derivation { name = "kiln-sandbox-probe"; system = "x86_64-linux"; builder = "/bin/sh"; args = [ "-c" "echo ok > $out" ]; nonce = builtins.currentTime; }
NIX
  if ! nix-build --no-out-link "$probe_dir/probe.nix" >/dev/null 2>&1; then
    echo "setup: sandboxed builds do not work on this kernel; turning the sandbox off"
    write_conf false
  fi
  rm -rf "$probe_dir"
fi

# npm dependencies, only when the lockfile changed since the last install.
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund
fi

npm run --silent build
