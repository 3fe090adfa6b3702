"""The cluster a kubernetes-target test runs against: the fake API server, or a real cluster.

A real cluster is used when PROMOTE_TEST_KUBECONFIG names a kubeconfig (tests marked `cluster`);
each test then works in its own namespace and deletes what it made.
"""

from __future__ import annotations

import json
import os
import uuid
from pathlib import Path
from typing import Any

from tests.fake_k8s import FakeApiServer

REAL_KUBECONFIG_ENV = "PROMOTE_TEST_KUBECONFIG"


class FakeCluster:
    real = False

    def __init__(self, fake: FakeApiServer, kubeconfig: Path) -> None:
        self.fake = fake
        self.kubeconfig = kubeconfig
        self.namespace = "shop"

    def get(self, api_version: str, kind: str, name: str, namespace: str | None = None) -> Any:
        return self.fake.get_object(api_version, kind, name, namespace)

    def edit(self, obj: dict[str, Any], manager: str = "kubectl-edit") -> None:
        """A hand edit: a full update (operation Update), as `kubectl edit` sends."""
        self.fake.put_object(obj, manager=manager)

    def apply_as(self, obj: dict[str, Any], manager: str) -> None:
        """Another tool's server-side apply (operation Apply), forcing like a controller."""
        _real_apply(self.kubeconfig, obj, manager)

    def cleanup(self) -> None:
        pass


class RealCluster:
    real = True

    def __init__(self, kubeconfig: Path) -> None:
        from kubernetes import config
        from kubernetes.dynamic import DynamicClient

        self.kubeconfig = kubeconfig
        self.namespace = f"promote-test-{uuid.uuid4().hex[:8]}"
        self.api = config.new_client_from_config(config_file=str(kubeconfig))
        self.dyn = DynamicClient(self.api)

    def _resource(self, api_version: str, kind: str) -> Any:
        return self.dyn.resources.get(api_version=api_version, kind=kind)

    def get(self, api_version: str, kind: str, name: str, namespace: str | None = None) -> Any:
        from kubernetes.dynamic.exceptions import NotFoundError

        try:
            found = self._resource(api_version, kind).get(name=name, namespace=namespace)
        except NotFoundError:
            return None
        return found.to_dict()

    def edit(self, obj: dict[str, Any], manager: str = "kubectl-edit") -> None:
        resource = self._resource(obj["apiVersion"], obj["kind"])
        body = json.loads(json.dumps(obj))
        body["metadata"].pop("managedFields", None)
        if (
            self.get(
                obj["apiVersion"],
                obj["kind"],
                obj["metadata"]["name"],
                obj["metadata"].get("namespace"),
            )
            is None
        ):
            resource.create(body=body, field_manager=manager)
        else:
            resource.replace(body=body, field_manager=manager)

    def apply_as(self, obj: dict[str, Any], manager: str) -> None:
        _real_apply(self.kubeconfig, obj, manager)

    def cleanup(self) -> None:
        namespaces = self._resource("v1", "Namespace")
        for ns in namespaces.get(label_selector="promote.io/environment").items:
            if ns.metadata.name.startswith(self.namespace):
                namespaces.delete(name=ns.metadata.name)
        self.api.close()


def _real_apply(kubeconfig: Path, obj: dict[str, Any], manager: str) -> None:
    from kubernetes import config
    from kubernetes.dynamic import DynamicClient

    with config.new_client_from_config(config_file=str(kubeconfig)) as api:
        dyn = DynamicClient(api)
        resource = dyn.resources.get(api_version=obj["apiVersion"], kind=obj["kind"])
        dyn.server_side_apply(resource, body=obj, field_manager=manager, force_conflicts=True)


def real_kubeconfig() -> Path | None:
    value = os.environ.get(REAL_KUBECONFIG_ENV)
    return Path(value) if value else None
