"""What an environment's agent reports: Flux's Ready condition, Argo CD's health and sync, or
promote's own kubernetes target, read through engine.reconcile.kube (imported lazily).

The interpretation of a Flux or Argo CD object is plain functions of the object, as
`flux get kustomizations` and `argocd app get` show it:

- Flux (Kustomization, HelmRelease): healthy when `Ready=True`; its applied revision is
  `status.lastAppliedRevision` (`main@sha1:<sha>`, or `<chart version>+<sha[:12]>`); a failure
  is `Ready=False` (but `DependencyNotReady`, which waits on another object) or `Stalled=True`.
- Argo CD (Application): healthy when `health.status: Healthy` and `sync.status: Synced`; its
  revision is `sync.revision`; a failure is `Degraded` health or a sync operation that `Failed`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from pathlib import PurePosixPath
from typing import TYPE_CHECKING, Any

from promote.engine.errors import PromoteError, UsageError
from promote.engine.interfaces import AgentObservation
from promote.engine.model import AgentSpec, Environment

if TYPE_CHECKING:
    from promote.engine.plugins import Plugins
    from promote.engine.reconcile.kube import KubeClient
    from promote.engine.repository.gitrepo import GitRepo

API_VERSIONS = {
    "Kustomization": "kustomize.toolkit.fluxcd.io/v1",
    "HelmRelease": "helm.toolkit.fluxcd.io/v2",
    "Application": "argoproj.io/v1alpha1",
}
_FULL_SHA = re.compile(r"\b([0-9a-f]{40}|[0-9a-f]{64})\b")
_CHART_SHA = re.compile(r"\+([0-9a-f]{7,40})$")  # HelmRelease: `1.2.0+0a1b2c3d4e5f`
FLUX_WAITING_REASONS = frozenset({"DependencyNotReady", "Progressing"})


def agent_of(env: Environment) -> AgentSpec:
    if env.agent is None:
        raise UsageError(
            f"environment {env.name!r} has no `agent:` in the graph file: say what reconciles "
            "it (e.g. `agent: {kind: flux, kustomization: apps}`)"
        )
    return env.agent


def check_connection(env: Environment) -> None:
    """Refuse (exit 2) an environment without an agent, or whose kubeconfig does not load
    (loading it asks the cluster nothing)."""
    if agent_of(env).kind != "promote":  # a target's options were checked with the graph file
        _connect(env).close()


def observe(plugins: Plugins, env: Environment) -> AgentObservation:
    """Read `env`'s agent once. An unreachable cluster or a missing kind is a `PromoteError`."""
    agent = agent_of(env)
    if agent.kind == "promote":
        return _observe_target(plugins, env)
    assert agent.resource is not None and agent.name is not None
    with _connect(env) as kube:
        info = kube.resource(API_VERSIONS[agent.resource], agent.resource)
        obj = kube.get(info, agent.name, agent.namespace)
    if obj is None:
        return AgentObservation(agent.describe(), None, False, True, "not found")
    if agent.kind == "flux":
        return flux_observation(agent.describe(), obj)
    return argocd_observation(agent.describe(), obj)


def _connect(env: Environment) -> KubeClient:
    import os

    from promote.engine.reconcile.kube import connect

    cluster = env.cluster
    kubeconfig = cluster.kubeconfig if cluster else None
    return connect(
        kubeconfig=os.path.expanduser(kubeconfig) if kubeconfig else None,
        context=cluster.context if cluster else None,
    )


def _observe_target(plugins: Plugins, env: Environment) -> AgentObservation:
    assert env.target is not None
    target = plugins.targets.get(str(env.target["kind"]))
    observe_target = getattr(target, "observe", None)
    if observe_target is None:
        raise UsageError(f"target {env.target['kind']!r} cannot report what it applied")
    options = dict(env.target)
    cluster = env.cluster
    for key in ("context", "kubeconfig", "namespace"):  # the target's own settings win
        if cluster is not None and getattr(cluster, key) and key not in options:
            options[key] = getattr(cluster, key)
    return observe_target(env, options)


# -- Flux ------------------------------------------------------------------------------------
def flux_observation(what: str, obj: Mapping[str, Any]) -> AgentObservation:
    status = obj.get("status") or {}
    applied = status.get("lastAppliedRevision")
    attempted = status.get("lastAttemptedRevision") or applied
    stale = _unobserved(obj)
    if stale:
        return AgentObservation(what, applied, False, False, stale, None, attempted)
    if (obj.get("spec") or {}).get("suspend"):
        return AgentObservation(what, applied, False, False, "suspended", None, attempted)
    ready = condition(status, "Ready")
    if ready is None:
        return AgentObservation(what, applied, False, False, "no Ready condition yet")
    state, reason = ready.get("status", "Unknown"), ready.get("reason") or ""
    stalled = (condition(status, "Stalled") or {}).get("status") == "True"
    failed = stalled or (state == "False" and reason not in FLUX_WAITING_REASONS)
    message = f"Ready={state}" + (f": {reason}" if reason else "")
    return AgentObservation(
        what,
        applied,
        state == "True",
        failed,
        message,
        moment(ready.get("lastTransitionTime")),
        attempted,
        detail=str(ready.get("message") or ""),
    )


def _unobserved(obj: Mapping[str, Any]) -> str:
    generation = (obj.get("metadata") or {}).get("generation") or 0
    observed = (obj.get("status") or {}).get("observedGeneration")
    if observed is not None and observed < generation:
        return f"has not observed generation {generation} yet"
    return ""


def condition(status: Mapping[str, Any], kind: str) -> dict[str, Any] | None:
    for found in status.get("conditions") or []:
        if found.get("type") == kind:
            return found
    return None


# -- Argo CD ---------------------------------------------------------------------------------
def argocd_observation(what: str, obj: Mapping[str, Any]) -> AgentObservation:
    status = obj.get("status") or {}
    health_block = status.get("health") or {}
    sync_block = status.get("sync") or {}
    health = health_block.get("status") or "Unknown"
    sync = sync_block.get("status") or "Unknown"
    revision = sync_block.get("revision") or next(iter(sync_block.get("revisions") or []), None)
    operation = status.get("operationState") or {}
    phase = operation.get("phase") or ""
    attempted = (operation.get("syncResult") or {}).get("revision") or revision
    failed = health == "Degraded" or phase in ("Failed", "Error")
    message = f"health={health} sync={sync}"
    detail = health_block.get("message") or ""
    if phase in ("Failed", "Error", "Running"):
        message += f" operation={phase}"
        detail = operation.get("message") or detail
    since = _argocd_since(status, revision)
    healthy = health == "Healthy" and sync == "Synced"
    return AgentObservation(what, revision, healthy, failed, message, since, attempted, detail)


def _argocd_since(status: Mapping[str, Any], revision: str | None) -> datetime | None:
    """When the Application became healthy at `revision`: the later of its deployment (the
    history entry of that revision) and its health's last transition; `reconciledAt` when
    neither is recorded (older Argo CD versions)."""
    deployed = [
        moment(entry.get("deployedAt"))
        for entry in status.get("history") or []
        if revision and entry.get("revision") == revision
    ]
    transition = moment((status.get("health") or {}).get("lastTransitionTime"))
    found = [m for m in (*deployed, transition) if m is not None]
    return max(found) if found else moment(status.get("reconciledAt"))


# -- revisions and times ---------------------------------------------------------------------
def revision_commit(revision: str | None) -> str | None:
    """The commit a revision names: `main@sha1:<sha>`, `<sha>`, `1.2.0+<sha[:12]>`."""
    if not revision:
        return None
    full = _FULL_SHA.search(revision)
    if full:
        return full.group(1)
    chart = _CHART_SHA.search(revision)
    return chart.group(1) if chart else None


def applies(
    repo: GitRepo, revision: str | None, commit: str, paths: Sequence[PurePosixPath] = ()
) -> bool:
    """Whether an agent at `revision` runs what `commit` holds: the same commit, or (with
    `paths`, the environment's inputs) a commit where none of them differ, e.g. a later one
    that only changed another environment."""
    found = revision_commit(revision)
    if found is None:
        return False
    if commit.startswith(found) or found.startswith(commit):
        return True
    if not paths:
        return False
    try:
        resolved = repo.resolve(found)
        return not repo.changed_between(resolved, commit, list(paths))
    except PromoteError:  # a commit this repository does not have (not fetched yet)
        return False


def moment(text: object) -> datetime | None:
    if not isinstance(text, str) or not text:
        return None
    try:
        found = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return found if found.tzinfo else found.replace(tzinfo=UTC)


def short_time(when: datetime, now: datetime) -> str:
    """`10:42` today (UTC), `2026-03-02 10:42` another day."""
    when = when.astimezone(UTC)
    return (
        f"{when:%H:%M}" if when.date() == now.astimezone(UTC).date() else f"{when:%Y-%m-%d %H:%M}"
    )


def describe(observation: AgentObservation, now: datetime, at: str = "") -> str:
    """`Kustomization apps/prod Ready=False: HealthCheckFailed since 10:42 (its message)`;
    `at` (from `at_what`) goes after the time."""
    since = f" since {short_time(observation.since, now)}" if observation.since else ""
    detail = " ".join(observation.detail.split())
    detail = f" ({detail[:300]})" if detail else ""
    return f"{observation.what} {observation.message}{since}{at}{detail}"


def state_at(
    observation: AgentObservation,
    repo: GitRepo,
    commit: str,
    paths: Sequence[PurePosixPath] = (),
) -> str:
    """`healthy` (at `commit`), `failed` (its attempt at `commit` failed, or it failed before
    attempting any revision: a missing object, a source Flux cannot fetch) or `waiting`."""
    if observation.healthy and applies(repo, observation.revision, commit, paths):
        return "healthy"
    if observation.failed and (
        observation.attempted is None or applies(repo, observation.attempted, commit, paths)
    ):
        return "failed"
    return "waiting"


def at_what(observation: AgentObservation, commit: str) -> str:
    """` at 0a1b2c3d4e5f` or ` at 0a1b2c3d4e5f, not at 9f8e7d6c5b4a`: what it runs vs wants."""
    found = revision_commit(observation.revision)
    if found is None:
        shown = observation.revision or "no revision yet"
        return f", applied {shown}, not {commit[:12]}"
    if commit.startswith(found) or found.startswith(commit):
        return f" at {commit[:12]}"
    return f" at {found[:12]}, not {commit[:12]}"
