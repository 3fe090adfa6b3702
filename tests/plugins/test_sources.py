"""Each built-in source: what it finds, and that rewriting touches only the version's characters."""

from __future__ import annotations

from pathlib import Path, PurePosixPath

import pytest

from promote.engine.model import ArtifactRef
from promote.engine.plugins import load_plugins
from promote.engine.promotion.planner import apply_edits
from promote.engine.versions.state import read_pins
from promote.engine.yamlfiles.envfiles import EnvFiles
from tests.helpers import write_tree


@pytest.fixture(scope="module")
def plugins():
    return load_plugins(autoload=False)


def pins_in(plugins, root: Path, files: dict[str, str]):
    write_tree(root, files)
    env_files = EnvFiles.read(root, PurePosixPath("env"))
    return env_files, read_pins(plugins, env_files)


def rewrite(env_files: EnvFiles, pins, version: str) -> dict[str, str]:
    edits = [edit for pin in pins for edit in pin.rewrite(version)]
    texts = {f.path: f.text for f in env_files.files}
    return {str(path): text for path, text in apply_edits(texts, edits).items()}


KUSTOMIZATION = """
# overlay for prod
resources:
  - ../base   # shared
images:
  - name: ghcr.io/acme/web
    newTag: "1.2.3"   # keep quoted
  - name: api
    newName: registry.local/acme/api
    newTag: 2.0.0
    digest: sha256:aaaa
"""


def test_kustomize_images_entries_are_keyed_by_the_image_they_produce(plugins, tmp_path):
    _, pins = pins_in(plugins, tmp_path, {"env/kustomization.yaml": KUSTOMIZATION})
    found = {(p.ref.name, p.version) for p in pins}
    assert found == {
        ("ghcr.io/acme/web", "1.2.3"),
        ("registry.local/acme/api", "2.0.0@sha256:aaaa"),
    }


def test_kustomize_new_tag_keeps_quotes_and_comments(plugins, tmp_path):
    files, pins = pins_in(plugins, tmp_path, {"env/kustomization.yaml": KUSTOMIZATION})
    web = [p for p in pins if p.ref.name == "ghcr.io/acme/web"]
    new = rewrite(files, web, "1.10")["env/kustomization.yaml"]
    original = (tmp_path / "env/kustomization.yaml").read_text()
    assert new == original.replace('newTag: "1.2.3"', 'newTag: "1.10"')


def test_kustomize_digest_is_dropped_or_added_with_the_version(plugins, tmp_path):
    files, pins = pins_in(plugins, tmp_path, {"env/kustomization.yaml": KUSTOMIZATION})
    api = [p for p in pins if p.ref.name == "registry.local/acme/api"]
    original = (tmp_path / "env/kustomization.yaml").read_text()
    tag_only = rewrite(files, api, "2.1.0")["env/kustomization.yaml"]
    assert tag_only == original.replace("newTag: 2.0.0", "newTag: 2.1.0").replace(
        "    digest: sha256:aaaa\n", ""
    )
    web = [p for p in pins if p.ref.name == "ghcr.io/acme/web"]
    with_digest = rewrite(files, web, "1.3.0@sha256:bbbb")["env/kustomization.yaml"]
    assert with_digest == original.replace(
        'newTag: "1.2.3"   # keep quoted\n',
        'newTag: "1.3.0"   # keep quoted\n    digest: sha256:bbbb\n',
    )


DEPLOYMENT = """
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  template:
    spec:
      initContainers:
      - name: migrate
        image: 'ghcr.io/acme/web:1.0.0'   # same image, also promoted
      containers:
      - name: web
        image: ghcr.io/acme/web:1.0.0
      - name: proxy
        image: localhost:5000/envoy@sha256:cccc
---
apiVersion: batch/v1
kind: CronJob
metadata: {name: report}
spec:
  jobTemplate:
    spec:
      template:
        spec:
          containers: [{name: r, image: "ghcr.io/acme/report"}]
"""


def test_container_images_in_any_pod_template(plugins, tmp_path):
    _, pins = pins_in(plugins, tmp_path, {"env/app.yaml": DEPLOYMENT})
    found = sorted((p.ref.name, p.version, p.line) for p in pins)
    assert found == [
        ("ghcr.io/acme/report", "latest", 24),
        ("ghcr.io/acme/web", "1.0.0", 9),
        ("ghcr.io/acme/web", "1.0.0", 12),
        ("localhost:5000/envoy", "sha256:cccc", 14),
    ]


def test_container_image_rewrite_keeps_registry_port_and_style(plugins, tmp_path):
    files, pins = pins_in(plugins, tmp_path, {"env/app.yaml": DEPLOYMENT})
    original = (tmp_path / "env/app.yaml").read_text()
    web = [p for p in pins if p.ref.name == "ghcr.io/acme/web"]
    assert rewrite(files, web, "1.1.0")["env/app.yaml"] == original.replace(
        "ghcr.io/acme/web:1.0.0", "ghcr.io/acme/web:1.1.0"
    )
    envoy = [p for p in pins if p.ref.name == "localhost:5000/envoy"]
    assert rewrite(files, envoy, "v2@sha256:dddd")["env/app.yaml"] == original.replace(
        "envoy@sha256:cccc", "envoy:v2@sha256:dddd"
    )
    report = [p for p in pins if p.ref.name == "ghcr.io/acme/report"]
    assert rewrite(files, report, "3.0")["env/app.yaml"] == original.replace(
        '"ghcr.io/acme/report"', '"ghcr.io/acme/report:3.0"'
    )


FLUX = """
apiVersion: helm.toolkit.fluxcd.io/v2
kind: HelmRelease
metadata: {name: podinfo, namespace: apps}
spec:
  chart:
    spec:
      chart: podinfo
      version: 6.5.*  # semver range
---
apiVersion: source.toolkit.fluxcd.io/v1beta2
kind: OCIRepository
metadata: {name: manifests}
spec:
  ref: {tag: v1.2.0}
---
apiVersion: source.toolkit.fluxcd.io/v1
kind: GitRepository
metadata: {name: config}
spec:
  ref:
    branch: main
    commit: 0123abcd
"""


def test_flux_objects(plugins, tmp_path):
    _, pins = pins_in(plugins, tmp_path, {"env/flux.yaml": FLUX})
    assert sorted((p.ref.kind, p.ref.name, p.version) for p in pins) == [
        ("chart", "helmrelease/podinfo/podinfo", "6.5.*"),
        ("git", "gitrepository/config", "commit 0123abcd"),
        ("oci", "ocirepository/manifests", "tag v1.2.0"),
    ]


def test_flux_patch_without_chart_name_matches_any_chart(plugins, tmp_path):
    patch = "apiVersion: helm.toolkit.fluxcd.io/v2\nkind: HelmRelease\nmetadata:\n  name: podinfo\n"
    patch += "spec:\n  chart:\n    spec:\n      version: '6.6.0'\n"
    files, pins = pins_in(plugins, tmp_path, {"env/patch.yaml": patch})
    assert [p.ref for p in pins] == [ArtifactRef("chart", "helmrelease/podinfo/*")]
    assert rewrite(files, pins, "6.7.0")["env/patch.yaml"] == patch.replace("6.6.0", "6.7.0")


ARGO = """
apiVersion: argoproj.io/v1alpha1
kind: Application
metadata: {name: shop}
spec:
  sources:
    - repoURL: https://charts.example.com
      chart: redis
      targetRevision: 18.1.0
    - repoURL: https://github.com/acme/shop.git
      targetRevision: "v1.4.0"
      path: deploy
"""


def test_argocd_application_sources(plugins, tmp_path):
    files, pins = pins_in(plugins, tmp_path, {"env/app.yaml": ARGO})
    assert sorted((p.ref.kind, p.ref.name, p.version) for p in pins) == [
        ("chart", "application/shop/redis", "18.1.0"),
        ("git", "application/shop/deploy", "v1.4.0"),
    ]
    git_pin = [p for p in pins if p.ref.kind == "git"]
    assert rewrite(files, git_pin, "v1.5.0")["env/app.yaml"] == ARGO.lstrip("\n").replace(
        '"v1.4.0"', '"v1.5.0"'
    )


MARKERS = """
settings:
  release: 2026.11.1 # {"$promote": "release"}
  list:
    - 'a-1' # {"$promote": "item"}
  other: 5 # just a comment
"""


def test_markers_on_mapping_values_and_sequence_items(plugins, tmp_path):
    files, pins = pins_in(plugins, tmp_path, {"env/values.yaml": MARKERS})
    assert sorted((p.ref.name, p.version) for p in pins) == [
        ("item", "a-1"),
        ("release", "2026.11.1"),
    ]
    item = [p for p in pins if p.ref.name == "item"]
    assert rewrite(files, item, "b-2")["env/values.yaml"] == MARKERS.lstrip("\n").replace(
        "'a-1'", "'b-2'"
    )


INLINE = """
resources: [../base]
patches:
  - target:
      kind: HelmRelease
      name: podinfo
    patch: |-
      - op: replace
        path: /spec/chart/spec/version
        value: "6.5.0"   # chart of this environment
  - patch: |
      apiVersion: apps/v1
      kind: Deployment
      metadata:
        name: web
      spec:
        template:
          spec:
            containers:
              - name: web
                image: ghcr.io/acme/web:1.2.0  # pinned
  - target: {kind: Deployment, name: api}
    patch: |
      [{"op": "replace", "path": "/spec/template/spec/containers/0/image",
        "value": "ghcr.io/acme/api:3.0.0"}]
"""


def test_inline_patches_in_a_kustomization_are_pins(plugins, tmp_path):
    files, pins = pins_in(plugins, tmp_path, {"env/kustomization.yaml": INLINE})
    found = sorted((p.ref.kind, p.ref.name, p.version, p.line) for p in pins)
    assert found == [
        ("chart", "helmrelease/podinfo/*", "6.5.0", 9),
        ("image", "ghcr.io/acme/api", "3.0.0", 24),
        ("image", "ghcr.io/acme/web", "1.2.0", 20),
    ]
    original = (tmp_path / "env/kustomization.yaml").read_text()
    by_name = {p.ref.name: p for p in pins}
    chart = rewrite(files, [by_name["helmrelease/podinfo/*"]], "6.6.0")["env/kustomization.yaml"]
    assert chart == original.replace('value: "6.5.0"', 'value: "6.6.0"')
    web = rewrite(files, [by_name["ghcr.io/acme/web"]], "1.3.0")["env/kustomization.yaml"]
    assert web == original.replace("web:1.2.0", "web:1.3.0")
    api = rewrite(files, [by_name["ghcr.io/acme/api"]], "3.1.0")["env/kustomization.yaml"]
    assert api == original.replace("api:3.0.0", "api:3.1.0")
