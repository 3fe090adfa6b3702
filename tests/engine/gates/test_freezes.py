"""`promote freeze ENV` / `unfreeze ENV`: empty commits with trailers, read back by every
promotion into ENV (blocked, exit 3) but not by rollbacks. Checked with plain git."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import pytest

from tests.gated import DEPLOYMENT, commit_at, trailers
from tests.helpers import commit_count, git


def prod_file(repo: Path, rev: str = "HEAD") -> str:
    return git(repo, "show", f"{rev}:apps/prod/web.yaml")


def test_a_freeze_is_an_empty_commit_with_trailers(gated_repo, cli):
    repo = gated_repo()
    result = cli(repo, "freeze", "prod", "--reason", "incident  4711:\n db failover")
    assert result.exit_code == 0, result.stderr
    assert git(repo, "diff", "--name-only", "HEAD~1", "HEAD") == ""
    assert trailers(repo, "Promote-Freeze") == ["prod"]
    assert trailers(repo, "Promote-Freeze-Reason") == ["incident 4711: db failover"]
    assert trailers(repo, "Promote-Freeze-Until") == []
    assert "frozen" in result.stdout and "pat@example.com" in result.stdout


def test_a_freeze_blocks_promotions_with_its_reason_and_who_froze(gated_repo, cli):
    repo = gated_repo()
    cli(repo, "freeze", "prod", "--reason", "incident 4711")
    before = (commit_count(repo), prod_file(repo))

    result = cli(repo, "qa", "prod", "--yes", "--output", "json")

    assert result.exit_code == 3
    frozen = result.json()["hops"][0]["gates"][0]
    assert frozen["gate"] == "frozen" and frozen["outcome"] == "failed"
    assert "incident 4711" in frozen["reason"] and "pat@example.com" in frozen["reason"]
    assert (commit_count(repo), prod_file(repo)) == before
    assert git(repo, "status", "--porcelain") == ""
    assert cli(repo, "check", "qa", "prod").exit_code == 3


def test_force_does_not_lift_a_freeze(gated_repo, cli):
    repo = gated_repo()
    cli(repo, "freeze", "prod", "--reason", "incident 4711")
    before = commit_count(repo)
    result = cli(repo, "qa", "prod", "--yes", "--force", "--reason", "hotfix")
    assert result.exit_code == 3
    assert "promote unfreeze prod" in result.stdout
    assert commit_count(repo) == before


def test_a_freeze_of_one_environment_does_not_block_another(gated_repo, cli):
    repo = gated_repo(envs=("dev", "qa", "prod"))
    cli(repo, "freeze", "prod", "--reason", "incident")
    write = {"apps/dev/web.yaml": DEPLOYMENT.format(version="2.0.0")}
    (repo / "apps/dev").mkdir()
    commit_at(repo, datetime.now().astimezone(), "dev: 2.0.0", write)
    assert cli(repo, "dev", "qa", "--yes").exit_code == 0


def test_unfreeze_lifts_the_freeze(gated_repo, cli):
    repo = gated_repo()
    cli(repo, "freeze", "prod", "--reason", "incident 4711")
    result = cli(repo, "unfreeze", "prod")
    assert result.exit_code == 0, result.stderr
    assert trailers(repo, "Promote-Unfreeze") == ["prod"]
    assert git(repo, "diff", "--name-only", "HEAD~1", "HEAD") == ""
    assert cli(repo, "qa", "prod", "--yes").exit_code == 0
    assert "ghcr.io/acme/web:1.1.0" in prod_file(repo)


def test_a_freeze_until_a_time_lifts_itself(gated_repo, cli, monkeypatch, now):
    repo = gated_repo()
    cli(repo, "freeze", "prod", "--reason", "release weekend", "--until", "2h")
    assert trailers(repo, "Promote-Freeze-Until") == [(now + timedelta(hours=2)).isoformat()]
    monkeypatch.setenv("PROMOTE_NOW", (now + timedelta(hours=1, minutes=59)).isoformat())
    assert cli(repo, "qa", "prod", "--yes").exit_code == 3
    monkeypatch.setenv("PROMOTE_NOW", (now + timedelta(hours=2)).isoformat())
    assert cli(repo, "qa", "prod", "--yes").exit_code == 0


def test_until_takes_an_iso_time(gated_repo, cli, now):
    repo = gated_repo()
    result = cli(repo, "freeze", "prod", "--reason", "x", "--until", "2026-03-05T08:00+01:00")
    assert result.exit_code == 0, result.stderr
    assert trailers(repo, "Promote-Freeze-Until") == ["2026-03-05T07:00:00+00:00"]


def test_a_rollback_is_allowed_while_frozen(gated_repo, cli):
    repo = gated_repo()
    cli(repo, "qa", "prod", "--yes")
    promoted = git(repo, "rev-parse", "HEAD").strip()
    cli(repo, "freeze", "prod", "--reason", "1.1.0 leaks memory")
    result = cli(repo, "rollback", "prod", "--yes", "--output", "json")
    assert result.exit_code == 0, result.stderr
    assert result.json()["gates"] == []
    assert prod_file(repo) == prod_file(repo, f"{promoted}~1")
    assert cli(repo, "qa", "prod", "--yes").exit_code == 3  # still frozen for promotions


def test_status_shows_frozen_environments(gated_repo, cli):
    repo = gated_repo()
    cli(repo, "freeze", "prod", "--reason", "incident 4711", "--until", "1d")
    text = cli(repo, "status").stdout
    assert "prod: frozen by pat@example.com" in text and "incident 4711" in text
    envs = {e["name"]: e for e in cli(repo, "status", "--output", "json").json()["environments"]}
    assert envs["qa"]["frozen"] is None
    assert envs["prod"]["frozen"]["reason"] == "incident 4711"
    cli(repo, "unfreeze", "prod")
    assert "frozen" not in cli(repo, "status").stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["freeze", "prod"], "needs --reason"),
        (["freeze", "prod", "--reason", "  "], "needs --reason"),
        (["freeze", "prod", "--reason", "x", "--until", "soon"], "--until 'soon'"),
        (["freeze", "prod", "--reason", "x", "--until", "2026-03-01T00:00"], "not in the future"),
        (["freeze", "nowhere", "--reason", "x"], "nowhere"),
        (["unfreeze", "prod"], "prod is not frozen"),
    ],
)
def test_bad_freezes_change_nothing(gated_repo, cli, args, message):
    repo = gated_repo()
    before = git(repo, "rev-parse", "HEAD")
    result = cli(repo, *args)
    assert result.exit_code == 2
    assert message in result.stderr
    assert git(repo, "rev-parse", "HEAD") == before


@pytest.fixture
def prod_on_branch(tmp_path: Path, now: datetime) -> Path:
    """qa lives on main (web 1.1.0), prod (web 1.0.0) on its own branch `prod`."""
    root = tmp_path / "repo"
    root.mkdir()
    git(root, "init", "--quiet", "--initial-branch=main")
    graph = """\
environments:
  qa: {path: apps/qa}
  prod: {path: apps/prod, branch: prod, from: [qa]}
"""
    commit_at(root, now - timedelta(days=3), "graph", {"environments/graph.yaml": graph})
    git(root, "branch", "prod")
    files = {"apps/qa/web.yaml": DEPLOYMENT.format(version="1.1.0")}
    commit_at(root, now - timedelta(days=2), "qa: web 1.1.0", files)
    git(root, "switch", "--quiet", "prod")
    files = {"apps/prod/web.yaml": DEPLOYMENT.format(version="1.0.0")}
    commit_at(root, now - timedelta(days=2), "prod: web 1.0.0", files)
    git(root, "switch", "--quiet", "main")
    return root


def test_freeze_and_rollback_where_the_environment_lives(prod_on_branch, cli):
    repo = prod_on_branch
    head = git(repo, "rev-parse", "HEAD")
    assert cli(repo, "qa", "prod", "--yes").exit_code == 0
    promoted = git(repo, "rev-parse", "prod").strip()

    assert cli(repo, "freeze", "prod", "--reason", "incident").exit_code == 0
    assert trailers(repo, "Promote-Freeze", "prod") == ["prod"]

    result = cli(repo, "rollback", "prod", "--yes")
    assert result.exit_code == 0, result.stderr
    assert prod_file(repo, "prod") == prod_file(repo, f"{promoted}~1")
    assert trailers(repo, "Promote-Rollback-Of", "prod") == trailers(repo, "Promote-Id", promoted)
    assert cli(repo, "qa", "prod", "--yes").exit_code == 3  # the freeze read on prod's branch
    assert git(repo, "rev-parse", "HEAD") == head  # the checked-out branch never moved
    assert git(repo, "status", "--porcelain") == ""


@pytest.fixture
def prod_in_another_repository(tmp_path: Path, now: datetime) -> Path:
    """qa lives on main (web 1.1.0), prod (web 1.0.0) in a bare repository of its own."""
    source = tmp_path / "prod-source"
    source.mkdir()
    git(source, "init", "--quiet", "--initial-branch=main")
    files = {"apps/prod/web.yaml": DEPLOYMENT.format(version="1.0.0")}
    commit_at(source, now - timedelta(days=3), "prod: web 1.0.0", files)
    bare = tmp_path / "prod.git"
    git(tmp_path, "clone", "--quiet", "--bare", str(source), str(bare))
    root = tmp_path / "repo"
    root.mkdir()
    git(root, "init", "--quiet", "--initial-branch=main")
    graph = f"""\
environments:
  qa: {{path: apps/qa}}
  prod: {{path: apps/prod, repo: {bare.as_uri()}, from: [qa]}}
"""
    files = {
        "environments/graph.yaml": graph,
        "apps/qa/web.yaml": DEPLOYMENT.format(version="1.1.0"),
    }
    commit_at(root, now - timedelta(days=2), "qa: web 1.1.0", files)
    return root


def test_freeze_and_rollback_in_another_repository(prod_in_another_repository, cli):
    repo = prod_in_another_repository
    bare = repo.parent / "prod.git"
    head = git(repo, "rev-parse", "HEAD")
    assert cli(repo, "qa", "prod", "--yes").exit_code == 0
    promoted = git(bare, "rev-parse", "main").strip()

    assert cli(repo, "freeze", "prod", "--reason", "incident").exit_code == 0
    assert trailers(bare, "Promote-Freeze", "main") == ["prod"]
    result = cli(repo, "rollback", "prod", "--yes")
    assert result.exit_code == 0, result.stderr
    assert prod_file(bare, "main") == prod_file(bare, f"{promoted}~1")
    assert trailers(bare, "Promote-Rollback-Of", "main") == trailers(bare, "Promote-Id", promoted)
    assert "prod: frozen by pat@example.com" in cli(repo, "status").stdout
    assert cli(repo, "unfreeze", "prod").exit_code == 0
    assert trailers(bare, "Promote-Unfreeze", "main") == ["prod"]
    assert git(repo, "rev-parse", "HEAD") == head  # nothing recorded on the user's branch
