"""Promotion trailers written by engine/promotion/trailers.py read back by Git and `history`."""

from __future__ import annotations

import subprocess

from promote.engine.model import ArtifactRef, Change, Plan
from promote.engine.promotion.trailers import message, read_history
from promote.engine.repository.gitrepo import GitRepo
from tests.helpers import git

# Flux ref versions carry their key and may hold spaces inside the value.
MOVES = [
    (ArtifactRef("oci", "ocirepository/cert-manager"), "tag v1.5.0", "semver >= 1.8.0-rc.0"),
    (ArtifactRef("git", "gitrepository/config"), "branch main", "commit 0d52" + "a" * 36),
    (ArtifactRef("image", "ghcr.io/acme/web"), "1.2.0", "1.3.0"),
]


def test_versions_with_spaces_round_trip_through_git_trailers(make_repo):
    repo = make_repo({"README.md": "x\n"})
    changes = tuple(Change(ref, old, new, (), "pin") for ref, old, new in MOVES)
    plan = Plan("staging", "production", git(repo, "rev-parse", "HEAD").strip(), changes)
    text = message(plan, "20261202T120000Z-abcdef")
    git(repo, "commit", "--quiet", "--allow-empty", "-m", text)

    parsed = subprocess.run(
        ["git", "interpret-trailers", "--parse"],
        input=git(repo, "log", "-1", "--format=%B"),
        capture_output=True,
        text=True,
        check=True,
    ).stdout.splitlines()
    for ref, old, new in MOVES:
        assert f"Promote-Artifact: {ref.kind} {ref.name} {old} -> {new}" in parsed
    [record] = read_history(GitRepo(repo))
    assert [(a.kind, a.name, a.old, a.new) for a in record.artifacts] == [
        (ref.kind, ref.name, old, new) for ref, old, new in MOVES
    ]
