#!/usr/bin/env bash
# Installs what greason needs on a fresh Debian machine with Go, apt and npm reachable:
# Debian Jupyter (notebook + nbconvert), just (npm rust-just), GoNB (pinned in go.mod) and
# goimports, the Go toolchain named by GOTOOLCHAIN, and the Go modules. Idempotent.
set -euo pipefail
cd "$(dirname "$0")/.."
export GOTOOLCHAIN=go1.27.3
SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"

need_apt=()
for p in python3 jupyter-notebook jupyter-nbconvert python3-nbclient; do
  dpkg -s "$p" >/dev/null 2>&1 || need_apt+=("$p")
done
if [ ${#need_apt[@]} -gt 0 ]; then
  echo "setup: apt-get install ${need_apt[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need_apt[@]}" >/dev/null
fi

if ! command -v just >/dev/null 2>&1; then
  echo "setup: npm install -g rust-just@1.57.0"
  $SUDO npm install -g --silent rust-just@1.57.0
fi

GOBIN_DIR="$(go env GOPATH)/bin"
export PATH="$GOBIN_DIR:$PATH"
echo "setup: go toolchain $(go version | awk '{print $3}'), modules"
go mod download
go install tool  # gonb, at the version go.mod resolves
[ -x "$GOBIN_DIR/goimports" ] || go install golang.org/x/tools/cmd/goimports@v0.52.0
gonb --install --force_deps --raw_error >/dev/null 2>&1 || gonb --install --force_deps --raw_error
echo "setup: done (just $(just --version | awk '{print $2}'), gonb kernel installed)"
