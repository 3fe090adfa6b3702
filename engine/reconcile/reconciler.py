"""Reconciliation: render an environment at a commit and hand the objects to its target.

The desired state is always read from a *commit* (HEAD by default), never from the working tree:
what a cluster runs must be something Git recorded, as with Flux's kustomize-controller.
"""

from __future__ import annotations

import sys
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from promote.engine.errors import PromoteError, ReconcileError, UsageError
from promote.engine.interfaces import (
    DiffReport,
    ReconcileReport,
    Target,
    TargetContext,
    TargetStatus,
)
from promote.engine.model import Environment
from promote.engine.secrets import scrub
from promote.engine.session import Session
from promote.engine.versions.state import render_objects


@dataclass(frozen=True)
class Snapshot:
    """The repository's files at one commit, exported to a temporary directory."""

    commit: str
    root: Path


@contextmanager
def snapshot(session: Session, revision: str = "HEAD") -> Iterator[Snapshot]:
    """Export `revision` once; several environments can then be rendered from it."""
    try:
        commit = session.repo.resolve(revision)
    except PromoteError:
        raise UsageError(f"unknown revision {revision!r}") from None
    with tempfile.TemporaryDirectory(prefix="promote-render-") as directory:
        root = Path(directory) / "tree"
        session.repo.export(commit, root)
        yield Snapshot(commit, root)


def tree_of(session: Session, env: Environment, snap: Snapshot) -> Snapshot:
    """What `env` is rendered from: `snap` for an environment of the working tree's branch,
    the tip of its own branch or repository for any other (engine.repository.places)."""
    if session.places.in_worktree(env):
        return snap
    place = session.places.of(env)
    return Snapshot(place.commit, place.root)


def render_at(session: Session, env: Environment, snap: Snapshot) -> list[dict[str, Any]]:
    """The environment's objects as the commit of `snap` (or of its own tree) has them."""
    snap = tree_of(session, env, snap)
    if not (snap.root / env.path).is_dir():
        raise UsageError(
            f"environment {env.name!r}: {env.path} does not exist at commit {snap.commit[:12]}"
        )
    return render_objects(session.plugins, snap.root, env)


def targeted(session: Session, names: Sequence[str] | None) -> list[Environment]:
    """The environments to reconcile: `names` (each must have a target) or, for None, every
    environment with a target, upstreams first."""
    if names is None:
        chosen = [session.environment(n) for n in session.graph.in_order()]
        return [env for env in chosen if env.target is not None]
    environments = [session.environment(name) for name in names]
    for env in environments:
        if env.target is None:
            raise UsageError(
                f"environment {env.name!r} has no `target:` in {session.config.file.name}; "
                "add one (e.g. `target: {kind: branch, branch: rendered/"
                f"{env.name}}}`) to reconcile it"
            )
    return environments


def target_of(session: Session, env: Environment) -> Target:
    assert env.target is not None
    return session.plugins.targets.get(str(env.target["kind"]))


def context_for(
    session: Session,
    env: Environment,
    snap: Snapshot,
    *,
    dry_run: bool = False,
    timeout: float | None = None,
) -> TargetContext:
    snap = tree_of(session, env, snap)
    return TargetContext(
        env=env,
        options=dict(env.target or {}),
        objects=render_at(session, env, snap),
        commit=snap.commit,
        repo=session.repo,
        repo_root=session.root,
        dry_run=dry_run,
        timeout=timeout,
    )


def reconcile_env(
    session: Session,
    env: Environment,
    snap: Snapshot,
    *,
    dry_run: bool = False,
    timeout: float | None = None,
) -> ReconcileReport:
    """Apply, prune and wait; a target that raises gives a failed report, never a crash."""
    snap = tree_of(session, env, snap)
    context = context_for(session, env, snap, dry_run=dry_run, timeout=timeout)
    try:
        report = target_of(session, env).apply(context)
    except PromoteError as exc:
        report = _failed(env, snap, context, exc.message, dry_run)
    except Exception as exc:
        report = _failed(env, snap, context, f"{type(exc).__name__}: {exc}", dry_run)
    report.messages = [scrub(m, context.objects) for m in report.messages]
    _notify(session, env, report)
    return report


def reconcile_many(
    session: Session,
    names: Sequence[str] | None,
    *,
    dry_run: bool = False,
    timeout: float | None = None,
) -> list[ReconcileReport]:
    """Reconcile `names` (None: every targeted environment, upstreams first) at HEAD.

    With several environments one that does not render is a failed report and the others still
    run; a single named environment that does not render is that error (exit 2).
    """
    environments = targeted(session, names)
    reports = []
    with snapshot(session) as snap:
        for env in environments:
            try:
                reports.append(reconcile_env(session, env, snap, dry_run=dry_run, timeout=timeout))
            except PromoteError as exc:
                if names is not None and len(environments) == 1:
                    raise
                reports.append(
                    ReconcileReport(env.name, snap.commit, healthy=False, messages=[str(exc)])
                )
    return reports


def _failed(
    env: Environment, snap: Snapshot, context: TargetContext, reason: str, dry_run: bool
) -> ReconcileReport:
    message = scrub(
        f"target {env.target and env.target['kind']!r} failed: {reason}", context.objects
    )
    return ReconcileReport(
        env.name, snap.commit, healthy=False, messages=[message], dry_run=dry_run
    )


def diff_env(session: Session, env: Environment, snap: Snapshot) -> DiffReport:
    context = context_for(session, env, snap, dry_run=True)
    try:
        report = target_of(session, env).diff(context)
    except PromoteError as exc:
        raise ReconcileError(scrub(exc.message, context.objects)) from None
    except Exception as exc:
        reason = scrub(f"{type(exc).__name__}: {exc}", context.objects)
        raise ReconcileError(f"target of {env.name!r} failed to diff: {reason}") from None
    # Targets mask Secret values themselves; this is the belt to their braces.
    report.diff = scrub(report.diff, context.objects)
    return report


def status_env(session: Session, env: Environment, snap: Snapshot) -> TargetStatus:
    """Last applied commit and drift; any failure is an unknown status, not an error."""
    try:
        context = context_for(session, env, snap, dry_run=True)
        return target_of(session, env).status(context)
    except PromoteError as exc:
        return TargetStatus(None, None, f"unknown: {exc.message}")
    except Exception as exc:
        return TargetStatus(None, None, f"unknown: {type(exc).__name__}: {exc}")


def succeeded(report: ReconcileReport) -> bool:
    return report.healthy and report.count("failed") == 0


def _notify(session: Session, env: Environment, report: ReconcileReport) -> None:
    try:
        session.plugins.pm.hook.promote_reconciled(environment=env.name, report=report)
    except Exception as exc:
        print(f"promote: warning: an event plugin failed after reconciling: {exc}", file=sys.stderr)
