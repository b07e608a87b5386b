# Keyhaven: `make run` and `make test` set up everything they need.
SHELL := bash
.SHELLFLAGS := -euo pipefail -c

# Outside the clone, so repeated runs on one machine stay incremental.
export CARGO_TARGET_DIR ?= $(HOME)/.cache/keyhaven/target
CARGO ?= cargo

.PHONY: run test bench lint fmt

## Build the CLI and walk through a short demo on a throw-away vault.
run:
	scripts/install-deps.sh build
	$(CARGO) build --release -p keyhaven-cli
	KEYHAVEN_BIN="$(CARGO_TARGET_DIR)/release/keyhaven" scripts/demo.sh

## Formatting, lints and every test.
test:
	scripts/install-deps.sh test
	$(CARGO) fmt --all --check
	$(CARGO) clippy --workspace --all-targets --locked -- -D warnings
	$(CARGO) test --workspace --locked
	scripts/conformance.sh

## Benchmarks: the vault against keepassxc-cli and pass, then the emulator.
bench:
	scripts/install-deps.sh bench
	$(CARGO) build --release -p keyhaven-cli -p keyhaven-emulator
	KEYHAVEN_BIN="$(CARGO_TARGET_DIR)/release/keyhaven" scripts/bench.py
	KEYHAVEN_EMULATOR_BIN="$(CARGO_TARGET_DIR)/release/keyhaven-emulator" scripts/bench_emulator.py
	KEYHAVEN_BIN="$(CARGO_TARGET_DIR)/release/keyhaven" \
	  KEYHAVEN_EMULATOR_BIN="$(CARGO_TARGET_DIR)/release/keyhaven-emulator" scripts/bench_sync.py

fmt:
	$(CARGO) fmt --all
