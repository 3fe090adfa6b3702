from datetime import timedelta

import pytest

from promote.engine.gates.approvals import approvals_of
from promote.engine.repository.gitrepo import GitRepo
from tests.gated import DEPLOYMENT, commit_at, verdicts
from tests.helpers import commit_count, git


def as_user(monkeypatch: pytest.MonkeyPatch, email: str) -> None:
    for role in ("AUTHOR", "COMMITTER"):
        monkeypatch.setenv(f"GIT_{role}_EMAIL", email)


def last_trailers(repo) -> dict[str, str]:
    out = git(repo, "log", "-1", "--format=%(trailers:only,unfold)")
    return dict(line.split(": ", 1) for line in out.splitlines() if line)


def test_approve_records_an_empty_commit_bound_to_the_plan(gated_repo, cli, monkeypatch):
    repo = gated_repo("- approval: {required: 1}")
    as_user(monkeypatch, "alice@example.com")
    before = commit_count(repo)
    result = cli(repo, "approve", "qa", "prod", "--output", "json")
    assert result.exit_code == 0, result.stderr
    assert commit_count(repo) == before + 1
    assert git(repo, "show", "--name-only", "--format=", "HEAD").strip() == ""
    trailers = last_trailers(repo)
    assert trailers["Promote-Approval-For"] == "qa -> prod"
    assert trailers["Promote-Approved-By"] == "alice@example.com"
    assert trailers["Promote-Plan-Hash"] == result.json()["plan_hash"]
    assert result.json()["approvers"] == ["alice@example.com"]


def test_the_plan_hash_changes_when_src_moves_on(gated_repo, cli, now):
    repo = gated_repo("- approval: {required: 1}")
    first = cli(repo, "approve", "qa", "prod", "--output", "json").json()["plan_hash"]
    commit_at(repo, now, "qa: 1.2.0", {"apps/qa/web.yaml": DEPLOYMENT.format(version="1.2.0")})
    second = cli(repo, "approve", "qa", "prod", "--output", "json").json()["plan_hash"]
    assert first != second


def test_approving_the_same_plan_twice_makes_one_commit(gated_repo, cli):
    repo = gated_repo("- approval: {required: 1}")
    assert cli(repo, "approve", "qa", "prod").exit_code == 0
    count = commit_count(repo)
    again = cli(repo, "approve", "qa", "prod")
    assert again.exit_code == 0
    assert "already approved" in again.stdout
    assert commit_count(repo) == count


def test_approve_leaves_staged_changes_out_of_the_approval_commit(gated_repo, cli):
    repo = gated_repo("- approval: {required: 1}")
    (repo / "notes.txt").write_text("work in progress\n")
    git(repo, "add", "notes.txt")
    assert cli(repo, "approve", "qa", "prod").exit_code == 0
    assert git(repo, "show", "--name-only", "--format=", "HEAD").strip() == ""
    assert git(repo, "status", "--porcelain").strip() == "A  notes.txt"


def test_nothing_to_approve_is_a_usage_error(gated_repo, cli, now):
    repo = gated_repo("- approval: {required: 1}")
    commit_at(repo, now, "prod by hand", {"apps/prod/web.yaml": DEPLOYMENT.format(version="1.1.0")})
    before = commit_count(repo)
    result = cli(repo, "approve", "qa", "prod")
    assert result.exit_code == 2
    assert "nothing to approve" in result.stderr
    assert commit_count(repo) == before


def test_approving_a_pair_that_is_not_a_hop_is_a_usage_error(gated_repo, cli):
    repo = gated_repo("- approval: {required: 1}")
    before = commit_count(repo)
    result = cli(repo, "approve", "prod", "qa")
    assert result.exit_code == 2
    assert "not an upstream" in result.stderr
    assert commit_count(repo) == before


def test_an_approval_naming_someone_else_than_its_author_does_not_count(gated_repo, cli):
    repo = gated_repo("- approval: {required: 1}")
    digest = cli(repo, "approve", "qa", "prod", "--output", "json").json()["plan_hash"]
    forged = "\n".join(
        [
            "approve(prod): forged",
            "",
            "Promote-Approval-For: qa -> prod",
            f"Promote-Plan-Hash: {digest}",
            "Promote-Approved-By: ceo@example.com",
        ]
    )
    git(repo, "commit", "--quiet", "--allow-empty", "-m", forged)
    emails = [a.email for a in approvals_of(GitRepo(repo), "qa", "prod", digest)]
    assert emails == ["pat@example.com"]


def test_approvals_before_the_last_promotion_into_dst_are_spent(gated_repo, cli, now):
    repo = gated_repo("- approval: {required: 1}", arrived=timedelta(hours=1))
    assert cli(repo, "approve", "qa", "prod").exit_code == 0
    assert cli(repo, "qa", "prod", "--yes").exit_code == 0
    # prod goes back by hand: the same plan (1.0.0 → 1.1.0) again, but the approval was used.
    commit_at(repo, now, "prod: back", {"apps/prod/web.yaml": DEPLOYMENT.format(version="1.0.0")})
    before = commit_count(repo)
    result = cli(repo, "qa", "prod", "--yes")
    assert result.exit_code == 3
    assert "0 of 1 approvals" in result.stdout
    assert commit_count(repo) == before


def test_approve_counts_approvals_exactly_as_check_does(gated_repo, cli, monkeypatch):
    """The promoter's own approval under distinct_from_promoter: 0 counted, in both commands."""
    repo = gated_repo("- approval: {required: 1, distinct_from_promoter: true}")
    as_user(monkeypatch, "pat@example.com")
    approved = cli(repo, "approve", "qa", "prod")
    assert approved.exit_code == 0, approved.stderr
    checked = cli(repo, "check", "qa", "prod", "--output", "json")
    assert checked.exit_code == 3
    reason = verdicts(checked)["approval"]["reason"]
    assert reason.startswith("0 of 1 approvals")
    (line,) = [line for line in approved.stdout.splitlines() if "approval gate" in line]
    assert line.endswith(reason.split("; run `promote approve")[0])
    assert "so far: 1" not in approved.stdout
    again = cli(repo, "approve", "qa", "prod", "--output", "json").json()
    assert again["approvers"] == ["pat@example.com"]  # recorded ...
    (gate,) = again["approval_gates"]
    assert (gate["counted"], gate["passed"]) == ([], False)  # ... but not counted
    assert gate["not_counted"] == ["pat@example.com (the promoter)"]
