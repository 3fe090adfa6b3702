"""Wall time of `promote --help` and of `promote uat prod` on the bundled example.

Run: python benchmarks/promote_cli.py [--runs 5]

Each figure is the median of N runs, printed next to a baseline measured in the same run on the
same machine, so the ratio is what to compare across machines:
- `promote --help` against a bare `python -c pass` (interpreter start-up, the floor for any CLI);
- `promote uat prod` (gates included: the example's prod has an approval and an upstreams gate)
  against the unavoidable external work of a promotion done by hand: three `kubectl kustomize`
  builds (SRC, DST, DST after the edit) plus one `git commit`.
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
from collections.abc import Callable
from pathlib import Path

PROMOTE = [sys.executable, "-c", "from promote.engine.cli.app import main; main()"]
ENV = {**os.environ, "PROMOTE_DISABLE_PLUGIN_AUTOLOAD": "1"}


def timed(action: Callable[[], None]) -> float:
    start = time.perf_counter()
    action()
    return time.perf_counter() - start


def run(args: list[str], cwd: Path | None = None) -> None:
    subprocess.run(args, cwd=cwd, env=ENV, check=True, capture_output=True)


def fresh_demo(root: Path, number: int) -> Path:
    target = root / f"demo-{number}"
    run([*PROMOTE, "init", str(target)])
    run([*PROMOTE, "approve", "uat", "prod"], cwd=target)  # the example's prod wants one approval
    return target


def hand_made_promotion(repo: Path) -> None:
    for env in ("uat", "prod"):
        run(["kubectl", "kustomize", f"environments/{env}"], cwd=repo)
    kustomization = repo / "environments/prod/kustomization.yaml"
    kustomization.write_text(kustomization.read_text().replace("newTag: 1.2.0", "newTag: 1.3.0"))
    run(["kubectl", "kustomize", "environments/prod"], cwd=repo)
    run(["git", "commit", "-qam", "promote by hand"], cwd=repo)


def median_of(runs: int, make: Callable[[int], Callable[[], None]]) -> float:
    return statistics.median(timed(make(i)) for i in range(runs))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    runs = parser.parse_args().runs
    root = Path(tempfile.mkdtemp(prefix="promote-bench-"))
    try:
        python = median_of(runs, lambda _: lambda: run([sys.executable, "-c", "pass"]))
        helps = median_of(runs, lambda _: lambda: run([*PROMOTE, "--help"]))
        demos = [fresh_demo(root, i) for i in range(2 * runs)]
        by_hand = median_of(runs, lambda i: lambda: hand_made_promotion(demos[i]))
        promote = median_of(
            runs, lambda i: lambda: run([*PROMOTE, "uat", "prod", "--yes"], cwd=demos[runs + i])
        )
    finally:
        shutil.rmtree(root, ignore_errors=True)
    print(f"runs per figure: {runs} (median)")
    print(f"python -c pass        {python * 1000:8.1f} ms  (baseline)")
    print(f"promote --help        {helps * 1000:8.1f} ms  x{helps / python:.2f} of baseline")
    print(f"by hand: 3 builds+commit {by_hand * 1000:5.1f} ms  (baseline)")
    print(f"promote uat prod      {promote * 1000:8.1f} ms  x{promote / by_hand:.2f} of baseline")


if __name__ == "__main__":
    main()
