"""A third-party gate package, installed like a user would, found through its entry point.

The `promote` processes these tests start see only what the tests install: they run without
`site` on the interpreter's installed distributions minus every `promote` plugin, so a copy of
the example gate installed in the test environment itself changes nothing here.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers import commit_count

WORKTREE = Path(__file__).resolve().parents[3]
EXAMPLE = WORKTREE / "examples" / "promote-gate-ticket"


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """`pip install --target` of the example package (built from a copy: no build/ in the repo)."""
    source = tmp_path_factory.mktemp("src") / "promote-gate-ticket"
    shutil.copytree(EXAMPLE, source, ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
    target = tmp_path_factory.mktemp("site")
    result = subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-build-isolation",
         "--target", str(target), str(source)],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert result.returncode == 0, f"pip install failed (is `wheel` installed?):\n{result.stderr}"
    return target


@pytest.fixture(scope="module")
def no_plugins_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """This interpreter's installed distributions (symlinked) without any `promote` plugin."""
    site = tmp_path_factory.mktemp("no-plugins-site")
    for directory in map(Path, sys.path):
        if not directory.is_dir() or not any(directory.glob("*.*-info")):  # dist- or egg-info
            continue
        for entry in directory.iterdir():
            link = site / entry.name
            if not (link.exists() or link.is_symlink() or _is_promote_plugin(entry)):
                link.symlink_to(entry)
    # Without `site`, the editable install's import hook never runs: the checkout's packages are
    # linked in under the names they are installed as.
    (site / "promote").mkdir(exist_ok=True)
    for package in ("engine", "plugins"):
        (site / "promote" / package).symlink_to(WORKTREE / package)
    return site


def _is_promote_plugin(entry: Path) -> bool:
    entry_points = entry / "entry_points.txt"
    return entry_points.is_file() and "[promote]" in entry_points.read_text(encoding="utf-8")


def isolated(site: Path, base: Path, **env: str) -> dict[str, str]:
    """The environment of a child `python -S`: `site` (a test's install), then `base`."""
    path = os.pathsep.join(str(p) for p in (site, base))
    return {**os.environ, "PYTHONPATH": path, **env}


@pytest.fixture
def promote(no_plugins_site: Path):
    def run(cwd: Path, site: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
        environment = isolated(site, no_plugins_site, **env)
        environment.pop("PROMOTE_DISABLE_PLUGIN_AUTOLOAD", None)  # these tests are about autoload
        return subprocess.run(
            [sys.executable, "-S", "-c", "from promote.engine.cli.app import main; main()", *args],
            cwd=cwd, env=environment, capture_output=True, text=True, timeout=120,
        )  # fmt: skip

    return run


def test_the_installed_package_is_discovered_through_its_entry_point(promote, installed, tmp_path):
    result = promote(tmp_path, installed, "plugins", "--output", "json")
    assert result.returncode == 0, result.stderr
    by_name = {p["name"]: p for p in __import__("json").loads(result.stdout)["plugins"]}
    assert "ticket" in by_name  # pluggy names entry-point plugins after the entry point
    assert any("ticket" in item for item in by_name["ticket"]["registers"])


def test_the_third_party_gate_decides_a_promotion(promote, installed, gated_repo):
    repo = gated_repo("- ticket: {pattern: 'CHG-[0-9]+'}")
    refused = promote(repo, installed, "qa", "prod", "--yes", PROMOTE_TICKET="see slack")
    assert refused.returncode == 3, refused.stderr
    assert "does not look like CHG-[0-9]+" in refused.stdout
    accepted = promote(repo, installed, "qa", "prod", "--yes", PROMOTE_TICKET="CHG-7")
    assert accepted.returncode == 0, accepted.stderr


def test_a_third_party_gate_that_raises_blocks_the_promotion(promote, installed, gated_repo):
    # Nothing listens on port 9 (discard): reaching the ticket system raises.
    repo = gated_repo("- ticket: {url: 'http://127.0.0.1:9/tickets', timeout: 5}")
    before = commit_count(repo)
    result = promote(repo, installed, "qa", "prod", "--yes", PROMOTE_TICKET="CHG-7")
    assert result.returncode == 3, result.stderr
    assert "failed" in result.stdout and "plugin ticket" in result.stdout
    assert commit_count(repo) == before


def test_without_the_package_the_gate_name_is_a_config_error(promote, gated_repo, tmp_path):
    repo = gated_repo("- ticket: {}")
    result = promote(repo, tmp_path, "check", "qa", "prod")
    assert result.returncode == 2
    assert "unknown gate 'ticket'" in result.stderr


def test_the_example_packages_own_tests_pass(installed, no_plugins_site):
    result = subprocess.run(
        [sys.executable, "-S", "-m", "pytest", "-q", "-p", "no:cacheprovider",
         str(EXAMPLE / "tests")],
        cwd=EXAMPLE, env=isolated(installed, no_plugins_site), capture_output=True, text=True,
        timeout=120,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
