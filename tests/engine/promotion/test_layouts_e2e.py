"""`promote SRC DST` on environments that live on branches and in repositories of their own.

The layouts come from tests/layout_remotes.py (real bare remotes, `file://` URLs); every result is
read back with plain `git` and the real `kubectl kustomize`, never with promote's code.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.engine.promotion.test_landing import effective
from tests.helpers import git
from tests.layout_remotes import (
    BUILDERS,
    Layout,
    all_refs,
    checkout_snapshot,
    export,
    set_key,
    tip,
)
from tests.processes import added_and_removed, clean_tree, trailer_values

HOPS = ("int", "qa"), ("qa", "uat"), ("uat", "prod")


def runs(layout: Layout, env: str, commit: str, scratch: Path) -> dict:
    """What `env` runs at `commit` of its branch / repository, by kustomize over an export."""
    return effective(export(layout.places[env], commit, scratch))


def ref_key(layout: Layout, env: str) -> str:
    """all_refs()'s key of the ref that moves when a promotion lands in `env`."""
    place = layout.places[env]
    return f"{place.repo.name}:refs/heads/{place.branch}"


def expected_source_repo(layout: Layout, src: str, dst: str) -> list[str]:
    """`Promote-Source-Repo` is there exactly when SRC's repository is not DST's: SRC's `repo:`
    URL, or for this repository its origin's URL."""
    src_place, dst_place = layout.places[src], layout.places[dst]
    if src_place.repo == dst_place.repo:
        return []
    return [src_place.url or layout.origin_url]


def assert_trailers(layout: Layout, commit: str, src: str, dst: str, source: str) -> None:
    repo = layout.places[dst].repo
    assert trailer_values(repo, commit, "Promote-From") == [src]
    assert trailer_values(repo, commit, "Promote-To") == [dst]
    assert trailer_values(repo, commit, "Promote-Source-Commit") == [source]
    wanted = expected_source_repo(layout, src, dst)
    assert trailer_values(repo, commit, "Promote-Source-Repo") == wanted


def assert_only_versions_change(layout: Layout, dst: str, commit: str) -> None:
    """The commit edits DST's files only, line for line, each new line holding a version its
    trailers name. (With `path: .` the base is DST's too, and its pins, though overridden by
    the overlay, are edited as well: the engine edits every pin under DST's path, as it does
    in a directory layout; so old versions are not checked line by line.)"""
    place = layout.places[dst]
    changed = git(place.repo, "diff-tree", "--no-commit-id", "--name-only", "-r", commit).split()
    prefix = "" if place.path == "." else f"{place.path}/"
    assert all(name.startswith(prefix) for name in changed), changed
    news = [
        move.split(" -> ")[1] for move in trailer_values(place.repo, commit, "Promote-Artifact")
    ]
    added, removed = added_and_removed(place.repo, commit)
    assert len(added.splitlines()) == len(removed.splitlines()), (added, removed)
    for line in added.splitlines():
        assert any(new in line for new in news), f"{commit} adds {line!r}; new versions {news}"


# (layout, SRC, DST): branch → branch, repo → repo, dir → branch, branch → repo
SINGLE_HOPS = [
    ("branches", "qa", "uat"),
    ("repos", "uat", "prod"),
    ("repos", "int", "qa"),
    ("mixed", "qa", "uat"),
    ("mixed", "uat", "prod"),
]


@pytest.mark.parametrize(("name", "src", "dst"), SINGLE_HOPS)
def test_a_promotion_lands_one_commit_where_dst_lives_and_leaves_the_checkout_alone(
    name, src, dst, tmp_path, cli
):
    layout = BUILDERS[name](tmp_path / name)
    place = layout.places[dst]
    source, dst_before = tip(layout, src), tip(layout, dst)
    wanted = runs(layout, src, source, tmp_path / "src")
    assert runs(layout, dst, dst_before, tmp_path / "dst-before") != wanted
    refs, snapshot = all_refs(layout), checkout_snapshot(layout.checkout)

    result = cli(layout.checkout, src, dst, "--yes")

    assert result.exit_code == 0, result.stderr
    landed = tip(layout, dst)
    assert git(place.repo, "rev-parse", f"{landed}^").strip() == dst_before
    assert runs(layout, dst, landed, tmp_path / "dst-after") == wanted
    assert_trailers(layout, landed, src, dst, source)
    assert_only_versions_change(layout, dst, landed)
    assert checkout_snapshot(layout.checkout) == snapshot, "DST is not on the checked-out branch"
    moved = {k: v for k, v in all_refs(layout).items() if refs.get(k) != v}
    assert moved == {ref_key(layout, dst): landed}, "only DST's branch moves, nothing is pushed"


def test_push_sends_a_branch_promotion_to_origin_without_touching_the_checkout(
    branches_layout, tmp_path, cli
):
    layout = branches_layout
    before = git(layout.origin, "rev-parse", "refs/heads/uat").strip()
    source = tip(layout, "qa")
    snapshot = checkout_snapshot(layout.checkout)

    result = cli(layout.checkout, "qa", "uat", "--yes", "--push")

    assert result.exit_code == 0, result.stderr
    pushed = git(layout.origin, "rev-parse", "refs/heads/uat").strip()
    assert git(layout.origin, "rev-parse", f"{pushed}^").strip() == before
    assert pushed == git(layout.checkout, "rev-parse", "refs/heads/uat").strip()
    assert trailer_values(layout.origin, pushed, "Promote-Source-Commit") == [source]
    assert runs(layout, "uat", pushed, tmp_path / "uat") == runs(
        layout, "qa", source, tmp_path / "qa"
    )
    assert git(layout.origin, "rev-parse", "refs/heads/main").strip() == snapshot["head"]
    assert checkout_snapshot(layout.checkout) == snapshot


def test_a_walk_int_to_prod_lands_one_commit_per_hop_where_each_dst_lives(
    any_layout, tmp_path, cli
):
    layout = any_layout
    before = {env: tip(layout, env) for env in layout.places}
    wanted = runs(layout, "int", before["int"], tmp_path / "int")
    snapshot = checkout_snapshot(layout.checkout)
    on_checkout = [dst for _, dst in HOPS if layout.on_checked_out_branch(dst)]

    result = cli(layout.checkout, "int", "prod", "--yes")

    assert result.exit_code == 0, result.stderr
    landed: dict[str, str] = {}
    for src, dst in HOPS:
        place, commit = layout.places[dst], tip(layout, dst)
        assert git(place.repo, "rev-parse", f"{commit}^").strip() == before[dst], f"{src}→{dst}"
        assert_trailers(layout, commit, src, dst, landed.get(src, before[src]))
        assert runs(layout, dst, commit, tmp_path / f"{dst}-after") == wanted
        landed[dst] = commit
    if on_checkout:  # the walk's directory hops move the checked-out branch, as today
        assert clean_tree(layout.checkout), git(layout.checkout, "status", "--porcelain")
        assert effective(layout.checkout / layout.places["qa"].path) == wanted
    else:
        assert checkout_snapshot(layout.checkout) == snapshot


def test_an_environment_on_the_checked_out_branch_is_promoted_in_the_working_tree(
    mixed_layout, tmp_path, cli
):
    """`branch: main` while main is checked out is a plain directory: HEAD moves, the working
    tree and index follow, and no other ref moves."""
    layout = mixed_layout
    set_key(layout, "qa", "branch", "main")
    head, refs = git(layout.checkout, "rev-parse", "HEAD").strip(), all_refs(layout)
    wanted = runs(layout, "int", head, tmp_path / "int")

    result = cli(layout.checkout, "int", "qa", "--yes")

    assert result.exit_code == 0, result.stderr
    landed = git(layout.checkout, "rev-parse", "HEAD").strip()
    assert git(layout.checkout, "rev-parse", "HEAD^").strip() == head
    assert_trailers(layout, landed, "int", "qa", head)
    assert clean_tree(layout.checkout), git(layout.checkout, "status", "--porcelain")
    assert effective(layout.checkout / "apps/qa") == wanted
    moved = {k: v for k, v in all_refs(layout).items() if refs.get(k) != v}
    assert moved == {"user:refs/heads/main": landed}
