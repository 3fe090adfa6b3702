"""`promote init`: the new repository holds everything its graph file points to."""

from __future__ import annotations

import json
import re
from pathlib import Path

import yaml
from jsonschema import Draft202012Validator

from tests.helpers import git

DOCS_SCHEMA = Path(__file__).parents[3] / "docs/graph.schema.json"


def test_the_schema_the_graph_names_is_in_the_new_repository(tmp_path, cli):
    result = cli(tmp_path, "init", "demo")
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
