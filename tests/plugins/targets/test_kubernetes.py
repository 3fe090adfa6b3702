"""The kubernetes target through the real client, against the fake API server or a real cluster."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from pathlib import Path

import pytest

from promote.engine.errors import ConfigError, ReconcileError
from promote.plugins.targets.k8s_objects import ENV_LABEL, PRUNE_ANNOTATION, read_inventory
from tests.plugins.targets.conftest import Scenario, configmap, deployment

ScenarioFactory = Callable[..., Scenario]


def actions(report) -> dict[str, str]:
    return {f"{r.kind}/{r.name}": r.action for r in report.results}


def writes(cluster) -> list[tuple[str, str]]:
    return [(r.method, r.path) for r in cluster.fake.requests if r.method in ("PATCH", "DELETE")]


def test_first_apply_creates_everything_namespace_first(scenario: ScenarioFactory) -> None:
    s = scenario({"web.yaml": deployment("web"), "cm.yaml": configmap("settings", "1")})
    report = s.apply()
    assert actions(report) == {
        f"Namespace/{s.namespace}": "created",
        "Deployment/web": "created",
        "ConfigMap/settings": "created",
    }
    assert report.healthy, report.messages
    live = s.cluster.get("v1", "ConfigMap", "settings", s.namespace)
    assert live["data"] == {"k": "1"}
    assert live["metadata"]["labels"][ENV_LABEL] == "prod"
    if not s.cluster.real:
        applied = [path for method, path in writes(s.cluster)]
        assert applied[0] == f"/api/v1/namespaces/{s.namespace}"
        assert all(
            r.query.get("fieldManager") == "promote"
            for r in s.cluster.fake.requests
            if r.method == "PATCH"
        )


def test_inventory_records_objects_and_commit(scenario: ScenarioFactory) -> None:
    s = scenario({"cm.yaml": configmap("settings", "1")})
    s.apply()
    inventory = s.cluster.get("v1", "ConfigMap", "promote-inventory-prod", s.namespace)
    commit, refs = read_inventory(inventory)
    assert commit == s.context().commit
    assert {(r.kind, r.name) for r in refs} == {
        ("Namespace", s.namespace),
        ("ConfigMap", "settings"),
    }
    assert s.target.status(s.context()).last_applied_commit == commit


def test_second_apply_is_a_cheap_no_op(scenario: ScenarioFactory) -> None:
    s = scenario(
        {
            "web.yaml": deployment("web"),
            "a.yaml": configmap("a", "1"),
            "b.yaml": configmap("b", "2"),
        }
    )
    s.apply()
    if not s.cluster.real:
        s.cluster.fake.reset_requests()
    report = s.apply()
    assert set(actions(report).values()) == {"unchanged"}
    assert report.healthy
    # discovery of each group version in use + the inventory + one list per kind
    group_versions, kinds = {"v1", "apps/v1"}, {"Namespace", "ConfigMap", "Deployment"}
    assert s.target.last_request_count == len(group_versions) + 1 + len(kinds)
    if not s.cluster.real:
        assert writes(s.cluster) == []
        assert len(s.cluster.fake.requests) == s.target.last_request_count


def test_manual_drift_is_reported_then_reverted(scenario: ScenarioFactory) -> None:
    s = scenario({"web.yaml": deployment("web", replicas=2)})
    s.apply()
    assert s.diff().in_sync
    live = s.cluster.get("apps/v1", "Deployment", "web", s.namespace)
    live["spec"]["replicas"] = 5
    s.cluster.edit(live, manager="kubectl-edit")

    diff = s.diff()
    assert not diff.in_sync
    assert diff.drifted == [f"Deployment/{s.namespace}/web"]
    assert "-  replicas: 5\n" in diff.diff and "+  replicas: 2\n" in diff.diff

    report = s.apply()
    assert actions(report)["Deployment/web"] == "configured"
    assert "kubectl-edit" in report.results[-1].detail or any(
        "kubectl-edit" in r.detail for r in report.results
    )
    assert s.cluster.get("apps/v1", "Deployment", "web", s.namespace)["spec"]["replicas"] == 2
    assert s.diff().in_sync


def test_removed_from_git_is_pruned_and_nothing_else(scenario: ScenarioFactory) -> None:
    keep = {PRUNE_ANNOTATION: "disabled"}
    s = scenario(
        {
            "a.yaml": configmap("a", "1"),
            "b.yaml": configmap("b", "2"),
            "keep.yaml": configmap("keep", "3", annotations=keep),
        }
    )
    s.apply()
    foreign = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "someone-elses", "namespace": s.namespace},
        "data": {"k": "x"},
    }
    s.cluster.edit(foreign, manager="kubectl-create")
    s.write({"b.yaml": None, "keep.yaml": None})

    diff = s.diff()
    assert f"ConfigMap/{s.namespace}/b" in diff.drifted
    assert f"ConfigMap/{s.namespace}/keep" not in diff.drifted

    report = s.apply()
    assert actions(report)["ConfigMap/b"] == "pruned"
    assert actions(report)["ConfigMap/keep"] == "kept"
    assert "ConfigMap/someone-elses" not in actions(report)
    assert s.cluster.get("v1", "ConfigMap", "b", s.namespace) is None
    assert s.cluster.get("v1", "ConfigMap", "keep", s.namespace) is not None
    assert s.cluster.get("v1", "ConfigMap", "someone-elses", s.namespace)["data"] == {"k": "x"}
    _, refs = read_inventory(
        s.cluster.get("v1", "ConfigMap", "promote-inventory-prod", s.namespace)
    )
    assert {r.name for r in refs if r.kind == "ConfigMap"} == {"a"}
    assert s.diff().in_sync


def test_object_relabelled_by_hand_is_not_pruned(scenario: ScenarioFactory) -> None:
    s = scenario({"a.yaml": configmap("a", "1"), "b.yaml": configmap("b", "2")})
    s.apply()
    live = s.cluster.get("v1", "ConfigMap", "b", s.namespace)
    del live["metadata"]["labels"][ENV_LABEL]
    s.cluster.edit(live, manager="kubectl-label")
    s.write({"b.yaml": None})
    report = s.apply()
    assert "ConfigMap/b" not in {k for k, v in actions(report).items() if v == "pruned"}
    assert s.cluster.get("v1", "ConfigMap", "b", s.namespace) is not None


def test_prune_off_keeps_removed_objects(scenario: ScenarioFactory) -> None:
    s = scenario({"a.yaml": configmap("a", "1"), "b.yaml": configmap("b", "2")}, prune=False)
    s.apply()
    s.write({"b.yaml": None})
    assert s.diff().in_sync
    assert actions(s.apply())["ConfigMap/b"] == "kept"
    assert s.cluster.get("v1", "ConfigMap", "b", s.namespace) is not None
    assert actions(s.apply(prune=True))["ConfigMap/b"] == "pruned"


def test_conflict_with_another_applier_needs_force(scenario: ScenarioFactory) -> None:
    s = scenario({"a.yaml": configmap("a", "1")})
    s.apply()
    other = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "a", "namespace": s.namespace},
        "data": {"k": "theirs"},
    }
    s.cluster.apply_as(other, manager="other-controller")

    with pytest.raises(ReconcileError) as err:
        s.apply()
    message = str(err.value)
    assert "conflict" in message and "other-controller" in message
    assert "force_conflicts: true" in message
    assert s.cluster.get("v1", "ConfigMap", "a", s.namespace)["data"] == {"k": "theirs"}

    report = s.apply(force_conflicts=True)
    assert actions(report)["ConfigMap/a"] == "configured"
    assert s.cluster.get("v1", "ConfigMap", "a", s.namespace)["data"] == {"k": "1"}


def test_dry_run_changes_nothing(scenario: ScenarioFactory) -> None:
    s = scenario({"web.yaml": deployment("web"), "a.yaml": configmap("a", "1")})
    report = s.apply(dry_run=True)
    assert report.dry_run
    assert set(actions(report).values()) == {"created"}
    assert s.cluster.get("v1", "ConfigMap", "a", s.namespace) is None
    assert s.cluster.get("v1", "ConfigMap", "promote-inventory-prod", s.namespace) is None


def test_dry_run_never_deletes(scenario: ScenarioFactory) -> None:
    s = scenario({"a.yaml": configmap("a", "1"), "b.yaml": configmap("b", "2")})
    s.apply()
    s.write({"b.yaml": None})
    assert actions(s.apply(dry_run=True))["ConfigMap/b"] == "pruned"
    assert s.cluster.get("v1", "ConfigMap", "b", s.namespace) is not None


def test_secret_values_never_appear_in_diff(scenario: ScenarioFactory) -> None:
    secret = (
        "apiVersion: v1\nkind: Secret\nmetadata:\n  name: creds\n"
        "stringData:\n  password: hunter2-in-git\n"
    )
    s = scenario({"secret.yaml": secret})
    first = s.diff()  # the whole object is new: still no value
    s.apply()
    live = s.cluster.get("v1", "Secret", "creds", s.namespace)
    live["data"]["password"] = base64.b64encode(b"changed-by-hand").decode()
    s.cluster.edit(live)
    drift = s.diff()
    assert not drift.in_sync and drift.drifted == [f"Secret/{s.namespace}/creds"]
    for text in (first.diff, drift.diff):
        for secret_value in (b"hunter2-in-git", b"changed-by-hand"):
            assert secret_value.decode() not in text
            assert base64.b64encode(secret_value).decode() not in text
    assert drift.diff.count("password: sha256:") == 2  # one changed line each side


def test_new_objects_show_as_added_in_diff(scenario: ScenarioFactory) -> None:
    s = scenario({"a.yaml": configmap("a", "1")})
    diff = s.diff()
    assert not diff.in_sync
    assert f"+++ desired/ConfigMap/{s.namespace}/a" in diff.diff
    assert "+  k: '1'" in diff.diff


def test_field_removed_from_git_is_drift_then_removed(scenario: ScenarioFactory) -> None:
    s = scenario(
        {
            "a.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n"
            "data:\n  k: '1'\n  old: '2'\n"
        }
    )
    s.apply()
    s.write({"a.yaml": configmap("a", "1")})
    diff = s.diff()
    assert not diff.in_sync and "old" in diff.diff
    assert actions(s.apply())["ConfigMap/a"] == "configured"
    assert s.cluster.get("v1", "ConfigMap", "a", s.namespace)["data"] == {"k": "1"}


# -- fake-only: fault injection and simulated controllers ------------------------------------
@pytest.fixture
def fake_scenario(scenario: ScenarioFactory, cluster) -> ScenarioFactory:
    if cluster.real:
        pytest.skip("fault injection needs the fake API server")
    return scenario


def test_server_error_is_transient(fake_scenario: ScenarioFactory) -> None:
    s = fake_scenario({"a.yaml": configmap("a", "1")})
    s.cluster.fake.inject("PATCH", r"/configmaps/a$", 500)
    with pytest.raises(ReconcileError) as err:
        s.apply()
    assert getattr(err.value, "transient", False)
    assert "HTTP 500" in str(err.value)


def test_timeout_is_transient(fake_scenario: ScenarioFactory) -> None:
    s = fake_scenario({"a.yaml": configmap("a", "1")}, request_timeout="0.3s")
    s.cluster.fake.inject_delay("PATCH", r"/configmaps/a$", 1.0)
    with pytest.raises(ReconcileError) as err:
        s.apply()
    assert getattr(err.value, "transient", False)
    assert "is unreachable (timed out)" in str(err.value)


def test_invalid_object_names_the_object(fake_scenario: ScenarioFactory) -> None:
    s = fake_scenario({"a.yaml": configmap("a", "1"), "b.yaml": configmap("b", "2")})
    s.cluster.fake.inject("PATCH", r"/configmaps/b$", 422)
    with pytest.raises(ReconcileError) as err:
        s.apply()
    assert f"ConfigMap/{s.namespace}/b: invalid object" in str(err.value)
    assert not getattr(err.value, "transient", False)
    assert s.cluster.get("v1", "ConfigMap", "a", s.namespace) is not None  # others applied


def test_unhealthy_deployment_makes_the_report_unhealthy(fake_scenario: ScenarioFactory) -> None:
    s = fake_scenario({"web.yaml": deployment("web")}, timeout="1s")
    s.cluster.fake.set_unhealthy("Deployment", "web", s.namespace)
    report = s.apply()
    assert not report.healthy
    assert any("Deployment/shop/web" in m and "0/2 available" in m for m in report.messages)
    s.cluster.fake.set_unhealthy("Deployment", "web", s.namespace, unhealthy=False)
    assert s.apply().healthy


def test_crd_is_applied_before_its_custom_resources(fake_scenario: ScenarioFactory) -> None:
    crd = json.dumps(
        {
            "apiVersion": "apiextensions.k8s.io/v1",
            "kind": "CustomResourceDefinition",
            "metadata": {"name": "widgets.example.com"},
            "spec": {
                "group": "example.com",
                "scope": "Namespaced",
                "names": {"plural": "widgets", "singular": "widget", "kind": "Widget"},
                "versions": [
                    {
                        "name": "v1",
                        "served": True,
                        "storage": True,
                        "schema": {"openAPIV3Schema": {"type": "object"}},
                    }
                ],
            },
        }
    )
    widget = "apiVersion: example.com/v1\nkind: Widget\nmetadata:\n  name: w\nspec:\n  size: 3\n"
    s = fake_scenario({"crd.yaml": crd, "widget.yaml": widget})
    report = s.apply()
    assert actions(report)["Widget/w"] == "created"
    paths = [path for _, path in writes(s.cluster)]
    crd_at = paths.index(
        "/apis/apiextensions.k8s.io/v1/customresourcedefinitions/widgets.example.com"
    )
    assert crd_at < paths.index(f"/apis/example.com/v1/namespaces/{s.namespace}/widgets/w")
    assert s.cluster.get("example.com/v1", "Widget", "w", s.namespace)["spec"] == {"size": 3}
    assert set(actions(s.apply()).values()) == {"unchanged"}


def test_unreachable_cluster_is_a_clear_transient_error(
    tmp_path: Path, make_repo: Callable[..., Path]
) -> None:
    from tests.fake_k8s import FakeApiServer

    with FakeApiServer() as fake:  # a kubeconfig for a port nobody listens on any more
        kubeconfig = fake.write_kubeconfig(tmp_path / "kubeconfig")
    from tests.plugins.targets.kube_cluster import FakeCluster

    s = Scenario(
        make_repo({"apps/prod/a.yaml": configmap("a", "1")}), FakeCluster(fake, kubeconfig)
    )
    with pytest.raises(ReconcileError) as err:
        s.apply()
    assert getattr(err.value, "transient", False)
    assert "unreachable" in str(err.value)
    status = s.target.status(s.context())
    assert status.drifted is None and "unreachable" in status.detail


def test_unknown_context_is_a_config_error(fake_scenario: ScenarioFactory) -> None:
    s = fake_scenario({"a.yaml": configmap("a", "1")}, context="nope")
    with pytest.raises(ConfigError) as err:
        s.apply()
    assert "nope" in str(err.value)


def test_new_commit_with_same_objects_writes_only_the_inventory(
    fake_scenario: ScenarioFactory,
) -> None:
    s = fake_scenario({"a.yaml": configmap("a", "1"), "web.yaml": deployment("web")})
    s.apply()
    commit = s.write({"README.md": "not a manifest"})
    s.cluster.fake.reset_requests()
    report = s.apply()
    assert set(actions(report).values()) == {"unchanged"}
    assert writes(s.cluster) == [
        ("PATCH", f"/api/v1/namespaces/{s.namespace}/configmaps/promote-inventory-prod")
    ]
    assert s.target.status(s.context()).last_applied_commit == commit
