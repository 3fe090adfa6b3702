"""`--push` the way a careful team member pushes: fetch first, never force, catch up and retry.

Before a hop, a branch that is behind its remote is fast-forwarded. After the hop lands, the push
is tried; when the remote moved meanwhile, the promotion commit is rebuilt on the remote's tip
if DST's files did not change there (the same edits, verified again), else the hop is planned
and gated again on that tip. After the last attempt the local commit is taken back (unless
`--keep-local`) and the exit code says the promotion did not land.
"""

from __future__ import annotations

import dataclasses
import random
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from promote.engine.config.graphfile import DEFAULT_PUSH_ATTEMPTS
from promote.engine.errors import PushFailed, RepositoryError
from promote.engine.promotion.landing import build_commit
from promote.engine.session import Session

if TYPE_CHECKING:
    from promote.engine.promotion.hops import HopResult

_BACKOFF_SECONDS = 0.2
_BACKOFF_CAP_SECONDS = 5.0


@dataclass(frozen=True)
class Remote:
    name: str
    branch: str

    def __str__(self) -> str:
        return f"{self.name}/{self.branch}"


def catch_up_before_planning(session: Session) -> Remote:
    """Fetch; fast-forward a branch that is behind. A diverged branch is refused up front."""
    repo = session.repo
    remote = Remote(*repo.upstream())
    tip = repo.fetch_tip(remote.name, remote.branch)
    head = repo.head()
    if tip is None or tip == head or repo.is_ancestor(tip, head):
        return remote
    if repo.is_ancestor(head, tip):
        repo.reset_keep(tip)
        return remote
    raise RepositoryError(
        f"the branch and {remote} have diverged; integrate {remote} first (git pull --rebase)"
    )


def publish(
    session: Session,
    remote: Remote,
    result: HopResult,
    replan: Callable[[], HopResult],
    *,
    attempts: int = DEFAULT_PUSH_ATTEMPTS,
    keep_local: bool = False,
) -> HopResult:
    """Push HEAD, catching up with the remote between attempts; the hop as it finally landed."""
    repo = session.repo
    before = repo.resolve(f"{result.commit}^") if result.commit else repo.head()
    problem = ""
    for attempt in range(1, attempts + 1):
        refused = repo.push_head(remote.name, remote.branch)
        if refused is None:
            return result
        problem = refused
        if attempt == attempts:
            break
        time.sleep(min(_BACKOFF_CAP_SECONDS, _BACKOFF_SECONDS * 2**attempt) * random.uniform(1, 2))
        print(
            f"promote: push to {remote} refused; catching up (attempt {attempt + 1})",
            file=sys.stderr,
        )
        result = _catch_up(session, remote, result, replan)
    return _give_up(session, remote, result, before, problem, keep_local)


def _catch_up(
    session: Session, remote: Remote, result: HopResult, replan: Callable[[], HopResult]
) -> HopResult:
    repo = session.repo
    tip = repo.fetch_tip(remote.name, remote.branch)
    head = repo.head()
    if tip is None or repo.is_ancestor(tip, head):
        return result  # the refusal was not a race (a hook, permissions): just retry
    ours = result.commit is not None and head == result.commit
    base = repo.resolve(f"{head}^")  # what the promotion commit was built on
    if not ours or not repo.is_ancestor(base, tip):
        raise PushFailed(
            f"{remote} moved and the branch has commits of its own besides the promotion; "
            "integrate them first (git pull --rebase), then push"
        )
    dst = session.environment(result.plan.dst)
    if not repo.changed_between(base, tip, [dst.path]):
        message = repo.message_of(head)
        rebased = build_commit(session, dst, result.plan, tip, message, run_hooks=False)
        repo.reset_keep(rebased)
        return dataclasses.replace(result, commit=rebased)
    repo.reset_keep(tip)  # DST changed there: our plan is stale, make it again on the new tip
    return replan()


def _give_up(
    session: Session, remote: Remote, result: HopResult, before: str, problem: str, keep: bool
) -> HopResult:
    repo = session.repo
    if result.commit and repo.head() == result.commit and not keep:
        repo.reset_keep(before)
        raise PushFailed(
            f"could not push to {remote}: {problem}; the promotion commit was taken back "
            "(--keep-local keeps it to push later)"
        )
    kept = f"; the commit {result.commit[:12]} is kept locally" if result.commit else ""
    raise PushFailed(f"could not push to {remote}: {problem}{kept}; rerun with --push to retry")
