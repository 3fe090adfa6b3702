"""The one module that talks to Kubernetes: config loading, discovery, list/get/apply/delete.

Only this module imports `kubernetes`, and only callers that need a cluster import this module
(lazily), so `promote --help` and every Git-only command never load the client.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import urllib3
from kubernetes import client as k8s_client
from kubernetes import config as k8s_config
from kubernetes.client.exceptions import ApiException
from kubernetes.config.config_exception import ConfigException

from promote.engine.errors import ConfigError, ReconcileError

DEFAULT_REQUEST_TIMEOUT = 30.0


class KubeError(ReconcileError):
    """A failed API call. `transient` errors (5xx, timeouts, unreachable) are worth a retry."""

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        transient: bool = False,
        body: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.transient = transient
        self.body = body or {}


@dataclass(frozen=True)
class ResourceInfo:
    """What discovery says about one kind: where it lives and whether it is namespaced."""

    api_version: str
    kind: str
    plural: str
    namespaced: bool

    @property
    def group(self) -> str:
        return self.api_version.rpartition("/")[0]

    def path(self, namespace: str | None = None, name: str | None = None) -> str:
        prefix = "/apis" if self.group else "/api"
        parts = [prefix, self.api_version]
        if self.namespaced and namespace:
            parts += ["namespaces", namespace]
        parts.append(self.plural)
        if name:
            parts.append(name)
        return "/".join(parts)


def connect(
    *,
    kubeconfig: str | None = None,
    context: str | None = None,
    request_timeout: float = DEFAULT_REQUEST_TIMEOUT,
) -> KubeClient:
    """A client for the kubeconfig context (or the in-cluster config when running in a Pod)."""
    try:
        if context is None and kubeconfig is None and os.environ.get("KUBERNETES_SERVICE_HOST"):
            configuration = k8s_client.Configuration()
            k8s_config.load_incluster_config(client_configuration=configuration)
            api = k8s_client.ApiClient(configuration)
            namespace = _incluster_namespace()
        else:
            path = kubeconfig or os.environ.get("KUBECONFIG") or "~/.kube/config"
            path = os.path.expanduser(path.split(os.pathsep)[0])
            api = k8s_config.new_client_from_config(config_file=path, context=context)
            namespace = _context_namespace(path, context)
    except (ConfigException, OSError, ValueError, TypeError) as exc:
        where = f"context {context!r}" if context else "the current context"
        raise ConfigError(f"cannot load Kubernetes config for {where}: {exc}") from None
    return KubeClient(api, default_namespace=namespace, request_timeout=request_timeout)


def _incluster_namespace() -> str:
    path = Path("/var/run/secrets/kubernetes.io/serviceaccount/namespace")
    return path.read_text().strip() if path.exists() else "default"


def _context_namespace(path: str, context: str | None) -> str:
    contexts, current = k8s_config.list_kube_config_contexts(config_file=path)
    wanted = next((c for c in contexts if c["name"] == context), current) if context else current
    return (wanted or {}).get("context", {}).get("namespace") or "default"


class KubeClient:
    """The API calls the kubernetes target needs, with discovery, a request counter and errors
    translated to `KubeError`. Requests go through the official client's ApiClient; we do our
    own discovery (one GET per group version in use) rather than DynamicClient's, which reads
    every group and keeps a cache file in /tmp shared between runs."""

    def __init__(
        self,
        api: k8s_client.ApiClient,
        *,
        default_namespace: str = "default",
        request_timeout: float = DEFAULT_REQUEST_TIMEOUT,
    ) -> None:
        self.api = api
        self.default_namespace = default_namespace
        self.request_count = 0
        self.server = api.configuration.host
        self._timeout = request_timeout
        self._wrap_call_api()
        # discovery is cached for this client only: fresh each run, never stale from another
        self._group_versions: dict[str, dict[str, ResourceInfo]] = {}

    def _wrap_call_api(self) -> None:
        call_api: Callable[..., Any] = self.api.call_api

        def counted(*args: Any, **kwargs: Any) -> Any:
            self.request_count += 1
            if kwargs.get("_request_timeout") is None:
                kwargs["_request_timeout"] = self._timeout
            return call_api(*args, **kwargs)

        self.api.call_api = counted  # type: ignore[method-assign]

    def close(self) -> None:
        self.api.close()

    def __enter__(self) -> KubeClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def refresh_discovery(self) -> None:
        """Forget what discovery found (after CRDs were applied, their kinds must resolve)."""
        self._group_versions.clear()

    def resource(self, api_version: str, kind: str) -> ResourceInfo:
        """Where `kind` lives. Discovery reads only the group versions in use, once per run."""
        if api_version not in self._group_versions:
            self._group_versions[api_version] = self._discover(api_version)
        found = self._group_versions[api_version].get(kind)
        if found is None:
            raise KubeError(
                f"the cluster does not serve {kind} in {api_version} "
                "(is its CustomResourceDefinition installed?)"
            )
        return found

    def _discover(self, api_version: str) -> dict[str, ResourceInfo]:
        path = ("/apis/" if "/" in api_version else "/api/") + api_version
        try:
            listing = self._call("GET", path, f"discover the API group {api_version}")
        except KubeError as err:
            if err.status == 404:
                return {}
            raise
        return {
            r["kind"]: ResourceInfo(api_version, r["kind"], r["name"], bool(r.get("namespaced")))
            for r in listing.get("resources") or []
            if "/" not in r["name"]  # subresources such as deployments/scale
        }

    def list(
        self, info: ResourceInfo, *, label_selector: str, namespace: str | None = None
    ) -> list[dict[str, Any]]:
        """Every object of one kind with the labels (cluster-wide unless `namespace`)."""
        items: list[dict[str, Any]] = []
        token: str | None = None
        while True:
            page = self._call(
                "GET",
                info.path(namespace),
                f"list {info.kind}",
                labelSelector=label_selector,
                limit=500,
                **{"continue": token},
            )
            for item in page.get("items") or []:
                item.setdefault("apiVersion", info.api_version)
                item.setdefault("kind", info.kind)
                items.append(item)
            token = (page.get("metadata") or {}).get("continue")
            if not token:
                return items

    def get(self, info: ResourceInfo, name: str, namespace: str | None) -> dict[str, Any] | None:
        try:
            return self._call("GET", info.path(namespace, name), f"get {info.kind}/{name}")
        except KubeError as err:
            if err.status == 404:
                return None
            raise

    def apply(
        self,
        info: ResourceInfo,
        obj: dict[str, Any],
        *,
        field_manager: str,
        force: bool = False,
        dry_run: bool = False,
    ) -> dict[str, Any]:
        """Server-side apply of `obj` as `field_manager`."""
        meta = obj["metadata"]
        query: dict[str, Any] = {"fieldManager": field_manager, "force": force}
        if dry_run:
            query["dryRun"] = "All"
        what = f"apply {info.kind}/{meta['name']}"
        return self._call(
            "PATCH",
            info.path(meta.get("namespace"), meta["name"]),
            what,
            body=obj,
            content_type="application/apply-patch+yaml",
            **query,
        )

    def create(
        self, info: ResourceInfo, obj: dict[str, Any], *, field_manager: str | None = None
    ) -> dict[str, Any]:
        """POST a new object; one that already exists is a `KubeError` with status 409."""
        meta = obj["metadata"]
        return self._call(
            "POST",
            info.path(meta.get("namespace")),
            f"create {info.kind}/{meta['name']}",
            body=obj,
            fieldManager=field_manager,
        )

    def replace(
        self, info: ResourceInfo, obj: dict[str, Any], *, field_manager: str | None = None
    ) -> dict[str, Any]:
        """PUT `obj` whole. Its `metadata.resourceVersion` makes this a compare-and-swap: a
        stale one is a `KubeError` with status 409 (someone else wrote in between)."""
        meta = obj["metadata"]
        return self._call(
            "PUT",
            info.path(meta.get("namespace"), meta["name"]),
            f"replace {info.kind}/{meta['name']}",
            body=obj,
            fieldManager=field_manager,
        )

    def delete(
        self, info: ResourceInfo, name: str, namespace: str | None, *, dry_run: bool = False
    ) -> None:
        query: dict[str, Any] = {"propagationPolicy": "Background"}
        if dry_run:
            query["dryRun"] = "All"
        try:
            self._call("DELETE", info.path(namespace, name), f"delete {info.kind}/{name}", **query)
        except KubeError as err:
            if err.status != 404:  # already gone is what we wanted
                raise

    def _call(
        self,
        method: str,
        path: str,
        what: str,
        *,
        body: Any = None,
        content_type: str = "application/json",
        **query: Any,
    ) -> dict[str, Any]:
        params = [(k, _query_value(v)) for k, v in query.items() if v is not None]
        request = self.api.param_serialize(
            method,
            path,
            query_params=params,
            body=body,
            auth_settings=["BearerToken"],
            header_params={"Content-Type": content_type, "Accept": "application/json"},
        )
        with self._translated(what):
            response = self.api.call_api(*request)
            response.read()
            if not 200 <= response.status <= 299:
                self.api.response_deserialize(response, {})  # raises the ApiException
            return json.loads(response.data or b"{}")

    @contextmanager
    def _translated(self, what: str) -> Iterator[None]:
        try:
            yield
        except KubeError:
            raise
        except ApiException as exc:
            raise api_error(exc, what) from None
        except (urllib3.exceptions.HTTPError, OSError) as exc:
            raise KubeError(
                f"cannot {what}: the cluster at {self.server} is unreachable "
                f"({network_reason(exc)})",
                transient=True,
            ) from None


def network_reason(exc: BaseException) -> str:
    """What went wrong on the wire, in a few words rather than urllib3's nested reprs."""
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, urllib3.exceptions.NameResolutionError):
            return "host name not found"
        if isinstance(seen, urllib3.exceptions.SSLError):
            return f"TLS: {seen.__cause__ or seen}"
        if isinstance(seen, OSError) and seen.strerror:
            return seen.strerror.lower()  # "connection refused", "no route to host"
        # urllib3's NewConnectionError is a ConnectTimeoutError by inheritance only.
        refused = isinstance(seen, urllib3.exceptions.NewConnectionError)
        if isinstance(seen, TimeoutError | urllib3.exceptions.TimeoutError) and not refused:
            return "timed out"
        reason = getattr(seen, "reason", None)  # MaxRetryError → the last attempt's error
        seen = reason if isinstance(reason, BaseException) else seen.__cause__ or seen.__context__
    return type(exc).__name__


def _query_value(value: Any) -> Any:
    return str(value).lower() if isinstance(value, bool) else value


def api_error(exc: ApiException, what: str) -> KubeError:
    """One clear message for an API error; 5xx and 429 are transient."""
    status = exc.status or 0
    try:
        body = json.loads(exc.body) if exc.body else {}
    except (TypeError, ValueError):
        body = {}
    message = body.get("message") or exc.reason or "no details"
    transient = status >= 500 or status == 429 or status == 0
    return KubeError(
        f"cannot {what}: {message} (HTTP {status})", status=status, transient=transient, body=body
    )
