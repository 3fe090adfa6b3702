import json
import re
import time
from pathlib import Path

import pytest

from tests import processes
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


HANGS = """\
# One child leaves the process group (setsid), one stays in it; both hold the gate's output.
setsid sh -c 'echo $$ > "$0"; exec sleep 120' "$PIDS/escaped.pid" &
sleep 120 &
echo $! > "$PIDS/child.pid"
wait
"""


def alive(pid: int) -> bool:
    """Running, not a zombie waiting for its (re)parent to reap it."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


@pytest.mark.skipif(not Path("/proc/self/fd").exists(), reason="needs Linux /proc and setsid")
def test_a_timeout_kills_every_child_and_reports_the_real_time(
    gated_repo, now, tmp_path, monkeypatch
):
    monkeypatch.setenv("PIDS", str(tmp_path))
    repo = with_check(
        gated_repo,
        now,
        '- command: {run: ["sh", "checks/hangs.sh"], timeout: 1s}',
        {"checks/hangs.sh": HANGS},
    )
    started = time.monotonic()
    result = processes.run(repo, "check", "qa", "prod", "--output", "json", timeout=60)
    took = time.monotonic() - started
    assert result.returncode == 3, result.stderr
    reason = json.loads(result.stdout)["hops"][0]["gates"][0]["reason"]
    stopped = re.fullmatch(
        r"sh checks/hangs.sh timed out after 1s \(stopped after ([\d.]+)s\)", reason
    )
    assert stopped, reason
    assert 1.0 <= float(stopped[1]) <= took < 30
    pids = [int((tmp_path / name).read_text()) for name in ("escaped.pid", "child.pid")]
    deadline = time.monotonic() + 5
    while any(alive(pid) for pid in pids) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not [pid for pid in pids if alive(pid)]
