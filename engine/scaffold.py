"""`promote init`: a fresh Git repository made from the bundled example in `environments/`."""

from __future__ import annotations

import shutil
from pathlib import Path

from engine.config.graphfile import schema_text
from engine.errors import UsageError
from engine.repository.gitrepo import init_repository

HERE = Path(__file__).resolve().parent
# A wheel carries the example inside the package (setup.py copies it there); a checkout and an
# editable install read it where it is kept, at the top of the repository.
EXAMPLE_DIRS = (HERE / "example", HERE.parent / "environments")
SCHEMA = Path("environments/graph.schema.json")


def bundled_example() -> Path:
    for directory in EXAMPLE_DIRS:
        if (directory / "graph.yaml").is_file():
            return directory
    searched = ", ".join(map(str, EXAMPLE_DIRS))
    raise UsageError(f"the bundled example is missing (searched {searched}); reinstall promote")


def scaffold(directory: Path) -> Path:
    """Copy the example into DIRECTORY/environments, `git init` and commit it on `main`."""
    if directory.exists() and any(directory.iterdir()):
        raise UsageError(f"{directory} exists and is not empty")
    example = bundled_example()
    directory.mkdir(parents=True, exist_ok=True)
    shutil.copytree(
        example, directory / "environments", ignore=shutil.ignore_patterns("__pycache__")
    )
    # The example's graph names its schema; the new repository gets the one this promote enforces.
    (directory / SCHEMA).write_text(schema_text(), encoding="utf-8")
    repo = init_repository(directory)
    if not all(repo.identity()):
        # A fresh machine often has no Git identity; the demo repository still needs one.
        repo.run("config", "user.name", "promote demo")
        repo.run("config", "user.email", "demo@promote.invalid")
    repo.run("add", "--all")
    repo.run("commit", "--quiet", "-m", "Scaffold environments from the promote example")
    return directory
