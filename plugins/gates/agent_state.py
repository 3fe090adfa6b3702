"""What SRC's agent reports about the commit being promoted: shared by the `healthy` gate and
`soak: {from: healthy}`.

"The commit" is where SRC lives (`GateContext.where`): the working tree's HEAD, or the tip of
SRC's branch or repository. An agent at another commit still counts when none of SRC's input
files differ between the two (a later commit that only promoted another environment).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from promote.engine.errors import PromoteError
from promote.engine.interfaces import AgentObservation, GateContext
from promote.engine.model import Environment


@dataclass(frozen=True)
class SrcHealth:
    state: str  # "healthy" | "failed" | "waiting" | "unknown" (the agent could not be read)
    commit: str
    reason: str
    observation: AgentObservation | None = None


def src_health(context: GateContext) -> SrcHealth:
    from promote.engine.reconcile.agents import at_what, describe, observe, state_at
    from promote.engine.versions.provenance import environment_inputs

    if context.plugins is None:
        raise RuntimeError("health gates need the loaded plugins in their context")
    src = context.src
    if src.name == context.dst.name:
        # A rollback (engine.promotion.rollback) pins ENV's own earlier versions: no other
        # environment ran them, and ENV's agent is likely failing, which is why it rolls back.
        reason = f"rollback of {src.name}: its earlier versions, no source environment to ask"
        return SrcHealth("healthy", "", reason)
    repo, tip, root = context.where(src.name)
    commit = repo.resolve(tip)
    try:
        observation = observe(context.plugins, src)
    except PromoteError as exc:
        return SrcHealth("unknown", commit, f"cannot read {src.name}'s agent: {exc}")
    state = state_at(observation, repo, commit, environment_inputs(root, src))
    reason = describe(observation, context.now, at_what(observation, commit))
    return SrcHealth(state, commit, reason, observation)


def missing_agents(env: Environment, environments: Mapping[str, Environment]) -> str | None:
    """A problem when an upstream of `env` (a SRC its gates will read) has no `agent:`."""
    for name in env.upstreams:
        upstream = environments.get(name)
        if upstream is not None and upstream.agent is None:
            return (
                f"reads the agent of {name!r}, which has no `agent:` "
                "(e.g. `agent: {kind: flux, kustomization: NAME}`)"
            )
    return None


def is_flag(options: Any) -> bool:
    """`- healthy: true`, `- healthy: {}` or `- healthy:` (no value)."""
    return options is True or options is None or options == {}
