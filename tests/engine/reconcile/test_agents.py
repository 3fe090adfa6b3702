"""How Flux and Argo CD objects are read (engine.reconcile.agents), on objects written the way
their controllers write them."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from promote.engine.reconcile.agents import (
    argocd_observation,
    flux_observation,
    revision_commit,
)
from tests.fake_k8s.agents import argocd_status, flux_status, kustomization

SHA = "0a1b2c3d4e5f60718293a4b5c6d7e8f901234567"
AT = "2026-03-04T09:42:00Z"


def ready() -> dict:
    return flux_status("True", "ReconciliationSucceeded", f"main@sha1:{SHA}", AT)


def flux(status, **spec):
    obj = kustomization("apps")
    obj["metadata"]["generation"] = 1
    obj["spec"].update(spec)
    obj["status"] = status
    return flux_observation("Kustomization flux-system/apps", obj)


@pytest.mark.parametrize(
    ("revision", "commit"),
    [
        (f"main@sha1:{SHA}", SHA),
        (SHA, SHA),
        (f"main/{SHA}", SHA),  # Flux before v2.0
        ("1.4.0+0a1b2c3d4e5f", "0a1b2c3d4e5f"),  # HelmRelease with reconcileStrategy: Revision
        ("1.4.0", None),
        ("", None),
        (None, None),
    ],
)
def test_the_commit_a_revision_names(revision, commit):
    assert revision_commit(revision) == commit


def test_ready_true_is_healthy_since_its_transition():
    seen = flux(
        flux_status("True", "ReconciliationSucceeded", f"main@sha1:{SHA}", "2026-03-04T09:42:00Z")
    )
    assert (seen.healthy, seen.failed) == (True, False)
    assert seen.since == datetime(2026, 3, 4, 9, 42, tzinfo=UTC)
    assert seen.message == "Ready=True: ReconciliationSucceeded"


def test_dependency_not_ready_waits_rather_than_fails():
    seen = flux(flux_status("False", "DependencyNotReady", None, "2026-03-04T09:42:00Z"))
    assert (seen.healthy, seen.failed) == (False, False)


def test_stalled_is_a_failure_even_while_ready_is_unknown():
    status = flux_status("Unknown", "Progressing", f"main@sha1:{SHA}", "2026-03-04T09:42:00Z")
    status["conditions"].append({"type": "Stalled", "status": "True", "reason": "BuildFailed"})
    assert flux(status).failed


def test_a_generation_flux_has_not_observed_is_not_healthy_yet():
    status = flux_status(
        "True", "ReconciliationSucceeded", f"main@sha1:{SHA}", "2026-03-04T09:42:00Z"
    )
    obj = kustomization("apps")
    obj["metadata"]["generation"] = 2
    obj["status"] = status
    seen = flux_observation("Kustomization flux-system/apps", obj)
    assert not seen.healthy
    assert seen.message == "has not observed generation 2 yet"


def test_a_suspended_kustomization_is_not_healthy():
    status = flux_status(
        "True", "ReconciliationSucceeded", f"main@sha1:{SHA}", "2026-03-04T09:42:00Z"
    )
    seen = flux(status, suspend=True)
    assert (seen.healthy, seen.message) == (False, "suspended")


def test_argocd_counts_from_the_deployment_of_the_revision():
    status = argocd_status(
        "Healthy", "Synced", SHA, "2026-03-04T09:59:00Z", deployed_at="2026-03-04T09:10:00Z"
    )
    status["health"]["lastTransitionTime"] = "2026-03-04T09:05:00Z"  # healthy before the deploy
    seen = argocd_observation("Application argocd/shop", {"status": status})
    assert seen.healthy
    assert seen.since == datetime(2026, 3, 4, 9, 10, tzinfo=UTC)


def test_argocd_counts_from_a_later_health_transition():
    status = argocd_status(
        "Healthy", "Synced", SHA, "2026-03-04T09:59:00Z", deployed_at="2026-03-04T09:10:00Z"
    )
    status["health"]["lastTransitionTime"] = "2026-03-04T09:30:00Z"  # recovered after the deploy
    seen = argocd_observation("Application argocd/shop", {"status": status})
    assert seen.since == datetime(2026, 3, 4, 9, 30, tzinfo=UTC)


def test_a_failed_argocd_sync_is_a_failure_with_its_message():
    status = argocd_status(
        "Progressing",
        "OutOfSync",
        SHA,
        "2026-03-04T09:59:00Z",
        message="one or more objects failed to apply: admission webhook denied",
        phase="Failed",
    )
    seen = argocd_observation("Application argocd/shop", {"status": status})
    assert (seen.healthy, seen.failed) == (False, True)
    assert seen.message == "health=Progressing sync=OutOfSync operation=Failed"
    assert seen.detail == "one or more objects failed to apply: admission webhook denied"
    assert seen.attempted == SHA
