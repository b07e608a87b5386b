#!/usr/bin/env bash
# `make test-package`, as root: installs the .deb `make package` built the
# way a user would (apt-get, which pulls its run-time dependencies), uses it
# under Xvfb with a fresh HOME, removes it, and checks the user's vault is
# still there. Whatever it installed is removed again, even when a check fails.
set -euo pipefail
cd "$(dirname "$0")/.."
deb=$(ls "$PWD"/target/packages/keyhaven_*.deb)
[ "$(id -u)" -eq 0 ] || { echo "run as root: it installs a package" >&2; exit 1; }
if dpkg-query -W -f='${Status}' keyhaven 2>/dev/null | grep -q "install ok installed"; then
  echo "keyhaven is already installed here; this test installs and removes it" >&2
  exit 1
fi
home=$(mktemp -d)
cleanup() {
  DEBIAN_FRONTEND=noninteractive apt-get remove -y -qq keyhaven >/dev/null 2>&1 || true
  pkill -f /usr/bin/keyhaven-app 2>/dev/null || true
  rm -rf "$home"
}
trap cleanup EXIT

echo "== apt-get install $deb"
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$deb" >/dev/null
keyhaven --version
keyhaven-app --version

export HOME="$home" XDG_CONFIG_HOME="$home/.config" XDG_DATA_HOME="$home/.local/share"
echo "== the installed desktop file handles keyhaven:// links"
handler=$(xdg-mime query default x-scheme-handler/keyhaven)
echo "xdg-mime: $handler"
[ "$handler" = Keyhaven.desktop ]

echo "== a vault, the installed app, and a link"
KEYHAVEN_PASSPHRASE='package test passphrase 41' keyhaven init --allow-weak >/dev/null
printf 'value-never-shown' | KEYHAVEN_PASSPHRASE='package test passphrase 41' keyhaven set PACKAGED_SECRET
xvfb-run -a -s "-screen 0 1280x800x24" dbus-run-session -- bash -c '
  /usr/bin/keyhaven-app & app=$!
  for _ in $(seq 1 100); do xdotool search --name "^Keyhaven$" >/dev/null 2>&1 && break; sleep 0.2; done
  gio open "keyhaven://open?name=PACKAGED_SECRET"
  found=""
  for _ in $(seq 1 50); do
    found=$(xdotool search --name "PACKAGED_SECRET — Keyhaven" 2>/dev/null || true)
    [ -n "$found" ] && break
    sleep 0.2
  done
  kill $app 2>/dev/null || true
  [ -n "$found" ] || { echo "the link did not select PACKAGED_SECRET in the running app" >&2; exit 1; }
  echo "the window names PACKAGED_SECRET"
'
! test -e "$XDG_DATA_HOME/applications/keyhaven-app-handler.desktop" \
  || { echo "the installed app wrote a per-user link handler" >&2; exit 1; }

echo "== apt-get remove keyhaven"
DEBIAN_FRONTEND=noninteractive apt-get remove -y -qq keyhaven >/dev/null
! command -v keyhaven >/dev/null && ! test -e /usr/bin/keyhaven-app
test -s "$XDG_DATA_HOME/keyhaven/vault.sqlite" || { echo "the vault went with the package" >&2; exit 1; }
echo "removed; the vault at $XDG_DATA_HOME/keyhaven/vault.sqlite is still there"
