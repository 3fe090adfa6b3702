"""`promote SRC DST`: plan, gate, edit DST's own files, re-render, and commit once per hop."""

from __future__ import annotations

import dataclasses
import os
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from itertools import pairwise
from pathlib import Path, PurePosixPath
from typing import Protocol

from engine.errors import GateBlocked, PromoteError, RenderError, RepositoryError, UsageError
from engine.gating import blocking, evaluate_gates, gate_context
from engine.model import Environment, Plan, Verdict
from engine.planner import make_plan
from engine.plugins import notify
from engine.session import Session
from engine.state import EnvState, read_state, read_states
from engine.trailers import Decisions, message, new_promotion_id


@dataclass(frozen=True)
class PromoteOptions:
    only: tuple[str, ...] = ()
    via: str | None = None
    dry_run: bool = False
    force: bool = False
    reason: str | None = None


@dataclass(frozen=True)
class HopResult:
    plan: Plan
    verdicts: tuple[Verdict, ...]
    status: str  # "promoted" | "unchanged" | "dry-run" | "blocked" | "declined"
    commit: str | None = None
    promotion_id: str | None = None
    forced: bool = False


class Reporter(Protocol):
    def plan(self, plan: Plan) -> None: ...
    def verdicts(self, plan: Plan, verdicts: Sequence[Verdict]) -> None: ...
    def confirm(self, plan: Plan) -> bool: ...


def promote(
    session: Session, src: str, dst: str, options: PromoteOptions, reporter: Reporter
) -> list[HopResult]:
    """Walk the unique shortest path hop by hop; stop at the first hop that does not land."""
    if options.force and not options.reason:
        raise UsageError("--force needs --reason TEXT: a bypass is always recorded with its reason")
    path = session.graph.path(src, dst, options.via)
    refuse_dirty(session, [session.environment(name) for name in path])
    results: list[HopResult] = []
    carried: dict | None = None
    for hop_src, hop_dst in pairwise(path):
        result, carried = _hop(session, hop_src, hop_dst, options, reporter, carried)
        results.append(result)
        if result.status in ("blocked", "declined"):
            break
    return results


def refuse_dirty(session: Session, environments: Sequence[Environment]) -> None:
    dirty = session.repo.dirty_paths(env.path for env in environments)
    if dirty:
        shown = ", ".join(dirty[:5]) + (" …" if len(dirty) > 5 else "")
        raise RepositoryError(
            f"uncommitted changes under the environments' paths: {shown}; "
            "commit or stash them first"
        )


def _hop(
    session: Session,
    src: str,
    dst: str,
    options: PromoteOptions,
    reporter: Reporter,
    carried: dict | None,
) -> tuple[HopResult, dict | None]:
    plan, src_state, dst_state = plan_hop(session, src, dst, options.only, carried)
    notify(session.plugins.pm, "promote_plan_ready", plan=plan)
    reporter.plan(plan)
    next_carry = src_state.versions if options.dry_run else None
    if plan.empty:
        return HopResult(plan, (), "unchanged"), next_carry
    context = gate_context(session, plan)
    verdicts = evaluate_gates(session, context)
    notify(session.plugins.pm, "promote_gates_evaluated", plan=plan, verdicts=verdicts)
    reporter.verdicts(plan, verdicts)
    stopped = _stop_before_writing(plan, blocking(verdicts), options, context.dst, reporter)
    if stopped is not None:
        return HopResult(plan, tuple(verdicts), stopped), next_carry
    return _land_hop(session, plan, dst_state, context.now, verdicts, options), None


def plan_hop(
    session: Session,
    src: str,
    dst: str,
    only: Sequence[str] = (),
    carried: dict | None = None,
) -> tuple[Plan, EnvState, EnvState]:
    """The plan of one hop from the working tree, with both environments' states."""
    src_state, dst_state = read_states(
        session.plugins, session.root, [session.environment(src), session.environment(dst)]
    )
    if carried is not None:  # a dry run did not land the previous hop: carry its versions on
        src_state = _with_carried(src_state, carried)
    plan = make_plan(session.plugins, src_state, dst_state, session.repo.head(), only)
    return plan, src_state, dst_state


def _stop_before_writing(
    plan: Plan,
    blocked: list[Verdict],
    options: PromoteOptions,
    dst: Environment,
    reporter: Reporter,
) -> str | None:
    """Why this hop ends without a commit ("blocked", "dry-run", "declined"), or None."""
    if blocked and not options.force:
        return "blocked"
    if blocked and not dst.allow_force:
        raise GateBlocked(f"environment {dst.name!r} does not allow --force (allow_force: false)")
    if options.dry_run:
        return "dry-run"
    if not reporter.confirm(plan):
        return "declined"
    return None


def _land_hop(
    session: Session,
    plan: Plan,
    dst_state: EnvState,
    now: datetime,
    verdicts: list[Verdict],
    options: PromoteOptions,
) -> HopResult:
    forced = bool(blocking(verdicts))
    decisions = Decisions(
        verdicts=tuple(verdicts),
        approvers=tuple(dict.fromkeys(a for v in verdicts for a in v.approvers)),
        forced_reason=options.reason if forced else None,
    )
    promotion_id = new_promotion_id(now)
    commit = land(session, plan, dst_state, message(plan, promotion_id, decisions))
    _notify_promoted(session, plan, commit, promotion_id)
    return HopResult(plan, tuple(verdicts), "promoted", commit, promotion_id, forced)


def _with_carried(state: EnvState, carried: dict) -> EnvState:
    versions = dict(state.versions)
    versions.update({ref: v for ref, v in carried.items() if ref in versions})
    return dataclasses.replace(state, versions=versions)


def land(session: Session, plan: Plan, dst_state: EnvState, commit_message: str) -> str:
    """Write the edits, check DST renders the new versions, and commit. All or nothing."""
    dst = dst_state.env
    originals = {f.path: f.text for f in dst_state.files.files}
    new_texts = dict(plan.texts)
    _refuse_outside(dst, list(new_texts))
    try:
        _write_all(session.root, new_texts)
        _verify(session, dst, plan)
        return session.repo.commit_files(sorted(new_texts), commit_message)
    except BaseException:
        session.repo.unstage(sorted(new_texts))
        _write_all(session.root, {p: originals[p] for p in new_texts if p in originals})
        for created in (p for p in new_texts if p not in originals):
            (session.root / created).unlink(missing_ok=True)
        raise


def _refuse_outside(dst: Environment, files: Sequence[PurePosixPath]) -> None:
    for file in files:
        if not file.is_relative_to(dst.path) or ".." in file.parts:
            raise PromoteError(
                f"refusing to edit {file}: it is outside {dst.name}'s path {dst.path}"
            )


def _write_all(root: Path, texts: dict[PurePosixPath, str]) -> None:
    for path, text in texts.items():
        target = root / path
        fd, temporary = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.")
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            handle.write(text)
        if target.exists():
            os.chmod(temporary, target.stat().st_mode & 0o777)
        else:
            os.chmod(temporary, 0o644)
        os.replace(temporary, target)


def _verify(session: Session, dst: Environment, plan: Plan) -> None:
    try:
        state = read_state(session.plugins, session.root, dst)
    except PromoteError as exc:
        raise RenderError(
            f"after the edits {dst.name!r} no longer renders; nothing was changed: {exc}"
        ) from None
    for change in plan.changes:
        now = state.versions.get(change.ref)
        if now != change.new:
            raise RenderError(
                f"after the edits {dst.name!r} renders {change.ref} at {now}, not {change.new}; "
                "nothing was changed"
            )


def _notify_promoted(session: Session, plan: Plan, commit: str, promotion_id: str) -> None:
    try:
        notify(
            session.plugins.pm,
            "promote_promoted",
            plan=plan,
            commit=commit,
            promotion_id=promotion_id,
        )
    except PromoteError as exc:  # the commit has landed; a notifier cannot undo it
        print(f"promote: warning: {exc}", file=sys.stderr)


__all__ = [
    "HopResult",
    "PromoteOptions",
    "Reporter",
    "land",
    "plan_hop",
    "promote",
    "refuse_dirty",
]
