"""`promote SRC DST --wait` and `promote wait ENV` against Flux objects on the fake API server:
real processes and real repositories; the test plays Flux, flipping the status mid-wait."""

from __future__ import annotations

import threading
import time
from datetime import timedelta

from tests import processes
from tests.fake_k8s.agents import KUSTOMIZATION, flux_status
from tests.gated import commit_at
from tests.health import stamp
from tests.helpers import commit_count, git
from tests.plugins.test_webhook import Hook

PROD = "{kind: flux, kustomization: prod}"
SMOKE = """\
import json, os, sys
plan = json.load(sys.stdin)
if os.path.exists("checks/broken"):
    print("smoke test failed: /healthz returned 503")
    sys.exit(1)
print("smoke ok:", ", ".join(c["name"] + " " + c["new"] for c in plan["changes"]))
"""
FAILED_CHECK = "timeout waiting for: [Deployment/shop/web status: 'InProgress']"


def set_prod(agents, ready: str, reason: str, sha: str, message: str = "", when=None) -> None:
    status = flux_status(ready, reason, f"main@sha1:{sha}", stamp(when), message)
    agents.set_status(KUSTOMIZATION, "Kustomization", "prod", "flux-system", status)


def promotion_commit(repo, before: int, deadline: float = 60.0) -> str:
    """Wait until the promoting process has landed its commit; its sha."""
    stop = time.monotonic() + deadline
    while time.monotonic() < stop:
        if commit_count(repo) > before:
            return git(repo, "log", "-1", "--format=%H", "--grep=^Promote-Id:").strip()
        time.sleep(0.05)
    raise AssertionError("the promotion commit never landed")


def plain_trailers(repo, rev: str = "HEAD") -> list[str]:
    return [
        line for line in git(repo, "log", "-1", "--format=%(trailers)", rev).splitlines() if line
    ]


def test_wait_succeeds_when_flux_becomes_ready_at_the_commit_mid_wait(health_repo, agents, now):
    repo = health_repo(prod=PROD)
    before = commit_count(repo)
    old = git(repo, "rev-parse", "HEAD").strip()
    set_prod(agents, "True", "ReconciliationSucceeded", old, when=now - timedelta(days=2))
    process = processes.start(repo, "qa", "prod", "--yes", "--wait", "--timeout", "60s")

    def play_flux() -> None:
        sha = promotion_commit(repo, before)
        set_prod(agents, "Unknown", "Progressing", sha, "Reconciliation in progress", now)
        time.sleep(1.0)
        set_prod(agents, "True", "ReconciliationSucceeded", sha, "Applied revision", now)

    flux = threading.Thread(target=play_flux)
    flux.start()
    out, err = process.communicate(timeout=120)
    flux.join()
    assert process.returncode == 0, err
    promoted = git(repo, "log", "-1", "--format=%H", "--grep=^Promote-Id:").strip()
    promotion_id = git(
        repo, "log", "-1", "--format=%(trailers:key=Promote-Id,valueonly)", promoted
    ).strip()
    assert git(repo, "rev-parse", "HEAD~1").strip() == promoted  # the record follows it
    assert git(repo, "diff", "--name-only", "HEAD~1", "HEAD") == ""  # an empty commit
    assert plain_trailers(repo) == [
        f"Promote-Verified-For: {promotion_id}",
        "Promote-Verification: passed: Kustomization flux-system/prod Ready=True: "
        f"ReconciliationSucceeded since 10:00 at {promoted[:12]} (Applied revision)",
    ]
    assert "verified prod: Kustomization flux-system/prod Ready=True" in out
    assert "\r" not in err  # no progress line when stderr is not a terminal


def test_wait_fails_with_flux_s_own_message(health_repo, agents, now):
    repo = health_repo(prod=PROD)
    before = commit_count(repo)
    process = processes.start(repo, "qa", "prod", "--yes", "--wait", "--timeout", "60s")

    def play_flux() -> None:
        sha = promotion_commit(repo, before)
        set_prod(
            agents, "False", "HealthCheckFailed", sha, FAILED_CHECK, now - timedelta(minutes=3)
        )

    flux = threading.Thread(target=play_flux)
    flux.start()
    out, err = process.communicate(timeout=120)
    flux.join()
    assert process.returncode == 1, err
    promoted = git(repo, "log", "-1", "--format=%H", "--grep=^Promote-Id:").strip()
    seen = (
        f"Kustomization flux-system/prod Ready=False: HealthCheckFailed since 09:57 at "
        f"{promoted[:12]} ({FAILED_CHECK})"
    )
    assert f"verification failed prod: {seen}" in " ".join(out.split())
    assert plain_trailers(repo)[1] == f"Promote-Verification: failed: {seen}"
    # the promotion itself stays: Git records what was decided, the verification what happened
    assert git(repo, "show", f"{promoted}:apps/prod/web.yaml").count("web:1.1.0") == 1


def test_wait_times_out_with_what_it_saw_last(health_repo, agents, cli, now):
    repo = health_repo(prod=PROD)
    old = git(repo, "rev-parse", "HEAD").strip()
    assert cli(repo, "qa", "prod", "--yes").exit_code == 0
    promoted = git(repo, "rev-parse", "HEAD").strip()
    set_prod(agents, "True", "ReconciliationSucceeded", old, when=now - timedelta(hours=1))
    result = cli(repo, "wait", "prod", "--timeout", "2s", "--output", "json")
    assert result.exit_code == 1
    verification = result.json()["verification"]
    assert verification["state"] == "timeout"
    assert verification["reason"] == (
        "timed out after 2s: Kustomization flux-system/prod Ready=True: ReconciliationSucceeded "
        f"since 09:00 at {old[:12]}, not {promoted[:12]}"
    )
    assert plain_trailers(repo)[1] == f"Promote-Verification: failed: {verification['reason']}"


def test_verify_gates_run_once_healthy_and_are_recorded(health_repo, agents, cli, now):
    repo = health_repo(prod=PROD, verify='- command: ["python3", "checks/smoke.py"]')
    commit_at(repo, now - timedelta(hours=1), "checks", {"checks/smoke.py": SMOKE})
    assert cli(repo, "qa", "prod", "--yes").exit_code == 0
    promoted = git(repo, "rev-parse", "HEAD").strip()
    promotion_id = git(repo, "log", "-1", "--format=%(trailers:key=Promote-Id,valueonly)").strip()
    set_prod(agents, "True", "ReconciliationSucceeded", promoted, when=now - timedelta(minutes=2))
    result = cli(repo, "wait", "prod")
    assert result.exit_code == 0, result.stdout + result.stderr
    assert plain_trailers(repo) == [
        f"Promote-Verified-For: {promotion_id}",
        "Promote-Verification: passed: Kustomization flux-system/prod Ready=True: "
        f"ReconciliationSucceeded since 09:58 at {promoted[:12]}",
        "Promote-Gate: command passed: smoke ok: ghcr.io/acme/web 1.1.0",
    ]
    history = cli(repo, "history", "prod")
    assert "verification passed" in history.stdout
    status = cli(repo, "status", "--output", "json").json()
    prod = next(e for e in status["environments"] if e["name"] == "prod")
    assert prod["verification"]["passed"] is True
    assert prod["verification"]["commit"] == git(repo, "rev-parse", "HEAD").strip()
    # a broken smoke test: the agent is healthy, the verification fails (exit 1)
    commit_at(repo, now - timedelta(minutes=1), "break", {"checks/broken": "x\n"})
    result = cli(repo, "wait", "prod")
    assert result.exit_code == 1
    assert (
        "verify gate failed: command: smoke test failed: /healthz returned 503 (exit 1)"
        in " ".join(result.stdout.split())
    )
    assert plain_trailers(repo)[1] == (
        "Promote-Verification: failed: verify gate failed: command: smoke test failed: "
        "/healthz returned 503 (exit 1)"
    )
    status = cli(repo, "status")
    assert "prod: verification failed" in status.stdout


def test_a_verification_event_reaches_the_webhook(health_repo, agents, cli, now):
    hook = Hook()
    try:
        repo = health_repo(
            prod=PROD + f"\n    notify: [{{webhook: '{hook.url}', events: [verification]}}]"
        )
        assert cli(repo, "qa", "prod", "--yes").exit_code == 0
        promoted = git(repo, "rev-parse", "HEAD").strip()
        set_prod(agents, "True", "ReconciliationSucceeded", promoted, when=now)
        assert cli(repo, "wait", "prod").exit_code == 0
    finally:
        hook.close()
    (body,) = hook.bodies  # promote_verified: the promotion's own event is not subscribed
    promotion_id = git(
        repo, "log", "-1", "--format=%(trailers:key=Promote-Verified-For,valueonly)"
    ).strip()
    assert body["event"] == "verification"
    assert body["promotion_id"] == promotion_id
    assert body["passed"] is True
    assert body["commit"] == git(repo, "rev-parse", "HEAD").strip()
    assert body["text"].startswith(f"prod: verification of {promotion_id} passed: Kustomization")


def test_wait_on_an_environment_without_an_agent_writes_nothing(health_repo, cli):
    repo = health_repo()  # prod has no agent
    before = commit_count(repo)
    result = cli(repo, "qa", "prod", "--yes", "--wait")
    assert result.exit_code == 2
    assert "environment 'prod' has no `agent:`" in result.stderr
    assert commit_count(repo) == before
    assert git(repo, "status", "--porcelain") == ""
    assert cli(repo, "wait", "prod").exit_code == 2


def test_a_bad_timeout_is_refused_before_anything_is_written(health_repo, cli):
    repo = health_repo(prod=PROD)
    before = commit_count(repo)
    result = cli(repo, "qa", "prod", "--yes", "--wait", "--timeout", "soon")
    assert result.exit_code == 2
    assert "--timeout: 'soon' is not a duration" in result.stderr
    assert commit_count(repo) == before


def test_a_kubeconfig_that_does_not_load_is_refused_before_promoting(health_repo, cli, tmp_path):
    repo = health_repo(prod=PROD)
    graph = repo / "environments/graph.yaml"
    qa_part, prod_part = graph.read_text().split("  prod:")
    missing = str(tmp_path / "nowhere/kubeconfig")
    graph.write_text(qa_part + "  prod:" + prod_part.replace(str(tmp_path / "kubeconfig"), missing))
    git(repo, "commit", "-qam", "prod: another cluster")
    before = commit_count(repo)
    result = cli(repo, "qa", "prod", "--yes", "--wait")
    assert result.exit_code == 2
    assert "cannot load Kubernetes config for context 'fake'" in result.stderr
    assert commit_count(repo) == before


def test_the_progress_line_is_shown_on_a_terminal_only(health_repo, agents, cli, now):
    import os
    import pty
    import subprocess
    import sys

    repo = health_repo(prod=PROD)
    old = git(repo, "rev-parse", "HEAD").strip()
    assert cli(repo, "qa", "prod", "--yes").exit_code == 0
    set_prod(agents, "True", "ReconciliationSucceeded", old, when=now)
    main, terminal = pty.openpty()
    process = subprocess.Popen(
        [sys.executable, "-c", processes.ENTRY, "wait", "prod", "--timeout", "2s"],
        cwd=repo,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=terminal,
    )
    os.close(terminal)
    shown = b""
    while True:
        try:
            chunk = os.read(main, 4096)
        except OSError:  # the process closed the terminal
            break
        if not chunk:
            break
        shown += chunk
    process.wait(timeout=60)
    os.close(main)
    assert process.returncode == 1
    text = shown.decode()
    assert "\r\x1b[Kwaiting for prod (" in text
    assert "s left): Kustomization flux-system/prod Ready=True" in text
    assert text.endswith("\r\x1b[K")  # cleared before the result is printed


def test_wait_reads_an_argocd_application(health_repo, agents, cli, now):
    from tests.fake_k8s.agents import APPLICATION, argocd_status

    repo = health_repo(prod="{kind: argocd, application: prod}")
    assert cli(repo, "qa", "prod", "--yes").exit_code == 0
    promoted = git(repo, "rev-parse", "HEAD").strip()
    degraded = argocd_status(
        "Degraded", "Synced", promoted, stamp(now), message="Deployment web: 0/3 available"
    )
    agents.set_status(APPLICATION, "Application", "prod", "argocd", degraded)
    result = cli(repo, "wait", "prod", "--output", "json")
    assert result.exit_code == 1
    assert result.json()["verification"]["reason"] == (
        f"Application argocd/prod health=Degraded sync=Synced since 10:00 at {promoted[:12]} "
        "(Deployment web: 0/3 available)"
    )
    healthy = argocd_status("Healthy", "Synced", promoted, stamp(now), deployed_at=stamp(now))
    agents.set_status(APPLICATION, "Application", "prod", "argocd", healthy)
    result = cli(repo, "wait", "prod", "--output", "json")
    assert result.exit_code == 0, result.stdout
    assert result.json()["verification"]["passed"] is True
    values = git(repo, "log", "--format=%(trailers:key=Promote-Verification,valueonly)", "-2")
    assert [line.split(":")[0] for line in values.splitlines() if line] == ["passed", "failed"]


def test_a_blocked_promotion_is_not_waited_for(health_repo, agents, cli):
    repo = health_repo(prod=PROD, gates="- healthy: true")  # qa's Kustomization has no status
    before = commit_count(repo)
    result = cli(repo, "qa", "prod", "--yes", "--wait", "--timeout", "1h")
    assert result.exit_code == 3
    assert "not waiting: no promotion landed in prod" in result.stdout
    assert commit_count(repo) == before


def test_a_missing_kustomization_fails_at_once(health_repo, agents, cli):
    repo = health_repo(prod="{kind: flux, kustomization: shop-prod}")  # a typo: no such object
    assert cli(repo, "qa", "prod", "--yes").exit_code == 0
    result = cli(repo, "wait", "prod", "--timeout", "1h", "--output", "json")
    assert result.exit_code == 1
    assert result.json()["verification"]["state"] == "failed"
    assert result.json()["verification"]["reason"].startswith(
        "Kustomization flux-system/shop-prod not found"
    )


def test_an_unknown_verify_gate_is_refused_with_its_place(health_repo, cli):
    repo = health_repo(prod=PROD, verify="- smoke: [./smoke.sh]")
    before = commit_count(repo)
    result = cli(repo, "qa", "prod", "--yes", "--wait")
    assert result.exit_code == 2
    lines = (repo / "environments/graph.yaml").read_text().splitlines()
    line = next(i for i, text in enumerate(lines, 1) if "- smoke:" in text)
    column = lines[line - 1].index("smoke") + 1
    assert result.stderr.startswith(f"promote: error: environments/graph.yaml:{line}:{column}: ")
    assert "gate: unknown gate 'smoke' (known: approval, command, healthy," in result.stderr
    assert commit_count(repo) == before
