"""The `branch` target: rendered manifests committed to a branch, never touching the worktree."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
import yaml

from tests.helpers import git, kustomize_build, write_tree
from tests.reconcile_helpers import SECRET_REPO, assert_no_secret, git_state, set_target

BRANCH = "rendered/prod"


def branch_objects(repo: Path, branch: str = BRANCH, under: str = "") -> dict[str, dict]:
    """File name → object, read with plain git (not through the code under test)."""
    names = git(repo, "ls-tree", "-r", "--name-only", branch, *([under] if under else []))
    return {
        name.removeprefix(f"{under}/"): yaml.safe_load(git(repo, "show", f"{branch}:{name}"))
        for name in names.split()
    }


def branch_sha(repo: Path, branch: str = BRANCH) -> str:
    return git(repo, "rev-parse", branch).strip()


@pytest.fixture
def example(example_repo: Path) -> Path:
    set_target(example_repo, "prod", "{kind: branch, branch: rendered/prod}")
    return example_repo


def test_reconcile_creates_the_branch_with_exactly_the_rendered_objects(example, cli):
    before = git_state(example)
    result = cli(example, "reconcile", "prod")
    assert result.exit_code == 0, result.stderr
    assert git_state(example) == before
    held = branch_objects(example)
    expected = kustomize_build(example / "environments" / "prod")
    key = lambda o: (o["apiVersion"], o["kind"], o["metadata"]["name"])  # noqa: E731
    assert sorted(held.values(), key=key) == sorted(expected, key=key)
    assert len(held) == len(expected)
    message = git(example, "log", "-1", "--format=%B", BRANCH)
    head = git(example, "rev-parse", "HEAD").strip()
    trailer = git(
        example, "log", "-1", "--format=%(trailers:key=Promote-Source-Commit,valueonly)", BRANCH
    )
    assert trailer.strip() == head
    assert head[:12] in message.splitlines()[0]
    assert f"{len(expected)} created" in result.stdout


def test_repeating_reconcile_is_a_no_op(example, cli):
    assert cli(example, "reconcile", "prod").exit_code == 0
    first = branch_sha(example)
    again = cli(example, "reconcile", "prod", "--output", "json")
    assert again.exit_code == 0, again.stderr
    assert branch_sha(example) == first
    counts = again.json()["environments"][0]["counts"]
    assert counts["unchanged"] == len(branch_objects(example))
    assert counts["created"] == counts["configured"] == counts["pruned"] == 0


def test_after_a_promotion_diff_exits_1_until_reconcile(example, cli):
    assert cli(example, "reconcile", "prod").exit_code == 0
    assert cli(example, "diff", "prod").exit_code == 0
    assert cli(example, "approve", "uat", "prod").exit_code == 0  # prod wants 1
    assert cli(example, "uat", "prod", "--yes").exit_code == 0
    drift = cli(example, "diff", "prod")
    assert drift.exit_code == 1
    assert "-      - image: ghcr.io/acme/web:1.2.0" in drift.stdout
    assert "+      - image: ghcr.io/acme/web:1.3.0" in drift.stdout
    status = cli(example, "status", "--output", "json").json()
    (prod,) = [e for e in status["environments"] if e["name"] == "prod"]
    assert prod["target"]["drifted"] is True
    assert cli(example, "reconcile", "prod").exit_code == 0
    assert cli(example, "diff", "prod").exit_code == 0
    status = cli(example, "status", "--output", "json").json()
    (prod,) = [e for e in status["environments"] if e["name"] == "prod"]
    head = git(example, "rev-parse", "HEAD").strip()
    assert prod["target"] == {**prod["target"], "last_applied_commit": head, "drifted": False}


def test_promote_with_reconcile_updates_the_branch(example, cli):
    before = git_state(example)[1:3]
    assert cli(example, "approve", "uat", "prod").exit_code == 0  # prod wants 1
    result = cli(example, "uat", "prod", "--yes", "--reconcile")
    assert result.exit_code == 0, result.stderr
    assert git_state(example)[1:3] == before  # same branch, clean tree
    head = git(example, "rev-parse", "HEAD").strip()
    assert git(example, "log", "-1", "--format=%B", BRANCH).rstrip().endswith(head)
    images = [
        c["image"]
        for o in branch_objects(example).values()
        if o["kind"] == "Deployment"
        for c in o["spec"]["template"]["spec"]["containers"]
    ]
    assert "ghcr.io/acme/web:1.3.0" in images


def test_promote_reconcile_without_target_is_refused_before_committing(example_repo, cli):
    assert cli(example_repo, "approve", "uat", "prod").exit_code == 0  # prod wants 1
    head = git(example_repo, "rev-parse", "HEAD")
    result = cli(example_repo, "uat", "prod", "--yes", "--reconcile")
    assert result.exit_code == 2
    assert "no `target:`" in result.stderr
    assert git(example_repo, "rev-parse", "HEAD") == head


def test_an_object_removed_from_git_is_pruned_from_the_branch(example, cli):
    assert cli(example, "reconcile", "prod").exit_code == 0
    assert "apps_v1_deployment_shop-prod_worker.yaml" in branch_objects(example)
    base = example / "environments" / "base" / "kustomization.yaml"
    base.write_text(base.read_text().replace("  - worker.yaml\n", ""))
    git(example, "commit", "--quiet", "-am", "drop the worker")
    result = cli(example, "reconcile", "prod", "-o", "json")
    assert result.exit_code == 0, result.stderr
    held = branch_objects(example)
    expected = kustomize_build(example / "environments" / "prod")
    assert len(held) == len(expected)
    assert sorted(held.values(), key=str) == sorted(expected, key=str)
    pruned = [o for o in result.json()["environments"][0]["objects"] if o["action"] == "pruned"]
    assert [(o["kind"], o["name"]) for o in pruned] == [("Deployment", "worker")]


def test_reconcile_renders_the_commit_not_the_working_tree(example, cli):
    assert cli(example, "reconcile", "prod").exit_code == 0
    first = branch_sha(example)
    kustomization = example / "environments" / "prod" / "kustomization.yaml"
    kustomization.write_text(kustomization.read_text().replace("newTag: 1.2.0", "newTag: 9.9.9"))
    assert cli(example, "reconcile", "prod").exit_code == 0
    assert branch_sha(example) == first
    assert cli(example, "diff", "prod").exit_code == 0
    assert "9.9.9" in kustomization.read_text()  # the uncommitted edit is still there


def test_a_hand_made_commit_on_the_branch_is_drift_and_is_reverted(example, cli, tmp_path):
    assert cli(example, "reconcile", "prod").exit_code == 0
    side = tmp_path / "side"
    git(example, "worktree", "add", "--quiet", str(side), BRANCH)
    cm = side / "v1_configmap_shop-prod_app-config.yaml"
    cm.write_text(cm.read_text().replace("LOG_LEVEL: warn", "LOG_LEVEL: debug"))
    write_tree(side, {"extra.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: extra}\n"})
    git(side, "add", "--all")
    git(side, "commit", "--quiet", "-m", "hand edit")
    git(example, "worktree", "remove", "--force", str(side))
    drift = cli(example, "diff", "prod", "-o", "json")
    assert drift.exit_code == 1
    assert sorted(drift.json()["drifted"]) == ["ConfigMap//extra", "ConfigMap/shop-prod/app-config"]
    result = cli(example, "reconcile", "prod")
    assert result.exit_code == 0, result.stderr
    assert cli(example, "diff", "prod").exit_code == 0
    assert "extra.yaml" not in branch_objects(example)


def test_path_option_keeps_other_files_of_the_branch(example_repo, cli):
    set_target(example_repo, "prod", "{kind: branch, branch: rendered/all, path: prod}")
    set_target(example_repo, "uat", "{kind: branch, branch: rendered/all, path: uat}")
    result = cli(example_repo, "reconcile", "--all", "-o", "json")
    assert result.exit_code == 0, result.stderr
    assert [e["environment"] for e in result.json()["environments"]] == ["uat", "prod"]
    for env in ("uat", "prod"):
        held = branch_objects(example_repo, "rendered/all", env)
        assert len(held) == len(kustomize_build(example_repo / "environments" / env))


def test_secrets_never_appear_in_any_output(make_repo, cli):
    repo = make_repo(SECRET_REPO)
    set_target(repo, "prod", "{kind: branch, branch: rendered/prod}")
    outputs = []
    for args in (
        ("diff", "prod"),
        ("reconcile", "prod"),
        ("reconcile", "prod", "-o", "json"),
        ("status",),
        ("status", "-o", "json"),
    ):
        result = cli(repo, *args)
        assert result.exit_code in (0, 1), result.stderr
        outputs.append(result.stdout + result.stderr)
    secret_file = repo / "apps" / "base" / "secret.yaml"
    secret_file.write_text(secret_file.read_text().replace("tok-", "tok2-"))
    git(repo, "commit", "--quiet", "-am", "rotate the token")
    drift = cli(repo, "diff", "prod")
    assert drift.exit_code == 1
    assert "sha256:" in drift.stdout  # the change shows, as a hash
    outputs.append(drift.stdout + drift.stderr)
    for args in (("diff", "prod", "-o", "json"), ("reconcile", "prod", "--dry-run")):
        result = cli(repo, *args)
        outputs.append(result.stdout + result.stderr)
    for text in outputs:
        assert_no_secret(text)
        assert_no_secret(text.replace("tok-", "tok2-"))
    # The branch itself holds what would be applied: the real (base64) values.
    blob = git(repo, "show", "rendered/prod:v1_secret_api-prod_tokens.yaml")
    assert "data:" in blob


@pytest.mark.parametrize(
    ("target", "message"),
    [
        ("{kind: branch}", "`branch:` is required"),
        ("{kind: branch, branch: rendered/prod, colour: blue}", "unknown option 'colour'"),
        ("{kind: branch, branch: ../x}", "not a valid branch name"),
        ("{kind: branch, branch: rendered/prod, path: /abs}", "relative path"),
    ],
)
def test_bad_options_are_exit_2_and_change_nothing(example_repo, cli, target, message):
    set_target(example_repo, "prod", target)
    branches = git(example_repo, "branch", "--list")
    result = cli(example_repo, "reconcile", "prod")
    assert result.exit_code == 2
    assert message in result.stderr
    assert git(example_repo, "branch", "--list") == branches


def test_the_checked_out_branch_is_never_a_target(example_repo, cli):
    set_target(example_repo, "prod", "{kind: branch, branch: main}")
    head = git(example_repo, "rev-parse", "HEAD")
    result = cli(example_repo, "reconcile", "prod")
    assert result.exit_code == 1
    assert "checked-out branch" in result.stdout + result.stderr
    assert git(example_repo, "rev-parse", "HEAD") == head
    assert git(example_repo, "status", "--porcelain") == ""


def test_branch_output_is_what_flux_would_read(example, cli):
    """A consumer reading the branch with kubectl gets the rendered objects (YAML 1.1 safe)."""
    assert cli(example, "reconcile", "prod").exit_code == 0
    out = subprocess.run(
        ["git", "show", f"{BRANCH}:v1_configmap_shop-prod_app-config.yaml"],
        cwd=example,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    (cm,) = [
        o for o in kustomize_build(example / "environments" / "prod") if o["kind"] == "ConfigMap"
    ]
    assert yaml.safe_load(out) == cm
