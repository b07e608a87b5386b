"""schemathesis against the Runloop listener with Runloop's OpenAPI spec (spec/, vendored)."""

import subprocess
import sys
from pathlib import Path

from conftest import SPEC, TOKEN


def test_runloop_listener_conforms_to_the_runloop_spec(emulator):
    assert SPEC.exists(), f"the Runloop spec is missing: {SPEC}"
    st = Path(sys.executable).with_name("st")
    config = Path(__file__).with_name("schemathesis.toml")
    result = subprocess.run(
        [str(st), "--config-file", str(config), "run", str(SPEC), "--url", emulator.url("runloop"),
         "--header", f"Authorization: Bearer {TOKEN}",
         "--max-examples", "60", "--seed", "1", "--no-color"],
        capture_output=True, text=True, timeout=600,
    )
    print(result.stdout[-6000:])
    print(result.stderr[-3000:], file=sys.stderr)
    assert result.returncode == 0, "schemathesis found failures (output above)"
