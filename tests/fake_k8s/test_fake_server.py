"""Drive the fake API server with the real `kubernetes` client, typed and dynamic."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import urllib3
from kubernetes import client, config
from kubernetes.client.exceptions import ApiException
from kubernetes.dynamic import DynamicClient
from kubernetes.dynamic.exceptions import ConflictError, NotFoundError, ResourceNotFoundError

from tests.fake_k8s import FakeApiServer

NS = "default"


@pytest.fixture
def api(fake_kubeconfig: Path) -> Iterator[client.ApiClient]:
    api_client = config.new_client_from_config(config_file=str(fake_kubeconfig), context="fake")
    yield api_client
    api_client.close()


@pytest.fixture
def dyn(api: client.ApiClient, tmp_path: Path) -> DynamicClient:
    # a per-test discovery cache: the default one lives in /tmp keyed by host:port
    return DynamicClient(api, cache_file=str(tmp_path / "discovery.json"))


def deployment(
    name: str = "web",
    image: str = "nginx:1.25",
    replicas: int = 2,
    labels: dict[str, str] | None = None,
) -> dict[str, Any]:
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "namespace": NS, "labels": labels or {"app": name}},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": {"app": name}},
            "template": {
                "metadata": {"labels": {"app": name}},
                "spec": {
                    "containers": [
                        {"name": "app", "image": image, "ports": [{"containerPort": 8080}]}
                    ]
                },
            },
        },
    }


def raw_apply(
    api: client.ApiClient,
    path: str,
    body: dict[str, Any] | str,
    manager: str | None = "promote",
    force: bool = False,
) -> dict[str, Any]:
    """Apply through ApiClient.call_api, the way code without DynamicClient would."""
    query: list[tuple[str, Any]] = [("force", force)]
    if manager is not None:
        query.append(("fieldManager", manager))
    request = api.param_serialize(
        "PATCH",
        path,
        query_params=query,
        body=body,
        auth_settings=["BearerToken"],
        header_params={
            "Content-Type": "application/apply-patch+yaml",
            "Accept": "application/json",
        },
    )
    response = api.call_api(*request)
    response.read()
    if not 200 <= response.status <= 299:
        api.response_deserialize(response, {})  # raises the matching ApiException
    return json.loads(response.data)


def test_discovery_through_dynamic_client(dyn: DynamicClient) -> None:
    deploy = dyn.resources.get(api_version="apps/v1", kind="Deployment")
    namespace = dyn.resources.get(api_version="v1", kind="Namespace")
    crd = dyn.resources.get(api_version="apiextensions.k8s.io/v1", kind="CustomResourceDefinition")
    assert (deploy.name, deploy.namespaced) == ("deployments", True)
    assert (namespace.name, namespace.namespaced) == ("namespaces", False)
    assert crd.name == "customresourcedefinitions"
    assert dyn.version["kubernetes"]["major"] == "1"
    with pytest.raises(ResourceNotFoundError):
        dyn.resources.get(api_version="example.com/v1", kind="Widget")


def test_unknown_resource_path_is_404_for_the_client(dyn: DynamicClient) -> None:
    with pytest.raises(NotFoundError) as err:
        dyn.request("get", "/apis/example.com/v1/namespaces/default/widgets/w")
    assert err.value.status == 404


def test_unknown_resource_body_is_status(fake_k8s: FakeApiServer) -> None:
    http = urllib3.PoolManager()
    response = http.request("GET", f"{fake_k8s.url}/apis/example.com/v1/widgets")
    body = json.loads(response.data)
    assert response.status == 404
    assert (body["kind"], body["reason"], body["code"]) == ("Status", "NotFound", 404)


def test_create_get_and_list_with_selectors(api: client.ApiClient) -> None:
    core = client.CoreV1Api(api)
    for name, labels in [
        ("web", {"tier": "web", "env": "prod"}),
        ("db", {"tier": "db"}),
        ("plain", {}),
    ]:
        core.create_namespaced_config_map(
            NS, {"metadata": {"name": name, "labels": labels}, "data": {"k": name}}
        )

    def names(**kw: str) -> list[str]:
        return sorted(cm.metadata.name for cm in core.list_namespaced_config_map(NS, **kw).items)

    assert names(label_selector="tier=web") == ["web"]
    assert names(label_selector="tier==db") == ["db"]
    assert names(label_selector="tier!=web") == ["db", "plain"]
    assert names(label_selector="tier in (web,db)") == ["db", "web"]
    assert names(label_selector="tier notin (web)") == ["db", "plain"]
    assert names(label_selector="tier,!env") == ["db"]
    assert names(label_selector="!tier") == ["plain"]
    assert names(field_selector="metadata.name=db") == ["db"]
    listing = core.list_namespaced_config_map(NS)
    assert int(listing.metadata.resource_version) > 0
    assert core.read_namespaced_config_map("web", NS).data == {"k": "web"}
    with pytest.raises(ApiException) as missing:
        core.read_namespaced_config_map("nope", NS)
    assert missing.value.status == 404
    with pytest.raises(ApiException) as dup:
        core.create_namespaced_config_map(NS, {"metadata": {"name": "web"}})
    assert (dup.value.status, json.loads(dup.value.body)["reason"]) == (409, "AlreadyExists")


def test_replace_with_stale_resource_version_conflicts(api: client.ApiClient) -> None:
    core = client.CoreV1Api(api)
    created = core.create_namespaced_config_map(
        NS, {"metadata": {"name": "cm"}, "data": {"a": "1"}}
    )
    created.data = {"a": "2"}
    updated = core.replace_namespaced_config_map("cm", NS, created)
    assert updated.metadata.resource_version != created.metadata.resource_version
    assert updated.metadata.generation == 2
    created.data = {"a": "3"}  # still carries the old resourceVersion
    with pytest.raises(ApiException) as err:
        core.replace_namespaced_config_map("cm", NS, created)
    assert (err.value.status, json.loads(err.value.body)["reason"]) == (409, "Conflict")
    assert core.read_namespaced_config_map("cm", NS).data == {"a": "2"}


def test_server_side_apply_lifecycle(dyn: DynamicClient, fake_k8s: FakeApiServer) -> None:
    res = dyn.resources.get(api_version="apps/v1", kind="Deployment")

    def apply(body: dict[str, Any]) -> Any:
        return res.server_side_apply(
            body=body, name="web", namespace=NS, field_manager="promote", force_conflicts=False
        )

    first = apply(deployment(labels={"app": "web", "team": "a"}))
    assert first.metadata.generation == 1
    again = apply(deployment(labels={"app": "web", "team": "a"}))
    assert again.metadata.resourceVersion == first.metadata.resourceVersion
    assert again.metadata.generation == 1
    changed = apply(deployment(image="nginx:1.26", labels={"app": "web", "team": "a"}))
    assert changed.metadata.generation == 2
    assert int(changed.metadata.resourceVersion) > int(first.metadata.resourceVersion)
    assert changed.spec.template.spec.containers[0].image == "nginx:1.26"
    pruned = apply(deployment(image="nginx:1.26"))
    assert dict(pruned.metadata.labels) == {"app": "web"}
    assert pruned.metadata.generation == 2  # metadata-only change
    fields = fake_k8s.get_object("apps/v1", "Deployment", "web", NS)["metadata"]["managedFields"]
    assert [(f["manager"], f["operation"]) for f in fields] == [("promote", "Apply")]
    containers = fields[0]["fieldsV1"]["f:spec"]["f:template"]["f:spec"]["f:containers"]
    assert 'k:{"name":"app"}' in containers
    assert "f:team" not in fields[0]["fieldsV1"]["f:metadata"]["f:labels"]


def test_apply_prunes_dropped_list_items_by_key(
    dyn: DynamicClient, fake_k8s: FakeApiServer
) -> None:
    res = dyn.resources.get(api_version="apps/v1", kind="Deployment")
    body = deployment()
    pod = body["spec"]["template"]["spec"]
    pod["containers"][0]["env"] = [{"name": "A", "value": "1"}, {"name": "B", "value": "2"}]
    pod["containers"].append({"name": "sidecar", "image": "envoy:1"})
    res.server_side_apply(body=body, name="web", namespace=NS, field_manager="promote")
    pod["containers"].pop()
    pod["containers"][0]["env"].pop()
    res.server_side_apply(body=body, name="web", namespace=NS, field_manager="promote")
    live = fake_k8s.get_object("apps/v1", "Deployment", "web", NS)
    containers = live["spec"]["template"]["spec"]["containers"]
    assert [c["name"] for c in containers] == ["app"]
    assert containers[0]["env"] == [{"name": "A", "value": "1"}]
    containers[0]["image"] = "nginx:hotfix"
    fake_k8s.put_object(live, manager="kubectl-edit")
    pod["containers"][0]["image"] = "nginx:1.27"
    with pytest.raises(ConflictError) as err:
        res.server_side_apply(body=body, name="web", namespace=NS, field_manager="promote")
    field = json.loads(err.value.body)["details"]["causes"][0]["field"]
    assert field == '.spec.template.spec.containers[name="app"].image'


def test_apply_conflict_with_other_manager_and_force(
    dyn: DynamicClient, fake_k8s: FakeApiServer
) -> None:
    res = dyn.resources.get(api_version="apps/v1", kind="Deployment")
    res.server_side_apply(
        body=deployment(replicas=2), name="web", namespace=NS, field_manager="promote"
    )
    drifted = fake_k8s.get_object("apps/v1", "Deployment", "web", NS)
    drifted["spec"]["replicas"] = 5  # a hand edit, as `kubectl edit` would do it
    fake_k8s.put_object(drifted, manager="kubectl-edit")
    with pytest.raises(ConflictError) as err:
        res.server_side_apply(
            body=deployment(replicas=3),
            name="web",
            namespace=NS,
            field_manager="promote",
            force_conflicts=False,
        )
    status = json.loads(err.value.body)
    assert status["reason"] == "Conflict"
    assert status["details"]["causes"][0]["field"] == ".spec.replicas"
    assert "kubectl-edit" in status["details"]["causes"][0]["message"]
    assert fake_k8s.get_object("apps/v1", "Deployment", "web", NS)["spec"]["replicas"] == 5
    forced = res.server_side_apply(
        body=deployment(replicas=3),
        name="web",
        namespace=NS,
        field_manager="promote",
        force_conflicts=True,
    )
    assert forced.spec.replicas == 3
    managers = {f.manager for f in forced.metadata.managedFields}
    assert managers == {"promote"}  # kubectl-edit lost its only field


def test_field_shared_by_two_managers_survives_one_dropping_it(
    api: client.ApiClient, fake_k8s: FakeApiServer
) -> None:
    path = f"/api/v1/namespaces/{NS}/configmaps/shared"
    config_a = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "shared"},
        "data": {"x": "1", "only-a": "a"},
    }
    raw_apply(api, path, config_a, manager="a")
    raw_apply(api, path, {**config_a, "data": {"x": "1"}}, manager="b")
    raw_apply(api, path, {**config_a, "data": {}}, manager="a")
    assert fake_k8s.get_object("v1", "ConfigMap", "shared", NS)["data"] == {"x": "1"}


def test_object_created_by_someone_else_is_shared_then_contested(
    api: client.ApiClient, fake_k8s: FakeApiServer
) -> None:
    fake_k8s.put_object(
        {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {"name": "theirs", "namespace": NS},
            "data": {"a": "1"},
        }
    )
    path = f"/api/v1/namespaces/{NS}/configmaps/theirs"
    body = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "theirs"},
        "data": {"a": "1"},
    }
    shared = raw_apply(api, path, body)
    assert {f["manager"] for f in shared["metadata"]["managedFields"]} == {"kubectl", "promote"}
    with pytest.raises(ApiException) as err:
        raw_apply(api, path, {**body, "data": {"a": "2"}})
    assert err.value.status == 409
    assert json.loads(err.value.body)["details"]["causes"][0]["field"] == ".data.a"


def test_apply_accepts_yaml_text(api: client.ApiClient, fake_k8s: FakeApiServer) -> None:
    manifest = (
        "# rendered by promote\n"
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: y\n"
        "data:\n  released: 2024-05-01\n"
    )
    raw_apply(api, f"/api/v1/namespaces/{NS}/configmaps/y", manifest)  # type: ignore[arg-type]
    obj = fake_k8s.get_object("v1", "ConfigMap", "y", NS)
    assert obj["data"] == {"released": "2024-05-01"}


def test_default_discovery_cache_is_not_inherited(fake_k8s: FakeApiServer) -> None:
    from tests.fake_k8s.server import discovery_cache_file

    stale = discovery_cache_file(fake_k8s.url)
    stale.write_text("{}")
    fake_k8s.stop()
    assert not stale.exists()


def test_apply_requires_field_manager(api: client.ApiClient) -> None:
    body = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "m"}}
    with pytest.raises(ApiException) as err:
        raw_apply(api, f"/api/v1/namespaces/{NS}/configmaps/m", body, manager=None)
    assert err.value.status == 422


def test_apply_into_missing_namespace_is_rejected(api: client.ApiClient) -> None:
    body = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "m"}}
    with pytest.raises(ApiException) as err:
        raw_apply(api, "/api/v1/namespaces/apps/configmaps/m", body)
    assert err.value.status == 404
    assert json.loads(err.value.body)["message"] == 'namespaces "apps" not found'
    with pytest.raises(ApiException) as missing_ns:
        client.CoreV1Api(api).create_namespaced_config_map("apps", {"metadata": {"name": "c"}})
    assert missing_ns.value.status == 404
    raw_apply(
        api,
        "/api/v1/namespaces/apps",
        {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "apps"}},
    )
    created = raw_apply(api, "/api/v1/namespaces/apps/configmaps/m", body)
    assert created["metadata"]["namespace"] == "apps"


HELMRELEASE_CRD = {
    "apiVersion": "apiextensions.k8s.io/v1",
    "kind": "CustomResourceDefinition",
    "metadata": {"name": "helmreleases.helm.toolkit.fluxcd.io"},
    "spec": {
        "group": "helm.toolkit.fluxcd.io",
        "scope": "Namespaced",
        "names": {
            "plural": "helmreleases",
            "singular": "helmrelease",
            "kind": "HelmRelease",
            "listKind": "HelmReleaseList",
            "shortNames": ["hr"],
        },
        "versions": [
            {
                "name": "v2",
                "served": True,
                "storage": True,
                "subresources": {"status": {}},
                "schema": {"openAPIV3Schema": {"type": "object"}},
            }
        ],
    },
}


def test_crd_makes_custom_resource_served(dyn: DynamicClient, fake_k8s: FakeApiServer) -> None:
    with pytest.raises(ResourceNotFoundError):
        dyn.resources.get(api_version="helm.toolkit.fluxcd.io/v2", kind="HelmRelease")
    crds = dyn.resources.get(api_version="apiextensions.k8s.io/v1", kind="CustomResourceDefinition")
    crd = crds.server_side_apply(body=HELMRELEASE_CRD, field_manager="promote")
    assert {c.type for c in crd.status.conditions} >= {"Established"}
    hr = dyn.resources.get(api_version="helm.toolkit.fluxcd.io/v2", kind="HelmRelease")
    assert (hr.name, hr.namespaced) == ("helmreleases", True)
    release = {
        "apiVersion": "helm.toolkit.fluxcd.io/v2",
        "kind": "HelmRelease",
        "metadata": {"name": "podinfo", "namespace": NS},
        "spec": {"chart": {"spec": {"chart": "podinfo", "version": "6.5.0"}}},
    }
    hr.server_side_apply(body=release, field_manager="promote")
    listed = hr.get(namespace=NS)
    assert [i.metadata.name for i in listed.items] == ["podinfo"]
    assert listed.items[0].kind == "HelmRelease"  # custom resource lists keep item kinds
    crds.delete(name=HELMRELEASE_CRD["metadata"]["name"])
    assert fake_k8s.get_object("v1", "Namespace", NS) is not None
    with pytest.raises(NotFoundError):
        hr.get(name="podinfo", namespace=NS)


@pytest.mark.parametrize("code", [409, 422, 500])
def test_injected_error_surfaces_as_api_exception(
    api: client.ApiClient, fake_k8s: FakeApiServer, code: int
) -> None:
    core = client.CoreV1Api(api)
    fake_k8s.inject("POST", r"/configmaps$", code)
    with pytest.raises(ApiException) as err:
        core.create_namespaced_config_map(NS, {"metadata": {"name": "x"}})
    assert err.value.status == code
    assert json.loads(err.value.body)["code"] == code
    assert fake_k8s.get_object("v1", "ConfigMap", "x", NS) is None
    core.create_namespaced_config_map(NS, {"metadata": {"name": "x"}})  # times=1: spent
    assert fake_k8s.get_object("v1", "ConfigMap", "x", NS) is not None


def test_injection_times_reason_and_any_method(
    api: client.ApiClient, fake_k8s: FakeApiServer
) -> None:
    core = client.CoreV1Api(api)
    core.create_namespaced_config_map(NS, {"metadata": {"name": "x"}})
    fake_k8s.inject("*", r"/configmaps/x$", 503, times=2, reason="ServiceUnavailable")
    for _ in range(2):
        with pytest.raises(ApiException) as err:
            core.read_namespaced_config_map("x", NS)
        assert (err.value.status, json.loads(err.value.body)["reason"]) == (
            503,
            "ServiceUnavailable",
        )
    assert core.read_namespaced_config_map("x", NS).metadata.name == "x"


def test_injected_delay_beyond_request_timeout_raises(
    api: client.ApiClient, fake_k8s: FakeApiServer
) -> None:
    core = client.CoreV1Api(api)
    fake_k8s.inject_delay("POST", r"/configmaps$", 1.0)
    with pytest.raises(urllib3.exceptions.ReadTimeoutError):
        core.create_namespaced_config_map(NS, {"metadata": {"name": "slow"}}, _request_timeout=0.2)


def test_delayed_get_times_out_after_client_retries(
    api: client.ApiClient, fake_k8s: FakeApiServer
) -> None:
    fake_k8s.inject_delay("GET", r"/configmaps$", 0.5, times=None)
    with pytest.raises(urllib3.exceptions.MaxRetryError):
        client.CoreV1Api(api).list_namespaced_config_map(NS, _request_timeout=0.1)
    assert len([r for r in fake_k8s.requests if r.method == "GET"]) == 4  # 1 try + 3 retries


def test_namespace_deletion_cascades(api: client.ApiClient, fake_k8s: FakeApiServer) -> None:
    core = client.CoreV1Api(api)
    core.create_namespace({"metadata": {"name": "team"}})
    core.create_namespaced_config_map("team", {"metadata": {"name": "cfg"}})
    client.AppsV1Api(api).create_namespaced_deployment(
        "team", {**deployment(), "metadata": {"name": "web", "namespace": "team"}}
    )
    core.delete_namespace("team", propagation_policy="Foreground")
    assert fake_k8s.get_object("v1", "ConfigMap", "cfg", "team") is None
    assert fake_k8s.get_object("apps/v1", "Deployment", "web", "team") is None
    with pytest.raises(ApiException) as err:
        core.read_namespace("team")
    assert err.value.status == 404


def test_dry_run_does_not_persist(api: client.ApiClient, fake_k8s: FakeApiServer) -> None:
    core = client.CoreV1Api(api)
    dry = core.create_namespaced_config_map(NS, {"metadata": {"name": "d"}}, dry_run="All")
    assert dry.metadata.name == "d"
    assert fake_k8s.get_object("v1", "ConfigMap", "d", NS) is None
    core.create_namespaced_config_map(NS, {"metadata": {"name": "d"}, "data": {"a": "1"}})
    rv = fake_k8s.get_object("v1", "ConfigMap", "d", NS)["metadata"]["resourceVersion"]
    core.patch_namespaced_config_map("d", NS, {"data": {"a": "2"}}, dry_run="All")
    core.delete_namespaced_config_map("d", NS, dry_run="All")
    kept = fake_k8s.get_object("v1", "ConfigMap", "d", NS)
    assert (kept["data"], kept["metadata"]["resourceVersion"]) == ({"a": "1"}, rv)


def test_dry_run_apply_does_not_persist(dyn: DynamicClient, fake_k8s: FakeApiServer) -> None:
    res = dyn.resources.get(api_version="apps/v1", kind="Deployment")
    preview = res.server_side_apply(
        body=deployment(), name="web", namespace=NS, field_manager="promote", dry_run="All"
    )
    assert preview.spec.replicas == 2
    assert fake_k8s.get_object("apps/v1", "Deployment", "web", NS) is None


def test_patch_formats(api: client.ApiClient, fake_k8s: FakeApiServer) -> None:
    core = client.CoreV1Api(api)
    core.create_namespaced_config_map(NS, {"metadata": {"name": "p"}, "data": {"a": "1", "b": "2"}})
    core.patch_namespaced_config_map("p", NS, {"data": {"a": None, "c": "3"}})
    assert fake_k8s.get_object("v1", "ConfigMap", "p", NS)["data"] == {"b": "2", "c": "3"}
    ops = [
        {"op": "add", "path": "/metadata/labels", "value": {"x": "y"}},
        {"op": "replace", "path": "/data/b", "value": "22"},
        {"op": "remove", "path": "/data/c"},
    ]
    core.patch_namespaced_config_map("p", NS, ops)
    obj = fake_k8s.get_object("v1", "ConfigMap", "p", NS)
    assert (obj["data"], obj["metadata"]["labels"]) == ({"b": "22"}, {"x": "y"})
    assert fake_k8s.requests[-1].content_type == "application/json-patch+json"


def test_secret_string_data_becomes_base64_data(api: client.ApiClient) -> None:
    secret = client.CoreV1Api(api).create_namespaced_secret(
        NS, {"metadata": {"name": "s"}, "stringData": {"token": "hunter2"}}
    )
    assert secret.data == {"token": "aHVudGVyMg=="}
    assert secret.string_data is None


def test_workload_status_ready_unless_unhealthy(
    api: client.ApiClient, fake_k8s: FakeApiServer
) -> None:
    apps = client.AppsV1Api(api)
    fake_k8s.set_unhealthy("Deployment", "sick", NS)
    ready = apps.create_namespaced_deployment(NS, deployment("web", replicas=3))
    sick = apps.create_namespaced_deployment(NS, deployment("sick"))
    assert (ready.status.ready_replicas, ready.status.observed_generation) == (3, 1)
    assert {c.type: c.status for c in ready.status.conditions}["Available"] == "True"
    assert (sick.status.ready_replicas or 0, sick.status.observed_generation) == (0, 1)
    job = client.BatchV1Api(api).create_namespaced_job(
        NS,
        {
            "metadata": {"name": "migrate"},
            "spec": {
                "template": {
                    "spec": {
                        "restartPolicy": "Never",
                        "containers": [{"name": "m", "image": "busybox"}],
                    }
                }
            },
        },
    )
    assert job.status.succeeded == 1
    assert job.status.conditions[0].type == "Complete"
    fake_k8s.set_unhealthy("Deployment", "web", NS)  # marking an existing workload
    status = fake_k8s.get_object("apps/v1", "Deployment", "web", NS)["status"]
    assert status["readyReplicas"] == 0


def test_requests_are_recorded(api: client.ApiClient, fake_k8s: FakeApiServer) -> None:
    core = client.CoreV1Api(api)
    fake_k8s.reset_requests()
    core.list_namespaced_config_map(NS, label_selector="a=b")
    core.create_namespaced_config_map(NS, {"metadata": {"name": "r"}}, field_manager="me")
    assert [(r.method, r.path) for r in fake_k8s.requests] == [
        ("GET", f"/api/v1/namespaces/{NS}/configmaps"),
        ("POST", f"/api/v1/namespaces/{NS}/configmaps"),
    ]
    assert fake_k8s.requests[0].query == {"labelSelector": "a=b"}
    assert fake_k8s.requests[1].query == {"fieldManager": "me"}


def test_cluster_wide_list_and_delete_collection(
    api: client.ApiClient, dyn: DynamicClient, fake_k8s: FakeApiServer
) -> None:
    client.CoreV1Api(api).create_namespace({"metadata": {"name": "other"}})
    apps = client.AppsV1Api(api)
    apps.create_namespaced_deployment(NS, deployment("a"))
    apps.create_namespaced_deployment(
        "other",
        {
            **deployment("b"),
            "metadata": {"name": "b", "namespace": "other", "labels": {"app": "b"}},
        },
    )
    everywhere = apps.list_deployment_for_all_namespaces()
    assert sorted(d.metadata.name for d in everywhere.items) == ["a", "b"]
    res = dyn.resources.get(api_version="apps/v1", kind="Deployment")
    res.delete(namespace="other", label_selector="app=b")
    assert fake_k8s.get_object("apps/v1", "Deployment", "b", "other") is None
    assert fake_k8s.get_object("apps/v1", "Deployment", "a", NS) is not None
