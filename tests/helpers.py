"""Helpers shared by tests (not fixtures): running the CLI, writing file trees, reading Git."""

from __future__ import annotations

import json
import subprocess
import textwrap
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest


@dataclass
class CliResult:
    exit_code: int
    stdout: str
    stderr: str

    def json(self) -> Any:
        return json.loads(self.stdout)


def run_cli(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], cwd: Path, args: list[str]
) -> CliResult:
    from promote.engine.cli.app import main

    capsys.readouterr()
    monkeypatch.chdir(cwd)
    try:
        main(args)
        code = 0
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    captured = capsys.readouterr()
    return CliResult(code, captured.out, captured.err)


def write_tree(root: Path, files: dict[str, str]) -> None:
    for relative, text in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")


def git(repo: Path, *args: str) -> str:
    result = subprocess.run(["git", *args], cwd=repo, capture_output=True, text=True, check=True)
    return result.stdout


def commit_count(repo: Path) -> int:
    return int(git(repo, "rev-list", "--count", "HEAD").strip())


def kustomize_build(path: Path) -> list[dict[str, Any]]:
    """The real `kubectl kustomize` output, parsed, to compare our results with."""
    import yaml  # PyYAML, a dependency of the kubernetes client: independent of our ruamel code

    out = subprocess.run(
        ["kubectl", "kustomize", str(path)], capture_output=True, text=True, check=True
    ).stdout
    return [doc for doc in yaml.safe_load_all(out) if doc]


def loads_kubernetes(code: str) -> bool:
    """Whether running `code` in a fresh interpreter (this checkout on the path) imports the
    `kubernetes` package: paths that do not talk to a cluster must stay light."""
    import sys

    root = Path(__file__).resolve().parents[1]
    probe = (
        code + "\nimport sys\nprint('LOADED' if 'kubernetes' in sys.modules else 'NOT LOADED')\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe],
        capture_output=True,
        text=True,
        cwd=root,
        env={"PYTHONPATH": str(root), "PATH": "/usr/bin:/bin"},
        check=True,
    ).stdout
    return out.strip().splitlines()[-1] == "LOADED"


def ssh_signing_key(directory: Path, name: str) -> tuple[Path, str]:
    """A new passphrase-less ed25519 key made by ssh-keygen: (private key file, public key line)."""
    key = directory / name
    subprocess.run(
        ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", name, "-f", str(key)], check=True
    )
    return key, key.with_suffix(".pub").read_text(encoding="utf-8").strip()


def sign_with(repo: Path, key: Path) -> None:
    """Make every commit in `repo` SSH-signed with `key`, the way a user configures Git."""
    for setting, value in (
        ("gpg.format", "ssh"),
        ("user.signingkey", str(key)),
        ("commit.gpgsign", "true"),
    ):
        git(repo, "config", setting, value)
