"""Starts the real keyhaven-emulator (KEYHAVEN_EMULATOR) for each test module."""

import json
import os
import subprocess
from pathlib import Path

import pytest

TOKEN = "conformance-token"
ADMIN_TOKEN = "conformance-admin"
SPEC = Path(__file__).resolve().parent / "spec" / "runloop-secrets.openapi.yaml"


class Emulator:
    def __init__(self, *extra):
        binary = os.environ.get("KEYHAVEN_EMULATOR")
        if not binary:
            raise RuntimeError("set KEYHAVEN_EMULATOR to the keyhaven-emulator binary (scripts/conformance.sh does)")
        self.process = subprocess.Popen(
            [binary, "--admin", "--token", TOKEN, "--admin-token", ADMIN_TOKEN, *extra],
            stdout=subprocess.PIPE,
            text=True,
        )
        self.addrs = json.loads(self.process.stdout.readline())

    def url(self, dialect):
        return f"http://{self.addrs[dialect]}"

    def stop(self):
        self.process.kill()
        self.process.wait()


@pytest.fixture(scope="module")
def emulator():
    emu = Emulator()
    yield emu
    emu.stop()


@pytest.fixture
def fresh(emulator):
    """The module's emulator with all state reset."""
    import urllib.request

    for dialect in ("runloop", "runtype", "runtools"):
        urllib.request.urlopen(urllib.request.Request(f"{emulator.url(dialect)}/_emulator/reset", method="POST"))
    return emulator
