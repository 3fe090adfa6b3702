"""What counts as uncommitted: a submodule holding SRC's manifests, checked out elsewhere than the
commit HEAD records for it, is an uncommitted change like any other (exit 2, nothing written)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path, PurePosixPath

import pytest

from tests.helpers import commit_count, git, write_tree

CONFIG_MAP = """
apiVersion: v1
kind: ConfigMap
metadata: {{name: shop}}
data:
  VERSION: "{version}" # {{"$promote": "shop"}}
"""


@pytest.fixture
def superproject(tmp_path: Path) -> Path:
    """QA's manifests live in a submodule (`vendor/shop-config`, path `qa` in it); PROD's in the
    superproject, as teams that share one config repository between several platforms do."""
    config = tmp_path / "shop-config"
    write_tree(config, {"qa/shop.yaml": CONFIG_MAP.format(version="1.1.0")})
    git(config, "init", "--quiet", "--initial-branch=main")
    git(config, "add", "--all")
    git(config, "commit", "--quiet", "-m", "qa runs 1.1.0")
    root = tmp_path / "platform"
    write_tree(
        root,
        {
            "environments/graph.yaml": """
                environments:
                  qa: {path: vendor/shop-config/qa}
                  prod: {path: envs/prod, from: [qa]}
            """,
            "envs/prod/shop.yaml": CONFIG_MAP.format(version="1.0.0"),
        },
    )
    git(root, "init", "--quiet", "--initial-branch=main")
    git(root, "-c", "protocol.file.allow=always", "submodule", "add", "--quiet", str(config),
        "vendor/shop-config")  # fmt: skip
    git(root, "add", "--all")
    git(root, "commit", "--quiet", "-m", "platform with shop-config as a submodule")
    return root


def new_commit_checked_out(submodule: Path) -> None:
    """The submodule moves to a new commit that the superproject does not record."""
    (submodule / "qa/shop.yaml").write_text(CONFIG_MAP.format(version="1.2.0").lstrip("\n"))
    git(submodule, "commit", "--quiet", "-am", "qa runs 1.2.0")


def edited_in_place(submodule: Path) -> None:
    (submodule / "qa/shop.yaml").write_text(CONFIG_MAP.format(version="1.2.0").lstrip("\n"))


def new_file_in_place(submodule: Path) -> None:
    (submodule / "qa/worker.yaml").write_text(
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: worker}\n"
    )


@pytest.mark.parametrize("change", [new_commit_checked_out, edited_in_place, new_file_in_place])
def test_a_submodule_not_at_its_recorded_commit_is_an_uncommitted_change(
    superproject: Path, cli, change: Callable[[Path], None]
):
    change(superproject / "vendor/shop-config")
    head, commits = git(superproject, "rev-parse", "HEAD"), commit_count(superproject)
    status_before = git(superproject, "status", "--porcelain", "--ignore-submodules=none")
    prod_before = (superproject / "envs/prod/shop.yaml").read_bytes()

    for args in (["qa", "prod", "--yes"], ["qa", "prod", "--dry-run"], ["check", "qa", "prod"]):
        result = cli(superproject, *args)

        assert result.exit_code == 2, (args, result.stdout, result.stderr)
        assert "uncommitted" in result.stderr and "vendor/shop-config/qa/" in result.stderr
    assert git(superproject, "rev-parse", "HEAD") == head
    assert commit_count(superproject) == commits
    assert git(superproject, "status", "--porcelain", "--ignore-submodules=none") == status_before
    assert (superproject / "envs/prod/shop.yaml").read_bytes() == prod_before


def test_a_submodule_at_its_recorded_commit_is_promoted_from(superproject: Path, cli):
    result = cli(superproject, "qa", "prod", "--yes")

    assert result.exit_code == 0, result.stderr
    assert 'VERSION: "1.1.0"' in (superproject / "envs/prod/shop.yaml").read_text()


def test_status_says_which_versions_come_from_uncommitted_files(superproject: Path, cli):
    new_commit_checked_out(superproject / "vendor/shop-config")
    (superproject / "envs/prod/shop.yaml").write_text(
        CONFIG_MAP.format(version="1.0.1").lstrip("\n")
    )

    result = cli(superproject, "status", "--output", "json")

    assert result.exit_code == 0, result.stderr
    shown = {env["name"]: env["uncommitted"] for env in result.json()["environments"]}
    assert shown == {"qa": ["vendor/shop-config/qa/shop.yaml"], "prod": ["envs/prod/shop.yaml"]}
    text = cli(superproject, "status").stdout
    assert "qa: read from uncommitted files, not HEAD: vendor/shop-config/qa/shop.yaml" in text


def test_an_approval_of_a_plan_read_from_a_moved_submodule_is_refused(superproject: Path, cli):
    new_commit_checked_out(superproject / "vendor/shop-config")
    commits = commit_count(superproject)

    result = cli(superproject, "approve", "qa", "prod")

    assert result.exit_code == 2, (result.stdout, result.stderr)
    assert "vendor/shop-config/qa/shop.yaml" in result.stderr
    assert commit_count(superproject) == commits


def test_a_staged_tree_never_turns_a_link_into_a_file(tmp_path):
    from promote.engine.errors import RepositoryError
    from promote.engine.repository.gitrepo import GitRepo

    root = tmp_path / "repo"
    write_tree(root, {"envs/shared.yaml": "a: 1\n"})
    (root / "envs/prod.yaml").symlink_to("shared.yaml")
    git(root, "init", "--quiet", "--initial-branch=main")
    git(root, "add", "--all")
    git(root, "commit", "--quiet", "-m", "prod.yaml links to shared.yaml")
    head = git(root, "rev-parse", "HEAD").strip()
    edit = {PurePosixPath("envs/prod.yaml"): "a: 2\n"}
    with (
        pytest.raises(RepositoryError, match=r"envs/prod\.yaml: it is a symbolic link"),
        GitRepo(root).staged_tree(head, edit),
    ):
        pass
    assert git(root, "ls-tree", "HEAD", "envs/prod.yaml").startswith("120000 ")
