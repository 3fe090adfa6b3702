"""`- healthy: true`: SRC's agent reports it Ready/Healthy at the commit being promoted.

Flux: `Ready=True` with `lastAppliedRevision` at the commit; Argo CD: `Healthy` and `Synced` at
the commit; promote's own target: its inventory's commit applied and its workloads rolled out
(engine.reconcile.agents). Still progressing, or at another commit: pending. A failure the
agent reports for the commit, or an agent that cannot be read: failed (fail closed).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from promote.engine.interfaces import GateContext
from promote.engine.model import Environment, Outcome, Verdict
from promote.engine.plugins import hookimpl
from promote.plugins.gates.agent_state import is_flag, missing_agents, src_health

NAME = "healthy"
OUTCOMES = {
    "healthy": Outcome.PASSED,
    "waiting": Outcome.PENDING,
    "failed": Outcome.FAILED,
    "unknown": Outcome.FAILED,
}


class Healthy:
    def check_options(self, options: Any) -> str | None:
        if is_flag(options):
            return None
        return "takes no options: write `- healthy: true`"

    def check_placement(
        self, options: Any, env: Environment, environments: Mapping[str, Environment]
    ) -> str | None:
        return missing_agents(env, environments)

    def evaluate(self, context: GateContext, options: Any) -> Verdict:
        health = src_health(context)
        return Verdict(NAME, OUTCOMES[health.state], health.reason)


@hookimpl
def promote_register_gates(register) -> None:
    register(NAME, Healthy())
