"""Leader election on a Lease, against the fake API server through the real client."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from promote.engine.errors import ConfigError
from promote.engine.reconcile.kube import KubeClient, connect
from promote.engine.reconcile.leader import LEASE, LeaseElector
from promote.engine.reconcile.watch import Watcher
from tests.fake_k8s import FakeApiServer
from tests.helpers import loads_kubernetes
from tests.reconcile_helpers import memory_target, set_target, stop, watching  # noqa: F401

START = datetime(2026, 3, 1, 12, 0, 0, 250000, tzinfo=UTC)
LEASE_PATH = "/apis/coordination.k8s.io/v1/namespaces/default/leases"


class FakeClock:
    """Time that moves only when a test says so: lease expiry without sleeping."""

    def __init__(self) -> None:
        self.now = START.timestamp()

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def kube(fake_kubeconfig: Path) -> Iterator[KubeClient]:
    with connect(kubeconfig=str(fake_kubeconfig)) as client:
        yield client


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


def candidate(kube: KubeClient, clock: FakeClock, identity: str, **options: Any) -> LeaseElector:
    return LeaseElector(kube, identity=identity, clock=clock, log=lambda message: None, **options)


def lease(fake_k8s: FakeApiServer, name: str = "promote") -> dict[str, Any]:
    found = fake_k8s.get_object("coordination.k8s.io/v1", "Lease", name, "default")
    assert found is not None
    return found


def test_first_candidate_creates_the_lease(fake_k8s, kube, clock):
    assert candidate(kube, clock, "pod-a").try_acquire_or_renew()
    created = lease(fake_k8s)
    assert created["spec"] == {
        "holderIdentity": "pod-a",
        "leaseDurationSeconds": 15,
        "acquireTime": "2026-03-01T12:00:00.250000Z",
        "renewTime": "2026-03-01T12:00:00.250000Z",
        "leaseTransitions": 0,
    }
    assert [r.method for r in fake_k8s.requests if r.path.startswith(LEASE_PATH)] == ["GET", "POST"]


def test_a_second_candidate_waits_while_the_lease_is_fresh(fake_k8s, kube, clock):
    a, b = candidate(kube, clock, "pod-a"), candidate(kube, clock, "pod-b")
    assert a.try_acquire_or_renew()
    assert not b.try_acquire_or_renew()
    assert b.holder == "pod-a"
    clock.advance(14.9)  # a never renewed, but 15s have not passed since b first saw the record
    assert not b.try_acquire_or_renew()
    assert lease(fake_k8s)["spec"]["holderIdentity"] == "pod-a"


def test_a_second_candidate_takes_over_an_expired_lease(fake_k8s, kube, clock):
    a, b = candidate(kube, clock, "pod-a"), candidate(kube, clock, "pod-b")
    assert a.try_acquire_or_renew()
    assert not b.try_acquire_or_renew()
    clock.advance(15)
    assert not a.is_leader()  # a stopped leading at its renew deadline, before b may take over
    assert b.try_acquire_or_renew()
    spec = lease(fake_k8s)["spec"]
    assert spec["holderIdentity"] == "pod-b"
    assert spec["leaseTransitions"] == 1
    assert spec["acquireTime"] == spec["renewTime"] == "2026-03-01T12:00:15.250000Z"
    assert not a.try_acquire_or_renew()  # b's record is fresh: a follows
    assert a.holder == "pod-b"


def test_the_holder_renews(fake_k8s, kube, clock):
    a = candidate(kube, clock, "pod-a")
    a.try_acquire_or_renew()
    before = lease(fake_k8s)
    clock.advance(2)
    assert a.try_acquire_or_renew()
    after = lease(fake_k8s)
    assert after["metadata"]["resourceVersion"] != before["metadata"]["resourceVersion"]
    assert after["spec"]["renewTime"] == "2026-03-01T12:00:02.250000Z"
    assert after["spec"]["acquireTime"] == before["spec"]["acquireTime"]
    assert after["spec"]["leaseTransitions"] == 0
    put = next(r for r in fake_k8s.requests if r.method == "PUT")
    assert put.body["metadata"]["resourceVersion"] == before["metadata"]["resourceVersion"]
    clock.advance(9)  # 11s after acquiring, 9s after the renewal: still leading
    assert a.is_leader()


def test_release_lets_another_candidate_acquire_at_once(fake_k8s, kube, clock):
    a, b = candidate(kube, clock, "pod-a"), candidate(kube, clock, "pod-b")
    a.try_acquire_or_renew()
    assert not b.try_acquire_or_renew()
    a.release()
    assert not a.is_leader()
    assert lease(fake_k8s)["spec"]["holderIdentity"] == ""
    assert b.try_acquire_or_renew()  # no clock advance needed
    spec = lease(fake_k8s)["spec"]
    assert (spec["holderIdentity"], spec["leaseTransitions"]) == ("pod-b", 1)


def test_release_leaves_a_lease_held_by_someone_else(fake_k8s, kube, clock):
    a, b = candidate(kube, clock, "pod-a"), candidate(kube, clock, "pod-b")
    a.try_acquire_or_renew()
    b.release()
    assert lease(fake_k8s)["spec"]["holderIdentity"] == "pod-a"


def test_an_injected_conflict_means_not_leader(fake_k8s, kube, clock):
    a, b = candidate(kube, clock, "pod-a"), candidate(kube, clock, "pod-b")
    a.try_acquire_or_renew()
    a.release()
    fake_k8s.inject("PUT", r"/leases/promote$", 409, reason="Conflict")
    assert not b.try_acquire_or_renew()
    assert lease(fake_k8s)["spec"]["holderIdentity"] == ""
    assert b.try_acquire_or_renew()  # the next round reads again and wins


def test_a_lost_race_on_a_stale_resource_version_means_not_leader(fake_k8s, kube, clock):
    a, b = candidate(kube, clock, "pod-a"), candidate(kube, clock, "pod-b")
    a.try_acquire_or_renew()
    a.release()
    c = candidate(kube, clock, "pod-c")
    read = kube.get

    def read_then_lose_the_race(*args: Any) -> Any:
        found = read(*args)
        kube.get = read  # type: ignore[method-assign]
        assert c.try_acquire_or_renew()  # c writes between b's read and b's write
        return found

    kube.get = read_then_lose_the_race  # type: ignore[method-assign]
    assert not b.try_acquire_or_renew()
    assert lease(fake_k8s)["spec"]["holderIdentity"] == "pod-c"
    puts = [r.body["spec"]["holderIdentity"] for r in fake_k8s.requests if r.method == "PUT"]
    assert puts[-2:] == ["pod-c", "pod-b"]  # b did write, with the stale resourceVersion


def test_a_conflict_on_renewal_ends_leadership(fake_k8s, kube, clock):
    a = candidate(kube, clock, "pod-a")
    a.try_acquire_or_renew()
    fake_k8s.inject("PUT", r"/leases/promote$", 409)
    clock.advance(2)
    assert not a.try_acquire_or_renew()
    clock.advance(2)
    assert a.try_acquire_or_renew()  # still named holder: renewed on the next round


def test_seeing_another_holder_ends_leadership_at_once(fake_k8s, kube, clock):
    a = candidate(kube, clock, "pod-a")
    a.try_acquire_or_renew()
    taken = lease(fake_k8s)
    taken["spec"]["holderIdentity"] = "pod-z"  # e.g. handed over by hand with kubectl edit
    fake_k8s.put_object(taken)
    clock.advance(2)
    assert not a.try_acquire_or_renew()
    assert a.holder == "pod-z"


def test_server_errors_keep_leadership_until_the_deadline_then_lose_it(fake_k8s, kube, clock):
    logs: list[str] = []
    a = LeaseElector(kube, identity="pod-a", clock=clock, log=logs.append)
    b = candidate(kube, clock, "pod-b")
    a.try_acquire_or_renew()
    b.try_acquire_or_renew()
    fake_k8s.inject("*", r"/leases/promote$", 500, times=None)
    for _ in range(4):
        clock.advance(2)
        assert a.try_acquire_or_renew()  # 2, 4, 6, 8s: within the 10s renew deadline
    clock.advance(2)
    assert not a.try_acquire_or_renew()
    assert sum("HTTP 500" in line for line in logs) == 1  # one line, not one per retry
    fake_k8s.clear_injections()
    assert not b.try_acquire_or_renew()  # 10s: a has stopped, but b must still wait
    clock.advance(5)
    assert b.try_acquire_or_renew()
    assert not a.try_acquire_or_renew()


def test_defaults_come_from_the_client_and_the_environment(fake_k8s, tmp_path, monkeypatch):
    kubeconfig = fake_k8s.write_kubeconfig(tmp_path / "kc", namespace="team-a")
    monkeypatch.setenv("POD_NAME", "promote-7d9f-x2x4q")
    with connect(kubeconfig=str(kubeconfig)) as client:
        elector = LeaseElector(client)
        assert (elector.namespace, elector.name) == ("team-a", "promote")
        assert elector.identity == "promote-7d9f-x2x4q"
        assert (elector.duration, elector.renew_deadline, elector.retry_period) == (15, 10, 2)
        monkeypatch.delenv("POD_NAME")
        assert LeaseElector(client).identity.endswith(f"_{__import__('os').getpid()}")


def test_inconsistent_timings_are_refused(kube):
    with pytest.raises(ConfigError):
        LeaseElector(kube, duration=10, renew_deadline=12)


# -- the watcher -----------------------------------------------------------------------------


def make_watcher(repo: Path, elector: LeaseElector) -> tuple[Watcher, list[str]]:
    logs: list[str] = []
    return Watcher(repo, None, 0.05, log=logs.append, elector=elector), logs


def test_only_the_leader_reconciles(example_repo, memory_target, kube, clock):  # noqa: F811
    set_target(example_repo, "prod", "{kind: memory}")
    a, b = candidate(kube, clock, "pod-a"), candidate(kube, clock, "pod-b")
    first, _ = make_watcher(example_repo, a)
    second, second_logs = make_watcher(example_repo, b)
    a.try_acquire_or_renew()
    b.try_acquire_or_renew()
    assert second.tick() and second.tick()
    assert memory_target.CALLS == []
    assert second_logs.count("waiting for leadership (held by pod-a)") == 1
    assert first.tick()
    assert [op for op, *_ in memory_target.CALLS] == ["apply"]
    a.release()
    b.try_acquire_or_renew()
    assert first.tick()  # a released: it does nothing more
    assert second.tick()
    assert [op for op, *_ in memory_target.CALLS] == ["apply", "apply"]


def test_a_tick_stops_when_leadership_expires_mid_way(example_repo, memory_target, kube, clock):  # noqa: F811
    set_target(example_repo, "uat", "{kind: memory}")
    set_target(example_repo, "prod", "{kind: memory}")
    a = candidate(kube, clock, "pod-a")
    watcher, logs = make_watcher(example_repo, a)
    a.try_acquire_or_renew()
    applied = memory_target.MemoryTarget.apply

    def slow_apply(self: Any, context: Any) -> Any:
        clock.advance(11)  # longer than the renew deadline, and no renewal happened
        return applied(self, context)

    memory_target.MemoryTarget.apply = slow_apply
    try:
        watcher.tick()
    finally:
        memory_target.MemoryTarget.apply = applied
    assert [env for _, env, _ in memory_target.CALLS] == ["uat"]
    assert any(line.startswith("lost leadership") for line in logs)


def test_run_releases_on_stop_and_the_follower_takes_over(
    example_repo,
    memory_target,  # noqa: F811
    fake_kubeconfig,
):
    set_target(example_repo, "prod", "{kind: memory}")
    replicas = []
    for identity in ("pod-a", "pod-b"):
        client = connect(kubeconfig=str(fake_kubeconfig))
        elector = LeaseElector(client, identity=identity, retry_period=0.05, log=lambda m: None)
        applied, waiting, logs = threading.Event(), threading.Event(), []

        def log(message: str, logs: list[str] = logs, waiting: threading.Event = waiting) -> None:
            logs.append(message)
            if message.startswith("waiting for leadership"):
                waiting.set()

        watcher = Watcher(example_repo, None, 0.05, log=log, elector=elector)
        watcher.on_report = lambda report, applied=applied: applied.set()
        thread = threading.Thread(target=watcher.run, daemon=True)
        replicas.append((watcher, thread, applied, waiting, logs, client))
    (first, first_thread, first_applied, *_), second_replica = replicas
    second, second_thread, second_applied, second_waiting, second_logs, _ = second_replica
    first_thread.start()
    assert first_applied.wait(30)
    second_thread.start()
    assert second_waiting.wait(30)
    assert not second_applied.is_set()
    first.stop.set()
    first_thread.join(30)
    assert lease_holder(first.elector) == ""
    assert second_applied.wait(30)  # long before the 15s lease would have expired
    second.stop.set()
    second_thread.join(30)
    for *_, client in replicas:
        client.close()
    assert second_logs[1:3] == [
        "waiting for leadership (held by pod-a)",
        "leading: this replica reconciles",
    ]


def lease_holder(elector: LeaseElector | None) -> str | None:
    assert elector is not None
    found = elector.client.get(LEASE, elector.name, elector.namespace)
    return None if found is None else found["spec"]["holderIdentity"]


# -- the CLI ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--all", "--leader-elect"], "--leader-elect only works with --watch"),
        (["--watch", "--lease-name", "x"], "--lease-name needs --leader-elect"),
        (["--watch", "--leader-elect", "--lease-duration", "1s"], "at least 2s"),
        (["--watch", "--leader-elect", "--lease-duration", "2.5s"], "whole seconds"),
        (["--watch", "--leader-elect", "--lease-duration", "soon"], "is not a duration"),
        (["--watch", "--leader-elect", "--lease-name", "Promote_1"], "not a valid Kubernetes"),
        (["--watch", "--leader-elect", "--lease-context", "missing"], "context 'missing'"),
    ],
)
def test_bad_leader_election_flags_exit_2_and_change_nothing(
    example_repo,
    memory_target,  # noqa: F811
    fake_k8s,
    fake_kubeconfig,
    monkeypatch,
    cli,
    args,
    message,
):
    set_target(example_repo, "prod", "{kind: memory}")
    monkeypatch.setenv("KUBECONFIG", str(fake_kubeconfig))
    monkeypatch.delenv("KUBERNETES_SERVICE_HOST", raising=False)
    result = cli(example_repo, "reconcile", *args)
    assert result.exit_code == 2
    assert message in result.stderr
    assert memory_target.CALLS == []
    assert fake_k8s.objects() == [o for o in fake_k8s.objects() if o["kind"] == "Namespace"]


def test_non_leader_paths_do_not_import_kubernetes() -> None:
    code = "import promote.engine.reconcile.watch, promote.engine.cli.reconcile_cmd\n"
    assert not loads_kubernetes(code)


def test_watch_with_leader_election_end_to_end(example_repo, fake_k8s, fake_kubeconfig):
    """The real process: it takes the Lease, reconciles, and releases the Lease on SIGTERM."""
    set_target(example_repo, "prod", "{kind: branch, branch: rendered/prod}")
    env = {
        "KUBECONFIG": str(fake_kubeconfig),
        "KUBERNETES_SERVICE_HOST": None,
        "POD_NAME": "promote-0",
    }
    args = ["--interval", "1s", "--leader-elect", "--lease-name", "prm"]
    with watching(example_repo, *args, env=env) as process:
        assert lease(fake_k8s, "prm")["spec"]["holderIdentity"] == "promote-0"
        out, err = stop(process)
    assert process.returncode == 0, err
    assert "leading: this replica reconciles" in err
    assert "prod @" in out
    assert lease(fake_k8s, "prm")["spec"]["holderIdentity"] == ""
