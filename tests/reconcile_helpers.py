"""Shared bits of the reconciliation tests: a repository with Secrets, targets, Git state."""

from __future__ import annotations

import base64
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.helpers import git

PASSWORD = "hunter2-correct-horse"  # in a secretGenerator literal
TOKEN = "tok-9f8e7d6c5b4a"  # in a plain Secret's stringData
API_KEY = "key-0123456789abcdef"  # in a plain Secret's data, base64 in the file


def b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def forbidden_strings() -> list[str]:
    """What no output may contain: every Secret value in plaintext and in base64."""
    return [v for value in (PASSWORD, TOKEN, API_KEY) for v in (value, b64(value))]


def assert_no_secret(text: str) -> None:
    for value in forbidden_strings():
        assert value not in text


# A hand-written repository (not the bundled example): kustomize base + two overlays, Secrets in
# three forms, and ConfigMap strings that YAML 1.1 readers would take for booleans or numbers.
SECRET_REPO = {
    "environments/graph.yaml": """
        environments:
          dev:
            path: apps/dev
          prod:
            path: apps/prod
            from: [dev]
        """,
    "apps/base/kustomization.yaml": f"""
        resources: [deploy.yaml, secret.yaml, config.yaml]
        secretGenerator:
          - name: db
            literals: [password={PASSWORD}]
        """,
    "apps/base/deploy.yaml": """
        apiVersion: apps/v1
        kind: Deployment
        metadata: {name: api}
        spec:
          selector: {matchLabels: {app: api}}
          template:
            metadata: {labels: {app: api}}
            spec:
              containers:
                - name: api
                  image: ghcr.io/acme/api:1.0.0
        """,
    "apps/base/secret.yaml": f"""
        apiVersion: v1
        kind: Secret
        metadata:
          name: tokens
        stringData:
          token: {TOKEN}
        data:
          api-key: {b64(API_KEY)}
        """,
    "apps/base/config.yaml": """
        apiVersion: v1
        kind: ConfigMap
        metadata: {name: settings}
        data:
          ENABLED: "yes"
          MODE: "on"
          AT: "12:30"
          RULES: |
            first line
            second line
        """,
    "apps/dev/kustomization.yaml": """
        namespace: api-dev
        resources: [../base]
        images:
          - name: ghcr.io/acme/api
            newTag: 1.1.0
        """,
    "apps/prod/kustomization.yaml": """
        namespace: api-prod
        resources: [../base]
        images:
          - name: ghcr.io/acme/api
            newTag: 1.0.0
        """,
}


def set_target(repo: Path, env: str, target: str, *, commit: bool = True) -> None:
    """Give ENV a `target:` (a YAML flow mapping) in the graph file, and commit it."""
    graph = repo / "environments" / "graph.yaml"
    text = graph.read_text()
    marker = f"  {env}:\n"
    assert marker in text
    graph.write_text(text.replace(marker, f"{marker}    target: {target}\n", 1))
    if commit:
        git(repo, "commit", "--quiet", "-am", f"target for {env}")


def git_state(repo: Path) -> tuple[str, str, str, str]:
    """HEAD, checked-out branch, porcelain status and the index entries: all must not move."""
    return (
        git(repo, "rev-parse", "HEAD"),
        git(repo, "symbolic-ref", "HEAD"),
        git(repo, "status", "--porcelain", "--untracked-files=all"),
        git(repo, "ls-files", "--stage"),
    )


@pytest.fixture
def memory_target(monkeypatch: pytest.MonkeyPatch) -> Iterator[object]:
    """Load tests/memory_target.py as if it were a built-in plugin; fresh store per test."""
    from promote.engine import plugins
    from tests import memory_target as module

    monkeypatch.setattr(plugins, "DEFAULT_PLUGINS", (*plugins.DEFAULT_PLUGINS, module.__name__))
    module.STORE.clear()
    module.CALLS.clear()
    module.RECONCILED.clear()
    yield module


STARTUP_LIMIT_SECONDS = 60  # a bound for slow CI machines, not a timing assertion


@contextmanager
def watching(
    repo: Path, *args: str, env: Mapping[str, str | None] = {}
) -> Iterator[subprocess.Popen[str]]:
    """`promote reconcile --watch ARGS` as a real process, yielded once it has written the
    `rendered/prod` branch; killed on the way out if still running. `env` entries that are None
    are removed from the process's environment."""
    root = Path(__file__).resolve().parents[1]
    environment = {**os.environ, "PYTHONPATH": str(root)}
    for key, value in env.items():
        if value is None:
            environment.pop(key, None)
        else:
            environment[key] = value
    command = [sys.executable, "-c", "from promote.engine.cli.app import main; main()"]
    process = subprocess.Popen(
        [*command, "reconcile", "--watch", *args],
        cwd=repo,
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + STARTUP_LIMIT_SECONDS
        while time.monotonic() < deadline and process.poll() is None:
            if branch_exists(repo, "rendered/prod"):
                break
            time.sleep(0.1)
        assert process.poll() is None, process.communicate()
        yield process
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()


def stop(process: subprocess.Popen[str], stop_signal: int = signal.SIGTERM) -> tuple[str, str]:
    """Send the signal and collect (stdout, stderr) once the process has ended."""
    process.send_signal(stop_signal)
    return process.communicate(timeout=STARTUP_LIMIT_SECONDS)


def branch_exists(repo: Path, branch: str) -> bool:
    probe = ["git", "rev-parse", "--verify", "--quiet", f"refs/heads/{branch}"]
    return subprocess.run(probe, cwd=repo, capture_output=True).returncode == 0
