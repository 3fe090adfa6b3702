"""When is an applied object healthy: workloads rolled out, Jobs complete, the rest present."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

WORKLOAD_KINDS = frozenset({"Deployment", "StatefulSet", "DaemonSet", "Job"})


@dataclass(frozen=True)
class Health:
    healthy: bool
    reason: str = ""
    final: bool = False  # no point waiting: it failed for good (Job failed, deadline exceeded)


def health_of(obj: dict[str, Any] | None) -> Health:
    if obj is None:
        return Health(False, "not found")
    kind = obj.get("kind")
    if kind == "Job":
        return _job(obj)
    if kind in WORKLOAD_KINDS:
        stale = _stale_generation(obj)
        if stale:
            return Health(False, stale)
        return {"Deployment": _deployment, "StatefulSet": _statefulset, "DaemonSet": _daemonset}[
            kind
        ](obj)
    return Health(True)


def _stale_generation(obj: dict[str, Any]) -> str:
    generation = (obj.get("metadata") or {}).get("generation") or 0
    observed = (obj.get("status") or {}).get("observedGeneration") or 0
    return "" if observed >= generation else "waiting for the controller to observe the change"


def _counts(status: dict[str, Any], wanted: int, **fields: str) -> Health:
    for label, field in fields.items():
        have = status.get(field) or 0
        if have < wanted:
            return Health(False, f"{have}/{wanted} {label}")
    return Health(True)


def _condition(obj: dict[str, Any], kind: str) -> dict[str, Any] | None:
    for cond in (obj.get("status") or {}).get("conditions") or []:
        if cond.get("type") == kind:
            return cond
    return None


def _deployment(obj: dict[str, Any]) -> Health:
    progressing = _condition(obj, "Progressing") or {}
    if progressing.get("reason") == "ProgressDeadlineExceeded":
        return Health(False, "progress deadline exceeded", final=True)
    wanted = (obj.get("spec") or {}).get("replicas", 1)
    return _counts(
        obj.get("status") or {}, wanted, updated="updatedReplicas", available="availableReplicas"
    )


def _statefulset(obj: dict[str, Any]) -> Health:
    wanted = (obj.get("spec") or {}).get("replicas", 1)
    return _counts(
        obj.get("status") or {}, wanted, ready="readyReplicas", updated="updatedReplicas"
    )


def _daemonset(obj: dict[str, Any]) -> Health:
    status = obj.get("status") or {}
    wanted = status.get("desiredNumberScheduled") or 0
    return _counts(status, wanted, updated="updatedNumberScheduled", available="numberAvailable")


def _job(obj: dict[str, Any]) -> Health:
    failed = _condition(obj, "Failed") or {}
    if failed.get("status") == "True":
        return Health(False, f"failed: {failed.get('reason') or failed.get('message')}", True)
    complete = _condition(obj, "Complete") or {}
    if complete.get("status") == "True":
        return Health(True)
    return Health(False, "not complete")
