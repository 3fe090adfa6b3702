"""Landing a promotion atomically: the commit is built and checked off to the side, then published.

1. The commit is built from the plan's base commit in a temporary index (`commit-tree`): the
   user's index, working tree and branch are untouched while it is built. The user's pre-commit
   and commit-msg hooks run on it there, and it is signed when their Git config says so
   (`engine.repository.githooks`); post-commit runs at the end.
2. DST is rendered from an export of that commit and must show exactly the planned versions.
3. A journal under `.git` names the commit and the files, then the branch moves with a
   compare-and-swap `update-ref HEAD NEW BASE`: it either moves from the planned base or not at all.
4. Only then are DST's files written to the working tree and recorded in the index.

A kill before step 3 leaves the repository at the old commit with a clean tree; a kill after it
leaves the new commit, and at worst DST's files not yet refreshed: the journal lets the next
promotion finish that (`recover_interrupted`), before it plans anything.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path, PurePosixPath

from promote.engine.errors import PromoteError, RenderError
from promote.engine.model import Environment, Plan
from promote.engine.repository.githooks import after_commit, before_commit
from promote.engine.repository.gitrepo import GitRepo
from promote.engine.repository.places import Place
from promote.engine.session import Session
from promote.engine.versions.state import read_state, render_objects, rendered_versions
from promote.engine.yamlfiles.envfiles import refuse_links

JOURNAL_FILE_NAME = "promote-journal.json"
PAUSE_ENV = "PROMOTE_TEST_PAUSE"
_TEMPORARY_PREFIX = ".{}.promote-"  # distinct from editors' files (.name.swp)


def land(
    session: Session,
    plan: Plan,
    dst: Environment,
    commit_message: str,
    base: str,
    *,
    run_hooks: bool = True,
) -> str:
    """Publish the plan as one commit on top of `base`; the new commit's sha."""
    texts = dict(plan.texts)
    repo = session.repo
    commit = build_commit(session, dst, plan, base, commit_message, run_hooks=run_hooks)
    journal = _write_journal(repo.git_dir, commit, list(texts))
    crash_window("before-ref")
    repo.advance_head(commit, base, f"promote: {plan.src} -> {plan.dst}")
    crash_window("after-ref")
    _write_files(session.root, texts)
    repo.stage_worktree_files(sorted(texts))
    journal.unlink(missing_ok=True)
    after_commit(repo)
    return commit


def build_commit(
    session: Session,
    dst: Environment,
    plan: Plan,
    base: str,
    commit_message: str,
    *,
    run_hooks: bool,
    place: Place | None = None,
) -> str:
    """The plan's edits as a commit on top of `base`, on no branch yet, verified by rendering
    DST from it (landing, a pull request's branch and a rebase before a push all build it so).
    `place` is where DST lives when not in the working tree: its repository holds the commit."""
    texts = dict(plan.texts)
    refuse_outside(dst, list(texts))
    repo = session.repo if place is None else place.repo
    # Planned earlier; the tree may have changed since.
    refuse_links(session.root if place is None else place.root, texts)
    with repo.staged_tree(base, texts) as (tree, index_env):
        if run_hooks:
            commit_message = before_commit(repo, index_env, commit_message)
    commit = repo.commit_tree(tree, [base], commit_message)
    verify_commit(session, dst, plan, commit, repo)
    return commit


def recover_interrupted(session: Session) -> None:
    """Finish refreshing the working tree after a promotion killed right after its ref moved."""
    journal = session.repo.git_dir / JOURNAL_FILE_NAME
    try:
        record = json.loads(journal.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return
    except ValueError:
        journal.unlink(missing_ok=True)  # torn write: the ref cannot have moved after it
        return
    files = [PurePosixPath(f) for f in record.get("files", [])]
    if session.repo.head() == record.get("commit"):
        session.repo.checkout_files(record["commit"], files)
    for file in files:  # a kill inside `_replace_atomically` leaves its temporary file
        target = session.root / file
        for leftover in target.parent.glob(f"{_TEMPORARY_PREFIX.format(target.name)}*"):
            leftover.unlink(missing_ok=True)
    journal.unlink(missing_ok=True)


def refuse_outside(dst: Environment, files: Sequence[PurePosixPath]) -> None:
    for file in files:
        if not file.is_relative_to(dst.path) or ".." in file.parts:
            raise PromoteError(
                f"refusing to edit {file}: it is outside {dst.name}'s path {dst.path}"
            )


def verify_commit(
    session: Session, dst: Environment, plan: Plan, commit: str, repo: GitRepo | None = None
) -> None:
    """DST, rendered from the new commit (of `repo`, the session's by default), runs exactly
    the planned versions."""
    with tempfile.TemporaryDirectory(prefix="promote-verify-") as scratch:
        root = Path(scratch)
        (repo or session.repo).export(commit, root)
        try:
            objects = render_objects(session.plugins, root, dst)
            versions = rendered_versions(session.plugins, objects)[0]
            if any(versions.get(change.ref) != change.new for change in plan.changes):
                # Some version may be one that rendering cannot show (a marker, a values file):
                # only then are DST's files read for their pins.
                versions = read_state(session.plugins, root, dst, objects).versions
        except PromoteError as exc:
            raise RenderError(
                f"after the edits {dst.name!r} no longer renders; nothing was changed: {exc}"
            ) from None
    for change in plan.changes:
        now = versions.get(change.ref)
        if now != change.new:
            raise RenderError(
                f"after the edits {dst.name!r} renders {change.ref} at {now}, not {change.new}; "
                "nothing was changed"
            )


def crash_window(stage: str) -> None:
    """Crash tests hold a run here (PROMOTE_TEST_PAUSE=STAGE:SECONDS) to kill it at that point:
    the instants around the ref update are too short to hit by chance."""
    wanted, _, seconds = os.environ.get(PAUSE_ENV, "").partition(":")
    if wanted == stage:
        print(f"promote: paused at {stage}", file=sys.stderr, flush=True)
        time.sleep(float(seconds or 30))


def _write_journal(git_dir: Path, commit: str, files: list[PurePosixPath]) -> Path:
    journal = git_dir / JOURNAL_FILE_NAME
    record = {"commit": commit, "files": sorted(str(f) for f in files)}
    _replace_atomically(journal, json.dumps(record), 0o644)
    return journal


def _write_files(root: Path, texts: dict[PurePosixPath, str]) -> None:
    for path, text in texts.items():
        target = root / path
        target.parent.mkdir(parents=True, exist_ok=True)
        mode = target.stat().st_mode & 0o777 if target.exists() else 0o644
        _replace_atomically(target, text, mode)


def _replace_atomically(target: Path, text: str, mode: int) -> None:
    """Readers see the old file or the new one, never half of one."""
    prefix = _TEMPORARY_PREFIX.format(target.name)
    fd, temporary = tempfile.mkstemp(dir=target.parent, prefix=prefix)
    with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
        handle.write(text)
        handle.flush()
        os.fsync(handle.fileno())
    os.chmod(temporary, mode)
    os.replace(temporary, target)
