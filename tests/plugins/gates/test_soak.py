from datetime import timedelta

from promote.engine.config.durations import format_duration
from tests.gated import DEPLOYMENT, commit_at, graph, trailers, verdicts
from tests.helpers import commit_count, git


def test_a_version_that_arrived_minutes_ago_is_blocked_by_a_1h_soak(gated_repo, cli):
    repo = gated_repo("- soak: 1h", arrived=timedelta(minutes=12))
    before = commit_count(repo)
    result = cli(repo, "qa", "prod", "--yes")
    assert result.exit_code == 3, result.stderr
    assert "12m in qa < 1h" in result.stdout
    assert "pending" in result.stdout
    assert commit_count(repo) == before
    assert git(repo, "status", "--porcelain") == ""


def test_a_version_that_arrived_two_hours_ago_passes_and_is_recorded(gated_repo, cli):
    arrived = timedelta(hours=2, minutes=10)
    repo = gated_repo("- soak: 1h", arrived=arrived)
    qa_commit = git(repo, "rev-parse", "HEAD").strip()
    result = cli(repo, "qa", "prod", "--yes", "--output", "json")
    assert result.exit_code == 0, result.stderr
    assert verdicts(result)["soak"]["outcome"] == "passed"
    (gate,) = trailers(repo, "Promote-Gate")
    assert gate.startswith("soak passed: 2h10m in qa >= 1h")
    assert qa_commit[:12] in gate  # names the commit that started the clock


def test_later_commits_that_keep_the_version_do_not_restart_the_clock(gated_repo, cli, now):
    repo = gated_repo("- soak: 1h", arrived=timedelta(hours=2))
    relabelled = DEPLOYMENT.format(version="1.1.0").replace(
        "name: web\nspec", "name: web\n  labels: {team: a}\nspec"
    )
    commit_at(repo, now - timedelta(minutes=5), "qa: label", {"apps/qa/web.yaml": relabelled})
    commit_at(repo, now - timedelta(minutes=1), "docs", {"README.md": "hello\n"})
    result = cli(repo, "check", "qa", "prod", "--output", "json")
    assert result.exit_code == 0, result.stdout
    assert "2h in qa >= 1h" in verdicts(result)["soak"]["reason"]


def test_a_version_that_left_and_came_back_is_timed_from_its_return(gated_repo, cli, now):
    repo = gated_repo("- soak: 1h", arrived=timedelta(hours=3))
    commit_at(
        repo,
        now - timedelta(hours=2),
        "qa: 1.2.0",
        {"apps/qa/web.yaml": DEPLOYMENT.format(version="1.2.0")},
    )
    commit_at(
        repo,
        now - timedelta(minutes=10),
        "qa: back to 1.1.0",
        {"apps/qa/web.yaml": DEPLOYMENT.format(version="1.1.0")},
    )
    result = cli(repo, "check", "qa", "prod", "--output", "json")
    assert result.exit_code == 3
    soak = verdicts(result)["soak"]
    assert soak["outcome"] == "pending"
    assert soak["reason"].startswith(f"{format_duration(timedelta(minutes=10))} in qa < 1h")


def test_the_clock_starts_at_a_promotion_commit_into_src(tmp_path, cli, now, monkeypatch):
    repo = tmp_path / "repo"
    repo.mkdir()
    git(repo, "init", "--quiet", "--initial-branch=main")
    commit_at(
        repo,
        now - timedelta(days=3),
        "initial",
        {
            "environments/graph.yaml": graph("- soak: 90m", envs=("int", "qa", "prod")),
            "apps/int/web.yaml": DEPLOYMENT.format(version="2.0.0"),
            "apps/qa/web.yaml": DEPLOYMENT.format(version="1.0.0"),
            "apps/prod/web.yaml": DEPLOYMENT.format(version="1.0.0"),
        },
    )
    landed = (now - timedelta(hours=2)).isoformat()
    monkeypatch.setenv("GIT_COMMITTER_DATE", landed)
    monkeypatch.setenv("GIT_AUTHOR_DATE", landed)
    assert cli(repo, "int", "qa", "--yes").exit_code == 0
    promotion = git(repo, "rev-parse", "HEAD").strip()
    monkeypatch.delenv("GIT_COMMITTER_DATE")
    monkeypatch.delenv("GIT_AUTHOR_DATE")
    result = cli(repo, "check", "qa", "prod", "--output", "json")
    assert result.exit_code == 0, result.stdout
    reason = verdicts(result)["soak"]["reason"]
    assert reason.startswith("2h in qa >= 90m")
    assert promotion[:12] in reason


def test_an_invalid_duration_is_a_config_error_with_its_location(gated_repo, cli):
    repo = gated_repo("- soak: 30 minutes")
    result = cli(repo, "check", "qa", "prod")
    assert result.exit_code == 2
    assert "environments/graph.yaml:" in result.stderr
    assert "soak" in result.stderr and "30 minutes" in result.stderr


def test_git_commit_date_counts_like_git_log_shows_it(gated_repo, cli, now):
    """`git commit --date` sets only the author date; that is the date `git log` shows."""
    repo = gated_repo("- soak: 1h", arrived=timedelta(days=1))
    (repo / "apps/qa/web.yaml").write_text(DEPLOYMENT.format(version="1.2.0"))
    git(repo, "add", "--all")
    committed_now = {"GIT_COMMITTER_DATE": now.isoformat()}
    env_git_dated(
        repo,
        committed_now,
        "commit",
        "-qm",
        "qa: 1.2.0",
        f"--date={(now - timedelta(hours=2)).isoformat()}",
    )
    result = cli(repo, "check", "qa", "prod", "--output", "json")
    assert result.exit_code == 0, result.stdout
    assert "2h in qa >= 1h" in verdicts(result)["soak"]["reason"]


def env_git_dated(root, extra_env, *args):
    import os
    import subprocess

    env = {**os.environ, **extra_env}
    subprocess.run(["git", *args], cwd=root, env=env, check=True, capture_output=True)


def test_an_uncommitted_base_is_not_taken_for_what_src_committed(make_repo, cli, now):
    """The plan reads SRC's working tree, soak its commit: an uncommitted edit to a base SRC
    builds on (outside SRC's own path, so promote does not refuse it) is not soaking yet."""
    kustomization = "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\n"
    repo = make_repo(
        {
            "environments/graph.yaml": graph("- soak: 1h"),
            "apps/qa/kustomization.yaml": kustomization + "resources: [../../bases/qa-web]\n",
            "bases/qa-web/kustomization.yaml": kustomization + "resources: [web.yaml]\n",
            "bases/qa-web/web.yaml": DEPLOYMENT.format(version="1.1.0"),
            "apps/prod/web.yaml": DEPLOYMENT.format(version="1.0.0"),
        }
    )
    (repo / "bases/qa-web/web.yaml").write_text(DEPLOYMENT.format(version="1.2.0"))
    result = cli(repo, "check", "qa", "prod", "--output", "json")
    assert result.exit_code == 3, result.stdout + result.stderr
    soak = verdicts(result)["soak"]
    assert soak["outcome"] == "pending"
    assert soak["reason"] == "ghcr.io/acme/web 1.2.0 is not committed in qa yet (needs 1h)"
