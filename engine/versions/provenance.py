"""Since when does an environment run a version? Answered from Git alone.

The answer is the oldest commit of the unbroken run, newest backwards, in which the environment
renders that version. Only commits that touch the environment's inputs can change what it renders,
so the walk visits those, newest first, and stops where the version changes:

- a promotion commit into the environment whose `Promote-Artifact` trailer moved the artifact to
  the version is the start of the run (the engine verified that render before committing);
- a commit whose diff adds or removes no line holding a word of the version or of the artifact's
  name (one `git diff-tree -G` for the whole history) leaves the run going: the version is not
  written there (a relabel, another app, a comment elsewhere);
- otherwise the environment is rendered as it was before that commit (`git archive` into a temp
  dir); a different version there, or a render that fails, ends the run.

A hand-edited repository therefore gets the same answer as one written by `promote`, at the cost of
one render per commit that touched such lines, plus the current render (alongside the first,
and none when the caller read it already). The search trusts that a version cannot appear or
leave without such a line changing: a commit that only breaks the render elsewhere for a while,
or only drops a line that overrode the version (`newTag:` of another version, its `name:` kept;
a Flux `semver:` that took precedence over the `tag:`), is not seen. For renderers whose
inputs are unknown (PATH_AWARE_RENDERERS), every commit is rendered as before.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterable, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from itertools import pairwise
from pathlib import Path, PurePosixPath

from promote.engine.errors import PromoteError
from promote.engine.model import ArtifactRef, Environment
from promote.engine.plugins import Plugins
from promote.engine.promotion.trailers import ARTIFACT, TO, ArtifactMove
from promote.engine.repository.gitrepo import CommitInfo, GitRepo
from promote.engine.versions.state import read_state, renderer_name
from promote.engine.yamlfiles.envfiles import KUSTOMIZATION_NAMES
from promote.engine.yamlfiles.yamlio import load_safe

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
    current: Mapping[ArtifactRef, str] | None = None,
) -> dict[ArtifactRef, Since]:
    """For each artifact, the commit that started the current run of `wanted[ref]` in `env`,
    in the history of `tip` (the tip of the branch `env` lives on; `root` holds its tree).
    `current`: what `env` renders at `tip`, when the caller read that already."""
    inputs = environment_inputs(root or repo.root, env)
    commits = repo.log(paths=[str(p) for p in inputs], rev=tip)
    suspects = _writing_the_versions(repo, commits, wanted, inputs)
    with _Renders(plugins, repo, env, inputs) as renders:
        ahead = _first_render(commits, suspects, env.name, wanted)
        renders.start(ahead if current is not None else [tip, *ahead])
        if current is None:
            current = renders.at(tip)
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
            older = commits[index + 1] if index + 1 < len(commits) else None
            if not open_refs or (older and suspects is not None and commit.sha not in suspects):
                continue
            # Before the oldest commit the inputs did not exist: nothing rendered.
            before = renders.at(older.sha) if older else {}
            for ref in [r for r, v in open_refs.items() if before.get(r) != v]:
                found[ref] = Since(ref, open_refs.pop(ref), commit)
    oldest = commits[-1] if commits else None
    for ref, version in open_refs.items():  # ran it since the first commit we can see
        found[ref] = Since(ref, version, oldest)
    return found


def _writing_the_versions(
    repo: GitRepo,
    commits: list[CommitInfo],
    wanted: Mapping[ArtifactRef, str],
    inputs: list[PurePosixPath],
) -> set[str] | None:
    """The commits whose diff from the next older one on `commits` adds or removes a line
    naming a wanted version or artifact; None when any commit may change the render. Each
    word counts alone: a version may be written in pieces (Flux's `semver: ">= 1.8.0"`)."""
    if not inputs:
        return None
    texts = [text for ref, version in wanted.items() for text in (version, ref.name)]
    needles = sorted({word for text in texts for word in text.split()})
    pattern = "|".join(_ere_escape(text) for text in needles if text)
    pairs = [(commit.sha, older.sha) for commit, older in pairwise(commits)]
    return repo.changing_lines(pairs, pattern, [str(p) for p in inputs]) if pattern else set()


def _ere_escape(text: str) -> str:
    """`text` as a literal in a POSIX extended regex (what `git diff -G` reads)."""
    return "".join(f"\\{c}" if c in ".[]()*+?{}|^$\\" else c for c in text)


def _first_render(
    commits: list[CommitInfo],
    suspects: set[str] | None,
    env_name: str,
    wanted: Mapping[ArtifactRef, str],
) -> list[str]:
    """The older commit the walk will most likely render first, if any: its render can start
    alongside the current one. Only a guess: a wrong one costs a render, never an answer."""
    remaining = dict(wanted)
    for commit, older in pairwise(commits):
        for ref in _started_by_trailer(commit, env_name, remaining):
            del remaining[ref]
        if not remaining:
            return []
        if suspects is None or commit.sha in suspects:
            return [older.sha]
    return []


class _Renders:
    """`versions_at`, each commit once; `start` renders ahead in threads, while the walk goes
    on (kubectl kustomize and git run in other processes: two renders cost one on two cores)."""

    def __init__(
        self, plugins: Plugins, repo: GitRepo, env: Environment, inputs: list[PurePosixPath]
    ) -> None:
        self._render = lambda rev: versions_at(plugins, repo, env, rev, inputs)
        self._pool = ThreadPoolExecutor(max_workers=2)
        self._pending: dict[str, Future[dict[ArtifactRef, str]]] = {}

    def __enter__(self) -> _Renders:
        return self

    def __exit__(self, *exc: object) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)  # a wrong guess is not waited for

    def start(self, revs: Iterable[str]) -> None:
        for rev in revs:
            if rev not in self._pending:
                self._pending[rev] = self._pool.submit(self._render, rev)

    def at(self, rev: str) -> dict[ArtifactRef, str]:
        self.start([rev])
        return self._pending[rev].result()


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
