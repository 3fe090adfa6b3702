"""`promote init` from a real (non-editable) install: the wheel carries the bundled example."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path
from urllib.parse import urlparse
from urllib.request import url2pathname

import pytest
import yaml

from tests.helpers import git, kustomize_build

CHECKOUT = Path(__file__).parents[2]
# What a wheel is built from: the sdist's contents (MANIFEST.in and pyproject decide the rest).
SOURCES = ("pyproject.toml", "setup.py", "MANIFEST.in", "README.md", "engine", "plugins")


def _build_wheel(tmp_path: Path) -> Path:
    """A wheel built from a copy of the sources (a build in the checkout would leave build/)."""
    source = tmp_path / "source"
    source.mkdir()
    for name in (*SOURCES, "environments"):
        origin = CHECKOUT / name
        if origin.is_dir():
            shutil.copytree(origin, source / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(origin, source / name)
    wheels = tmp_path / "wheels"
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check", "--quiet"]
    subprocess.run(
        [*pip, "wheel", "--no-deps", "--no-build-isolation", "-w", str(wheels), str(source)],
        check=True,
        capture_output=True,
    )
    return next(wheels.glob("promote-*.whl"))


def _fresh_venv(tmp_path: Path, wheel: Path) -> Path:
    """A new venv holding only the wheel; dependencies come from this venv's site-packages,
    appended by a .pth file (whose own .pth files, the editable install's among them, stay
    unprocessed: only the wheel's `engine` can be imported)."""
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = venv / "bin" / "python"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "--disable-pip-version-check",
            "--quiet",
            "--python",
            str(python),
            "install",
            "--no-deps",
            "--no-index",
            str(wheel),
        ],
        check=True,
        capture_output=True,
    )
    site = subprocess.run(
        [python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    Path(site, "dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    return venv


@pytest.mark.packaging
def test_init_and_a_promotion_work_from_a_wheel_install(tmp_path):
    venv = _fresh_venv(tmp_path, _build_wheel(tmp_path))
    env = {**os.environ, "PATH": f"{venv / 'bin'}{os.pathsep}{os.environ['PATH']}"}
    env.pop("PYTHONPATH", None)
    work = tmp_path / "work"
    work.mkdir()
    run = lambda *args, cwd=work: subprocess.run(  # noqa: E731
        [venv / "bin" / "promote", *args], cwd=cwd, env=env, capture_output=True, text=True
    )
    where = subprocess.run(
        [venv / "bin" / "python", "-c", "import promote.engine as e; print(e.__file__)"],
        cwd=work,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert Path(where).is_relative_to(venv), where  # the wheel's code, not the checkout's

    init = run("init", "demo")
    assert init.returncode == 0, init.stderr
    repo = work / "demo"
    assert git(repo, "status", "--porcelain") == ""
    example = sorted(
        p.relative_to(CHECKOUT)
        for p in (CHECKOUT / "environments").rglob("*")
        if p.is_file() and "__pycache__" not in p.parts
    )
    committed = set(git(repo, "ls-files").splitlines())
    assert {str(p) for p in example} <= committed

    int_images = _images(repo / "environments/int")
    assert int_images != _images(repo / "environments/qa")  # the example has something to promote
    promoted = run("int", "qa", "--yes", cwd=repo)
    assert promoted.returncode == 0, promoted.stderr
    assert _images(repo / "environments/qa") == int_images
    trailers = git(repo, "log", "-1", "--format=%(trailers:key=Promote-To,valueonly)")
    assert trailers.strip() == "qa"
    assert git(repo, "status", "--porcelain") == ""


@pytest.mark.packaging
def test_the_wheel_installs_everything_under_one_promote_package(tmp_path):
    """`engine` and `plugins` are common words: top-level packages of those names would clash
    with other distributions in the same site-packages."""
    with zipfile.ZipFile(_build_wheel(tmp_path)) as wheel:
        tops = {name.split("/", 1)[0] for name in wheel.namelist()}
        names = set(wheel.namelist())
    assert {top for top in tops if not top.endswith(".dist-info")} == {"promote"}
    assert "promote/__init__.py" not in names  # a namespace: `promote.*` plugins can join it
    assert "promote/engine/schema/graph.schema.json" in names
    assert "promote/engine/example/graph.yaml" in names
    assert "promote/plugins/gates/soak.py" in names


def _images(path: Path) -> dict[str, str]:
    found = {}
    for obj in kustomize_build(path):
        pod = obj.get("spec", {}).get("template", {}).get("spec", {})
        for container in pod.get("containers", []):
            name, _, tag = container["image"].rpartition(":")
            found[name] = tag
    return found


# --- the three layouts of `promote init --layout` (docs/layouts.md), checked with plain git and
# the real kustomize: each environment, found where graph.yaml says, renders as the example's.

EXAMPLE = CHECKOUT / "environments"
ENVIRONMENTS = ("int", "qa", "uat", "prod")


def _scaffolded(tmp_path: Path, layout: str) -> tuple[Path, dict[str, dict]]:
    from promote.engine.scaffold import scaffold

    root = scaffold(tmp_path / "shop", layout).root
    graph = yaml.safe_load((root / "environments/graph.yaml").read_text(encoding="utf-8"))
    return root, graph["environments"]


def _export(repository: Path, rev: str, into: Path) -> Path:
    """The files of `rev`, as `git archive` writes them (no checkout of the repository)."""
    archive = subprocess.run(
        ["git", "-C", str(repository), "archive", rev], capture_output=True, check=True
    ).stdout
    into.mkdir(parents=True)
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive, check=True)
    return into


def _where(root: Path, spec: dict) -> tuple[Path, str]:
    """(repository, rev) that holds an environment, read from graph.yaml as a user reads it."""
    if "repo" in spec:
        return Path(url2pathname(urlparse(spec["repo"]).path)), spec.get("branch", "HEAD")
    return root, spec.get("branch", "HEAD")


def _example_files(*folders: str, under: str = "") -> set[str]:
    return {
        f"{under}{p.relative_to(EXAMPLE).as_posix()}"
        for folder in folders
        for p in (EXAMPLE / folder).rglob("*")
        if p.is_file() and "__pycache__" not in p.parts
    }


def _tree(repository: Path, rev: str) -> set[str]:
    return set(git(repository, "ls-tree", "-r", "--name-only", rev).splitlines())


@pytest.mark.parametrize("layout", ["dirs", "branches", "repos"])
def test_each_environment_renders_the_examples_objects_where_the_graph_says(tmp_path, layout):
    root, environments = _scaffolded(tmp_path, layout)
    assert sorted(environments) == sorted(ENVIRONMENTS)
    for name, spec in environments.items():
        repository, rev = _where(root, spec)
        exported = _export(repository, rev, tmp_path / "exports" / name)
        assert kustomize_build(exported / spec["path"]) == kustomize_build(EXAMPLE / name), name
    assert git(root, "symbolic-ref", "HEAD").strip() == "refs/heads/main"
    assert git(root, "status", "--porcelain") == ""


def test_branches_main_holds_the_graph_and_each_branch_one_environment(tmp_path):
    root, environments = _scaffolded(tmp_path, "branches")
    example = yaml.safe_load((EXAMPLE / "graph.yaml").read_text(encoding="utf-8"))
    for name, spec in environments.items():
        assert spec.pop("branch") == name
        assert spec == example["environments"][name]  # the same path, gates and labels
        assert _tree(root, name) == _example_files("base", name, under="environments/")
    on_main = _tree(root, "main")
    assert on_main == {"environments/graph.yaml", "environments/graph.schema.json"} | (
        _example_files("checks", under="environments/")
    )
    assert sorted(git(root, "branch", "--format=%(refname:short)").split()) == sorted(
        ["main", *ENVIRONMENTS]
    )


def test_repos_graph_names_one_bare_repository_per_environment_next_to_the_new_one(tmp_path):
    root, environments = _scaffolded(tmp_path, "repos")
    envs = tmp_path / "shop.envs"
    assert sorted(p.name for p in envs.iterdir()) == sorted(f"{n}.git" for n in ENVIRONMENTS)
    for name, spec in environments.items():
        bare = envs / f"{name}.git"
        assert spec["repo"] == bare.resolve().as_uri()  # absolute: any clone of root reaches it
        assert git(bare, "rev-parse", "--is-bare-repository").strip() == "true"
        assert git(bare, "symbolic-ref", "HEAD").strip() == "refs/heads/main"
        assert len(git(bare, "log", "--format=%H", "main").split()) == 1
        assert _tree(bare, "main") == _example_files("base", name)
        assert spec["path"] == name
    assert _tree(root, "main") == {"environments/graph.yaml", "environments/graph.schema.json"} | (
        _example_files("checks", under="environments/")
    )


@pytest.mark.parametrize("layout", ["dirs", "branches", "repos"])
def test_promote_uat_prod_lands_where_prod_lives_in_each_layout(tmp_path, cli, layout):
    root, environments = _scaffolded(tmp_path, layout)
    uat_repo, uat_rev = _where(root, environments["uat"])
    prod_repo, prod_rev = _where(root, environments["prod"])
    checkout = (git(root, "rev-parse", "HEAD"), git(root, "status", "--porcelain", "--ignored"))
    blocked = cli(root, "uat", "prod", "--yes")
    assert blocked.exit_code == 3, blocked.stderr  # prod wants an approval first
    assert cli(root, "approve", "uat", "prod").exit_code == 0

    before = git(prod_repo, "rev-parse", prod_rev).strip()
    uat_commit = git(uat_repo, "rev-parse", uat_rev).strip()  # in dirs, after the approval's
    result = cli(root, "uat", "prod", "--yes")
    assert result.exit_code == 0, result.stderr
    log = git(prod_repo, "log", "--format=%H %P", f"{before}..{prod_rev}").splitlines()
    assert len(log) == 1 and log[0].split()[1] == before  # one commit, on the tip that was read
    trailers = git(prod_repo, "log", "-1", "--format=%(trailers:unfold,only)", prod_rev)
    assert "Promote-To: prod" in trailers
    assert f"Promote-Source-Commit: {uat_commit}" in trailers
    if layout == "repos":
        assert f"Promote-Source-Repo: {environments['uat']['repo']}" in trailers
    else:
        assert "Promote-Source-Repo" not in trailers
    exports = tmp_path / "exports"
    uat = _export(uat_repo, uat_rev, exports / "uat") / environments["uat"]["path"]
    prod = _export(prod_repo, prod_rev, exports / "prod") / environments["prod"]["path"]
    was = _export(prod_repo, before, exports / "was") / environments["prod"]["path"]
    assert _images(was) != _images(uat)  # the example has something to promote
    assert _images(prod) == _images(uat)
    if layout != "dirs":  # the user's checkout is not touched
        assert (
            git(root, "rev-parse", "HEAD"),
            git(root, "status", "--porcelain", "--ignored"),
        ) == (checkout)
