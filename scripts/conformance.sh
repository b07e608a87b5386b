#!/usr/bin/env bash
# Conformance of keyhaven-emulator: schemathesis against the Runloop listener
# with tests/conformance/spec/runloop-secrets.openapi.yaml, and the official SDKs
# (runloop-api-client, runtype-sdk) against every dialect, from a throw-away
# virtualenv under the cargo target dir.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
target=${CARGO_TARGET_DIR:-$root/target}
venv="$target/conformance-venv"
requirements="$root/tests/conformance/requirements.txt"

if [ ! -x "$venv/bin/python" ] || ! cmp -s "$requirements" "$venv/requirements.txt"; then
  rm -rf "$venv"
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check -r "$requirements"
  cp "$requirements" "$venv/requirements.txt"
fi

cargo build --quiet -p keyhaven-emulator
export KEYHAVEN_EMULATOR="$target/debug/keyhaven-emulator"
cd "$root/tests/conformance"
exec "$venv/bin/python" -m pytest -q -p no:cacheprovider "$@"
