"""The graph file's schema check is remembered under .git/promote/, keyed by the file's text."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.helpers import git

GRAPH = "environments:\n  qa: {path: envs/qa}\n  prod: {path: envs/prod, from: qa}\n"
FILES = {"environments/graph.yaml": GRAPH, "envs/qa/a.yaml": "", "envs/prod/a.yaml": ""}

# Runs `promote ARGS` in a fresh interpreter and says whether it imported these packages.
IMPORTED = """
import sys
from promote.engine.cli.app import main
try:
    main(sys.argv[1:])
except SystemExit as exit:
    code = exit.code
print("EXIT", code, "IMPORTED", sorted({m.split(".")[0] for m in sys.modules}
      & {"jsonschema", "networkx", "kubernetes", "pydantic"}))
"""


def promote_imports(cwd: Path, *args: str) -> str:
    done = subprocess.run(
        [sys.executable, "-c", IMPORTED, *args], cwd=cwd, capture_output=True, text=True
    )
    return done.stdout.strip().splitlines()[-1]


def common_git_dir(repo: Path) -> Path:
    return (repo / git(repo, "rev-parse", "--git-common-dir").strip()).resolve()


def test_an_unchanged_graph_file_is_not_checked_against_the_schema_again(make_repo):
    repo = make_repo(FILES)
    assert promote_imports(repo, "graph") == "EXIT 0 IMPORTED ['jsonschema']"
    assert (common_git_dir(repo) / "promote/graph-schema-ok").is_file()
    for command in ("graph", "status", "history", "validate"):
        assert promote_imports(repo, command) == "EXIT 0 IMPORTED []", command


def test_a_changed_graph_file_is_checked_again(make_repo, cli):
    repo = make_repo(FILES)
    assert cli(repo, "graph").exit_code == 0
    (repo / "environments/graph.yaml").write_text(GRAPH + "  uat: {path: envs/qa, colour: blue}\n")
    result = cli(repo, "graph")
    assert result.exit_code == 2
    assert "environments/graph.yaml:4:" in result.stderr and "'colour'" in result.stderr


def test_a_file_that_failed_is_not_remembered(make_repo, cli):
    repo = make_repo({**FILES, "environments/graph.yaml": GRAPH + "push: {tries: 3}\n"})
    for _ in range(2):
        result = cli(repo, "graph")
        assert result.exit_code == 2 and "'tries'" in result.stderr
    assert not (common_git_dir(repo) / "promote/graph-schema-ok").exists()


def test_a_linked_worktree_shares_the_clones_record(make_repo, tmp_path):
    repo = make_repo(FILES)
    other = tmp_path / "other"
    git(repo, "worktree", "add", "--quiet", "-b", "other", str(other))
    assert promote_imports(other, "graph") == "EXIT 0 IMPORTED ['jsonschema']"
    assert (common_git_dir(repo) / "promote/graph-schema-ok").is_file()
    assert promote_imports(repo, "graph") == "EXIT 0 IMPORTED []"


def test_a_corrupt_record_only_means_checking_again(make_repo, cli):
    repo = make_repo(FILES)
    record = common_git_dir(repo) / "promote/graph-schema-ok"
    record.parent.mkdir(parents=True)
    record.write_bytes(b"\xff\xfe not a key")
    assert promote_imports(repo, "graph") == "EXIT 0 IMPORTED ['jsonschema']"
    assert promote_imports(repo, "graph") == "EXIT 0 IMPORTED []"
