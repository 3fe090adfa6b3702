"""`promote render`: the same objects as `kubectl kustomize`, in the same order; Secrets masked."""

from __future__ import annotations

import base64
import hashlib

import pytest
import yaml

from tests.helpers import kustomize_build
from tests.reconcile_helpers import SECRET_REPO, assert_no_secret


def _sha(value: bytes) -> str:
    return "sha256:" + hashlib.sha256(value).hexdigest()[:12]


@pytest.mark.parametrize("env", ["int", "qa", "uat", "prod"])
def test_render_equals_kubectl_kustomize_on_the_example(example_repo, cli, env):
    result = cli(example_repo, "render", env)
    assert result.exit_code == 0, result.stderr
    rendered = [d for d in yaml.safe_load_all(result.stdout) if d]  # PyYAML: a YAML 1.1 reader
    assert rendered == kustomize_build(example_repo / "environments" / env)


def test_render_with_show_secrets_equals_kubectl_kustomize(make_repo, cli):
    repo = make_repo(SECRET_REPO)
    result = cli(repo, "render", "prod", "--show-secrets")
    assert result.exit_code == 0, result.stderr
    assert [d for d in yaml.safe_load_all(result.stdout) if d] == kustomize_build(
        repo / "apps" / "prod"
    )


def test_render_masks_secret_values_and_keeps_everything_else(make_repo, cli):
    repo = make_repo(SECRET_REPO)
    result = cli(repo, "render", "prod")
    assert result.exit_code == 0, result.stderr
    assert_no_secret(result.stdout)
    rendered = [d for d in yaml.safe_load_all(result.stdout) if d]
    expected = kustomize_build(repo / "apps" / "prod")
    assert [(o["kind"], o["metadata"]["name"]) for o in rendered] == [
        (o["kind"], o["metadata"]["name"]) for o in expected
    ]
    for got, want in zip(rendered, expected, strict=True):
        if want["kind"] != "Secret":
            assert got == want
            continue
        masked_data = {k: _sha(base64.b64decode(v)) for k, v in (want.get("data") or {}).items()}
        masked_string = {k: _sha(v.encode()) for k, v in (want.get("stringData") or {}).items()}
        assert got.get("data", {}) == masked_data
        assert got.get("stringData", {}) == masked_string
        assert got["metadata"] == want["metadata"]


def test_render_out_dir_writes_real_values_one_file_per_object(make_repo, cli, tmp_path):
    repo = make_repo(SECRET_REPO)
    out = tmp_path / "out"
    result = cli(repo, "render", "prod", "--out", str(out))
    assert result.exit_code == 0, result.stderr
    assert_no_secret(result.stdout + result.stderr)
    expected = kustomize_build(repo / "apps" / "prod")
    files = sorted(out.iterdir())
    assert len(files) == len(expected)
    loaded = [yaml.safe_load(f.read_text()) for f in files]
    key = lambda o: (o["kind"], o["metadata"]["name"])  # noqa: E731
    assert sorted(loaded, key=key) == sorted(expected, key=key)


def test_yaml_11_lookalike_strings_stay_strings(make_repo, cli):
    repo = make_repo(SECRET_REPO)
    result = cli(repo, "render", "dev")
    (config,) = [d for d in yaml.safe_load_all(result.stdout) if d and d["kind"] == "ConfigMap"]
    assert config["data"] == {
        "ENABLED": "yes",
        "MODE": "on",
        "AT": "12:30",
        "RULES": "first line\nsecond line\n",
    }


def test_render_of_unknown_environment_is_exit_2(example_repo, cli):
    result = cli(example_repo, "render", "nope")
    assert result.exit_code == 2
    assert "nope" in result.stderr
