"""`- healthy: true` and `soak: {from: healthy}` read SRC's agent on the fake API server."""

from datetime import timedelta

import pytest

from tests.fake_k8s.agents import (
    APPLICATION,
    HELMRELEASE,
    KUSTOMIZATION,
    argocd_status,
    flux_status,
)
from tests.gated import DEPLOYMENT, commit_at, trailers, verdicts
from tests.health import stamp
from tests.helpers import commit_count, git

FAILED_CHECK = "timeout waiting for: [Deployment/shop/web status: 'InProgress']"


def head(repo) -> str:
    return git(repo, "rev-parse", "HEAD").strip()


def set_flux(agents, name, **status) -> None:
    agents.set_status(KUSTOMIZATION, "Kustomization", name, "flux-system", flux_status(**status))


def test_ready_at_the_commit_passes_and_is_recorded(health_repo, agents, cli, now):
    repo = health_repo(gates="- healthy: true")
    sha = head(repo)
    since = now - timedelta(minutes=18)
    set_flux(
        agents,
        "qa",
        ready="True",
        reason="ReconciliationSucceeded",
        revision=f"main@sha1:{sha}",
        since=stamp(since),
    )
    result = cli(repo, "qa", "prod", "--yes", "--output", "json")
    assert result.exit_code == 0, result.stderr
    expected = (
        "Kustomization flux-system/qa Ready=True: ReconciliationSucceeded "
        f"since 09:42 at {sha[:12]}"
    )
    assert verdicts(result)["healthy"] == {
        "gate": "healthy",
        "outcome": "passed",
        "reason": expected,
        "approvers": [],
    }
    assert trailers(repo, "Promote-Gate") == [f"healthy passed: {expected}"]


def test_health_check_failed_blocks_with_what_flux_said(health_repo, agents, cli, now):
    repo = health_repo(gates="- healthy: true")
    sha = head(repo)
    set_flux(
        agents,
        "qa",
        ready="False",
        reason="HealthCheckFailed",
        revision=f"main@sha1:{sha}",
        since=stamp(now - timedelta(minutes=18)),
        message=FAILED_CHECK,
    )
    before = commit_count(repo)
    result = cli(repo, "qa", "prod", "--yes", "--output", "json")
    assert result.exit_code == 3
    verdict = verdicts(result)["healthy"]
    assert verdict["outcome"] == "failed"
    assert verdict["reason"] == (
        f"Kustomization flux-system/qa Ready=False: HealthCheckFailed since 09:42 at {sha[:12]} "
        f"({FAILED_CHECK})"
    )
    assert commit_count(repo) == before
    assert git(repo, "status", "--porcelain") == ""


def test_ready_at_another_revision_is_pending(health_repo, agents, cli, now):
    repo = health_repo(gates="- healthy: true")
    older = git(repo, "rev-parse", "HEAD~1").strip()  # qa still ran web 1.0.0 there
    set_flux(
        agents,
        "qa",
        ready="True",
        reason="ReconciliationSucceeded",
        revision=f"main@sha1:{older}",
        since=stamp(now - timedelta(hours=3)),
    )
    result = cli(repo, "check", "qa", "prod", "--output", "json")
    assert result.exit_code == 3
    verdict = verdicts(result)["healthy"]
    assert verdict["outcome"] == "pending"
    assert verdict["reason"].endswith(f"since 07:00 at {older[:12]}, not {head(repo)[:12]}")


def test_an_agent_at_a_later_commit_with_the_same_qa_files_counts(health_repo, agents, cli, now):
    repo = health_repo(gates="- healthy: true")
    qa_commit = head(repo)
    commit_at(repo, now - timedelta(minutes=5), "docs", {"README.md": "hi\n"})
    set_flux(
        agents,
        "qa",
        ready="True",
        reason="ReconciliationSucceeded",
        revision=f"main@sha1:{qa_commit}",
        since=stamp(now - timedelta(minutes=30)),
    )
    result = cli(repo, "check", "qa", "prod", "--output", "json")
    assert result.exit_code == 0, result.stdout
    assert verdicts(result)["healthy"]["outcome"] == "passed"
    # ... but not when qa's own files changed in between
    commit_at(
        repo,
        now - timedelta(minutes=1),
        "qa: 1.2.0",
        {"apps/qa/web.yaml": DEPLOYMENT.format(version="1.2.0")},
    )
    result = cli(repo, "check", "qa", "prod", "--output", "json")
    assert result.exit_code == 3
    assert verdicts(result)["healthy"]["outcome"] == "pending"


def test_progressing_is_pending_not_failed(health_repo, agents, cli, now):
    repo = health_repo(gates="- healthy: true")
    sha = head(repo)
    set_flux(
        agents,
        "qa",
        ready="Unknown",
        reason="Progressing",
        revision=f"main@sha1:{sha}",
        since=stamp(now - timedelta(minutes=1)),
        message="Reconciliation in progress",
    )
    result = cli(repo, "check", "qa", "prod", "--output", "json")
    assert result.exit_code == 3
    assert verdicts(result)["healthy"]["outcome"] == "pending"
    assert "Ready=Unknown: Progressing since 09:59" in verdicts(result)["healthy"]["reason"]


def test_a_helmrelease_names_the_commit_in_its_chart_version(health_repo, agents, cli, now):
    repo = health_repo("{kind: flux, helmrelease: qa}", gates="- healthy: true")
    sha = head(repo)
    status = flux_status("True", "UpgradeSucceeded", f"0.1.0+{sha[:12]}", stamp(now))
    agents.set_status(HELMRELEASE, "HelmRelease", "qa", "flux-system", status)
    result = cli(repo, "check", "qa", "prod", "--output", "json")
    assert result.exit_code == 0, result.stdout
    assert verdicts(result)["healthy"]["reason"].startswith(
        "HelmRelease flux-system/qa Ready=True: UpgradeSucceeded since 10:00"
    )


def test_argocd_healthy_and_synced_at_the_commit_passes(health_repo, agents, cli, now):
    repo = health_repo("{kind: argocd, application: qa}", gates="- healthy: true")
    sha = head(repo)
    status = argocd_status(
        "Healthy", "Synced", sha, stamp(now), deployed_at=stamp(now - timedelta(minutes=50))
    )
    agents.set_status(APPLICATION, "Application", "qa", "argocd", status)
    result = cli(repo, "check", "qa", "prod", "--output", "json")
    assert result.exit_code == 0, result.stdout
    assert verdicts(result)["healthy"]["reason"] == (
        f"Application argocd/qa health=Healthy sync=Synced since 09:10 at {sha[:12]}"
    )


def test_argocd_degraded_fails_with_its_message(health_repo, agents, cli, now):
    repo = health_repo("{kind: argocd, application: qa}", gates="- healthy: true")
    sha = head(repo)
    status = argocd_status(
        "Degraded", "Synced", sha, stamp(now), message="Deployment web: 0/3 replicas available"
    )
    agents.set_status(APPLICATION, "Application", "qa", "argocd", status)
    result = cli(repo, "check", "qa", "prod", "--output", "json")
    assert result.exit_code == 3
    verdict = verdicts(result)["healthy"]
    assert verdict["outcome"] == "failed"
    assert verdict["reason"] == (
        f"Application argocd/qa health=Degraded sync=Synced since 10:00 at {sha[:12]} "
        "(Deployment web: 0/3 replicas available)"
    )


def test_an_unreachable_cluster_fails_closed(health_repo, agents, cli):
    repo = health_repo(gates="- healthy: true")
    agents.stop()
    result = cli(repo, "check", "qa", "prod", "--output", "json")
    assert result.exit_code == 3
    verdict = verdicts(result)["healthy"]
    assert verdict["outcome"] == "failed"
    assert verdict["reason"].startswith(
        "cannot read qa's agent: cannot discover the API group kustomize.toolkit.fluxcd.io/v1"
    )
    assert verdict["reason"].endswith("is unreachable (connection refused)")


def test_an_agent_without_status_yet_is_pending(health_repo, agents, cli):
    repo = health_repo(gates="- healthy: true")
    result = cli(repo, "check", "qa", "prod", "--output", "json")
    assert result.exit_code == 3
    assert verdicts(result)["healthy"] == {
        "gate": "healthy",
        "outcome": "pending",
        "reason": f"Kustomization flux-system/qa no Ready condition yet, applied no revision yet, "
        f"not {head(repo)[:12]}",
        "approvers": [],
    }


def test_soak_from_healthy_counts_from_the_ready_transition(health_repo, agents, cli, now):
    repo = health_repo(gates="- soak: {duration: 30m, from: healthy}")
    sha = head(repo)  # committed a day ago: a soak from the commit would pass
    set_flux(
        agents,
        "qa",
        ready="True",
        reason="ReconciliationSucceeded",
        revision=f"main@sha1:{sha}",
        since=stamp(now - timedelta(minutes=20)),
    )
    result = cli(repo, "check", "qa", "prod", "--output", "json")
    assert result.exit_code == 3
    soak = verdicts(result)["soak"]
    assert soak["outcome"] == "pending"
    assert soak["reason"].startswith("20m healthy in qa < 30m (Kustomization flux-system/qa")
    assert soak["reason"].endswith("passes in 10m)")
    set_flux(
        agents,
        "qa",
        ready="True",
        reason="ReconciliationSucceeded",
        revision=f"main@sha1:{sha}",
        since=stamp(now - timedelta(minutes=45)),
    )
    result = cli(repo, "qa", "prod", "--yes", "--output", "json")
    assert result.exit_code == 0, result.stderr
    (gate,) = trailers(repo, "Promote-Gate")
    assert gate.startswith("soak passed: 45m healthy in qa >= 30m")


def test_soak_from_healthy_waits_while_the_agent_is_not_ready(health_repo, agents, cli, now):
    repo = health_repo(gates="- soak: 30m\n  from: healthy")
    set_flux(
        agents,
        "qa",
        ready="False",
        reason="HealthCheckFailed",
        revision=f"main@sha1:{head(repo)}",
        since=stamp(now - timedelta(hours=2)),
    )
    result = cli(repo, "check", "qa", "prod", "--output", "json")
    assert result.exit_code == 3
    soak = verdicts(result)["soak"]
    assert soak["outcome"] == "failed"
    assert soak["reason"].startswith(
        "qa is not healthy yet, needs 30m: Kustomization flux-system/qa Ready=False"
    )


@pytest.mark.parametrize(
    ("qa", "gates", "message"),
    [
        (
            "{kind: flux}",
            "",
            "agent flux: name its object with `kustomization: NAME` or `helmrelease: NAME`",
        ),
        ("{kind: flux, kustomization: a, helmrelease: b}", "", "agent flux: give only one of"),
        (
            "{kind: argocd, kustomization: a}",
            "",
            "agent argocd: 'kustomization' is not a key of this agent",
        ),
        (
            "{kind: promote}",
            "",
            "agent promote: reads the environment's own `target: {kind: kubernetes",
        ),
        ("{kind: fluxcd, kustomization: a}", "", "is not one of ['flux', 'argocd', 'promote']"),
        ("{kind: flux, kustomization: Apps}", "", "does not match"),
        ("", "- healthy: true", "gate 'healthy': reads the agent of 'qa', which has no `agent:`"),
        ("", "- soak: {duration: 1h, from: healthy}", "gate 'soak': reads the agent of 'qa'"),
        (
            "{kind: flux, kustomization: qa}",
            "- soak: {duration: 1h, from: deploy}",
            "from: 'deploy' is not one of commit, healthy",
        ),
        (
            "{kind: flux, kustomization: qa}",
            "- healthy: {wait: 5m}",
            "gate 'healthy': takes no options",
        ),
    ],
)
def test_bad_agent_configuration_is_refused_with_its_place(health_repo, cli, qa, gates, message):
    repo = health_repo(qa, gates=gates)
    before = commit_count(repo)
    result = cli(repo, "qa", "prod", "--yes")
    assert result.exit_code == 2, result.stdout
    assert message in result.stderr
    assert "environments/graph.yaml:" in result.stderr
    assert commit_count(repo) == before
    assert git(repo, "status", "--porcelain") == ""


def test_an_unknown_cluster_key_is_refused(health_repo, cli, fake_kubeconfig):
    repo = health_repo()
    graph = repo / "environments/graph.yaml"
    graph.write_text(graph.read_text().replace("context: fake}", "context: fake, server: x}"))
    git(repo, "commit", "-qam", "typo")
    result = cli(repo, "qa", "prod", "--yes")
    assert result.exit_code == 2
    assert "unknown key 'server' (allowed: context, kubeconfig, namespace)" in result.stderr
    assert "environments/graph.yaml:4:" in result.stderr


def test_the_commit_of_an_environment_on_its_own_branch(
    tmp_path, agents, fake_kubeconfig, cli, now
):
    root = tmp_path / "branches"
    root.mkdir()
    git(root, "init", "--quiet", "--initial-branch=main")
    graph = (
        "environments:\n"
        "  qa:\n    path: apps/qa\n    branch: qa\n"
        f"    cluster: {{kubeconfig: {fake_kubeconfig}}}\n"
        "    agent: {kind: flux, kustomization: qa}\n"
        "  prod:\n    path: apps/prod\n    from: [qa]\n    gates:\n      - healthy: true\n"
    )
    files = {
        "environments/graph.yaml": graph,
        "apps/prod/web.yaml": DEPLOYMENT.format(version="1.0.0"),
    }
    commit_at(root, now - timedelta(days=2), "main", files)
    main = head(root)
    git(root, "checkout", "--quiet", "-b", "qa")
    commit_at(
        root,
        now - timedelta(days=1),
        "qa",
        {"apps/qa/web.yaml": DEPLOYMENT.format(version="1.1.0")},
    )
    qa_tip = head(root)
    git(root, "checkout", "--quiet", "main")
    set_flux(
        agents,
        "qa",
        ready="True",
        reason="ReconciliationSucceeded",
        revision=f"qa@sha1:{main}",
        since=stamp(now - timedelta(hours=1)),
    )
    result = cli(root, "check", "qa", "prod", "--output", "json")
    assert result.exit_code == 3, result.stderr
    assert verdicts(result)["healthy"]["reason"].endswith(f"at {main[:12]}, not {qa_tip[:12]}")
    set_flux(
        agents,
        "qa",
        ready="True",
        reason="ReconciliationSucceeded",
        revision=f"qa@sha1:{qa_tip}",
        since=stamp(now - timedelta(hours=1)),
    )
    result = cli(root, "check", "qa", "prod", "--output", "json")
    assert result.exit_code == 0, result.stdout
    assert verdicts(result)["healthy"]["reason"].endswith(f"since 09:00 at {qa_tip[:12]}")


def test_a_rollback_of_an_unhealthy_environment_is_not_blocked_by_health(
    health_repo, agents, cli, now
):
    repo = health_repo(
        prod="{kind: flux, kustomization: prod}",
        gates="- healthy: true\n- soak: {duration: 1h, from: healthy}",
    )
    set_flux(
        agents,
        "qa",
        ready="True",
        reason="ReconciliationSucceeded",
        revision=f"main@sha1:{head(repo)}",
        since=stamp(now - timedelta(hours=2)),
    )
    assert cli(repo, "qa", "prod", "--yes").exit_code == 0
    set_flux(
        agents,
        "prod",
        ready="False",
        reason="HealthCheckFailed",
        revision=f"main@sha1:{head(repo)}",
        since=stamp(now),
    )
    result = cli(repo, "rollback", "prod", "--yes")
    assert result.exit_code == 0, result.stdout + result.stderr
    assert trailers(repo, "Promote-Gate") == [
        "healthy passed: rollback of prod: its earlier versions, no source environment to ask",
        "soak passed: rollback of prod: its earlier versions, no source environment to ask",
    ]
    assert "web:1.0.0" in git(repo, "show", "HEAD:apps/prod/web.yaml")
