from __future__ import annotations

from pathlib import PurePosixPath

import pytest

from promote.engine.errors import RenderError
from promote.engine.model import Environment
from promote.plugins import renderers
from tests.helpers import kustomize_build, write_tree


def test_kustomize_renderer_gives_the_objects_kubectl_kustomize_gives(example_repo):
    env = Environment("prod", PurePosixPath("environments/prod"))
    ours = renderers.Kustomize().render(example_repo, env)
    assert ours == kustomize_build(example_repo / "environments/prod")


def test_plain_renderer_reads_every_yaml_file_sorted_and_skips_kustomizations(tmp_path):
    write_tree(
        tmp_path,
        {
            "env/b.yml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: b}\n",
            "env/a/x.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n---\n"
            "apiVersion: v1\nkind: Secret\nmetadata: {name: y}\n",
            "env/kustomization.yaml": "resources: []\n",
            "env/notes.txt": "not yaml",
        },
    )
    objects = renderers.Plain().render(tmp_path, Environment("e", PurePosixPath("env")))
    assert [o["metadata"]["name"] for o in objects] == ["x", "y", "b"]


def test_plain_renderer_refuses_documents_that_are_not_objects(tmp_path):
    write_tree(tmp_path, {"env/deployment.yaml": "metadata: {name: web}\nreplicas: 3\n"})
    with pytest.raises(RenderError, match=r"env/deployment\.yaml"):
        renderers.Plain().render(tmp_path, Environment("e", PurePosixPath("env")))


def test_plain_renderer_renders_only_the_objects_of_helm_values_files(tmp_path):
    config_map = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: podinfo-values}\n"
    write_tree(
        tmp_path,
        {
            "env/values-prod.yaml": "image: {repository: acme/web, tag: 1.2.0}\n",
            "env/values.yaml": "kind: DaemonSet  # a chart's own setting, not a manifest\n",
            "env/podinfo-values.yaml": config_map,
        },
    )
    objects = renderers.Plain().render(tmp_path, Environment("e", PurePosixPath("env")))
    assert [o["metadata"]["name"] for o in objects] == ["podinfo-values"]


def test_kustomize_failure_is_a_render_error_naming_the_environment(tmp_path):
    write_tree(tmp_path, {"env/kustomization.yaml": "resources: [missing.yaml]\n"})
    with pytest.raises(RenderError, match="'e' does not render"):
        renderers.Kustomize().render(tmp_path, Environment("e", PurePosixPath("env")))


def test_no_kustomize_binary_is_a_clear_error(monkeypatch):
    renderers.kustomize_command.cache_clear()
    monkeypatch.setenv("PATH", "/nonexistent")
    monkeypatch.delenv(renderers.KUSTOMIZE_ENV, raising=False)
    try:
        with pytest.raises(RenderError, match="neither `kustomize` nor `kubectl`"):
            renderers.kustomize_command()
    finally:
        renderers.kustomize_command.cache_clear()


def test_kustomize_binary_can_be_chosen(monkeypatch):
    renderers.kustomize_command.cache_clear()
    monkeypatch.setenv(renderers.KUSTOMIZE_ENV, "/opt/bin/kustomize")
    try:
        assert renderers.kustomize_command() == ("/opt/bin/kustomize", "build")
    finally:
        renderers.kustomize_command.cache_clear()
