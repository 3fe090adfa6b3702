"""Other repositories environments live in, cached as bare clones under `.git/promote/repos/`.

One cache per URL, made once and fetched on every command that reads it (never cloned again):
`.git/promote/repos/<last part of the URL>-<sha1 of the URL, 12 hex>.git`. Deleting the
directory is always safe; the next command fetches it again.
"""

from __future__ import annotations

import hashlib
import re
import shutil
import tempfile
from pathlib import Path

from promote.engine.errors import RepositoryError
from promote.engine.repository.gitrepo import GitRepo, init_bare

CACHE_DIR = Path("promote/repos")
TRACKING = "refs/remotes/origin/{}"


def cache_path(git_dir: Path, url: str) -> Path:
    """Where the clone of `url` is kept: readable, and unique per URL."""
    last = re.sub(r"\.git$", "", url.rstrip("/").rsplit("/", 1)[-1].rsplit(":", 1)[-1])
    slug = re.sub(r"[^A-Za-z0-9._-]", "_", last) or "repo"
    digest = hashlib.sha1(url.encode("utf-8")).hexdigest()[:12]
    return git_dir / CACHE_DIR / f"{slug}-{digest}.git"


def cached_clone(git_dir: Path, url: str) -> GitRepo:
    """The cache of `url`, made on first use (atomically: two runs may race to make it)."""
    path = cache_path(git_dir, url)
    if not path.is_dir():
        path.parent.mkdir(parents=True, exist_ok=True)
        scratch = Path(tempfile.mkdtemp(prefix=".new-", dir=path.parent))
        repo = init_bare(scratch)
        repo.run("remote", "add", "origin", url)
        try:
            scratch.rename(path)
        except OSError:  # another run made it first; theirs is as good as ours
            shutil.rmtree(scratch, ignore_errors=True)
    return GitRepo(path)


def forget(git_dir: Path, url: str) -> None:
    shutil.rmtree(cache_path(git_dir, url), ignore_errors=True)


def default_branch(cache: GitRepo, url: str) -> str:
    """The branch the remote's HEAD names (what `git clone` checks out)."""
    out = cache.run("ls-remote", "--symref", "origin", "HEAD")
    for line in out.splitlines():
        if line.startswith("ref: refs/heads/"):
            return line.removeprefix("ref: refs/heads/").split("\t")[0]
    raise RepositoryError(f"{url} has no default branch; name one with `branch:`")


def fetch_branch(cache: GitRepo, branch: str) -> str | None:
    """Fetch `branch` into the cache; its tip, or None when the remote has no such branch."""
    return cache.fetch_tip("origin", branch)
