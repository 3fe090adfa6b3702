"""`promote SRC DST` output: a downgrade is marked in the plan table and in the plan JSON."""

from __future__ import annotations

import pytest

DEPLOYMENT = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: shop
spec:
  template:
    spec:
      containers:
        - name: web
          image: ghcr.io/acme/web:{web}
        - name: api
          image: ghcr.io/acme/api:{api}
        - name: worker
          image: ghcr.io/acme/worker:{worker}
        - name: cart
          image: ghcr.io/acme/cart:{cart}
"""
GRAPH = "environments:\n  qa: {path: apps/qa}\n  prod: {path: apps/prod, from: [qa]}\n"
PROD = {"web": "3.0", "api": "v1.2.0", "worker": "latest", "cart": "1.0.0"}
QA = {"web": "2.0", "api": "v1.10.0", "worker": "stable", "cart": "1.0.0-rc.1"}
# By SemVer 2.0 precedence: 3.0 → 2.0 is lower, v1.2.0 → v1.10.0 higher (not by string order),
# latest → stable cannot be told, and a release → its own pre-release is lower.
EXPECTED = {"web": True, "api": False, "worker": None, "cart": True}


@pytest.fixture
def repo(make_repo):
    return make_repo(
        {
            "environments/graph.yaml": GRAPH,
            "apps/qa/shop.yaml": DEPLOYMENT.format(**QA),
            "apps/prod/shop.yaml": DEPLOYMENT.format(**PROD),
        }
    )


def test_plan_json_says_which_changes_are_downgrades(repo, cli):
    result = cli(repo, "qa", "prod", "--dry-run", "--output", "json")
    assert result.exit_code == 0, result.stderr
    changes = result.json()["hops"][0]["changes"]
    found = {c["name"].rpartition("/")[2]: (c["old"], c["new"], c["downgrade"]) for c in changes}
    assert found == {name: (PROD[name], QA[name], EXPECTED[name]) for name in PROD}


def test_plan_table_marks_downgrades(repo, cli):
    result = cli(repo, "qa", "prod", "--dry-run")
    assert result.exit_code == 0, result.stderr
    rows = {
        name: line
        for line in result.stdout.splitlines()
        for name in PROD
        if f"ghcr.io/acme/{name} " in line
    }
    assert set(rows) == set(PROD)
    for name, downgrade in EXPECTED.items():
        assert ("↓" in rows[name]) is bool(downgrade), rows[name]
    assert "↓ downgrade" in result.stdout
