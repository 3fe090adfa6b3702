"""`promote` at monorepo scale, each figure next to its floor measured in the same run.

    python benchmarks/scale.py [--quick] [--samples N] [--only SUBSTRING]

Generates repositories in a temp dir (plain renderer: 100 / 1,000 / 3,000 apps; kustomize:
10 / 100 / 300 apps) and prints one table: case, promote, floor, ratio (wall), cpu (ratio of CPU
times, which a busy machine skews less), peak memory, slope.

The floor of a promotion is the same edits done by a short script, the one validation render
(the plain files parsed with PyYAML's C loader, or one `kubectl kustomize`) and `git commit`.
Each figure is the median of N samples; promote and its floor alternate (A/B), every sample on
the repository reset to the same commit. Peak memory is the largest resident set of the process
tree (`wait4`'s rusage). The slope is time(3,000 apps) / time(1,000 apps): linear is 3.

Cases live in CASES, a list of `Case` objects, so other modules (`benchmarks/scale_*.py`, imported
by `main`) can add theirs: `from scale import CASES, Case, Trial; CASES.append(Case(...))`, each
a name, the series it belongs to (for the slope) and a `prepare(workdir) -> Trial` that builds
what it measures.
"""

from __future__ import annotations

import argparse
import importlib
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

PROMOTE = [sys.executable, "-c", "from promote.engine.cli.app import main; main()"]
ENV = {**os.environ, "PROMOTE_DISABLE_PLUGIN_AUTOLOAD": "1"}
KUSTOMIZE = ["kubectl", "kustomize"]
Command = Sequence[str]


@dataclass
class Trial:
    """What one case runs: `promote` and `floor` (commands run in turn, times summed) from the
    state `reset` restores. `tool_log`, when set, is a file where a wrapped external tool appends
    `start end` lines: the time it covers is reported apart, as that tool's own cost."""

    cwd: Path
    promote: list[Command]
    floor: list[Command]
    reset: list[Command] = field(default_factory=list)
    env: dict[str, str] = field(default_factory=dict)
    tool_log: Path | None = None


@dataclass
class Case:
    name: str
    prepare: Callable[[Path], Trial]
    series: str = ""  # cases of one series differ by `size` only: the slope compares them
    size: int = 0
    quick: bool = True  # part of a --quick run


@dataclass
class Result:
    case: Case
    promote: float
    floor: float
    peak_kib: int
    cpu_ratio: float  # CPU time against the floor's: what a busy machine does not skew
    tool: float | None = None
    slope: float | None = None


def measured(command: Command, cwd: Path, env: dict[str, str]) -> tuple[float, float, int]:
    """(wall seconds, CPU seconds, peak resident KiB) of the process and its descendants."""
    start = time.perf_counter()
    process = subprocess.Popen(
        command, cwd=cwd, env={**ENV, **env}, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    _, status, usage = os.wait4(process.pid, 0)
    elapsed = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) != 0:
        error = process.stderr.read().decode() if process.stderr else ""
        raise SystemExit(f"{' '.join(command)} failed in {cwd}:\n{error}")
    process.returncode = 0
    if process.stderr:
        process.stderr.close()
    return elapsed, usage.ru_utime + usage.ru_stime, usage.ru_maxrss


def run_all(commands: list[Command], trial: Trial) -> tuple[float, float, int]:
    wall, cpu, peak = 0.0, 0.0, 0
    for command in commands:
        seconds, used, kib = measured(command, trial.cwd, trial.env)
        wall, cpu, peak = wall + seconds, cpu + used, max(peak, kib)
    return wall, cpu, peak


def covered(log: Path) -> float:
    """Seconds during which at least one logged run was going (concurrent runs count once)."""
    spans = sorted(tuple(map(float, line.split())) for line in log.read_text().splitlines())
    total, end = 0.0, float("-inf")
    for start, stop in spans:
        total += max(0.0, stop - max(start, end))
        end = max(end, stop)
    return total


def measure(case: Case, workdir: Path, samples: int) -> Result:
    trial = case.prepare(workdir)
    promotes, floors, cpu_ratios, tools, peak = [], [], [], [], 0
    for _ in range(samples):
        run_all(trial.reset, trial)
        if trial.tool_log:
            trial.tool_log.write_text("")
        seconds, cpu, kib = run_all(trial.promote, trial)
        promotes.append(seconds)
        peak = max(peak, kib)
        if trial.tool_log:
            tools.append(covered(trial.tool_log))
        run_all(trial.reset, trial)
        floor_seconds, floor_cpu, _ = run_all(trial.floor, trial)
        floors.append(floor_seconds)
        cpu_ratios.append(cpu / max(floor_cpu, 1e-3))
    run_all(trial.reset, trial)
    return Result(
        case,
        statistics.median(promotes),
        statistics.median(floors),
        peak,
        statistics.median(cpu_ratios),
        statistics.median(tools) if tools else None,
    )


def add_slopes(results: list[Result]) -> None:
    by_series: dict[str, dict[int, Result]] = {}
    for result in results:
        if result.case.series:
            by_series.setdefault(result.case.series, {})[result.case.size] = result
    for sizes in by_series.values():
        if 1000 in sizes and 3000 in sizes:
            sizes[3000].slope = sizes[3000].promote / sizes[1000].promote


def print_table(results: list[Result], samples: int) -> None:
    print(f"\nmedians of {samples} sample(s), promote and floor alternating\n")
    print(f"| {'case':<52} | promote | floor   | ratio | cpu   | peak MiB | slope |")
    print(f"|{'-' * 54}|---------|---------|-------|-------|----------|-------|")
    for r in results:
        slope = f"{r.slope:5.2f}" if r.slope is not None else "     "
        ratio = r.promote / r.floor
        print(
            f"| {r.case.name:<52} | {r.promote:6.2f}s | {r.floor:6.2f}s | ×{ratio:4.1f} "
            f"| ×{r.cpu_ratio:4.1f} | {r.peak_kib / 1024:8.0f} | {slope} |"
        )
        if r.tool is not None:
            ours = r.promote - r.tool
            print(
                f"| {'  of which kubectl kustomize / our own part':<52} | {r.tool:6.2f}s "
                f"| {ours:6.2f}s |       |       |          |       |"
            )


# --- repositories ---------------------------------------------------------------------------


def git(root: Path, *args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=root, check=True, capture_output=True, text=True
    ).stdout.strip()


def commit_all(root: Path, message: str) -> str:
    git(root, "add", "--all")
    git(root, "commit", "-qm", message)
    return git(root, "rev-parse", "HEAD")


def new_repo(root: Path, graph: str) -> None:
    root.mkdir(parents=True)
    git(root, "init", "-q", "-b", "main")
    git(root, "config", "user.email", "bench@example.com")
    git(root, "config", "user.name", "bench")
    (root / "environments").mkdir()
    (root / "environments/graph.yaml").write_text(graph)


def graph_text(renderer: str) -> str:
    return (
        "environments:\n"
        f"  uat:\n    path: environments/uat\n    renderer: {renderer}\n"
        f"  prod:\n    path: environments/prod\n    from: [uat]\n    renderer: {renderer}\n"
    )


def app_manifest(app: str, image: str) -> str:
    """A Deployment and its Service, as a team's manifests file in a platform monorepo."""
    return f"""\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {app}
  labels: {{app.kubernetes.io/name: {app}, team: platform}}
spec:
  replicas: 2
  selector:
    matchLabels: {{app.kubernetes.io/name: {app}}}
  template:
    metadata:
      labels: {{app.kubernetes.io/name: {app}}}
    spec:
      containers:
        - name: {app}
          image: {image}
          ports:
            - containerPort: 8080
          resources:
            requests: {{cpu: 50m, memory: 64Mi}}
          readinessProbe:
            httpGet: {{path: /healthz, port: 8080}}
---
apiVersion: v1
kind: Service
metadata:
  name: {app}
spec:
  selector: {{app.kubernetes.io/name: {app}}}
  ports:
    - port: 80
      targetPort: 8080
"""


def version(app_number: int, env: str) -> str:
    """Every app differs between uat and prod: a promotion edits all of them."""
    minor = app_number % 9 + (1 if env == "uat" else 0)
    return f"1.{minor}.{app_number % 4}"


def image(n: int, env: str) -> str:
    return f"registry.example.com/platform/app-{n:04d}:{version(n, env)}"


PLAIN_FLOOR = """\
import re, sys, pathlib, yaml
src, dst = pathlib.Path("environments/uat"), pathlib.Path("environments/prod")
tag = re.compile(r"(image: [^\\s:]+:)(\\S+)")
for path in sorted(src.rglob("*.yaml")):
    new = tag.search(path.read_text())[2]
    target = dst / path.relative_to(src)
    target.write_text(tag.sub(lambda m: m[1] + new, target.read_text(), count=1))
for path in sorted(dst.rglob("*.yaml")):
    list(yaml.load_all(path.read_text(), Loader=yaml.CSafeLoader))
"""


def plain_repo(apps: int) -> Callable[[Path], Trial]:
    def prepare(workdir: Path) -> Trial:
        root = workdir / f"plain-{apps}"
        new_repo(root, graph_text("plain"))
        for env in ("uat", "prod"):
            for n in range(apps):
                path = root / f"environments/{env}/apps/app-{n:04d}.yaml"
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_text(app_manifest(f"app-{n:04d}", image(n, env)))
        base = commit_all(root, "plain apps")
        return Trial(
            root,
            promote=[[*PROMOTE, "uat", "prod", "--yes"]],
            floor=[[sys.executable, "-c", PLAIN_FLOOR], ["git", "commit", "-qam", "by hand"]],
            reset=[["git", "reset", "-q", "--hard", base]],
        )

    return prepare


KUSTOMIZE_FLOOR = """\
import re, subprocess, sys, pathlib
src, dst = pathlib.Path("environments/uat"), pathlib.Path("environments/prod")
tag = re.compile(r"(newTag: )(\\S+)")
for path in sorted(src.glob("app-*/kustomization.yaml")):
    new = tag.search(path.read_text())[2]
    target = dst / path.relative_to(src)
    target.write_text(tag.sub(lambda m: m[1] + new, target.read_text(), count=1))
subprocess.run([*sys.argv[1:], str(dst)], check=True, stdout=subprocess.DEVNULL)
"""

KUSTOMIZE_TIMED = """\
#!/bin/sh
# kubectl kustomize, with its start and end appended to $SCALE_TOOL_LOG
start=$(date +%s.%N)
kubectl kustomize "$@"
status=$?
echo "$start $(date +%s.%N)" >> "$SCALE_TOOL_LOG"
exit $status
"""


def write_kustomize_tree(root: Path, apps: int) -> None:
    for n in range(apps):
        app = f"app-{n:04d}"
        base = root / f"apps/{app}"
        base.mkdir(parents=True)
        (base / "deployment.yaml").write_text(
            app_manifest(app, f"registry.example.com/platform/{app}:0.0.0")
        )
        (base / "kustomization.yaml").write_text("resources:\n  - deployment.yaml\n")
    for env in ("uat", "prod"):
        directory = root / f"environments/{env}"
        directory.mkdir(parents=True)
        listed = "".join(f"  - app-{n:04d}\n" for n in range(apps))
        (directory / "kustomization.yaml").write_text(f"namespace: {env}\nresources:\n{listed}")
        for n in range(apps):
            app = f"app-{n:04d}"
            (directory / app).mkdir()
            (directory / app / "kustomization.yaml").write_text(
                f"resources:\n  - ../../../apps/{app}\nimages:\n"
                f"  - name: registry.example.com/platform/{app}\n"
                f"    newTag: {version(n, env)}\n"
            )


def kustomize_repo(apps: int) -> Callable[[Path], Trial]:
    def prepare(workdir: Path) -> Trial:
        root = workdir / f"kustomize-{apps}"
        new_repo(root, graph_text("kustomize"))
        write_kustomize_tree(root, apps)
        base = commit_all(root, "kustomize apps")
        wrapper = workdir / "kustomize-timed.sh"
        wrapper.write_text(KUSTOMIZE_TIMED)
        log = workdir / f"kustomize-{apps}.log"
        return Trial(
            root,
            promote=[[*PROMOTE, "uat", "prod", "--yes"]],
            floor=[
                [sys.executable, "-c", KUSTOMIZE_FLOOR, *KUSTOMIZE],
                ["git", "commit", "-qam", "by hand"],
            ],
            reset=[["git", "reset", "-q", "--hard", base]],
            env={"PROMOTE_KUSTOMIZE": f"sh {wrapper}", "SCALE_TOOL_LOG": str(log)},
            tool_log=log,
        )

    return prepare


def render_repo(apps: int) -> Callable[[Path], Trial]:
    def prepare(workdir: Path) -> Trial:
        root = workdir / f"render-{apps}"
        new_repo(root, graph_text("kustomize"))
        write_kustomize_tree(root, apps)
        commit_all(root, "kustomize apps")
        return Trial(
            root,
            promote=[[*PROMOTE, "render", "prod"]],
            floor=[[*KUSTOMIZE, "environments/prod"]],
        )

    return prepare


CASES: list[Case] = [
    *(
        Case(f"promote uat prod, plain, {n:,} apps", plain_repo(n), "plain", n, quick=n <= 1000)
        for n in (100, 1000, 3000)
    ),
    *(
        Case(f"promote uat prod, kustomize, {n} apps", kustomize_repo(n), "kustomize", n, n <= 100)
        for n in (10, 100, 300)
    ),
    Case("promote render prod vs kubectl kustomize, 100 apps", render_repo(100)),
]
# Modules that add cases of their own: benchmarks/scale_<topic>.py, imported for their effect.
EXTENSIONS = sorted(p.stem for p in Path(__file__).parent.glob("scale_*.py"))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="fewer samples and sizes")
    parser.add_argument("--samples", type=int, help="samples per figure (default 5, quick 1)")
    parser.add_argument("--only", default="", help="run the cases whose name contains this")
    args = parser.parse_args()
    sys.path.insert(0, str(Path(__file__).parent))
    for name in EXTENSIONS:
        importlib.import_module(name)
    samples = args.samples or (1 if args.quick else 5)
    chosen = [c for c in CASES if args.only in c.name and (c.quick or not args.quick)]
    workdir = Path(tempfile.mkdtemp(prefix="promote-scale-"))
    results = []
    try:
        for case in chosen:
            # The largest repositories take longest: fewer samples keep the run under 10 minutes.
            runs = max(1, samples - 2) if case.size >= 3000 else samples
            results.append(measure(case, workdir, runs))
            print(f"measured {case.name}", file=sys.stderr, flush=True)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    add_slopes(results)
    print_table(results, samples)


if __name__ == "__main__":
    # Extensions `import scale` to append to CASES: let that name this module, not a second copy.
    sys.modules.setdefault("scale", sys.modules[__name__])
    main()
