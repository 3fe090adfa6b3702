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
    """The clones under .git/promote/repos/, named after the repository."""
    git_dir = Path(git(layout.checkout, "rev-parse", "--absolute-git-dir").strip())
    return sorted(p.name for p in (git_dir / "promote/repos").glob("*"))


def assert_refused(layout: Layout, cli, args: tuple[str, ...], line: int | None, *names: str):
    """`promote ARGS` is refused before anything runs: exit 2, one line naming graph.yaml's
    LINE:COL and `names`, no ref of any repository moved, the checkout as it was."""
    refs, snapshot = all_refs(layout), checkout_snapshot(layout.checkout)
    cache = cache_entries(layout)
    result = cli(layout.checkout, *args)
    assert result.exit_code == 2, (args, result.stdout, result.stderr)
    assert result.stderr.startswith("promote: error: ") and "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    where = re.search(r"environments/graph\.yaml:(\d+):(\d+): ", result.stderr)
    assert where and line in (None, int(where.group(1))), result.stderr
    for name in names:
        assert name in result.stderr, result.stderr
    assert all_refs(layout) == refs
    assert checkout_snapshot(layout.checkout) == snapshot
    left = [name for name in cache_entries(layout) if name not in cache and "nonexistent" in name]
    assert not left, "no clone of an unreachable repository is left behind"
    return result.stderr


# A hop that reads the broken environment (as SRC or DST).
INTO = {"int": ("int", "qa"), "qa": ("int", "qa"), "uat": ("qa", "uat"), "prod": ("uat", "prod")}


def hop(env: str) -> tuple[str, ...]:
    return (*INTO[env], "--yes")


@pytest.mark.parametrize(("name", "env"), [("mixed", "prod"), ("repos", "uat")])
def test_an_unreachable_repository_is_exit_2_naming_its_url_and_nothing_is_written(
    name, env, tmp_path, cli
):
    layout = BUILDERS[name](tmp_path / name)
    warm = cli(layout.checkout, "status")  # the reachable repositories are cached already
    assert warm.exit_code == 0, warm.stderr
    line = set_key(layout, env, "repo", UNREACHABLE)
    assert_refused(layout, cli, hop(env), line, UNREACHABLE)


@pytest.mark.parametrize(("name", "env"), [("mixed", "uat"), ("branches", "qa"), ("repos", "prod")])
def test_an_unknown_branch_is_exit_2_naming_it(name, env, tmp_path, cli):
    layout = BUILDERS[name](tmp_path / name)
    line = set_key(layout, env, "branch", "no-such-branch")
    assert_refused(layout, cli, hop(env), line, "no-such-branch")


@pytest.mark.parametrize(("name", "env"), [("mixed", "uat"), ("repos", "prod")])
def test_a_path_missing_on_its_branch_is_exit_2(name, env, tmp_path, cli):
    layout = BUILDERS[name](tmp_path / name)
    line = set_key(layout, env, "path", "apps/nowhere")
    assert_refused(layout, cli, hop(env), line, "apps/nowhere")


# Two environments at the same repository + branch + path, however the graph spells it:
# (layout, env, its new keys, the env already there). "@uat" stands for uat's repository URL;
# uat names no branch, so it lives on that repository's HEAD branch, `live`.
SAME_PLACE = [
    ("mixed", "uat", {"branch": "main", "path": "apps/qa"}, "qa"),
    ("branches", "qa", {"branch": "int"}, "int"),
    ("repos", "prod", {"branch": "live", "repo": "@uat"}, "uat"),
]


def make_same_place(name: str, env: str, keys: dict[str, str], tmp_path: Path) -> Layout:
    layout = BUILDERS[name](tmp_path / name)
    for key, value in keys.items():
        set_key(layout, env, key, layout.places["uat"].url if value == "@uat" else value)
    return layout


@pytest.mark.parametrize(("name", "env", "keys", "other"), SAME_PLACE)
def test_two_environments_in_the_same_place_are_exit_2(name, env, keys, other, tmp_path, cli):
    layout = make_same_place(name, env, keys, tmp_path)
    stderr = assert_refused(layout, cli, hop(env), None)
    assert re.search(rf"\b{other}\b", stderr) and re.search(rf"\b{env}\b", stderr), stderr


BROKEN = [
    ("mixed", "prod", "repo", UNREACHABLE),
    ("mixed", "uat", "branch", "no-such-branch"),
    ("repos", "prod", "path", "apps/nowhere"),
]


@pytest.mark.parametrize(("name", "env", "key", "value"), BROKEN)
def test_validate_refuses_a_broken_environment(name, env, key, value, tmp_path, cli):
    layout = BUILDERS[name](tmp_path / name)
    line = set_key(layout, env, key, value)
    assert_refused(layout, cli, ("validate",), line, value)


def test_two_environments_in_one_repository_place_are_refused_by_validate(tmp_path, cli):
    layout = make_same_place(*SAME_PLACE[2][:3], tmp_path)
    assert_refused(layout, cli, ("validate",), None, "uat", "prod")
