"""Verify a promotion: wait until DST's agent reports the promoted commit applied and healthy,
run DST's `verify:` gates, and record the outcome as an empty commit where DST lives.

    verify(prod): passed for 20261124T070102Z-3f9a1c

    Promote-Verified-For: 20261124T070102Z-3f9a1c
    Promote-Verification: passed: Kustomization flux-system/prod Ready=True: … at 0a1b2c3d4e5f
    Promote-Gate: command passed: smoke test ok

The agent's failure (Flux `Ready=False` at the commit, Argo CD `Degraded` or a failed sync) ends
the wait at once, with the agent's own message; so does the timeout, with the last thing seen.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from promote.engine.errors import PromoteError
from promote.engine.gates.gating import blocking, current_time, evaluate_verify, gate_context
from promote.engine.model import ArtifactRef, Change, Plan, Verdict
from promote.engine.plugins import notify
from promote.engine.promotion.trailers import PromotionRecord, verification_message
from promote.engine.session import Session

POLL_SECONDS = (0.5, 1.0, 2.0)  # then every 2 s, like `flux reconcile --timeout` polls
Progress = Callable[[str], None]


@dataclass
class Verification:
    env: str
    commit: str  # the commit of DST waited for
    state: str  # "healthy" | "failed" | "timeout"
    reason: str  # what the agent reported last
    verdicts: list[Verdict] = field(default_factory=list)  # of `verify:` (only once healthy)
    promotion_id: str | None = None
    recorded: str | None = None  # the commit recording the outcome

    @property
    def passed(self) -> bool:
        return self.state == "healthy" and not blocking(self.verdicts)

    @property
    def summary(self) -> str:
        if self.state == "healthy" and not self.passed:
            failed = "; ".join(f"{v.gate}: {v.reason}" for v in blocking(self.verdicts))
            return f"verify gate failed: {failed}"
        return self.reason


def wait_healthy(
    session: Session, env_name: str, timeout: float, progress: Progress
) -> tuple[str, str, str]:
    """(state, reason, commit): poll DST's agent until it runs DST's commit healthily, reports
    it failed, or `timeout` seconds pass. An unreachable cluster is waited out too."""
    from promote.engine.reconcile.agents import at_what, describe, observe, state_at
    from promote.engine.reconcile.kube import KubeError
    from promote.engine.versions.provenance import environment_inputs

    env = session.environment(env_name)
    place = session.places.of(env)
    paths = environment_inputs(place.root, env)
    deadline = time.monotonic() + timeout
    attempt, reason = 0, ""
    while True:
        try:
            observation = observe(session.plugins, env)
        except KubeError as exc:
            if not exc.transient:
                return "failed", f"cannot read {env_name}'s agent: {exc}", place.commit
            reason = f"cannot read {env_name}'s agent: {exc}"
        else:
            state = state_at(observation, place.repo, place.commit, paths)
            reason = describe(observation, current_time(), at_what(observation, place.commit))
            if state != "waiting":
                return state, reason, place.commit
        left = deadline - time.monotonic()
        if left <= 0:
            return "timeout", reason, place.commit
        progress(f"waiting for {env_name} ({int(left)}s left): {reason}")
        time.sleep(min(POLL_SECONDS[min(attempt, len(POLL_SECONDS) - 1)], left))
        attempt += 1


def verify(
    session: Session,
    env_name: str,
    plan: Plan,
    promotion_id: str | None,
    *,
    timeout: float,
    progress: Progress,
    run_hooks: bool = True,
) -> Verification:
    """Wait, run `verify:`, record and notify. Recorded only for a known promotion."""
    session.places.forget()  # DST's branch may have moved: the promotion landed there
    state, reason, commit = wait_healthy(session, env_name, timeout, progress)
    if state == "timeout":
        reason = f"timed out after {_shown(timeout)}: {reason}"
    result = Verification(env_name, commit, state, reason, promotion_id=promotion_id)
    if state == "healthy":
        result.verdicts = evaluate_verify(session, gate_context(session, plan))
    if promotion_id is not None:
        result.recorded = _record(session, result, run_hooks=run_hooks)
        _notify(session, result)
    return result


def _shown(seconds: float) -> str:
    from datetime import timedelta

    from promote.engine.config.durations import format_duration

    return format_duration(timedelta(seconds=seconds))


def _record(session: Session, result: Verification, *, run_hooks: bool) -> str:
    from promote.engine.promotion.elsewhere import record_decision

    assert result.promotion_id is not None
    text = verification_message(
        result.env, result.promotion_id, result.passed, result.summary, tuple(result.verdicts)
    )
    place = session.places.of(session.environment(result.env))
    return record_decision(place, session.repo, text, run_hooks=run_hooks)


def _notify(session: Session, result: Verification) -> None:
    try:
        notify(
            session.plugins.pm,
            "promote_verified",
            environment=session.environment(result.env),
            promotion_id=result.promotion_id,
            commit=result.recorded,
            passed=result.passed,
            reason=result.summary,
            verdicts=list(result.verdicts),
        )
    except PromoteError as exc:  # recorded already; a notifier cannot undo it
        print(f"promote: warning: {exc}", file=sys.stderr)


def last_promotion(session: Session, env_name: str) -> PromotionRecord | None:
    from promote.engine.status import history_everywhere

    return next((r for r in history_everywhere(session) if r.dst == env_name), None)


def plan_of(session: Session, env_name: str, record: PromotionRecord | None) -> Plan:
    """The plan a recorded promotion carried out, as `verify:` gates read it (a command gate
    gets it on stdin); without a promotion, an empty one."""
    if record is None:
        return Plan(env_name, env_name, session.places.of(session.environment(env_name)).commit, ())
    changes = tuple(
        Change(ArtifactRef(a.kind, a.name), a.old, a.new, (), "pin") for a in record.artifacts
    )
    src = record.src if record.src in session.graph.environments else env_name
    return Plan(src, env_name, record.source_commit, changes)
