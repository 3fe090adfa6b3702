"""`status`, `history` and `graph` read each environment where it lives; remote repositories are
cached under .git/promote/ and fetched, never cloned again."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.engine.promotion.test_landing import effective
from tests.helpers import git
from tests.layout_remotes import BUILDERS, Layout, export, push_new_version, tip

WEB = "ghcr.io/acme/web"


def runs_now(layout: Layout, env: str, scratch: Path) -> dict[str, str]:
    """What `env` runs at the tip where it lives, per kustomize: artifact kind → version."""
    ran = effective(export(layout.places[env], tip(layout, env), scratch / env))
    [image] = ran["images"]
    return {"image": image.removeprefix(f"{WEB}:"), "chart": ran["chart"]}


def status_versions(layout: Layout, cli) -> dict[str, dict[str, str]]:
    """env → artifact kind → version, from `promote status -o json`."""
    result = cli(layout.checkout, "status", "--output", "json")
    assert result.exit_code == 0, result.stderr
    document = result.json()
    kinds = {a["name"]: a["kind"] for a in document["artifacts"]}
    return {
        env["name"]: {kinds[name]: version for name, version in env["versions"].items()}
        for env in document["environments"]
    }


def test_status_reads_every_environment_where_it_lives(any_layout, tmp_path, cli):
    expected = {env: runs_now(any_layout, env, tmp_path) for env in any_layout.places}
    assert status_versions(any_layout, cli) == expected


def test_history_reads_promotions_from_the_repository_where_they_landed(any_layout, cli):
    layout = any_layout
    source = tip(layout, "uat")
    promoted = cli(layout.checkout, "uat", "prod", "--yes")
    assert promoted.exit_code == 0, promoted.stderr
    landed = tip(layout, "prod")
    for args in ((), ("prod",)):
        result = cli(layout.checkout, "history", *args, "--output", "json")
        assert result.exit_code == 0, result.stderr
        [record] = result.json()["promotions"]
        assert (record["commit"], record["from"], record["to"]) == (landed, "uat", "prod")
        assert record["source_commit"] == source


def where(layout: Layout, env: str) -> str:
    """The contract's `where` as a pattern: `main:apps/qa`, `branch uat:apps/uat`,
    `URL@BRANCH:PATH` (the URL may be shortened in text, so only its last part is required; a
    repository whose branch the graph leaves unsaid may show its HEAD)."""
    place = layout.places[env]
    if place.url is not None:
        named = "branch" in _graph_keys(layout)[env]
        branch = re.escape(place.branch) if named else f"({re.escape(place.branch)}|HEAD)"
        tail = re.escape(place.url.rsplit("/", 1)[-1])
        return rf"\S*/{tail}@{branch}:{re.escape(place.path)}"
    if layout.on_checked_out_branch(env):
        return re.escape(f"main:{place.path}")
    return re.escape(f"branch {place.branch}:{place.path}")


def test_graph_shows_where_each_environment_lives(any_layout, cli):
    layout = any_layout
    text = cli(layout.checkout, "graph")
    assert text.exit_code == 0, text.stderr
    lines = {line.split()[0]: line for line in text.stdout.splitlines() if line.strip()}
    for env in layout.places:
        assert re.search(rf"\s{where(layout, env)}(\s|$)", lines[env]), lines[env]
    document = cli(layout.checkout, "graph", "--output", "json").json()
    graph = _graph_keys(layout)
    for entry in document["environments"]:
        written, branch = graph[entry["name"]], entry.get("branch")
        assert entry.get("repo") == written.get("repo"), entry
        if "branch" in written:
            assert branch == written["branch"], entry
        elif "repo" in written:  # the repository's HEAD branch, or left unsaid
            assert branch in (None, layout.places[entry["name"]].branch), entry


def _graph_keys(layout: Layout) -> dict[str, dict[str, str]]:
    """env → its keys as graph.yaml spells them (read with PyYAML, not our code)."""
    import yaml

    return yaml.safe_load(layout.graph_file.read_text())["environments"]


def cache_dirs(layout: Layout) -> dict[str, Path]:
    """The cache clones under .git/promote/repos/, by the URL each was cloned from."""
    git_dir = Path(git(layout.checkout, "rev-parse", "--absolute-git-dir").strip())
    found = {}
    for clone in sorted((git_dir / "promote/repos").glob("*")):
        assert git(clone, "rev-parse", "--is-bare-repository").strip() == "true", clone
        urls = [line.split()[1] for line in git(clone, "remote", "-v").splitlines()]
        found[urls[0] if urls else clone.name] = clone
    return found


def identity(clone: Path) -> dict[str, int]:
    """Inode of every object file and pack of a cache clone: a new clone makes new ones."""
    objects = clone / "objects"
    return {str(p.relative_to(objects)): p.stat().st_ino for p in objects.rglob("*") if p.is_file()}


@pytest.mark.parametrize(("name", "moving"), [("repos", "int"), ("mixed", "prod")])
def test_remote_repositories_are_cached_under_git_promote_and_fetched_not_cloned_again(
    name, moving, tmp_path, cli
):
    layout = BUILDERS[name](tmp_path / name)
    urls = {place.url for place in layout.places.values() if place.url}
    status_versions(layout, cli)
    first = cache_dirs(layout)
    assert set(first) == urls, "one bare clone per repository, named by its URL"
    marks = {url: identity(clone) for url, clone in first.items()}
    for clone in first.values():
        (clone / "left-by-the-test").write_text("a re-clone would lose this\n")
    newer = push_new_version(layout, moving, "1.9.0", tmp_path / "teammate")

    versions = status_versions(layout, cli)

    assert cache_dirs(layout) == first
    for url, clone in first.items():
        assert (clone / "left-by-the-test").exists(), url
        now = identity(clone)
        assert all(now.get(name) == inode for name, inode in marks[url].items()), url
    url = layout.places[moving].url
    assert git(first[url], "cat-file", "-t", newer).strip() == "commit", "fetched"
    assert versions[moving] == runs_now(layout, moving, tmp_path / "after")
