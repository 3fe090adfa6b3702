"""Bad input: one clear message naming the file, exit 2, and nothing changed (no edit/commit)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers import git

PLAIN_ENV = """
apiVersion: v1
kind: ConfigMap
metadata: {name: app}
data:
  VERSION: "1.0.0" # {"$promote": "app"}
"""


def graph_repo(make_repo, graph: str, **extra: str) -> Path:
    files = {
        "environments/graph.yaml": graph,
        "envs/qa/app.yaml": PLAIN_ENV.replace("1.0.0", "1.1.0"),
        "envs/prod/app.yaml": PLAIN_ENV,
    }
    files.update({k.replace("__", "/"): v for k, v in extra.items()})
    return make_repo(files)


GOOD = """
environments:
  qa: {path: envs/qa}
  prod: {path: envs/prod, from: [qa]}
"""


def assert_unchanged(repo: Path, head: str) -> None:
    assert git(repo, "rev-parse", "HEAD") == head
    assert git(repo, "status", "--porcelain") == ""


def run_bad(cli, repo: Path, *args: str):
    head = git(repo, "rev-parse", "HEAD")
    result = cli(repo, *args)
    assert result.exit_code == 2, (result.stdout, result.stderr)
    assert result.stderr.startswith("promote: error: ")
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert "Traceback" not in result.stderr
    assert_unchanged(repo, head)
    return result.stderr


@pytest.mark.parametrize(
    ("graph", "expected"),
    [
        (
            "environments:\n  qa: {path: envs/qa, from: [prod]}\n"
            "  prod: {path: envs/prod, from: [qa]}\n",
            "cycle",
        ),
        (
            "environments:\n  qa: {path: ../outside}\n  prod: {path: envs/prod}\n",
            "outside the repository",
        ),
        (
            "environments:\n  qa: {path: /etc}\n  prod: {path: envs/prod}\n",
            "outside the repository",
        ),
        ("environments:\n  qa: {path: envs/nope}\n  prod: {path: envs/prod}\n", "does not exist"),
        ("environments:\n  qa: {path: envs/qa\n  prod: {path: envs/prod}\n", "graph.yaml:"),
        ("environments:\n  qa: {path: envs/qa}\n  qa: {path: envs/prod}\n", "duplicate key"),
        (
            "environments:\n  qa: {path: envs/qa, colour: blue}\n  prod: {path: envs/prod}\n",
            "unknown key 'colour'",
        ),
        (
            "environments:\n  qa: {renderer: plain}\n  prod: {path: envs/prod}\n",
            "'path' is a required",
        ),
        (
            "environments:\n  qa: {path: envs/qa}\n  prod: {path: envs/prod, from: [uat]}\n",
            "unknown upstream 'uat'",
        ),
        (
            "environments:\n  status: {path: envs/qa}\n  prod: {path: envs/prod}\n",
            "collides with the command",
        ),
        (
            "environments:\n  qa: {path: envs/qa, renderer: helm}\n  prod: {path: envs/prod}\n",
            "unknown renderer 'helm'",
        ),
        (
            "environments:\n  qa: {path: envs/qa, gates: [{nosuchgate: 1}]}\n"
            "  prod: {path: envs/prod}\n",
            "unknown gate",
        ),
        (
            "environments:\n  qa: {path: envs/qa, target: {kind: nowhere}}\n"
            "  prod: {path: envs/prod}\n",
            "unknown target",
        ),
        ("- just a list\n", "graph.yaml"),
    ],
)
def test_invalid_graph_is_refused_with_a_location(make_repo, cli, graph, expected):
    repo = graph_repo(make_repo, graph)
    message = run_bad(cli, repo, "qa", "prod", "--yes")
    assert expected in message
    assert "environments/graph.yaml" in message


def test_config_errors_name_line_and_column(make_repo, cli):
    repo = graph_repo(
        make_repo,
        "environments:\n  qa: {path: envs/qa}\n  prod:\n    path: envs/prod\n    form: [qa]\n",
    )
    message = run_bad(cli, repo, "validate")
    assert "environments/graph.yaml:5:5:" in message


def test_unknown_environment(make_repo, cli):
    repo = graph_repo(make_repo, GOOD)
    message = run_bad(cli, repo, "qa", "staging", "--yes")
    assert "unknown environment 'staging' in environments/graph.yaml" in message and "qa" in message
    assert "did you mean" not in message  # nothing in the graph is close to "staging"


@pytest.mark.parametrize("args", [("qa", "prdo", "--yes"), ("history", "prod-"), ("render", "prd")])
def test_a_misspelt_environment_gets_a_suggestion(make_repo, cli, args):
    repo = graph_repo(make_repo, GOOD)
    message = run_bad(cli, repo, *args)
    assert message.rstrip().endswith("did you mean 'prod'?")


def test_two_environments_with_the_same_path_are_refused(make_repo, cli):
    graph = "environments:\n  qa: {path: envs/qa}\n  prod:\n    from: [qa]\n    path: envs/qa/\n"
    repo = graph_repo(make_repo, graph)
    for args in (("validate",), ("qa", "prod", "--yes")):
        message = run_bad(cli, repo, *args)
        # the second environment's `path` key: line 5, column 5
        assert message.startswith("promote: error: environments/graph.yaml:5:5: ")
        assert "'qa' and 'prod' have the same path envs/qa" in message


def test_no_path_between_environments(make_repo, cli):
    repo = graph_repo(make_repo, GOOD)
    message = run_bad(cli, repo, "prod", "qa", "--yes")
    assert "no promotion path from 'prod' to 'qa' in environments/graph.yaml" in message


def test_dirty_destination_is_refused(make_repo, cli):
    repo = graph_repo(make_repo, GOOD)
    target = repo / "envs/prod/app.yaml"
    target.write_text(target.read_text() + "# local edit\n")
    head = git(repo, "rev-parse", "HEAD")
    result = cli(repo, "qa", "prod", "--yes")
    assert result.exit_code == 2
    assert "envs/prod/app.yaml" in result.stderr and "uncommitted" in result.stderr
    assert git(repo, "rev-parse", "HEAD") == head
    assert target.read_text().endswith("# local edit\n")


def test_untracked_file_in_source_is_refused(make_repo, cli):
    repo = graph_repo(make_repo, GOOD)
    (repo / "envs/qa/new.yaml").write_text("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n")
    result = cli(repo, "qa", "prod", "--yes")
    assert result.exit_code == 2 and "envs/qa/new.yaml" in result.stderr


def test_malformed_yaml_in_an_environment_names_the_file(make_repo, cli):
    repo = graph_repo(make_repo, GOOD, envs__prod__broken_yaml="a: [1, 2\n")
    (repo / "envs/prod/broken_yaml").rename(repo / "envs/prod/broken.yaml")
    git(repo, "add", "--all")
    git(repo, "commit", "-qm", "broken")
    message = run_bad(cli, repo, "qa", "prod", "--yes")
    assert "envs/prod/broken.yaml:" in message


def test_missing_graph_file(tmp_path, cli):
    message = cli(tmp_path, "status")
    assert message.exit_code == 2 and "environments/graph.yaml" in message.stderr
    assert "`promote init DIR`" in message.stderr and "--config" in message.stderr


@pytest.fixture
def failing_plugin(monkeypatch):
    from promote.engine import plugins
    from tests.plugins import failing_plugin as module

    monkeypatch.setattr(plugins, "DEFAULT_PLUGINS", (*plugins.DEFAULT_PLUGINS, module.__name__))
    return module


def test_plugin_that_raises_is_one_message_and_no_commit(
    make_repo, cli, failing_plugin, monkeypatch
):
    monkeypatch.setitem(failing_plugin.MODE, "value", "plan")
    repo = graph_repo(make_repo, GOOD)
    message = run_bad(cli, repo, "qa", "prod", "--yes")
    assert "tests.plugins.failing_plugin" in message and "audit service is down" in message


def test_edit_that_breaks_rendering_is_rolled_back(make_repo, cli, failing_plugin, monkeypatch):
    monkeypatch.setitem(failing_plugin.MODE, "value", "break-yaml")
    repo = graph_repo(make_repo, GOOD)
    original = (repo / "envs/prod/app.yaml").read_text()
    message = run_bad(cli, repo, "qa", "prod", "--yes")
    assert "no longer renders" in message
    assert (repo / "envs/prod/app.yaml").read_text() == original
