from tests.engine.gates.test_approvals import as_user
from tests.gated import DEPLOYMENT, commit_at, trailers, verdicts
from tests.helpers import commit_count

TWO = "- approval: {required: 2, distinct_from_promoter: true, approvers: ['*@example.com']}"


def approve_as(cli, monkeypatch, repo, email: str) -> None:
    as_user(monkeypatch, email)
    result = cli(repo, "approve", "qa", "prod")
    assert result.exit_code == 0, result.stderr


def test_one_approval_is_not_enough_when_two_are_required(gated_repo, cli, monkeypatch):
    repo = gated_repo(TWO)
    approve_as(cli, monkeypatch, repo, "alice@example.com")
    as_user(monkeypatch, "pat@example.com")
    before = commit_count(repo)
    result = cli(repo, "qa", "prod", "--yes", "--output", "json")
    assert result.exit_code == 3
    approval = verdicts(result)["approval"]
    assert approval["outcome"] == "pending"
    assert approval["reason"].startswith("1 of 2 approvals")
    assert approval["approvers"] == ["alice@example.com"]
    assert commit_count(repo) == before


def test_two_distinct_approvals_pass_and_every_approver_is_recorded(gated_repo, cli, monkeypatch):
    repo = gated_repo(TWO)
    approve_as(cli, monkeypatch, repo, "alice@example.com")
    approve_as(cli, monkeypatch, repo, "bob@example.com")
    as_user(monkeypatch, "pat@example.com")
    result = cli(repo, "qa", "prod", "--yes")
    assert result.exit_code == 0, result.stdout
    assert trailers(repo, "Promote-Approved-By") == ["alice@example.com", "bob@example.com"]
    (gate,) = trailers(repo, "Promote-Gate")
    assert gate.startswith("approval passed: 2 of 2 approvals")


def test_approvals_of_a_previous_plan_are_ignored_after_src_changes(
    gated_repo, cli, monkeypatch, now
):
    repo = gated_repo(TWO)
    approve_as(cli, monkeypatch, repo, "alice@example.com")
    approve_as(cli, monkeypatch, repo, "bob@example.com")
    commit_at(repo, now, "qa: 1.2.0", {"apps/qa/web.yaml": DEPLOYMENT.format(version="1.2.0")})
    as_user(monkeypatch, "pat@example.com")
    result = cli(repo, "check", "qa", "prod", "--output", "json")
    assert result.exit_code == 3
    assert verdicts(result)["approval"]["reason"].startswith("0 of 2 approvals")
    approve_as(cli, monkeypatch, repo, "alice@example.com")
    approve_as(cli, monkeypatch, repo, "carol@example.com")
    as_user(monkeypatch, "pat@example.com")
    result = cli(repo, "check", "qa", "prod", "--output", "json")
    assert result.exit_code == 0
    assert verdicts(result)["approval"]["approvers"] == ["alice@example.com", "carol@example.com"]


def test_the_promoters_own_approval_and_strangers_do_not_count(gated_repo, cli, monkeypatch):
    repo = gated_repo(TWO)
    approve_as(cli, monkeypatch, repo, "pat@example.com")
    approve_as(cli, monkeypatch, repo, "mallory@evil.test")
    approve_as(cli, monkeypatch, repo, "alice@example.com")
    as_user(monkeypatch, "pat@example.com")
    result = cli(repo, "check", "qa", "prod", "--output", "json")
    assert result.exit_code == 3
    approval = verdicts(result)["approval"]
    assert approval["approvers"] == ["alice@example.com"]
    assert "pat@example.com (the promoter)" in approval["reason"]
    assert "mallory@evil.test (not in approvers)" in approval["reason"]


def test_invalid_approval_options_are_a_config_error(gated_repo, cli):
    repo = gated_repo("- approval: {required: 0}")
    result = cli(repo, "check", "qa", "prod")
    assert result.exit_code == 2
    assert "environments/graph.yaml:" in result.stderr and "required" in result.stderr
