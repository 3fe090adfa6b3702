"""Build hook: the example repository kept at the top of the checkout (`environments/`) ships in
the wheel as `engine/example/`, so that `promote init` works from any install, not only from a
checkout. Everything else about the package is in pyproject.toml."""

from __future__ import annotations

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

EXAMPLE = Path(__file__).resolve().parent / "environments"


class BuildPyWithExample(build_py):
    def run(self) -> None:
        super().run()
        # An editable install reads the example from the checkout itself (engine/scaffold.py).
        if not self.editable_mode:
            shutil.copytree(
                EXAMPLE,
                Path(self.build_lib, "engine", "example"),
                ignore=shutil.ignore_patterns("__pycache__", "*.pyc"),
                dirs_exist_ok=True,
            )


setup(cmdclass={"build_py": BuildPyWithExample})
