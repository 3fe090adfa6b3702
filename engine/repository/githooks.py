"""The user's Git hooks, run around the promotion commits that promote builds with plumbing.

`git commit` runs pre-commit, commit-msg and post-commit; `commit-tree` runs none, so a promotion
runs them itself through `git hook run`, the way `git commit` would:
- pre-commit sees the promotion staged: GIT_INDEX_FILE is the temporary index that holds the new
  tree (`git diff --cached` shows the promotion) and the work tree is a scratch checkout of it,
  so a hook that reads, stashes or reformats files never touches the user's working tree before
  the branch moved (the promotion stays all-or-nothing);
- commit-msg gets the message file and may rewrite it (add a Change-Id, a Signed-off-by...); what
  it leaves is committed, provided every Promote-* trailer survived;
- post-commit runs once the branch moved; as for git, its exit status changes nothing.
A failing pre-commit or commit-msg hook refuses the promotion before anything is written.
`--no-verify` skips pre-commit and commit-msg, exactly as for `git commit`.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

from promote.engine.errors import RepositoryError
from promote.engine.repository.gitrepo import GitRepo

PROMOTE_TRAILER_PREFIX = "promote-"


class HookRefused(RepositoryError):
    """A pre-commit or commit-msg hook rejected the commit (exit 2: rerunning will not help)."""


def before_commit(repo: GitRepo, index_env: dict[str, str], message: str) -> str:
    """Run pre-commit and commit-msg for the tree staged in `index_env`; the message to commit."""
    hooks = [name for name in ("pre-commit", "commit-msg") if repo.hook_exists(name)]
    if not hooks:
        return message
    with tempfile.TemporaryDirectory(prefix="promote-hooks-") as scratch:
        work = Path(scratch) / "tree"
        work.mkdir()
        repo.run("checkout-index", "--all", f"--prefix={work}/", env=index_env)
        env = {**index_env, "GIT_DIR": str(repo.own_git_dir), "GIT_WORK_TREE": str(work)}
        if "pre-commit" in hooks:
            _run(repo, "pre-commit", [], env, work)
        if "commit-msg" in hooks:
            message_file = Path(scratch) / "COMMIT_EDITMSG"
            message_file.write_text(message, encoding="utf-8")
            _run(repo, "commit-msg", [str(message_file)], env, work)
            message = _keeping_trailers(repo, message, message_file.read_text(encoding="utf-8"))
    return message


def after_commit(repo: GitRepo) -> None:
    """post-commit, in the working tree, once the branch points at the new commit."""
    if repo.hook_exists("post-commit"):
        status, output = repo.run_hook("post-commit", [], dict(os.environ), repo.root)
        _show(output)
        if status:
            print(f"promote: warning: the post-commit hook exited {status}", file=sys.stderr)


def _run(repo: GitRepo, name: str, args: list[str], env: dict[str, str], cwd: Path) -> None:
    status, output = repo.run_hook(name, args, env, cwd)
    if status:
        detail = output.strip() or "(no output)"
        raise HookRefused(
            f"the {name} hook refused the promotion (exit {status}); nothing was written "
            f"(--no-verify skips it):\n{detail}"
        )
    _show(output)


def _keeping_trailers(repo: GitRepo, original: str, rewritten: str) -> str:
    """The message commit-msg left, cleaned as `git commit` cleans it, with our trailers intact."""
    cleaned = repo.clean_message(rewritten)
    kept = set(repo.trailers_of(cleaned))
    lost = [
        f"{key}: {value}"
        for key, value in repo.trailers_of(original)
        if key.lower().startswith(PROMOTE_TRAILER_PREFIX) and (key, value) not in kept
    ]
    if lost:
        raise HookRefused(
            "the commit-msg hook removed or changed the promotion's trailers; nothing was "
            f"written: {', '.join(lost)}"
        )
    return cleaned


def _show(output: str) -> None:
    """A hook's output goes where git shows it: stderr (stdout may carry --output json)."""
    if output.strip():
        print(output.rstrip("\n"), file=sys.stderr)
