"""The data the engine passes around: environments, artifacts, pins, plans, verdicts."""

from __future__ import annotations

import enum
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import Any

from promote.engine.errors import Location

NOTIFY_EVENTS = ("promoted", "blocked", "rollback", "verification")
AGENT_KINDS = ("flux", "argocd", "promote")


@dataclass(frozen=True)
class WebhookSpec:
    """One entry of an environment's `notify:` list (plugins.webhook posts to it)."""

    url: str | None  # `webhook: https://...`, or None when the URL is in `url_env`
    url_env: str | None  # the environment variable holding the URL, so secrets stay out of Git
    events: tuple[str, ...] = NOTIFY_EVENTS
    timeout: float = 5.0
    location: Location | None = None


@dataclass(frozen=True)
class ClusterSpec:
    """An environment's `cluster:`: which kubeconfig context its agent runs in (None: the
    current context of $KUBECONFIG or ~/.kube/config, as kubectl would)."""

    context: str | None = None
    kubeconfig: str | None = None
    namespace: str | None = None


@dataclass(frozen=True)
class AgentSpec:
    """An environment's `agent:`: what reconciles it, read by the health gates and `--wait`.

    flux: a Kustomization or HelmRelease (`resource`) named `name` in `namespace`; argocd: the
    Application `name` in `namespace`; promote: its own `target: {kind: kubernetes}`."""

    kind: str  # one of AGENT_KINDS
    resource: str | None = None  # "Kustomization" | "HelmRelease" | "Application" | None
    name: str | None = None
    namespace: str | None = None
    location: Location | None = None

    def describe(self) -> str:
        """`Kustomization flux-system/apps`, `Application argocd/shop`, `promote target`."""
        if self.resource is None:
            return "promote's kubernetes target"
        return f"{self.resource} {self.namespace}/{self.name}"


@dataclass(frozen=True)
class GateSpec:
    """One entry of an environment's `gates:` list: `- soak: 30m` is GateSpec("soak", "30m")."""

    name: str
    options: Any
    location: Location | None = None


@dataclass(frozen=True)
class Environment:
    name: str
    path: PurePosixPath  # relative to the root of the tree it lives in, posix style
    upstreams: tuple[str, ...] = ()
    renderer: str = "kustomize"
    gates: tuple[GateSpec, ...] = ()
    target: Mapping[str, Any] | None = None
    labels: Mapping[str, str] = field(default_factory=dict)
    allow_force: bool = True
    location: Location | None = None
    rollback_skips: tuple[str, ...] = ()  # gates a rollback does not evaluate (`rollback_skips:`)
    notify: tuple[WebhookSpec, ...] = ()  # `notify:` webhooks (plugins.webhook)
    cluster: ClusterSpec | None = None  # `cluster:`: where its agent runs
    agent: AgentSpec | None = None  # `agent:`: what reconciles it (health gates, --wait)
    verify: tuple[GateSpec, ...] = ()  # `verify:` gates run once a promotion is healthy
    # Where the tree lives (engine.repository.places): another branch of this repository,
    # another repository, or (both None) the checked-out branch.
    branch: str | None = None
    repo: str | None = None
    # Positions of the `path`, `branch` and `repo` keys, for errors found once the tree is read.
    key_locations: Mapping[str, Location] = field(default_factory=dict, compare=False)

    @property
    def elsewhere(self) -> bool:
        """Declared to live outside the working tree (it may still turn out to be the
        checked-out branch, which `engine.repository.places` decides)."""
        return self.branch is not None or self.repo is not None

    def where(self) -> str:
        """Where the environment lives, as `graph` and messages show it."""
        tree = f"{self.repo}@{self.branch or 'HEAD'}" if self.repo else f"branch {self.branch}"
        return f"{tree}:{self.path}" if self.elsewhere else str(self.path)


@dataclass(frozen=True, order=True)
class ArtifactRef:
    """A promotable thing, stable across environments: ('image', 'ghcr.io/acme/web')."""

    kind: str
    name: str

    def __str__(self) -> str:
        return f"{self.kind} {self.name}"


@dataclass(frozen=True)
class TextEdit:
    """Replace text[start:end] of a repository file; insertion when start == end."""

    file: PurePosixPath
    start: int
    end: int
    replacement: str


@dataclass(frozen=True)
class Pin:
    """Where an environment's own files set an artifact's version, and how to set another."""

    ref: ArtifactRef
    version: str
    file: PurePosixPath
    line: int
    column: int
    source: str
    rewrite: Callable[[str], list[TextEdit]] = field(compare=False, repr=False)
    # A pin in a partial document may only learn its artifact from the rendered objects (a JSON
    # 6902 patch addresses an Argo CD source by position); engine.versions.state resolves it
    # with them.
    resolve: Callable[[list[dict[str, Any]]], ArtifactRef] | None = field(
        default=None, compare=False, repr=False
    )

    @property
    def location(self) -> Location:
        return Location(self.file, self.line, self.column)


@dataclass(frozen=True)
class Change:
    """DST moves `ref` from `old` to `new`; `edits` are the text edits in DST's own files."""

    ref: ArtifactRef
    old: str | None
    new: str
    edits: tuple[TextEdit, ...]
    how: str  # "pin" (rewrote DST's own pin) or "override" (added one, DST inherited it)

    @property
    def files(self) -> list[str]:
        """The repository files this change edits (or creates), sorted."""
        return sorted({str(edit.file) for edit in self.edits})

    @property
    def downgrade(self) -> bool | None:
        """Whether `new` is lower than `old` by SemVer; None when that cannot be told."""
        from promote.engine.versions.versioning import is_downgrade

        return is_downgrade(self.old, self.new)


@dataclass(frozen=True)
class Plan:
    src: str
    dst: str
    source_commit: str
    changes: tuple[Change, ...]
    notes: tuple[str, ...] = ()
    # DST's files as the plan leaves them (path → text): what a promotion writes.
    texts: Mapping[PurePosixPath, str] = field(default_factory=dict, compare=False, repr=False)
    # The commit of DST's tree the plan was made from: the promotion commit's parent.
    base_commit: str = ""
    # SRC's repository when it is not DST's (trailer Promote-Source-Repo).
    source_repo: str | None = None

    @property
    def empty(self) -> bool:
        return not self.changes

    def as_json(self) -> dict[str, Any]:
        """The plan as `--output json` prints it and as command gates read it on stdin."""
        return {
            "from": self.src,
            "to": self.dst,
            "source_commit": self.source_commit,
            **({"source_repo": self.source_repo} if self.source_repo else {}),
            "changes": [
                {
                    "kind": c.ref.kind,
                    "name": c.ref.name,
                    "old": c.old,
                    "new": c.new,
                    "how": c.how,
                    "files": c.files,
                    "downgrade": c.downgrade,
                }
                for c in self.changes
            ],
            "notes": list(self.notes),
        }


class Outcome(enum.StrEnum):
    PASSED = "passed"
    PENDING = "pending"
    FAILED = "failed"


@dataclass(frozen=True)
class Verdict:
    """What one gate decided. Data, never an exception (like kopf's Outcome)."""

    gate: str
    outcome: Outcome
    reason: str
    approvers: tuple[str, ...] = ()  # approval gates name whose approvals counted

    @property
    def passed(self) -> bool:
        return self.outcome is Outcome.PASSED
