"""Commits built with plumbing are signed when the user's Git config says so (`commit.gpgSign`),
exactly as their own `git commit` would be: checked with plain `git verify-commit`."""

from __future__ import annotations

import subprocess
from pathlib import Path, PurePosixPath

import pytest

from promote.engine.repository.gitrepo import GitRepo
from tests.helpers import git, sign_with, ssh_signing_key


@pytest.fixture
def signing(example_repo: Path, tmp_path: Path) -> Path:
    """The example repository, configured to SSH-sign as pat; the allowed-signers file."""
    key, public = ssh_signing_key(tmp_path, "pat")
    sign_with(example_repo, key)
    allowed = tmp_path / "allowed_signers"
    allowed.write_text(f'pat@example.com namespaces="git" {public}\n', encoding="utf-8")
    return allowed


def verify(repo: Path, allowed: Path, rev: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["git", "-c", f"gpg.ssh.allowedSignersFile={allowed}", "verify-commit", rev],
        cwd=repo,
        capture_output=True,
        text=True,
        check=False,
    )


def test_the_promotion_commit_is_signed_when_commit_gpgsign_is_set(example_repo, signing, cli):
    landed = cli(example_repo, "int", "qa", "--yes")
    assert landed.exit_code == 0, landed.stderr
    checked = verify(example_repo, signing, "HEAD")
    assert checked.returncode == 0, checked.stderr
    assert 'Good "git" signature for pat@example.com' in checked.stderr
    shown = git(example_repo, "-c", f"gpg.ssh.allowedSignersFile={signing}", "log",
                "--show-signature", "-1")  # fmt: skip
    assert "Promote-To: qa" in shown and 'Good "git" signature' in shown


def test_a_rendered_branch_commit_is_signed_too(example_repo, signing):
    repo = GitRepo(example_repo)
    files = {"web.yaml": b"kind: ConfigMap\n"}
    commit = repo.commit_to_branch("rendered/qa", PurePosixPath("qa"), files, "render qa")
    assert commit
    checked = verify(example_repo, signing, "refs/heads/rendered/qa")
    assert checked.returncode == 0, checked.stderr


def test_nothing_is_signed_without_commit_gpgsign(example_repo, signing, cli):
    git(example_repo, "config", "commit.gpgsign", "false")
    landed = cli(example_repo, "int", "qa", "--yes")
    assert landed.exit_code == 0, landed.stderr
    assert git(example_repo, "log", "-1", "--format=%G?").strip() == "N"
