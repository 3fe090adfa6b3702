"""What a plugin registers: sources, renderers, gates and targets, as typing Protocols.

Plugins implement these structurally; nothing needs to subclass anything.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from promote.engine.model import ArtifactRef, Environment, Pin, Plan, TextEdit, Verdict

if TYPE_CHECKING:
    from promote.engine.plugins import Plugins
    from promote.engine.repository.gitrepo import GitRepo
    from promote.engine.repository.places import Place
    from promote.engine.yamlfiles.envfiles import EnvFiles, YamlDocument


class Source(Protocol):
    """Finds the versions an environment pins, and writes new ones."""

    def pins(self, document: YamlDocument) -> Iterable[Pin]:
        """Pins set in one YAML document of the environment's own files."""

    def versions(self, obj: Mapping[str, Any]) -> Iterable[tuple[ArtifactRef, str]]:
        """Versions visible in one rendered object (what the environment really runs)."""

    def override(
        self,
        files: EnvFiles,
        ref: ArtifactRef,
        version: str,
        *,
        rendered: Sequence[Mapping[str, Any]] = (),
    ) -> list[TextEdit] | None:
        """Edits that pin `ref` in the environment's own files when it only inherits it.

        `rendered` holds the environment's objects as rendered before the edits, for overrides
        that must spell `ref` the way those objects do (kustomize matches `images:` names
        literally). A source may leave the parameter out; it is then called without it.
        None when this source does not handle `ref`.
        """


class Renderer(Protocol):
    def render(self, repo_root: Path, env: Environment) -> list[dict[str, Any]]:
        """The environment's Kubernetes objects, read from `repo_root / env.path`."""


@dataclass(frozen=True)
class GateContext:
    """Everything a gate may look at. The repository is read-only for gates."""

    src: Environment
    dst: Environment
    plan: Plan
    repo: GitRepo
    promoter: str
    now: datetime
    environments: Mapping[str, Environment] = field(default_factory=dict)
    plan_hash: str = ""
    # The loaded plugins, so that gates can render environments at older commits (soak).
    plugins: Plugins | None = None
    # Set when the promotion is a pull request being merged: its author and the provider's
    # reviews (the approval gate counts them with `from: pull_request`).
    pull_request: PullRequest | None = None
    review_state: ReviewState | None = None
    # Where an environment (by name) lives, read at the tip of its branch or repository: gates
    # that read an environment's history (soak, upstreams, approval) read it there.
    place: Callable[[str], Place] | None = None
    # What SRC renders at the commit `where(src)` names, when the plan read exactly that (no
    # uncommitted input, nothing carried over from a dry run): soak need not render it again.
    src_versions: Mapping[ArtifactRef, str] | None = None

    def where(self, env: str) -> tuple[GitRepo, str, Path]:
        """(repository, commit, root of the tree) of environment `env`; without `place`
        (a context made by hand), the working tree at HEAD."""
        if self.place is None:
            return self.repo, "HEAD", self.repo.root
        found = self.place(env)
        return found.repo, found.commit, found.root


class Gate(Protocol):
    """A gate may also define `check_placement(options, env, environments) -> str | None`: a
    problem with where it is configured (`env`, the environment whose `gates:` or `verify:`
    list it is in), checked with the graph file like `check_options`."""

    def check_options(self, options: Any) -> str | None:
        """A one-line problem with the options from the graph file, or None when they are valid."""

    def evaluate(self, context: GateContext, options: Any) -> Verdict:
        """Decide. Raising is allowed: the engine turns it into a failed verdict (fail closed)."""


@dataclass(frozen=True)
class TargetContext:
    """What a target needs to reconcile one environment at one commit."""

    env: Environment
    options: Mapping[str, Any]  # the environment's `target:` mapping
    objects: list[dict[str, Any]]  # desired state: the environment rendered at `commit`
    commit: str
    repo: GitRepo
    repo_root: Path
    dry_run: bool = False
    timeout: float | None = None  # seconds to wait for health (`--timeout`); None: the target's


@dataclass(frozen=True)
class ObjectResult:
    """What happened to one object: created | configured | unchanged | pruned | kept | failed."""

    action: str
    api_version: str
    kind: str
    name: str
    namespace: str | None = None
    detail: str = ""


@dataclass
class ReconcileReport:
    env: str
    commit: str
    results: list[ObjectResult] = field(default_factory=list)
    healthy: bool = True
    messages: list[str] = field(default_factory=list)
    dry_run: bool = False

    def count(self, action: str) -> int:
        return sum(1 for r in self.results if r.action == action)


@dataclass
class DiffReport:
    """Desired vs live. `diff` is a unified diff; Secret values appear only as hashes."""

    env: str
    in_sync: bool
    diff: str = ""
    drifted: list[str] = field(default_factory=list)  # "Kind/namespace/name" of differing objects


@dataclass(frozen=True)
class TargetStatus:
    last_applied_commit: str | None
    drifted: bool | None  # None when it cannot be known (target unreachable)
    detail: str = ""


@dataclass(frozen=True)
class AgentObservation:
    """What an environment's agent (Flux, Argo CD, promote's target) reports right now."""

    what: str  # "Kustomization flux-system/apps"
    revision: str | None  # the revision it applied, as it says it ("main@sha1:0a1b…")
    healthy: bool  # Ready=True / Healthy and Synced / workloads rolled out
    failed: bool  # reports a failure of its last attempt (not merely still progressing)
    message: str  # its own words: "Ready=False: HealthCheckFailed: …"
    since: datetime | None = None  # when it reached this state (Ready's lastTransitionTime…)
    attempted: str | None = None  # the revision its last attempt was at (failures are about it)
    detail: str = ""  # its longer message (the condition's or the health's `message`)


class Target(Protocol):
    """Applies an environment's rendered objects somewhere (a cluster, a branch).

    A target may also define `observe(env, options) -> AgentObservation` for environments
    whose `agent: {kind: promote}` names it (the kubernetes target does)."""

    def check_options(self, options: Mapping[str, Any]) -> str | None:
        """A one-line problem with the environment's `target:` mapping, or None."""

    def apply(self, context: TargetContext) -> ReconcileReport:
        """Make the target hold exactly `context.objects`: apply, prune, wait for health."""

    def diff(self, context: TargetContext) -> DiffReport:
        """Compare `context.objects` with what the target holds now. Never changes anything."""

    def status(self, context: TargetContext) -> TargetStatus:
        """The last applied commit and whether the target drifts from `context.objects`."""


@dataclass(frozen=True)
class PullRequest:
    """A pull request (GitHub) or merge request (GitLab), as the engine sees either."""

    number: int
    url: str
    title: str
    head_branch: str
    head_sha: str
    base_branch: str
    author: str
    state: str  # "open" | "closed" | "merged"
    body: str = ""


@dataclass(frozen=True)
class Review:
    user: str
    state: str  # "approved" | "changes_requested" | "commented" | "dismissed"


@dataclass(frozen=True)
class ReviewState:
    """What the provider says about a pull request: reviews and its checks (CI)."""

    reviews: tuple[Review, ...]
    checks: str  # "success" | "pending" | "failure" | "none" (no check configured)
    checks_detail: str = ""

    @property
    def approvers(self) -> tuple[str, ...]:
        """Distinct users whose latest decisive review approves (a later change request or
        dismissal withdraws an earlier approval, as on GitHub)."""
        latest: dict[str, str] = {}
        for review in self.reviews:
            if review.state != "commented":
                latest[review.user] = review.state
        return tuple(user for user, state in latest.items() if state == "approved")

    @property
    def changes_requested(self) -> tuple[str, ...]:
        latest = {r.user: r.state for r in self.reviews if r.state != "commented"}
        return tuple(user for user, state in latest.items() if state == "changes_requested")


class PullRequests(Protocol):
    """One repository on a code host, connected with a token."""

    def create(self, head: str, base: str, title: str, body: str) -> PullRequest: ...
    def get(self, number: int) -> PullRequest: ...
    def list_open(self) -> list[PullRequest]: ...
    def review_state(self, pull_request: PullRequest) -> ReviewState: ...
    def merge(self, pull_request: PullRequest) -> None:
        """Merge exactly `pull_request.head_sha` (a provider refuses when the head moved)."""


class Scm(Protocol):
    """A code host kind (`github`, `gitlab`): settings from graph.yaml or a remote URL."""

    def check_settings(self, settings: Mapping[str, Any]) -> str | None:
        """A one-line problem with graph.yaml's `scm:` mapping, or None when it is valid."""

    def settings_for_remote(self, host: str, path: str) -> dict[str, Any] | None:
        """Settings for a remote at `host` with repository `path`, or None when not this host."""

    def connect(self, settings: Mapping[str, Any]) -> PullRequests:
        """A client for the configured repository; the token comes from the environment."""
