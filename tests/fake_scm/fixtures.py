"""Pytest plugin: `pr_repo(flavour)` is a repository whose `file://` remote has a fake host."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.helpers import git

from .server import TOKEN, FakeScm

SHOP = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: shop
  namespace: shop
spec:
  replicas: 2
  selector:
    matchLabels: {{app: shop}}
  template:
    metadata:
      labels: {{app: shop}}
    spec:
      containers:
        - name: shop
          image: ghcr.io/acme/shop:{version}
          envFrom:
            - secretRef: {{name: shop-credentials}}
---
apiVersion: v1
kind: Secret
metadata:
  name: shop-credentials
  namespace: shop
  annotations:
    acme.example/release: "{version}" # {{"$promote": "shop-release"}}
stringData:
  DATABASE_PASSWORD: {password}
"""
QA_VERSION, PROD_VERSION = "1.4.0", "1.3.0"
PROD_PASSWORD = "prod-Pa55word-never-shown"
TOKEN_VARIABLES = {"github": "GITHUB_TOKEN", "gitlab": "GITLAB_TOKEN"}


def graph_yaml(flavour: str, api_url: str, gates: str) -> str:
    return f"""\
# The shop's deployments: qa is promoted to prod through reviewed pull requests.
scm:
  provider: {flavour}
  repository: acme/deploy
  api_url: {api_url}
environments:
  qa:
    path: apps/qa
  prod:
    path: apps/prod
    from: [qa]
    gates:
{gates}"""


APPROVAL_GATE = (
    "      - approval: {from: pull_request, required: 1, distinct_from_promoter: true}\n"
)


@dataclass
class PrRepo:
    root: Path
    remote: Path
    scm: FakeScm


@pytest.fixture
def pr_repo(
    make_repo: Callable[..., Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Callable[..., PrRepo]]:
    """A repository on main tracking a bare `file://` remote, with a started fake host and its
    token in the environment; prod's gate takes approvals from pull request reviews."""
    started: list[FakeScm] = []

    def make(flavour: str, gates: str = APPROVAL_GATE, api_url: str | None = None) -> PrRepo:
        remote = tmp_path / "origin.git"
        scm = FakeScm(flavour, remote).start()
        started.append(scm)
        root = make_repo(
            {
                "environments/graph.yaml": graph_yaml(flavour, api_url or scm.api_url, gates),
                "apps/qa/shop.yaml": SHOP.format(version=QA_VERSION, password="qa-Pa55word"),
                "apps/prod/shop.yaml": SHOP.format(version=PROD_VERSION, password=PROD_PASSWORD),
            }
        )
        git(tmp_path, "clone", "--quiet", "--bare", str(root), str(remote))
        git(remote, "config", "receive.denyNonFastForwards", "true")
        git(root, "remote", "add", "origin", remote.as_uri())
        git(root, "fetch", "--quiet", "origin")
        git(root, "branch", "--quiet", "--set-upstream-to=origin/main")
        monkeypatch.setenv(TOKEN_VARIABLES[flavour], TOKEN)
        return PrRepo(root, remote, scm)

    yield make
    for scm in started:
        scm.stop()
