#!/usr/bin/env python3
"""`make bench` (sync part): `keyhaven sync` against the emulator on loopback,
for each dialect, and against a real `bao server -dev` for OpenBao: an
initial push of 1,000 secrets, a sync of 5,000 unchanged ones, and the
requests a no-op sync makes at 100 and at 5,000 secrets. Each remote chooses
its secrets with a selection of several rules (include, category, exclude),
as a user's would, which chooses all of them.

Vaults use a cheap KDF (8 MiB, 1 iteration) so the figures are sync's own;
the KDF's cost at the default settings is in bench.py's table."""

import http.client
import json
import os
import secrets
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench import median_ms, once, run

KH = os.environ.get("KEYHAVEN_BIN", "keyhaven")
BAO = os.environ.get("KEYHAVEN_BAO", "bao")
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


class OpenBao:
    """A `bao server -dev` on a free loopback port, logging requests to a file
    (its audit device) so they can be counted as the emulator counts them."""

    def __init__(self, work):
        self.home = Path(work) / "bao"
        self.home.mkdir()
        self.audit = self.home / "audit.log"
        config = self.home / "config.hcl"
        config.write_text(f'audit "file" "bench" {{\n  options = {{\n    file_path = "{self.audit}"\n  }}\n}}\n')
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.process = subprocess.Popen(
            [BAO, "server", "-dev", "-dev-no-store-token", f"-dev-root-token-id={TOKEN}",
             f"-dev-listen-address=127.0.0.1:{self.port}", f"-config={config}"],
            env=dict(os.environ, HOME=str(self.home)), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for _ in range(300):
            try:
                conn = http.client.HTTPConnection("127.0.0.1", self.port)
                conn.request("GET", "/v1/sys/health")
                if conn.getresponse().status == 200:
                    return
            except OSError:
                pass
            time.sleep(0.1)
        raise RuntimeError("bao server -dev did not start")

    def listing_ms(self, runs=11):
        """The server's own floor: the pages of a detailed listing of the
        current folder as Keyhaven asks for them (2,500 a page), fetched and
        read by a bare HTTP client, median of `runs`."""
        times = []
        for _ in range(runs):
            started = time.perf_counter()
            conn = http.client.HTTPConnection("127.0.0.1", self.port)
            after = ""
            while True:
                query = "list=true&limit=2500" + (f"&after={after}" if after else "")
                conn.request("GET", f"/v1/secret/detailed-metadata/{self.prefix}?{query}",
                             headers={"X-Vault-Token": TOKEN})
                response = conn.getresponse()
                body = response.read()
                keys = json.loads(body)["data"]["keys"] if response.status == 200 else []
                if len(keys) < 2500:
                    break
                after = keys[-1]
            times.append((time.perf_counter() - started) * 1000)
        return sorted(times)[len(times) // 2]

    def requests(self):
        return sum(1 for line in self.audit.read_text().splitlines() if '"type":"request"' in line)

    def reset(self):
        """An empty folder: a prefix of its own for each measurement."""
        self.prefix = f"bench{secrets.token_hex(4)}"

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


def measure(server, work, kind):
    """`server`: the emulator, or for openbao an OpenBao."""
    selection = ["--include", "SYNC_*", "--include", "OPENAI_*", "--category", "provider", "--exclude", "*_PERSONAL"]
    if kind == "openbao":
        reset = server.reset
        requests = server.requests
        where = lambda: ["--url", server.url, "--prefix", server.prefix]
    else:
        reset = lambda: server.admin(kind, "POST", "reset")
        requests = lambda: server.requests(kind)
        where = lambda: ["--url", f"http://{server.addrs[kind]}"]
    add = lambda env: run([KH, "remote", "add", "bench", "--kind", kind, *where(), *selection], env, TOKEN.encode())
    sync = [KH, "sync", "bench", "--yes"]
    figures = {}

    reset()
    env = vault_with(work, kind, 1_000)
    add(env)
    figures["push_1000_s"] = once(sync, env)

    for count in (100, 5_000):
        reset()
        env = vault_with(work, kind, count)
        add(env)
        run(sync, env)
        before = requests()
        run(sync, env)
        figures[f"noop_requests_{count}"] = requests() - before
        if count == 5_000:
            figures["noop_5000_ms"] = median_ms(sync, env, runs=11)
            # The same process without sync, for scale: open, unlock, list locally.
            figures["ls_5000_ms"] = median_ms([KH, "ls"], env, runs=11)
            if kind == "openbao":
                figures["floor_5000_ms"] = server.listing_ms()
    return figures


def main():
    emulator = Emulator()
    with tempfile.TemporaryDirectory() as work:
        bao = OpenBao(work)
        try:
            results = {kind: measure(emulator, work, kind) for kind in KINDS}
            results["openbao"] = measure(bao, work, "openbao")
        finally:
            emulator.close()
            bao.close()

    print("\nsync against the emulator (release builds, loopback, this machine):")
    print(f"  {'':10} {'push 1,000':>11} {'no-op 5,000':>12} {'(ls 5,000)':>11} {'requests of a no-op sync':>26}")
    for kind, f in results.items():
        requests = f"{f['noop_requests_100']} at 100, {f['noop_requests_5000']} at 5,000"
        print(f"  {kind:10} {f['push_1000_s']:>10.2f}s {f['noop_5000_ms']:>10.0f}ms {f['ls_5000_ms']:>9.0f}ms {requests:>26}")
    checks = []
    for kind, f in results.items():
        if kind == "openbao":
            runloop = results["runloop"]["noop_5000_ms"]
            floor, ours = f["floor_5000_ms"], f["noop_5000_ms"] - f["floor_5000_ms"]
            print(f"  openbao's floor: the server alone answers that listing in {floor:.0f} ms "
                  f"(a bare HTTP client, same pages); Keyhaven's share is {ours:.0f} ms")
            checks += [
                ("openbao: no-op sync of 5,000 <= 2x Runloop's", f["noop_5000_ms"] <= 2 * runloop,
                 f"{f['noop_5000_ms']:.0f} ms vs {runloop:.0f} ms (floor {floor:.0f} ms)"),
                ("openbao: Keyhaven's share of it (beyond the server's floor) <= 2x Runloop's whole no-op",
                 ours <= 2 * runloop, f"{ours:.0f} ms vs {runloop:.0f} ms"),
                (f"{kind}: initial push of 1,000 <= 5 s", f["push_1000_s"] <= 5, f"{f['push_1000_s']:.2f} s"),
                # detailed-metadata pages of 2,500: one at 100; two at 5,000, and the empty page after.
                (f"{kind}: no-op requests grow with pages of 2,500, not secrets",
                 f["noop_requests_100"] == 1 and f["noop_requests_5000"] <= 3,
                 f"{f['noop_requests_100']} -> {f['noop_requests_5000']}"),
            ]
            continue
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
