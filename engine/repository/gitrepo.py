"""The only module that imports GitPython. Everything Git the engine needs goes through here."""

from __future__ import annotations

import os
import subprocess
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property
from pathlib import Path, PurePosixPath
from typing import BinaryIO

import git

from promote.engine.errors import BranchMoved, PromoteError, RepositoryError

ZERO_OID = "0" * 40
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
    authored: datetime | None = None

    @property
    def earliest(self) -> datetime:
        """The earlier of committer and author date: `git log` shows the author date, and a
        commit made with `git commit --date` carries its date only there."""
        return min(self.when, self.authored) if self.authored else self.when

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
        """Modified, staged or untracked files under `paths` (what a commit would sweep up).

        A path inside a submodule counts as changed where the submodule's checkout differs from
        the commit HEAD records for it: `git status` of this repository does not look inside.
        """
        wanted = [PurePosixPath(p) for p in paths]
        out = self.run(
            "status",
            "--porcelain=v1",
            "-z",
            "--untracked-files=all",
            "--ignore-submodules=none",  # whatever `submodule.*.ignore` says
            "--",
            *map(str, wanted),
        )
        dirty = {entry[3:] for entry in out.split("\0") if len(entry) > 3}
        for submodule, recorded, inside in self._inside_submodules(wanted):
            changed = self._changed_in_submodule(submodule, recorded, inside)
            dirty.update(f"{submodule}/{name}" for name in changed)
        return sorted(dirty)

    def _inside_submodules(
        self, paths: list[PurePosixPath]
    ) -> list[tuple[PurePosixPath, str, PurePosixPath]]:
        """(submodule, commit HEAD records for it, path within it) of paths inside submodules."""
        ancestors = sorted({str(a) for p in paths for a in p.parents if str(a) != "."})
        if not ancestors or not self.repo.head.is_valid():
            return []
        found = []
        for entry in self.run("ls-tree", "-z", "HEAD", "--", *ancestors).split("\0"):
            meta, _, name = entry.partition("\t")
            if meta.startswith("160000 "):  # a gitlink: the commit a submodule is recorded at
                submodule, recorded = PurePosixPath(name), meta.split()[2]
                found += [
                    (submodule, recorded, p.relative_to(submodule))
                    for p in paths
                    if submodule in p.parents
                ]
        return found

    def _changed_in_submodule(
        self, submodule: PurePosixPath, recorded: str, inside: PurePosixPath
    ) -> list[str]:
        """Files under `inside` whose checkout differs from `recorded`, or are untracked there."""
        where = ("-C", str(self.root / submodule))
        try:
            changed = self.run(*where, "diff", "--name-only", "-z", recorded, "--", str(inside))
            untracked = self.run(
                *where, "ls-files", "--others", "--exclude-standard", "-z", "--", str(inside)
            )
        except RepositoryError:  # the recorded commit is not in the submodule's clone at all
            return [str(inside)]
        return [name for name in f"{changed}\0{untracked}".split("\0") if name]

    def identity(self) -> tuple[str, str]:
        """(name, email) the next commit would carry: env overrides, then git config."""
        reader = self.repo.config_reader()
        name = os.environ.get("GIT_AUTHOR_NAME") or reader.get_value("user", "name", "")
        email = os.environ.get("GIT_AUTHOR_EMAIL") or reader.get_value("user", "email", "")
        return str(name), str(email)

    @property
    def git_dir(self) -> Path:
        """The directory shared by all worktrees (`.git` of the main checkout)."""
        return Path(self.repo.common_dir).resolve()

    @property
    def own_git_dir(self) -> Path:
        """This checkout's own Git directory (a linked worktree's, under the shared one)."""
        return Path(self.repo.git_dir).resolve()

    def refuse_index_lock(self) -> None:
        """Git's own lock on the index: a running git command holds it, or a crashed one left it."""
        lock = Path(self.repo.git_dir) / "index.lock"
        if lock.exists():
            raise RepositoryError(
                f"{lock} exists: another git command is running, or a crashed one left it behind; "
                "remove it once no git command runs in this repository"
            )

    @contextmanager
    def staged_tree(
        self, base: str, texts: dict[PurePosixPath, str]
    ) -> Iterator[tuple[str, dict[str, str]]]:
        """(tree, environment naming the index that holds it): `base` with `texts` written in.

        Built in a temporary index, which lives as long as the context (the commit hooks read
        it); the repository's index, working tree and refs are untouched.
        """
        modes = self._modes(base, list(texts))
        links = [path for path, mode in modes.items() if mode == "120000"]
        if links:  # its text would become the link's target
            raise RepositoryError(f"refusing to edit {links[0]}: it is a symbolic link at {base}")
        with _temporary_index() as env:
            self.run("read-tree", base, env=env)
            self._stage_blobs(env, {str(p): t.encode() for p, t in texts.items()}, modes)
            yield self.run("write-tree", env=env).strip(), env

    def commit_tree(self, tree: str, parents: Sequence[str], message: str) -> str:
        """A commit object of `tree`, signed when the user's Git config signs commits
        (`commit-tree` itself ignores `commit.gpgSign`; `-S` uses `user.signingKey`)."""
        sign = ["-S"] if self.config_flag("commit.gpgsign") else []
        args = [
            "commit-tree",
            tree,
            *[arg for parent in parents for arg in ("-p", parent)],
            *sign,
            "-F",
            "-",
        ]
        return self.run(*args, istream=_stdin(message), env=_identity_env(self)).strip()

    def config_flag(self, key: str) -> bool:
        """A boolean Git config value as Git reads it (all scopes, `-c`, GIT_CONFIG_*)."""
        try:
            return self.run("config", "--type=bool", "--get", key).strip() == "true"
        except RepositoryError:  # unset
            return False

    def hook_exists(self, name: str) -> bool:
        """Whether Git would run hook `name`: present and executable."""
        path = self._hooks_dir / name
        return path.is_file() and os.access(path, os.X_OK)

    @cached_property
    def _hooks_dir(self) -> Path:
        """Where Git looks for hooks (`core.hooksPath` honoured)."""
        path = Path(self.run("rev-parse", "--git-path", "hooks"))
        return path if path.is_absolute() else self.root / path

    def run_hook(
        self, name: str, args: Sequence[str], env: dict[str, str], cwd: Path
    ) -> tuple[int, str]:
        """`git hook run NAME -- ARGS`: the hook's exit status and its output (Git sends the
        hook's stdout to stderr too)."""
        # Not through GitPython: the hook runs in `cwd`, which need not be this repository; a
        # relative core.hooksPath (`.husky/_`, often untracked) must still name this checkout's.
        done = subprocess.run(
            ["git", "-c", f"core.hooksPath={self._hooks_dir}", "hook", "run", name, "--", *args],
            env=env,
            cwd=cwd,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            check=False,
        )
        return done.returncode, done.stdout + done.stderr

    def trailers_of(self, message: str) -> list[tuple[str, str]]:
        """(key, value) of the trailers in `message`, as `git interpret-trailers` parses them."""
        out = self.run("interpret-trailers", "--parse", istream=_stdin(message))
        return [
            (key.strip(), value.strip())
            for key, sep, value in (line.partition(":") for line in out.splitlines())
            if sep
        ]

    def clean_message(self, message: str) -> str:
        """The message as `git commit -F` stores it (`--cleanup=whitespace`)."""
        return self.run("stripspace", istream=_stdin(message), strip_newline_in_stdout=False)

    def _modes(self, rev: str, paths: Sequence[PurePosixPath]) -> dict[str, str]:
        """File modes at `rev` (an executable stays executable when promote rewrites it)."""
        out = self.run("ls-tree", "-z", rev, "--", *[str(p) for p in paths])
        modes = {}
        for entry in filter(None, out.split("\0")):
            meta, _, path = entry.partition("\t")
            modes[path] = meta.split()[0]
        return modes

    def advance_head(self, new: str, expected: str, reason: str) -> None:
        """Move HEAD's branch from `expected` to `new`, only if it still is at `expected`."""
        try:
            self.run("update-ref", "-m", reason, "HEAD", new, expected)
        except RepositoryError as exc:
            raise BranchMoved(
                f"the branch moved while promoting (someone committed): {exc.message}"
            ) from None

    def stage_worktree_files(self, files: Sequence[PurePosixPath]) -> None:
        """Record the working tree's `files` in the index (after HEAD moved to a commit that
        holds exactly these contents, so the tree is clean again)."""
        self.run("update-index", "--add", "--", *[str(f) for f in files])

    def checkout_files(self, rev: str, files: Sequence[PurePosixPath]) -> None:
        """Index and working tree of `files` as `rev` has them."""
        self.run("checkout", rev, "--", *[str(f) for f in files])

    def upstream(self) -> tuple[str, str]:
        """(remote, branch) that `--push` publishes to: the branch's upstream, else origin."""
        branch = self.branch()
        if branch is None:
            raise RepositoryError("cannot push from a detached HEAD")
        reader = self.repo.config_reader()
        remote = str(reader.get_value(f'branch "{branch}"', "remote", "origin"))
        merge = str(reader.get_value(f'branch "{branch}"', "merge", f"refs/heads/{branch}"))
        return remote, merge.removeprefix("refs/heads/")

    def fetch_tip(self, remote: str, branch: str) -> str | None:
        """Fetch `branch` from `remote`; its tip there, or None when the remote lacks it."""
        tracking = f"refs/remotes/{remote}/{branch}"
        try:
            self.run("fetch", "--quiet", "--no-tags", remote, f"+refs/heads/{branch}:{tracking}")
        except RepositoryError as exc:
            if "couldn't find remote ref" in exc.message:
                return None
            raise
        return self.resolve(tracking)

    def push_head(self, remote: str, branch: str) -> str | None:
        """Push HEAD to `remote`'s `branch`, never forced; None when it landed, else why not."""
        try:
            self.run("push", "--quiet", "--porcelain", remote, f"HEAD:refs/heads/{branch}")
        except RepositoryError as exc:
            return exc.message
        return None

    def push_commit(self, remote: str, commit: str, branch: str) -> str | None:
        """Make `remote`'s `branch` point to `commit`, never forced: Git refuses unless it is a
        fast-forward, which makes the push a compare-and-swap. None when it landed, else why not."""
        try:
            self.run("push", "--quiet", "--porcelain", remote, f"{commit}:refs/heads/{branch}")
        except RepositoryError as exc:
            return exc.message
        return None

    def update_ref(self, ref: str, new: str, expected: str | None) -> None:
        """Move `ref` to `new` only if it still is at `expected` (None: only if it does not
        exist yet); BranchMoved otherwise."""
        try:
            self.run("update-ref", "-m", "promote", ref, new, expected or ZERO_OID)
        except RepositoryError as exc:
            raise BranchMoved(f"{ref} moved while promoting: {exc.message}") from None

    def commit_on(self, parent: str, message: str) -> str:
        """A commit with `parent`'s tree (it changes no file), on no branch yet."""
        tree = self.run("rev-parse", f"{parent}^{{tree}}").strip()
        return self.commit_tree(tree, [parent], message)

    def push_new_branch(self, remote: str, commit: str, branch: str) -> None:
        """Create `branch` on `remote` at `commit`; refused (never forced) when it exists."""
        self.run("push", "--quiet", "--porcelain", remote, f"{commit}:refs/heads/{branch}")

    def delete_remote_branch(self, remote: str, branch: str) -> None:
        self.run("push", "--quiet", "--porcelain", remote, f":refs/heads/{branch}")

    def remotes(self) -> list[str]:
        return [remote.name for remote in self.repo.remotes]

    def remote_url(self, remote: str) -> str:
        return self.run("remote", "get-url", remote).strip()

    def is_ancestor(self, ancestor: str, descendant: str) -> bool:
        try:
            self.run("merge-base", "--is-ancestor", ancestor, descendant)
        except RepositoryError:
            return False
        return True

    def changed_between(self, old: str, new: str, paths: Sequence[PurePosixPath]) -> bool:
        """Whether any file under `paths` differs between two commits."""
        out = self.run("diff", "--name-only", old, new, "--", *[str(p) for p in paths])
        return bool(out.strip())

    def reset_keep(self, rev: str) -> None:
        """Move HEAD's branch to `rev`, updating the files that differ (`git reset --keep`:
        refuses rather than overwrite a local change)."""
        self.run("reset", "--quiet", "--keep", rev)

    def file_at(self, rev: str, path: str) -> str | None:
        """The text of `path` in commit `rev`, or None when it has no such file."""
        try:
            return self.run("show", f"{rev}:{path}", strip_newline_in_stdout=False)
        except RepositoryError:
            return None

    def ssh_signatures(
        self, commits: Sequence[str], allowed_signers: str
    ) -> dict[str, tuple[str, str]]:
        """Commit → (Git's verdict `%G?`, signer principal `%GS`), checked by Git against the SSH
        allowed-signers text given: G good, N unsigned, U/E/B not by a listed key or bad.

        OpenPGP and X.509 signatures are not checked against the local keyring: only the list
        decides, so their programs are replaced by `false`.
        """
        with tempfile.NamedTemporaryFile("w", prefix="promote-signers-", suffix=".txt") as listed:
            listed.write(allowed_signers)
            listed.flush()
            out = self.run(
                *("-c", f"gpg.ssh.allowedSignersFile={listed.name}"),
                *("-c", "gpg.openpgp.program=false", "-c", "gpg.x509.program=false"),
                *("log", "--no-walk=unsorted", "--format=%H%x00%G?%x00%GS", *commits),
            )
        verdicts = {}
        for line in out.splitlines():
            sha, status, signer = line.split("\0")
            verdicts[sha] = (status, signer)
        return verdicts

    def message_of(self, rev: str) -> str:
        return self.run("log", "-1", "--format=%B", rev, strip_newline_in_stdout=False)

    def commit_empty(self, message: str, *, run_hooks: bool = True) -> str:
        """A commit that changes no file: approvals are recorded this way.

        `--only` without paths keeps whatever the user staged out of the commit. Git runs the
        user's hooks and signs as its config says, as for any commit they make.
        """
        skip = [] if run_hooks else ["--no-verify"]
        self.run(
            "commit",
            "--quiet",
            "--allow-empty",
            "--only",
            *skip,
            "-F",
            "-",
            istream=_stdin(message),
        )
        return self.head()

    def log(
        self,
        *,
        grep: str | None = None,
        paths: Sequence[str] = (),
        rev: str = "HEAD",
        max_count: int | None = None,
    ) -> list[CommitInfo]:
        """Commits newest first, with their trailers parsed by Git itself."""
        fields = ["%H", "%cI", "%ae", "%ce", "%aI", "%s", "%(trailers:unfold,only)"]
        fmt = "%x00".join(fields) + "%x1e"
        args = ["log", f"--format={fmt}", rev]
        if grep:
            args += ["-E", f"--grep={grep}"]
        if max_count:
            args.append(f"--max-count={max_count}")
        if paths:
            args += ["--", *paths]
        try:
            return list(self._log_records(args))
        except RepositoryError:
            if not self.repo.head.is_valid():
                return []
            raise

    def _log_records(self, args: list[str]) -> Iterator[CommitInfo]:
        """Records parsed while git still writes the next ones: one process, its output never
        held whole (a long history is megabytes)."""
        cwd = self.repo.working_tree_dir or self.repo.git_dir
        with (
            tempfile.TemporaryFile() as errors,  # a file: a full stderr pipe cannot stall git
            subprocess.Popen(
                ["git", *args], cwd=cwd, stdout=subprocess.PIPE, stderr=errors
            ) as git_log,
        ):
            assert git_log.stdout is not None
            pending = b""
            while chunk := git_log.stdout.read1(1 << 16):
                # \x1e is ASCII: never inside a UTF-8 sequence, so records split before decoding.
                *records, pending = (pending + chunk).split(_RECORD.encode())
                for record in records:
                    text = record.decode("utf-8", "replace")
                    if text.strip():
                        yield _commit(text)
            if git_log.wait() != 0:
                errors.seek(0)
                detail = errors.read().decode("utf-8", "replace").strip()
                raise RepositoryError(f"git log failed: {detail}")

    def changing_lines(
        self, pairs: Sequence[tuple[str, str]], pattern: str, paths: Sequence[str]
    ) -> set[str]:
        """Of (commit, older commit) pairs, the commits whose diff from the older one adds or
        removes a line matching `pattern` (a POSIX extended regex) in `paths`: one
        `git diff-tree -G` for them all, never one process per commit."""
        if not pairs:
            return set()
        lines = "".join(f"{commit} {older}\n" for commit, older in pairs)
        out = self.run(
            "diff-tree",
            "--stdin",
            "-r",
            "--name-only",
            f"-G{pattern}",
            "--",
            *paths,
            istream=_stdin(lines),
        )
        asked = {commit for commit, _older in pairs}
        return {line for line in out.splitlines() if line in asked}  # the rest are file names

    # --- reading other commits and writing other branches, never the working tree or index ---

    def resolve(self, rev: str) -> str:
        """The full sha of the commit `rev` names."""
        return self.run("rev-parse", "--verify", "--quiet", f"{rev}^{{commit}}").strip()

    def branch_head(self, branch: str) -> str | None:
        """The sha `refs/heads/BRANCH` points to, or None when the branch does not exist."""
        try:
            return self.run("rev-parse", "--verify", "--quiet", f"refs/heads/{branch}").strip()
        except RepositoryError:
            return None

    def is_valid_branch_name(self, branch: str) -> bool:
        try:
            self.run("check-ref-format", "--branch", branch)
        except RepositoryError:
            return False
        return True

    def export(self, rev: str, directory: Path, paths: Sequence[PurePosixPath] = ()) -> None:
        """Write the files of `rev` into `directory` — only those under `paths` when given
        (paths missing at `rev` are skipped) — through a temporary index: the repository's own
        index and working tree are not touched."""
        # `directory` as the work tree, not `--prefix`: a bare repository (the cache of another
        # repository, engine.repository.remotes) has none of its own to be relative to.
        directory.mkdir(parents=True, exist_ok=True)
        checkout = ("--work-tree", str(directory.resolve()), "checkout-index", "--force")
        with _temporary_index() as env:
            self.run("read-tree", rev, env=env)
            if not paths:
                self.run(*checkout, "--all", env=env)
                return
            listed = self.run("ls-files", "-z", "--", *[str(p) for p in paths], env=env)
            files = [name for name in listed.split("\0") if name]
            if files:
                stdin = _stdin("\0".join(files))
                self.run(*checkout, "-z", "--stdin", istream=stdin, env=env)

    def tree_files(self, rev: str, under: PurePosixPath) -> dict[str, bytes]:
        """Path (relative to `under`) → content of every file below `under` in `rev`."""
        tree = self.repo.commit(rev).tree
        if str(under) not in ("", "."):
            try:
                tree = tree / str(under)
            except KeyError:
                return {}
        if not isinstance(tree, git.Tree):
            return {}
        prefix = len(tree.path) + 1 if tree.path else 0
        return {
            blob.path[prefix:]: blob.data_stream.read()
            for blob in tree.traverse()
            if isinstance(blob, git.Blob)
        }

    def commit_to_branch(
        self, branch: str, under: PurePosixPath, files: dict[str, bytes], message: str
    ) -> str | None:
        """Commit exactly `files` below `under` on BRANCH (created when missing) with plumbing.

        Everything else in the branch stays. Returns the new commit, or None when the tree
        would not change. The update is a compare-and-swap on the branch's old value.
        """
        parent = self.branch_head(branch)
        if not self.repo.bare and self.branch() == branch:  # a bare repository checks out none
            raise RepositoryError(f"refusing to write to {branch!r}: it is the checked-out branch")
        root = str(under) in ("", ".")
        with _temporary_index() as env:
            if parent and not root:
                self.run("read-tree", parent, env=env)
                self.run(
                    "rm", "--cached", "-r", "-q", "--ignore-unmatch", "--", str(under), env=env
                )
            self._stage_blobs(
                env, {name if root else f"{under}/{name}": data for name, data in files.items()}
            )
            tree = self.run("write-tree", env=env).strip()
        if parent and self.run("rev-parse", f"{parent}^{{tree}}").strip() == tree:
            return None
        commit = self.commit_tree(tree, [parent] if parent else [], message)
        self.run("update-ref", f"refs/heads/{branch}", commit, parent or ZERO_OID)
        return commit

    def _stage_blobs(
        self, env: dict[str, str], files: dict[str, bytes], modes: dict[str, str] | None = None
    ) -> None:
        """Store `files` (path → content) as blobs and enter them in the index `env` names,
        each with its mode in `modes` (a regular file when absent)."""
        with tempfile.TemporaryDirectory() as scratch:
            blobs = self._hash_blobs(Path(scratch), files)
        lines = "".join(
            f"{(modes or {}).get(path, '100644')} {sha}\t{path}\n" for path, sha in blobs.items()
        )
        if lines:
            self.run("update-index", "--index-info", istream=_stdin(lines), env=env)

    def _hash_blobs(self, scratch: Path, files: dict[str, bytes]) -> dict[str, str]:
        """Store every content as a blob in one `git hash-object` run; name → blob sha."""
        names = sorted(files)
        paths = []
        for index, name in enumerate(names):
            path = scratch / str(index)
            path.write_bytes(files[name])
            paths.append(str(path))
        if not paths:
            return {}
        out = self.run(
            "hash-object",
            "-w",
            "--no-filters",
            "--stdin-paths",
            istream=_stdin("\n".join(paths) + "\n"),
        )
        return dict(zip(names, out.split(), strict=True))

    def commit_info(self, rev: str) -> CommitInfo:
        return self.log(rev=rev, max_count=1)[0]

    def has_remote(self) -> bool:
        return bool(self.repo.remotes)

    def pull_fast_forward(self) -> None:
        """`git pull --ff-only` of the current branch from its upstream."""
        self.run("pull", "--quiet", "--ff-only")


def _stdin(message: str) -> BinaryIO:
    """A real file as the subprocess's stdin (GitPython's `istream` wants a file object)."""
    handle = tempfile.TemporaryFile()  # noqa: SIM115 - the subprocess reads it; GC closes it
    handle.write(message.encode("utf-8"))
    handle.seek(0)
    return handle


@contextmanager
def _temporary_index() -> Iterator[dict[str, str]]:
    """The environment for a git command that must use a scratch index, not the real one."""
    with tempfile.TemporaryDirectory(prefix="promote-index-") as directory:
        yield {**os.environ, "GIT_INDEX_FILE": str(Path(directory) / "index")}


def _identity_env(repo: GitRepo) -> dict[str, str]:
    """Commits made by a headless reconciler still need an author; fall back to a neutral one."""
    env = dict(os.environ)
    name, email = repo.identity()
    for role in ("AUTHOR", "COMMITTER"):
        env.setdefault(f"GIT_{role}_NAME", name or "promote")
        env.setdefault(f"GIT_{role}_EMAIL", email or "promote@localhost")
    return env


def _commit(record: str) -> CommitInfo:
    sha, when, author, committer, authored, subject, trailers = record.lstrip("\n").split(_FIELD, 6)
    pairs = []
    for line in trailers.splitlines():
        key, sep, value = line.partition(":")
        if sep:
            pairs.append((key.strip(), value.strip()))
    return CommitInfo(
        sha,
        datetime.fromisoformat(when),
        author,
        committer,
        subject,
        tuple(pairs),
        datetime.fromisoformat(authored),
    )


def init_repository(directory: Path) -> GitRepo:
    """A new repository with a `main` branch (used by `promote init`)."""
    try:
        git.Repo.init(directory, initial_branch="main")
    except git.GitCommandError as exc:
        raise PromoteError(f"git init failed: {exc}") from None
    return GitRepo(directory)


def init_bare(directory: Path) -> GitRepo:
    """A new bare repository (the cache of another repository, engine.repository.remotes)."""
    try:
        git.Repo.init(directory, bare=True)
    except git.GitCommandError as exc:
        raise PromoteError(f"git init --bare failed: {exc}") from None
    return GitRepo(directory)
