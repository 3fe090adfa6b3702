from __future__ import annotations

import json

from promote.engine.config.graphfile import find_config, graph_schema
from tests.helpers import write_tree

GRAPH = "environments:\n  qa: {path: envs/qa}\n  prod: {path: envs/prod, from: qa}\n"


def test_graph_file_is_found_walking_up_like_git(make_repo, cli):
    repo = make_repo(
        {"environments/graph.yaml": GRAPH, "envs/qa/a.yaml": "", "envs/prod/a.yaml": ""}
    )
    deep = repo / "envs/prod"
    assert find_config(deep) == repo / "environments/graph.yaml"
    result = cli(deep, "graph", "--output", "json")
    assert result.exit_code == 0 and result.json()["edges"] == [{"from": "qa", "to": "prod"}]


def test_explicit_config_wins(make_repo, cli, tmp_path):
    repo = make_repo({"conf/promote.yaml": GRAPH, "envs/qa/a.yaml": "", "envs/prod/a.yaml": ""})
    result = cli(tmp_path, "--config", str(repo / "conf/promote.yaml"), "graph", "--format", "dot")
    assert result.exit_code == 0, result.stderr
    assert '"qa" -> "prod";' in result.stdout


def test_schema_in_docs_is_the_one_enforced():
    from pathlib import Path

    docs = Path(__file__).parents[3] / "docs/graph.schema.json"
    assert json.loads(docs.read_text()) == graph_schema()


def test_default_renderer_follows_the_directory(make_repo, cli):
    repo = make_repo(
        {
            "environments/graph.yaml": GRAPH,
            "envs/qa/kustomization.yaml": "resources: []\n",
            "envs/prod/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n",
        }
    )
    result = cli(repo, "graph")
    lines = dict(line.split(maxsplit=1) for line in result.stdout.splitlines())
    assert "renderer: kustomize" in lines["qa"] and "renderer: plain" in lines["prod"]


def test_validate_renders_every_environment(make_repo, cli):
    repo = make_repo(
        {
            "environments/graph.yaml": GRAPH,
            "envs/qa/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n",
            "envs/prod/kustomization.yaml": "resources: [missing.yaml]\n",
        }
    )
    result = cli(repo, "validate")
    assert result.exit_code == 2 and "'prod' does not render" in result.stderr
    write_tree(
        repo, {"envs/prod/missing.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: b}\n"}
    )
    result = cli(repo, "validate", "--output", "json")
    assert result.exit_code == 0, result.stderr
    assert result.json()["environments"]["prod"]["objects"] == 1
