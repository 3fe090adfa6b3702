"""The application shell: --version, usage lines, flags in help, reserved environment names."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import typer

from promote.engine import __version__
from promote.engine.cli.app import app
from tests.helpers import git

DOCS = Path(__file__).parents[3] / "docs/configuration.md"


def _commands() -> set[str]:
    """The commands click dispatches to, hidden ones included, straight from typer."""
    return set(typer.main.get_command(app).commands)


def test_version_prints_the_version_and_exits_0(cli, tmp_path):
    result = cli(tmp_path, "--version")
    assert (result.exit_code, result.stdout, result.stderr) == (0, f"promote {__version__}\n", "")


def test_no_arguments_still_show_the_help(cli, tmp_path):
    result = cli(tmp_path)
    assert "promote SRC DST [OPTIONS]" in result.stdout + result.stderr


@pytest.mark.parametrize(
    ("args", "usage"),
    [
        (["promote", "--help"], "Usage: promote SRC DST [OPTIONS]"),
        (["approve", "--help"], "Usage: promote approve SRC DST [OPTIONS]"),
        (["history", "--help"], "Usage: promote history [ENV] [OPTIONS]"),
        (["render", "--help"], "Usage: promote render ENV [OPTIONS]"),
    ],
)
def test_usage_lines_name_arguments_in_capitals_before_options(cli, tmp_path, args, usage):
    result = cli(tmp_path, *args)
    assert result.exit_code == 0
    assert usage in result.stdout
    assert "promote promote" not in result.stdout and "{" not in result.stdout


def test_a_missing_argument_shows_the_short_usage(cli, tmp_path):
    result = cli(tmp_path, "qa")
    assert result.exit_code == 2
    assert "Usage: promote SRC DST [OPTIONS]" in result.stderr
    assert "Missing argument 'DST'" in result.stderr


@pytest.mark.parametrize("command", [[], ["promote"], ["reconcile"], ["status"]])
def test_boolean_flags_show_no_type_in_help(cli, tmp_path, command):
    result = cli(tmp_path, *command, "--help")
    assert result.exit_code == 0
    assert "--help" in result.stdout
    assert "<bool>" not in result.stdout


def _documented_reserved_names() -> set[str]:
    text = " ".join(DOCS.read_text(encoding="utf-8").split())
    listed = re.search(r"Reserved names: (.*?) \(", text)
    assert listed, "docs/configuration.md lists the reserved names"
    return set(re.findall(r"`([^`]+)`", listed.group(1)))


def test_the_documented_reserved_names_are_the_commands():
    assert _documented_reserved_names() == _commands()


@pytest.mark.parametrize("name", sorted(_commands()))
def test_every_command_name_is_refused_as_an_environment(make_repo, cli, name):
    repo = make_repo(
        {
            "environments/graph.yaml": f"environments:\n  {name}: {{path: envs/a}}\n",
            "envs/a/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n",
        }
    )
    result = cli(repo, "validate")
    assert result.exit_code == 2
    assert f"environments/graph.yaml:2:3: environment name {name!r} collides" in result.stderr


CONFIGMAP = """
apiVersion: v1
kind: ConfigMap
metadata: {name: a}
data:
  V: "VERSION" # {"$promote": "v"}
"""


@pytest.mark.parametrize("name", ["help", "version"])
def test_names_that_are_no_command_are_environments(make_repo, cli, name):
    """`promote help prod` promotes from `help`: no command has that name."""
    graph = f"environments:\n  {name}: {{path: envs/a}}\n  prod: {{path: envs/b, from: {name}}}\n"
    repo = make_repo(
        {
            "environments/graph.yaml": graph,
            "envs/a/cm.yaml": CONFIGMAP.replace("VERSION", "2"),
            "envs/b/cm.yaml": CONFIGMAP.replace("VERSION", "1"),
        }
    )
    result = cli(repo, name, "prod", "--yes")
    assert result.exit_code == 0, result.stderr
    assert git(repo, "show", "HEAD:envs/b/cm.yaml") == CONFIGMAP.replace("VERSION", "2").lstrip()


@pytest.mark.parametrize("value", ["xml", "JSON"])
def test_a_bad_choice_is_refused_with_typers_message(cli, tmp_path, value):
    """Choices are matched without pydantic; a value that matches none still gets typer's own
    coercion and its message (exit 2, nothing run)."""
    result = cli(tmp_path, "status", "--output", value)
    assert result.exit_code == 2
    assert f"Invalid value for '--output' / '-o': Value error, {value!r} is not one of" in (
        result.stderr
    )
