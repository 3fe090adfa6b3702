"""Resource type tables and the discovery documents built from them."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

ALL_VERBS = ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"]
SERVER_VERSION = {
    "major": "1",
    "minor": "31",
    "gitVersion": "v1.31.0-fake",
    "gitCommit": "0000000000000000000000000000000000000000",
    "gitTreeState": "clean",
    "buildDate": "2024-08-13T00:00:00Z",
    "goVersion": "go1.22.5",
    "compiler": "gc",
    "platform": "linux/amd64",
}


@dataclass(frozen=True)
class ResourceType:
    group: str
    version: str
    plural: str
    kind: str
    namespaced: bool
    singular: str = ""
    short_names: tuple[str, ...] = ()
    has_status: bool = True  # status is a subresource: main-resource writes keep it
    builtin: bool = True

    @property
    def api_version(self) -> str:
        return f"{self.group}/{self.version}" if self.group else self.version

    def api_resource(self) -> dict[str, Any]:
        doc: dict[str, Any] = {
            "name": self.plural,
            "singularName": self.singular or self.kind.lower(),
            "namespaced": self.namespaced,
            "kind": self.kind,
            "verbs": list(ALL_VERBS),
        }
        if self.short_names:
            doc["shortNames"] = list(self.short_names)
        return doc


def _rt(gv: str, plural: str, kind: str, namespaced: bool = True, **kw: Any) -> ResourceType:
    group, _, version = gv.rpartition("/")
    return ResourceType(group, version, plural, kind, namespaced, kind.lower(), **kw)


BUILTINS: tuple[ResourceType, ...] = (
    _rt("v1", "namespaces", "Namespace", False, short_names=("ns",)),
    _rt("v1", "configmaps", "ConfigMap", short_names=("cm",), has_status=False),
    _rt("v1", "secrets", "Secret", has_status=False),
    _rt("v1", "services", "Service", short_names=("svc",)),
    _rt("v1", "serviceaccounts", "ServiceAccount", short_names=("sa",), has_status=False),
    _rt("v1", "persistentvolumeclaims", "PersistentVolumeClaim", short_names=("pvc",)),
    _rt("v1", "pods", "Pod", short_names=("po",)),
    _rt("apps/v1", "deployments", "Deployment", short_names=("deploy",)),
    _rt("apps/v1", "statefulsets", "StatefulSet", short_names=("sts",)),
    _rt("apps/v1", "daemonsets", "DaemonSet", short_names=("ds",)),
    _rt("apps/v1", "replicasets", "ReplicaSet", short_names=("rs",)),
    _rt("batch/v1", "jobs", "Job"),
    _rt("batch/v1", "cronjobs", "CronJob", short_names=("cj",)),
    _rt("networking.k8s.io/v1", "ingresses", "Ingress", short_names=("ing",)),
    _rt("networking.k8s.io/v1", "networkpolicies", "NetworkPolicy", short_names=("netpol",)),
    _rt("rbac.authorization.k8s.io/v1", "roles", "Role", has_status=False),
    _rt("rbac.authorization.k8s.io/v1", "rolebindings", "RoleBinding", has_status=False),
    _rt("rbac.authorization.k8s.io/v1", "clusterroles", "ClusterRole", False, has_status=False),
    _rt(
        "rbac.authorization.k8s.io/v1",
        "clusterrolebindings",
        "ClusterRoleBinding",
        False,
        has_status=False,
    ),
    _rt(
        "apiextensions.k8s.io/v1",
        "customresourcedefinitions",
        "CustomResourceDefinition",
        False,
        short_names=("crd", "crds"),
    ),
    _rt("coordination.k8s.io/v1", "leases", "Lease", has_status=False),
)

# GitOps agents' kinds, served once a test asks (FakeApiServer.serve_gitops_agents), as their
# CRDs would after `flux install` / installing Argo CD.
GITOPS_AGENTS: tuple[ResourceType, ...] = (
    _rt("kustomize.toolkit.fluxcd.io/v1", "kustomizations", "Kustomization", builtin=False),
    _rt("helm.toolkit.fluxcd.io/v2", "helmreleases", "HelmRelease", builtin=False),
    _rt("argoproj.io/v1alpha1", "applications", "Application", builtin=False),
)

_VERSION_RE = re.compile(r"^v(\d+)(?:(alpha|beta)(\d+))?$")


def version_priority(version: str) -> tuple[int, int, int, str]:
    """Kube-aware ordering (v2 > v1 > v1beta2 > v1alpha1 > other), as sort key ascending."""
    match = _VERSION_RE.match(version)
    if not match:
        return (3, 0, 0, version)
    major, stage, minor = match.groups()
    rank = {None: 0, "beta": 1, "alpha": 2}[stage]
    return (rank, -int(major), -int(minor or 0), version)


@dataclass
class Registry:
    """Served resource types; CRDs add and remove entries at runtime."""

    types: list[ResourceType] = field(default_factory=lambda: list(BUILTINS))

    def by_path(self, group: str, version: str, plural: str) -> ResourceType | None:
        for rt in self.types:
            if (rt.group, rt.version, rt.plural) == (group, version, plural):
                return rt
        return None

    def by_kind(self, api_version: str, kind: str) -> ResourceType | None:
        for rt in self.types:
            if rt.api_version == api_version and rt.kind == kind:
                return rt
        return None

    def groups(self) -> dict[str, list[str]]:
        """group -> versions, most preferred first."""
        found: dict[str, set[str]] = {}
        for rt in self.types:
            found.setdefault(rt.group, set()).add(rt.version)
        return {g: sorted(v, key=version_priority) for g, v in found.items()}

    def register_crd(self, crd: dict[str, Any]) -> None:
        self.unregister_crd(crd)
        spec = crd.get("spec", {})
        names = spec.get("names", {})
        for version in spec.get("versions", []):
            if not version.get("served", True):
                continue
            self.types.append(
                ResourceType(
                    group=spec.get("group", ""),
                    version=version["name"],
                    plural=names.get("plural", ""),
                    kind=names.get("kind", ""),
                    namespaced=spec.get("scope", "Namespaced") == "Namespaced",
                    singular=names.get("singular") or names.get("kind", "").lower(),
                    short_names=tuple(names.get("shortNames", [])),
                    has_status="status" in (version.get("subresources") or {}),
                    builtin=False,
                )
            )

    def unregister_crd(self, crd: dict[str, Any]) -> list[ResourceType]:
        spec = crd.get("spec", {})
        group, plural = spec.get("group"), spec.get("names", {}).get("plural")
        removed = [
            rt for rt in self.types if not rt.builtin and (rt.group, rt.plural) == (group, plural)
        ]
        self.types = [rt for rt in self.types if rt not in removed]
        return removed

    def api_versions(self) -> dict[str, Any]:
        return {
            "kind": "APIVersions",
            "versions": ["v1"],
            "serverAddressByClientCIDRs": [
                {"clientCIDR": "0.0.0.0/0", "serverAddress": "127.0.0.1:6443"}
            ],
        }

    def api_group(self, group: str) -> dict[str, Any] | None:
        versions = self.groups().get(group)
        if not versions or not group:
            return None
        entries = [{"groupVersion": f"{group}/{v}", "version": v} for v in versions]
        return {
            "kind": "APIGroup",
            "apiVersion": "v1",
            "name": group,
            "versions": entries,
            "preferredVersion": entries[0],
        }

    def api_group_list(self) -> dict[str, Any]:
        groups = [self.api_group(g) for g in sorted(self.groups()) if g]
        for doc in groups:
            if doc:
                doc.pop("kind")
                doc.pop("apiVersion")
        return {"kind": "APIGroupList", "apiVersion": "v1", "groups": groups}

    def resource_list(self, group: str, version: str) -> dict[str, Any] | None:
        served = [rt for rt in self.types if (rt.group, rt.version) == (group, version)]
        if not served:
            return None
        resources = [rt.api_resource() for rt in served]
        gv = f"{group}/{version}" if group else version
        return {
            "kind": "APIResourceList",
            "apiVersion": "v1",
            "groupVersion": gv,
            "resources": resources,
        }
