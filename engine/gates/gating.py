"""Evaluate every gate configured on the destination. A gate that raises has failed."""

from __future__ import annotations

import hashlib
import json
import os
import signal
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from promote.engine.errors import UsageError
from promote.engine.gates.freezes import frozen_verdict
from promote.engine.interfaces import GateContext
from promote.engine.model import ArtifactRef, Outcome, Plan, Verdict
from promote.engine.session import Session

if TYPE_CHECKING:
    from promote.engine.versions.state import EnvState


def plan_hash(plan: Plan) -> str:
    """Identifies *what* is promoted (not when): approvals are bound to it."""
    canonical = {
        "from": plan.src,
        "to": plan.dst,
        "changes": sorted([c.ref.kind, c.ref.name, c.old, c.new] for c in plan.changes),
    }
    return hashlib.sha256(json.dumps(canonical, sort_keys=True).encode()).hexdigest()[:16]


NOW_ENV = "PROMOTE_NOW"  # an ISO timestamp: tests and "would this pass on Friday?" questions


def current_time() -> datetime:
    """The time gates judge by: $PROMOTE_NOW when set (timezone-aware), else the clock."""
    configured = os.environ.get(NOW_ENV)
    if not configured:
        return datetime.now(UTC)
    try:
        moment = datetime.fromisoformat(configured)
    except ValueError:
        raise UsageError(
            f"{NOW_ENV}={configured!r} is not an ISO timestamp (e.g. 2026-03-02T10:00:00+01:00)"
        ) from None
    # A naive timestamp is read as UTC so that the same value means the same instant anywhere.
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def gate_context(
    session: Session,
    plan: Plan,
    now: datetime | None = None,
    src_versions: Mapping[ArtifactRef, str] | None = None,
) -> GateContext:
    """`src_versions`: SRC's versions as its commit holds them (`committed_versions`)."""
    _name, email = session.repo.identity()
    return GateContext(
        src=session.environment(plan.src),
        dst=session.environment(plan.dst),
        plan=plan,
        repo=session.repo,
        promoter=email,
        now=now or current_time(),
        environments=session.graph.environments,
        plan_hash=plan_hash(plan),
        plugins=session.plugins,
        place=lambda name: session.places.of(session.environment(name)),
        src_versions=src_versions,
    )


def committed_versions(session: Session, state: EnvState) -> dict[ArtifactRef, str] | None:
    """SRC's versions as the plan read them, when that is what SRC's commit holds: its tree was
    exported from that commit, or no file among its inputs differs from HEAD."""
    if not session.places.of(state.env).checked_out:
        return state.versions
    from promote.engine.versions.provenance import environment_inputs

    inputs = environment_inputs(session.root, state.env)
    if not inputs or session.repo.dirty_paths(inputs):
        return None
    return state.versions


def evaluate_gates(
    session: Session, context: GateContext, *, rollback: bool = False
) -> list[Verdict]:
    """DST's gates, after the built-in freeze check. A rollback is never frozen, and skips the
    gates DST's `rollback_skips` names (engine.promotion.rollback)."""
    specs = context.dst.gates
    if rollback:
        specs = tuple(spec for spec in specs if spec.name not in context.dst.rollback_skips)
    frozen = None if rollback else frozen_verdict(context)
    verdicts = [_evaluate(session, context, spec.name, spec.options) for spec in specs]
    return [frozen, *verdicts] if frozen else verdicts


def evaluate_verify(session: Session, context: GateContext) -> list[Verdict]:
    """DST's `verify:` gates, once a promotion into it is applied and healthy."""
    return [_evaluate(session, context, spec.name, spec.options) for spec in context.dst.verify]


def _evaluate(session: Session, context: GateContext, name: str, options: object) -> Verdict:
    gate = session.plugins.gates.get(name)
    try:
        with _user_interrupts() as interrupted:
            verdict = gate.evaluate(context, options)
    except (Exception, KeyboardInterrupt, SystemExit) as exc:
        if isinstance(exc, KeyboardInterrupt) and interrupted:
            raise  # the user's Ctrl-C stops the promotion; a gate's own raise only fails it
        plugin = session.plugins.gates.plugin_of(name)
        return Verdict(
            name, Outcome.FAILED, f"gate raised {type(exc).__name__}: {exc} (plugin {plugin})"
        )
    if not isinstance(verdict, Verdict):
        plugin = session.plugins.gates.plugin_of(name)
        return Verdict(
            name,
            Outcome.FAILED,
            f"gate returned {type(verdict).__name__}, not a Verdict (plugin {plugin})",
        )
    return verdict


@contextmanager
def _user_interrupts() -> Iterator[list[int]]:
    """Records a real SIGINT (Ctrl-C) while a gate runs, to tell it from a KeyboardInterrupt
    that the gate raises itself (a `sys.exit()` or stray `raise KeyboardInterrupt` in a plugin)."""
    received: list[int] = []
    main = threading.current_thread() is threading.main_thread()
    if not main or signal.getsignal(signal.SIGINT) is not signal.default_int_handler:
        yield received
        return

    def record(signum: int, frame: object) -> None:
        received.append(signum)
        raise KeyboardInterrupt

    signal.signal(signal.SIGINT, record)
    try:
        yield received
    finally:
        signal.signal(signal.SIGINT, signal.default_int_handler)


def blocking(verdicts: list[Verdict]) -> list[Verdict]:
    return [v for v in verdicts if not v.passed]
