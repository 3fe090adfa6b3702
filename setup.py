"""Build hooks. The checkout's top-level `engine/` and `plugins/` install as `promote.engine` and
`promote.plugins` (both common words: top-level packages of those names would clash with other
distributions), under a `promote` namespace. The example repository kept at the top of the checkout
(`environments/`) ships in the wheel as `promote/engine/example/`, so that `promote init` works
from any install, not only from a checkout. Everything else about the package is in
pyproject.toml."""

from __future__ import annotations

import shutil
from pathlib import Path

from setuptools import find_packages, setup
from setuptools.command.build_py import build_py

EXAMPLE = Path(__file__).resolve().parent / "environments"


class BuildPyWithExample(build_py):
    def run(self) -> None:
        super().run()
        # An editable install reads the example from the checkout itself (engine/scaffold.py).
        if not self.editable_mode:
            shutil.copytree(
                EXAMPLE,
                Path(self.build_lib, "promote", "engine", "example"),
                ignore=shutil.ignore_patterns("__pycache__", "*.pyc"),
                dirs_exist_ok=True,
            )


TOP_LEVEL = ("engine", "plugins")


def _packages() -> list[str]:
    found = find_packages(where=str(EXAMPLE.parent), include=[f"{top}*" for top in TOP_LEVEL])
    return [f"promote.{name}" for name in found]


setup(
    packages=_packages(),
    package_dir={f"promote.{top}": top for top in TOP_LEVEL},
    cmdclass={"build_py": BuildPyWithExample},
)
