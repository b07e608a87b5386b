#!/usr/bin/env bash
# `make run` until the desktop app exists: a short guided tour of the
# `keyhaven` CLI on a throw-away vault that is deleted at the end.
set -euo pipefail

kh=${KEYHAVEN_BIN:-keyhaven}
demo=$(mktemp -d)
trap 'rm -rf "$demo"' EXIT
export KEYHAVEN_VAULT="$demo/vault.sqlite"
export KEYHAVEN_PASSPHRASE="demo passphrase, never reuse it"

say() { printf '\n\033[1;34m# %s\033[0m\n' "$*"; }
step() { printf '\033[1m$ keyhaven %s\033[0m\n' "$*"; "$kh" "$@"; }

say "A new vault: argon2id calibrated to ~0.75 s on this machine (RFC 9106 floor: 64 MiB, t=3, p=4)"
step init
step info

say "Add a secret (the value comes from stdin; on a terminal it is a hidden prompt)"
printf 'sk-demo-0000' | step set OPENAI_API_KEY --category provider --description "demo key" --rotate-by 2026-12-31

say "Rotate it to a generated value; the old version stays in the history"
step rotate OPENAI_API_KEY --generate 40
step history OPENAI_API_KEY

say "Import a .env file"
printf 'GITHUB_TOKEN=ghp_demo\nDATABASE_URL="postgres://demo:pw@localhost/app"\n' >"$demo/app.env"
step import "$demo/app.env"
step ls

say "Run a command with the secrets in its environment; values in its output are masked"
step run -- sh -c 'echo "OPENAI_API_KEY is $OPENAI_API_KEY"; echo "DATABASE_URL is $DATABASE_URL"'

say "Export a template without values, and read one value"
step export
step get GITHUB_TOKEN
echo

say "Everything above, in the audit log (never values)"
step log

say "Done. The demo vault is deleted now; your own lives at the path 'keyhaven info' shows."
