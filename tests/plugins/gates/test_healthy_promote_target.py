"""`agent: {kind: promote}`: the healthy gate and soak from healthy read what `promote reconcile`
recorded on the fake API server (its inventory's commit and time) and the workloads' health."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tests.gated import verdicts
from tests.helpers import git

QA = "{kind: promote}\n    target: {kind: kubernetes, kubeconfig: KUBECONFIG, context: fake}"


def promote_repo(health_repo, fake_kubeconfig, gates: str):
    return health_repo(QA.replace("KUBECONFIG", str(fake_kubeconfig)), gates=gates)


def test_healthy_reads_the_inventory_and_the_workloads(health_repo, fake_kubeconfig, agents, cli):
    repo = promote_repo(health_repo, fake_kubeconfig, "- healthy: true")
    sha = git(repo, "rev-parse", "HEAD").strip()
    result = cli(repo, "check", "qa", "prod", "--output", "json")
    assert result.exit_code == 3
    assert verdicts(result)["healthy"]["reason"] == (
        "promote inventory default/promote-inventory-qa nothing applied yet, "
        f"applied no revision yet, not {sha[:12]}"
    )
    assert cli(repo, "reconcile", "qa").exit_code == 0
    inventory = agents.get_object("v1", "ConfigMap", "promote-inventory-qa", "default")
    assert inventory["data"]["commit"] == sha
    applied_at = datetime.fromisoformat(inventory["data"]["appliedAt"].replace("Z", "+00:00"))
    assert abs(datetime.now(UTC) - applied_at) < timedelta(minutes=5)
    result = cli(repo, "check", "qa", "prod", "--output", "json")
    assert result.exit_code == 0, result.stdout
    reason = verdicts(result)["healthy"]["reason"]
    assert reason.startswith(
        "promote inventory default/promote-inventory-qa applied, workloads healthy since "
    )
    assert reason.endswith(f" at {sha[:12]}")
    agents.set_unhealthy("Deployment", "web", "default")
    result = cli(repo, "check", "qa", "prod", "--output", "json")
    assert result.exit_code == 3
    verdict = verdicts(result)["healthy"]
    assert verdict["outcome"] == "pending"
    assert verdict["reason"].endswith(f" at {sha[:12]} (Deployment default/web: 0/1 available)")


def test_reconciling_again_keeps_the_time_the_commit_was_first_applied(
    health_repo, fake_kubeconfig, agents, cli, monkeypatch
):
    monkeypatch.delenv("PROMOTE_NOW")  # the inventory records the real clock
    repo = promote_repo(health_repo, fake_kubeconfig, "- soak: {duration: 1h, from: healthy}")
    assert cli(repo, "reconcile", "qa").exit_code == 0
    first = agents.get_object("v1", "ConfigMap", "promote-inventory-qa", "default")["data"]
    assert cli(repo, "reconcile", "qa").exit_code == 0
    again = agents.get_object("v1", "ConfigMap", "promote-inventory-qa", "default")["data"]
    assert again["appliedAt"] == first["appliedAt"]
    result = cli(repo, "check", "qa", "prod", "--output", "json")
    assert result.exit_code == 3
    soak = verdicts(result)["soak"]
    assert soak["outcome"] == "pending"
    assert "healthy in qa < 1h (promote inventory default/promote-inventory-qa" in soak["reason"]
