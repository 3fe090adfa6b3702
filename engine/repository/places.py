"""Where each environment lives, resolved to a commit and a directory its files are read from.

Three kinds of place (docs/layouts.md):

- the checked-out branch (no `branch:`/`repo:`, or `branch:` naming it): read from the working
  tree, written as today (engine.promotion.landing);
- another branch of this repository: read at the tip of `refs/heads/BRANCH` (or, in a clone that
  has only the remote's, `refs/remotes/origin/BRANCH`), exported to a temporary directory;
- another repository (`repo: URL`): fetched into its cache (engine.repository.remotes) and read
  at the tip of its branch, exported likewise.

The user's HEAD, index and working tree are read, never written, for the last two.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path

from promote.engine.errors import ConfigError, Location, PromoteError, RepositoryError
from promote.engine.model import Environment
from promote.engine.repository import remotes
from promote.engine.repository.gitrepo import GitRepo


@dataclass(frozen=True)
class Place:
    """One environment's tree, read at `commit` and found under `root`."""

    repo: GitRepo  # the repository holding `commit`: the user's, or the cache of `url`
    commit: str
    root: Path  # the working tree, or an export of `commit`
    branch: str | None  # the branch a promotion moves (None: a detached checkout)
    url: str | None = None  # the environment's `repo:`; None for this repository
    checked_out: bool = False
    local_tip: str | None = None  # refs/heads/BRANCH before the promotion (None: not there yet)
    remote: str | None = None  # where `--push` publishes a branch of this repository

    def describe(self) -> str:
        where = f"{self.url} branch {self.branch}" if self.url else f"branch {self.branch}"
        return "the working tree" if self.checked_out else where


class Places:
    """Resolves environments to places, each tree fetched and exported once per command."""

    def __init__(self, repo: GitRepo, *, fetch: bool = False) -> None:
        self.repo = repo
        self.fetch = fetch  # fetch branches of this repository too (`--push` does)
        self._resolved: dict[tuple[str, str | None], Place] = {}
        # (repository, branch, path) → the environment found there: a repository's default
        # branch is only known once asked, so the graph file alone cannot catch every clash.
        self._claimed: dict[tuple[str, str | None, str], str] = {}
        self._scratch: tempfile.TemporaryDirectory[str] | None = None

    def forget(self) -> None:
        """Read every tree again (its branch may have moved: a promotion landed there)."""
        self._resolved.clear()
        self._claimed.clear()

    def in_worktree(self, env: Environment) -> bool:
        """Whether `env` is read from (and promoted into) the working tree."""
        return env.repo is None and env.branch in (None, self.repo.branch())

    def of(self, env: Environment) -> Place:
        key = (env.repo or "", None if self.in_worktree(env) else env.branch)
        if key not in self._resolved:
            self._resolved[key] = self._resolve(env)
        place = self._resolved[key]
        _refuse_missing_path(env, place)
        claim = (place.url or "", place.branch, str(env.path))
        _claim(self._claimed, claim, env, f"{env.path} on {place.describe()}")
        return place

    def source_repo(self, src: Place, dst: Place) -> str | None:
        """SRC's repository as the `Promote-Source-Repo` trailer names it, when not DST's."""
        if src.url == dst.url:
            return None
        return src.url or self.own_url()

    def own_url(self) -> str:
        try:
            return self.repo.remote_url("origin")
        except RepositoryError:
            return self.repo.root.resolve().as_uri()

    def _resolve(self, env: Environment) -> Place:
        if env.repo is not None:
            return self._other_repository(env)
        if self.in_worktree(env):
            repo = self.repo
            return Place(repo, repo.head(), repo.root, repo.branch(), None, checked_out=True)
        return self._other_branch(env)

    def _other_branch(self, env: Environment) -> Place:
        branch = env.branch
        assert branch is not None
        remote = "origin" if "origin" in self.repo.remotes() else None
        local = self.repo.branch_head(branch)
        fetched = self._fetched(remote, branch) if remote else None
        commit = _newest(self.repo, local, fetched, branch)
        if commit is None:
            raise ConfigError(
                f"environment {env.name!r}: branch {branch!r} does not exist in this "
                f"repository{' or on origin' if remote else ''}",
                location=env.key_locations.get("branch", env.location),
            )
        return Place(
            self.repo, commit, self._export(self.repo, commit), branch, None, False, local, remote
        )

    def _fetched(self, remote: str, branch: str) -> str | None:
        """The remote's tip of `branch`: fetched when asked to, else as last fetched."""
        if self.fetch:
            return self.repo.fetch_tip(remote, branch)
        try:
            return self.repo.resolve(f"refs/remotes/{remote}/{branch}")
        except RepositoryError:
            return None

    def _other_repository(self, env: Environment) -> Place:
        url = env.repo
        assert url is not None
        where = env.key_locations.get("repo", env.location)
        fresh = not remotes.cache_path(self.repo.git_dir, url).is_dir()
        try:
            cache = remotes.cached_clone(self.repo.git_dir, url)
            branch = env.branch or remotes.default_branch(cache, url)
            tip = remotes.fetch_branch(cache, branch)
        except PromoteError as exc:
            if fresh:  # a URL that never answered leaves nothing behind
                remotes.forget(self.repo.git_dir, url)
            reason = exc.message.splitlines()[0]  # git's first line says it; the rest is advice
            raise ConfigError(
                f"environment {env.name!r}: cannot read repository {url}: {reason}",
                location=where,
            ) from None
        if tip is None:
            raise ConfigError(
                f"environment {env.name!r}: branch {branch!r} does not exist in {url}",
                location=env.key_locations.get("branch", where),
            )
        return Place(cache, tip, self._export(cache, tip), branch, url, False, tip, "origin")

    def _export(self, repo: GitRepo, commit: str) -> Path:
        if self._scratch is None:  # removed when the Places object is collected or at exit
            self._scratch = tempfile.TemporaryDirectory(prefix="promote-trees-")
        directory = Path(self._scratch.name) / commit
        if not directory.is_dir():
            repo.export(commit, directory)
        return directory


def _newest(repo: GitRepo, local: str | None, fetched: str | None, branch: str) -> str | None:
    """Of the local branch and the remote's, the one that contains the other (None: neither
    exists)."""
    if local is None or fetched is None or local == fetched:
        return local or fetched
    if repo.is_ancestor(local, fetched):
        return fetched
    if repo.is_ancestor(fetched, local):
        return local
    raise RepositoryError(
        f"branch {branch!r} and origin/{branch} have diverged; integrate them first "
        f"(git switch {branch} && git pull --rebase)"
    )


def _refuse_missing_path(env: Environment, place: Place) -> None:
    if place.checked_out and not env.elsewhere:
        return  # checked when the graph file was loaded
    if not (place.root / env.path).is_dir():
        location: Location | None = env.key_locations.get("path", env.location)
        raise ConfigError(
            f"environment {env.name!r}: path {str(env.path)!r} is not a directory on "
            f"{place.describe()} (commit {place.commit[:12]})",
            location=location,
        )


def refuse_shared_trees(environments: list[Environment], checked_out: str | None) -> None:
    """Two environments in one directory of one tree would promote into each other's files."""
    claims: dict[tuple[str, str | None, str], str] = {}
    for env in environments:
        branch = env.branch if (env.repo or env.branch) else checked_out
        _claim(claims, (env.repo or "", branch, str(env.path)), env, env.where())


def _claim(
    claims: dict[tuple[str, str | None, str], str],
    key: tuple[str, str | None, str],
    env: Environment,
    where: str,
) -> None:
    """Record that `env` lives at `key` (repository, branch, path); refuse a second one there."""
    owner = claims.setdefault(key, env.name)
    if owner != env.name:
        raise ConfigError(
            f"environments {owner!r} and {env.name!r} have the same path {where}",
            location=env.key_locations.get("path", env.location),
        )
