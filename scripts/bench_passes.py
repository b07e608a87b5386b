#!/usr/bin/env python3
"""`make bench` (background passes), under Xvfb in a private D-Bus session:
the release app, unlocked, with 5,000 secrets synced to the emulator's
Runloop, Runtype and RunTools, left alone while its background passes run
(`src-tauri/src/passes.rs`). The targets are for an hour of passes every 5
minutes (12 per remote): memory grows by less than 2 MiB and the app uses
under 1% of one core on average. An hour is too long for a bench, so the
passes come every KEYHAVEN_BENCH_PASS_SECONDS (5) for KEYHAVEN_BENCH_WINDOW
seconds (240: about 40 passes per remote, over three hours' worth). Growth
is the fitted trend of the memory between passes (which moves with what the
last pass and the list's refresh left), scaled to 12 passes; the CPU figure
is scaled from the CPU one pass costs to 12 passes an hour. PSS is summed
over the app and its WebKit processes, taken between passes (the least seen
over one interval); CPU is the app process's own (the passes run in Rust)."""

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench import print_table, run
from bench_app import app_pid, pss_mib, script, wait_for_driver, webdriver, PORT
from bench_sync import TOKEN, Emulator

APP = os.environ["KEYHAVEN_APP_BIN"]
KH = os.environ.get("KEYHAVEN_BIN", "keyhaven")
COUNT = 5_000
EVERY = int(os.environ.get("KEYHAVEN_BENCH_PASS_SECONDS", "5"))
WINDOW = int(os.environ.get("KEYHAVEN_BENCH_WINDOW", "240"))
TARGETS = {"growth_mib": 2, "cpu_percent": 1}


def cpu_seconds(pid):
    """utime + stime of `pid` (its threads included), in seconds."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def idle_pss(pid):
    """The app's PSS between passes, by process name: the smallest total seen
    over one pass interval (a pass in flight holds its plan, about 12 MiB per
    remote at 5,000 secrets; that is use, not growth)."""
    samples = []
    until = time.monotonic() + EVERY + 1
    while time.monotonic() < until:
        samples.append(pss_mib(pid))
        time.sleep(0.2)
    return min(samples, key=lambda by_name: sum(by_name.values()))


def main():
    home = Path(tempfile.mkdtemp(prefix="keyhaven-bench-passes-"))
    env = dict(os.environ, KEYHAVEN_VAULT=str(home / "vault.sqlite"), KEYHAVEN_PASSPHRASE="bench",
               XDG_CONFIG_HOME=str(home / "config"), XDG_DATA_HOME=str(home / "data"),
               WEBKIT_DISABLE_DMABUF_RENDERER="1", KEYHAVEN_SYNC_SECONDS=str(EVERY))
    run([KH, "init", "--allow-weak", "--kdf-memory-mib", "8", "--kdf-iterations", "1"], env=env)
    dotenv = home / "secrets.env"
    dotenv.write_text("".join(f"PASS_{i:05}=value-{i:05}-0123456789\n" for i in range(COUNT)))
    run([KH, "import", str(dotenv)], env=env)
    dotenv.unlink()
    emulator = Emulator()
    try:
        for kind in ("runloop", "runtype", "runtools"):
            url = f"http://{emulator.addrs[kind]}"
            run([KH, "remote", "add", kind, "--kind", kind, "--url", url, "--include", "*"], env, TOKEN.encode())
        run([KH, "sync", "--yes"], env)
        before = {kind: emulator.requests(kind) for kind in emulator.addrs}

        driver = subprocess.Popen(["tauri-driver", "--port", str(PORT)], env=env,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            wait_for_driver()
            caps = {"capabilities": {"alwaysMatch": {"tauri:options": {"application": APP}}}}
            session = webdriver("POST", "/session", caps)["sessionId"]
            started = time.monotonic()
            # Locked at start (the lock screen); unlocked as a person would.
            while not script(session, "return !!document.querySelector('input[aria-label=\"Master passphrase\"]')"):
                if time.monotonic() - started > 60:
                    sys.exit("the lock screen never showed")
                time.sleep(0.1)
            script(session, """
                const field = document.querySelector('input[aria-label="Master passphrase"]');
                field.value = 'bench';
                field.dispatchEvent(new Event('input', { bubbles: true }));
                setTimeout(() => document.querySelector('form.unlock button[type=submit]').click(), 50);
                return true;
            """)
            while f"{COUNT} of {COUNT}" not in (script(session, "return document.body.innerText") or ""):
                if time.monotonic() - started > 60:
                    sys.exit(f"the list never showed {COUNT} secrets")
                time.sleep(0.1)
            pid = app_pid()
            time.sleep(30)  # warm: the first passes, caches filled
            by_name0 = idle_pss(pid)
            pss0, cpu0, t0 = sum(by_name0.values()), cpu_seconds(pid), time.monotonic()
            mid = {kind: emulator.requests(kind) for kind in emulator.addrs}
            # The floor along the way: it moves with what the last pass and
            # the list's refresh left (the list's index is rebuilt after each
            # pass), so growth is the trend of the floor, not two of its points.
            curve = [(0.0, 0.0)]
            while (elapsed := time.monotonic() - t0) < WINDOW:
                time.sleep(max(0, min(WINDOW / 8, WINDOW - elapsed) - EVERY - 1))
                curve.append((time.monotonic() - t0, sum(idle_pss(pid).values()) - pss0))
                print(f"  after {curve[-1][0]:.0f} s: {curve[-1][1]:+.1f} MiB", file=sys.stderr, flush=True)
            by_name1 = idle_pss(pid)
            pss1, cpu1, t1 = sum(by_name1.values()), cpu_seconds(pid), time.monotonic()
            curve.append((t1 - t0, pss1 - pss0))
            after = {kind: emulator.requests(kind) for kind in emulator.addrs}
            webdriver("DELETE", f"/session/{session}")
        finally:
            driver.terminate()
            driver.wait()
    finally:
        emulator.close()

    passes = (after["runloop"] - mid["runloop"])  # one listing request per pass at Runloop
    # Least squares over the floor's samples: its slope, times the window.
    mean_t = sum(t for t, _ in curve) / len(curve)
    mean_y = sum(y for _, y in curve) / len(curve)
    slope = sum((t - mean_t) * (y - mean_y) for t, y in curve) / sum((t - mean_t) ** 2 for t, _ in curve)
    fitted = slope * (t1 - t0)
    cpu_percent = 100 * (cpu1 - cpu0) / (t1 - t0)
    per_pass_s = (cpu1 - cpu0) / max(passes, 1)
    rows = [
        (f"passes at Runloop in {WINDOW} s, every {EVERY} s (requests, one listing each)", passes, None),
        ("requests during the warm-up (all remotes)", sum(mid.values()) - sum(before.values()), None),
        ("PSS after the warm-up, app + WebKit (MiB)", pss0, None),
        (f"PSS floor over {WINDOW} s of passes: least seen (MiB, against the warm-up)", min(y for _, y in curve), None),
        ("  most seen (MiB)", max(y for _, y in curve), None),
        ("  at the end (MiB)", pss1 - pss0, None),
        (f"PSS growth over {WINDOW} s of passes, the floor's fitted trend (MiB)", fitted, None),
        ("PSS growth per hour of passes every 5 min (12 per remote; MiB)", fitted * 12 / max(passes, 1),
         TARGETS["growth_mib"]),
        *((f"  {name}", by_name1.get(name, 0) - by_name0.get(name, 0), None) for name in sorted(by_name1)),
        (f"CPU over the window, passes every {EVERY} s (% of one core)", cpu_percent, None),
        ("CPU per pass over 3 remotes × 5,000 secrets (ms)", 1000 * per_pass_s, None),
        ("CPU at one pass every 5 min (% of one core)", 100 * per_pass_s * 12 / 3600, TARGETS["cpu_percent"]),
    ]
    print_table("Background passes (release app, Xvfb)", rows)


if __name__ == "__main__":
    main()
