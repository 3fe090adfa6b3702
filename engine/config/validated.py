"""Which graph file last passed its JSON Schema, so that reading it again imports no jsonschema.

Checking the schema costs more than the rest of a read-only command's start (jsonschema and what
it imports), and the answer depends on nothing but the file's text, the schema and promote
itself. The key is the sha256 of those three; the key of the last file that passed is kept in
`.git/promote/graph-schema-ok` (the common Git directory: shared by worktrees). A changed file,
schema or promote version validates again; deleting the file is always safe.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path

from promote.engine import __version__

CACHE_FILE = Path("promote/graph-schema-ok")


def schema_key(schema: str, text: str) -> str:
    digest = hashlib.sha256()
    for part in (__version__, schema, text):
        digest.update(part.encode("utf-8"))
        digest.update(b"\0")
    return digest.hexdigest()


def passed_before(repo_root: Path, key: str) -> bool:
    cache = _cache_file(repo_root)
    try:
        return cache is not None and cache.read_text("ascii").strip() == key
    except (OSError, UnicodeDecodeError):
        return False


def remember_passed(repo_root: Path, key: str) -> None:
    """Best effort: a read-only or unusual `.git` only means validating again next time."""
    cache = _cache_file(repo_root)
    if cache is None:
        return
    try:
        cache.parent.mkdir(parents=True, exist_ok=True)
        # Written aside and renamed: a reader never sees half a key, two writers never mix.
        handle, scratch = tempfile.mkstemp(dir=cache.parent, prefix=".graph-schema-ok-")
        with os.fdopen(handle, "w", encoding="ascii") as out:
            out.write(key + "\n")
        os.replace(scratch, cache)
    except OSError:
        return


def _cache_file(repo_root: Path) -> Path | None:
    git_dir = common_git_dir(repo_root)
    return git_dir / CACHE_FILE if git_dir is not None else None


def common_git_dir(repo_root: Path) -> Path | None:
    """`.git`, read without running git: a directory, or in a linked worktree or submodule a
    file `gitdir: PATH` whose `commondir` (worktrees only) names the shared directory."""
    dot_git = repo_root / ".git"
    if dot_git.is_dir():
        return dot_git
    try:
        text = dot_git.read_text("utf-8")
    except (OSError, UnicodeDecodeError):
        return None
    if not text.startswith("gitdir:"):
        return None
    git_dir = (repo_root / text.removeprefix("gitdir:").strip()).resolve()
    common = git_dir / "commondir"
    try:
        return (git_dir / common.read_text("utf-8").strip()).resolve()
    except (OSError, UnicodeDecodeError):
        return git_dir
