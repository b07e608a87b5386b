#!/usr/bin/env bash
# Installs what a `make` target needs on Debian/Ubuntu, and only what is missing.
# Usage: scripts/install-deps.sh build|test|bench
set -euo pipefail

profile=${1:-test}
# Build: a C compiler (present) and pkg-config; libdbus is vendored by keyring.
packages=(pkg-config)
case "$profile" in
  build) ;;
  # Test: a real Secret Service (gnome-keyring) in a private D-Bus session.
  test) packages+=(dbus gnome-keyring) ;;
  # Bench: the peers we compare with, and a timer.
  bench) packages+=(dbus gnome-keyring keepassxc pass gnupg tree sqlite3 wrk) ;;
  *) echo "usage: $0 build|test|bench" >&2; exit 2 ;;
esac

# The conformance suite's virtualenv (pyenv Pythons carry venv; Debian's needs python3-venv).
if [ "$profile" = test ] && ! python3 -c 'import ensurepip, venv' 2>/dev/null; then
  packages+=(python3-venv)
fi

missing=()
for package in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
if ((${#missing[@]})); then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  echo "installing with apt: ${missing[*]}"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

if ! command -v cargo >/dev/null; then
  echo "cargo not found: install Rust with rustup (https://rustup.rs)" >&2
  exit 1
fi
for component in rustfmt clippy; do
  rustup component list --installed 2>/dev/null | grep -q "^$component" || rustup component add "$component"
done
