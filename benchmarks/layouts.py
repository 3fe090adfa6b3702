"""Wall time of `promote uat prod` in each layout of docs/layouts.md, against the dirs layout.

Run: python benchmarks/layouts.py [--runs 5]

Each sample promotes in a repository of its own, fresh from `promote init --layout LAYOUT` with
the approval prod's gates want already recorded (untimed). The approval is the first command
there, so in the repos layout the environments' cache clones already exist when the promotion is
timed, as they do in any repository promote has run in; the promotion still fetches them. Each
figure is the median of N samples, printed next to the dirs layout measured in the same run, so
the ratio is what to compare across machines:
- dirs: one commit on the checked-out branch, working tree updated;
- branches: SRC and DST exported from their branches, the commit made with plumbing on DST's;
- repos: SRC and DST fetched into their caches and exported, the commit pushed to DST's repository.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PROMOTE = [sys.executable, "-c", "from promote.engine.cli.app import main; main()"]
ENV = {**os.environ, "PROMOTE_DISABLE_PLUGIN_AUTOLOAD": "1"}
LAYOUTS = ("dirs", "branches", "repos")


def run(args: list[str], cwd: Path | None = None) -> None:
    subprocess.run(args, cwd=cwd, env=ENV, check=True, capture_output=True)


def fresh_shop(root: Path, layout: str, number: int) -> Path:
    target = root / f"{layout}-{number}"
    run([*PROMOTE, "init", str(target), "--layout", layout])
    run([*PROMOTE, "approve", "uat", "prod"], cwd=target)  # the example's prod wants one approval
    return target


def timed_promotion(repo: Path) -> float:
    start = time.perf_counter()
    run([*PROMOTE, "uat", "prod", "--yes"], cwd=repo)
    return time.perf_counter() - start


def median_promotions(root: Path, runs: int) -> dict[str, float]:
    """Layout → median seconds; the layouts take turns, so a machine that gets busier or
    quieter during the run weighs on all of them alike."""
    shops = {layout: [fresh_shop(root, layout, i) for i in range(runs)] for layout in LAYOUTS}
    samples: dict[str, list[float]] = {layout: [] for layout in LAYOUTS}
    for number in range(runs):
        for layout in LAYOUTS:
            samples[layout].append(timed_promotion(shops[layout][number]))
    return {layout: statistics.median(times) for layout, times in samples.items()}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    runs = parser.parse_args().runs
    root = Path(tempfile.mkdtemp(prefix="promote-bench-layouts-"))
    try:
        medians = median_promotions(root, runs)
    finally:
        shutil.rmtree(root, ignore_errors=True)
    baseline = medians["dirs"]
    print(f"runs per figure: {runs} (median), promote uat prod --yes")
    for layout, seconds in medians.items():
        ratio = "(baseline)" if layout == "dirs" else f"x{seconds / baseline:.2f} of dirs"
        print(f"{layout:<10} {seconds * 1000:8.1f} ms  {ratio}")


if __name__ == "__main__":
    main()
