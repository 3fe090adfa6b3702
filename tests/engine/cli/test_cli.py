"""The CLI as users run it: first run, status, history, help."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.helpers import git, kustomize_build


def test_help_does_not_import_kubernetes_or_the_engine_core():
    code = (
        "import sys\n"
        "from promote.engine.cli.app import main\n"
        "try:\n    main(['--help'])\nexcept SystemExit as e:\n    assert e.code == 0, e.code\n"
        "heavy = [m for m in ('kubernetes', 'git', 'networkx', 'ruamel.yaml', 'jsonschema')"
        " if m in sys.modules]\n"
        "print('HEAVY', heavy)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert "SRC DST" in out.stdout
    assert out.stdout.strip().endswith("HEAVY []")


def test_console_script_runs_a_promotion_end_to_end(tmp_path):
    """The installed `promote` entry point, in a subprocess, as the README's first command does."""
    env = {**os.environ, "PROMOTE_DISABLE_PLUGIN_AUTOLOAD": "1"}
    run = lambda *args, cwd=tmp_path: subprocess.run(  # noqa: E731
        [sys.executable, "-c", "from promote.engine.cli.app import main; main()", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
    )
    assert run("init", "demo").returncode == 0
    repo = tmp_path / "demo"
    blocked = run("uat", "prod", cwd=repo)
    assert blocked.returncode == 3, blocked.stderr  # the example's prod wants one approval
    assert run("approve", "uat", "prod", cwd=repo).returncode == 0
    promoted = run("uat", "prod", cwd=repo)  # stdin is not a terminal: no prompt
    assert promoted.returncode == 0, promoted.stderr
    assert "promoted uat → prod" in promoted.stdout
    assert (
        git(repo, "log", "-1", "--format=%(trailers:key=Promote-From,valueonly)").strip() == "uat"
    )


def test_status_json_shows_versions_and_lag(example_repo, cli):
    result = cli(example_repo, "status", "--output", "json")
    assert result.exit_code == 0, result.stderr
    envs = {e["name"]: e for e in result.json()["environments"]}
    assert [e["name"] for e in result.json()["environments"]] == ["int", "qa", "uat", "prod"]
    rendered = _images(example_repo / "environments/uat")
    assert envs["uat"]["versions"]["ghcr.io/acme/web"] == rendered["ghcr.io/acme/web"]
    assert envs["prod"]["lagging"]["ghcr.io/acme/web"] == rendered["ghcr.io/acme/web"]
    assert envs["int"]["lagging"] == {}


def test_status_after_promotion_shows_no_lag_and_the_last_promotion(example_repo, cli):
    assert cli(example_repo, "approve", "uat", "prod").exit_code == 0  # prod wants 1
    assert cli(example_repo, "uat", "prod", "--yes").exit_code == 0
    envs = {e["name"]: e for e in cli(example_repo, "status", "-o", "json").json()["environments"]}
    assert envs["prod"]["lagging"] == {}
    assert envs["prod"]["last_promotion"]["from"] == "uat"
    assert (
        envs["prod"]["last_promotion"]["commit"] == git(example_repo, "rev-parse", "HEAD").strip()
    )


def test_history_reads_promotions_back_from_trailers(example_repo, cli):
    assert cli(example_repo, "int", "uat", "--yes").exit_code == 0
    assert cli(example_repo, "approve", "uat", "prod").exit_code == 0  # prod wants 1
    assert cli(example_repo, "uat", "prod", "--yes").exit_code == 0
    everything = cli(example_repo, "history", "--output", "json").json()["promotions"]
    assert [(p["from"], p["to"]) for p in everything] == [
        ("uat", "prod"),
        ("qa", "uat"),
        ("int", "qa"),
    ]
    prod_only = cli(example_repo, "history", "prod", "-o", "json").json()["promotions"]
    assert len(prod_only) == 1
    moves = {a["name"]: (a["old"], a["new"]) for a in prod_only[0]["artifacts"]}
    log = git(example_repo, "log", "-1", "--format=%B")
    for name, (old, new) in moves.items():
        assert f"{name} {old} -> {new}" in log
    text = cli(example_repo, "history")
    assert text.exit_code == 0 and prod_only[0]["id"] in text.stdout


def test_init_refuses_a_non_empty_directory(tmp_path, cli):
    (tmp_path / "taken").mkdir()
    (tmp_path / "taken/file").write_text("x")
    result = cli(tmp_path, "init", "taken")
    assert result.exit_code == 2 and "not empty" in result.stderr


def test_declining_the_prompt_writes_nothing(example_repo, monkeypatch, cli):
    monkeypatch.setattr(sys.stdin, "isatty", lambda: True, raising=False)
    monkeypatch.setattr("typer.confirm", lambda *a, **k: False)
    assert cli(example_repo, "approve", "uat", "prod").exit_code == 0  # prod wants 1
    head = git(example_repo, "rev-parse", "HEAD")
    result = cli(example_repo, "uat", "prod")
    assert result.exit_code == 1
    assert git(example_repo, "rev-parse", "HEAD") == head
    assert git(example_repo, "status", "--porcelain") == ""


def _images(path: Path) -> dict[str, str]:
    images = {}
    for obj in kustomize_build(path):
        spec = ((obj.get("spec") or {}).get("template") or {}).get("spec") or {}
        for container in spec.get("containers", []) + spec.get("initContainers", []):
            name, _, tag = container["image"].rpartition(":")
            images[name] = tag
    return images


def test_push_sends_the_promotion_commits_to_origin(example_repo, cli, tmp_path):
    remote = tmp_path / "origin.git"
    git(tmp_path, "init", "--quiet", "--bare", str(remote))
    git(example_repo, "remote", "add", "origin", str(remote))
    git(example_repo, "push", "--quiet", "origin", "main")
    result = cli(example_repo, "int", "qa", "--yes", "--push")
    assert result.exit_code == 0, result.stderr
    assert git(remote, "rev-parse", "main") == git(example_repo, "rev-parse", "HEAD")
