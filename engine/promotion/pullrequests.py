"""Promotions reviewed as pull requests: `promote SRC DST --pr`, `promote pr status|merge`.

Opening one builds the promotion commit exactly as landing does (same message and trailers, in a
temporary index, verified by rendering it) and pushes it to a new branch
`promote/<dst>/<Promote-Id>`; the user's branch, index and working tree are never touched.
Merging evaluates DST's gates again against the pull request's head (its plan, now, with the
provider's reviews) and asks the provider to merge exactly that head.
"""

from __future__ import annotations

import dataclasses
import re
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from promote.engine.errors import (
    GateBlocked,
    PromoteError,
    PushFailed,
    RepositoryError,
    ScmError,
    UsageError,
)
from promote.engine.gates.gating import blocking, evaluate_gates, gate_context
from promote.engine.interfaces import PullRequest, PullRequests, ReviewState
from promote.engine.model import Environment, Plan, Verdict
from promote.engine.promotion.landing import build_commit
from promote.engine.promotion.planner import make_plan
from promote.engine.promotion.prbody import pull_request_body, rendered_diff
from promote.engine.promotion.pushing import Remote
from promote.engine.promotion.trailers import ARTIFACT, FROM, ID, TO
from promote.engine.repository.scm import connect
from promote.engine.session import Session
from promote.engine.versions.state import EnvState, read_states

BRANCH_PREFIX = "promote/"


@dataclass(frozen=True)
class Opened:
    pull_request: PullRequest
    branch: str
    commit: str
    promotion_id: str
    already_open: bool = False  # an open pull request already proposes exactly these changes


@dataclass(frozen=True)
class Assessment:
    """An open promotion pull request: its plan, DST's gates now, and the provider's state."""

    pull_request: PullRequest
    plan: Plan
    verdicts: tuple[Verdict, ...]
    review_state: ReviewState

    @property
    def provider_refusal(self) -> str | None:
        """Why the provider's reviews or checks are not green yet, or None when they are."""
        state, problems = self.review_state, []
        if state.changes_requested:
            problems.append(f"changes requested by {', '.join(state.changes_requested)}")
        elif not state.approvers:
            problems.append("no approving review")
        if state.checks not in ("success", "none"):
            problems.append(f"checks {state.checks} ({state.checks_detail})")
        return "; ".join(problems) or None


def branch_name(dst: str, promotion_id: str) -> str:
    return f"{BRANCH_PREFIX}{dst}/{promotion_id}"


def open_pull_request(
    session: Session,
    plan: Plan,
    dst_state: EnvState,
    commit_message: str,
    promotion_id: str,
    verdicts: Sequence[Verdict],
) -> Opened:
    """Push the promotion commit, built on HEAD, to its own branch and open a pull request."""
    repo, dst = session.repo, dst_state.env
    remote = Remote(*repo.upstream())
    host = connect(session, remote.name)  # before anything is pushed: no token, no branch
    _refuse_unpublished(session, remote, plan.source_commit)
    same = _open_with_same_changes(session, host, remote, commit_message)
    if same is not None:
        return same
    commit = build_commit(session, dst, plan, plan.source_commit, commit_message, run_hooks=False)
    diff = rendered_diff(session, dst, dst_state.objects, commit)
    body = pull_request_body(plan, verdicts, promotion_id, diff)
    branch = branch_name(dst.name, promotion_id)
    try:
        repo.push_new_branch(remote.name, commit, branch)
    except RepositoryError as exc:
        raise PushFailed(f"could not push {branch} to {remote.name}: {exc.message}") from None
    try:
        opened = host.create(branch, remote.branch, commit_message.split("\n", 1)[0], body)
    except PromoteError as exc:
        try:
            repo.delete_remote_branch(remote.name, branch)  # no branch left without its PR
        except RepositoryError:
            exc.message += f"; delete the branch {branch} it left on {remote.name}"
        raise
    return Opened(opened, branch, commit, promotion_id)


def _open_with_same_changes(
    session: Session, host: PullRequests, remote: Remote, commit_message: str
) -> Opened | None:
    """An open promotion pull request from the same SRC whose commit changes the same artifacts
    to the same versions: a second one would only split the reviews (Telefonistka and Kargo keep
    one proposal per change too). Its gate lines may differ; merging evaluates them again."""
    repo = session.repo
    wanted = _changes(repo.trailers_of(commit_message))
    dst = dict(repo.trailers_of(commit_message))[TO]
    for pr in host.list_open():
        if not pr.head_branch.startswith(branch_name(dst, "")) or pr.base_branch != remote.branch:
            continue
        head = repo.fetch_tip(remote.name, pr.head_branch)
        if head is None:
            continue
        trailers = repo.trailers_of(repo.message_of(head))
        if _changes(trailers) == wanted:
            return Opened(pr, pr.head_branch, head, dict(trailers).get(ID, ""), already_open=True)
    return None


def _changes(trailers: list[tuple[str, str]]) -> tuple[str, frozenset[str]]:
    """What a promotion commit proposes: its SRC and its artifact changes."""
    source = next((value for key, value in trailers if key == FROM), "")
    return source, frozenset(value for key, value in trailers if key == ARTIFACT)


def _refuse_unpublished(session: Session, remote: Remote, base: str) -> None:
    """The pull request would carry every local commit the remote lacks: refuse those."""
    tip = session.repo.fetch_tip(remote.name, remote.branch)
    if tip is None:
        raise UsageError(f"{remote} does not exist: a pull request needs a base branch there")
    if not session.repo.is_ancestor(base, tip):
        raise RepositoryError(
            f"the branch has commits that {remote} does not have; push them first "
            "(the pull request would carry them)"
        )


def promotion_pull_requests(session: Session, dst: str | None = None) -> list[Assessment]:
    """Every open promotion pull request (into DST when given), assessed."""
    remote = Remote(*session.repo.upstream())
    host = connect(session, remote.name)
    prefix = BRANCH_PREFIX + (f"{dst}/" if dst else "")
    found = [pr for pr in host.list_open() if pr.head_branch.startswith(prefix)]
    return [_assess(session, host, remote, pr) for pr in found]


def merge_pull_request(session: Session, reference: str) -> Assessment:
    """Merge once DST's gates pass against the head and the provider's reviews/checks are green.

    A blocking gate raises GateBlocked (exit 3); the provider saying no raises ScmError (exit 1).
    """
    remote = Remote(*session.repo.upstream())
    host = connect(session, remote.name)
    pull_request = host.get(pull_request_number(reference))
    if pull_request.state != "open":
        raise UsageError(f"#{pull_request.number} is {pull_request.state}, not open")
    assessment = _assess(session, host, remote, pull_request)
    blocked = blocking(list(assessment.verdicts))
    if blocked:
        reasons = "; ".join(f"{v.gate} {v.outcome.value}: {v.reason}" for v in blocked)
        raise GateBlocked(f"#{pull_request.number} was not merged: {reasons}")
    refusal = assessment.provider_refusal
    if refusal:
        raise ScmError(f"#{pull_request.number} cannot be merged yet: {refusal}")
    host.merge(pull_request)
    return assessment


def pull_request_number(reference: str) -> int:
    """`12`, `#12`, `!12`, or a pull/merge request URL ending in its number."""
    found = re.fullmatch(
        r"[#!]?(\d+)|https?://\S+/(?:pull|pulls|merge_requests)/(\d+)/?", reference
    )
    if not found:
        raise UsageError(f"{reference!r} is not a pull request number or URL")
    return int(found[1] or found[2])


def _assess(
    session: Session, host: PullRequests, remote: Remote, pull_request: PullRequest
) -> Assessment:
    repo = session.repo
    fetched = repo.fetch_tip(remote.name, pull_request.head_branch)
    if fetched != pull_request.head_sha:
        raise ScmError(
            f"#{pull_request.number}: {remote.name}/{pull_request.head_branch} is at "
            f"{str(fetched)[:12]}, the provider says {pull_request.head_sha[:12]}; try again"
        )
    info = repo.commit_info(pull_request.head_sha)
    src, dst, promotion_id = info.trailer(FROM), info.trailer(TO), info.trailer(ID)
    if not (src and dst and promotion_id) or pull_request.head_branch != branch_name(
        dst, promotion_id
    ):
        raise PromoteError(
            f"#{pull_request.number}: the head of {pull_request.head_branch} is not the "
            "promotion commit `promote --pr` pushed (someone committed to the branch)"
        )
    names = tuple(move.split()[1] for move in info.trailer_values(ARTIFACT))
    plan = _plan_at(session, src, dst, repo.resolve(f"{pull_request.head_sha}^"), names)
    review_state = host.review_state(pull_request)
    context = dataclasses.replace(
        gate_context(session, plan), pull_request=pull_request, review_state=review_state
    )
    verdicts = evaluate_gates(session, context)
    return Assessment(pull_request, plan, tuple(verdicts), review_state)


def _plan_at(session: Session, src: str, dst: str, base: str, only: Sequence[str]) -> Plan:
    """The plan of SRC → DST as the files of `base` (the pull request's parent) give it."""
    environments: list[Environment] = [session.environment(src), session.environment(dst)]
    with tempfile.TemporaryDirectory(prefix="promote-pr-") as scratch:
        session.repo.export(base, Path(scratch))
        root = Path(scratch)
        src_state, dst_state = read_states(session.plugins, [(root, env) for env in environments])
        return make_plan(session.plugins, src_state, dst_state, base, only)
