"""Landing a promotion into an environment that lives outside the working tree.

The commit is built and verified as for the working tree (`landing.build_commit`: temporary
index, `commit-tree`, DST rendered from the new commit), on the tip of DST's branch that was read,
then published with a compare-and-swap:

- on another branch of this repository, `update-ref refs/heads/BRANCH NEW OLD`; with `--push`
  the commit is pushed to the branch's remote first, and the local branch follows only once the
  remote took it;
- in another repository, it is pushed to that repository's branch (the environment lives there:
  a commit left in the cache would be promoted nowhere), then the cache records it.

A push is never forced: Git only accepts a fast-forward, so a remote that moved since it was read
refuses it. That is a `BranchMoved`, and the hop is planned and gated again on the new tip
(engine.promotion.hops). The user's HEAD, index and working tree are never touched.
"""

from __future__ import annotations

import contextlib

from promote.engine.errors import BranchMoved, PushFailed
from promote.engine.model import Environment, Plan
from promote.engine.promotion.landing import build_commit, crash_window
from promote.engine.repository.gitrepo import GitRepo
from promote.engine.repository.places import Place
from promote.engine.repository.remotes import TRACKING
from promote.engine.session import Session


def land_elsewhere(
    session: Session,
    plan: Plan,
    dst: Environment,
    place: Place,
    commit_message: str,
    *,
    push: bool,
) -> tuple[str, str | None]:
    """(the new commit, where it was pushed or None)."""
    # The user's commit hooks run against their checkout (a pre-commit hook lints the working
    # tree's files); like Git's own plumbing, a commit made for another tree runs none.
    commit = build_commit(
        session, dst, plan, plan.base_commit, commit_message, run_hooks=False, place=place
    )
    crash_window("before-ref")
    return commit, publish_to_place(place, commit, push=push)


def record_decision(place: Place, repo: GitRepo, text: str, *, run_hooks: bool) -> str:
    """An empty commit with `text` where the environment lives (approvals, freezes): on the
    checked-out branch through `git commit` (`repo`, the user's, with their hooks), else on
    the place's branch or repository."""
    if place.checked_out:
        return repo.commit_empty(text, run_hooks=run_hooks)
    commit = place.repo.commit_on(place.commit, text)
    publish_to_place(place, commit, push=False)
    return commit


def publish_to_place(place: Place, commit: str, *, push: bool) -> str | None:
    """Move the place's branch from the commit that was read to `commit` (a child of it):
    where it was pushed, or None when it only moved a branch of this repository."""
    assert place.branch is not None
    if place.url is not None:
        _push(place, place.remote or "origin", commit, place.url)
        # Another run may have fetched meanwhile; the cache is fetched again before any read.
        with contextlib.suppress(BranchMoved):
            place.repo.update_ref(TRACKING.format(place.branch), commit, place.commit)
        return f"{place.url} {place.branch}"
    pushed_to = None
    if push:
        if place.remote is None:
            raise PushFailed(f"--push: this repository has no remote `origin` for {place.branch}")
        _push(place, place.remote, commit, place.remote)
        pushed_to = f"{place.remote}/{place.branch}"
    place.repo.update_ref(f"refs/heads/{place.branch}", commit, place.local_tip)
    return pushed_to


def _push(place: Place, remote: str, commit: str, shown: str) -> None:
    """Push `commit` to the place's branch; a refusal is a race when the remote's tip is no
    longer part of what was read (told by Git's ancestry, not by its localised messages)."""
    repo, branch = place.repo, place.branch
    assert branch is not None
    refused = repo.push_commit(remote, commit, branch)
    if refused is None:
        return
    tip = repo.fetch_tip(remote, branch)
    if tip is not None and not repo.is_ancestor(tip, place.commit):
        raise BranchMoved(f"{shown} branch {branch} moved since it was read")
    reason = refused.splitlines()[0]  # git's first line says why; the rest is advice
    raise PushFailed(f"could not push to {shown} branch {branch}: {reason}")
