"""The error taxonomy. The CLI turns a `PromoteError` into one message and an exit code.

Gate verdicts are *not* errors: they are data (`engine.model.Verdict`). `GateBlocked` only exists so
that the CLI can leave with exit code 3 after the verdicts were shown.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

EXIT_OK = 0
EXIT_FAILURE = 1
EXIT_USAGE = 2
EXIT_BLOCKED = 3
EXIT_INTERRUPTED = 130  # Ctrl-C, as shells report a process ended by SIGINT


@dataclass(frozen=True)
class Location:
    """Where in a file a problem is: rendered as file:line:column (1-based)."""

    file: Path | str
    line: int | None = None
    column: int | None = None

    def __str__(self) -> str:
        parts = [str(self.file)]
        if self.line is not None:
            parts.append(str(self.line))
            if self.column is not None:
                parts.append(str(self.column))
        return ":".join(parts)


class PromoteError(Exception):
    """A failure the user can act on. Never shown with a traceback unless --debug."""

    exit_code = EXIT_FAILURE

    def __init__(self, message: str, *, location: Location | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.location = location

    def __str__(self) -> str:
        return f"{self.location}: {self.message}" if self.location else self.message


class UsageError(PromoteError):
    """Wrong command-line use: unknown environment, no path between environments, bad flags."""

    exit_code = EXIT_USAGE


class ConfigError(PromoteError):
    """The graph file or an environment's files are invalid."""

    exit_code = EXIT_USAGE


class RepositoryError(PromoteError):
    """The Git repository is not in a state we may change (dirty worktree, detached HEAD, ...)."""

    exit_code = EXIT_USAGE


class PluginError(PromoteError):
    """A plugin failed to load, registered a clashing name, or raised outside a gate."""

    exit_code = EXIT_USAGE


class RenderError(PromoteError):
    """An environment does not render (kustomize failed, invalid YAML, missing binary)."""

    exit_code = EXIT_USAGE


class GateBlocked(PromoteError):
    """At least one gate did not pass. The verdicts have already been reported."""

    exit_code = EXIT_BLOCKED


class ReconcileError(PromoteError):
    """Applying to a target failed or the environment did not become healthy."""

    exit_code = EXIT_FAILURE


class LockTimeout(PromoteError):
    """Another promotion held the repository's lock for longer than we were willing to wait."""

    exit_code = EXIT_FAILURE


class BranchMoved(PromoteError):
    """The branch moved between planning and landing (someone committed): plan again."""

    exit_code = EXIT_FAILURE


class PushFailed(PromoteError):
    """The promotion could not be pushed; it did not land where the team sees it."""

    exit_code = EXIT_FAILURE


class ScmError(PromoteError):
    """The code host (GitHub, GitLab) could not be reached or refused a request."""

    exit_code = EXIT_FAILURE

    def __init__(self, message: str, *, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status  # the HTTP status, when the host answered
