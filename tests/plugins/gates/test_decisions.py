"""Every gate is evaluated and shown; blocking, failing closed, forcing, and history."""

import signal
import time
import uuid
from pathlib import Path

import pytest

import promote.engine.plugins
from tests import processes
from tests.engine.gates.test_approvals import as_user
from tests.gated import trailers, verdicts
from tests.helpers import commit_count, git

MANY = """\
- approval: {required: 1}
- window: {deny: ['Mon-Sun'], timezone: UTC}
- command: ["python3", "-c", "print('no smoke today'); raise SystemExit(2)"]
"""


@pytest.fixture
def with_exploding_gate(monkeypatch):
    plugins = (*promote.engine.plugins.DEFAULT_PLUGINS, "tests.plugins.gates.exploding")
    monkeypatch.setattr(promote.engine.plugins, "DEFAULT_PLUGINS", plugins)


def test_every_verdict_is_shown_not_only_the_first_failure(gated_repo, cli):
    repo = gated_repo(MANY)
    result = cli(repo, "qa", "prod", "--yes", "--output", "json")
    assert result.exit_code == 3
    outcomes = {gate: v["outcome"] for gate, v in verdicts(result).items()}
    assert outcomes == {"approval": "pending", "window": "pending", "command": "failed"}
    text = cli(repo, "qa", "prod", "--yes")
    for reason in ("0 of 1 approvals", "inside deny 'Mon-Sun'", "no smoke today"):
        assert reason in text.stdout


def test_a_gate_that_raises_is_a_failed_verdict_naming_its_plugin(
    gated_repo, cli, with_exploding_gate
):
    repo = gated_repo("- exploding: {}")
    before = commit_count(repo)
    result = cli(repo, "qa", "prod", "--yes", "--output", "json")
    assert result.exit_code == 3
    gate = verdicts(result)["exploding"]
    assert gate["outcome"] == "failed"
    assert "ticket system unreachable" in gate["reason"]
    assert "tests.plugins.gates.exploding" in gate["reason"]
    assert commit_count(repo) == before


def test_check_prints_plan_and_verdicts_and_writes_nothing(gated_repo, cli):
    repo = gated_repo(MANY)
    before = commit_count(repo)
    result = cli(repo, "check", "qa", "prod")
    assert result.exit_code == 3
    assert "ghcr.io/acme/web" in result.stdout and "1.1.0" in result.stdout
    assert "no smoke today" in result.stdout
    assert commit_count(repo) == before
    assert git(repo, "status", "--porcelain") == ""


def test_force_with_a_reason_promotes_and_records_every_overridden_verdict(gated_repo, cli):
    repo = gated_repo(MANY)
    reason = "hotfix for INC-42, approved on the bridge call"
    result = cli(repo, "qa", "prod", "--yes", "--force", "--reason", reason)
    assert result.exit_code == 0, result.stderr
    assert trailers(repo, "Promote-Forced") == [reason]
    recorded = trailers(repo, "Promote-Gate")
    assert [line.split(":")[0] for line in recorded] == [
        "approval pending",
        "window pending",
        "command failed",
    ]


def test_force_without_a_reason_is_a_usage_error(gated_repo, cli):
    repo = gated_repo(MANY)
    before = commit_count(repo)
    result = cli(repo, "qa", "prod", "--yes", "--force")
    assert result.exit_code == 2
    assert "--reason" in result.stderr
    assert commit_count(repo) == before


def test_an_environment_may_forbid_force(gated_repo, cli):
    repo = gated_repo(MANY, extra_prod="allow_force: false")
    before = commit_count(repo)
    result = cli(repo, "qa", "prod", "--yes", "--force", "--reason", "please")
    assert result.exit_code == 3
    assert "allow_force" in result.stderr
    assert commit_count(repo) == before
    assert git(repo, "status", "--porcelain") == ""


def test_history_shows_gates_approvers_and_forced_reasons(gated_repo, cli, monkeypatch):
    repo = gated_repo("- approval: {required: 2}\n- window: {deny: ['Mon-Sun']}")
    for email in ("alice@example.com", "bob@example.com"):
        as_user(monkeypatch, email)
        assert cli(repo, "approve", "qa", "prod").exit_code == 0
    as_user(monkeypatch, "pat@example.com")
    assert (
        cli(repo, "qa", "prod", "--yes", "--force", "--reason", "freeze exception").exit_code == 0
    )
    (record,) = cli(repo, "history", "prod", "--output", "json").json()["promotions"]
    assert record["approvers"] == ["alice@example.com", "bob@example.com"]
    assert record["forced"] == "freeze exception"
    assert [g.split(":")[0] for g in record["gates"]] == ["approval passed", "window pending"]
    text = cli(repo, "history", "prod")
    assert "freeze exception" in text.stdout and "bob@example.com" in text.stdout


def test_an_invalid_promote_now_is_a_usage_error(gated_repo, cli, monkeypatch):
    repo = gated_repo("- soak: 1h")
    monkeypatch.setenv("PROMOTE_NOW", "next tuesday")
    result = cli(repo, "check", "qa", "prod")
    assert result.exit_code == 2
    assert "PROMOTE_NOW" in result.stderr


@pytest.mark.parametrize(
    ("gate", "raised"), [("exits", "SystemExit"), ("interrupts", "KeyboardInterrupt")]
)
def test_a_gate_that_exits_or_interrupts_is_a_failed_verdict_not_an_exit(
    gated_repo, cli, with_exploding_gate, gate, raised
):
    repo = gated_repo(f"- {gate}: {{}}")
    head = git(repo, "rev-parse", "HEAD")
    result = cli(repo, "qa", "prod", "--yes", "--output", "json")
    assert result.exit_code == 3, (result.stdout, result.stderr)
    verdict = verdicts(result)[gate]
    assert verdict["outcome"] == "failed" and f"gate raised {raised}" in verdict["reason"]
    assert git(repo, "rev-parse", "HEAD") == head
    assert git(repo, "status", "--porcelain") == ""


def test_ctrl_c_during_a_gate_stops_the_promotion_with_130(gated_repo):
    token = f"ctrl-c-gate-{uuid.uuid4()}"  # names the gate's process among all the machine's
    repo = gated_repo(f'- command: ["sh", "-c", "sleep 60; echo done", "{token}"]')
    head = git(repo, "rev-parse", "HEAD")
    process = processes.start(repo, "qa", "prod", "--yes")
    deadline = time.monotonic() + 30
    while not any(token in line for line in command_lines()):
        assert time.monotonic() < deadline and process.poll() is None
        time.sleep(0.1)
    process.send_signal(signal.SIGINT)
    _out, err = process.communicate(timeout=20)
    assert process.returncode == 130, err
    assert err.strip().splitlines()[-1] == "promote: interrupted"
    assert git(repo, "rev-parse", "HEAD") == head
    assert git(repo, "status", "--porcelain") == ""
    deadline = time.monotonic() + 5  # the gate's program was stopped, not left running
    while any(token in line for line in command_lines()):
        assert time.monotonic() < deadline
        time.sleep(0.1)


def command_lines() -> list[str]:
    """The command line of every running process (Linux /proc)."""
    lines = []
    for entry in Path("/proc").glob("[0-9]*"):
        try:
            lines.append((entry / "cmdline").read_bytes().decode(errors="replace"))
        except OSError:
            continue
    return lines
