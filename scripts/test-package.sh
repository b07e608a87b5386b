#!/usr/bin/env bash
# `make test-package`, as root: installs the .deb `make package` built the
# way a user would (apt-get, which pulls its run-time dependencies), uses it
# under Xvfb with a fresh HOME (a link into the locked app, Start at login,
# D-Bus activation of the keyring), removes it, and checks the user's vault is still there. Whatever it
# installed is removed again, even when a check fails. Then it installs the
# .deb once more in a fresh Debian chroot (mmdebstrap, from the same apt
# mirror) that has none of the build dependencies, and checks both binaries
# find every library there.
set -euo pipefail
cd "$(dirname "$0")/.."
deb=$(ls "$PWD"/target/packages/keyhaven_*.deb)
e2e="${CARGO_TARGET_DIR:-$HOME/.cache/keyhaven/target}/debug/keyhaven-e2e"
[ "$(id -u)" -eq 0 ] || { echo "run as root: it installs a package" >&2; exit 1; }
if dpkg-query -W -f='${Status}' keyhaven 2>/dev/null | grep -q "install ok installed"; then
  echo "keyhaven is already installed here; this test installs and removes it" >&2
  exit 1
fi
home=$(mktemp -d)
chroot_dir=$(mktemp -d)
cleanup() {
  DEBIAN_FRONTEND=noninteractive apt-get remove -y -qq keyhaven >/dev/null 2>&1 || true
  pkill -f /usr/bin/keyhaven-app 2>/dev/null || true
  rm -rf "$home" "$chroot_dir"
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
  # Locked, the lock screen names nothing, not even in the title; the
  # passphrase field has the focus, and unlocking opens what the link asked for.
  sleep 2
  if xdotool search --name "PACKAGED_SECRET" >/dev/null 2>&1; then
    kill $app; echo "the locked app named PACKAGED_SECRET in its title" >&2; exit 1
  fi
  xdotool windowfocus --sync "$(xdotool search --name "^Keyhaven$" | head -1)"
  xdotool type --delay 30 "package test passphrase 41"
  xdotool key Return
  found=""
  for _ in $(seq 1 50); do
    found=$(xdotool search --name "PACKAGED_SECRET — Keyhaven" 2>/dev/null || true)
    [ -n "$found" ] && break
    sleep 0.2
  done
  kill $app 2>/dev/null || true
  [ -n "$found" ] || { echo "the link did not select PACKAGED_SECRET in the running app once unlocked" >&2; exit 1; }
  echo "locked, the title named nothing; unlocked, the window names PACKAGED_SECRET"
'
! test -e "$XDG_DATA_HOME/applications/keyhaven-app-handler.desktop" \
  || { echo "the installed app wrote a per-user link handler" >&2; exit 1; }

echo "== Start at login, in the installed app"
xvfb-run -a -s "-screen 0 1280x800x24" dbus-run-session -- "$e2e" installed /usr/bin/keyhaven-app

echo "== D-Bus activation, opted in as the README says: a program's lookup starts the app"
printf 'protocol=https\nhost=git.example\nusername=alice\npassword=activated-value\n\n' \
  | KEYHAVEN_PASSPHRASE='package test passphrase 41' keyhaven git-credential store
mkdir -p "$XDG_DATA_HOME/dbus-1/services"
cp /usr/share/keyhaven/dbus-1/org.freedesktop.secrets.service "$XDG_DATA_HOME/dbus-1/services/"
settings="$XDG_CONFIG_HOME/dev.keyhaven.app/settings.json"
# The copy in $XDG_DATA_HOME comes before gnome-keyring's file of the same
# name in /usr/share/dbus-1/services (installed here, as on most desktops).
xvfb-run -a -s "-screen 0 1280x800x24" dbus-run-session -- bash -c '
  set -euo pipefail
  # secret-tool prints the attributes on stderr.
  found=$(timeout 30 secret-tool search --all protocol https server git.example 2>&1)
  grep -qx "attribute.user = alice" <<<"$found" || { echo "the search did not find alice: $found" >&2; exit 1; }
  app=$(pgrep -fx "/usr/bin/keyhaven-app --keyring") || { echo "the bus did not start keyhaven-app --keyring" >&2; exit 1; }
  hidden=yes
  xdotool search --onlyvisible --name "^Keyhaven$" >/dev/null 2>&1 && hidden=no
  kill "$app"
  [ "$hidden" = yes ] || { echo "keyhaven-app --keyring showed its window" >&2; exit 1; }
  echo "a search started keyhaven-app --keyring (pid $app), hidden in the tray; locked, it found alice'"'"'s item"
'
grep -q '"secret_service": true' "$settings" || { echo "Settings do not say the app serves as the keyring" >&2; exit 1; }
echo "Settings: \"secret_service\": true"
# The app already runs without serving: the bus's start hands the request over.
sed -i 's/"secret_service": true/"secret_service": false/' "$settings"
xvfb-run -a -s "-screen 0 1280x800x24" dbus-run-session -- bash -c '
  set -euo pipefail
  /usr/bin/keyhaven-app & app=$!
  for _ in $(seq 1 100); do xdotool search --onlyvisible --name "^Keyhaven$" >/dev/null 2>&1 && break; sleep 0.2; done
  (timeout 40 secret-tool lookup protocol https server git.example user alice > "$HOME/looked" 2>&1 || true) & lookup=$!
  owner=""
  for _ in $(seq 1 50); do
    owner=$(dbus-send --session --print-reply=literal --dest=org.freedesktop.DBus /org/freedesktop/DBus \
      org.freedesktop.DBus.GetConnectionUnixProcessID string:org.freedesktop.secrets 2>/dev/null | awk "{print \$2}") && break
    sleep 0.2
  done
  [ "$owner" = "$app" ] || { kill $app; echo "org.freedesktop.secrets is owned by pid ${owner:-nobody}, not the running app ($app)" >&2; exit 1; }
  # The lookup unlocks: the lock screen (typed into again until the
  # collection says it is unlocked: the webview may not take keys yet), then
  # the question, where Tab moves from Deny to Once.
  locked() {
    dbus-send --session --print-reply=literal --dest=org.freedesktop.secrets /org/freedesktop/secrets/aliases/default \
      org.freedesktop.DBus.Properties.Get string:org.freedesktop.Secret.Collection string:Locked | grep -q true
  }
  typed=0
  for _ in 1 2 3 4 5; do
    typed=$((typed + 1))
    xdotool windowfocus --sync "$(xdotool search --onlyvisible --name "^Keyhaven$" | head -1)"
    xdotool key ctrl+a
    xdotool type --delay 30 "package test passphrase 41"
    xdotool key Return
    for _ in $(seq 1 20); do locked || break; sleep 0.2; done
    locked || break
  done
  ! locked || { kill $app; echo "the app did not unlock" >&2; exit 1; }
  sleep 2
  xdotool key Tab Return
  wait $lookup
  instances=$(pgrep -c -f "^/usr/bin/keyhaven-app" || true)
  kill $app
  [ "$(cat "$HOME/looked")" = activated-value ] \
    || { echo "the lookup did not print the value: $(grep -v activated-value "$HOME/looked" | head -3)" >&2; exit 1; }
  [ "$instances" = 1 ] || { echo "$instances instances of keyhaven-app run" >&2; exit 1; }
  echo "with the app running, a lookup made it serve (pid $app owns the name); unlocked (passphrase typed $typed time(s)) and allowed once, the lookup printed the value"
'
rm -f "$HOME/looked"

echo "== apt-get remove keyhaven"
DEBIAN_FRONTEND=noninteractive apt-get remove -y -qq keyhaven >/dev/null
! command -v keyhaven >/dev/null && ! test -e /usr/bin/keyhaven-app
test -s "$XDG_DATA_HOME/keyhaven/vault.sqlite" || { echo "the vault went with the package" >&2; exit 1; }
echo "removed; the vault at $XDG_DATA_HOME/keyhaven/vault.sqlite is still there"

echo "== on a machine without the build dependencies: a fresh $(. /etc/os-release; echo "$VERSION_CODENAME") chroot"
# The host's own apt sources (security updates included), else mmdebstrap's default mirror.
sources=$(ls /etc/apt/sources.list.d/debian.sources /etc/apt/sources.list.d/ubuntu.sources 2>/dev/null | head -1 || true)
cp "$deb" "$chroot_dir/keyhaven.deb"
# --format=null: the chroot (about 750 MB) is deleted after the hooks, not packed.
mmdebstrap --variant=apt --quiet \
  --customize-hook="copy-in $chroot_dir/keyhaven.deb /tmp" \
  --customize-hook='chroot "$1" dpkg-query -W -f="\${Package}\n" > "$1/tmp/before"' \
  --customize-hook='chroot "$1" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq /tmp/keyhaven.deb > /dev/null' \
  --customize-hook='chroot "$1" dpkg-query -W -f="\${Package}\n" > "$1/tmp/after"' \
  --customize-hook='chroot "$1" sh -c "keyhaven --version && keyhaven-app --version && ldd /usr/bin/keyhaven /usr/bin/keyhaven-app" > "$1/tmp/run"' \
  --customize-hook="copy-out /tmp/before /tmp/after /tmp/run $chroot_dir" \
  --format=null "$(. /etc/os-release; echo "$VERSION_CODENAME")" /dev/null ${sources:+"$sources"}
pulled=$(sort "$chroot_dir/before" "$chroot_dir/after" | uniq -u | grep -vx keyhaven)
echo "apt pulled $(echo "$pulled" | wc -l) packages beside keyhaven into a chroot of $(wc -l < "$chroot_dir/before")"
head -2 "$chroot_dir/run"
if grep -q 'not found' "$chroot_dir/run"; then
  grep 'not found' "$chroot_dir/run" >&2
  echo "a library the binaries need is not pulled by the package's dependencies" >&2
  exit 1
fi
echo "ldd: every library of both binaries is there"
build_side=$(echo "$pulled" | grep -E -- '-dev$|^(gcc|g\+\+|cpp|make|pkgconf|pkg-config|rustc|cargo|nodejs|npm)(-|$)' || true)
[ -z "$build_side" ] || { echo "the package pulls build-side packages: $build_side" >&2; exit 1; }
echo "nothing from the build side (no -dev, compiler, pkg-config, node)"
