"""`--push` from clones that race each other to one bare remote (real processes, real Git)."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from tests.engine.promotion.test_landing import bump_int, effective
from tests.helpers import git
from tests.processes import assert_commit_matches_its_trailers, clean_tree, run, start

ROUNDS = 10


@pytest.fixture
def remote_and_clones(example_repo: Path, tmp_path: Path) -> tuple[Path, Path, Path, Path]:
    """A bare remote (refusing non-fast-forward pushes) and three clones: dev, alice, bob."""
    remote = tmp_path / "origin.git"
    git(tmp_path, "clone", "--quiet", "--bare", str(example_repo), str(remote))
    git(remote, "config", "receive.denyNonFastForwards", "true")
    clones = []
    for name in ("dev", "alice", "bob"):
        git(tmp_path, "clone", "--quiet", str(remote), name)
        clones.append(tmp_path / name)
    return remote, *clones  # type: ignore[return-value]


def release_in_int(dev: Path, round_number: int) -> None:
    git(dev, "pull", "--quiet", "--ff-only")
    bump_int(dev, round_number)
    git(dev, "push", "--quiet", "origin", "HEAD:main")


def promote_both(first: tuple[Path, ...], second: tuple[Path, ...]) -> list[dict]:
    """Start both promotions at once; their JSON results (both must exit 0), each with the
    number of times it had to catch up with the other's push."""
    processes = [
        start(clone, *args, "--yes", "--push", "--output", "json")
        for clone, *args in (first, second)
    ]
    documents = []
    for process in processes:
        out, err = process.communicate(timeout=300)
        assert process.returncode == 0, err
        documents.append({**json.loads(out), "caught_up": err.count("catching up")})
    return documents


def landed(document: dict) -> list[str]:
    return [hop["commit"] for hop in document["hops"] if hop["status"] == "promoted"]


def test_two_clones_pushing_different_hops_both_land_and_nothing_is_forced(remote_and_clones):
    remote, dev, alice, bob = remote_and_clones
    races = 0
    for round_number in range(ROUNDS):
        release_in_int(dev, round_number)
        documents = promote_both((alice, "int", "qa"), (bob, "qa", "uat"))
        races += sum(document["caught_up"] for document in documents)
        tip = git(remote, "rev-parse", "main").strip()
        for document in documents:
            for commit in landed(document):
                assert git(remote, "merge-base", "--is-ancestor", commit, tip) == ""
            assert all(hop.get("pushed_to") == "origin/main" for hop in document["hops"])
        assert landed(documents[0]), "alice's int → qa had a new release to promote"
    git(dev, "pull", "--quiet", "--ff-only")
    for commit in git(dev, "log", "--format=%H", "--grep=^Promote-Id:").split():
        assert_commit_matches_its_trailers(dev, commit)
    assert effective(dev / "environments/qa") == effective(dev / "environments/int")
    assert clean_tree(alice) and clean_tree(bob)
    assert races > 0, "in ten rounds at least one push must have lost the race and caught up"


def test_two_clones_pushing_the_same_hop_land_it_once(remote_and_clones):
    remote, dev, alice, bob = remote_and_clones
    for round_number in range(3):
        release_in_int(dev, round_number)
        before = git(remote, "rev-parse", "main").strip()
        promote_both((alice, "int", "qa"), (bob, "int", "qa"))
        log = git(remote, "log", "--format=%H", "--grep=^Promote-Id:", f"{before}..main").split()
        assert len(log) == 1, "the second clone re-plans on the pushed tip and has nothing to do"
    git(dev, "pull", "--quiet", "--ff-only")
    assert effective(dev / "environments/qa") == effective(dev / "environments/int")


def _refuse_pushes(remote: Path) -> Path:
    hook = remote / "hooks/pre-receive"
    hook.write_text("#!/bin/sh\necho 'protected branch: pushes need review' >&2\nexit 1\n")
    hook.chmod(0o755)
    return hook


def test_a_refused_push_takes_the_local_commit_back_and_exits_1(remote_and_clones):
    remote, dev, alice, _ = remote_and_clones
    release_in_int(dev, 1)
    git(alice, "pull", "--quiet", "--ff-only")
    before = git(alice, "rev-parse", "HEAD")
    _refuse_pushes(remote)
    result = run(alice, "int", "qa", "--yes", "--push")
    assert result.returncode == 1, result.stderr
    assert "protected branch" in result.stderr and "taken back" in result.stderr
    assert git(alice, "rev-parse", "HEAD") == before and clean_tree(alice)


def test_keep_local_then_a_rerun_pushes_the_unpushed_promotion(remote_and_clones):
    remote, dev, alice, _ = remote_and_clones
    release_in_int(dev, 1)
    hook = _refuse_pushes(remote)
    kept = run(alice, "int", "qa", "--yes", "--push", "--keep-local")
    assert kept.returncode == 1 and "kept locally" in kept.stderr, kept.stderr
    promotion = git(alice, "rev-parse", "HEAD").strip()
    assert git(alice, "log", "-1", "--format=%(trailers:key=Promote-To,valueonly)").strip() == "qa"
    hook.unlink()
    rerun = run(alice, "int", "qa", "--yes", "--push")
    assert rerun.returncode == 0, rerun.stderr
    assert git(remote, "rev-parse", "main").strip() == promotion


def test_a_diverged_branch_is_refused_before_anything_is_written(remote_and_clones):
    _remote, dev, alice, _ = remote_and_clones
    release_in_int(dev, 1)
    git(alice, "commit", "--quiet", "--allow-empty", "-m", "local work")
    before = git(alice, "rev-parse", "HEAD")
    result = run(alice, "int", "qa", "--yes", "--push")
    assert result.returncode == 2, result.stderr
    assert "diverged" in result.stderr
    assert git(alice, "rev-parse", "HEAD") == before and clean_tree(alice)
    assert subprocess.run(["git", "diff", "--quiet", "HEAD"], cwd=alice).returncode == 0


def test_push_attempts_come_from_the_graph_file(remote_and_clones):
    remote, dev, alice, _ = remote_and_clones
    graph = dev / "environments/graph.yaml"
    graph.write_text(graph.read_text() + "push:\n  attempts: 2\n")
    git(dev, "commit", "--quiet", "-am", "push: two attempts")
    release_in_int(dev, 1)
    git(alice, "pull", "--quiet", "--ff-only")  # the graph file is read before the fetch
    _refuse_pushes(remote)
    result = run(alice, "int", "qa", "--yes", "--push")
    assert result.returncode == 1, result.stderr
    assert "(attempt 2)" in result.stderr and "(attempt 3)" not in result.stderr


def test_push_attempts_out_of_range_are_a_config_error(example_repo):
    graph = example_repo / "environments/graph.yaml"
    graph.write_text(graph.read_text() + "push:\n  attempts: 0\n")
    git(example_repo, "commit", "--quiet", "-am", "push: zero attempts")
    result = run(example_repo, "int", "qa", "--yes")
    assert result.returncode == 2
    assert "graph.yaml:" in result.stderr and "attempts" in result.stderr
