#!/usr/bin/env bash
# Runs a command against a fresh, unlocked gnome-keyring (Secret Service).
# Use inside a private bus: dbus-run-session -- scripts/with-keyring.sh CMD ARGS…
# Point HOME / XDG_DATA_HOME at a temp dir first: the keyring is written there.
set -euo pipefail

echo -n keyring-pw | gnome-keyring-daemon --unlock --components=secrets >/dev/null
# --unlock returns before the daemon owns its bus name; a call made earlier would
# make D-Bus start a second daemon, whose keyring is locked.
for _ in $(seq 100); do
  if dbus-send --session --print-reply --dest=org.freedesktop.DBus /org/freedesktop/DBus \
      org.freedesktop.DBus.NameHasOwner string:org.freedesktop.secrets 2>/dev/null | grep -q 'boolean true'; then
    exec "$@"
  fi
  sleep 0.05
done
echo "with-keyring.sh: gnome-keyring-daemon did not appear on the session bus" >&2
exit 1
