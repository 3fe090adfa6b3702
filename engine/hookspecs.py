"""Every hook `promote` calls, in one place (like `_pytest/hookspec.py`).

Plugins implement them with `@engine.hookimpl`. Each docstring says how results combine.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pluggy

if TYPE_CHECKING:
    from promote.engine.interfaces import Gate, Renderer, Scm, Source, Target
    from promote.engine.model import Environment, Plan, Verdict
    from promote.engine.registry import Registry

hookspec = pluggy.HookspecMarker("promote")


@hookspec
def promote_register_sources(register: Registry[Source]) -> None:
    """Register version sources: ``register("kustomize-images", KustomizeImages())``.

    Every implementation is called; a name registered twice is a plugin error. All registered
    sources read every document of an environment, and their pins are combined.
    """


@hookspec
def promote_register_renderers(register: Registry[Renderer]) -> None:
    """Register renderers by the name used in an environment's ``renderer:`` key.

    Every implementation is called; a name registered twice is a plugin error.
    """


@hookspec
def promote_register_gates(register: Registry[Gate]) -> None:
    """Register gates by the key used in a ``gates:`` entry (``- soak: 30m`` → ``"soak"``).

    Every implementation is called; a name registered twice is a plugin error.
    """


@hookspec
def promote_register_targets(register: Registry[Target]) -> None:
    """Register reconciliation targets by the ``kind`` of an environment's ``target:``.

    Every implementation is called; a name registered twice is a plugin error.
    """


@hookspec
def promote_register_scms(register: Registry[Scm]) -> None:
    """Register code hosts by the ``provider`` of graph.yaml's ``scm:`` (``"github"``).

    Every implementation is called; a name registered twice is a plugin error. When ``scm:``
    names no provider, the first registered host (in registration order) whose
    ``settings_for_remote`` recognises the remote's URL is used.
    """


@hookspec
def promote_plan_ready(plan: Plan) -> None:
    """Observe a computed plan before gates run. All implementations are called; results ignored.

    An exception here aborts the promotion (exit 2) before anything is written.
    """


@hookspec
def promote_gates_evaluated(plan: Plan, verdicts: list[Verdict], environment: Environment) -> None:
    """Observe every gate verdict of a promotion attempt, blocked or not (`environment`: DST).

    All implementations are called; results ignored.
    """


@hookspec
def promote_promoted(
    plan: Plan,
    commit: str,
    promotion_id: str,
    environment: Environment,
    rollback_of: tuple[str, ...],
) -> None:
    """Observe a landed promotion commit (notifications, audit export). `environment`: DST;
    `rollback_of`: the Promote-Ids a rollback undoes (empty for a promotion).

    All implementations are called; results ignored. Raising does not undo the commit: it is
    reported as a warning, because the promotion is already recorded in Git.
    """


@hookspec
def promote_reconciled(environment: str, report: Any) -> None:
    """Observe the result of reconciling an environment (a target's report).

    All implementations are called; results ignored; raising is reported as a warning.
    """


@hookspec
def promote_verified(
    environment: Environment,
    promotion_id: str,
    commit: str,
    passed: bool,
    reason: str,
    verdicts: list[Verdict],
) -> None:
    """Observe the verification of a promotion into `environment` (`--wait`, `promote wait`):
    whether its agent reported the promoted commit applied and healthy and its `verify:` gates
    passed (`verdicts`); `reason` is what was seen; `commit` is the empty commit recording it.

    All implementations are called; results ignored. Raising does not change the outcome: it
    is reported as a warning, because the verification is already recorded in Git.
    """
