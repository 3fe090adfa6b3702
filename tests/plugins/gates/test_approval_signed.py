"""`approval: {signed: true, keys: FILE}`: only approvals signed by the approver's own key count.

Anyone can commit as someone else (GIT_AUTHOR_EMAIL); only the holder of a key listed for that
email in the committed SSH allowed-signers FILE can sign as them.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests.engine.gates.test_approvals import as_user
from tests.gated import verdicts
from tests.helpers import git, sign_with, ssh_signing_key

KEYS = ".promote/allowed_signers"
SIGNED = f"- approval: {{required: 1, signed: true, keys: {KEYS}}}"


@pytest.fixture
def keys(tmp_path: Path) -> dict[str, Path]:
    made = tmp_path / "keys"
    made.mkdir()
    return {name: ssh_signing_key(made, name)[0] for name in ("alice", "bob", "mallory")}


@pytest.fixture
def signed_repo(gated_repo, keys) -> Path:
    """qa → prod where prod needs one signed approval; alice's and bob's keys are listed."""
    repo = gated_repo(SIGNED)
    listed = [
        f'{name}@example.com namespaces="git" {keys[name].with_suffix(".pub").read_text().strip()}'
        for name in ("alice", "bob")
    ]
    (repo / KEYS).parent.mkdir()
    (repo / KEYS).write_text("\n".join(listed) + "\n", encoding="utf-8")
    git(repo, "add", KEYS)
    git(repo, "commit", "--quiet", "-m", "Allowed signers of approvals")
    return repo


def approve(cli, monkeypatch, repo: Path, email: str, key: Path | None) -> None:
    """`promote approve qa prod` as `email` (GIT_AUTHOR_EMAIL), signing with `key` if any."""
    if key:
        sign_with(repo, key)
    else:
        git(repo, "config", "commit.gpgsign", "false")
    as_user(monkeypatch, email)
    result = cli(repo, "approve", "qa", "prod")
    assert result.exit_code == 0, result.stderr


def signers(repo: Path) -> list[str]:
    """author email and signer principal of each commit, as plain git sees them."""
    allowed = repo / KEYS
    out = git(repo, "-c", f"gpg.ssh.allowedSignersFile={allowed}", "log", "--format=%ae %G? %GS")
    return out.splitlines()


def check(cli, monkeypatch, repo: Path) -> dict:
    as_user(monkeypatch, "pat@example.com")
    result = cli(repo, "check", "qa", "prod", "--output", "json")
    assert result.exit_code in (0, 3), result.stderr
    return verdicts(result)["approval"]


def test_spoofed_unsigned_and_unlisted_approvals_do_not_count(signed_repo, keys, cli, monkeypatch):
    approve(cli, monkeypatch, signed_repo, "alice@example.com", keys["bob"])  # bob, posing
    approve(cli, monkeypatch, signed_repo, "carol@example.com", keys["mallory"])
    approve(cli, monkeypatch, signed_repo, "dave@example.com", None)
    # Plain git agrees on what happened: alice's "approval" carries a good signature by bob.
    assert signers(signed_repo)[2] == "alice@example.com G bob@example.com"
    assert signers(signed_repo)[0].startswith("dave@example.com N")

    verdict = check(cli, monkeypatch, signed_repo)
    assert verdict["outcome"] == "pending"
    assert verdict["approvers"] == []
    reason = verdict["reason"]
    assert "alice@example.com (signed by bob@example.com's key, not by alice@example.com's)" in (
        reason
    )
    assert f"carol@example.com (signed by a key {KEYS} does not list)" in reason
    assert "dave@example.com (unsigned)" in reason


def test_an_approval_signed_by_its_author_counts_even_after_a_forgery(
    signed_repo, keys, cli, monkeypatch
):
    approve(cli, monkeypatch, signed_repo, "alice@example.com", keys["bob"])
    approve(cli, monkeypatch, signed_repo, "alice@example.com", keys["alice"])  # not "already"
    assert signers(signed_repo)[0] == "alice@example.com G alice@example.com"
    verdict = check(cli, monkeypatch, signed_repo)
    assert verdict["outcome"] == "passed"
    assert verdict["approvers"] == ["alice@example.com"]

    git(signed_repo, "config", "commit.gpgsign", "false")
    promoted = cli(signed_repo, "qa", "prod", "--yes")
    assert promoted.exit_code == 0, promoted.stderr
    approved_by = git(signed_repo, "log", "-1", "--format=%(trailers:key=Promote-Approved-By)")
    assert approved_by.strip() == "Promote-Approved-By: alice@example.com"


def test_an_allowed_signers_file_edited_but_not_committed_proves_nothing(
    signed_repo, keys, cli, monkeypatch
):
    mallory = keys["mallory"].with_suffix(".pub").read_text().strip()
    with (signed_repo / KEYS).open("a", encoding="utf-8") as listed:
        listed.write(f'carol@example.com namespaces="git" {mallory}\n')
    approve(cli, monkeypatch, signed_repo, "carol@example.com", keys["mallory"])
    verdict = check(cli, monkeypatch, signed_repo)
    assert verdict["outcome"] == "pending"
    assert f"carol@example.com (signed by a key {KEYS} does not list)" in verdict["reason"]


@pytest.mark.parametrize(
    "options",
    [
        "{signed: true}",
        "{keys: signers}",
        "{signed: yes-please, keys: s}",
        "{signed: true, keys: /etc/k}",
    ],
)
def test_signed_and_keys_go_together(gated_repo, cli, options):
    repo = gated_repo(f"- approval: {options}")
    result = cli(repo, "check", "qa", "prod")
    assert result.exit_code == 2
    assert "environments/graph.yaml:" in result.stderr
    assert "keys" in result.stderr or "signed" in result.stderr
    assert "unknown option" not in result.stderr  # both are options of the approval gate


def test_git_itself_would_accept_the_forgery(signed_repo, keys, cli, monkeypatch):
    """Why the principal matters: `git verify-commit` calls bob's forgery a good signature."""
    approve(cli, monkeypatch, signed_repo, "alice@example.com", keys["bob"])
    checked = subprocess.run(
        ["git", "-c", f"gpg.ssh.allowedSignersFile={signed_repo / KEYS}", "verify-commit", "HEAD"],
        cwd=signed_repo,
        capture_output=True,
        text=True,
        check=False,
    )
    assert checked.returncode == 0
    assert check(cli, monkeypatch, signed_repo)["outcome"] == "pending"


def test_a_keys_file_that_is_not_committed_verifies_nobody(gated_repo, keys, cli, monkeypatch):
    repo = gated_repo(SIGNED)
    approve(cli, monkeypatch, repo, "alice@example.com", keys["alice"])
    verdict = check(cli, monkeypatch, repo)
    assert verdict["outcome"] == "pending"
    assert f"alice@example.com (keys file {KEYS} is not committed)" in verdict["reason"]
