#!/usr/bin/env python3
"""`make bench` (desktop app part), under Xvfb in a private D-Bus session:
cold start to the first interactive paint of a 10,000-secret list, idle
memory (PSS summed over the app and its WebKit processes after 10 s, beside
what WebKitGTK's MiniBrowser takes on an empty page and on a tiny scripted
one), a search keystroke to the next rendered frame over 10,000 secrets, and
the app binary's size. KEYHAVEN_APP_BIN names the binary: `make bench` builds
it as `make package` does; /usr/bin/keyhaven-app measures the installed one.

The start is timed through WebDriver (tauri-driver + WebKitWebDriver): from
the session request, which launches the app, until the list shows
"10000 of 10000". That includes the driver's own start-up, so it is an upper
bound on what a person waits. The search is timed inside the page: set the
field, dispatch `input`, wait until the list's count shows the matches (the
search runs in Rust: the reply crosses IPC), then wait for the next animation
frame and a task after it (run once that frame, holding the new list, was
painted). A key pressed just after a frame waits a whole frame interval for
the next one whatever the work costs, so keys come at a random moment of a
frame, as typed ones do; the just-after-a-frame figure is printed beside it."""

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from bench import print_table, run

APP = os.environ["KEYHAVEN_APP_BIN"]
KH = os.environ.get("KEYHAVEN_BIN", "keyhaven")
MINIBROWSER = "/usr/lib/x86_64-linux-gnu/webkit2gtk-4.1/MiniBrowser"
# Another size (KEYHAVEN_BENCH_SECRETS=1) shows what the list itself costs.
COUNT = int(os.environ.get("KEYHAVEN_BENCH_SECRETS", "10000"))
PORT = 4454  # tauri-driver itself takes 4445 for WebKitWebDriver
# Idle memory is judged against WebKitGTK's own floor measured in the same run
# (an absolute 150 MiB was below that floor here); the binary against the
# packaged one's 12 MB (decimal, as `ls` and the issue count it).
TARGETS = {"start_s": 1.5, "pss_over_floor_mib": 40, "search_ms": 16, "binary_mb": 12}


def webdriver(method, path, body=None):
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(f"http://127.0.0.1:{PORT}{path}", data=data, method=method)
    request.add_header("Content-Type", "application/json")
    with urllib.request.urlopen(request, timeout=120) as response:
        reply = json.load(response)
    value = reply.get("value")
    if isinstance(value, dict) and "error" in value:
        raise RuntimeError(f"{method} {path}: {value['error']}: {value.get('message')}")
    return value


def wait_for_driver():
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            webdriver("GET", "/status")
            return
        except OSError:
            time.sleep(0.1)
    sys.exit("tauri-driver did not start")


def script(session, source):
    return webdriver("POST", f"/session/{session}/execute/sync", {"script": source, "args": []})


def pss_mib(root_pid):
    """PSS of `root_pid` and every process below it, by process name (MiB)."""
    children = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(ppid, []).append(int(entry.name))
    by_name, stack = {}, [root_pid]
    while stack:
        pid = stack.pop()
        stack += children.get(pid, [])
        try:
            name = Path(f"/proc/{pid}/comm").read_text().strip()
            for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
                if line.startswith("Pss:"):
                    by_name[name] = by_name.get(name, 0) + int(line.split()[1]) / 1024
        except OSError:
            pass
    return by_name


def app_pid():
    name = Path(APP).name[:15]  # /proc/PID/comm is cut at 15 characters
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if (entry / "comm").read_text().strip() == name:
                    return int(entry.name)
            except OSError:
                continue
    sys.exit("the app's process was not found")


# The smallest page that runs a script and shows text (dates formatted as the
# app's are): what running any web UI costs over about:blank.
PAGE = """<!doctype html><meta charset="utf-8"><title>floor</title><main></main><script>
for (let i = 0; i < 20; i++) {
  const p = document.createElement("p");
  p.textContent = `Secret ${i}, updated ${new Date(0).toLocaleString()}`;
  document.querySelector("main").append(p);
}
</script>"""


def floor_pss_mib(env, url="about:blank"):
    """WebKitGTK's own MiniBrowser (shipped with libwebkit2gtk) on `url`: on
    about:blank, what any WebKitGTK window costs here before an app adds anything."""
    browser = subprocess.Popen([MINIBROWSER, url], env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        time.sleep(10)
        return pss_mib(browser.pid)
    finally:
        browser.terminate()
        browser.wait()


def breakdown(by_name):
    """Rows naming each process's share, largest first."""
    return [(f"  {name}", mib, None) for name, mib in sorted(by_name.items(), key=lambda kv: -kv[1])]


def main():
    home = Path(tempfile.mkdtemp(prefix="keyhaven-bench-app-"))
    vault = home / "vault.sqlite"
    env = dict(os.environ, KEYHAVEN_VAULT=str(vault), KEYHAVEN_PASSPHRASE="bench", XDG_CONFIG_HOME=str(home / "config"),
               XDG_DATA_HOME=str(home / "data"), WEBKIT_DISABLE_DMABUF_RENDERER="1")
    run([KH, "init", "--allow-weak", "--kdf-memory-mib", "8", "--kdf-iterations", "1"], env=env)
    dotenv = home / "secrets.env"
    dotenv.write_text("".join(f"SECRET_{i:05}=value-{i}\n" for i in range(COUNT)))
    run([KH, "import", str(dotenv)], env=env)
    dotenv.unlink()
    # Locked, the app shows only its lock screen; this bench times the list
    # as it was timed before the lock screen, with the names shown locked.
    settings = home / "config" / "dev.keyhaven.app" / "settings.json"
    settings.parent.mkdir(parents=True, exist_ok=True)
    settings.write_text(json.dumps({"show_names_locked": True}))

    driver = subprocess.Popen(["tauri-driver", "--port", str(PORT)], env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_for_driver()
        started = time.monotonic()
        caps = {"capabilities": {"alwaysMatch": {"tauri:options": {"application": APP}}}}
        session = webdriver("POST", "/session", caps)["sessionId"]
        while f"{COUNT} of {COUNT}" not in (script(session, "return document.body.innerText") or ""):
            if time.monotonic() - started > 60:
                sys.exit(f"the list never showed {COUNT} secrets")
            time.sleep(0.01)
        start_s = time.monotonic() - started

        time.sleep(10)
        pss = pss_mib(app_pid())

        # A key comes at any moment of a frame: typed ones at a random one,
        # and, as the worst case, just after a frame was painted. Each key
        # changes the query, and the list is done when its count says what
        # this script expects (the search runs in Rust, the reply comes over IPC).
        queries = ["secret_0", "secret_09", "secret_099", "secret_0999", "", "5", "55", "555", "", "value"]
        names = [f"secret_{i:05}" for i in range(COUNT)]
        updated, painted, worst = [], [], []
        for phase, into in (("Math.random()", painted), ("0", worst)):
            for query in queries * 10:
                expected = f"{sum(query in name for name in names)} of {COUNT}"
                times = script(session, f"""
                    const field = document.querySelector('input[aria-label="Search secrets"]');
                    const count = document.querySelector('.count');
                    const frame = () => new Promise(r => requestAnimationFrame(r));
                    const first = await frame();
                    const interval = (await frame()) - first;
                    await new Promise(r => setTimeout(r, {phase} * interval));
                    const t0 = performance.now();
                    field.value = {json.dumps(query)};
                    field.dispatchEvent(new Event('input', {{ bubbles: true }}));
                    await new Promise(r => {{
                        const done = () => count.textContent === {json.dumps(expected)};
                        if (done()) return r();
                        new MutationObserver((_, o) => done() && (o.disconnect(), r()))
                            .observe(count, {{ childList: true, characterData: true, subtree: true }});
                    }});
                    const t1 = performance.now();
                    // The next frame, and just after it was painted.
                    await new Promise(r => requestAnimationFrame(() => setTimeout(r, 0)));
                    return [t1 - t0, performance.now() - t0];
                """)
                updated.append(times[0])
                into.append(times[1])
        update_ms, search_ms, worst_ms = (statistics.median(t) for t in (updated, painted, worst))
        webdriver("DELETE", f"/session/{session}")
    finally:
        driver.terminate()
        driver.wait()

    have_minibrowser = Path(MINIBROWSER).exists()
    floor = floor_pss_mib(env) if have_minibrowser else {}
    # The app turns JavaScriptCore's JIT off (src-tauri/src/engine.rs), which
    # lowers the engine's own floor too: the target is judged against the
    # engine set up as the app sets it up, the stricter of the two.
    engine_env = dict(env, JSC_useJIT=env.get("JSC_useJIT", "0"))
    same_floor = floor_pss_mib(engine_env) if have_minibrowser else {}
    (home / "page.html").write_text(PAGE)
    page = floor_pss_mib(engine_env, (home / "page.html").as_uri()) if have_minibrowser else {}
    binary_mb = Path(APP).stat().st_size / 1e6
    rows = [
        ("cold start to the list of 10,000 (s)", start_s, TARGETS["start_s"]),
        ("idle PSS after 10 s, app + WebKit (MiB)", sum(pss.values()), None),
        *breakdown(pss),
        ("WebKitGTK's MiniBrowser on about:blank, the same way (MiB)", sum(floor.values()) or float("nan"), None),
        *breakdown(floor),
        ("  the same, with the app's engine settings (JIT off) (MiB)", sum(same_floor.values()) or float("nan"), None),
        ("idle PSS over the stock floor (MiB)", sum(pss.values()) - (sum(floor.values()) or float("nan")), None),
        ("idle PSS over the floor with the app's engine settings (MiB)",
         sum(pss.values()) - (sum(same_floor.values()) or float("nan")), TARGETS["pss_over_floor_mib"]),
        ("  MiniBrowser on a 20-line page with a script, over that floor (MiB)",
         sum(page.values()) - (sum(same_floor.values()) or float("nan")), None),
        ("search: keystroke to the list updated, 10,000 (ms, median of 200)", update_ms, TARGETS["search_ms"]),
        ("search: keystroke to the next painted frame (ms, median of 100)", search_ms, TARGETS["search_ms"]),
        ("  key just after a frame: a whole frame's wait (median of 100)", worst_ms, None),
        ("app binary, stripped (MB)", binary_mb, TARGETS["binary_mb"]),
    ]
    print_table("Desktop app (release, Xvfb)", rows)


if __name__ == "__main__":
    main()
