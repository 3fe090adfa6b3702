"""The layout corpus: `promote SRC DST` on repositories shaped like public Flux / Argo CD ones.

Each directory of tests/data/layouts is a small repository following one convention, described in
its README.md, whose front matter names the promotion (`promote: [SRC, DST]`) and what SRC runs,
written by hand (`src_versions`). After the promotion, DST must run exactly what SRC runs, in one
commit that touches only DST's files and, in those, only version characters. Everything is judged
by tests/layouts_check.py: the real `kubectl kustomize`, PyYAML and Git, never our own code.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from tests.helpers import commit_count, git
from tests.layouts_check import (
    changed_files,
    effective_versions,
    environments,
    rendered,
    version_edit_problems,
)

CORPUS = Path(__file__).parents[2] / "data" / "layouts"
LAYOUTS = sorted(p.name for p in CORPUS.iterdir() if p.is_dir())


def front_matter(readme: Path) -> dict:
    _, header, _ = readme.read_text().split("---\n", 2)
    return yaml.safe_load(header)


def test_the_corpus_has_at_least_ten_layouts():
    assert len(LAYOUTS) >= 10


@pytest.mark.parametrize("layout", LAYOUTS)
def test_promotion_makes_dst_run_exactly_what_src_runs(layout, data_repo, cli):
    repo = data_repo(f"layouts/{layout}")
    meta = front_matter(repo / "README.md")
    src, dst = meta["promote"]
    envs = environments(repo)
    src_runs = effective_versions(rendered(repo, envs[src]))
    # The judge reads SRC as the layout's author does, and the promotion has real work to do.
    assert src_runs == meta["src_versions"]
    assert effective_versions(rendered(repo, envs[dst])) != src_runs

    result = cli(repo, src, dst, "--yes")

    assert result.exit_code == 0, result.stdout + result.stderr
    assert commit_count(repo) == 2, "exactly one promotion commit"
    assert git(repo, "status", "--porcelain") == "", "the working tree is left clean"
    assert effective_versions(rendered(repo, envs[dst])) == src_runs
    changed = changed_files(repo)
    dst_path = envs[dst]["path"].rstrip("/") + "/"
    assert [c for c in changed if not c[1].startswith(dst_path) or c[0] not in "MA"] == []
    problems = [
        p for status, path in changed if status == "M" for p in version_edit_problems(repo, path)
    ]
    assert problems == []
