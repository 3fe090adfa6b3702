"""The environment × artifact matrix, where environments lag upstreams, and last promotions."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import Any

from promote.engine.errors import PromoteError
from promote.engine.gates.freezes import Freeze, freeze_of
from promote.engine.gates.gating import current_time
from promote.engine.interfaces import TargetStatus
from promote.engine.model import ArtifactRef, Environment
from promote.engine.promotion.trailers import (
    PromotionRecord,
    VerificationRecord,
    read_history,
    read_verifications,
)
from promote.engine.session import Session
from promote.engine.versions.state import read_states


@dataclass
class StatusReport:
    environments: list[str]
    upstreams: dict[str, list[str]]
    versions: dict[str, dict[ArtifactRef, str]]
    lagging: dict[str, dict[ArtifactRef, str]] = field(
        default_factory=dict
    )  # env → ref → upstream's
    last_promotion: dict[str, PromotionRecord] = field(default_factory=dict)
    targets: dict[str, TargetStatus] = field(default_factory=dict)  # environments with a target
    # env → its files that differ from HEAD: the versions shown are read from the working tree
    uncommitted: dict[str, list[str]] = field(default_factory=dict)
    frozen: dict[str, Freeze] = field(default_factory=dict)  # env → the freeze in effect
    # Promote-Id → its newest verification (`--wait`, `promote wait`)
    verifications: dict[str, VerificationRecord] = field(default_factory=dict)

    def verification_of(self, env: str) -> VerificationRecord | None:
        """The verification of `env`'s last promotion, if one was recorded."""
        record = self.last_promotion.get(env)
        return self.verifications.get(record.id) if record else None

    @property
    def artifacts(self) -> list[ArtifactRef]:
        return sorted({ref for versions in self.versions.values() for ref in versions})

    def as_json(self) -> dict[str, Any]:
        return {
            "environments": [
                {
                    "name": env,
                    "from": self.upstreams[env],
                    "versions": {ref.name: v for ref, v in self.versions[env].items()},
                    "lagging": {ref.name: v for ref, v in self.lagging.get(env, {}).items()},
                    "last_promotion": rec.as_json()
                    if (rec := self.last_promotion.get(env))
                    else None,
                    "target": _target_json(self.targets.get(env)),
                    "uncommitted": self.uncommitted.get(env, []),
                    "frozen": found.as_json() if (found := self.frozen.get(env)) else None,
                    "verification": checked.as_json()
                    if (checked := self.verification_of(env))
                    else None,
                }
                for env in self.environments
            ],
            "artifacts": [{"kind": ref.kind, "name": ref.name} for ref in self.artifacts],
        }


def _target_json(status: TargetStatus | None) -> dict[str, Any] | None:
    if status is None:
        return None
    return {
        "last_applied_commit": status.last_applied_commit,
        "drifted": status.drifted,
        "detail": status.detail,
    }


def target_statuses(session: Session) -> dict[str, TargetStatus]:
    """Last applied commit and drift of every environment with a target, against HEAD.

    A target that cannot answer (unreachable cluster, HEAD does not render) is unknown, not fatal.
    """
    from promote.engine.reconcile.reconciler import snapshot, status_env, targeted

    environments = targeted(session, None)
    if not environments:
        return {}
    try:
        with snapshot(session) as snap:
            return {env.name: status_env(session, env, snap) for env in environments}
    except PromoteError as exc:
        return {env.name: TargetStatus(None, None, f"unknown: {exc}") for env in environments}


def build_status(session: Session) -> StatusReport:
    order = session.graph.in_order()
    environments = [session.environment(n) for n in order]
    states = read_states(
        session.plugins, [(session.places.of(env).root, env) for env in environments]
    )
    versions = {state.env.name: state.versions for state in states}
    upstreams = {name: session.graph.upstreams(name) for name in order}
    report = StatusReport(order, upstreams, versions)
    for name in order:
        for upstream in upstreams[name]:
            for ref, version in versions[upstream].items():
                if ref in versions[name] and versions[name][ref] != version:
                    report.lagging.setdefault(name, {})[ref] = version
    for record in history_everywhere(session):
        report.last_promotion.setdefault(record.dst, record)
    report.targets = target_statuses(session)
    report.uncommitted = uncommitted_files(session, [state.env for state in states])
    report.frozen = frozen_environments(session)
    report.verifications = verifications_everywhere(session)
    return report


def verifications_everywhere(session: Session) -> dict[str, VerificationRecord]:
    """Promote-Id → its newest verification, read wherever environments live."""
    found: dict[str, VerificationRecord] = {}
    for place in _places(session):
        for promotion_id, record in read_verifications(place.repo, place.commit).items():
            if promotion_id not in found or found[promotion_id].when < record.when:
                found[promotion_id] = record
    return found


def _places(session: Session) -> list:
    """Each distinct tree environments live in (repository and commit), once."""
    tips = {}
    for env in session.graph:
        place = session.places.of(env)
        tips[(str(place.repo.git_dir), place.commit)] = place
    return list(tips.values())


def frozen_environments(session: Session) -> dict[str, Freeze]:
    """Environment → the freeze in effect now, read where each environment lives."""
    now = current_time()
    found = {}
    for env in session.graph:
        place = session.places.of(env)
        freeze = freeze_of(place.repo, env.name, now, place.commit)
        if freeze is not None:
            found[env.name] = freeze
    return found


def history_everywhere(session: Session) -> list[PromotionRecord]:
    """Promotions recorded wherever environments live (HEAD, their branches, their
    repositories), newest first; a commit reachable from several of them is listed once."""
    records = {}
    for place in _places(session):
        for record in read_history(place.repo, place.commit):
            records.setdefault(record.commit, record)
    return sorted(records.values(), key=lambda r: r.when, reverse=True)


def uncommitted_files(session: Session, environments: list[Environment]) -> dict[str, list[str]]:
    """Environment → its files that differ from HEAD (modified, untracked, or in a submodule
    checked out elsewhere than HEAD records); only the working tree's environments can."""
    environments = [env for env in environments if session.places.in_worktree(env)]
    if not environments:
        return {}
    dirty = [PurePosixPath(p) for p in session.repo.dirty_paths(e.path for e in environments)]
    found = {e.name: [str(p) for p in dirty if p.is_relative_to(e.path)] for e in environments}
    return {name: files for name, files in found.items() if files}
