"""Since when does an environment run a version? Answered from Git alone.

The answer is the oldest commit of the unbroken run, newest backwards, in which the environment
renders that version. Only commits that touch the environment's inputs can change what it renders,
so the walk visits those, newest first, and stops where the version changes:

- a promotion commit into the environment whose `Promote-Artifact` trailer moved the artifact to
  the version is the start of the run (the engine verified that render before committing);
- otherwise the environment is rendered as it was before that commit (`git archive` into a temp
  dir); a different version there, or a render that fails, ends the run.

A hand-edited repository therefore gets the same answer as one written by `promote`, only slower.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from engine.errors import PromoteError
from engine.model import ArtifactRef, Environment
from engine.plugins import Plugins
from engine.promotion.trailers import ARTIFACT, TO, ArtifactMove
from engine.repository.gitrepo import CommitInfo, GitRepo
from engine.versions.state import read_state, renderer_name
from engine.yamlfiles.envfiles import KUSTOMIZATION_NAMES
from engine.yamlfiles.yamlio import load_safe

# Renderers whose inputs we can list; for any other renderer every commit may change the result.
PATH_AWARE_RENDERERS = ("kustomize", "plain")


@dataclass(frozen=True)
class Since:
    """`commit` made the environment run `version` of `ref`; None when it does not run it."""

    ref: ArtifactRef
    version: str
    commit: CommitInfo | None


def pinned_since(
    plugins: Plugins,
    repo: GitRepo,
    env: Environment,
    wanted: Mapping[ArtifactRef, str],
    *,
    tip: str = "HEAD",
    root: Path | None = None,
) -> dict[ArtifactRef, Since]:
    """For each artifact, the commit that started the current run of `wanted[ref]` in `env`,
    in the history of `tip` (the tip of the branch `env` lives on; `root` holds its tree)."""
    inputs = environment_inputs(root or repo.root, env)
    commits = repo.log(paths=[str(p) for p in inputs], rev=tip)
    current = versions_at(plugins, repo, env, tip, inputs)
    found: dict[ArtifactRef, Since] = {
        ref: Since(ref, version, None)
        for ref, version in wanted.items()
        if current.get(ref) != version
    }
    open_refs = {ref: v for ref, v in wanted.items() if ref not in found}
    for index, commit in enumerate(commits):
        if not open_refs:
            break
        for ref in _started_by_trailer(commit, env.name, open_refs):
            found[ref] = Since(ref, open_refs.pop(ref), commit)
        if not open_refs:
            break
        older = _parent_versions(plugins, repo, env, commits[index + 1 :], inputs)
        for ref in [r for r, v in open_refs.items() if older.get(r) != v]:
            found[ref] = Since(ref, open_refs.pop(ref), commit)
    oldest = commits[-1] if commits else None
    for ref, version in open_refs.items():  # ran it since the first commit we can see
        found[ref] = Since(ref, version, oldest)
    return found


def _started_by_trailer(
    commit: CommitInfo, env_name: str, open_refs: Mapping[ArtifactRef, str]
) -> list[ArtifactRef]:
    if commit.trailer(TO) != env_name:
        return []
    started = []
    for value in commit.trailer_values(ARTIFACT):
        try:
            move = ArtifactMove.parse(value)
        except ValueError:
            continue
        ref = ArtifactRef(move.kind, move.name)
        if open_refs.get(ref) == move.new and move.old != move.new:
            started.append(ref)
    return started


def _parent_versions(
    plugins: Plugins,
    repo: GitRepo,
    env: Environment,
    older: list[CommitInfo],
    inputs: list[PurePosixPath],
) -> dict[ArtifactRef, str]:
    """What the environment rendered just before `commit` (nothing if it did not render).

    The next older commit touching the inputs has the same inputs as `commit`'s parent; when
    there is none, `commit` created them.
    """
    if not older:
        return {}
    return versions_at(plugins, repo, env, older[0].sha, inputs)


def versions_at(
    plugins: Plugins,
    repo: GitRepo,
    env: Environment,
    rev: str,
    inputs: Iterable[PurePosixPath] = (),
) -> dict[ArtifactRef, str]:
    """The versions `env` renders at `rev`; empty when it did not render there."""
    with tempfile.TemporaryDirectory(prefix="promote-at-") as tmp:
        root = Path(tmp)
        try:
            repo.export(rev, root, list(inputs))
            if not (root / env.path).is_dir():
                return {}
            return read_state(plugins, root, env).versions
        except PromoteError:
            return {}


def environment_inputs(repo_root: Path, env: Environment) -> list[PurePosixPath]:
    """Repository paths whose content decides what `env` renders; [] means "anything"."""
    if renderer_name(repo_root, env) not in PATH_AWARE_RENDERERS:
        return []
    root = repo_root.resolve()
    seen: set[Path] = set()
    pending = [(root / env.path).resolve()]
    while pending:
        path = pending.pop()
        if path in seen or not path.is_relative_to(root):
            continue
        seen.add(path)
        if path.is_dir():
            pending.extend(_referenced(path))
    top = _outermost(seen)
    return sorted(PurePosixPath(p.relative_to(root).as_posix()) for p in top)


def _referenced(directory: Path) -> list[Path]:
    """Local paths outside `directory` named by its kustomization (bases, patches, files)."""
    for name in KUSTOMIZATION_NAMES:
        file = directory / name
        if file.is_file():
            break
    else:
        return []
    try:
        documents = load_safe(file.read_text("utf-8"), str(file))
    except (PromoteError, OSError, UnicodeDecodeError):
        return []
    found = []
    for value in _strings(documents):
        candidate = (directory / value.split("?")[0]).resolve()
        if "://" not in value and candidate.exists() and not candidate.is_relative_to(directory):
            found.append(candidate)
    return found


def _strings(node: object) -> Iterable[str]:
    if isinstance(node, str):
        yield node
    elif isinstance(node, dict):
        for value in node.values():
            yield from _strings(value)
    elif isinstance(node, list):
        for item in node:
            yield from _strings(item)


def _outermost(paths: set[Path]) -> list[Path]:
    """Drop paths inside other listed directories (git log and archive need each once)."""
    return [p for p in paths if not any(p != q and p.is_relative_to(q) for q in paths)]
