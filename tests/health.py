"""Repositories whose environments name an agent on the fake API server (health gates, --wait).

Loaded as a pytest plugin by tests/conftest.py. qa runs web 1.1.0 (a hand commit a day before
NOW), prod runs 1.0.0; the test says what qa's and prod's agents are and sets their status.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from tests.fake_k8s import FakeApiServer
from tests.fake_k8s.agents import application, helmrelease, kustomization
from tests.gated import DEPLOYMENT, commit_at
from tests.helpers import git


def stamp(when: datetime) -> str:
    return when.strftime("%Y-%m-%dT%H:%M:%SZ")


@pytest.fixture
def agents(fake_k8s: FakeApiServer) -> FakeApiServer:
    """The fake server with Flux's and Argo CD's kinds served and their namespaces created;
    Kustomizations and Applications `qa` and `prod` exist, with no status yet."""
    fake_k8s.serve_gitops_agents()
    for namespace in ("flux-system", "argocd"):
        fake_k8s.put_object(
            {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": namespace}}
        )
    for name in ("qa", "prod"):
        fake_k8s.put_object(kustomization(name))
        fake_k8s.put_object(helmrelease(name))
        fake_k8s.put_object(application(name))
    return fake_k8s


def health_graph(
    kubeconfig: Path, qa: str, prod: str = "", gates: str = "", verify: str = ""
) -> str:
    """qa → prod; `qa`/`prod`: the YAML of their `agent:` (empty: none)."""
    lines = ["environments:", "  qa:", "    path: apps/qa"]
    cluster = f"    cluster: {{kubeconfig: {kubeconfig}, context: fake}}"
    if qa:
        lines += [cluster, f"    agent: {qa}"]
    lines += ["  prod:", "    path: apps/prod", "    from: [qa]"]
    if prod:
        lines += [cluster, f"    agent: {prod}"]
    for key, entries in (("gates", gates), ("verify", verify)):
        if entries:
            lines.append(f"    {key}:")
            lines += [f"      {line}" for line in entries.strip().splitlines()]
    return "\n".join(lines) + "\n"


@pytest.fixture
def health_repo(
    tmp_path: Path, now: datetime, agents: FakeApiServer, fake_kubeconfig: Path
) -> Callable[..., Path]:
    def make(qa: str = "{kind: flux, kustomization: qa}", **graph: str) -> Path:
        root = tmp_path / "repo"
        root.mkdir()
        git(root, "init", "--quiet", "--initial-branch=main")
        commit_at(
            root,
            now - timedelta(days=30),
            "initial",
            {
                "environments/graph.yaml": health_graph(fake_kubeconfig, qa, **graph),
                "apps/qa/web.yaml": DEPLOYMENT.format(version="1.0.0"),
                "apps/prod/web.yaml": DEPLOYMENT.format(version="1.0.0"),
            },
        )
        commit_at(
            root,
            now - timedelta(days=1),
            "qa: web 1.1.0",
            {"apps/qa/web.yaml": DEPLOYMENT.format(version="1.1.0")},
        )
        return root

    return make
