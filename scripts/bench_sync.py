#!/usr/bin/env python3
"""`make bench` (sync part): `keyhaven sync` against the emulator on loopback,
for each dialect: an initial push of 1,000 secrets, a sync of 5,000 unchanged
ones, and the requests a no-op sync makes at 100 and at 5,000 secrets. Each
remote chooses its secrets with a selection of several rules (include,
category, exclude), as a user's would, which chooses all of them.

Vaults use a cheap KDF (8 MiB, 1 iteration) so the figures are sync's own;
the KDF's cost at the default settings is in bench.py's table."""

import http.client
import json
import os
import secrets
import subprocess
import sys
import tempfile
from pathlib import Path

from bench import median_ms, once, run

KH = os.environ.get("KEYHAVEN_BIN", "keyhaven")
EMULATOR = os.environ["KEYHAVEN_EMULATOR_BIN"]
TOKEN = "bench-token"
KINDS = ("runloop", "runtype", "runtools")


class Emulator:
    def __init__(self):
        args = [EMULATOR, "--admin", "--token", TOKEN]
        for kind in KINDS:
            args += [f"--{kind}", "127.0.0.1:0"]
        self.process = subprocess.Popen(args, stdout=subprocess.PIPE, text=True)
        self.addrs = json.loads(self.process.stdout.readline())

    def admin(self, kind, method, path):
        host, port = self.addrs[kind].rsplit(":", 1)
        conn = http.client.HTTPConnection(host, int(port))
        conn.request(method, f"/_emulator/{path}")
        response = conn.getresponse()
        body = response.read()
        assert response.status == 200, (response.status, body[:200])
        return json.loads(body)

    def requests(self, kind):
        return self.admin(kind, "GET", "stats")["requests"]

    def close(self):
        self.process.kill()
        self.process.wait()


def vault_with(work, kind, count):
    """A vault of `count` secrets with the emulator's `kind` listener as remote `bench`."""
    path = Path(work) / f"{kind}-{count}.sqlite"
    env = dict(os.environ, KEYHAVEN_VAULT=str(path), KEYHAVEN_PASSPHRASE="bench passphrase")
    run([KH, "init", "--allow-weak", "--kdf-memory-mib", "8", "--kdf-iterations", "1"], env)
    dotenv = Path(work) / "values.env"
    dotenv.write_text("".join(f"SYNC_{i:05}={secrets.token_hex(12)}\n" for i in range(count)))
    run([KH, "import", str(dotenv)], env)
    dotenv.unlink()
    return env


def measure(emulator, work, kind):
    url = f"http://{emulator.addrs[kind]}"
    selection = ["--include", "SYNC_*", "--include", "OPENAI_*", "--category", "provider", "--exclude", "*_PERSONAL"]
    add = lambda env: run([KH, "remote", "add", "bench", "--kind", kind, "--url", url, *selection], env, TOKEN.encode())
    sync = [KH, "sync", "bench", "--yes"]
    figures = {}

    emulator.admin(kind, "POST", "reset")
    env = vault_with(work, kind, 1_000)
    add(env)
    figures["push_1000_s"] = once(sync, env)

    for count in (100, 5_000):
        emulator.admin(kind, "POST", "reset")
        env = vault_with(work, kind, count)
        add(env)
        run(sync, env)
        before = emulator.requests(kind)
        run(sync, env)
        figures[f"noop_requests_{count}"] = emulator.requests(kind) - before
        if count == 5_000:
            figures["noop_5000_ms"] = median_ms(sync, env, runs=11)
            # The same process without sync, for scale: open, unlock, list locally.
            figures["ls_5000_ms"] = median_ms([KH, "ls"], env, runs=11)
    return figures


def main():
    emulator = Emulator()
    try:
        with tempfile.TemporaryDirectory() as work:
            results = {kind: measure(emulator, work, kind) for kind in KINDS}
    finally:
        emulator.close()

    print("\nsync against the emulator (release builds, loopback, this machine):")
    print(f"  {'':10} {'push 1,000':>11} {'no-op 5,000':>12} {'(ls 5,000)':>11} {'requests of a no-op sync':>26}")
    for kind, f in results.items():
        requests = f"{f['noop_requests_100']} at 100, {f['noop_requests_5000']} at 5,000"
        print(f"  {kind:10} {f['push_1000_s']:>10.2f}s {f['noop_5000_ms']:>10.0f}ms {f['ls_5000_ms']:>9.0f}ms {requests:>26}")
    checks = []
    for kind, f in results.items():
        checks += [
            (f"{kind}: sync of 5,000 selected, unchanged <= 0.5 s", f["noop_5000_ms"] <= 500, f"{f['noop_5000_ms']:.0f} ms"),
            (f"{kind}: initial push of 1,000 <= 5 s", f["push_1000_s"] <= 5, f"{f['push_1000_s']:.2f} s"),
            (f"{kind}: no-op requests grow with pages, not secrets",
             f["noop_requests_5000"] == f["noop_requests_100"] == 1,
             f"{f['noop_requests_100']} -> {f['noop_requests_5000']}"),
        ]
    for label, ok, figure in checks:
        print(f"  [{'met' if ok else 'MISSED'}] {label}: {figure}")


if __name__ == "__main__":
    sys.exit(main())
