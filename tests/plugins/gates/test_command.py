import json

import pytest

from tests.gated import commit_at, trailers, verdicts
from tests.helpers import commit_count

SMOKE = """\
import json, os, sys
plan = json.load(sys.stdin)
print("reading", len(plan["changes"]), "changes")
names = [f"{c['name']} {c['old']}->{c['new']}" for c in plan["changes"]]
if os.path.exists("checks/broken"):
    print("smoke test failed: /healthz returned 503", file=sys.stdout)
    sys.exit(1)
print(f"{os.environ['PROMOTE_SRC']}->{os.environ['PROMOTE_DST']} {plan['to']}: " + ", ".join(names))
"""


def with_check(gated_repo, now, gate: str, files: dict[str, str] | None = None):
    repo = gated_repo(gate)
    commit_at(repo, now, "checks", {"checks/smoke.py": SMOKE, **(files or {})})
    return repo


def test_a_passing_command_reads_the_plan_on_stdin_from_the_repo_root(gated_repo, cli, now):
    repo = with_check(gated_repo, now, '- command: ["python3", "checks/smoke.py"]')
    result = cli(repo, "qa", "prod", "--yes", "--output", "json")
    assert result.exit_code == 0, result.stdout
    expected = "qa->prod prod: ghcr.io/acme/web 1.0.0->1.1.0"
    assert verdicts(result)["command"] == {
        "gate": "command",
        "outcome": "passed",
        "reason": expected,
        "approvers": [],
    }
    assert trailers(repo, "Promote-Gate") == [f"command passed: {expected}"]


def test_a_failing_command_blocks_with_its_own_reason(gated_repo, cli, now):
    repo = with_check(
        gated_repo, now, '- command: ["python3", "checks/smoke.py"]', {"checks/broken": ""}
    )
    before = commit_count(repo)
    result = cli(repo, "qa", "prod", "--yes")
    assert result.exit_code == 3
    assert "smoke test failed: /healthz returned 503" in result.stdout
    assert commit_count(repo) == before
    as_json = cli(repo, "check", "qa", "prod", "--output", "json")
    command = verdicts(as_json)["command"]
    assert command["outcome"] == "failed"
    assert command["reason"] == "smoke test failed: /healthz returned 503 (exit 1)"


@pytest.mark.parametrize(
    "spelling",
    ["- command: {{run: {argv}, timeout: 1s}}", "- command: {argv}\n  timeout: 1s"],
    ids=["mapping", "beside"],
)
def test_a_command_that_runs_too_long_fails(gated_repo, cli, spelling):
    sleeper = json.dumps(["python3", "-c", "import time; time.sleep(30)"])
    repo = gated_repo(spelling.format(argv=sleeper))
    result = cli(repo, "check", "qa", "prod", "--output", "json")
    assert result.exit_code == 3
    command = verdicts(result)["command"]
    assert command["outcome"] == "failed"
    assert "timed out after 1s" in command["reason"]


def test_a_program_that_does_not_exist_fails(gated_repo, cli):
    repo = gated_repo('- command: ["./checks/not-there.sh"]')
    result = cli(repo, "check", "qa", "prod", "--output", "json")
    assert result.exit_code == 3
    assert verdicts(result)["command"]["reason"].startswith("cannot run ./checks/not-there.sh")


@pytest.mark.parametrize(
    "gate", ["- command: []", "- command: {run: [a], timeout: soon}", "- command: {cmd: [a]}"]
)
def test_invalid_command_options_are_config_errors(gated_repo, cli, gate):
    repo = gated_repo(gate)
    result = cli(repo, "check", "qa", "prod")
    assert result.exit_code == 2
    assert "environments/graph.yaml:" in result.stderr and "command" in result.stderr
