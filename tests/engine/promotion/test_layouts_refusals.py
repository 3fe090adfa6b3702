"""A graph whose branches or repositories cannot be used: exit 2 naming graph.yaml:LINE:COL, and
nothing written anywhere (no ref of any repository moves, the checkout is as it was)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.helpers import git
from tests.layout_remotes import BUILDERS, Layout, all_refs, checkout_snapshot, set_key

UNREACHABLE = "file:///nonexistent.git"


def cache_entries(layout: Layout) -> list[str]:
    git_dir = Path(git(layout.checkout, "rev-parse", "--absolute-git-dir").strip())
    cache = git_dir / "promote"
    return sorted(str(p.relative_to(cache)) for p in cache.rglob("*")) if cache.exists() else []


def assert_refused(layout: Layout, cli, line: int | None, *names: str) -> str:
    """`promote int qa --yes` (a hop that is fine on its own) is refused before anything runs."""
    refs, snapshot, cache = (
        all_refs(layout),
        checkout_snapshot(layout.checkout),
        cache_entries(layout),
    )
    result = cli(layout.checkout, "int", "qa", "--yes")
    assert result.exit_code == 2, (result.stdout, result.stderr)
    assert result.stderr.startswith("promote: error: ") and "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    where = re.search(r"environments/graph\.yaml:(\d+):(\d+): ", result.stderr)
    assert where and line in (None, int(where.group(1))), result.stderr
    for name in names:
        assert name in result.stderr, result.stderr
    assert all_refs(layout) == refs
    assert checkout_snapshot(layout.checkout) == snapshot
    assert cache_entries(layout) == cache, "nothing is cloned or fetched for a refused graph"
    return result.stderr


@pytest.mark.parametrize(("name", "env"), [("mixed", "prod"), ("repos", "uat")])
def test_an_unreachable_repository_is_exit_2_naming_its_url_and_nothing_is_written(
    name, env, tmp_path, cli
):
    layout = BUILDERS[name](tmp_path / name)
    warm = cli(layout.checkout, "status")  # the reachable repositories are cached already
    assert warm.exit_code == 0, warm.stderr
    line = set_key(layout, env, "repo", UNREACHABLE)
    assert_refused(layout, cli, line, UNREACHABLE)


@pytest.mark.parametrize(("name", "env"), [("mixed", "uat"), ("branches", "qa"), ("repos", "prod")])
def test_an_unknown_branch_is_exit_2_naming_it(name, env, tmp_path, cli):
    layout = BUILDERS[name](tmp_path / name)
    line = set_key(layout, env, "branch", "no-such-branch")
    assert_refused(layout, cli, line, "no-such-branch")


def test_a_path_missing_on_its_branch_is_exit_2(mixed_layout, cli):
    line = set_key(mixed_layout, "uat", "path", "apps/nowhere")
    assert_refused(mixed_layout, cli, line, "apps/nowhere")


# Two environments at the same repository + branch + path, however the graph spells it:
# (layout, env, its new keys, the env already there). "@uat" stands for uat's repository URL;
# uat names no branch, so it lives on that repository's HEAD branch, `live`.
SAME_PLACE = [
    ("mixed", "uat", {"branch": "main", "path": "apps/qa"}, "qa"),
    ("branches", "qa", {"branch": "int"}, "int"),
    ("repos", "prod", {"branch": "live", "repo": "@uat"}, "uat"),
]


@pytest.mark.parametrize(("name", "env", "keys", "other"), SAME_PLACE)
def test_two_environments_in_the_same_place_are_exit_2(name, env, keys, other, tmp_path, cli):
    layout = BUILDERS[name](tmp_path / name)
    for key, value in keys.items():
        set_key(layout, env, key, layout.places["uat"].url if value == "@uat" else value)
    stderr = assert_refused(layout, cli, None)
    assert re.search(rf"\b{other}\b", stderr) and re.search(rf"\b{env}\b", stderr), stderr
