"""`promote rollback ENV`: a forward commit pinning ENV's earlier versions, checked with plain Git
and the real `kubectl kustomize`."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.gated import DEPLOYMENT, commit_at, graph, trailers
from tests.helpers import commit_count, git, kustomize_build

BASE = {
    "apps/base/kustomization.yaml": """\
        apiVersion: kustomize.config.k8s.io/v1beta1
        kind: Kustomization
        resources:
          - deployment.yaml
        """,
    "apps/base/deployment.yaml": """\
        apiVersion: apps/v1
        kind: Deployment
        metadata:
          name: podinfo
        spec:
          template:
            spec:
              containers:
                - name: podinfo
                  image: ghcr.io/stefanprodan/podinfo:6.0.0
                - name: sidecar
                  image: docker.io/library/nginx:1.25.3  # pinned by platform
        """,
}


def overlay(podinfo: str, nginx: str) -> str:
    return f"""\
        apiVersion: kustomize.config.k8s.io/v1beta1
        kind: Kustomization
        namespace: podinfo   # prod namespace
        resources:
          - ../../base
        images:
          - name: ghcr.io/stefanprodan/podinfo
            newTag: "{podinfo}"
          - name: docker.io/library/nginx
            newTag: {nginx}    # keep in step with the CDN
        """


GRAPH = """\
environments:
  staging:
    path: apps/overlays/staging
  production:
    path: apps/overlays/production
    from: [staging]
"""


def images(path: Path) -> dict[str, str]:
    """image name → tag, as the real kustomize renders `path`."""
    found = {}
    for obj in kustomize_build(path):
        for container in obj["spec"]["template"]["spec"]["containers"]:
            name, _, tag = container["image"].rpartition(":")
            found[name] = tag
    return found


@pytest.fixture
def kustomized(make_repo) -> Path:
    """staging moved on twice; production runs the oldest versions."""
    return make_repo(
        {
            **BASE,
            "environments/graph.yaml": GRAPH,
            "apps/overlays/staging/kustomization.yaml": overlay("6.5.1", "1.25.4"),
            "apps/overlays/production/kustomization.yaml": overlay("6.4.0", "1.25.3"),
        }
    )


PROD_FILE = "apps/overlays/production/kustomization.yaml"


def test_rollback_restores_the_versions_before_the_last_promotion_byte_for_byte(kustomized, cli):
    repo = kustomized
    rendered_before = images(repo / "apps/overlays/production")
    assert cli(repo, "staging", "production", "--yes").exit_code == 0
    promoted = git(repo, "rev-parse", "HEAD").strip()
    promotion_id = trailers(repo, "Promote-Id")[0]
    assert images(repo / "apps/overlays/production") != rendered_before

    result = cli(repo, "rollback", "production", "--yes")

    assert result.exit_code == 0, result.stderr
    assert "rolled back" in result.stdout
    assert git(repo, "show", f"HEAD:{PROD_FILE}") == git(repo, "show", f"{promoted}~1:{PROD_FILE}")
    assert (repo / PROD_FILE).read_text() == git(repo, "show", f"{promoted}~1:{PROD_FILE}")
    assert images(repo / "apps/overlays/production") == rendered_before
    assert git(repo, "rev-parse", "HEAD~1").strip() == promoted  # forward, not a reset
    assert trailers(repo, "Promote-Rollback-Of") == [promotion_id]
    assert trailers(repo, "Promote-From") == ["production"]
    assert trailers(repo, "Promote-To") == ["production"]
    before = git(repo, "rev-parse", f"{promoted}~1").strip()
    assert trailers(repo, "Promote-Source-Commit") == [before]
    assert len(trailers(repo, "Promote-Artifact")) == 2
    assert git(repo, "status", "--porcelain") == ""


def test_history_and_status_show_the_rollback(kustomized, cli):
    repo = kustomized
    cli(repo, "staging", "production", "--yes")
    promotion_id = trailers(repo, "Promote-Id")[0]
    cli(repo, "rollback", "production", "--yes")

    status = cli(repo, "status")
    assert "production: rolled back" in status.stdout
    assert f"undoing {promotion_id}" in status.stdout
    assert "production: last promoted from" not in status.stdout
    history = cli(repo, "history", "production", "--output", "json").json()["promotions"]
    assert [p["rollback_of"] for p in history] == [[promotion_id], []]
    assert f"rollback production (undoing {promotion_id})" in cli(repo, "history").stdout


def test_rolling_back_twice_steps_back_two_promotions(gated_repo, cli, now):
    repo = gated_repo()
    assert cli(repo, "qa", "prod", "--yes").exit_code == 0  # prod 1.0.0 → 1.1.0
    first = git(repo, "rev-parse", "HEAD").strip()
    commit_at(repo, now, "qa: web 1.2.0", {"apps/qa/web.yaml": DEPLOYMENT.format(version="1.2.0")})
    assert cli(repo, "qa", "prod", "--yes").exit_code == 0  # prod 1.1.0 → 1.2.0
    second = git(repo, "rev-parse", "HEAD").strip()

    assert cli(repo, "rollback", "prod", "--yes").exit_code == 0
    assert git(repo, "show", "HEAD:apps/prod/web.yaml") == git(
        repo, "show", f"{second}~1:apps/prod/web.yaml"
    )
    assert cli(repo, "rollback", "prod", "--yes").exit_code == 0
    assert git(repo, "show", "HEAD:apps/prod/web.yaml") == git(
        repo, "show", f"{first}~1:apps/prod/web.yaml"
    )
    assert trailers(repo, "Promote-Rollback-Of") == trailers(repo, "Promote-Id", first)

    before = commit_count(repo)
    result = cli(repo, "rollback", "prod", "--yes")
    assert result.exit_code == 2
    assert "nothing to roll back" in result.stderr
    assert commit_count(repo) == before


def test_rollback_to_an_older_promotion(gated_repo, cli, now):
    repo = gated_repo()
    cli(repo, "qa", "prod", "--yes")
    first_id = trailers(repo, "Promote-Id")[0]
    first = git(repo, "rev-parse", "HEAD").strip()
    for version in ("1.2.0", "1.3.0"):
        commit_at(
            repo, now, f"qa: {version}", {"apps/qa/web.yaml": DEPLOYMENT.format(version=version)}
        )
        cli(repo, "qa", "prod", "--yes")
    later = [trailers(repo, "Promote-Id", rev)[0] for rev in ("HEAD", "HEAD~2")]

    result = cli(repo, "rollback", "prod", "--to", first_id, "--yes", "--output", "json")

    assert result.exit_code == 0, result.stderr
    assert result.json()["rollback_of"] == later
    assert git(repo, "show", "HEAD:apps/prod/web.yaml") == git(
        repo, "show", f"{first}:apps/prod/web.yaml"
    )
    assert trailers(repo, "Promote-Rollback-Of") == later


def test_rollback_to_a_commit(gated_repo, cli):
    repo = gated_repo()
    initial = git(repo, "rev-list", "--max-parents=0", "HEAD").strip()
    cli(repo, "qa", "prod", "--yes")
    result = cli(repo, "rollback", "prod", "--to", initial[:10], "--yes")
    assert result.exit_code == 0, result.stderr
    assert git(repo, "show", "HEAD:apps/prod/web.yaml") == git(
        repo, "show", f"{initial}:apps/prod/web.yaml"
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["rollback", "prod", "--to", "20260101T000000Z-abcdef"], "neither the Promote-Id"),
        (["rollback", "prod", "--to", "HEAD"], "nothing to roll back"),
        (["rollback", "nowhere"], "nowhere"),
    ],
)
def test_bad_rollbacks_change_nothing(gated_repo, cli, args, message):
    repo = gated_repo()
    cli(repo, "qa", "prod", "--yes")
    before = git(repo, "rev-parse", "HEAD")
    result = cli(repo, *args, "--yes")
    assert result.exit_code == 2
    assert message in result.stderr
    assert git(repo, "rev-parse", "HEAD") == before
    assert git(repo, "status", "--porcelain") == ""


def test_nothing_to_roll_back_without_a_promotion(gated_repo, cli):
    repo = gated_repo()
    result = cli(repo, "rollback", "prod", "--yes")
    assert result.exit_code == 2
    assert "nothing to roll back: no promotion into prod" in result.stderr


SOAK_AND_WINDOW = """\
- soak: 2h
- window: {deny: ['Mon-Sun']}
"""


def test_rollback_skips_the_gates_it_names_and_no_others(gated_repo, cli):
    repo = gated_repo()
    assert cli(repo, "qa", "prod", "--yes").exit_code == 0  # before prod had gates
    (repo / "environments/graph.yaml").write_text(
        graph(SOAK_AND_WINDOW, extra_prod="rollback_skips: [soak]")
    )
    git(repo, "commit", "-qam", "prod: a soak, a window that is always closed")
    before = commit_count(repo)
    result = cli(repo, "rollback", "prod", "--yes", "--output", "json")
    assert result.exit_code == 3
    assert [g["gate"] for g in result.json()["gates"]] == ["window"]
    assert commit_count(repo) == before

    text = (repo / "environments/graph.yaml").read_text()
    (repo / "environments/graph.yaml").write_text(text.replace("[soak]", "[soak, window]"))
    git(repo, "commit", "-qam", "prod: rollbacks skip the window too")
    result = cli(repo, "rollback", "prod", "--yes", "--output", "json")
    assert result.exit_code == 0, result.stderr
    assert result.json()["gates"] == []
    # a promotion still evaluates both
    assert "soak" in cli(repo, "check", "qa", "prod").stdout


def test_rollback_skips_must_name_the_environments_gates(gated_repo, cli):
    repo = gated_repo("- soak: 1h", extra_prod="rollback_skips: [sok]")
    result = cli(repo, "rollback", "prod")
    assert result.exit_code == 2
    assert "rollback_skips: 'sok' is not one of this environment's gates (soak)" in result.stderr


@pytest.mark.parametrize("name", ["rollback", "freeze", "unfreeze"])
def test_recovery_commands_are_reserved_names(make_repo, cli, name):
    repo = make_repo(
        {
            "environments/graph.yaml": f"environments:\n  {name}:\n    path: apps/x\n",
            "apps/x/web.yaml": DEPLOYMENT.format(version="1.0.0"),
        }
    )
    result = cli(repo, "status")
    assert result.exit_code == 2
    assert f"collides with the command `promote {name}`" in result.stderr
