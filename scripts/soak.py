#!/usr/bin/env python3
"""`make soak`: the release app, driven for about 15 minutes under Xvfb in a
private D-Bus session, as a person uses it all day, while its memory is
sampled. A vault of 10,000 secrets (the default KDF, as `keyhaven init`
calibrates it), 1,000 of them synced with the emulator's Runloop; then
ROUNDS rounds, each with 20 searches, 4 reveals each followed by a copy, a
lock and an unlock with the passphrase, and in 20 of the 50 rounds a Sync
now. The background passes run as they do for a person (every 5 minutes).

Memory is the PSS of the app and its WebKit processes, taken after each round
as the least seen over 2 idle seconds. Growth is from the end of the warm-up
(the first WARMUP rounds: every kind of work done at least once, caches
filled) to the end, target 5 MiB; the fitted trend over the rounds after the
warm-up is printed beside it, since a steady climb is a leak even when the
two end points happen to sit close.

KEYHAVEN_SOAK_SECONDS (900) sets the length: each round takes at least
SECONDS / ROUNDS, resting after its work. Every reveal checks the value
shown, every search the count, every sync the emulator's request count: a
soak whose steps silently failed would measure an idle app."""

import http.client
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench import print_table, run
from bench_app import PORT, app_pid, pss_mib, wait_for_driver, webdriver
from bench_app import script as bench_script
from bench_sync import TOKEN, Emulator

APP = os.environ["KEYHAVEN_APP_BIN"]
KH = os.environ.get("KEYHAVEN_BIN", "keyhaven")
SECONDS = int(os.environ.get("KEYHAVEN_SOAK_SECONDS", "900"))
COUNT = 10_000
SYNCED = "SOAK_00*"  # SOAK_00000 … SOAK_00999
ROUNDS = int(os.environ.get("KEYHAVEN_SOAK_ROUNDS", "50"))  # fewer, to try a change to this script
WARMUP = max(2, ROUNDS // 10)
SEARCHES, REVEALS, SYNCS = 20, 4, ROUNDS * 2 // 5
PASSPHRASE = "soak test passphrase, long enough to be strong 7"
TARGETS = {"growth_mib": 5}

# Helpers every script below starts with: the page's own controls, found by
# what a person reads on them, as the e2e test finds them.
JS = """
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const until = async (what, test, ms = 60000) => {
  const t0 = performance.now();
  let got;
  while (!(got = test())) {
    if (performance.now() - t0 > ms) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
  return got;
};
const text = (el) => el.textContent.replace(/\\s+/g, " ").trim();
const button = (label) => [...document.querySelectorAll("button")].find((b) => text(b) === label && !b.disabled);
const type = (el, value) => {
  el.value = value;
  el.dispatchEvent(new Event("input", { bubbles: true }));
};
const count = () => document.querySelector(".count")?.textContent ?? "";
const secrets = async () => {
  (await until("the Secrets button", () => button("Secrets"))).click();
  return until("the search field", () => document.querySelector('input[aria-label="Search secrets"]'));
};
"""


RETRIED = [0]


def script(session, source):
    """bench_app's `script`, sent again once when tauri-driver drops the
    request on its way to WebKitWebDriver ("client error (SendRequest)" or
    "(Canceled)" in its log, a closed connection here): a connection of its
    pool that the other side had closed, seen a few times per soak. The
    steps are safe to repeat; how often it happened is reported."""
    try:
        return bench_script(session, source)
    except http.client.RemoteDisconnected:
        RETRIED[0] += 1
        time.sleep(1)
        return bench_script(session, source)


def name(i):
    return f"SOAK_{i:05}"


def value(i):
    return f"soak-value-{i:05}-0123456789abcdef"


def search(session, query, names):
    expected = f"{sum(query.upper() in n for n in names)} of {COUNT}"
    script(session, JS + f"""
        type(await secrets(), {json.dumps(query)});
        await until("the count {expected}", () => count() === {json.dumps(expected)});
        return true;
    """)


def reveal_and_copy(session, i):
    script(session, JS + f"""
        type(await secrets(), {json.dumps(name(i))});
        await until("one match", () => count() === "1 of {COUNT}");
        const row = await until("the row", () => [...document.querySelectorAll('[role=option]')]
            .find((r) => [...r.querySelectorAll("span")].some((s) => text(s) === {json.dumps(name(i))})));
        row.click();
        (await until("Reveal", () => button("Reveal"))).click();
        await until("the value shown", () => document.body.innerText.includes({json.dumps(value(i))}));
        (await until("Copy", () => button("Copy"))).click();
        (await until("Hide", () => button("Hide"))).click();
        await until("the value hidden", () => !document.body.innerText.includes({json.dumps(value(i))}));
        return true;
    """)


# Unlocks as a person does, from the lock screen, and waits for the whole list.
UNLOCK = f"""
    type(await until("the passphrase field", () => document.querySelector('input[aria-label="Master passphrase"]')),
         {json.dumps(PASSPHRASE)});
    await sleep(50);
    (await until("Unlock", () => button("Unlock"))).click();
    await secrets();
    await until("the whole list", () => count() === "{COUNT} of {COUNT}");
    return true;
"""


def lock_and_unlock(session):
    script(session, JS + """
        (await until("Lock", () => button("Lock"))).click();
        await until("the lock screen", () => document.querySelector('section[aria-label="Keyhaven is locked"]'));
    """ + UNLOCK)


def sync(session, emulator):
    before = emulator.requests("runloop")
    script(session, JS + """
        (await until("Sync", () => button("Sync"))).click();
        (await until("Sync now", () => button("Sync now"))).click();
        await until("the sync to start", () => !button("Sync now"), 5000).catch(() => true);
        await until("the sync to end", () => button("Sync now"), 120000);
        return true;
    """)
    if emulator.requests("runloop") == before:
        sys.exit("Sync now sent nothing to the emulator")


def rest(session, seconds):
    """Idles, touching the session every few seconds: tauri-driver reuses its
    connection to WebKitWebDriver, which closes one left idle for about 15 s,
    and the next command then fails ("client error (SendRequest)")."""
    until = time.monotonic() + seconds
    while (left := until - time.monotonic()) > 0:
        time.sleep(min(5.0, left))
        script(session, "return true")


def idle_pss(pid):
    """The least PSS seen over 2 idle seconds, by process name."""
    samples = []
    until = time.monotonic() + 2
    while time.monotonic() < until:
        samples.append(pss_mib(pid))
        time.sleep(0.2)
    return min(samples, key=lambda by_name: sum(by_name.values()))


def slope(points):
    mean_x = sum(x for x, _ in points) / len(points)
    mean_y = sum(y for _, y in points) / len(points)
    return sum((x - mean_x) * (y - mean_y) for x, y in points) / sum((x - mean_x) ** 2 for x, _ in points)


def main():
    home = Path(tempfile.mkdtemp(prefix="keyhaven-soak-"))
    env = dict(os.environ, KEYHAVEN_VAULT=str(home / "vault.sqlite"), KEYHAVEN_PASSPHRASE=PASSPHRASE,
               XDG_CONFIG_HOME=str(home / "config"), XDG_DATA_HOME=str(home / "data"),
               WEBKIT_DISABLE_DMABUF_RENDERER="1")
    run([KH, "init"], env=env)
    dotenv = home / "secrets.env"
    dotenv.write_text("".join(f"{name(i)}={value(i)}\n" for i in range(COUNT)))
    run([KH, "import", str(dotenv)], env=env)
    dotenv.unlink()
    names = [name(i) for i in range(COUNT)]
    rng = random.Random(7)
    emulator = Emulator()
    try:
        url = f"http://{emulator.addrs['runloop']}"
        run([KH, "remote", "add", "prod", "--kind", "runloop", "--url", url, "--include", SYNCED], env,
            TOKEN.encode())
        run([KH, "sync", "--yes"], env)
        del env["KEYHAVEN_PASSPHRASE"]  # the app is unlocked as a person unlocks it

        # The driver's output holds the app's (its stderr: panics, WebKit's
        # complaints), printed if a step fails.
        log = open(home / "driver.log", "wb")
        driver = subprocess.Popen(["tauri-driver", "--port", str(PORT)], env=env, stdout=log, stderr=log)
        try:
            wait_for_driver()
            caps = {"capabilities": {"alwaysMatch": {"tauri:options": {"application": APP}}}}
            session = webdriver("POST", "/session", caps)["sessionId"]
            script(session, JS + UNLOCK)
            pid = app_pid()
            started = time.monotonic()
            done = {"searches": 0, "reveals and copies": 0, "locks and unlocks": 0, "syncs": 0}
            curve, by_name = [], {}
            for r in range(ROUNDS):
                round_started = time.monotonic()
                for _ in range(SEARCHES):
                    # Prefixes of a name, a fragment, nothing: what a person types.
                    target = name(rng.randrange(COUNT))
                    query = rng.choice([target[: rng.randrange(6, 11)], target[-3:].lower(), "", "soak_0"])
                    search(session, query, names)
                    done["searches"] += 1
                for _ in range(REVEALS):
                    reveal_and_copy(session, rng.randrange(COUNT))
                    done["reveals and copies"] += 1
                lock_and_unlock(session)
                done["locks and unlocks"] += 1
                if (r + 1) * SYNCS // ROUNDS != r * SYNCS // ROUNDS:
                    sync(session, emulator)
                    done["syncs"] += 1
                rest(session, SECONDS / ROUNDS - (time.monotonic() - round_started) - 2)
                by_name[r] = idle_pss(pid)
                curve.append((time.monotonic() - started, sum(by_name[r].values())))
                print(f"  round {r + 1}/{ROUNDS} at {curve[-1][0]:.0f} s: {curve[-1][1]:.1f} MiB",
                      file=sys.stderr, flush=True)
            webdriver("DELETE", f"/session/{session}")
        except Exception:
            print((home / "driver.log").read_text(errors="replace")[-4000:], file=sys.stderr)
            raise
        finally:
            driver.terminate()
            driver.wait()
    finally:
        emulator.close()

    warm, end = curve[WARMUP - 1][1], curve[-1][1]
    after_warmup = curve[WARMUP - 1:]
    fitted = slope(after_warmup) * (after_warmup[-1][0] - after_warmup[0][0])
    first, last = by_name[WARMUP - 1], by_name[ROUNDS - 1]
    rows = [
        *((f"{what} (count)", n, None) for what, n in done.items()),
        ("soak length (min)", curve[-1][0] / 60, None),
        ("WebDriver commands sent again after tauri-driver dropped them", RETRIED[0], None),
        ("PSS at the end of the warm-up, app + WebKit (MiB)", warm, None),
        ("PSS at the end (MiB)", end, None),
        ("  least and most seen after the warm-up (MiB, least)", min(y for _, y in after_warmup), None),
        ("  (most)", max(y for _, y in after_warmup), None),
        ("PSS growth, end of warm-up to the end (MiB)", end - warm, TARGETS["growth_mib"]),
        ("PSS growth, the fitted trend over the same span (MiB)", fitted, TARGETS["growth_mib"]),
        *((f"  {process}", last.get(process, 0) - first.get(process, 0), None) for process in sorted(last)),
    ]
    print_table("Soak (release app, Xvfb)", rows)


if __name__ == "__main__":
    main()
