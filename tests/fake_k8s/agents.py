"""Flux and Argo CD objects as their controllers report them, for health tests.

`kustomization(...)` / `helmrelease(...)` / `application(...)` build the object; `flux_status`
and `argocd_status` build the status a test then sets with `FakeApiServer.set_status`.
"""

from __future__ import annotations

from typing import Any

KUSTOMIZATION = "kustomize.toolkit.fluxcd.io/v1"
HELMRELEASE = "helm.toolkit.fluxcd.io/v2"
APPLICATION = "argoproj.io/v1alpha1"


def _object(api_version: str, kind: str, name: str, namespace: str, spec: Any) -> dict[str, Any]:
    meta = {"name": name, "namespace": namespace}
    return {"apiVersion": api_version, "kind": kind, "metadata": meta, "spec": spec}


def kustomization(name: str, namespace: str = "flux-system") -> dict[str, Any]:
    spec = {"interval": "1m", "path": f"./apps/{name}", "prune": True}
    spec["sourceRef"] = {"kind": "GitRepository", "name": "flux-system"}
    return _object(KUSTOMIZATION, "Kustomization", name, namespace, spec)


def helmrelease(name: str, namespace: str = "flux-system") -> dict[str, Any]:
    spec = {"interval": "1m", "chart": {"spec": {"chart": "./charts/web"}}}
    return _object(HELMRELEASE, "HelmRelease", name, namespace, spec)


def application(name: str, namespace: str = "argocd") -> dict[str, Any]:
    spec = {"project": "default", "source": {"path": f"apps/{name}"}}
    return _object(APPLICATION, "Application", name, namespace, spec)


def flux_status(
    ready: str,
    reason: str,
    revision: str | None,
    since: str,
    message: str = "",
    attempted: str | None = None,
) -> dict[str, Any]:
    """A Kustomization/HelmRelease status: Ready=`ready` (True/False/Unknown) since `since`."""
    status: dict[str, Any] = {
        "observedGeneration": 1,
        "conditions": [
            {
                "type": "Ready",
                "status": ready,
                "reason": reason,
                "message": message,
                "lastTransitionTime": since,
            }
        ],
    }
    if revision is not None:
        status["lastAppliedRevision"] = revision
    status["lastAttemptedRevision"] = attempted or revision
    return status


def argocd_status(
    health: str,
    sync: str,
    revision: str,
    reconciled_at: str,
    *,
    deployed_at: str | None = None,
    message: str = "",
    phase: str = "Succeeded",
) -> dict[str, Any]:
    status: dict[str, Any] = {
        "health": {"status": health, **({"message": message} if message else {})},
        "sync": {"status": sync, "revision": revision},
        "reconciledAt": reconciled_at,
        "operationState": {
            "phase": phase,
            "message": message or "successfully synced",
            "syncResult": {"revision": revision},
        },
    }
    if deployed_at is not None:
        status["history"] = [{"id": 1, "revision": revision, "deployedAt": deployed_at}]
    return status
