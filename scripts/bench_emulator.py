#!/usr/bin/env python3
"""`make bench` (emulator part): a Runloop list of 5,000 secrets, and simple
requests per second on loopback measured with wrk. Prints the targets."""

import http.client
import json
import os
import re
import statistics
import subprocess
import sys
import time

EMULATOR = os.environ["KEYHAVEN_EMULATOR_BIN"]
TOKEN = "bench-token"
HEADERS = {"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"}


def main():
    server = subprocess.Popen([EMULATOR, "--runloop", "127.0.0.1:0", "--token", TOKEN], stdout=subprocess.PIPE, text=True)
    try:
        host, port = json.loads(server.stdout.readline())["runloop"].rsplit(":", 1)
        conn = http.client.HTTPConnection(host, int(port))

        def request(method, path, body=None):
            conn.request(method, path, body=json.dumps(body) if body else None, headers=HEADERS)
            response = conn.getresponse()
            data = response.read()
            assert response.status == 200, (response.status, data[:200])
            return data

        for i in range(5000):
            request("POST", "/v1/secrets", {"name": f"BENCH_{i}", "value": f"value-{i}"})
        timings = []
        for _ in range(30):
            started = time.perf_counter()
            data = request("GET", "/v1/secrets?limit=5000")
            timings.append((time.perf_counter() - started) * 1000)
        assert len(json.loads(data)["secrets"]) == 5000
        list_ms = statistics.median(timings)

        wrk = subprocess.run(
            ["wrk", "-t2", "-c32", "-d10s", "-H", f"Authorization: Bearer {TOKEN}",
             f"http://{host}:{port}/v1/secrets/BENCH_42"],
            capture_output=True, text=True, check=True)
        rps = float(re.search(r"Requests/sec:\s+([\d.]+)", wrk.stdout).group(1))
        non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", wrk.stdout)
    finally:
        server.kill()
        server.wait()

    print("\nemulator (release build, loopback, this machine):")
    print(f"  GET /v1/secrets?limit=5000 (5,000 secrets): median {list_ms:.1f} ms over 30 requests")
    print(f"  GET /v1/secrets/NAME with wrk -t2 -c32 -d10s: {rps:.0f} requests/s"
          + (f" ({non_2xx.group(1)} non-2xx!)" if non_2xx else ""))
    checks = [
        ("a list of 5,000 secrets in <= 50 ms", list_ms <= 50, f"{list_ms:.1f} ms"),
        (">= 2,000 simple requests/s", rps >= 2000 and not non_2xx, f"{rps:.0f}/s"),
    ]
    for label, ok, figure in checks:
        print(f"  [{'met' if ok else 'MISSED'}] {label}: {figure}")


if __name__ == "__main__":
    sys.exit(main())
