"""A small repository "written by someone else": plain manifests, hand commits at chosen times.

Loaded as a pytest plugin by tests/conftest.py.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.helpers import git, write_tree

# Gates judge by this instant (PROMOTE_NOW); commits are dated relative to it.
NOW = datetime(2026, 3, 4, 10, 0, tzinfo=UTC)  # a Wednesday, 11:00 in Berlin

DEPLOYMENT = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  template:
    spec:
      containers:
        - name: web
          image: ghcr.io/acme/web:{version}
"""


def graph(gates: str = "", extra_prod: str = "", envs: tuple[str, ...] = ("qa", "prod")) -> str:
    """A graph qa → prod where `gates` is the YAML list under prod's `gates:`."""
    lines = ["environments:"]
    previous = None
    for name in envs:
        lines += [f"  {name}:", f"    path: apps/{name}"]
        if previous:
            lines.append(f"    from: [{previous}]")
        previous = name
    if gates:
        lines.append("    gates:")
        lines += [f"      {line}" for line in gates.strip().splitlines()]
    if extra_prod:
        lines.append(f"    {extra_prod}")
    return "\n".join(lines) + "\n"


def commit_at(root: Path, when: datetime, message: str, files: dict[str, str]) -> str:
    """Commit `files` by hand (not through promote), dated `when` for author and committer."""
    write_tree(root, files)
    git(root, "add", "--all")
    stamp = when.isoformat()
    env_git(root, stamp, "commit", "--quiet", "-m", message)
    return git(root, "rev-parse", "HEAD").strip()


def env_git(root: Path, stamp: str, *args: str) -> str:
    import os
    import subprocess

    env = {**os.environ, "GIT_AUTHOR_DATE": stamp, "GIT_COMMITTER_DATE": stamp}
    return subprocess.run(
        ["git", *args], cwd=root, env=env, capture_output=True, text=True, check=True
    ).stdout


@pytest.fixture
def now(monkeypatch: pytest.MonkeyPatch) -> datetime:
    monkeypatch.setenv("PROMOTE_NOW", NOW.isoformat())
    return NOW


@pytest.fixture
def gated_repo(tmp_path: Path, now: datetime) -> Callable[..., Path]:
    """qa runs web 1.1.0 since `arrived` ago (a hand commit), prod runs 1.0.0; prod has `gates`."""

    def make(gates: str = "", arrived: timedelta = timedelta(days=1), **kwargs: str) -> Path:
        root = tmp_path / "repo"
        root.mkdir()
        git(root, "init", "--quiet", "--initial-branch=main")
        commit_at(
            root,
            now - timedelta(days=30),
            "initial",
            {
                "environments/graph.yaml": graph(gates, **kwargs),
                "apps/qa/web.yaml": DEPLOYMENT.format(version="1.0.0"),
                "apps/prod/web.yaml": DEPLOYMENT.format(version="1.0.0"),
            },
        )
        commit_at(
            root,
            now - arrived,
            "qa: web 1.1.0",
            {"apps/qa/web.yaml": DEPLOYMENT.format(version="1.1.0")},
        )
        return root

    return make


def verdicts(result) -> dict[str, dict]:
    """gate name → its verdict, from `--output json` of promote or check (first hop)."""
    return {v["gate"]: v for v in result.json()["hops"][0]["gates"]}


def trailers(root: Path, key: str, rev: str = "HEAD") -> list[str]:
    out = git(root, "log", "-1", f"--format=%(trailers:key={key},valueonly)", rev)
    return [line for line in out.splitlines() if line.strip()]
