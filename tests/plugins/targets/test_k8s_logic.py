"""The kubernetes target's pure logic: comparison, managed fields, health, options."""

from __future__ import annotations

import base64
import json

import pytest

from promote.engine.secrets import digest
from promote.plugins.targets.k8s_diff import object_diff
from promote.plugins.targets.k8s_health import health_of
from promote.plugins.targets.k8s_objects import (
    ENV_LABEL,
    ObjectRef,
    apply_rank,
    dropped_fields,
    inventory_object,
    is_prunable,
    matches,
    prepare,
    project,
    read_inventory,
)
from promote.plugins.targets.kubernetes import KubernetesTarget, parse_duration


@pytest.mark.parametrize(
    ("desired", "live", "expected"),
    [
        ({"a": 1}, {"a": 1, "server": "default"}, True),
        ({"a": 1}, {"a": 2}, False),
        ({"a": 1}, {}, False),
        ({"a": None}, {}, True),
        ({"r": {"cpu": "0.5"}}, {"r": {"cpu": "500m"}}, True),
        ({"r": {"memory": "1Gi"}}, {"r": {"memory": "1024Mi"}}, True),
        ({"r": {"cpu": 1}}, {"r": {"cpu": "1"}}, True),
        ({"r": {"cpu": "1"}}, {"r": {"cpu": "2"}}, False),
        (
            {"l": [{"name": "a", "x": 1}]},
            {"l": [{"name": "b"}, {"name": "a", "x": 1, "y": 2}]},
            True,
        ),
        ({"l": [{"name": "a", "x": 1}]}, {"l": [{"name": "a", "x": 2}]}, False),
        ({"l": [1, 2]}, {"l": [1, 2]}, True),
        ({"l": [1, 2]}, {"l": [2, 1]}, False),
        ({"l": [{"v": 1}]}, {"l": [{"v": 1}, {"v": 2}]}, False),
        ({"empty": {}}, {}, True),
    ],
)
def test_matches_compares_only_desired_fields(desired, live, expected) -> None:
    assert matches(desired, live) is expected


def test_dropped_fields_reads_the_managers_apply_entry() -> None:
    fields = {
        "f:data": {".": {}, "f:k": {}, "f:old": {}},
        "f:spec": {
            "f:containers": {'k:{"name":"main"}': {"f:image": {}}, 'k:{"name":"gone"}': {".": {}}}
        },
    }
    live = {
        "metadata": {
            "managedFields": [
                {"manager": "promote", "operation": "Apply", "fieldsV1": fields},
                {"manager": "promote", "operation": "Update", "fieldsV1": {"f:other": {}}},
            ]
        }
    }
    desired = {"data": {"k": "1"}, "spec": {"containers": [{"name": "main", "image": "x"}]}}
    assert sorted(dropped_fields(live, desired, "promote")) == [
        ".data.old",
        '.spec.containers[{"name":"gone"}]',
    ]
    assert dropped_fields(live, desired, "someone-else") == []


def test_project_keeps_desired_shape() -> None:
    live = {"a": 1, "b": {"c": 2, "d": 3}, "l": [{"name": "x", "v": 1, "z": 0}, {"name": "y"}]}
    desired = {"b": {"c": 5}, "l": [{"name": "x", "v": 9}], "missing": 1}
    assert project(live, desired) == {"b": {"c": 2}, "l": [{"name": "x", "v": 1}]}


def test_prepare_labels_namespaces_and_folds_string_data() -> None:
    secret = {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": "s"},
        "stringData": {"p": "pw"},
    }
    prepared = prepare(secret, "qa", "shop")
    assert prepared["metadata"] == {"name": "s", "namespace": "shop", "labels": {ENV_LABEL: "qa"}}
    assert prepared["data"] == {"p": base64.b64encode(b"pw").decode()}
    assert "stringData" not in secret["metadata"] and secret["stringData"] == {"p": "pw"}
    ns = prepare(
        {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "x", "namespace": "bogus"}},
        "qa",
        None,
    )
    assert "namespace" not in ns["metadata"]


def test_apply_order_and_prunability() -> None:
    ranks = [
        apply_rank("CustomResourceDefinition", False),
        apply_rank("Namespace", False),
        apply_rank("ClusterRole", False),
        apply_rank("ConfigMap", True),
    ]
    assert ranks == sorted(ranks) and len(set(ranks)) == 4
    labelled = {"metadata": {"labels": {ENV_LABEL: "qa"}}}
    assert is_prunable(labelled, "qa") == (True, "")
    assert not is_prunable(labelled, "prod")[0]
    disabled = {
        "metadata": {"labels": {ENV_LABEL: "qa"}, "annotations": {"promote.io/prune": "disabled"}}
    }
    assert not is_prunable(disabled, "qa")[0]


def test_inventory_round_trip() -> None:
    refs = [
        ObjectRef("apps/v1", "Deployment", "shop", "web"),
        ObjectRef("v1", "Namespace", "", "shop"),
    ]
    obj = inventory_object("prod", "shop", "abc123", refs)
    assert obj["metadata"]["name"] == "promote-inventory-prod"
    assert read_inventory(json.loads(json.dumps(obj))) == ("abc123", set(refs))
    assert read_inventory(None) == (None, set())


def test_secret_values_in_object_diffs_are_hashes_of_decoded_values() -> None:
    secret = {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": "s"},
        "data": {"p": base64.b64encode(b"pw").decode()},
        "stringData": {"q": "pw"},
    }
    shown = object_diff(ObjectRef("v1", "Secret", "", "s"), None, secret)
    hashed = digest("pw")
    assert f"p: {hashed}" in shown and f"q: {hashed}" in shown
    assert "pw" not in shown.replace(hashed, "") and "cHc=" not in shown
    config = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "c"},
        "data": {"p": "pw"},
    }
    assert "p: pw" in object_diff(ObjectRef("v1", "ConfigMap", "", "c"), None, config)


def _deploy(generation: int, observed: int, replicas: int, available: int) -> dict:
    return {
        "kind": "Deployment",
        "metadata": {"generation": generation},
        "spec": {"replicas": replicas},
        "status": {
            "observedGeneration": observed,
            "updatedReplicas": replicas,
            "availableReplicas": available,
        },
    }


def test_health_of_workloads() -> None:
    assert health_of(_deploy(2, 2, 3, 3)).healthy
    assert not health_of(_deploy(3, 2, 3, 3)).healthy
    assert health_of(_deploy(2, 2, 3, 1)).reason == "1/3 available"
    failed = {
        "kind": "Job",
        "status": {
            "conditions": [{"type": "Failed", "status": "True", "reason": "BackoffLimitExceeded"}]
        },
    }
    assert not health_of(failed).healthy and health_of(failed).final
    done = {"kind": "Job", "status": {"conditions": [{"type": "Complete", "status": "True"}]}}
    assert health_of(done).healthy
    assert health_of({"kind": "ConfigMap"}).healthy
    assert not health_of(None).healthy


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("30s", 30),
        ("5m", 300),
        ("1h30m", 5400),
        (90, 90),
        ("0.5s", 0.5),
        ("", None),
        ("5 minutes", None),
        ("-1", None),
    ],
)
def test_parse_duration(text, seconds) -> None:
    assert parse_duration(text) == seconds


@pytest.mark.parametrize(
    ("options", "problem"),
    [
        ({"kind": "kubernetes", "context": "prod", "namespace": "shop", "prune": True}, None),
        ({"kind": "kubernetes", "prun": True}, "unknown option 'prun'"),
        ({"kind": "kubernetes", "prune": "yes"}, "option 'prune' has the wrong type"),
        ({"kind": "kubernetes", "timeout": "soon"}, "option 'timeout' is not a positive"),
        ({"kind": "kubernetes", "timeout": True}, "option 'timeout' has the wrong type"),
        ({"kind": "kubernetes", "namespace": "Shop_1"}, "option 'namespace' is not a valid"),
    ],
)
def test_check_options(options, problem) -> None:
    found = KubernetesTarget().check_options(options)
    if problem is None:
        assert found is None
    else:
        assert found is not None and found.startswith(problem)
