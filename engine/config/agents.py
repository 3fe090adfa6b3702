"""`cluster:` and `agent:` of an environment: where it runs and what reconciles it.

The schema checked the types and names; here what the schema cannot say: which name keys go
with which agent kind, and that `agent: {kind: promote}` has a kubernetes target to read.
Namespaces default as the agents install themselves: Flux's objects in `flux-system`, Argo CD's
Applications in `argocd` (unless `cluster: {namespace: ...}` says otherwise).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from promote.engine.errors import ConfigError, Location
from promote.engine.model import AgentSpec, ClusterSpec

Locate = Callable[[list[Any]], Location]

# kind → {key naming the object: the object's kind}
NAME_KEYS: dict[str, dict[str, str]] = {
    "flux": {"kustomization": "Kustomization", "helmrelease": "HelmRelease"},
    "argocd": {"application": "Application"},
    "promote": {},
}
DEFAULT_NAMESPACES = {"flux": "flux-system", "argocd": "argocd"}


def parse_cluster(node: Mapping[str, Any]) -> ClusterSpec | None:
    cluster = node.get("cluster")
    if cluster is None:
        return None
    return ClusterSpec(
        context=_text(cluster.get("context")),
        kubeconfig=_text(cluster.get("kubeconfig")),
        namespace=_text(cluster.get("namespace")),
    )


def parse_agent(
    node: Mapping[str, Any], cluster: ClusterSpec | None, locate: Locate
) -> AgentSpec | None:
    agent = node.get("agent")
    if agent is None:
        return None
    kind = str(agent["kind"])
    location = locate(["agent"])
    allowed = NAME_KEYS[kind]
    every_name_key = {key for keys in NAME_KEYS.values() for key in keys}
    foreign = sorted((set(agent) & every_name_key) - set(allowed))
    if foreign:
        raise ConfigError(
            f"agent {kind}: {foreign[0]!r} is not a key of this agent ({_expected(kind)})",
            location=locate(["agent", foreign[0]]),
        )
    given = [key for key in allowed if key in agent]
    if kind == "promote":
        return _promote_agent(node, location, locate)
    if len(given) != 1:
        problem = "give only one of" if given else "name its object with"
        raise ConfigError(f"agent {kind}: {problem} {_expected(kind)}", location=location)
    namespace = agent.get("namespace") or (cluster and cluster.namespace)
    return AgentSpec(
        kind,
        allowed[given[0]],
        str(agent[given[0]]),
        str(namespace or DEFAULT_NAMESPACES[kind]),
        location,
    )


def _promote_agent(node: Mapping[str, Any], location: Location, locate: Locate) -> AgentSpec:
    target = node.get("target") or {}
    if target.get("kind") != "kubernetes":
        raise ConfigError(
            "agent promote: reads the environment's own `target: {kind: kubernetes, ...}`, "
            "and this environment has none",
            location=location,
        )
    if "namespace" in node["agent"]:
        raise ConfigError(
            "agent promote: the namespace is the target's (`target: {namespace: ...}`)",
            location=locate(["agent", "namespace"]),
        )
    return AgentSpec("promote", location=location)


def _expected(kind: str) -> str:
    keys = NAME_KEYS[kind]
    if not keys:
        return "no object name: it reads its `target:`"
    return " or ".join(f"`{key}: NAME`" for key in keys)


def _text(value: Any) -> str | None:
    return None if value is None else str(value)
