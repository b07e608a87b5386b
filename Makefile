# Keyhaven: `make run` and `make test` set up everything they need.
SHELL := bash
.SHELLFLAGS := -euo pipefail -c

# Outside the clone, so repeated runs on one machine stay incremental.
export CARGO_TARGET_DIR ?= $(HOME)/.cache/keyhaven/target
CARGO ?= cargo
# OpenBao and the hvac client (its venv's python) for core's tests/openbao.rs,
# installed by scripts/install-deps.sh test.
export KEYHAVEN_BAO ?= $(CARGO_TARGET_DIR)/tools-venv/bin/bao
export KEYHAVEN_TOOLS_PYTHON ?= $(CARGO_TARGET_DIR)/tools-venv/bin/python
# Cargo unifies features over the packages named, so a command naming other
# packages rebuilds tauri and friends (8.5 min cold for `-p keyhaven-app`):
# the steps after `cargo test --workspace` name the same sets it did. The
# e2e build names the CLI too (its rustix features), and the workspace
# manifest names what the test build's dev-dependencies turn on.
E2E_BUILD = $(CARGO) build --locked -p keyhaven-app -p keyhaven-e2e -p keyhaven-cli

.PHONY: run demo ui e2e test fuzz bench soak lint fmt package test-package

## Build the UI and the desktop app and start it on the default vault
## (KEYHAVEN_VAULT picks another). Headless machines: `xvfb-run make run`.
## It builds what `make test`'s e2e step builds, the same packages with the
## same features, so a `make run` after `make test` rebuilds nothing.
run:
	scripts/install-deps.sh build
	npm --prefix ui run build
	$(E2E_BUILD)
	scripts/run-app.sh "$(CARGO_TARGET_DIR)/debug/keyhaven-app"

## Build the CLI and walk through a short demo on a throw-away vault.
demo:
	scripts/install-deps.sh build
	$(CARGO) build --release -p keyhaven-cli
	KEYHAVEN_BIN="$(CARGO_TARGET_DIR)/release/keyhaven" scripts/demo.sh

## The UI's formatter, type check, unit tests, browser tests of every screen in
## headless Chromium (IPC mocked), and build (the app embeds ui/dist).
ui:
	npm --prefix ui run lint
	npm --prefix ui run check
	npm --prefix ui test
	npm --prefix ui run test:browser
	npm --prefix ui run build

## End-to-end: the real app under Xvfb, driven over WebDriver (tauri-driver +
## WebKitWebDriver) on a fresh vault; screenshots in target/screenshots/.
e2e:
	$(E2E_BUILD)
	xvfb-run -a -s "-screen 0 1280x800x24" dbus-run-session -- \
	  "$(CARGO_TARGET_DIR)/debug/keyhaven-e2e" "$(CARGO_TARGET_DIR)/debug/keyhaven-app" target/screenshots

## Formatting, lints and every test.
test:
	scripts/install-deps.sh test
	$(MAKE) --no-print-directory ui
	$(CARGO) fmt --all --check
	$(CARGO) clippy --workspace --all-targets --locked -- -D warnings
	$(CARGO) test --workspace --locked
	scripts/with-sway.sh $(CARGO) test --workspace --locked --lib --bins --tests -- --ignored wayland
	scripts/conformance.sh
	$(MAKE) --no-print-directory e2e

## The importers' property tests at length: every entry point fed any bytes,
## any KDBX header and any KeePass XML (64 cases each in `make test`).
## KEYHAVEN_FUZZ_CASES picks how many.
fuzz:
	KEYHAVEN_FUZZ_CASES=$${KEYHAVEN_FUZZ_CASES:-20000} $(CARGO) test --release --locked -p keyhaven-core \
	  --test import_formats never_panic

## Release packages: a .deb and an .rpm of the app and the CLI, in target/packages/.
package:
	scripts/install-deps.sh package
	scripts/package.sh
	scripts/check-package.sh

## As root: installs the .deb from `make package` with apt-get, opens a
## keyhaven:// link in the installed app under Xvfb, removes it again.
test-package: package
	scripts/install-deps.sh test
	$(E2E_BUILD)
	scripts/test-package.sh

## Benchmarks: the vault against keepassxc-cli and pass, the emulator, sync,
## scan against grep, imports of 10,000 entries, then the desktop app (start,
## memory, search, size) and its background passes (memory, CPU) under Xvfb.
bench:
	scripts/install-deps.sh bench
	$(CARGO) build --release -p keyhaven-cli -p keyhaven-emulator
	KEYHAVEN_BIN="$(CARGO_TARGET_DIR)/release/keyhaven" scripts/bench.py
	KEYHAVEN_EMULATOR_BIN="$(CARGO_TARGET_DIR)/release/keyhaven-emulator" scripts/bench_emulator.py
	KEYHAVEN_BIN="$(CARGO_TARGET_DIR)/release/keyhaven" \
	  KEYHAVEN_EMULATOR_BIN="$(CARGO_TARGET_DIR)/release/keyhaven-emulator" scripts/bench_sync.py
	KEYHAVEN_BIN="$(CARGO_TARGET_DIR)/release/keyhaven" scripts/bench_scan.py
	$(CARGO) build --release -p keyhaven-core --example kdbx_fixture
	KEYHAVEN_BIN="$(CARGO_TARGET_DIR)/release/keyhaven" \
	  KEYHAVEN_KDBX_FIXTURE="$(CARGO_TARGET_DIR)/release/examples/kdbx_fixture" scripts/bench_import.py
	npm --prefix ui run build
	# Built as `make package` builds it (the Tauri CLI's build differs from cargo's).
	npx --prefix ui tauri build --ci --ignore-version-mismatches --no-bundle -- --locked --profile app -p keyhaven-app -p keyhaven-cli
	KEYHAVEN_BIN="$(CARGO_TARGET_DIR)/release/keyhaven" KEYHAVEN_APP_BIN="$(CARGO_TARGET_DIR)/app/keyhaven-app" \
	  xvfb-run -a -s "-screen 0 1280x800x24" dbus-run-session -- scripts/bench_app.py
	KEYHAVEN_BIN="$(CARGO_TARGET_DIR)/release/keyhaven" KEYHAVEN_APP_BIN="$(CARGO_TARGET_DIR)/app/keyhaven-app" \
	  KEYHAVEN_EMULATOR_BIN="$(CARGO_TARGET_DIR)/release/keyhaven-emulator" \
	  xvfb-run -a -s "-screen 0 1280x800x24" dbus-run-session -- scripts/bench_passes.py

## About 15 minutes of a person's day in the release app under Xvfb (10,000
## secrets: 1,000 searches, 200 reveals and copies, 50 locks and unlocks, 20
## syncs with the emulator), reporting how its memory grew after the warm-up.
soak:
	scripts/install-deps.sh bench
	$(CARGO) build --release -p keyhaven-emulator
	npm --prefix ui run build
	npx --prefix ui tauri build --ci --ignore-version-mismatches --no-bundle -- --locked --profile app -p keyhaven-app -p keyhaven-cli
	KEYHAVEN_BIN="$(CARGO_TARGET_DIR)/app/keyhaven" KEYHAVEN_APP_BIN="$(CARGO_TARGET_DIR)/app/keyhaven-app" \
	  KEYHAVEN_EMULATOR_BIN="$(CARGO_TARGET_DIR)/release/keyhaven-emulator" \
	  xvfb-run -a -s "-screen 0 1280x800x24" dbus-run-session -- scripts/soak.py

fmt:
	$(CARGO) fmt --all
	npm --prefix ui run format
