"""Environments on another branch and in another repository: gates, approvals, the cache and
reconciliation read each one where it lives. Checked with plain git, never with our code."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from tests.gated import DEPLOYMENT, commit_at
from tests.helpers import git, write_tree


def _graph(prod_url: str, gates: str = "", target: str = "") -> str:
    lines = [
        "environments:",
        "  qa: {path: apps/qa, branch: qa}",
        "  prod:",
        "    path: apps/prod",
        f"    repo: {prod_url}",
        "    from: [qa]",
    ]
    if gates:
        lines += ["    gates:", *(f"      - {gate}" for gate in gates.split(";"))]
    if target:
        lines.append(f"    target: {target}")
    return "\n".join(lines) + "\n"


@pytest.fixture
def elsewhere_repo(tmp_path: Path, now: datetime) -> Callable[..., Path]:
    """main holds only graph.yaml; qa lives on branch `qa`, where web 1.1.0 arrived `arrived`
    ago; prod (web 1.0.0) lives in a bare repository of its own."""

    def make(gates: str = "", arrived: timedelta = timedelta(days=1), target: str = "") -> Path:
        source = tmp_path / "prod-source"
        source.mkdir()
        git(source, "init", "--quiet", "--initial-branch=main")
        commit_at(
            source,
            now - timedelta(days=30),
            "prod: web 1.0.0",
            {"apps/prod/web.yaml": DEPLOYMENT.format(version="1.0.0")},
        )
        bare = tmp_path / "prod.git"
        git(tmp_path, "clone", "--quiet", "--bare", str(source), str(bare))
        root = tmp_path / "repo"
        root.mkdir()
        git(root, "init", "--quiet", "--initial-branch=main")
        graph = _graph(bare.as_uri(), gates, target)
        commit_at(root, now - timedelta(days=30), "graph", {"environments/graph.yaml": graph})
        git(root, "switch", "--quiet", "-c", "qa")
        commit_at(
            root,
            now - timedelta(days=20),
            "qa: web 1.0.0",
            {"apps/qa/web.yaml": DEPLOYMENT.format(version="1.0.0")},
        )
        commit_at(
            root,
            now - arrived,
            "qa: web 1.1.0",
            {"apps/qa/web.yaml": DEPLOYMENT.format(version="1.1.0")},
        )
        git(root, "switch", "--quiet", "main")
        return root

    return make


def _prod_log(repo: Path) -> list[str]:
    bare = repo.parent / "prod.git"
    return git(bare, "log", "--format=%s", "main").splitlines()


def test_soak_reads_the_history_of_src_on_its_own_branch(elsewhere_repo, cli):
    ready = elsewhere_repo(gates="soak: 12h", arrived=timedelta(days=1))
    result = cli(ready, "check", "qa", "prod", "--output", "json")
    soak = result.json()["hops"][0]["gates"][0]
    assert (soak["gate"], soak["outcome"]) == ("soak", "passed"), soak
    qa_tip = git(ready, "rev-parse", "qa").strip()
    assert qa_tip[:12] in soak["reason"]  # the commit on qa's branch that brought 1.1.0


def test_soak_pending_when_the_version_is_young_on_src_branch(tmp_path, elsewhere_repo, cli):
    young = elsewhere_repo(gates="soak: 12h", arrived=timedelta(hours=1))
    result = cli(young, "qa", "prod", "--yes")
    assert result.exit_code == 3, result.stderr
    assert _prod_log(young) == ["prod: web 1.0.0"]


def test_approval_is_recorded_and_read_where_dst_lives(elsewhere_repo, cli):
    repo = elsewhere_repo(gates="approval: {required: 1}")
    head, status = git(repo, "rev-parse", "HEAD"), git(repo, "status", "--porcelain")
    approved = cli(repo, "approve", "qa", "prod")
    assert approved.exit_code == 0, approved.stderr
    assert _prod_log(repo)[0].startswith("approve(prod): qa → prod")
    assert git(repo, "rev-parse", "HEAD") == head  # the user's branch has no approval commit
    promoted = cli(repo, "qa", "prod", "--yes")
    assert promoted.exit_code == 0, promoted.stderr
    bare = repo.parent / "prod.git"
    assert "image: ghcr.io/acme/web:1.1.0" in git(bare, "show", "main:apps/prod/web.yaml")
    approvers = git(bare, "log", "-1", "--format=%(trailers:key=Promote-Approved-By,valueonly)")
    assert approvers.strip() == "pat@example.com"
    assert (git(repo, "rev-parse", "HEAD"), git(repo, "status", "--porcelain")) == (head, status)


def test_another_repository_is_cached_under_git_and_fetched_not_cloned_again(elsewhere_repo, cli):
    repo = elsewhere_repo()
    assert cli(repo, "status").exit_code == 0
    caches = list((repo / ".git/promote/repos").iterdir())
    assert len(caches) == 1
    cache = caches[0]
    url = (repo.parent / "prod.git").as_uri()
    assert git(cache, "config", "remote.origin.url").strip() == url
    objects_inode = (cache / "objects").stat().st_ino
    # Someone else moves prod on; the next command sees it through a fetch into the same cache.
    other = repo.parent / "other"
    git(repo.parent, "clone", "--quiet", url, str(other))
    write_tree(other, {"apps/prod/web.yaml": DEPLOYMENT.format(version="1.1.0")})
    git(other, "commit", "--quiet", "-am", "prod: web 1.1.0 by hand")
    git(other, "push", "--quiet", "origin", "main")
    status = cli(repo, "status", "--output", "json")
    assert list((repo / ".git/promote/repos").iterdir()) == [cache]
    assert (cache / "objects").stat().st_ino == objects_inode
    prod = next(e for e in status.json()["environments"] if e["name"] == "prod")
    assert prod["versions"] == {"ghcr.io/acme/web": "1.1.0"}


def test_reconcile_renders_an_environment_from_its_own_branch(elsewhere_repo, cli):
    repo = elsewhere_repo()
    git(repo, "switch", "--quiet", "-c", "work")  # neither main nor qa is checked out
    graph = (repo / "environments/graph.yaml").read_text()
    graph = graph.replace(
        "  qa: {path: apps/qa, branch: qa}",
        "  qa: {path: apps/qa, branch: qa, target: {kind: branch, branch: rendered/qa}}",
    )
    write_tree(repo, {"environments/graph.yaml": graph})
    git(repo, "commit", "--quiet", "-am", "qa: render to a branch")
    result = cli(repo, "reconcile", "qa", "--output", "json")
    assert result.exit_code == 0, result.stderr
    qa_tip = git(repo, "rev-parse", "qa").strip()
    rendered = git(repo, "ls-tree", "-r", "--name-only", "rendered/qa").split()
    texts = "".join(git(repo, "show", f"rendered/qa:{name}") for name in rendered)
    assert "ghcr.io/acme/web:1.1.0" in texts
    report = json.dumps(result.json())
    assert qa_tip in report  # the commit reconciled is qa's, not the checkout's


def test_branch_environment_path_may_be_the_whole_tree(tmp_path, make_repo, cli):
    repo = make_repo({"environments/graph.yaml": "environments:\n  x: {path: ., branch: x}\n"})
    git(repo, "switch", "--quiet", "--orphan", "x")
    write_tree(repo, {"web.yaml": DEPLOYMENT.format(version="2.0.0")})
    git(repo, "add", "web.yaml")
    git(repo, "commit", "--quiet", "-m", "x")
    git(repo, "switch", "--quiet", "main")
    result = cli(repo, "status", "--output", "json")
    assert result.exit_code == 0, result.stderr
    assert result.json()["environments"][0]["versions"] == {"ghcr.io/acme/web": "2.0.0"}


@pytest.mark.parametrize("path", ["../elsewhere", "/etc", ".git/hooks"])
def test_a_path_leaving_another_tree_is_refused(make_repo, cli, path):
    graph = f"environments:\n  x:\n    branch: x\n    path: {path}\n"
    repo = make_repo({"environments/graph.yaml": graph})
    result = cli(repo, "status")
    assert result.exit_code == 2
    assert result.stderr.startswith("promote: error: environments/graph.yaml:4:5: ")
    assert "inside the environment's tree" in result.stderr
