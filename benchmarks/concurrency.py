"""Throughput of 8 concurrent promotions in one clone, and how long they queue for the lock.

Run: python benchmarks/concurrency.py [--runs 3]

Each run makes a fresh copy of the bundled example with a new release in int, then:
- baseline: the same promotions one after another (`promote int qa --only X`, 8 of them: each of
  the example's 4 artifacts twice, so half find nothing to do), in one process at a time;
- concurrent: the same 8 commands started at once, as 8 CI jobs would.
Printed: median wall time of each, promotions landed per second, the ratio concurrent/sequential
(≈ 1.0 means the lock costs nothing beyond serialising the writes), and the lock wait each
process reported (`waited Xs for the repository lock` on stderr).
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PROMOTE = [sys.executable, "-c", "from promote.engine.cli.app import main; main()"]
ENV = {**os.environ, "PROMOTE_DISABLE_PLUGIN_AUTOLOAD": "1"}
ARTIFACTS = ("ghcr.io/acme/web", "ghcr.io/acme/worker", "*podinfo*", "feature-flags")
COMMANDS = [["int", "qa", "--yes", "--only", ARTIFACTS[i % 4]] for i in range(8)]
WAITED = re.compile(r"waited ([0-9.]+)s for the repository lock")


def git(repo: Path, *args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=repo, env=ENV, check=True, capture_output=True, text=True
    ).stdout


def fresh_release(root: Path, name: str) -> Path:
    """The example, with every artifact of int at a version qa does not run yet."""
    repo = root / name
    subprocess.run([*PROMOTE, "init", str(repo)], env=ENV, check=True, capture_output=True)
    env_dir = repo / "environments/int"
    replacements = {
        "kustomization.yaml": [(r"newTag: 1\.4\.0", "newTag: 1.9.0"), (r'"2\.2\.0"', '"2.9.0"')],
        "podinfo-version.yaml": [(r'version: "[^"]+"', 'version: "6.9.0"')],
        "app-config.yaml": [(r"FEATURE_FLAGS: '[^']+'", "FEATURE_FLAGS: '2027.1.1'")],
    }
    for file, pairs in replacements.items():
        text = (env_dir / file).read_text()
        for pattern, new in pairs:
            text = re.sub(pattern, new, text)
        (env_dir / file).write_text(text)
    git(repo, "commit", "-qam", "int: a new release")
    return repo


def sequential(repo: Path) -> float:
    start = time.perf_counter()
    for command in COMMANDS:
        subprocess.run([*PROMOTE, *command], cwd=repo, env=ENV, check=True, capture_output=True)
    return time.perf_counter() - start


def concurrent(repo: Path) -> tuple[float, list[float]]:
    start = time.perf_counter()
    processes = [
        subprocess.Popen(
            [*PROMOTE, *command],
            cwd=repo,
            env=ENV,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for command in COMMANDS
    ]
    waits = []
    for process in processes:
        _, err = process.communicate()
        if process.returncode != 0:
            raise SystemExit(f"a concurrent promotion failed: {err}")
        found = WAITED.search(err)
        waits.append(float(found.group(1)) if found else 0.0)
    return time.perf_counter() - start, waits


def landed(repo: Path) -> int:
    return len(git(repo, "log", "--format=%H", "--grep=^Promote-Id:").split())


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=3)
    runs = parser.parse_args().runs
    root = Path(tempfile.mkdtemp(prefix="promote-bench-"))
    serial_times, parallel_times, waits, counts = [], [], [], []
    try:
        for run in range(runs):
            serial_times.append(sequential(fresh_release(root, f"serial-{run}")))
            repo = fresh_release(root, f"parallel-{run}")
            before = landed(repo)
            elapsed, run_waits = concurrent(repo)
            parallel_times.append(elapsed)
            waits.extend(run_waits)
            counts.append(landed(repo) - before)
    finally:
        shutil.rmtree(root, ignore_errors=True)
    serial, parallel = statistics.median(serial_times), statistics.median(parallel_times)
    promotions = statistics.median(counts)
    print(f"runs: {runs} (median); 8 promotions of int → qa per run, {promotions:.0f} land")
    print(f"one after another     {serial:6.2f} s  (baseline)")
    print(f"8 at once             {parallel:6.2f} s  x{parallel / serial:.2f} of baseline")
    print(f"throughput at once    {promotions / parallel:6.2f} promotions landed per second")
    print(
        f"lock wait per process median {statistics.median(waits):.2f} s, "
        f"max {max(waits):.2f} s (8 × {runs} processes)"
    )


if __name__ == "__main__":
    main()
