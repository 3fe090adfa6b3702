"""`promote init`: a fresh Git repository made from the bundled example in `environments/`.

Three layouts (docs/layouts.md): every environment a directory on `main` (`dirs`, the default),
each on a branch of its own (`branches`), or each in a repository of its own (`repos`, bare
repositories next to the new one, in DIR.envs/). The graph, its schema and the example's gate
check always live on `main` of the new repository: promote reads the graph where it runs.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from promote.engine.config.graphfile import schema_text
from promote.engine.errors import UsageError
from promote.engine.model import TextEdit
from promote.engine.promotion.planner import apply_edits
from promote.engine.repository.gitrepo import GitRepo, init_bare, init_repository
from promote.engine.yamlfiles.envfiles import YamlDocument, YamlFile
from promote.engine.yamlfiles.yamledit import insert_key_after
from promote.engine.yamlfiles.yamlio import CommentedMap, format_scalar, scalar_span

HERE = Path(__file__).resolve().parent
# A wheel carries the example inside the package (setup.py copies it there); a checkout and an
# editable install read it where it is kept, at the top of the repository.
EXAMPLE_DIRS = (HERE / "example", HERE.parent / "environments")
ENVIRONMENTS = PurePosixPath("environments")
SCHEMA = ENVIRONMENTS / "graph.schema.json"
GRAPH = ENVIRONMENTS / "graph.yaml"
TOP = PurePosixPath(".")  # an environment repository holds base and overlay at its top
BASE = "base"  # the example's shared base, which every overlay names as `../base`

GraphEdits = Callable[[YamlDocument, str, CommentedMap], list[TextEdit]]


@dataclass(frozen=True)
class Scaffolded:
    root: Path  # the new repository, which holds environments/graph.yaml on main
    places: dict[str, str]  # environment → where it lives, as `promote graph` shows it


def bundled_example() -> Path:
    for directory in EXAMPLE_DIRS:
        if (directory / "graph.yaml").is_file():
            return directory
    searched = ", ".join(map(str, EXAMPLE_DIRS))
    raise UsageError(f"the bundled example is missing (searched {searched}); reinstall promote")


def environment_repositories(directory: Path) -> Path:
    """Where `--layout repos` puts the environments' repositories: DIR.envs next to DIR."""
    absolute = directory.resolve()
    return absolute.with_name(f"{absolute.name}.envs")


def scaffold(directory: Path, layout: str = "dirs") -> Scaffolded:
    """Make DIRECTORY a repository holding the example, its environments laid out as `layout`."""
    build = LAYOUTS.get(layout)
    if build is None:
        raise UsageError(f"unknown layout {layout!r}: choose one of {', '.join(LAYOUTS)}")
    _refuse_non_empty(directory)
    if layout == "repos":
        _refuse_non_empty(environment_repositories(directory))
    return build(directory, bundled_example())


def _in_directories(directory: Path, example: Path) -> Scaffolded:
    _copy_example(example, directory, leave_out=())
    _commit_main(directory)
    places = {name: f"main:{env['path']}" for name, env in _environments(example).items()}
    return Scaffolded(directory, places)


def _on_branches(directory: Path, example: Path) -> Scaffolded:
    """`main` holds the graph, each environment's branch holds the base and its overlay."""

    def name_the_branch(document: YamlDocument, name: str, env: CommentedMap) -> list[TextEdit]:
        return [insert_key_after(document, env, "path", "branch", name)]

    overlays = _overlays(example)
    where = "each environment on the branch its `branch:` names, at its `path` there"
    _copy_example(example, directory, leave_out=(BASE, *overlays.values()))
    _write_graph(directory, example, where, name_the_branch)
    repo = _commit_main(directory)
    places = {}
    for name, overlay in overlays.items():
        files = _example_files(example, (BASE, overlay))
        repo.commit_to_branch(name, ENVIRONMENTS, files, f"Scaffold {name} from the example")
        places[name] = f"branch {name}:{ENVIRONMENTS / overlay}"
    return Scaffolded(directory, places)


def _in_repositories(directory: Path, example: Path) -> Scaffolded:
    """`main` holds the graph; each environment is a bare repository in DIR.envs/ holding the
    base and its overlay at the top, which the graph names by an absolute `file://` URL."""
    overlays = _overlays(example)
    urls = {}
    for name, overlay in overlays.items():
        bare = _new_repository(environment_repositories(directory) / f"{name}.git", bare=True)
        files = _example_files(example, (BASE, overlay))
        bare.commit_to_branch("main", TOP, files, f"Scaffold {name} from the example")
        urls[name] = bare.root.resolve().as_uri()

    def name_the_repository(document: YamlDocument, name: str, env: CommentedMap) -> list[TextEdit]:
        span = scalar_span(document.file.index, *env.lc.value("path"))
        assert span is not None  # the example spells every path as a one-line scalar
        return [
            TextEdit(GRAPH, span.start, span.end, format_scalar(overlays[name], span.style)),
            insert_key_after(document, env, "path", "repo", urls[name]),
        ]

    where = "each environment in the repository its `repo:` names, at its `path` there"
    _copy_example(example, directory, leave_out=(BASE, *overlays.values()))
    _write_graph(directory, example, where, name_the_repository)
    _commit_main(directory)
    places = {name: f"{urls[name]}@main:{overlay}" for name, overlay in overlays.items()}
    return Scaffolded(directory, places)


LAYOUTS: dict[str, Callable[[Path, Path], Scaffolded]] = {
    "dirs": _in_directories,
    "branches": _on_branches,
    "repos": _in_repositories,
}


def _refuse_non_empty(directory: Path) -> None:
    if directory.exists() and any(directory.iterdir()):
        raise UsageError(f"{directory} exists and is not empty")


def _environments(example: Path) -> CommentedMap:
    return _example_graph(example).data["environments"]


def _example_graph(example: Path) -> YamlDocument:
    return YamlFile(GRAPH, (example / "graph.yaml").read_text(encoding="utf-8")).documents[0]


def _overlays(example: Path) -> dict[str, str]:
    """Environment → its overlay's directory in the example (`int` for environments/int)."""
    return {
        name: str(PurePosixPath(env["path"]).relative_to(ENVIRONMENTS))
        for name, env in _environments(example).items()
    }


def _copy_example(example: Path, directory: Path, leave_out: tuple[str, ...]) -> None:
    """The example into DIRECTORY/environments, without the top-level folders `leave_out`;
    the schema the graph names is the one this promote enforces."""

    def ignored(folder: str, names: list[str]) -> set[str]:
        top = Path(folder) == example
        return {n for n in names if n == "__pycache__" or (top and n in leave_out)}

    directory.mkdir(parents=True, exist_ok=True)
    shutil.copytree(example, directory / ENVIRONMENTS, ignore=ignored)
    (directory / SCHEMA).write_text(schema_text(), encoding="utf-8")


def _write_graph(directory: Path, example: Path, where: str, edits_for: GraphEdits) -> None:
    """The example's graph with each environment's mapping edited by `edits_for`, a header
    line saying where the environments live; comments and the rest kept byte for byte."""
    document = _example_graph(example)
    header = (
        f"# Layout: {where}.\n# This graph, its schema and checks/ stay on main here. "
        "Layouts: promote's docs/layouts.md.\n"
    )
    edits = [TextEdit(GRAPH, 0, 0, header)]
    for name, env in document.data["environments"].items():
        edits += edits_for(document, name, env)
    text = apply_edits({GRAPH: document.file.text}, edits)[GRAPH]
    (directory / GRAPH).write_text(text, encoding="utf-8")


def _example_files(example: Path, folders: tuple[str, ...]) -> dict[str, bytes]:
    """Path (relative to the example) → content of every file in `folders`."""
    return {
        path.relative_to(example).as_posix(): path.read_bytes()
        for folder in folders
        for path in sorted((example / folder).rglob("*"))
        if path.is_file() and "__pycache__" not in path.parts
    }


def _commit_main(directory: Path) -> GitRepo:
    repo = _new_repository(directory)
    repo.run("add", "--all")
    repo.run("commit", "--quiet", "-m", "Scaffold environments from the promote example")
    return repo


def _new_repository(directory: Path, *, bare: bool = False) -> GitRepo:
    if bare:
        repo = init_bare(directory)
        # What a clone checks out, and what `repo:` without `branch:` reads.
        repo.run("symbolic-ref", "HEAD", "refs/heads/main")
    else:
        repo = init_repository(directory)
    if not all(repo.identity()):
        # A fresh machine often has no Git identity; the demo repository still needs one.
        repo.run("config", "user.name", "promote demo")
        repo.run("config", "user.email", "demo@promote.invalid")
    return repo
