"""What a plugin registers: sources, renderers, gates and targets, as typing Protocols.

Plugins implement these structurally; nothing needs to subclass anything.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from engine.model import ArtifactRef, Environment, Pin, Plan, TextEdit, Verdict

if TYPE_CHECKING:
    from engine.envfiles import EnvFiles, YamlDocument
    from engine.gitrepo import GitRepo


class Source(Protocol):
    """Finds the versions an environment pins, and writes new ones."""

    def pins(self, document: YamlDocument) -> Iterable[Pin]:
        """Pins set in one YAML document of the environment's own files."""

    def versions(self, obj: Mapping[str, Any]) -> Iterable[tuple[ArtifactRef, str]]:
        """Versions visible in one rendered object (what the environment really runs)."""

    def override(self, files: EnvFiles, ref: ArtifactRef, version: str) -> list[TextEdit] | None:
        """Edits that pin `ref` in the environment's own files when it only inherits it.

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


class Gate(Protocol):
    def check_options(self, options: Any) -> str | None:
        """A one-line problem with the options from the graph file, or None when they are valid."""

    def evaluate(self, context: GateContext, options: Any) -> Verdict:
        """Decide. Raising is allowed: the engine turns it into a failed verdict (fail closed)."""


class Target(Protocol):
    def check_options(self, options: Mapping[str, Any]) -> str | None:
        """A one-line problem with the environment's `target:` mapping, or None."""
