#!/usr/bin/env bash
# `make package`: the release app (the size profile `app`) and the CLI,
# bundled by the Tauri bundler into a .deb and an .rpm in target/packages/.
# Each package holds both binaries, the desktop entry (packaging/), the icons
# made from icons/keyhaven.png, the AppStream metainfo, and the CLI's man page
# and shell completions, generated from its clap definition. No AppImage: its
# bundler downloads linuxdeploy, which these machines cannot fetch.
set -euo pipefail
cd "$(dirname "$0")/.."
target="${CARGO_TARGET_DIR:-$HOME/.cache/keyhaven/target}"
stage=target/packages/stage

npm --prefix ui run build
# The Tauri CLI (ui/'s dev dependency, 2.11 like the tauri crate) builds the
# app with the `app` profile. The UI's @tauri-apps/api is 2.12, a minor ahead
# of the crate: the CLI refuses that unless told; the app's own tests
# (WebDriver, browser) run with exactly this pair. The CLI is built in the
# same cargo run: built alone, cargo would unify other features and compile
# the shared dependencies a second time (2.4 min of a cold CI run).
tauri_build() {
  npx --prefix ui tauri build --ci --ignore-version-mismatches "$@" \
    -- --locked --profile app -p keyhaven-app -p keyhaven-cli
}
tauri_build --no-bundle
rm -rf target/packages
mkdir -p "$stage"
cp "$target/app/keyhaven" "$stage/keyhaven"
"$stage/keyhaven" generate man --out "$stage"
"$stage/keyhaven" generate completions --out "$stage"
# Man pages and the changelog compressed as Debian policy wants (-n: no timestamp, reproducible).
cp packaging/keyhaven-app.1 packaging/changelog "$stage/"
gzip -n -9 "$stage/keyhaven.1" "$stage/keyhaven-app.1" "$stage/changelog"
# Bundled once the stage is ready (the bundler packs its files); cargo has
# nothing left to build.
tauri_build --bundles deb,rpm
# Named after the package inside (keyhaven), not the product name (Keyhaven).
for bundle in "$target"/app/bundle/deb/*.deb "$target"/app/bundle/rpm/*.rpm; do
  if [ "$bundle" -nt "$stage/keyhaven" ]; then
    cp "$bundle" "target/packages/$(basename "$bundle" | tr 'A-Z' 'a-z')"
  fi
done
# The bundler's .deb is gzip'd; dpkg's own xz halves it (10.4 MB -> 5.1 MB
# measured), so it is repacked with the same files, owners and control data.
for deb in target/packages/*.deb; do
  rm -rf "$stage/deb"
  dpkg-deb -R "$deb" "$stage/deb"
  dpkg-deb -Zxz -z9 --root-owner-group -b "$stage/deb" "$deb" >/dev/null
done
ls -l target/packages/*.deb target/packages/*.rpm
