"""A teammate pushes to DST's remote while `promote` is between planning and pushing.

The race is real: DST has a `command` gate (it runs after the plan, before the commit is pushed)
whose program, like a teammate in another clone, commits a change to DST's own files and pushes
it to DST's remote. The bare remotes accept non-fast-forward pushes, so a forced push would
really overwrite the teammate's work: the checks below (plain git) would see it.
"""

from __future__ import annotations

import dataclasses
import re
import textwrap
from pathlib import Path

import pytest

from tests.engine.promotion.test_landing import effective
from tests.helpers import git, kustomize_build
from tests.layout_remotes import BUILDERS, Layout, Place, checkout_snapshot, export, tip
from tests.processes import start, trailer_values

TEAMMATE = """\
#!/bin/sh
# A teammate scales podinfo in DST and pushes, while promote's gates run.
set -e
cat > /dev/null  # the plan, on stdin
if [ -e "{pushes}" ] && [ "{every_time}" != yes ]; then exit 0; fi
cd "{clone}"
git pull --quiet --ff-only origin "{branch}"
count=$(( $(cat "{pushes}" 2>/dev/null || echo 0) + 1 ))
echo "$count" > "{pushes}"
sed -i "s/replicaCount: .*/replicaCount: $((10 + count))/" "{values}"
git commit --quiet -am "teammate: scale podinfo to $((10 + count))"
git push --quiet origin "HEAD:{branch}"
git rev-parse HEAD >> "{commits}"
echo "a teammate pushed to {branch}"
"""


class Teammate:
    """Another clone of DST's remote, pushing to DST's branch from a gate of DST."""

    def __init__(self, layout: Layout, dst: str, root: Path, *, every_time: bool) -> None:
        place = layout.places[dst]
        self.remote = place.repo if place.url else layout.origin
        self.branch = place.branch
        self.clone = root / "teammate"
        git(root, "clone", "--quiet", "--branch", self.branch, str(self.remote), str(self.clone))
        values = "podinfo-values.yaml" if place.path == "." else f"{place.path}/podinfo-values.yaml"
        self.pushes, self.commits = root / "teammate-pushes", root / "teammate-commits"
        self.script = root / "teammate.sh"
        self.script.write_text(
            TEAMMATE.format(
                pushes=self.pushes,
                commits=self.commits,
                every_time="yes" if every_time else "no",
                clone=self.clone,
                branch=self.branch,
                values=values,
            )
        )
        add_gate(layout, dst, f"- command: [sh, {self.script}]")

    def pushed(self) -> list[str]:
        return self.commits.read_text().split() if self.commits.exists() else []


def add_gate(layout: Layout, env: str, gate: str) -> None:
    """Give `env` a gate in graph.yaml, committed and pushed as the team would."""
    text = layout.graph_file.read_text()
    block = textwrap.indent(f"gates:\n  {gate}\n", " " * 4)
    text, found = re.subn(rf"(?m)^  {env}:\n", lambda m: m.group(0) + block, text)
    assert found == 1
    layout.graph_file.write_text(text)
    git(layout.checkout, "commit", "--quiet", "-am", f"{env}: a gate")
    git(layout.checkout, "push", "--quiet", "origin", "main")


def replicas(place: Place, commit: str, scratch: Path) -> int:
    objects = kustomize_build(export(place, commit, scratch))
    [release] = [o for o in objects if o["kind"] == "HelmRelease"]
    return release["spec"]["values"]["replicaCount"]


def promotions_between(repo: Path, old: str, new: str) -> list[str]:
    return git(repo, "log", "--format=%H", "--grep=^Promote-Id:", f"{old}..{new}").split()


# (layout, SRC, DST, extra flags): a repository DST is always pushed; a branch DST with --push.
RACES = [
    ("repos", "uat", "prod", ()),
    ("mixed", "uat", "prod", ()),
    ("branches", "qa", "uat", ("--push",)),
]


@pytest.mark.parametrize(("name", "src", "dst", "flags"), RACES)
def test_a_push_that_lost_the_race_is_planned_again_on_the_new_tip_and_loses_nothing(
    name, src, dst, flags, tmp_path, cli
):
    layout = BUILDERS[name](tmp_path / name)
    teammate = Teammate(layout, dst, tmp_path, every_time=False)
    remote, branch = teammate.remote, f"refs/heads/{teammate.branch}"
    old_tip, source = git(remote, "rev-parse", branch).strip(), tip(layout, src)
    wanted = effective(export(layout.places[src], source, tmp_path / "src"))
    snapshot = checkout_snapshot(layout.checkout)

    result = cli(layout.checkout, src, dst, "--yes", *flags)

    assert result.exit_code == 0, result.stderr
    [theirs] = teammate.pushed()
    landed = git(remote, "rev-parse", branch).strip()
    assert git(remote, "rev-parse", f"{landed}^").strip() == theirs, "on top of the teammate's push"
    assert git(remote, "rev-parse", f"{theirs}^").strip() == old_tip
    assert promotions_between(remote, old_tip, landed) == [landed]
    on_remote = dataclasses.replace(layout.places[dst], repo=remote)
    assert effective(export(on_remote, landed, tmp_path / "dst")) == wanted
    assert replicas(on_remote, landed, tmp_path / "dst-objects") == 11, "the teammate's change"
    assert trailer_values(remote, landed, "Promote-Source-Commit") == [source]
    assert checkout_snapshot(layout.checkout) == snapshot


def test_a_remote_that_keeps_moving_is_exit_1_naming_the_url_and_nothing_is_lost(
    repos_layout, tmp_path, cli
):
    layout = repos_layout
    teammate = Teammate(layout, "prod", tmp_path, every_time=True)
    remote, branch = teammate.remote, f"refs/heads/{teammate.branch}"
    old_tip = git(remote, "rev-parse", branch).strip()
    snapshot = checkout_snapshot(layout.checkout)

    result = cli(layout.checkout, "uat", "prod", "--yes")

    assert result.exit_code == 1, (result.stdout, result.stderr)
    error = result.stderr.strip().splitlines()[-1]
    assert error.startswith("promote: error: ") and layout.places["prod"].url in error, error
    assert "could not push" in error or "moved" in error, error
    theirs = teammate.pushed()
    assert len(theirs) >= 2, "each new plan ran the gate, and the teammate pushed again"
    history = git(remote, "rev-list", "--reverse", f"{old_tip}..{branch}").split()
    assert history == theirs, "every push of the teammate is there, in order, and nothing else"
    assert promotions_between(remote, old_tip, branch) == []
    assert checkout_snapshot(layout.checkout) == snapshot


def test_a_push_between_building_the_commit_and_publishing_it_is_caught(
    mixed_layout, tmp_path, monkeypatch
):
    """A real `promote` process held after it built its commit (PROMOTE_TEST_PAUSE), while a
    teammate pushes to prod's repository outside prod's path: the compare-and-swap push is
    refused, the hop is planned again on the teammate's commit, and both land."""
    layout, place = mixed_layout, mixed_layout.places["prod"]
    old_tip, source = tip(layout, "prod"), tip(layout, "uat")
    teammate = tmp_path / "teammate"
    git(tmp_path, "clone", "--quiet", place.url, str(teammate))
    monkeypatch.setenv("PROMOTE_TEST_PAUSE", "before-ref:1.5")
    process = start(layout.checkout, "uat", "prod", "--yes")
    assert process.stderr is not None
    assert "paused at before-ref" in process.stderr.readline()
    (teammate / "README.md").write_text("# prod\n\nOn call: the platform team.\n")
    git(teammate, "commit", "--quiet", "-am", "README: on call")
    git(teammate, "push", "--quiet", "origin", "main")
    theirs = git(teammate, "rev-parse", "HEAD").strip()
    _, err = process.communicate(timeout=60)

    assert process.returncode == 0, err
    landed = git(place.repo, "rev-parse", "refs/heads/main").strip()
    assert git(place.repo, "rev-parse", f"{landed}^").strip() == theirs
    assert promotions_between(place.repo, old_tip, landed) == [landed]
    assert git(place.repo, "show", f"{landed}:README.md") == (teammate / "README.md").read_text()
    assert trailer_values(place.repo, landed, "Promote-Source-Commit") == [source]
