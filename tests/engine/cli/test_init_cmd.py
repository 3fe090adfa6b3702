"""`promote init`: the new repository holds everything its graph file points to."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml
from jsonschema import Draft202012Validator

from tests.helpers import git

DOCS_SCHEMA = Path(__file__).parents[3] / "docs/graph.schema.json"


@pytest.mark.parametrize("layout", ["dirs", "branches", "repos"])
def test_the_schema_the_graph_names_is_in_the_new_repository(tmp_path, cli, layout):
    result = cli(tmp_path, "init", "demo", "--layout", layout)
    assert result.exit_code == 0, result.stderr
    repo = tmp_path / "demo"
    graph_text = (repo / "environments/graph.yaml").read_text(encoding="utf-8")
    named = re.search(r"Schema: (\S+)", graph_text)
    assert named, "the example graph names its schema"
    schema_file = repo / named.group(1)
    assert schema_file.is_file() and not schema_file.is_symlink()
    assert named.group(1) in git(repo, "ls-files").splitlines()  # committed with the rest
    schema = json.loads(schema_file.read_text(encoding="utf-8"))
    assert schema == json.loads(DOCS_SCHEMA.read_text(encoding="utf-8"))
    errors = list(Draft202012Validator(schema).iter_errors(yaml.safe_load(graph_text)))
    assert errors == []


def test_an_unknown_layout_is_a_usage_error_and_creates_nothing(tmp_path, cli):
    result = cli(tmp_path, "init", "demo", "--layout", "monorepo")
    assert result.exit_code == 2
    assert "monorepo" in result.stderr
    assert list(tmp_path.iterdir()) == []


def test_repos_refuses_an_occupied_envs_directory_and_creates_nothing(tmp_path, cli):
    occupied = tmp_path / "demo.envs" / "prod.git"
    occupied.mkdir(parents=True)
    result = cli(tmp_path, "init", "demo", "--layout", "repos")
    assert result.exit_code == 2
    assert "demo.envs" in result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["demo.envs"]
    assert list(occupied.iterdir()) == []


@pytest.mark.parametrize("layout", ["branches", "repos"])
def test_the_output_says_where_each_environment_lives(tmp_path, cli, layout):
    result = cli(tmp_path, "init", "demo", "--layout", layout)
    assert result.exit_code == 0, result.stderr
    graph = yaml.safe_load((tmp_path / "demo/environments/graph.yaml").read_text(encoding="utf-8"))
    lines = result.stdout.splitlines()
    for name, spec in graph["environments"].items():
        place = spec.get("repo") or f"branch {spec['branch']}"
        assert any(line.split()[:1] == [name] and place in line for line in lines), name
    if layout == "repos":
        assert str((tmp_path / "demo.envs").resolve()) in lines[0]
    assert lines[-1] == "try: cd demo && promote graph && promote status"
