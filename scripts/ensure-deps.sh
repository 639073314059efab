#!/usr/bin/env bash
# Installs what `npm start` and `npm test` need on a fresh Debian/Ubuntu machine with Node 20 and npm:
# the npm dependencies, and nats-server and kubectl from the distribution's packages when missing.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ ! -x node_modules/.bin/vitest ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "snapflow: installing npm dependencies (npm ci)" >&2
  npm ci --no-audit --no-fund
fi

need=()
command -v nats-server >/dev/null 2>&1 || [ -x /usr/sbin/nats-server ] || need+=(nats-server)
# A kubectl may already come from another package (e.g. the Google Cloud SDK's dispatcher); use it as it is.
command -v kubectl >/dev/null 2>&1 || need+=(kubernetes-client)

if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "snapflow: installing ${need[*]} from the distribution's packages" >&2
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >&2
  elif command -v sudo >/dev/null 2>&1 && command -v apt-get >/dev/null 2>&1; then
    echo "snapflow: installing ${need[*]} with sudo apt-get" >&2
    sudo apt-get update -qq
    sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >&2
  else
    echo "snapflow: missing ${need[*]}. Install them from your distribution's packages, e.g." >&2
    echo "  sudo apt-get install ${need[*]}" >&2
    exit 1
  fi
fi

# kubectl 1.20 (Debian's kubernetes-client) for the old-client compatibility test, extracted into
# .cache/ so it never replaces the machine's kubectl. Optional: the test skips itself without it.
if [ ! -x .cache/kubectl-1.20/kubectl ] && command -v apt-get >/dev/null 2>&1 && command -v dpkg-deb >/dev/null 2>&1; then
  work=$(mktemp -d)
  fetch() { (cd "$work" && apt-get download kubernetes-client >/dev/null 2>&1); }
  if fetch || { [ "$(id -u)" -eq 0 ] && apt-get update -qq >/dev/null 2>&1 && fetch; }; then
    dpkg-deb -x "$work"/kubernetes-client_*.deb "$work/x" && mkdir -p .cache/kubectl-1.20 &&
      cp "$work/x/usr/bin/kubectl" .cache/kubectl-1.20/kubectl
  else
    echo "snapflow: could not fetch kubectl 1.20 (kubernetes-client); its compatibility test will skip" >&2
  fi
  rm -rf "$work"
fi
