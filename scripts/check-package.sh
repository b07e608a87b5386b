#!/usr/bin/env bash
# Checks the packages `make package` built: lintian finds no errors in the
# .deb, the desktop entry and the AppStream metainfo validate, the .deb's
# run-time dependencies hold nothing from the build side, and the .rpm
# carries the same files (no rpm-based machine here to install it on).
set -euo pipefail
cd "$(dirname "$0")/.."
deb=$(ls target/packages/*.deb)
rpm=$(ls target/packages/*.rpm)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

echo "== lintian $deb"
# Errors fail; warnings are listed (and explained in docs/development.md).
lintian --tag-display-limit 0 "$deb" 2>&1 | { grep -v 'root privileges' || true; } | tee "$work/lintian"
! grep -q '^E:' "$work/lintian"

dpkg-deb -x "$deb" "$work/root"
echo "== desktop-file-validate"
desktop-file-validate "$work"/root/usr/share/applications/*.desktop
echo "== appstreamcli validate"
appstreamcli validate --no-net "$work/root/usr/share/metainfo/dev.keyhaven.app.metainfo.xml"

echo "== files"
# Listed once: `rpm -qpl | grep -q` would fail under pipefail when grep stops
# reading early and rpm dies of SIGPIPE (it did, once, in CI).
rpm -qpl "$rpm" 2>/dev/null > "$work/rpm-files"
for file in /usr/bin/keyhaven /usr/bin/keyhaven-app /usr/share/man/man1/keyhaven.1.gz \
  /usr/share/bash-completion/completions/keyhaven /usr/share/zsh/vendor-completions/_keyhaven \
  /usr/share/fish/vendor_completions.d/keyhaven.fish /usr/share/icons/hicolor/16x16/apps/keyhaven-app.png \
  /usr/share/icons/hicolor/512x512/apps/keyhaven-app.png /usr/lib/systemd/user/keyhaven-ssh-agent.service \
  /usr/bin/git-credential-keyhaven /usr/share/keyhaven/dbus-1/org.freedesktop.secrets.service; do
  test -e "$work/root$file" || { echo "missing from the .deb: $file" >&2; exit 1; }
  grep -qx "$file" "$work/rpm-files" || { echo "missing from the .rpm: $file" >&2; exit 1; }
done
grep -q '^Exec=keyhaven-app %u$' "$work"/root/usr/share/applications/*.desktop
grep -q '^MimeType=x-scheme-handler/keyhaven;$' "$work"/root/usr/share/applications/*.desktop
grep -q '^ExecStart=/usr/bin/keyhaven ssh-agent --locked --confirm ask ' "$work/root/usr/lib/systemd/user/keyhaven-ssh-agent.service"
test -x "$work/root/usr/bin/git-credential-keyhaven"
grep -qx 'Exec=/usr/bin/keyhaven-app --keyring' "$work/root/usr/share/keyhaven/dbus-1/org.freedesktop.secrets.service"
# An opt-in: in D-Bus's own directory it would take gnome-keyring's place.
! test -e "$work/root/usr/share/dbus-1/services/org.freedesktop.secrets.service"

echo "== dependencies"
depends=$(dpkg-deb -f "$deb" Depends)
echo "deb: $depends"
if grep -qE -- '-dev\b' <<<"$depends"; then
  echo "the .deb depends on a build package" >&2
  exit 1
fi
echo "rpm: $(rpm -qpR "$rpm" 2>/dev/null | grep -v '^rpmlib' | tr '\n' ' ')"
echo "== sizes (#14's targets, reported like a benchmark's)"
ls -l "$deb" "$rpm"
stat -c '%s bytes: %n' "$work/root/usr/bin/keyhaven-app" "$work/root/usr/bin/keyhaven"
target() { # label, bytes, limit in bytes
  local verdict=met
  [ "$2" -le "$3" ] || verdict=MISSED
  printf '  [%s] %s: %s MB (limit %s MB)\n' "$verdict" "$1" "$(awk -v b="$2" 'BEGIN { printf "%.2f", b / 1000000 }')" "$(($3 / 1000000))"
}
target ".deb" "$(stat -c %s "$deb")" 8000000
target "installed app binary, stripped" "$(stat -c %s "$work/root/usr/bin/keyhaven-app")" 12000000
