#!/usr/bin/env python3
"""`make bench` (scan part): looking for vault values in files and history.

- A tree of 1 GB of text files and a vault of 1,000 values: `keyhaven scan`
  (which also looks for each value base64-encoded at every alignment, in both
  alphabets, and URL-encoded: 7 to 8 patterns per value) against
  `grep -rFf VALUES` given the 1,000 values in plain form, same run. Target:
  keyhaven no slower than grep. A few values are planted so both find them.
- A git repository of 10,000 commits (made with `git fast-import`): `keyhaven
  scan --git --all-history` against `git log -p --all | grep -Ff VALUES`.
  Target: ≤ 2 × that.

The page cache is warmed by a first untimed pass of each; each figure is the
median of 3 runs."""

import os
import random
import statistics
import string
import subprocess
import tempfile
import time
from pathlib import Path

from bench import print_table, run

KH = os.environ.get("KEYHAVEN_BIN", "keyhaven")
VALUES = 1_000
TREE_BYTES = 1 << 30
FILE_BYTES = 4 << 20
COMMITS = 10_000
RUNS = 3


def timed(cmd, cwd=None, env=None, shell=False, ok=(0, 1)):
    started = time.perf_counter()
    done = subprocess.run(cmd, cwd=cwd, env=env, shell=shell, stdout=subprocess.DEVNULL,
                          stderr=subprocess.DEVNULL, check=False)
    if done.returncode not in ok:
        raise SystemExit(f"{cmd} exited {done.returncode}")
    return time.perf_counter() - started


def median(cmd, **kwargs):
    timed(cmd, **kwargs)  # warm the page cache
    return statistics.median(timed(cmd, **kwargs) for _ in range(RUNS))


def text_tree(root, values, rng):
    """Lines of words, like source and logs; three values planted."""
    words = ["".join(rng.choices(string.ascii_lowercase, k=rng.randint(2, 9))) for _ in range(5000)]
    block = "\n".join(" ".join(rng.choices(words, k=12)) for _ in range(20_000)) + "\n"
    files = TREE_BYTES // FILE_BYTES
    for i in range(files):
        sub = root / f"dir{i % 16:02}"
        sub.mkdir(exist_ok=True)
        body = (block * (FILE_BYTES // len(block) + 1))[:FILE_BYTES]
        if i in (3, 100, files - 1):
            body = body[:1000] + f"\nkey = {values[i % len(values)]}\n" + body[1000:]
        (sub / f"file{i:04}.txt").write_text(body)


def history_repo(repo, values, rng):
    """10,000 commits touching a few files each; one value in commit 1,234."""
    run(["git", "init", "-q", "-b", "main", str(repo)])
    lines = []
    for n in range(COMMITS):
        content = f"version {n}\n" + "".join(f"setting_{k} = {rng.random()}\n" for k in range(20))
        if n == 1234:
            content += f"token = {values[7]}\n"
        data = content.encode()
        lines.append(f"commit refs/heads/main\ncommitter b <b@example.test> {1700000000 + n} +0000\n"
                     f"data {len(f'change {n}')}\nchange {n}\n"
                     f"M 644 inline src/module{n % 50}.cfg\ndata {len(data)}\n{content}\n")
    subprocess.run(["git", "fast-import", "--quiet"], cwd=repo, input="".join(lines).encode(), check=True)
    run(["git", "-C", str(repo), "reset", "-q", "--hard", "main"])


def main():
    rng = random.Random(7)
    work = Path(tempfile.mkdtemp(prefix="keyhaven-bench-scan-"))
    env = dict(os.environ, KEYHAVEN_VAULT=str(work / "vault.sqlite"), KEYHAVEN_PASSPHRASE="bench")
    run([KH, "init", "--allow-weak", "--kdf-memory-mib", "8", "--kdf-iterations", "1"], env=env)
    alphabet = string.ascii_letters + string.digits + "-_/+="
    values = [f"sk-{''.join(rng.choices(alphabet, k=rng.randint(20, 48)))}" for _ in range(VALUES)]
    dotenv = work / "values.env"
    dotenv.write_text("".join(f"SECRET_{i:04}='{value}'\n" for i, value in enumerate(values)))
    run([KH, "import", str(dotenv)], env=env)
    dotenv.unlink()
    patterns = work / "patterns.txt"
    patterns.write_text("".join(f"{value}\n" for value in values))

    tree = work / "tree"
    tree.mkdir()
    text_tree(tree, values, rng)
    found = subprocess.run([KH, "scan", str(tree)], env=env, capture_output=True, text=True)
    if found.returncode != 1 or len(found.stdout.splitlines()) != 3:
        raise SystemExit(f"scan found {found.stdout!r} in the tree, not the 3 planted values")
    scan_s = median([KH, "scan", str(tree)], env=env)
    grep_s = median(["grep", "-rFf", str(patterns), str(tree)], ok=(0,))

    repo = work / "repo"
    history_repo(repo, values, rng)
    found = subprocess.run([KH, "scan", "--git", "--all-history"], cwd=repo, env=env, capture_output=True, text=True)
    if found.returncode != 1 or ":src/module34.cfg:" not in found.stdout:
        raise SystemExit(f"scan found {found.stdout!r} in the history, not the planted value")
    history_s = median([KH, "scan", "--git", "--all-history"], cwd=repo, env=env)
    log_grep_s = median(f"git log -p --all | grep -Ff {patterns}", cwd=repo, shell=True, ok=(0,))

    rows = [
        (f"grep -rFf, {VALUES:,} values in plain form, 1 GB of text (s)", grep_s, None),
        ("  keyhaven scan of that tree, plain + base64 + URL-encoded (s)", scan_s, grep_s),
        (f"git log -p --all | grep -Ff, {COMMITS:,} commits (s)", log_grep_s, None),
        ("  keyhaven scan --git --all-history (s)", history_s, 2 * log_grep_s),
    ]
    print_table(f"Scan (median of {RUNS})", rows)
    subprocess.run(["rm", "-rf", str(work)], check=False)


if __name__ == "__main__":
    main()
