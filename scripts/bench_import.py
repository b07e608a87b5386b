#!/usr/bin/env python3
"""`make bench` (import part): moving in 10,000 entries.

- A 10,000-entry KeePassXC database with Argon2 at KeePassXC's defaults (KDBX
  4, Argon2d, 64 MiB, iterations for about a second), written by
  crates/core/examples/kdbx_fixture.rs since keepassxc-cli 2.7 makes only
  AES-KDF files; and one keepassxc-cli made itself (`import` from XML, its
  default AES-KDF). Each is imported with `keyhaven import`, against
  keepassxc-cli's own `ls -R` of the same file in the same run: both pay the
  file's KDF once. Target: keyhaven ≤ ls + 1.5 s.
- A 10,000-item 1Password .1pux, written here as the format describes it.
  Target: ≤ 2 s.

Each import goes into a fresh vault with a cheap KDF (the vault's own unlock is
not what is measured); each figure is the median of 3 runs."""

import json
import os
import statistics
import subprocess
import tempfile
import time
import zipfile
from pathlib import Path
from xml.sax.saxutils import escape

from bench import print_table, run

KH = os.environ.get("KEYHAVEN_BIN", "keyhaven")
FIXTURE = os.environ["KEYHAVEN_KDBX_FIXTURE"]
ARGON2_ITERATIONS = "30"
N = 10_000
RUNS = 3
DB_PASSWORD = "bench db password"


def keepass_xml(path):
    entries = "".join(
        f"<Entry><String><Key>Title</Key><Value>Service {i}</Value></String>"
        f"<String><Key>UserName</Key><Value>user{i}</Value></String>"
        f"<String><Key>Password</Key><Value ProtectInMemory=\"True\">{escape(f'pw-{i:05}')}</Value></String>"
        f"<String><Key>URL</Key><Value>https://s{i}.example</Value></String></Entry>"
        for i in range(N))
    path.write_text(f"""<?xml version="1.0" encoding="utf-8"?><KeePassFile><Meta><Generator>bench</Generator></Meta>
<Root><Group><Name>Passwords</Name><Group><Name>Services</Name>{entries}</Group></Group></Root></KeePassFile>""")


def one_pux(path):
    items = [{"uuid": f"{i:026}", "state": "active", "categoryUuid": "001",
              "overview": {"title": f"Service {i}", "url": f"https://s{i}.example"},
              "details": {"loginFields": [
                  {"value": f"user{i}", "fieldType": "T", "designation": "username"},
                  {"value": f"pw-{i:05}", "fieldType": "P", "designation": "password"}]}}
             for i in range(N)]
    data = {"accounts": [{"attrs": {"name": "bench"}, "vaults": [{"attrs": {"name": "Private"}, "items": items}]}]}
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("export.attributes", json.dumps({"version": 3}))
        archive.writestr("export.data", json.dumps(data))


def timed(cmd, env=None, stdin=None):
    started = time.perf_counter()
    run(cmd, env, stdin)
    return time.perf_counter() - started


def import_s(work, source, env):
    """Median seconds of `keyhaven import source` into a fresh vault."""
    times = []
    for attempt in range(RUNS):
        vault = work / f"vault-{source.stem}-{attempt}.sqlite"
        vault_env = dict(env, KEYHAVEN_VAULT=str(vault), KEYHAVEN_PASSPHRASE="bench vault")
        run([KH, "init", "--allow-weak", "--kdf-memory-mib", "8", "--kdf-iterations", "1"], env=vault_env)
        times.append(timed([KH, "import", str(source)], env=vault_env))
        listed = json.loads(run([KH, "ls", "--json"], env=vault_env))
        if len(listed) != N:
            raise SystemExit(f"{source.name}: {len(listed)} secrets imported, not {N}")
    return statistics.median(times)


def main():
    work = Path(tempfile.mkdtemp(prefix="keyhaven-bench-import-"))
    env = dict(os.environ, KEYHAVEN_IMPORT_PASSPHRASE=DB_PASSWORD)
    xml, aes, argon2, pux = (work / name for name in ("entries.xml", "aes.kdbx", "argon2.kdbx", "export.1pux"))
    keepass_xml(xml)
    run(["keepassxc-cli", "import", "-q", "-p", str(xml), str(aes)], stdin=f"{DB_PASSWORD}\n{DB_PASSWORD}\n".encode())
    xml.unlink()
    run([FIXTURE, str(argon2), DB_PASSWORD, str(N), ARGON2_ITERATIONS])
    rows = []
    for kdbx, made_by in ((argon2, "kdbx_fixture"), (aes, "keepassxc-cli")):
        info = run(["keepassxc-cli", "db-info", "-q", str(kdbx)], stdin=f"{DB_PASSWORD}\n".encode()).decode()
        kdf = next((line[5:] for line in info.splitlines() if line.startswith("KDF: ")), "?")
        ls_s = statistics.median(
            timed(["keepassxc-cli", "ls", "-q", "-R", str(kdbx)], stdin=f"{DB_PASSWORD}\n".encode())
            for _ in range(RUNS))
        rows.append((f"keepassxc-cli ls -R, .kdbx by {made_by}, {kdf} (s)", ls_s, None))
        rows.append(("  keyhaven import of that .kdbx (s)", import_s(work, kdbx, env), ls_s + 1.5))
    one_pux(pux)
    rows.append(("keyhaven import of a .1pux (s)", import_s(work, pux, env), 2.0))

    print_table(f"Import, {N:,} entries (median of {RUNS})", rows, width=80)
    subprocess.run(["rm", "-rf", str(work)], check=False)


if __name__ == "__main__":
    main()
