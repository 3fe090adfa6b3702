"""`promote graph`: aligned text, JSON, and Mermaid / DOT that parse whatever the names are."""

from __future__ import annotations

import json
import re
import shutil
import subprocess

import pytest

# Mermaid and DOT keywords as environment names, one longer than the old 12-character column.
NAMES = ["end", "class", "style", "subgraph", "node", "edge", "production-eu-west-1"]
EDGES = [
    ("end", "class"),
    ("class", "style"),
    ("class", "subgraph"),
    ("style", "node"),
    ("subgraph", "node"),
    ("node", "edge"),
    ("edge", "production-eu-west-1"),
]


@pytest.fixture
def keyword_repo(make_repo):
    upstreams = {name: [a for a, b in EDGES if b == name] for name in NAMES}
    lines = ["environments:"]
    for name in NAMES:
        lines.append(f"  {name}:\n    path: envs/{name}")
        if upstreams[name]:
            lines.append(f"    from: [{', '.join(upstreams[name])}]")
    files = {"environments/graph.yaml": "\n".join(lines) + "\n"}
    for name in NAMES:
        files[f"envs/{name}/cm.yaml"] = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n"
    return make_repo(files)


def test_text_columns_line_up_with_long_names(keyword_repo, cli):
    result = cli(keyword_repo, "graph")
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    assert sorted(line.split()[0] for line in lines) == sorted(NAMES)
    for column in ("from:", "where:", "renderer:", "gates:"):
        assert len({line.index(column) for line in lines}) == 1, (column, result.stdout)
    # two spaces at least between the longest name and the next column
    assert lines[0].index("from:") == len("production-eu-west-1") + 2


def test_json_lists_environments_and_edges(keyword_repo, cli):
    result = cli(keyword_repo, "graph", "--output", "json")
    assert result.exit_code == 0, result.stderr
    document = result.json()
    assert sorted((e["from"], e["to"]) for e in document["edges"]) == sorted(EDGES)
    by_name = {e["name"]: e for e in document["environments"]}
    assert set(by_name) == set(NAMES)
    assert by_name["node"]["from"] == ["style", "subgraph"]
    assert by_name["node"]["path"] == "envs/node"


MERMAID_NODE = re.compile(r'^  (n\d+)\["([^"]*)"\]$')
MERMAID_EDGE = re.compile(r"^  (n\d+) --> (n\d+)$")


def test_mermaid_uses_safe_ids_with_the_names_as_labels(keyword_repo, cli):
    result = cli(keyword_repo, "graph", "--format", "mermaid")
    assert result.exit_code == 0, result.stderr
    header, *body = result.stdout.splitlines()
    assert header == "flowchart LR"
    labels, edges = {}, []
    for line in body:
        node, edge = MERMAID_NODE.match(line), MERMAID_EDGE.match(line)
        assert node or edge, f"not a node or an edge: {line!r}"
        if node:
            labels[node.group(1)] = node.group(2)
        else:
            edges.append(edge.groups())
    assert sorted(labels.values()) == sorted(NAMES)
    assert sorted((labels[a], labels[b]) for a, b in edges) == sorted(EDGES)


def test_dot_output_is_read_back_by_graphviz(keyword_repo, cli):
    result = cli(keyword_repo, "graph", "--format", "dot")
    assert result.exit_code == 0, result.stderr
    dot = shutil.which("dot")
    if dot is None:
        pytest.skip("graphviz `dot` is not installed")
    layout = subprocess.run(
        [dot, "-Tjson"], input=result.stdout, capture_output=True, text=True, check=True
    )
    graph = json.loads(layout.stdout)
    names = [o["name"] for o in graph["objects"]]
    assert sorted(names) == sorted(NAMES)
    edges = [(names[e["tail"]], names[e["head"]]) for e in graph["edges"]]
    assert sorted(edges) == sorted(EDGES)
