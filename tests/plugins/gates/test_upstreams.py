from datetime import timedelta

from tests.gated import DEPLOYMENT, commit_at, verdicts
from tests.helpers import git

FAN_IN = """\
environments:
  uat-eu: {path: apps/uat-eu}
  uat-us: {path: apps/uat-us}
  prod:
    path: apps/prod
    from: [uat-eu, uat-us]
    gates:
      - upstreams: all
"""


def fan_in_repo(tmp_path, now, us_version: str):
    repo = tmp_path / "repo"
    repo.mkdir()
    git(repo, "init", "--quiet", "--initial-branch=main")
    commit_at(
        repo,
        now - timedelta(days=1),
        "initial",
        {
            "environments/graph.yaml": FAN_IN,
            "apps/uat-eu/web.yaml": DEPLOYMENT.format(version="1.1.0"),
            "apps/uat-us/web.yaml": DEPLOYMENT.format(version=us_version),
            "apps/prod/web.yaml": DEPLOYMENT.format(version="1.0.0"),
        },
    )
    return repo


def test_fan_in_waits_until_every_upstream_runs_the_versions(tmp_path, cli, now):
    repo = fan_in_repo(tmp_path, now, us_version="1.0.0")
    result = cli(repo, "uat-eu", "prod", "--yes", "--output", "json")
    assert result.exit_code == 3
    gate = verdicts(result)["upstreams"]
    assert gate["outcome"] == "pending"
    assert gate["reason"] == "uat-us runs ghcr.io/acme/web 1.0.0, not 1.1.0"
    commit_at(repo, now, "us", {"apps/uat-us/web.yaml": DEPLOYMENT.format(version="1.1.0")})
    assert cli(repo, "uat-eu", "prod", "--yes").exit_code == 0


def test_an_uncommitted_edit_of_an_upstream_does_not_count(tmp_path, cli, now):
    repo = fan_in_repo(tmp_path, now, us_version="1.0.0")
    (repo / "apps/uat-us/web.yaml").write_text(DEPLOYMENT.format(version="1.1.0"))
    result = cli(repo, "check", "uat-eu", "prod", "--output", "json")
    assert result.exit_code == 3
    assert verdicts(result)["upstreams"]["outcome"] == "pending"


def test_upstreams_accepts_only_all(gated_repo, cli):
    result = cli(gated_repo("- upstreams: any"), "check", "qa", "prod")
    assert result.exit_code == 2
    assert "upstreams: all" in result.stderr
