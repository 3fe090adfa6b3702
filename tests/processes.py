"""`promote` as real processes, for concurrency and crash tests (threads would share locks)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.helpers import git

ENTRY = "from promote.engine.cli.app import main; main()"


def start(repo: Path, *args: str) -> subprocess.Popen[str]:
    """`promote ARGS` in `repo` as its own process (the environment of the test is inherited)."""
    return subprocess.Popen(
        [sys.executable, "-c", ENTRY, *args],
        cwd=repo,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def run(repo: Path, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", ENTRY, *args],
        cwd=repo,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def promotion_commits(repo: Path, since: str) -> list[str]:
    """Commits after `since` that carry a Promote-Id trailer, oldest first."""
    out = git(repo, "log", "--reverse", "--format=%H", "--grep=^Promote-Id:", f"{since}..HEAD")
    return out.split()


def trailer_values(repo: Path, commit: str, key: str) -> list[str]:
    out = git(repo, "log", "-1", f"--format=%(trailers:key={key},valueonly,unfold)", commit)
    return [line for line in out.splitlines() if line.strip()]


def added_and_removed(repo: Path, commit: str) -> tuple[str, str]:
    """The added and the removed lines of `commit`'s diff, each joined into one text."""
    diff = git(repo, "show", "--format=", "-U0", commit)
    added = [line[1:] for line in diff.splitlines() if line.startswith("+") and line[:3] != "+++"]
    removed = [line[1:] for line in diff.splitlines() if line.startswith("-") and line[:3] != "---"]
    return "\n".join(added), "\n".join(removed)


def assert_commit_matches_its_trailers(repo: Path, commit: str) -> None:
    """The diff of `commit` is what its `Promote-Artifact: KIND NAME OLD -> NEW` trailers say:
    every added line holds one of the NEW versions and every removed line one of the OLD ones
    (for environments that pin every artifact in their own files)."""
    moves = trailer_values(repo, commit, "Promote-Artifact")
    assert moves, f"{commit} has no Promote-Artifact trailer"
    pairs = [move.split(" ", 2)[2].split(" -> ") for move in moves]
    added, removed = added_and_removed(repo, commit)
    for line in added.splitlines():
        assert any(new in line for _, new in pairs), f"{commit} adds {line!r}; trailers: {moves}"
    for line in removed.splitlines():
        assert any(old in line for old, _ in pairs), f"{commit} drops {line!r}; trailers: {moves}"
    for old, new in pairs:
        assert new in added and old in removed, f"{commit}: {old} -> {new} not in its diff"


def clean_tree(repo: Path) -> bool:
    return git(repo, "status", "--porcelain", "--untracked-files=all") == ""
