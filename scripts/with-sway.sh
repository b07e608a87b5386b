#!/usr/bin/env bash
# Runs a command inside a headless Wayland session: sway with no GPU, no
# outputs to show and no input devices, on a private runtime dir. Used by
# `make test` for what only Wayland exercises (the wl-copy clipboard path).
# sway refuses to run as root, so as root it runs as `nobody` (root can still
# reach its socket).
set -euo pipefail

runtime=$(mktemp -d)
as_user=()
if [ "$(id -u)" -eq 0 ]; then
  chown nobody "$runtime"
  as_user=(runuser -u nobody --)
fi
chmod 700 "$runtime"
# setsid: its own process group, so the cleanup stops sway and whatever it started.
setsid "${as_user[@]}" env XDG_RUNTIME_DIR="$runtime" HOME="$runtime" \
  WLR_BACKENDS=headless WLR_LIBINPUT_NO_DEVICES=1 WLR_RENDERER=pixman \
  sway -c /dev/null >"$runtime/sway.log" 2>&1 &
group=$!
trap 'kill -- -$group 2>/dev/null || true; wait $group 2>/dev/null || true; rm -rf "$runtime"' EXIT

socket=""
for _ in $(seq 100); do
  socket=$(find "$runtime" -maxdepth 1 -type s -name 'wayland-*' -printf '%f\n' | head -n1)
  [ -n "$socket" ] && break
  sleep 0.1
done
if [ -z "$socket" ]; then
  echo "with-sway: sway did not start:" >&2
  cat "$runtime/sway.log" >&2
  exit 1
fi
XDG_RUNTIME_DIR="$runtime" WAYLAND_DISPLAY="$socket" "$@"
