"""Fixtures: real Git repositories in temp dirs, made from the bundled example or from files."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.helpers import CliResult, git, run_cli, write_tree

# The fake Kubernetes API server (`fake_k8s`, `fake_kubeconfig`) and repositories with gates
# (`gated_repo`, `now`), repositories with a fake code host (`pr_repo`), and environments on
# branches and in repositories of their own (`branches_layout`, `repos_layout`, `mixed_layout`),
# shared by tests/engine and tests/plugins.
pytest_plugins = [
    "tests.fake_k8s.fixtures",
    "tests.gated",
    "tests.health",
    "tests.fake_scm.fixtures",
    "tests.layout_remotes",
]


@pytest.fixture(autouse=True)
def git_identity(monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory) -> None:
    """Every test commits as the same person, whatever the machine's Git config says."""
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    monkeypatch.setenv("PROMOTE_DISABLE_PLUGIN_AUTOLOAD", "1")
    for role in ("AUTHOR", "COMMITTER"):
        monkeypatch.setenv(f"GIT_{role}_NAME", "Pat Promoter")
        monkeypatch.setenv(f"GIT_{role}_EMAIL", "pat@example.com")


@pytest.fixture
def example_repo(tmp_path: Path) -> Path:
    """A fresh repository scaffolded from the bundled example, exactly as `promote init` does."""
    from promote.engine.scaffold import scaffold

    return scaffold(tmp_path / "repo").root


DATA = Path(__file__).parent / "data"


@pytest.fixture
def data_repo(tmp_path: Path) -> Callable[[str], Path]:
    """A committed copy of a repository under tests/data (written like users write theirs)."""

    def make(name: str) -> Path:
        root = tmp_path / name
        shutil.copytree(DATA / name, root)
        git(root, "init", "--quiet", "--initial-branch=main")
        git(root, "add", "--all")
        git(root, "commit", "--quiet", "-m", f"{name}: initial")
        return root

    return make


@pytest.fixture
def make_repo(tmp_path: Path) -> Callable[[dict[str, str]], Path]:
    """A repository holding `files` (path → text), committed on main."""

    def make(files: dict[str, str], name: str = "repo") -> Path:
        root = tmp_path / name
        write_tree(root, files)
        git(root, "init", "--quiet", "--initial-branch=main")
        git(root, "add", "--all")
        git(root, "commit", "--quiet", "-m", "initial")
        return root

    return make


@pytest.fixture
def cli(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> Callable[..., CliResult]:
    """Run `promote ARGS` in-process in a directory; returns exit code, stdout, stderr."""

    def invoke(cwd: Path, *args: str) -> CliResult:
        return run_cli(monkeypatch, capsys, cwd, list(args))

    return invoke
