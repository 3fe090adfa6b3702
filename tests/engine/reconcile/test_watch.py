"""`reconcile --watch`: level-triggered ticks, drift reverted, errors backed off, SIGTERM stops."""

from __future__ import annotations

import signal
from pathlib import Path

import pytest

from promote.engine.reconcile.watch import Backoff, Watcher
from tests.helpers import git
from tests.reconcile_helpers import memory_target, set_target, stop, watching  # noqa: F401


def make_watcher(repo: Path, interval: float = 0.05) -> tuple[Watcher, list, list]:
    reports, logs = [], []
    watcher = Watcher(repo, None, interval, on_report=reports.append, log=logs.append)
    return watcher, reports, logs


def test_unchanged_head_only_diffs_and_reverts_drift(example_repo, memory_target):  # noqa: F811
    set_target(example_repo, "prod", "{kind: memory}")
    watcher, reports, logs = make_watcher(example_repo)
    assert watcher.tick()
    assert [op for op, *_ in memory_target.CALLS] == ["apply"]
    assert watcher.tick()
    assert [op for op, *_ in memory_target.CALLS] == ["apply", "diff"]  # in sync: no apply
    memory_target.STORE["prod"]["objects"].popitem()  # someone deleted an object by hand
    assert watcher.tick()
    assert [op for op, *_ in memory_target.CALLS] == ["apply", "diff", "diff", "apply"]
    assert any("drift" in line for line in logs)
    assert reports[-1].count("created") == 1


def test_a_new_commit_is_applied_on_the_next_tick(example_repo, memory_target, cli):  # noqa: F811
    set_target(example_repo, "prod", "{kind: memory}")
    watcher, reports, _ = make_watcher(example_repo)
    watcher.tick()
    assert cli(example_repo, "approve", "uat", "prod").exit_code == 0  # prod wants 1
    assert cli(example_repo, "uat", "prod", "--yes").exit_code == 0
    watcher.tick()
    head = git(example_repo, "rev-parse", "HEAD").strip()
    assert memory_target.STORE["prod"]["commit"] == head
    assert reports[-1].count("configured") > 0


def test_failures_are_retried_not_fatal(example_repo, memory_target):  # noqa: F811
    set_target(example_repo, "prod", "{kind: memory, fail: apply}")
    watcher, _, _ = make_watcher(example_repo)
    assert watcher.tick() is False
    assert watcher.tick() is False  # not remembered as clean: applied again, not just diffed
    assert [op for op, *_ in memory_target.CALLS] == ["apply", "apply"]


def test_a_broken_config_is_logged_and_the_loop_goes_on(example_repo, memory_target):  # noqa: F811
    set_target(example_repo, "prod", "{kind: memory}")
    (example_repo / "environments" / "graph.yaml").write_text("environments: [")
    watcher, _, logs = make_watcher(example_repo)
    ticks = []
    original = watcher.tick

    def counting_tick() -> bool:
        ticks.append(1)
        if len(ticks) == 2:
            watcher.stop.set()
        return original()

    watcher.tick = counting_tick  # type: ignore[method-assign]
    watcher.run()
    assert len(ticks) == 2
    assert sum("error:" in line for line in logs) == 2
    assert logs[-1] == "stopped"


def test_pull_failure_is_transient(example_repo, memory_target, tmp_path):  # noqa: F811
    set_target(example_repo, "prod", "{kind: memory}")
    git(example_repo, "remote", "add", "origin", str(tmp_path / "nowhere"))
    watcher, _, logs = make_watcher(example_repo)
    assert watcher.tick() is False
    assert any("pull failed" in line for line in logs)
    assert "prod" in memory_target.STORE  # the local HEAD was still reconciled


def test_pull_brings_new_commits(example_repo, memory_target, tmp_path):  # noqa: F811
    set_target(example_repo, "prod", "{kind: memory}")
    clone = tmp_path / "clone"
    git(tmp_path, "clone", "--quiet", str(example_repo), str(clone))
    watcher, _, _ = make_watcher(clone)
    assert watcher.tick()
    kustomization = example_repo / "environments" / "prod" / "kustomization.yaml"
    kustomization.write_text(kustomization.read_text().replace("newTag: 1.2.0", "newTag: 1.2.1"))
    git(example_repo, "commit", "--quiet", "-am", "bump")
    assert watcher.tick()
    assert memory_target.STORE["prod"]["commit"] == git(example_repo, "rev-parse", "HEAD").strip()


def test_backoff_doubles_up_to_the_cap_and_resets():
    backoff = Backoff(base=30, cap=300)
    assert [backoff.next_delay(True) for _ in range(6)] == [30, 60, 120, 240, 300, 300]
    assert backoff.next_delay(False) == 30


@pytest.mark.parametrize("stop_signal", [signal.SIGTERM, signal.SIGINT])
def test_watch_stops_cleanly_on_a_signal(example_repo, stop_signal):
    set_target(example_repo, "prod", "{kind: branch, branch: rendered/prod}")
    with watching(example_repo, "--interval", "1s") as process:
        out, err = stop(process, stop_signal)
    assert process.returncode == 0, err
    assert "stopped" in err
    assert "Traceback" not in err
    assert "prod @" in out
