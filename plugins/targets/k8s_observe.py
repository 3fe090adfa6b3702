"""What promote's own kubernetes target reports for `agent: {kind: promote}`: the commit its
inventory records as applied, when it was first applied, and whether the workloads it applied
are rolled out (the health rules the target itself waits for)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from promote.engine.interfaces import AgentObservation
from promote.plugins.targets.k8s_health import WORKLOAD_KINDS, health_of
from promote.plugins.targets.k8s_objects import (
    inventory_applied_at,
    inventory_name,
    read_inventory,
)

if TYPE_CHECKING:
    from promote.engine.reconcile.kube import KubeClient


def observe_inventory(kube: KubeClient, env: str, namespace: str) -> AgentObservation:
    from promote.engine.reconcile.agents import moment

    name = inventory_name(env)
    what = f"promote inventory {namespace}/{name}"
    live = kube.get(kube.resource("v1", "ConfigMap"), name, namespace)
    commit, refs = read_inventory(live)
    if commit is None:
        return AgentObservation(what, None, False, False, "nothing applied yet")
    since = moment(inventory_applied_at(live))
    problems = []
    for ref in sorted(r for r in refs if r.kind in WORKLOAD_KINDS):
        obj = kube.get(kube.resource(ref.api_version, ref.kind), ref.name, ref.namespace or None)
        health = health_of(obj)
        if not health.healthy:
            problems.append((f"{ref.kind} {ref.namespace}/{ref.name}: {health.reason}", health))
    if not problems:
        return AgentObservation(what, commit, True, False, "applied, workloads healthy", since)
    failed = any(health.final for _, health in problems)
    detail = "; ".join(text for text, _ in problems)
    message = "applied, a workload failed" if failed else "applied, workloads not ready"
    return AgentObservation(what, commit, False, failed, message, since, commit, detail)
