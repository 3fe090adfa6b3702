"""Helm values files per environment: their image blocks and markers are promoted.

Results are read with plain `git` and the real `kubectl kustomize` (PyYAML), never with our code.
"""

from __future__ import annotations

import textwrap

import pytest
import yaml

from tests.helpers import commit_count, git, kustomize_build

GRAPH = "environments:\n  qa: {path: envs/qa}\n  prod: {path: envs/prod, from: [qa]}\n"

# What an Argo CD Application's `helm.valueFiles: [$values/envs/prod/values.yaml]` points to.
SHOP_VALUES = """
    # shop chart, {env}
    replicaCount: 2
    frontend:
      image:
        repository: acme/shop-frontend
        tag: "{frontend}"   # bumped by promote
        pullPolicy: IfNotPresent
    worker:
      enabled: true
      image:
        registry: ghcr.io
        repository: acme/shop-worker
        tag: {worker}
    redis:
      image: {{registry: docker.io, repository: bitnami/redis, tag: 7.2.4}}
"""


def values(env: str, **versions: str) -> str:
    return textwrap.dedent(SHOP_VALUES.format(env=env, **versions)).lstrip("\n")


def test_nested_image_blocks_of_values_files_are_promoted(make_repo, cli):
    qa = {"frontend": "1.10", "worker": "2.4.0"}
    prod = {"frontend": "1.9", "worker": "2.3.1"}
    repo = make_repo(
        {
            "environments/graph.yaml": GRAPH,
            "envs/qa/values.yaml": values("qa", **qa),
            "envs/prod/values.yaml": values("prod", **prod),
        }
    )
    result = cli(repo, "qa", "prod", "--yes")

    assert result.exit_code == 0, result.stderr
    assert git(repo, "show", "HEAD:envs/prod/values.yaml") == values("prod", **qa)
    assert "ghcr.io/acme/shop-worker" in result.stdout
    assert git(repo, "diff", "--name-only", "HEAD~1", "HEAD").split() == ["envs/prod/values.yaml"]


BITNAMI = """
    image:
      registry: docker.io
      repository: bitnami/redis
      tag: {tag}
      digest: {digest}
"""
DIGEST_A = "sha256:" + "a" * 64
DIGEST_B = "sha256:" + "b" * 64


@pytest.mark.parametrize(
    ("src", "dst", "expected"),
    [
        # SRC pins a digest too: DST's empty digest gets it, in DST's quotes.
        (
            {"tag": "7.2.5", "digest": DIGEST_A},
            {"tag": "7.2.4", "digest": '""'},
            {"tag": "7.2.5", "digest": f'"{DIGEST_A}"'},
        ),
        # SRC pins a tag only: DST's digest is emptied, as charts read "unset".
        (
            {"tag": "7.2.5", "digest": '""'},
            {"tag": "7.2.4", "digest": DIGEST_B},
            {"tag": "7.2.5", "digest": '""'},
        ),
        # Same tag, another digest: only the digest moves.
        (
            {"tag": "7.2.4", "digest": DIGEST_A},
            {"tag": "7.2.4", "digest": DIGEST_B},
            {"tag": "7.2.4", "digest": DIGEST_A},
        ),
    ],
)
def test_registry_and_digest_variants(make_repo, cli, src, dst, expected):
    def text(fields):
        return textwrap.dedent(BITNAMI.format(**fields)).lstrip("\n")

    repo = make_repo(
        {
            "environments/graph.yaml": GRAPH,
            "envs/qa/values-qa.yaml": text(src),
            "envs/prod/values-prod.yaml": text(dst),
        }
    )
    result = cli(repo, "qa", "prod", "--yes")

    assert result.exit_code == 0, result.stderr
    assert git(repo, "show", "HEAD:envs/prod/values-prod.yaml") == text(expected)


def test_a_digest_is_added_to_a_block_that_has_none(make_repo, cli):
    block = "image:\n  repository: ghcr.io/acme/api\n  tag: {tag}\n"
    repo = make_repo(
        {
            "environments/graph.yaml": GRAPH,
            "envs/qa/values.yaml": block.format(tag="3.1.0") + f"  digest: {DIGEST_A}\n",
            "envs/prod/values.yaml": block.format(tag="3.0.0") + "resources: {}\n",
        }
    )
    assert cli(repo, "qa", "prod", "--yes").exit_code == 0
    loaded = yaml.safe_load(git(repo, "show", "HEAD:envs/prod/values.yaml"))
    assert loaded == {
        "image": {"repository": "ghcr.io/acme/api", "tag": "3.1.0", "digest": DIGEST_A},
        "resources": {},
    }


def test_a_marker_in_a_values_file_is_promoted(make_repo, cli):
    marked = 'global:\n  release: "{release}" # {{"$promote": "shop-release"}}\n'
    repo = make_repo(
        {
            "environments/graph.yaml": GRAPH,
            "envs/qa/values.yaml": marked.format(release="2024.06.1"),
            "envs/prod/values.yaml": marked.format(release="2024.05.3"),
        }
    )
    result = cli(repo, "qa", "prod", "--yes")

    assert result.exit_code == 0, result.stderr
    assert git(repo, "show", "HEAD:envs/prod/values.yaml") == marked.format(release="2024.06.1")


def test_a_malformed_manifest_beside_values_files_is_still_an_error(make_repo, cli):
    repo = make_repo(
        {
            "environments/graph.yaml": GRAPH,
            "envs/qa/values.yaml": "image: {repository: acme/web, tag: 1.1.0}\n",
            "envs/prod/values.yaml": "image: {repository: acme/web, tag: 1.0.0}\n",
            "envs/prod/service.yaml": "kind: Service\nmetadata: {name: web}\n",
        }
    )
    before = commit_count(repo)
    result = cli(repo, "qa", "prod", "--yes")
    assert result.exit_code == 2
    assert "envs/prod/service.yaml" in result.stderr
    assert commit_count(repo) == before


# Flux: a HelmRelease takes its values from a ConfigMap that kustomize generates from the
# environment's values file (the layout of Flux's helm examples).
RELEASE = """
apiVersion: helm.toolkit.fluxcd.io/v2
kind: HelmRelease
metadata: {name: podinfo}
spec:
  interval: 10m
  chart:
    spec:
      chart: podinfo
      version: 6.5.4
      sourceRef: {kind: HelmRepository, name: podinfo}
  valuesFrom:
    - kind: ConfigMap
      name: podinfo-values
"""
NAME_REFERENCE = """
nameReference:
  - kind: ConfigMap
    version: v1
    fieldSpecs:
      - path: spec/valuesFrom/name
        kind: HelmRelease
"""
OVERLAY = """
apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
namespace: podinfo
resources:
  - ../../base/podinfo
configMapGenerator:
  - name: podinfo-values
    files:
      - values.yaml=values-{env}.yaml
configurations:
  - kustomizeconfig.yaml
"""
PODINFO_VALUES = "replicaCount: 2\nimage:\n  repository: ghcr.io/acme/podinfo\n  tag: {tag}\n"


def generated_values(path) -> dict:
    (config_map,) = [o for o in kustomize_build(path) if o["kind"] == "ConfigMap"]
    return yaml.safe_load(config_map["data"]["values.yaml"])


def test_values_file_behind_a_generated_config_map_is_promoted(make_repo, cli):
    repo = make_repo(
        {
            "environments/graph.yaml": GRAPH,
            "base/podinfo/kustomization.yaml": "resources: [release.yaml]\n",
            "base/podinfo/release.yaml": RELEASE,
            "envs/qa/kustomization.yaml": OVERLAY.format(env="qa"),
            "envs/qa/kustomizeconfig.yaml": NAME_REFERENCE,
            "envs/qa/values-qa.yaml": PODINFO_VALUES.format(tag="6.7.1"),
            "envs/prod/kustomization.yaml": OVERLAY.format(env="prod"),
            "envs/prod/kustomizeconfig.yaml": NAME_REFERENCE,
            "envs/prod/values-prod.yaml": PODINFO_VALUES.format(tag="6.6.0"),
        }
    )
    qa_values = generated_values(repo / "envs/qa")
    assert generated_values(repo / "envs/prod") != qa_values

    result = cli(repo, "qa", "prod", "--yes")

    assert result.exit_code == 0, result.stderr
    assert generated_values(repo / "envs/prod") == qa_values
    changed = git(repo, "diff", "--name-only", "HEAD~1", "HEAD").split()
    assert changed == ["envs/prod/values-prod.yaml"]


def test_every_block_of_one_image_follows_when_one_of_them_lags(make_repo, cli):
    two_roles = "web:\n  image: {{repository: acme/shop, tag: {web}}}\n"
    two_roles += "jobs:\n  image: {{repository: acme/shop, tag: {jobs}}}\n"
    repo = make_repo(
        {
            "environments/graph.yaml": GRAPH,
            "envs/qa/values.yaml": two_roles.format(web="2.0.0", jobs="2.0.0"),
            "envs/prod/values.yaml": two_roles.format(web="2.0.0", jobs="1.9.0"),
        }
    )
    result = cli(repo, "qa", "prod", "--yes")

    assert result.exit_code == 0, result.stderr
    assert git(repo, "show", "HEAD:envs/prod/values.yaml") == two_roles.format(
        web="2.0.0", jobs="2.0.0"
    )


def test_a_digest_that_a_flow_block_cannot_take_is_refused(make_repo, cli):
    block = "image: {{repository: ghcr.io/acme/api, tag: 3.0.0{digest}}}\n"
    repo = make_repo(
        {
            "environments/graph.yaml": GRAPH,
            "envs/qa/values.yaml": block.format(digest=f", digest: {DIGEST_A}"),
            "envs/prod/values.yaml": block.format(digest=""),
        }
    )
    before = commit_count(repo)
    result = cli(repo, "qa", "prod", "--yes")
    assert result.exit_code == 2
    assert "envs/prod/values.yaml:1" in result.stderr and "flow style" in result.stderr
    assert commit_count(repo) == before
    assert git(repo, "status", "--porcelain") == ""
