"""Gate evaluation time for an environment with 5 gates, against baselines from the same run.

    PYTHONPATH=. python benchmarks/gates.py [--runs 7] [--history 10]

Builds the bundled example in a temp dir and gives prod five gates: soak, approval (one recorded
approval), window, command and upstreams. uat gets its versions by hand commits, then `--history`
more hand commits that only move a label: the soak gate's worst case, since it must render uat at
each of them to see the version did not change (a version that arrived by `promote`, with its
trailers, costs no render at all). Prints the median of `--runs` evaluations of all five gates,
of each gate alone, and two baselines from the same run: computing the plan (read both
environments, diff) and evaluating zero gates.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

FIVE_GATES = """\
    gates:
      - soak: 1h
      - approval: {required: 1}
      - window: {allow: ["Mon-Sun"], timezone: Europe/Berlin}
      - command: ["python3", "-c", "import sys, json; json.load(sys.stdin); print('ok')"]
      - upstreams: all
"""


def git(root: Path, *args: str, date: str | None = None) -> None:
    env = {**os.environ}
    if date:
        env.update(GIT_AUTHOR_DATE=date, GIT_COMMITTER_DATE=date)
    subprocess.run(["git", *args], cwd=root, env=env, check=True, capture_output=True)


class Quiet:
    def plan(self, plan: object) -> None: ...
    def verdicts(self, plan: object, verdicts: object) -> None: ...
    def confirm(self, plan: object) -> bool:
        return True


def build_repo(directory: Path, history: int, by_promote: bool) -> Path:
    from promote.engine.promotion.hops import PromoteOptions, promote
    from promote.engine.scaffold import scaffold
    from promote.engine.session import open_session

    root = scaffold(directory / ("promoted" if by_promote else "by-hand")).root
    git(root, "config", "user.email", "bench@example.com")
    git(root, "config", "user.name", "bench")
    graph = root / "environments/graph.yaml"
    text = graph.read_text()
    prod_gates = text[text.index("    gates:", text.index("  prod:")) :]
    graph.write_text(text.replace(prod_gates, FIVE_GATES))
    git(root, "commit", "-qam", "five gates on prod", date="2026-01-01T00:00:00Z")
    if by_promote:  # trailers say when uat got its versions
        promote(open_session(root), "qa", "uat", PromoteOptions(), Quiet())
        return root
    for name in ("kustomization.yaml", "podinfo-version.yaml", "app-config.yaml"):  # uat := qa
        (root / "environments/uat" / name).write_text((root / "environments/qa" / name).read_text())
    git(root, "commit", "-qam", "uat: qa's versions by hand", date="2026-01-01T12:00:00Z")
    kustomization = root / "environments/uat/kustomization.yaml"
    for n in range(history):
        body = kustomization.read_text().split("\ncommonLabels:")[0]
        kustomization.write_text(f"{body}\ncommonLabels:\n  bench: 'n{n}'\n")
        git(
            root,
            "commit",
            "-qam",
            f"uat: label {n}",
            date=f"2026-01-02T{n // 60:02d}:{n % 60:02d}:00Z",
        )
    return root


def median_seconds(action: Callable[[], object], runs: int) -> float:
    action()  # warm caches (imports, kustomize binary lookup, git object cache)
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        action()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--history", type=int, default=10)
    args = parser.parse_args()
    os.environ.setdefault("PROMOTE_DISABLE_PLUGIN_AUTOLOAD", "1")

    for by_promote in (False, True):
        with tempfile.TemporaryDirectory() as tmp:
            root = build_repo(Path(tmp), args.history, by_promote)
            results = measure(root, args.runs)
        how = (
            "uat's versions landed by `promote` (trailers)"
            if by_promote
            else f"uat's versions committed by hand, then {args.history} unrelated uat commits"
        )
        report(how, results, args.runs)


def measure(root: Path, runs: int) -> dict[str, float]:
    from promote.engine.gates.approvals import approve, hop_plan
    from promote.engine.gates.gating import evaluate_gates, gate_context
    from promote.engine.session import open_session

    session = open_session(root)
    approve(session, "uat", "prod")
    plan = hop_plan(session, "uat", "prod")
    context = gate_context(session, plan)
    for v in evaluate_gates(session, context):
        print(f"  {v.gate:<10} {v.outcome.value:<8} {v.reason}")

    def with_gates(gates: tuple) -> object:
        dst = type(context.dst)(**{**vars(context.dst), "gates": gates})
        return type(context)(**{**vars(context), "dst": dst})

    results = {
        "plan (baseline)": median_seconds(lambda: hop_plan(session, "uat", "prod"), runs),
        "0 gates (baseline)": median_seconds(lambda: evaluate_gates(session, with_gates(())), runs),
        "5 gates": median_seconds(lambda: evaluate_gates(session, context), runs),
    }
    for spec in context.dst.gates:
        alone = with_gates((spec,))
        results[f"  {spec.name} alone"] = median_seconds(
            lambda alone=alone: evaluate_gates(session, alone), runs
        )
    return results


def report(how: str, results: dict[str, float], runs: int) -> None:
    base = results["plan (baseline)"]
    print(f"\n{how}; median of {runs} runs")
    for name, seconds in results.items():
        print(f"{name:<22} {seconds * 1000:9.1f} ms   {seconds / base:6.2f}x plan")
    print()


if __name__ == "__main__":
    main()
