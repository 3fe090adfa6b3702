"""`promote init` from a real (non-editable) install: the wheel carries the bundled example."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

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
        [venv / "bin" / "python", "-c", "import engine; print(engine.__file__)"],
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


def _images(path: Path) -> dict[str, str]:
    found = {}
    for obj in kustomize_build(path):
        pod = obj.get("spec", {}).get("template", {}).get("spec", {})
        for container in pod.get("containers", []):
            name, _, tag = container["image"].rpartition(":")
            found[name] = tag
    return found
