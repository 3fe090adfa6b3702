"""`promote SRC DST`: plan, gate, edit DST's own files, re-render, and commit once per hop."""

from __future__ import annotations

import dataclasses
import sys
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from itertools import pairwise
from typing import Protocol

from promote.engine.errors import (
    BranchMoved,
    GateBlocked,
    PromoteError,
    RepositoryError,
    UsageError,
)
from promote.engine.gates.freezes import FROZEN
from promote.engine.gates.gating import blocking, committed_versions, evaluate_gates, gate_context
from promote.engine.model import ArtifactRef, Environment, Outcome, Plan, Verdict
from promote.engine.plugins import notify
from promote.engine.promotion.elsewhere import land_elsewhere
from promote.engine.promotion.landing import land, recover_interrupted
from promote.engine.promotion.locking import DEFAULT_WAIT_SECONDS, repository_lock
from promote.engine.promotion.planner import make_plan
from promote.engine.promotion.pullrequests import Opened, open_pull_request
from promote.engine.promotion.pushing import catch_up_before_planning, publish
from promote.engine.promotion.trailers import Decisions, message, new_promotion_id
from promote.engine.session import Session
from promote.engine.versions.state import EnvState, read_states

REPLAN_ATTEMPTS = 3
LOCK_WAIT_NOTICE_SECONDS = 0.5  # queueing behind another run is worth a word


@dataclass(frozen=True)
class PromoteOptions:
    only: tuple[str, ...] = ()
    via: str | None = None
    dry_run: bool = False
    force: bool = False
    reason: str | None = None
    wait_lock: float = DEFAULT_WAIT_SECONDS
    push: bool = False
    keep_local: bool = False
    pr: bool = False  # open a pull request instead of moving the branch (pullrequests.py)
    detached_ok: bool = False
    no_verify: bool = False  # skip the user's pre-commit and commit-msg hooks, like git's flag
    rollback_of: tuple[str, ...] = ()  # a rollback: the Promote-Ids it undoes (rollback.py)


@dataclass(frozen=True)
class HopResult:
    plan: Plan
    verdicts: tuple[Verdict, ...]
    # "promoted" | "pr-opened" | "pr-already-open" | "unchanged" | "dry-run" | "blocked"
    # | "declined"
    status: str
    commit: str | None = None
    promotion_id: str | None = None
    forced: bool = False
    pushed_to: str | None = None  # "origin/main" once `--push` published it
    pull_request: Opened | None = None  # with `--pr`


class Reporter(Protocol):
    def plan(self, plan: Plan) -> None: ...
    def verdicts(self, plan: Plan, verdicts: Sequence[Verdict]) -> None: ...
    def confirm(self, plan: Plan) -> bool: ...


@dataclass(frozen=True)
class _Walk:
    """What every hop of one `promote SRC DST` run shares."""

    session: Session
    options: PromoteOptions
    reporter: Reporter


def promote(
    session: Session, src: str, dst: str, options: PromoteOptions, reporter: Reporter
) -> list[HopResult]:
    """Walk the unique shortest path hop by hop; stop at the first hop that does not land."""
    path = session.graph.path(src, dst, options.via)
    _refuse_to_start(session, options, path)
    session.places.fetch = options.push  # a branch elsewhere is caught up with its remote too
    walk = _Walk(session, options, reporter)
    results: list[HopResult] = []
    carried: dict | None = None
    for hop_src, hop_dst in pairwise(path):
        result, carried = _locked_hop(walk, path, hop_src, hop_dst, carried)
        results.append(result)
        if result.status in ("blocked", "declined"):
            break
    return results


def _refuse_to_start(session: Session, options: PromoteOptions, path: list[str]) -> None:
    if options.force and not options.reason:
        raise UsageError("--force needs --reason TEXT: a bypass is always recorded with its reason")
    if options.pr and (options.push or len(path) > 2):
        raise UsageError(
            "--pr opens one pull request for one hop (SRC an upstream of DST), without --push"
        )
    into_worktree = any(session.places.in_worktree(session.environment(n)) for n in path[1:])
    if options.pr and not into_worktree:
        raise UsageError(
            f"--pr opens pull requests against the checked-out branch; {path[-1]!r} lives on "
            f"{session.environment(path[-1]).where()} (not supported yet)"
        )
    if into_worktree and not (options.dry_run or options.detached_ok) and not session.repo.branch():
        raise RepositoryError(
            "HEAD is detached: a promotion commit would belong to no branch; check out the "
            "branch to promote on, or pass --detached-ok"
        )


def _locked_hop(
    walk: _Walk, path: list[str], src: str, dst: str, carried: dict | None
) -> tuple[HopResult, dict | None]:
    """Plan, gates and write of one hop under the repository's lock, so that two promotions
    never plan on the same tree and both commit."""
    session = walk.session
    with ready_to_write(session, [session.environment(name) for name in path], walk.options):
        return _hop_and_publish(walk, src, dst, carried)


@contextmanager
def ready_to_write(
    session: Session, environments: Sequence[Environment], options: PromoteOptions
) -> Iterator[None]:
    """Hold the repository's lock, with an interrupted promotion finished and nothing in the
    way of a commit (Git's index lock, uncommitted files of `environments`): what every write
    of a promotion or a rollback starts from."""
    with repository_lock(session.repo.git_dir, options.wait_lock) as waited:
        if waited >= LOCK_WAIT_NOTICE_SECONDS:
            print(f"promote: waited {waited:.1f}s for the repository lock", file=sys.stderr)
        recover_interrupted(session)
        session.repo.refuse_index_lock()
        refuse_dirty(session, environments)
        yield


def _hop_and_publish(
    walk: _Walk, src: str, dst: str, carried: dict | None
) -> tuple[HopResult, dict | None]:
    """The hop, and with `--push` the fetch before it and the push after it."""
    session, options = walk.session, walk.options
    elsewhere = not session.places.in_worktree(session.environment(dst))
    if not options.push or options.dry_run or elsewhere:  # elsewhere: landing is the push
        return _hop_until_landed(walk, src, dst, carried)
    remote = catch_up_before_planning(session)
    result, carried = _hop_until_landed(walk, src, dst, carried)
    if result.status not in ("promoted", "unchanged"):
        return result, carried

    def replan() -> HopResult:
        return _hop_until_landed(walk, src, dst, None)[0]

    pushed = publish(
        session,
        remote,
        result,
        replan,
        attempts=session.config.push_attempts,
        keep_local=options.keep_local,
    )
    return dataclasses.replace(pushed, pushed_to=str(remote)), carried


def _hop_until_landed(
    walk: _Walk, src: str, dst: str, carried: dict | None
) -> tuple[HopResult, dict | None]:
    """A hop whose branch moved between plan and commit is planned (and gated) again."""
    for _attempt in range(REPLAN_ATTEMPTS - 1):
        try:
            return _hop(walk, src, dst, carried)
        except BranchMoved as exc:
            print(f"promote: {exc.message}; planning again", file=sys.stderr)
    return _hop(walk, src, dst, carried)


def refuse_dirty(session: Session, environments: Sequence[Environment]) -> None:
    """Uncommitted files of environments read from the working tree would be promoted as if
    committed (those on other branches and repositories are read from commits)."""
    local = [env for env in environments if session.places.in_worktree(env)]
    if not local:
        return
    dirty = session.repo.dirty_paths(env.path for env in local)
    if dirty:
        shown = ", ".join(dirty[:5]) + (" …" if len(dirty) > 5 else "")
        raise RepositoryError(
            f"uncommitted changes under the environments' paths: {shown}; "
            "commit or stash them first"
        )


def _hop(walk: _Walk, src: str, dst: str, carried: dict | None) -> tuple[HopResult, dict | None]:
    session, options, reporter = walk.session, walk.options, walk.reporter
    plan, src_state, dst_state = plan_hop(session, src, dst, options.only, carried)
    next_carry = src_state.versions if options.dry_run else None
    # Only gates read these (it costs a `git status`), and versions carried over from a dry run
    # are not what SRC's commit holds.
    gated = not plan.empty and bool(dst_state.env.gates)
    src_versions = committed_versions(session, src_state) if gated and carried is None else None
    del src_state  # a monorepo's state is large: the memory is the commit's check's from here
    result = gate_and_land(session, plan, dst_state, options, reporter, src_versions)
    return result, next_carry


def gate_and_land(
    session: Session,
    plan: Plan,
    dst_state: EnvState,
    options: PromoteOptions,
    reporter: Reporter,
    src_versions: Mapping[ArtifactRef, str] | None = None,
) -> HopResult:
    """Everything after planning, the same for a promotion and a rollback (rollback.py).
    `src_versions`: SRC's versions as its commit holds them, when the plan read exactly that
    (engine.gates.gating.committed_versions), for the gates."""
    notify(session.plugins.pm, "promote_plan_ready", plan=plan)
    reporter.plan(plan)
    if plan.empty:
        return HopResult(plan, (), "unchanged")
    context = gate_context(session, plan, src_versions=src_versions)
    verdicts = evaluate_gates(session, context, rollback=bool(options.rollback_of))
    notify(
        session.plugins.pm,
        "promote_gates_evaluated",
        plan=plan,
        verdicts=verdicts,
        environment=context.dst,
    )
    reporter.verdicts(plan, verdicts)
    stopped = _stop_before_writing(
        plan, _blocking(verdicts, options), options, context.dst, reporter
    )
    if stopped is not None:
        return HopResult(plan, tuple(verdicts), stopped)
    return _land_hop(session, plan, dst_state, context.now, verdicts, options)


def plan_hop(
    session: Session,
    src: str,
    dst: str,
    only: Sequence[str] = (),
    carried: dict | None = None,
) -> tuple[Plan, EnvState, EnvState]:
    """The plan of one hop from where both environments live, with their states."""
    # Each tree's commit before its files: a commit landing in between makes the landing's
    # compare-and-swap fail instead of mixing a newer tree into a commit on an older base.
    session.places.forget()
    src_env, dst_env = session.environment(src), session.environment(dst)
    src_place, dst_place = session.places.of(src_env), session.places.of(dst_env)
    src_state, dst_state = read_states(
        session.plugins, [(src_place.root, src_env), (dst_place.root, dst_env)]
    )
    if carried is not None:  # a dry run did not land the previous hop: carry its versions on
        src_state = _with_carried(src_state, carried)
    plan = make_plan(session.plugins, src_state, dst_state, src_place.commit, only)
    plan = dataclasses.replace(
        plan,
        base_commit=dst_place.commit,
        source_repo=session.places.source_repo(src_place, dst_place),
    )
    return plan, src_state, dst_state


def _stop_before_writing(
    plan: Plan,
    blocked: list[Verdict],
    options: PromoteOptions,
    dst: Environment,
    reporter: Reporter,
) -> str | None:
    """Why this hop ends without a commit ("blocked", "dry-run", "declined"), or None."""
    if blocked and (not options.force or any(v.gate == FROZEN for v in blocked)):
        return "blocked"  # --force bypasses gates, not a person's freeze (engine.gates.freezes)
    if blocked and not dst.allow_force:
        raise GateBlocked(f"environment {dst.name!r} does not allow --force (allow_force: false)")
    if options.dry_run:
        return "dry-run"
    if not reporter.confirm(plan):
        return "declined"
    return None


def _blocking(verdicts: list[Verdict], options: PromoteOptions) -> list[Verdict]:
    """A pull request is a proposal: a pending gate (approvals, soak) may pass before the merge,
    which evaluates every gate again; only a failed gate keeps it from being opened."""
    return [v for v in blocking(verdicts) if not (options.pr and v.outcome is Outcome.PENDING)]


def _land_hop(
    session: Session,
    plan: Plan,
    dst_state: EnvState,
    now: datetime,
    verdicts: list[Verdict],
    options: PromoteOptions,
) -> HopResult:
    forced = bool(_blocking(verdicts, options))
    decisions = Decisions(
        verdicts=tuple(verdicts),
        approvers=tuple(dict.fromkeys(a for v in verdicts for a in v.approvers)),
        forced_reason=options.reason if forced else None,
        rollback_of=options.rollback_of,
    )
    promotion_id = new_promotion_id(now)
    if options.pr:
        text = message(plan, promotion_id, decisions)
        opened = open_pull_request(session, plan, dst_state, text, promotion_id, verdicts)
        status = "pr-already-open" if opened.already_open else "pr-opened"
        return HopResult(
            plan, tuple(verdicts), status, opened.commit, opened.promotion_id, forced, None, opened
        )
    text = message(plan, promotion_id, decisions)
    place = session.places.of(dst_state.env)
    pushed_to = None
    if place.checked_out:
        run_hooks = not options.no_verify
        commit = land(session, plan, dst_state.env, text, plan.base_commit, run_hooks=run_hooks)
    else:
        commit, pushed_to = land_elsewhere(
            session, plan, dst_state.env, place, text, push=options.push
        )
    _notify_promoted(session, plan, dst_state.env, commit, promotion_id, options.rollback_of)
    return HopResult(plan, tuple(verdicts), "promoted", commit, promotion_id, forced, pushed_to)


def _with_carried(state: EnvState, carried: dict) -> EnvState:
    versions = dict(state.versions)
    versions.update({ref: v for ref, v in carried.items() if ref in versions})
    return dataclasses.replace(state, versions=versions)


def _notify_promoted(
    session: Session,
    plan: Plan,
    dst: Environment,
    commit: str,
    promotion_id: str,
    rollback_of: tuple[str, ...],
) -> None:
    try:
        notify(
            session.plugins.pm,
            "promote_promoted",
            plan=plan,
            commit=commit,
            promotion_id=promotion_id,
            environment=dst,
            rollback_of=rollback_of,
        )
    except PromoteError as exc:  # the commit has landed; a notifier cannot undo it
        print(f"promote: warning: {exc}", file=sys.stderr)


__all__ = [
    "HopResult",
    "PromoteOptions",
    "Reporter",
    "gate_and_land",
    "plan_hop",
    "promote",
    "refuse_dirty",
]
