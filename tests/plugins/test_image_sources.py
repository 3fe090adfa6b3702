"""The image sources key every spelling of an image by its normalised name and write back in the
spelling the file already uses (names normalised by hand, from the reference grammar)."""

from __future__ import annotations

from pathlib import PurePosixPath

import pytest
import yaml

from promote.engine.model import ArtifactRef
from promote.engine.plugins import load_plugins
from promote.engine.promotion.planner import apply_edits
from promote.engine.yamlfiles.envfiles import EnvFiles
from promote.plugins.kustomize_images import KustomizeImages
from tests.plugins.test_sources import pins_in, rewrite

NGINX = ArtifactRef("image", "docker.io/library/nginx")


@pytest.fixture(scope="module")
def plugins():
    return load_plugins(autoload=False)


KUSTOMIZATION = """
resources: [../base]
images:
  - name: nginx
    newTag: "1.24"
  - name: redis
    newName: bitnami/redis
    newTag: 7.2.4
  - name: index.docker.io/library/busybox
    digest: sha256:aaaa
"""

MANIFESTS = """
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  template:
    spec:
      containers:
        - {name: web, image: "nginx:1.24"}
        - {name: cache, image: docker.io/bitnami/redis:7.2.4}
        - {name: api, image: localhost:5000/team/api}
---
apiVersion: v1
kind: Pod
metadata: {name: debug}
spec:
  containers:
    - name: shell
      image: index.docker.io/busybox@sha256:aaaa
"""


def test_kustomize_images_entries_are_keyed_by_the_normalised_image_they_produce(plugins, tmp_path):
    _, pins = pins_in(plugins, tmp_path, {"env/kustomization.yaml": KUSTOMIZATION})
    assert sorted((p.ref.name, p.version) for p in pins) == [
        ("docker.io/bitnami/redis", "7.2.4"),
        ("docker.io/library/busybox", "sha256:aaaa"),
        ("docker.io/library/nginx", "1.24"),
    ]


def test_container_images_are_keyed_like_the_kustomize_entries_that_set_them(plugins, tmp_path):
    _, pins = pins_in(plugins, tmp_path, {"env/app.yaml": MANIFESTS})
    assert sorted((p.ref.name, p.version) for p in pins) == [
        ("docker.io/bitnami/redis", "7.2.4"),
        ("docker.io/library/busybox", "sha256:aaaa"),
        ("docker.io/library/nginx", "1.24"),
        ("localhost:5000/team/api", "latest"),
    ]


def test_rewrites_keep_the_spelling_of_the_file(plugins, tmp_path):
    files, pins = pins_in(
        plugins,
        tmp_path,
        {"env/app.yaml": MANIFESTS, "env/kustomization.yaml": KUSTOMIZATION},
    )
    by_source = {(p.ref.name, p.file.name): p for p in pins}
    app = rewrite(files, [by_source["docker.io/library/busybox", "app.yaml"]], "1.36")
    assert app["env/app.yaml"] == MANIFESTS.replace(
        "index.docker.io/busybox@sha256:aaaa", "index.docker.io/busybox:1.36"
    ).lstrip("\n")
    redis = rewrite(files, [by_source["docker.io/bitnami/redis", "kustomization.yaml"]], "7.4.0")
    assert redis["env/kustomization.yaml"] == KUSTOMIZATION.replace(
        "newTag: 7.2.4", "newTag: 7.4.0"
    ).lstrip("\n")


def override(tmp_path, rendered, ref=NGINX, version="1.25"):
    (tmp_path / "env").mkdir(exist_ok=True)
    (tmp_path / "env/kustomization.yaml").write_text("resources: [../base]\n")
    files = EnvFiles.read(tmp_path, PurePosixPath("env"))
    edits = KustomizeImages().override(files, ref, version, rendered=rendered)
    if edits is None:
        return None
    texts = {f.path: f.text for f in files.files}
    return yaml.safe_load(apply_edits(texts, edits)[PurePosixPath("env/kustomization.yaml")])


def test_an_override_entry_is_spelled_as_each_rendered_container_spells_the_image(tmp_path):
    qualified = MANIFESTS.replace("localhost:5000/team/api", "docker.io/library/nginx:1.24")
    written = override(tmp_path, list(yaml.safe_load_all(qualified)), version="1.25@sha256:bb")
    assert written["images"] == [
        {"name": "nginx", "newTag": "1.25", "digest": "sha256:bb"},
        {"name": "docker.io/library/nginx", "newTag": "1.25", "digest": "sha256:bb"},
    ]


def test_no_override_entry_for_what_no_rendered_container_runs(tmp_path):
    rendered = list(yaml.safe_load_all(MANIFESTS))
    assert override(tmp_path, rendered, ref=ArtifactRef("image", "ghcr.io/acme/web")) is None
    assert override(tmp_path, rendered, ref=ArtifactRef("image", "ocirepository/app")) is None
    assert override(tmp_path, []) is None


INLINE = """
resources: [../base]
patches:
  - target: {kind: Deployment, name: web}
    patch: |-
      - op: replace
        path: /spec/template/spec/containers/0/image
        value: nginx:1.24
"""


def test_an_image_in_an_inline_json_patch_is_keyed_normalised_and_keeps_its_spelling(
    plugins, tmp_path
):
    files, pins = pins_in(plugins, tmp_path, {"env/kustomization.yaml": INLINE})
    assert [(p.ref, p.version) for p in pins] == [(NGINX, "1.24")]
    written = rewrite(files, pins, "1.25")["env/kustomization.yaml"]
    assert written == INLINE.replace("value: nginx:1.24", "value: nginx:1.25").lstrip("\n")
