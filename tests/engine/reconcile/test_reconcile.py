"""Generic reconciliation, driven through a test-only in-memory target plugin."""

from __future__ import annotations

import pytest

from tests.helpers import git, kustomize_build
from tests.reconcile_helpers import git_state, memory_target, set_target  # noqa: F401


@pytest.fixture
def repo(example_repo, memory_target):  # noqa: F811
    set_target(example_repo, "qa", "{kind: memory}", commit=False)
    set_target(example_repo, "prod", "{kind: memory}")
    return example_repo


def test_reconcile_hands_the_rendered_commit_to_the_target(repo, cli, memory_target):  # noqa: F811
    """…and then tells plugins through the `promote_reconciled` hook (memory_target.RECONCILED)."""
    result = cli(repo, "reconcile", "prod", "-o", "json")
    assert result.exit_code == 0, result.stderr
    held = memory_target.STORE["prod"]
    assert held["commit"] == git(repo, "rev-parse", "HEAD").strip()
    assert sorted(held["objects"].values(), key=str) == sorted(
        kustomize_build(repo / "environments" / "prod"), key=str
    )
    (report,) = result.json()["environments"]
    assert report["counts"]["created"] == len(held["objects"])
    assert [env for env, _ in memory_target.RECONCILED] == ["prod"]


def test_all_reconciles_every_targeted_environment_upstream_first(repo, cli, memory_target):  # noqa: F811
    result = cli(repo, "reconcile", "--all", "-o", "json")
    assert result.exit_code == 0, result.stderr
    assert [e["environment"] for e in result.json()["environments"]] == ["qa", "prod"]
    assert [call[1] for call in memory_target.CALLS] == ["qa", "prod"]


def test_dry_run_changes_nothing(repo, cli, memory_target):  # noqa: F811
    result = cli(repo, "reconcile", "prod", "--dry-run")
    assert result.exit_code == 0, result.stderr
    assert "dry run" in result.stdout
    assert memory_target.STORE == {}
    assert memory_target.CALLS == [("apply", "prod", True)]


def test_an_environment_without_target_is_exit_2(repo, cli, memory_target):  # noqa: F811
    for args in (("reconcile", "uat"), ("diff", "uat")):
        result = cli(repo, *args)
        assert result.exit_code == 2
        assert "'uat' has no `target:`" in result.stderr
    assert memory_target.CALLS == []


def test_usage_errors_are_exit_2(repo, cli, memory_target):  # noqa: F811
    for args in (
        ("reconcile",),
        ("reconcile", "prod", "--all"),
        ("reconcile", "prod", "--timeout", "soon"),
        ("reconcile", "--watch", "--interval", "0s"),
        ("diff", "nowhere"),
    ):
        result = cli(repo, *args)
        assert result.exit_code == 2, args
    assert memory_target.CALLS == []


def test_diff_exit_codes(repo, cli, memory_target):  # noqa: F811
    assert cli(repo, "diff", "prod").exit_code == 1  # nothing applied yet: all drift
    assert cli(repo, "reconcile", "prod").exit_code == 0
    assert cli(repo, "diff", "prod").exit_code == 0
    memory_target.STORE["prod"]["objects"].popitem()
    assert cli(repo, "diff", "prod").exit_code == 1


def test_a_failing_target_is_exit_1_and_reported(example_repo, memory_target, cli):  # noqa: F811
    set_target(example_repo, "prod", "{kind: memory, fail: apply}")
    result = cli(example_repo, "reconcile", "prod", "-o", "json")
    assert result.exit_code == 1
    (report,) = result.json()["environments"]
    assert report["healthy"] is False
    assert "refuses to apply" in report["messages"][0]
    assert [env for env, _ in memory_target.RECONCILED] == ["prod"]


def test_diff_error_is_exit_2(example_repo, memory_target, cli):  # noqa: F811
    set_target(example_repo, "prod", "{kind: memory, fail: diff}")
    result = cli(example_repo, "diff", "prod")
    assert result.exit_code == 2
    assert "refuses to diff" in result.stderr


def test_status_shows_a_failing_target_as_unknown(example_repo, memory_target, cli):  # noqa: F811
    set_target(example_repo, "prod", "{kind: memory, fail: status}")
    result = cli(example_repo, "status", "-o", "json")
    assert result.exit_code == 0, result.stderr
    (prod,) = [e for e in result.json()["environments"] if e["name"] == "prod"]
    assert prod["target"]["drifted"] is None
    assert prod["target"]["detail"].startswith("unknown")
    text = cli(example_repo, "status")
    assert "prod: last applied never, drift unknown" in text.stdout


def test_reconcile_reads_the_commit_and_leaves_the_repository_alone(repo, cli, memory_target):  # noqa: F811
    kustomization = repo / "environments" / "prod" / "kustomization.yaml"
    kustomization.write_text(kustomization.read_text().replace("newTag: 1.2.0", "newTag: 7.7.7"))
    before = git_state(repo)
    assert cli(repo, "reconcile", "prod").exit_code == 0
    assert git_state(repo) == before
    images = [
        c["image"]
        for o in memory_target.STORE["prod"]["objects"].values()
        if o["kind"] == "Deployment"
        for c in o["spec"]["template"]["spec"]["containers"]
    ]
    assert "ghcr.io/acme/web:1.2.0" in images
    assert not any("7.7.7" in image for image in images)


def test_a_commit_that_does_not_render_fails_one_environment_not_all(repo, cli, memory_target):  # noqa: F811
    broken = repo / "environments" / "qa" / "kustomization.yaml"
    broken.write_text(broken.read_text() + "resources: [missing.yaml]\n")
    git(repo, "commit", "--quiet", "-am", "break qa")
    result = cli(repo, "reconcile", "--all", "-o", "json")
    assert result.exit_code == 1
    reports = {e["environment"]: e for e in result.json()["environments"]}
    assert reports["qa"]["healthy"] is False
    assert reports["prod"]["healthy"] is True
    single = cli(repo, "reconcile", "qa")
    assert single.exit_code == 2


def test_promote_reconcile_failure_is_exit_1_after_the_commit(example_repo, memory_target, cli):  # noqa: F811
    set_target(example_repo, "prod", "{kind: memory, fail: apply}")
    before = git(example_repo, "rev-parse", "HEAD")
    assert cli(example_repo, "approve", "uat", "prod").exit_code == 0  # prod wants 1
    result = cli(example_repo, "uat", "prod", "--yes", "--reconcile", "-o", "json")
    assert result.exit_code == 1
    document = result.json()
    assert document["hops"][0]["status"] == "promoted"
    assert document["reconcile"][0]["healthy"] is False
    assert git(example_repo, "rev-parse", "HEAD") != before


def test_promote_dry_run_with_reconcile_reconciles_nothing(repo, cli, memory_target):  # noqa: F811
    assert cli(repo, "approve", "uat", "prod").exit_code == 0  # prod wants 1
    result = cli(repo, "uat", "prod", "--dry-run", "--reconcile")
    assert result.exit_code == 0, result.stderr
    assert memory_target.CALLS == []
