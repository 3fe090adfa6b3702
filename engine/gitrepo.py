"""The only module that imports GitPython. Everything Git the engine needs goes through here."""

from __future__ import annotations

import io
import os
import tarfile
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path, PurePosixPath
from typing import BinaryIO

import git

from engine.errors import PromoteError, RepositoryError

_RECORD = "\x1e"
_FIELD = "\x00"


@dataclass(frozen=True)
class CommitInfo:
    sha: str
    when: datetime
    author_email: str
    committer_email: str
    subject: str
    trailers: tuple[tuple[str, str], ...] = field(default=())

    def trailer(self, key: str) -> str | None:
        return next((v for k, v in self.trailers if k.lower() == key.lower()), None)

    def trailer_values(self, key: str) -> list[str]:
        return [v for k, v in self.trailers if k.lower() == key.lower()]


class GitRepo:
    def __init__(self, root: Path) -> None:
        try:
            self.repo = git.Repo(root)
        except (git.InvalidGitRepositoryError, git.NoSuchPathError):
            raise RepositoryError(f"{root} is not a Git repository") from None
        self.root = Path(self.repo.working_tree_dir or root)

    def run(self, *args: str, **kwargs: object) -> str:
        try:
            return self.repo.git.execute(["git", *args], **kwargs)  # type: ignore[call-overload]
        except git.GitCommandError as exc:
            detail = (exc.stderr or "").strip().removeprefix("stderr: ").strip(" '\n")
            raise RepositoryError(f"git {args[0]} failed: {detail or exc}") from None

    def head(self) -> str:
        try:
            return self.repo.head.commit.hexsha
        except ValueError:
            raise RepositoryError("the repository has no commits yet") from None

    def branch(self) -> str | None:
        return None if self.repo.head.is_detached else self.repo.active_branch.name

    def dirty_paths(self, paths: Iterable[PurePosixPath]) -> list[str]:
        """Modified, staged or untracked files under `paths` (what a commit would sweep up)."""
        wanted = [str(p) for p in paths]
        out = self.run("status", "--porcelain=v1", "-z", "--untracked-files=all", "--", *wanted)
        return sorted({entry[3:] for entry in out.split("\0") if len(entry) > 3})

    def identity(self) -> tuple[str, str]:
        """(name, email) the next commit would carry: env overrides, then git config."""
        reader = self.repo.config_reader()
        name = os.environ.get("GIT_AUTHOR_NAME") or reader.get_value("user", "name", "")
        email = os.environ.get("GIT_AUTHOR_EMAIL") or reader.get_value("user", "email", "")
        return str(name), str(email)

    def commit_files(self, files: Sequence[PurePosixPath], message: str) -> str:
        """Stage exactly `files` and commit them (and nothing else that happens to be staged)."""
        paths = [str(f) for f in files]
        self.run("add", "--", *paths)
        self.run(
            "commit", "--quiet", "--no-verify", "-F", "-", "--", *paths, istream=_stdin(message)
        )
        return self.head()

    def unstage(self, files: Sequence[PurePosixPath]) -> None:
        """Undo `git add` of files we staged for a commit that did not happen."""
        if self.repo.head.is_valid():
            self.repo.git.reset("--quiet", "HEAD", "--", *[str(f) for f in files])

    def push(self) -> None:
        """Push the current branch to its upstream (or origin, same name)."""
        branch = self.branch()
        if branch is None:
            raise RepositoryError("cannot push from a detached HEAD")
        self.run("push", "--quiet", "origin", f"HEAD:refs/heads/{branch}")

    def commit_empty(self, message: str) -> str:
        """A commit that changes no file: approvals are recorded this way.

        `--only` without paths keeps whatever the user staged out of the commit.
        """
        self.run(
            "commit",
            "--quiet",
            "--allow-empty",
            "--only",
            "--no-verify",
            "-F",
            "-",
            istream=_stdin(message),
        )
        return self.head()

    def extract(self, rev: str, paths: Sequence[PurePosixPath], dest: Path) -> None:
        """Write the files under `paths` as they are at `rev` into `dest` (all files if none).

        Paths that do not exist at `rev` are skipped: the caller renders what was there.
        """
        existing = [str(p) for p in paths if self._exists(rev, p)] if paths else []
        if paths and not existing:
            return
        args = ["git", "archive", "--format=tar", rev, "--", *existing]
        try:
            data = self.repo.git.execute(args, stdout_as_string=False)
        except git.GitCommandError as exc:
            raise RepositoryError(f"git archive {rev} failed: {exc.stderr or exc}") from None
        with tarfile.open(fileobj=io.BytesIO(data)) as archive:
            archive.extractall(dest, filter="data")

    def _exists(self, rev: str, path: PurePosixPath) -> bool:
        try:
            self.repo.git.cat_file("-e", f"{rev}:{path}")
        except git.GitCommandError:
            return False
        return True

    def log(
        self,
        *,
        grep: str | None = None,
        paths: Sequence[str] = (),
        rev: str = "HEAD",
        max_count: int | None = None,
    ) -> list[CommitInfo]:
        """Commits newest first, with their trailers parsed by Git itself."""
        fmt = "%x00".join(["%H", "%cI", "%ae", "%ce", "%s", "%(trailers:unfold,only)"]) + "%x1e"
        args = ["log", f"--format={fmt}", rev]
        if grep:
            args += ["-E", f"--grep={grep}"]
        if max_count:
            args.append(f"--max-count={max_count}")
        if paths:
            args += ["--", *paths]
        try:
            out = self.run(*args, strip_newline_in_stdout=False)
        except RepositoryError:
            if not self.repo.head.is_valid():
                return []
            raise
        return [_commit(record) for record in out.split(_RECORD) if record.strip()]

    def show_file(self, rev: str, path: PurePosixPath) -> str | None:
        try:
            return self.repo.git.show(f"{rev}:{path}")
        except git.GitCommandError:
            return None

    def is_ancestor(self, older: str, newer: str) -> bool:
        try:
            self.repo.git.merge_base("--is-ancestor", older, newer)
        except git.GitCommandError:
            return False
        return True


def _stdin(message: str) -> BinaryIO:
    """A real file as the subprocess's stdin (GitPython's `istream` wants a file object)."""
    handle = tempfile.TemporaryFile()  # noqa: SIM115 - the subprocess reads it; GC closes it
    handle.write(message.encode("utf-8"))
    handle.seek(0)
    return handle


def _commit(record: str) -> CommitInfo:
    sha, when, author, committer, subject, trailers = record.lstrip("\n").split(_FIELD, 5)
    pairs = []
    for line in trailers.splitlines():
        key, sep, value = line.partition(":")
        if sep:
            pairs.append((key.strip(), value.strip()))
    return CommitInfo(sha, datetime.fromisoformat(when), author, committer, subject, tuple(pairs))


def init_repository(directory: Path) -> GitRepo:
    """A new repository with a `main` branch (used by `promote init`)."""
    try:
        git.Repo.init(directory, initial_branch="main")
    except git.GitCommandError as exc:
        raise PromoteError(f"git init failed: {exc}") from None
    return GitRepo(directory)
