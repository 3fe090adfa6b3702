"""Atomic, serialised promotions, tested with real processes (not threads) on real repositories.

Every check reads the result with plain `git` and the real `kubectl kustomize`.
"""

from __future__ import annotations

import re
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import git, kustomize_build
from tests.processes import (
    assert_commit_matches_its_trailers,
    clean_tree,
    promotion_commits,
    run,
    start,
    trailer_values,
)

ROUNDS = 5
RUNS_PER_ROUND = 8


def effective(env_dir: Path) -> dict[str, Any]:
    """What an environment runs, from kustomize's output: images, chart version, flags."""
    images, chart, flags = set(), None, None
    for obj in kustomize_build(env_dir):
        for container in _containers(obj):
            images.add(container["image"])
        if obj["kind"] == "HelmRelease":
            chart = obj["spec"]["chart"]["spec"]["version"]
        if obj["kind"] == "ConfigMap" and obj["metadata"]["name"].startswith("app-config"):
            flags = obj["data"]["FEATURE_FLAGS"]
    return {"images": sorted(images), "chart": chart, "flags": flags}


def _containers(node: Any) -> list[dict[str, Any]]:
    if isinstance(node, dict):
        found = [c for c in node.get("containers") or [] if isinstance(c, dict)]
        return found + [c for v in node.values() for c in _containers(v)]
    if isinstance(node, list):
        return [c for item in node for c in _containers(item)]
    return []


def bump_int(repo: Path, round_number: int) -> None:
    """A new release in int: every artifact gets a version no environment had before."""
    kustomization = repo / "environments/int/kustomization.yaml"
    text = kustomization.read_text()
    text = re.sub(r"(acme/web\n\s+newTag: )\S+", rf"\g<1>1.5.{round_number}", text)
    text = re.sub(r'(acme/worker\n\s+newTag: )"\S+"', rf'\g<1>"2.3.{round_number}"', text)
    kustomization.write_text(text)
    chart = repo / "environments/int/podinfo-version.yaml"
    chart.write_text(re.sub(r'version: "\S+"', f'version: "6.8.{round_number}"', chart.read_text()))
    config = repo / "environments/int/app-config.yaml"
    config.write_text(
        re.sub(
            r"FEATURE_FLAGS: '\S+'", f"FEATURE_FLAGS: '2027.1.{round_number}'", config.read_text()
        )
    )
    git(repo, "commit", "--quiet", "-am", f"int: release {round_number}")


def assert_sound(repo: Path, since: str) -> list[str]:
    """Clean tree, `git fsck` clean, every promotion commit agrees with its trailers."""
    assert clean_tree(repo), git(repo, "status", "--porcelain")
    subprocess.run(["git", "fsck", "--strict", "--no-progress"], cwd=repo, check=True)
    commits = promotion_commits(repo, since)
    for commit in commits:
        assert_commit_matches_its_trailers(repo, commit)
    return commits


def run_all(repo: Path, argument_lists: list[list[str]]) -> list[subprocess.CompletedProcess]:
    processes = [start(repo, *args) for args in argument_lists]
    results = []
    for process, args in zip(processes, argument_lists, strict=True):
        out, err = process.communicate(timeout=300)
        results.append(subprocess.CompletedProcess(args, process.returncode, out, err))
    return results


def test_eight_concurrent_runs_of_one_hop_land_it_once(example_repo):
    for round_number in range(ROUNDS):
        bump_int(example_repo, round_number)
        before = git(example_repo, "rev-parse", "HEAD").strip()
        results = run_all(example_repo, [["int", "qa", "--yes"]] * RUNS_PER_ROUND)
        assert [r.returncode for r in results] == [0] * RUNS_PER_ROUND, [r.stderr for r in results]
        commits = assert_sound(example_repo, before)
        assert len(commits) == 1, "one promotion lands; the others find nothing to change"
        assert effective(example_repo / "environments/qa") == effective(
            example_repo / "environments/int"
        )


APPS = ("web", "worker", "api", "jobs", "auth", "search", "billing", "mailer")
PLAIN_PIPELINE = {
    "environments/graph.yaml": """
        environments:
          int: {path: apps/int, renderer: plain}
          qa: {path: apps/qa, renderer: plain, from: [int]}
          uat: {path: apps/uat, renderer: plain, from: [qa]}
    """,
    **{
        f"apps/{env}/{name}.yaml": f"""
            apiVersion: apps/v1
            kind: Deployment
            metadata: {{name: {name}}}
            spec:
              template:
                spec:
                  containers:
                    - name: {name}
                      image: ghcr.io/acme/{name}:{version}
        """
        for env, version in (("int", "2.0.0"), ("qa", "1.0.0"), ("uat", "1.0.0"))
        for name in APPS
    },
}


def plain_images(env_dir: Path) -> dict[str, str]:
    """image name → tag, read from the plain manifests with PyYAML."""
    import yaml

    images = {}
    for file in sorted(env_dir.glob("*.yaml")):
        for container in _containers(yaml.safe_load(file.read_text())):
            name, _, tag = container["image"].rpartition(":")
            images[name] = tag
    return images


def bump_plain_int(repo: Path, round_number: int) -> None:
    for name in APPS:
        file = repo / f"apps/int/{name}.yaml"
        file.write_text(re.sub(r":[0-9.]+\n", f":3.{round_number}.0\n", file.read_text()))
    git(repo, "commit", "--quiet", "-am", f"int: release 3.{round_number}.0")


def test_concurrent_runs_for_eight_artifacts_each_commit_only_their_own(make_repo):
    repo = make_repo(PLAIN_PIPELINE)
    for round_number in range(ROUNDS):
        bump_plain_int(repo, round_number)
        before = git(repo, "rev-parse", "HEAD").strip()
        runs = [["int", "qa", "--yes", "--only", f"ghcr.io/acme/{name}"] for name in APPS]
        results = run_all(repo, runs)
        assert [r.returncode for r in results] == [0] * len(runs), [r.stderr for r in results]
        commits = assert_sound(repo, before)
        assert len(commits) == len(APPS)
        for commit in commits:
            (move,) = trailer_values(repo, commit, "Promote-Artifact")
            name = move.split()[1].rsplit("/", 1)[1]
            changed = git(repo, "show", "--format=", "--name-only", commit).split()
            assert changed == [f"apps/qa/{name}.yaml"], (move, changed)
        assert plain_images(repo / "apps/qa") == plain_images(repo / "apps/int")


def test_two_hops_at_once_land_each_round(make_repo):
    repo = make_repo(PLAIN_PIPELINE)
    for round_number in range(ROUNDS):
        bump_plain_int(repo, round_number)
        before = git(repo, "rev-parse", "HEAD").strip()
        results = run_all(repo, [["int", "qa", "--yes"], ["qa", "uat", "--yes"]] * 4)
        assert all(r.returncode == 0 for r in results), [r.stderr for r in results]
        commits = assert_sound(repo, before)
        destinations = [trailer_values(repo, c, "Promote-To")[0] for c in commits]
        assert destinations.count("qa") == 1 and destinations.count("uat") <= 2
        assert plain_images(repo / "apps/qa") == plain_images(repo / "apps/int")
        uat = plain_images(repo / "apps/uat")
        assert len(set(uat.values())) == 1, "uat runs one release, never a mixture"


def test_a_held_lock_makes_a_promotion_wait_then_fail_naming_the_holder(example_repo):
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time\nfrom pathlib import Path\n"
            "from promote.engine.promotion.locking import repository_lock\n"
            "with repository_lock(Path(sys.argv[1])):\n"
            "    print('held', flush=True)\n    time.sleep(30)",
            str(example_repo / ".git"),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        before = git(example_repo, "rev-parse", "HEAD")
        result = run(example_repo, "int", "qa", "--yes", "--wait-lock", "0.5")
    finally:
        holder.kill()
        holder.wait()
    assert result.returncode == 1, result.stderr
    assert f"pid {holder.pid}" in result.stderr and "--wait-lock" in result.stderr
    assert git(example_repo, "rev-parse", "HEAD") == before and clean_tree(example_repo)
    assert run(example_repo, "int", "qa", "--yes").returncode == 0  # the kernel freed the lock


def test_a_leftover_index_lock_is_one_clear_error_and_changes_nothing(example_repo):
    (example_repo / ".git/index.lock").write_text("")
    before = git(example_repo, "rev-parse", "HEAD")
    result = run(example_repo, "int", "qa", "--yes")
    assert result.returncode == 2, result.stderr
    assert "index.lock" in result.stderr and "Traceback" not in result.stderr
    (example_repo / ".git/index.lock").unlink()
    assert git(example_repo, "rev-parse", "HEAD") == before and clean_tree(example_repo)


def test_a_commit_landing_during_the_gates_makes_the_hop_plan_again(example_repo, tmp_path):
    """A command gate that commits (standing in for a teammate's push) moves the branch between
    plan and landing: the compare-and-swap refuses the stale plan, which is made again."""
    once = tmp_path / "committed-once"
    gate = (
        "import pathlib, subprocess, sys\n"
        f"flag = pathlib.Path({str(once)!r})\n"
        "if not flag.exists():\n"
        "    flag.write_text('x')\n"
        "    subprocess.run(['git', 'commit', '--quiet', '--allow-empty', '-m', 'teammate'],"
        " check=True)\n"
    )
    (example_repo / "environments/checks/commits.py").write_text(gate)
    graph = example_repo / "environments/graph.yaml"
    graph.write_text(
        graph.read_text().replace(
            "    labels: {tier: test}\n  uat:",
            '    labels: {tier: test}\n    gates:\n      - command: ["python3", '
            '"environments/checks/commits.py"]\n  uat:',
            1,
        )
    )
    git(example_repo, "add", "--all")
    git(example_repo, "commit", "--quiet", "-m", "qa: a gate")
    result = run(example_repo, "int", "qa", "--yes")
    assert result.returncode == 0, result.stderr
    assert "planning again" in result.stderr
    parent_subject = git(example_repo, "log", "-1", "--format=%s", "HEAD~1").strip()
    assert parent_subject == "teammate", "the promotion is based on the commit that moved"
    assert clean_tree(example_repo)
    assert effective(example_repo / "environments/qa") == effective(
        example_repo / "environments/int"
    )


@pytest.mark.parametrize("kills", [50])
def test_sigkill_at_any_instant_leaves_old_or_new_and_a_rerun_succeeds(make_repo, kills):
    """Kills spread over a whole run, so they land before, inside and after the write window.
    (The plain renderer keeps each run short; the write path is the same for every renderer.)"""
    import random

    repo = make_repo(PLAIN_PIPELINE)
    old = git(repo, "rev-parse", "HEAD").strip()
    started = time.perf_counter()
    assert run(repo, "int", "qa", "--yes").returncode == 0  # one whole run sets the time scale
    duration = (time.perf_counter() - started) * 1.25
    rng = random.Random(20261202)
    landed = 0
    for _ in range(kills):
        git(repo, "reset", "--quiet", "--hard", old)
        process = start(repo, "int", "qa", "--yes")
        try:
            process.wait(timeout=rng.uniform(0.0, duration))
        except subprocess.TimeoutExpired:
            process.kill()
        process.communicate()
        head = git(repo, "rev-parse", "HEAD").strip()
        assert head == old or git(repo, "rev-parse", "HEAD~1").strip() == old
        subprocess.run(["git", "fsck", "--no-progress"], cwd=repo, check=True)
        journal = repo / ".git/promote-journal.json"
        assert clean_tree(repo) or (journal.exists() and head != old), git(repo, "status")
        landed += head != old
        rerun = run(repo, "int", "qa", "--yes")
        assert rerun.returncode == 0, rerun.stderr
        assert clean_tree(repo)
        assert_sound(repo, old)
        assert set(plain_images(repo / "apps/qa").values()) == {"2.0.0"}
    print(f"{kills} kills: {landed} after the commit landed, {kills - landed} before; all sound")
    assert 0 < landed < kills, "the kills must hit before and after the landing"


@pytest.mark.parametrize("stage", ["before-ref", "after-ref"])
def test_a_kill_on_either_side_of_the_ref_update_is_recovered(make_repo, monkeypatch, stage):
    """Held at the instant (a test hook), then killed: old commit and a clean tree before the
    ref moved; after it, the new commit, and the next run finishes refreshing DST's files."""
    repo = make_repo(PLAIN_PIPELINE)
    old = git(repo, "rev-parse", "HEAD").strip()
    monkeypatch.setenv("PROMOTE_TEST_PAUSE", f"{stage}:30")
    process = start(repo, "int", "qa", "--yes")
    assert process.stderr is not None
    assert f"paused at {stage}" in process.stderr.readline()
    process.kill()
    process.communicate()
    monkeypatch.delenv("PROMOTE_TEST_PAUSE")
    head = git(repo, "rev-parse", "HEAD").strip()
    if stage == "before-ref":
        assert head == old and clean_tree(repo)
    else:
        assert git(repo, "rev-parse", "HEAD~1").strip() == old
        assert not clean_tree(repo), "DST's files were not refreshed yet"
        assert (repo / ".git/promote-journal.json").exists()
    rerun = run(repo, "int", "qa", "--yes")
    assert rerun.returncode == 0, rerun.stderr
    assert clean_tree(repo) and not (repo / ".git/promote-journal.json").exists()
    assert len(promotion_commits(repo, old)) == 1
    assert set(plain_images(repo / "apps/qa").values()) == {"2.0.0"}
