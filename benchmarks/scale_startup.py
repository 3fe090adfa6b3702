"""Start-up, history, status and gates at monorepo scale, each against a floor from the same run.

Run: python benchmarks/scale_startup.py [--runs 5] [--commits 10000] [--promotions 2000]

Every figure is the median of `--runs` runs, printed with a baseline measured in the same run on
the same machine, so the ratio is what to compare across machines (issue 11's goals in brackets):

- `promote --help` against `python -c "import typer"` [<= 1.5x];
- modules each read-only command imports, and which heavy packages among them;
- `promote history` on COMMITS commits of which PROMOTIONS are promotions, against
  `git log --format=%H%x00%B` over the same history [<= 3x]; `promote status` there [<= 2 s];
- the five gates of benchmarks/gates.py on a hop whose SRC got its versions by hand commits,
  against computing the plan alone [<= 1.3x].

CASES lists the case functions (each returns its table rows), for benchmarks/scale.py to reuse.
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

HERE = Path(__file__).resolve().parent
PROMOTE = [sys.executable, "-c", "from promote.engine.cli.app import main; main()"]
# Bytecode is cached as for an installed package (pip compiles it), whatever the shell says.
ENV = {
    **{k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"},
    "PROMOTE_DISABLE_PLUGIN_AUTOLOAD": "1",
}
HEAVY = ("networkx", "jsonschema", "kubernetes", "pydantic", "git", "ruamel", "rich")
HOPS = (("int", "qa"), ("qa", "uat"), ("uat", "prod"))

Row = tuple[str, float, float | None, str]  # case, seconds, baseline seconds, note


def run(args: list[str], cwd: Path | None = None) -> str:
    done = subprocess.run(args, cwd=cwd, env=ENV, check=True, capture_output=True, text=True)
    return done.stdout


def median_seconds(action: Callable[[], object], runs: int) -> float:
    action()  # warm the page cache and git's object cache
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        action()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def alternating(first: Callable[[], object], second: Callable[[], object], runs: int) -> tuple:
    """Medians of two actions run A/B alternately, so that machine noise hits both alike."""
    first(), second()
    a, b = [], []
    for _ in range(runs):
        for action, samples in ((first, a), (second, b)):
            start = time.perf_counter()
            action()
            samples.append(time.perf_counter() - start)
    return statistics.median(a), statistics.median(b)


# --- start-up -------------------------------------------------------------------------------


def help_case(runs: int, workdir: Path) -> list[Row]:
    typer, helps = alternating(
        lambda: run([sys.executable, "-c", "import typer"]), lambda: run([*PROMOTE, "--help"]), runs
    )
    return [("promote --help", helps, typer, "floor: python -c 'import typer'; goal <= 1.5x")]


IMPORTS = """
import sys
sys.argv = ["promote", *sys.argv[1:]]
from promote.engine.cli.app import main
try:
    main()
except SystemExit:
    pass
heavy = sorted({m.split(".")[0] for m in sys.modules} & set(HEAVY))
print("MODULES", len(sys.modules), ",".join(heavy) or "-", file=sys.stderr)
"""


def modules_case(runs: int, workdir: Path) -> list[Row]:
    """Module count and the heavy packages each read-only command imports (not timed)."""
    repo = workdir / "imports-demo"
    run([*PROMOTE, "init", str(repo)])
    code = f"HEAVY = {HEAVY!r}\n{IMPORTS}"
    record = repo / ".git/promote/graph-schema-ok"  # engine.config.validated
    rows = []
    for command in (["--help"], ["status"], ["history"], ["graph"], ["validate"]):
        for graph_file in ("new graph file", "unchanged graph file"):
            if graph_file == "new graph file":
                record.unlink(missing_ok=True)
            done = subprocess.run(
                [sys.executable, "-c", code, *command], cwd=repo, env=ENV, capture_output=True
            )
            line = done.stderr.decode().strip().splitlines()[-1].split()
            note = f"{line[1]} modules; heavy: {line[2]}"
            shown = f"imports: promote {' '.join(command)}"
            if command == ["--help"]:
                rows.append((shown, 0.0, None, note))
                break
            rows.append((f"{shown} ({graph_file})", 0.0, None, note))
    return rows


# --- history and status on a long history ----------------------------------------------------


def history_repo(directory: Path, commits: int, promotions: int) -> Path:
    """The bundled example, then `commits` commits by `git fast-import`: every
    (commits // promotions)-th is a promotion with promote's trailers, the others edit docs."""
    run([*PROMOTE, "init", str(directory)])
    texts = {
        env: (directory / f"environments/{env}/kustomization.yaml").read_text()
        for env in ("int", "qa", "uat", "prod")
    }
    every = max(commits // max(promotions, 1), 1)
    stream = []
    for n in range(commits):
        when = 1_767_225_600 + n * 60  # 2026-01-01, a minute apart
        if n % every == every - 1:
            src, dst = HOPS[(n // every) % len(HOPS)]
            path = f"environments/{dst}/kustomization.yaml"
            version = f"1.{n}.0"
            content = _with_web_tag(texts[dst], version)
            message = _promotion_message(n, src, dst, version)
        else:
            path, content = f"docs/notes-{n % 50}.md", f"note {n}\n"
            message = f"docs: note {n}\n"
        stream.append(_fast_import_commit(n, when, message, path, content))
    subprocess.run(
        ["git", "fast-import", "--quiet"],
        cwd=directory,
        input="".join(stream).encode(),
        check=True,
    )
    run(["git", "reset", "--quiet", "--hard", "main"], cwd=directory)
    return directory


def _with_web_tag(kustomization: str, version: str) -> str:
    head, _, rest = kustomization.partition("- name: ghcr.io/acme/web\n")
    old_line, _, tail = rest.partition("\n")
    indent = old_line[: len(old_line) - len(old_line.lstrip())]
    return f"{head}- name: ghcr.io/acme/web\n{indent}newTag: {version}\n{tail}"


def _promotion_message(n: int, src: str, dst: str, version: str) -> str:
    trailers = [
        f"Promote-Id: 20260101T000000Z-{n:06x}",
        f"Promote-From: {src}",
        f"Promote-To: {dst}",
        f"Promote-Source-Commit: {n:040x}",
        f"Promote-Artifact: image ghcr.io/acme/web 1.{n - 1}.0 -> {version}",
        "Promote-Gate: approval passed: 1 of 1 approvals",
        "Promote-Approved-By: ada@example.com",
    ]
    subject = f"promote({dst}): ghcr.io/acme/web 1.{n - 1}.0 → {version}"
    return f"{subject}\n\nPromote {dst} to the versions {src} runs.\n\n" + "\n".join(trailers)


def _fast_import_commit(n: int, when: int, message: str, path: str, content: str) -> str:
    raw_message, raw_content = message.encode(), content.encode()
    parent = "from refs/heads/main^0\n" if n == 0 else ""
    return (
        f"commit refs/heads/main\ncommitter Bench <bench@example.com> {when} +0000\n"
        f"data {len(raw_message)}\n{message}\n{parent}"
        f"M 100644 inline {path}\ndata {len(raw_content)}\n{content}\n"
    )


def history_case(runs: int, workdir: Path, commits: int = 10_000, promotions: int = 2_000):
    repo = history_repo(workdir / "history", commits, promotions)
    git_log = ["git", "log", "--format=%H%x00%B"]
    floor, text = alternating(
        lambda: run(git_log, cwd=repo), lambda: run([*PROMOTE, "history"], cwd=repo), runs
    )
    _, as_json = alternating(
        lambda: run(git_log, cwd=repo),
        lambda: run([*PROMOTE, "history", "-o", "json"], cwd=repo),
        runs,
    )
    status = median_seconds(lambda: run([*PROMOTE, "status"], cwd=repo), runs)
    shape = f"{commits} commits, {promotions} promotions"
    return [
        ("promote history", text, floor, f"{shape}; floor: git log --format=%H%x00%B; goal <= 3x"),
        ("promote history -o json", as_json, floor, "same floor"),
        ("promote status", status, None, f"{shape}; goal <= 2 s"),
    ]


# --- gates ----------------------------------------------------------------------------------


def gates_case(runs: int, workdir: Path, history: int = 10) -> list[Row]:
    """benchmarks/gates.py's repository: uat's versions by hand, then `history` label commits."""
    sys.path.insert(0, str(HERE))
    from gates import build_repo  # the five gates and the hand-written history

    from promote.engine.gates.approvals import approve, hop_plan
    from promote.engine.gates.gating import evaluate_gates, gate_context
    from promote.engine.promotion.hops import plan_hop
    from promote.engine.session import open_session

    os.environ.setdefault("PROMOTE_DISABLE_PLUGIN_AUTOLOAD", "1")
    (workdir / "gates").mkdir()
    session = open_session(build_repo(workdir / "gates", history, by_promote=False))
    approve(session, "uat", "prod")
    plan, src_state, _dst_state = plan_hop(session, "uat", "prod")

    def gates_as_promote_runs_them(context: object = None) -> object:  # as engine.promotion.hops
        context = context or gate_context(session, plan, src_state=src_state)
        return evaluate_gates(session, context)

    context = gate_context(session, plan, src_state=src_state)
    soak = type(context)(
        **{
            **vars(context),
            "dst": type(context.dst)(**{**vars(context.dst), "gates": context.dst.gates[:1]}),
        }
    )
    plan, gates = alternating(
        lambda: hop_plan(session, "uat", "prod"), gates_as_promote_runs_them, runs
    )
    soak_alone = median_seconds(lambda: gates_as_promote_runs_them(soak), runs)
    how = f"uat's versions by hand + {history} label commits"
    return [
        (
            "5 gates (soak ... upstreams)",
            gates,
            plan,
            f"{how}; floor: the plan alone; goal <= 1.3x",
        ),
        ("  soak alone", soak_alone, plan, "same floor"),
    ]


CASES: list[Callable[..., list[Row]]] = [help_case, modules_case, history_case, gates_case]


def report(rows: list[Row], runs: int) -> None:
    print(f"median of {runs} runs; ratio = case / floor measured in the same run")
    print(f"{'case':<50} {'time':>10} {'floor':>10} {'ratio':>7}  note")
    for name, seconds, floor, note in rows:
        if not seconds:
            print(f"{name:<50} {'':>10} {'':>10} {'':>7}  {note}")
            continue
        shown_floor = f"{floor * 1000:8.0f}ms" if floor else ""
        ratio = f"x{seconds / floor:.2f}" if floor else ""
        print(f"{name:<50} {seconds * 1000:8.0f}ms {shown_floor:>10} {ratio:>7}  {note}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--commits", type=int, default=10_000)
    parser.add_argument("--promotions", type=int, default=2_000)
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="promote-scale-startup-"))
    rows: list[Row] = []
    try:
        for case in CASES:
            if case is history_case:
                rows += case(args.runs, workdir, args.commits, args.promotions)
            else:
                rows += case(args.runs, workdir)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    report(rows, args.runs)


if __name__ == "__main__":
    main()
