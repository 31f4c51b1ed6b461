#!/usr/bin/env bash
# Installs what building and testing Olly needs, from Debian's packages
# (and, for the integration tests, npm packages pinned by the lockfile).
# Idempotent: installs only what is missing; runs apt-get update first.
set -euo pipefail
PKGS="build-essential clang libclang-rt-14-dev pkg-config libnghttp2-dev libssl-dev zlib1g-dev libzstd-dev nodejs npm libcurl4-openssl-dev libsqlite3-dev prometheus-alertmanager"
missing=""
for p in $PKGS; do
  dpkg -s "$p" >/dev/null 2>&1 || missing="$missing $p"
done
# node/npm may come from another install (e.g. NodeSource); accept them if present on PATH.
if command -v node >/dev/null && command -v npm >/dev/null; then
  missing=$(echo "$missing" | tr ' ' '\n' | grep -vxE 'nodejs|npm' | tr '\n' ' ' || true)
fi
missing=$(echo "$missing" | xargs || true)
if [ -n "$missing" ]; then
  echo "setup: installing $missing"
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO=sudo
  $SUDO apt-get update -q
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q $missing
fi
