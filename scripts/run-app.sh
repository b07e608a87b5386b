#!/usr/bin/env bash
# Starts the desktop app. It needs a D-Bus session (single instance, tray,
# keyring): without one it runs inside a private dbus-run-session.
# WebKitGTK's DMA-BUF renderer fails or costs ~70 MB on machines without a
# GPU (Xvfb); the app turns it off unless told otherwise.
set -euo pipefail
app=${1:?usage: run-app.sh PATH-TO-keyhaven-app [ARGS]}
shift
export WEBKIT_DISABLE_DMABUF_RENDERER=${WEBKIT_DISABLE_DMABUF_RENDERER:-1}
if [ -z "${DISPLAY:-}" ] && [ -z "${WAYLAND_DISPLAY:-}" ]; then
  echo "no display: run \`xvfb-run make run\` on a headless machine" >&2
  exit 1
fi
if [ -z "${DBUS_SESSION_BUS_ADDRESS:-}" ]; then
  exec dbus-run-session -- "$app" "$@"
fi
exec "$app" "$@"
