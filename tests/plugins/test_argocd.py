"""Argo CD multi-source Applications end to end: each source is promoted to its own revision.

Results are read with plain `git` and the real `kubectl kustomize`, never with our own code.
"""

from __future__ import annotations

import textwrap

from tests.helpers import commit_count, git, kustomize_build

GRAPH = "environments:\n  qa: {path: apps/qa}\n  prod: {path: apps/prod, from: [qa]}\n"

# One Application per environment (app of apps): a chart kept in Git and its values, both on the
# same repoURL, at their own revisions; the values source is referenced as `$values`.
GUESTBOOK = """
    apiVersion: argoproj.io/v1alpha1
    kind: Application
    metadata:
      name: guestbook
      namespace: argocd
    spec:
      project: default
      sources:
        - repoURL: https://github.com/acme/platform.git
          path: charts/guestbook
          targetRevision: {chart}  # chart code
          helm:
            valueFiles:
              - $values/envs/{env}/values.yaml
        - repoURL: https://github.com/acme/platform.git
          targetRevision: "{values}"
          ref: values
      destination:
        server: https://kubernetes.default.svc
        namespace: guestbook
"""
QA = {"env": "qa", "chart": "4f6c1d2e9a0b7c3d5e8f1a2b3c4d5e6f7a8b9c0d", "values": "v2024.06.1"}
PROD = {"env": "prod", "chart": "0a1b2c3d4e5f60718293a4b5c6d7e8f901234567", "values": "v2024.05.3"}


def app_file(versions: dict[str, str]) -> str:
    return textwrap.dedent(GUESTBOOK.format(**versions)).lstrip("\n")


def test_chart_and_values_sources_on_one_repo_each_get_their_own_revision(make_repo, cli):
    repo = make_repo(
        {
            "environments/graph.yaml": GRAPH,
            "apps/qa/guestbook.yaml": app_file(QA),
            "apps/prod/guestbook.yaml": app_file(PROD),
        }
    )
    result = cli(repo, "qa", "prod", "--yes")

    assert result.exit_code == 0, result.stderr
    expected = app_file({**QA, "env": "prod"})  # prod keeps its own value file path
    assert git(repo, "show", "HEAD:apps/prod/guestbook.yaml") == expected
    changed = git(repo, "diff", "--name-only", "HEAD~1", "HEAD").split()
    assert changed == ["apps/prod/guestbook.yaml"]
    assert "application/guestbook/values" in result.stdout


BASE_APP = """
apiVersion: argoproj.io/v1alpha1
kind: Application
metadata: {name: guestbook, namespace: argocd}
spec:
  project: default
  sources:
    - repoURL: https://github.com/acme/platform.git
      path: charts/guestbook
      targetRevision: main
      helm:
        valueFiles: [$values/envs/default/values.yaml]
    - repoURL: https://github.com/acme/platform.git
      targetRevision: main
      ref: values
  destination: {server: https://kubernetes.default.svc, namespace: guestbook}
"""
# Overlays pin each source by position, as JSON 6902 patches must.
OVERLAY = """
resources: [../../base]
patches:
  - target: {{kind: Application, name: guestbook}}
    patch: |-
      - op: replace
        path: /spec/sources/0/targetRevision
        value: {chart}
      - op: replace
        path: /spec/sources/1/targetRevision
        value: {values}
"""


def revisions(path) -> list[str]:
    (app,) = [o for o in kustomize_build(path) if o["kind"] == "Application"]
    return [source["targetRevision"] for source in app["spec"]["sources"]]


def test_json6902_patches_of_sources_by_position_are_promoted_each_to_its_own(make_repo, cli):
    repo = make_repo(
        {
            "environments/graph.yaml": GRAPH,
            "base/kustomization.yaml": "resources: [guestbook.yaml]\n",
            "base/guestbook.yaml": BASE_APP,
            "apps/qa/kustomization.yaml": OVERLAY.format(**QA),
            "apps/prod/kustomization.yaml": OVERLAY.format(**PROD),
        }
    )
    qa_revisions = revisions(repo / "apps/qa")
    assert revisions(repo / "apps/prod") != qa_revisions

    result = cli(repo, "qa", "prod", "--yes")

    assert result.exit_code == 0, result.stderr
    assert revisions(repo / "apps/prod") == qa_revisions
    assert git(repo, "show", "HEAD:apps/prod/kustomization.yaml") == OVERLAY.format(**QA).lstrip(
        "\n"
    )


def test_two_sources_with_one_key_are_refused_naming_both(make_repo, cli):
    twins = """
        apiVersion: argoproj.io/v1alpha1
        kind: Application
        metadata: {{name: shop, namespace: argocd}}
        spec:
          sources:
            - repoURL: https://github.com/acme/shop.git
              path: deploy
              targetRevision: {first}
            - repoURL: https://github.com/acme/shop-extras.git
              path: deploy
              targetRevision: {second}
    """
    repo = make_repo(
        {
            "environments/graph.yaml": GRAPH,
            "apps/qa/shop.yaml": twins.format(first="v2.0.0", second="v9.0.0"),
            "apps/prod/shop.yaml": twins.format(first="v1.0.0", second="v8.0.0"),
        }
    )
    before = commit_count(repo)

    result = cli(repo, "qa", "prod", "--yes")

    assert result.exit_code == 2
    assert "sources[0] (repoURL https://github.com/acme/shop.git" in result.stderr
    assert "sources[1] (repoURL https://github.com/acme/shop-extras.git" in result.stderr
    assert commit_count(repo) == before
    assert git(repo, "status", "--porcelain") == ""


def test_a_patch_whose_sources_cannot_be_named_is_refused(make_repo, cli):
    # A strategic-merge patch replaces the whole `sources` list: entries that carry only a
    # revision cannot be matched to the base's sources, and are not guessed at by position.
    patch = """
        apiVersion: argoproj.io/v1alpha1
        kind: Application
        metadata: {{name: guestbook, namespace: argocd}}
        spec:
          sources:
            - targetRevision: {chart}
            - targetRevision: {values}
    """
    overlay = "resources: [../../base]\npatches:\n  - path: revisions.yaml\n"
    repo = make_repo(
        {
            "environments/graph.yaml": GRAPH,
            "base/kustomization.yaml": "resources: [guestbook.yaml]\n",
            "base/guestbook.yaml": BASE_APP,
            "apps/qa/kustomization.yaml": overlay,
            "apps/qa/revisions.yaml": patch.format(**QA),
            "apps/prod/kustomization.yaml": overlay,
            "apps/prod/revisions.yaml": patch.format(**PROD),
        }
    )
    before = commit_count(repo)

    result = cli(repo, "qa", "prod", "--yes")

    assert result.exit_code == 2
    assert "apps/prod/revisions.yaml" in result.stderr or "apps/qa/revisions.yaml" in result.stderr
    assert f"sources[0] (targetRevision {QA['chart']})" in result.stderr
    assert commit_count(repo) == before
    assert git(repo, "status", "--porcelain") == ""


def test_a_patch_file_that_restates_the_sources_is_promoted_entry_by_entry(make_repo, cli):
    # A strategic-merge patch replaces the whole list, so overlays restate every entry.
    patch = """
        apiVersion: argoproj.io/v1alpha1
        kind: Application
        metadata: {{name: guestbook, namespace: argocd}}
        spec:
          sources:
            - repoURL: https://github.com/acme/platform.git
              path: charts/guestbook
              targetRevision: {chart}
              helm:
                valueFiles: [$values/envs/{env}/values.yaml]
            - repoURL: https://github.com/acme/platform.git
              targetRevision: {values}
              ref: values
    """
    overlay = "resources: [../../base]\npatches:\n  - path: guestbook-sources.yaml\n"
    repo = make_repo(
        {
            "environments/graph.yaml": GRAPH,
            "base/kustomization.yaml": "resources: [guestbook.yaml]\n",
            "base/guestbook.yaml": BASE_APP,
            "apps/qa/kustomization.yaml": overlay,
            "apps/qa/guestbook-sources.yaml": patch.format(**QA),
            "apps/prod/kustomization.yaml": overlay,
            "apps/prod/guestbook-sources.yaml": patch.format(**PROD),
        }
    )
    qa_revisions = revisions(repo / "apps/qa")

    result = cli(repo, "qa", "prod", "--yes")

    assert result.exit_code == 0, result.stderr
    assert revisions(repo / "apps/prod") == qa_revisions
    (app,) = [o for o in kustomize_build(repo / "apps/prod") if o["kind"] == "Application"]
    assert app["spec"]["sources"][0]["helm"]["valueFiles"] == ["$values/envs/prod/values.yaml"]
