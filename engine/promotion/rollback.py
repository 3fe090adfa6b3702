"""`promote rollback ENV [--to PROMOTE_ID|COMMIT]`: a forward commit that pins older versions.

Nothing is reverted: the versions ENV ran at an earlier commit of its own tree (by default the
parent of its last promotion not yet undone) are planned into ENV's current files exactly as a
promotion plans SRC's versions (`make_plan`, byte-exact splices), then gated, verified by
rendering and landed by the same code (`hops.gate_and_land`), under the repository lock.

The commit reads as a promotion from ENV to ENV: `Promote-From: ENV` and
`Promote-Source-Commit: <the earlier commit>` say where the versions come from, and one
`Promote-Rollback-Of: <Promote-Id>` per promotion it undoes. A rollback is never frozen and skips
the gates ENV's `rollback_skips:` names; its other gates are evaluated as for a promotion.
"""

from __future__ import annotations

import dataclasses
import tempfile
from pathlib import Path

from promote.engine.errors import RepositoryError, UsageError
from promote.engine.model import Plan
from promote.engine.promotion.hops import (
    HopResult,
    PromoteOptions,
    Reporter,
    gate_and_land,
    ready_to_write,
)
from promote.engine.promotion.planner import make_plan
from promote.engine.promotion.trailers import PromotionRecord, read_history
from promote.engine.repository.gitrepo import GitRepo
from promote.engine.session import Session
from promote.engine.versions.state import EnvState, read_state


@dataclasses.dataclass(frozen=True)
class Target:
    """The commit of ENV's tree whose versions a rollback restores, and what it undoes."""

    commit: str
    undone: tuple[PromotionRecord, ...]  # newest first


def rollback(
    session: Session, env: str, to: str | None, options: PromoteOptions, reporter: Reporter
) -> tuple[HopResult, Target]:
    with ready_to_write(session, [session.environment(env)], options):
        plan, dst_state, target = plan_rollback(session, env, to)
        undoing = tuple(record.id for record in target.undone)
        options = dataclasses.replace(options, rollback_of=undoing)
        return gate_and_land(session, plan, dst_state, options, reporter), target


def plan_rollback(session: Session, env: str, to: str | None) -> tuple[Plan, EnvState, Target]:
    session.places.forget()
    environment = session.environment(env)
    place = session.places.of(environment)
    target = find_target(place.repo, place.commit, env, to)
    current = read_state(session.plugins, place.root, environment)
    with tempfile.TemporaryDirectory(prefix="promote-rollback-") as scratch:
        root = Path(scratch)
        place.repo.export(target.commit, root)
        if not (root / environment.path).is_dir():
            raise UsageError(f"{env} has no directory {environment.path} at {target.commit[:12]}")
        before = read_state(session.plugins, root, environment)
    plan = make_plan(session.plugins, before, current, target.commit)
    return dataclasses.replace(plan, base_commit=place.commit), current, target


def find_target(repo: GitRepo, tip: str, env: str, to: str | None) -> Target:
    """Where `rollback ENV [--to ...]` goes back to, in the history of `tip` (where ENV lives).

    Default: the parent of ENV's newest promotion that is neither a rollback nor undone by one,
    so that rolling back twice steps back two promotions. `--to PROMOTE_ID`: the versions that
    promotion brought; `--to COMMIT`: the versions ENV had at that commit."""
    into = [r for r in read_history(repo, tip) if r.dst == env]
    undone = {promotion_id for r in into for promotion_id in r.rollback_of}
    standing = [r for r in into if not r.rollback_of and r.id not in undone]
    if to is None:
        if not standing:
            raise UsageError(f"nothing to roll back: no promotion into {env} stands undone")
        commit = repo.resolve(f"{standing[0].commit}^")
    else:
        commit = _named(repo, tip, into, to, env)
    after = {r.commit for r in read_history(repo, f"{commit}..{tip}")}
    undoing = tuple(r for r in standing if r.commit in after)
    if not undoing:
        raise UsageError(
            f"nothing to roll back: no promotion into {env} since {commit[:12]} stands undone"
        )
    return Target(commit, undoing)


def _named(repo: GitRepo, tip: str, into: list[PromotionRecord], to: str, env: str) -> str:
    """The commit `--to` names: a Promote-Id of a promotion into ENV, or a commit of its tree."""
    for record in into:
        if record.id == to:
            return record.commit
    try:
        commit = repo.resolve(to)
    except RepositoryError:
        commit = None
    if commit is None or not repo.is_ancestor(commit, tip):
        raise UsageError(
            f"--to {to!r} is neither the Promote-Id of a promotion into {env} nor a commit "
            f"in the history of where {env} lives"
        )
    return commit
