"""engine.reconcile.kube: config loading, discovery, requests and error translation, over HTTP."""

from __future__ import annotations

from pathlib import Path

import pytest

from promote.engine.errors import ConfigError
from promote.engine.reconcile.kube import KubeError, connect
from tests.fake_k8s import FakeApiServer
from tests.helpers import loads_kubernetes


def test_connect_uses_the_context_namespace(fake_k8s: FakeApiServer, tmp_path: Path) -> None:
    kubeconfig = fake_k8s.write_kubeconfig(tmp_path / "kc", context="dev", namespace="team-a")
    with connect(kubeconfig=str(kubeconfig), context="dev") as kube:
        assert kube.default_namespace == "team-a"
        assert kube.server == fake_k8s.url


def test_connect_reads_kubeconfig_env(
    fake_k8s: FakeApiServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    kubeconfig = fake_k8s.write_kubeconfig(tmp_path / "kc")
    monkeypatch.setenv("KUBECONFIG", str(kubeconfig))
    monkeypatch.delenv("KUBERNETES_SERVICE_HOST", raising=False)
    with connect() as kube:
        assert kube.server == fake_k8s.url


def test_bad_config_is_a_config_error(fake_kubeconfig: Path, tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="context 'missing'"):
        connect(kubeconfig=str(fake_kubeconfig), context="missing")
    with pytest.raises(ConfigError):
        connect(kubeconfig=str(tmp_path / "does-not-exist"))


def test_discovery_reads_only_group_versions_in_use(
    fake_k8s: FakeApiServer, fake_kubeconfig: Path
) -> None:
    with connect(kubeconfig=str(fake_kubeconfig)) as kube:
        deploy = kube.resource("apps/v1", "Deployment")
        kube.resource("apps/v1", "StatefulSet")
        namespace = kube.resource("v1", "Namespace")
        assert (deploy.plural, deploy.namespaced) == ("deployments", True)
        assert (namespace.plural, namespace.namespaced) == ("namespaces", False)
        assert [r.path for r in fake_k8s.requests] == ["/apis/apps/v1", "/api/v1"]
        assert kube.request_count == 2
        with pytest.raises(KubeError, match=r"does not serve Widget in example\.com/v1"):
            kube.resource("example.com/v1", "Widget")


def test_list_get_apply_delete(fake_k8s: FakeApiServer, fake_kubeconfig: Path) -> None:
    with connect(kubeconfig=str(fake_kubeconfig)) as kube:
        cm = kube.resource("v1", "ConfigMap")
        for name, labels in [("a", {"team": "x"}), ("b", {"team": "y"})]:
            body = {
                "apiVersion": "v1",
                "kind": "ConfigMap",
                "metadata": {"name": name, "namespace": "default", "labels": labels},
            }
            kube.apply(cm, body, field_manager="promote")
        listed = kube.list(cm, label_selector="team=x")
        assert [(o["kind"], o["metadata"]["name"]) for o in listed] == [("ConfigMap", "a")]
        assert kube.get(cm, "a", "default")["metadata"]["labels"] == {"team": "x"}
        kube.delete(cm, "a", "default")
        kube.delete(cm, "a", "default")  # already gone is fine
        assert kube.get(cm, "a", "default") is None
        patch = next(r for r in fake_k8s.requests if r.method == "PATCH")
        assert patch.content_type == "application/apply-patch+yaml"
        assert patch.query == {"fieldManager": "promote", "force": "false"}


@pytest.mark.parametrize(
    ("status", "transient"),
    [(409, False), (422, False), (500, True), (503, True), (429, True), (403, False)],
)
def test_api_errors_are_translated(
    fake_k8s: FakeApiServer, fake_kubeconfig: Path, status: int, transient: bool
) -> None:
    with connect(kubeconfig=str(fake_kubeconfig)) as kube:
        cm = kube.resource("v1", "ConfigMap")
        fake_k8s.inject("GET", "/configmaps/x$", status)
        with pytest.raises(KubeError) as err:
            kube.get(cm, "x", "default")
    assert (err.value.status, err.value.transient) == (status, transient)
    assert f"HTTP {status}" in str(err.value) and "get ConfigMap/x" in str(err.value)


def test_cli_help_and_plugin_loading_do_not_import_kubernetes() -> None:
    code = (
        "from promote.engine.plugins import load_plugins\n"
        "load_plugins(autoload=False).targets.get('kubernetes')\n"
        "from promote.engine.cli.app import main\n"
        "try:\n    main(['--help'])\nexcept SystemExit:\n    pass\n"
    )
    assert not loads_kubernetes(code)
    assert loads_kubernetes("import promote.engine.reconcile.kube")  # the probe itself can tell


def test_create_and_replace_are_compare_and_swap(fake_k8s: FakeApiServer, fake_kubeconfig: Path):
    body = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "cas", "namespace": "default"},
        "data": {"n": "1"},
    }
    with connect(kubeconfig=str(fake_kubeconfig)) as kube:
        cm = kube.resource("v1", "ConfigMap")
        created = kube.create(cm, body)
        with pytest.raises(KubeError) as exists:
            kube.create(cm, body)
        assert exists.value.status == 409
        first = {**created, "data": {"n": "2"}}
        replaced = kube.replace(cm, first)
        assert replaced["data"] == {"n": "2"}
        with pytest.raises(KubeError) as stale:
            kube.replace(cm, {**created, "data": {"n": "3"}})  # created's resourceVersion
        assert (stale.value.status, stale.value.transient) == (409, False)
    assert fake_k8s.get_object("v1", "ConfigMap", "cas", "default")["data"] == {"n": "2"}
    assert [r.method for r in fake_k8s.requests if "/configmaps" in r.path] == [
        "POST",
        "POST",
        "PUT",
        "PUT",
    ]


@pytest.fixture
def closed_kubeconfig(tmp_path: Path) -> tuple[Path, str]:
    """A kubeconfig for a local port nobody listens on any more, and that server's URL."""
    with FakeApiServer() as fake:
        kubeconfig = fake.write_kubeconfig(tmp_path / "kubeconfig", context="gone")
        url = fake.url
    return kubeconfig, url


def test_an_unreachable_cluster_is_one_clear_message(closed_kubeconfig) -> None:
    kubeconfig, url = closed_kubeconfig
    with connect(kubeconfig=str(kubeconfig)) as kube, pytest.raises(KubeError) as err:
        kube.resource("apps/v1", "Deployment")
    assert str(err.value) == (
        f"cannot discover the API group apps/v1: "
        f"the cluster at {url} is unreachable (connection refused)"
    )
    assert err.value.transient


def test_the_cli_names_the_unreachable_server_in_one_line(closed_kubeconfig, make_repo, cli):
    kubeconfig, url = closed_kubeconfig
    target = f"{{kind: kubernetes, kubeconfig: {kubeconfig}, context: gone, namespace: shop}}"
    graph = f"environments:\n  prod: {{path: apps/prod, target: {target}}}\n"
    repo = make_repo(
        {
            "environments/graph.yaml": graph,
            "apps/prod/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n",
        }
    )
    message = f"the cluster at {url} is unreachable (connection refused)"
    diff = cli(repo, "diff", "prod")  # diff's contract: 2 for every error
    assert diff.exit_code == 2, (diff.stdout, diff.stderr)
    assert diff.stderr.startswith("promote: error: ") and message in diff.stderr
    assert len(diff.stderr.splitlines()) == 1
    reconcile = cli(repo, "reconcile", "prod")  # a failed reconciliation is reported: exit 1
    assert reconcile.exit_code == 1, (reconcile.stdout, reconcile.stderr)
    assert message in reconcile.stdout
    for output in (diff.stderr, reconcile.stdout):
        assert "MaxRetryError" not in output and "HTTPConnectionPool" not in output
