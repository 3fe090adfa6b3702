"""Status the controllers would write, so health checks see workloads become ready."""

from __future__ import annotations

from typing import Any

WORKLOAD_KINDS = {"Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job"}


def _condition(kind: str, status: bool, reason: str, now: str) -> dict[str, Any]:
    return {
        "type": kind,
        "status": "True" if status else "False",
        "reason": reason,
        "message": f"{kind} is {'' if status else 'not '}satisfied (simulated)",
        "lastTransitionTime": now,
        "lastUpdateTime": now,
    }


def _replica_status(obj: dict[str, Any], healthy: bool, now: str) -> dict[str, Any]:
    desired = obj.get("spec", {}).get("replicas", 1)
    ready = desired if healthy else 0
    status: dict[str, Any] = {
        "observedGeneration": obj["metadata"]["generation"],
        "replicas": desired,
        "updatedReplicas": desired,
        "readyReplicas": ready,
        "availableReplicas": ready,
    }
    if not healthy:
        status["unavailableReplicas"] = desired
    if obj["kind"] == "Deployment":
        status["conditions"] = [
            _condition("Available", healthy, "MinimumReplicasAvailable", now),
            _condition("Progressing", True, "NewReplicaSetAvailable", now),
        ]
    if obj["kind"] == "StatefulSet":
        status["currentReplicas"] = desired
    return status


def _daemonset_status(obj: dict[str, Any], healthy: bool) -> dict[str, Any]:
    ready = 1 if healthy else 0
    return {
        "observedGeneration": obj["metadata"]["generation"],
        "currentNumberScheduled": 1,
        "desiredNumberScheduled": 1,
        "numberAvailable": ready,
        "numberReady": ready,
        "updatedNumberScheduled": 1,
        "numberMisscheduled": 0,
        **({} if healthy else {"numberUnavailable": 1}),
    }


def _job_status(healthy: bool, now: str) -> dict[str, Any]:
    if not healthy:
        return {"active": 1, "startTime": now}
    complete = _condition("Complete", True, "Completed", now)
    complete.pop("lastUpdateTime")
    return {
        "startTime": now,
        "completionTime": now,
        "succeeded": 1,
        "conditions": [complete],
    }


def simulated_status(obj: dict[str, Any], healthy: bool, now: str) -> dict[str, Any] | None:
    kind = obj.get("kind")
    if kind in ("Deployment", "StatefulSet", "ReplicaSet"):
        return _replica_status(obj, healthy, now)
    if kind == "DaemonSet":
        return _daemonset_status(obj, healthy)
    if kind == "Job":
        return _job_status(healthy, now)
    if kind == "Namespace":
        return {"phase": "Active"}
    if kind == "CustomResourceDefinition":
        return _crd_status(obj, now)
    return None


def _crd_status(obj: dict[str, Any], now: str) -> dict[str, Any]:
    spec = obj.get("spec", {})
    names = dict(spec.get("names", {}))
    names.setdefault("singular", names.get("kind", "").lower())
    names.setdefault("listKind", f"{names.get('kind', '')}List")
    stored = [v["name"] for v in spec.get("versions", []) if v.get("storage")]
    conditions = [
        {"type": t, "status": "True", "reason": r, "message": m, "lastTransitionTime": now}
        for t, r, m in (
            ("NamesAccepted", "NoConflicts", "no conflicts found"),
            ("Established", "InitialNamesAccepted", "the initial names have been accepted"),
        )
    ]
    return {"acceptedNames": names, "conditions": conditions, "storedVersions": stored}
