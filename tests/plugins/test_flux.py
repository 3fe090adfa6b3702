"""The Flux source: refs read in the precedence Flux documents, shown with their key, and written
so that DST's ref is exactly SRC's (checked with PyYAML and the real `kubectl kustomize`)."""

from __future__ import annotations

import subprocess
import textwrap
from datetime import timedelta
from pathlib import Path, PurePosixPath

import pytest
import yaml

from promote.engine.plugins import load_plugins
from promote.engine.versions.state import read_pins
from promote.engine.yamlfiles.envfiles import EnvFiles
from promote.plugins.flux import Flux
from tests.gated import commit_at, graph, verdicts
from tests.helpers import git, kustomize_build, write_tree
from tests.plugins.test_sources import rewrite

OCI = "source.toolkit.fluxcd.io/v1beta2"
GIT = "source.toolkit.fluxcd.io/v1"


@pytest.fixture(scope="module")
def plugins():
    return load_plugins(autoload=False)


def shown(kind: str, api_version: str, spec: dict) -> list[tuple[str, str, str]]:
    obj = {"apiVersion": api_version, "kind": kind, "metadata": {"name": "x"}, "spec": spec}
    return [(ref.kind, ref.name, version) for ref, version in Flux().versions(obj)]


@pytest.mark.parametrize(
    ("ref", "expected"),
    [
        ({"digest": "sha256:" + "a" * 64, "semver": ">=1.0.0", "tag": "v1"}, "digest"),
        ({"semver": ">= 1.8.0-rc.0", "tag": "v1.5.0"}, "semver"),
        ({"tag": "v1.5.0"}, "tag"),
        ({"tag": "v1.5.0", "semverFilter": ".*-rc.*"}, "tag"),  # the filter narrows semver only
    ],
)
def test_oci_ref_precedence_digest_semver_tag(ref, expected):
    assert shown("OCIRepository", OCI, {"url": "oci://r/x", "ref": ref}) == [
        ("oci", "ocirepository/x", f"{expected} {ref[expected]}")
    ]


def test_oci_semver_filter_travels_with_semver_and_no_ref_is_latest():
    ref = {"semver": ">=6.5.0-0", "semverFilter": ".*-rc.*", "tag": "6.4.0"}
    assert (
        shown("OCIRepository", OCI, {"ref": ref})[0][2] == "semver >=6.5.0-0 semverFilter .*-rc.*"
    )
    assert shown("OCIRepository", OCI, {"url": "oci://r/x"})[0][2] == "tag latest"


GIT_REF = {"commit": "0d52" + "f" * 36, "name": "refs/heads/main", "semver": "1.x", "tag": "v2"}


@pytest.mark.parametrize("expected", ["commit", "name", "semver", "tag", "branch"])
def test_git_ref_precedence_commit_name_semver_tag_branch(expected):
    keys = ["commit", "name", "semver", "tag", "branch"]
    ref = {key: {**GIT_REF, "branch": "main"}[key] for key in keys[keys.index(expected) :]}
    assert shown("GitRepository", GIT, {"url": "https://x", "ref": ref}) == [
        ("git", "gitrepository/x", f"{expected} {ref[expected]}")
    ]


def test_chart_versions_default_to_any_and_chart_ref_has_none_of_its_own():
    chart = {"chart": {"spec": {"chart": "podinfo", "sourceRef": {"name": "p"}}}}
    assert shown("HelmRelease", "helm.toolkit.fluxcd.io/v2", chart) == [
        ("chart", "helmrelease/x/podinfo", "*")
    ]
    assert shown("HelmChart", GIT, {"chart": "podinfo", "version": "6.x"}) == [
        ("chart", "helmchart/x/podinfo", "6.x")
    ]
    chart_ref = {"chartRef": {"kind": "OCIRepository", "name": "podinfo"}}
    assert shown("HelmRelease", "helm.toolkit.fluxcd.io/v2", chart_ref) == []


def pins_of(plugins, root: Path, text: str):
    write_tree(root, {"env/source.yaml": text})
    files = EnvFiles.read(root, PurePosixPath("env"))
    return files, read_pins(plugins, files)


def written_ref(texts: dict[str, str]) -> dict:
    return yaml.safe_load(texts["env/source.yaml"])["spec"]["ref"]


SOURCE = """
    apiVersion: source.toolkit.fluxcd.io/v1beta2
    kind: OCIRepository
    metadata:
      name: manifests
    spec:
      interval: 5m
      url: oci://ghcr.io/acme/manifests
      ref:
        tag: "v1.2.0"   # pinned by hand
"""


def test_a_semver_range_is_never_written_into_tag(plugins, tmp_path):
    src = yaml.safe_load(textwrap.dedent(SOURCE).replace('tag: "v1.2.0"', 'semver: ">=1.2.0"'))
    [(_, src_version)] = Flux().versions(src)
    files, pins = pins_of(plugins, tmp_path, SOURCE)
    texts = rewrite(files, pins, src_version)
    assert written_ref(texts) == src["spec"]["ref"] == {"semver": ">=1.2.0"}
    original = textwrap.dedent(SOURCE).lstrip("\n")
    assert texts["env/source.yaml"] == original.replace('tag: "v1.2.0"', 'semver: ">=1.2.0"')


def test_writing_a_ref_drops_every_other_ref_key(plugins, tmp_path):
    text = SOURCE.replace('tag: "v1.2.0"   # pinned by hand', "semver: 1.x\n        tag: v1.0.0")
    text = text.replace("tag: v1.0.0", "tag: v1.0.0\n        semverFilter: .*-rc.*")
    files, pins = pins_of(plugins, tmp_path, text)
    assert [p.version for p in pins] == ["semver 1.x semverFilter .*-rc.*"]
    assert written_ref(rewrite(files, pins, "digest sha256:" + "b" * 64)) == {
        "digest": "sha256:" + "b" * 64
    }
    assert written_ref(rewrite(files, pins, "semver 2.x")) == {"semver": "2.x"}
    with_filter = rewrite(files, pins, "semver 2.x semverFilter ^2")
    assert written_ref(with_filter) == {"semver": "2.x", "semverFilter": "^2"}


def test_semver_filter_is_added_with_semver(plugins, tmp_path):
    files, pins = pins_of(plugins, tmp_path, SOURCE)
    texts = rewrite(files, pins, "semver >=6.5.0-0 semverFilter .*-rc.*")
    assert written_ref(texts) == {"semver": ">=6.5.0-0", "semverFilter": ".*-rc.*"}
    assert "# pinned by hand" in texts["env/source.yaml"]


def test_a_patch_deletes_the_keys_it_drops_with_null(plugins, tmp_path):
    patch = """
        apiVersion: source.toolkit.fluxcd.io/v1
        kind: GitRepository
        metadata:
          name: config
        spec:
          ref:
            branch: main  # follows main
    """
    files, pins = pins_of(plugins, tmp_path, patch)
    commit = "0d52" + "e" * 36
    texts = rewrite(files, pins, f"commit {commit}")
    ref = written_ref(texts)
    assert ref.pop("commit") == commit
    assert ref == dict.fromkeys(["name", "semver", "tag", "branch"])


def test_a_flow_style_ref_is_rewritten_on_its_line(plugins, tmp_path):
    text = SOURCE.replace(
        'ref:\n        tag: "v1.2.0"   # pinned by hand', "ref: {tag: v1.2.0}  # ok"
    )
    files, pins = pins_of(plugins, tmp_path, text)
    texts = rewrite(files, pins, "semver >= 1.8.0-rc.0")
    assert written_ref(texts) == {"semver": ">= 1.8.0-rc.0"}
    assert texts["env/source.yaml"].endswith('  ref: {semver: ">= 1.8.0-rc.0"}  # ok\n')


def test_a_ref_in_an_inline_patch_is_rewritten_with_its_block_indentation(plugins, tmp_path):
    base = textwrap.dedent(SOURCE).replace("v1beta2", "v1")
    overlay = """
        resources: [../base]
        patches:
          - target: {kind: OCIRepository, name: manifests}
            patch: |
              apiVersion: source.toolkit.fluxcd.io/v1
              kind: OCIRepository
              metadata:
                name: manifests
              spec:
                ref:
                  tag: v1.3.0
    """
    write_tree(tmp_path, {"base/kustomization.yaml": "resources: [source.yaml]\n"})
    write_tree(tmp_path, {"base/source.yaml": base, "env/kustomization.yaml": overlay})
    files = EnvFiles.read(tmp_path, PurePosixPath("env"))
    pins = read_pins(plugins, files)
    assert [p.version for p in pins] == ["tag v1.3.0"]
    (tmp_path / "env/kustomization.yaml").write_text(
        rewrite(files, pins, "semver ~1.4")["env/kustomization.yaml"]
    )
    [rendered] = kustomize_build(tmp_path / "env")
    assert rendered["spec"]["ref"] == {"semver": "~1.4"}


# End to end on tests/data/flux-infra-repo, laid out like Flux's example repositories.


def flux_refs(path: Path) -> dict[str, dict]:
    """`kind/name` → spec.ref (or chart spec) of every Flux source the real kustomize renders."""
    found = {}
    for obj in kustomize_build(path):
        if obj["kind"] in ("OCIRepository", "GitRepository"):
            found[f"{obj['kind']}/{obj['metadata']['name']}"] = obj["spec"].get("ref")
        elif obj["kind"] == "HelmRelease":
            found[f"HelmRelease/{obj['metadata']['name']}"] = obj["spec"].get("chart")
    return found


def test_status_shows_the_ref_flux_runs_with_its_key(data_repo, cli):
    repo = data_repo("flux-infra-repo")
    staging = flux_refs(repo / "infrastructure/staging")["OCIRepository/cert-manager"]
    assert set(staging) == {"semver", "tag"}, "the fixture renders a range and a tag"

    result = cli(repo, "status", "--output", "json")

    assert result.exit_code == 0, result.stderr
    by_env = {env["name"]: env["versions"] for env in result.json()["environments"]}
    assert by_env["infra-staging"]["ocirepository/cert-manager"] == f"semver {staging['semver']}"


def test_an_inherited_oci_ref_gets_a_patch_and_renders_exactly_src_ref(data_repo, cli):
    repo = data_repo("flux-infra-repo")
    src = flux_refs(repo / "infrastructure/staging")
    production = repo / "infrastructure/production"
    base_before = (repo / "infrastructure/controllers/cert-manager.yaml").read_text()

    result = cli(repo, "infra-staging", "infra-production", "--yes")

    assert result.exit_code == 0, result.stderr
    after = flux_refs(production)
    assert after["OCIRepository/cert-manager"] == {
        "semver": src["OCIRepository/cert-manager"]["semver"]
    }
    assert after["HelmRelease/ingress-nginx"] == src["HelmRelease/ingress-nginx"]
    changed = git(repo, "diff", "--name-only", "HEAD~1", "HEAD").split()
    assert all(path.startswith("infrastructure/production/") for path in changed)
    assert (repo / "infrastructure/controllers/cert-manager.yaml").read_text() == base_before
    kustomization = yaml.safe_load((production / "kustomization.yaml").read_text())
    assert "images" not in kustomization, "an OCIRepository ref is not a container image"
    [patch] = set(changed) - {
        "infrastructure/production/kustomization.yaml",
        "infrastructure/production/ingress-nginx-chart.yaml",
    }
    comment = (repo / patch).read_text().splitlines()[0]
    assert comment.startswith("# Written by promote: infra-production pins"), comment
    again = cli(repo, "infra-staging", "infra-production", "--yes")
    assert again.exit_code == 0 and "nothing to change" in again.stdout


def test_a_chart_ref_to_an_oci_repository_promotes_semver_and_filter(data_repo, cli):
    repo = data_repo("flux-infra-repo")
    src = flux_refs(repo / "apps/staging")
    assert "chartRef" in (repo / "apps/base/podinfo/release.yaml").read_text()

    result = cli(repo, "apps-staging", "apps-production", "--yes")

    assert result.exit_code == 0, result.stderr
    wanted = {k: v for k, v in src["OCIRepository/podinfo"].items() if k != "tag"}
    assert flux_refs(repo / "apps/production")["OCIRepository/podinfo"] == wanted
    assert git(repo, "diff", "--name-only", "HEAD~1", "HEAD").split() == [
        "apps/production/podinfo-source.yaml"
    ]
    diff = git(repo, "diff", "HEAD~1", "HEAD", "--", "apps/production/podinfo-source.yaml")
    assert '-    tag: "6.4.1"  # pinned for production' in diff


def test_versions_with_spaces_survive_trailers_and_history(data_repo, cli):
    repo = data_repo("flux-infra-repo")
    before = cli(repo, "status", "--output", "json").json()["environments"]
    versions = {env["name"]: env["versions"] for env in before}
    old = versions["infra-production"]["ocirepository/cert-manager"]
    new = versions["infra-staging"]["ocirepository/cert-manager"]
    assert " " in new.split(" ", 1)[1], "the fixture's range has a space inside"

    assert cli(repo, "infra-staging", "infra-production", "--yes").exit_code == 0

    message = git(repo, "log", "-1", "--format=%B")
    parsed = subprocess.run(
        ["git", "interpret-trailers", "--parse"], input=message, capture_output=True, text=True
    ).stdout
    assert f"Promote-Artifact: oci ocirepository/cert-manager {old} -> {new}" in parsed
    history = cli(repo, "history", "--output", "json").json()["promotions"][0]["artifacts"]
    assert {"kind": "oci", "name": "ocirepository/cert-manager", "old": old, "new": new} in history


def test_a_git_ref_with_commit_and_branch_promotes_as_the_commit(make_repo, cli):
    commit = "0d52" + "c" * 36
    repository = """
        apiVersion: source.toolkit.fluxcd.io/v1
        kind: GitRepository
        metadata: {name: podinfo, namespace: flux-system}
        spec:
          interval: 1m
          url: https://github.com/stefanprodan/podinfo
          ref:
            tag: 6.0.0
    """
    patch = "apiVersion: source.toolkit.fluxcd.io/v1\nkind: GitRepository\n"
    patch += "metadata:\n  name: podinfo\n  namespace: flux-system\nspec:\n  ref:\n"
    overlay = "resources: [../base]\npatches:\n  - path: source.yaml\n"
    repo = make_repo(
        {
            "environments/graph.yaml": "environments:\n  staging: {path: apps/staging}\n"
            "  production: {path: apps/production, from: [staging]}\n",
            "apps/base/kustomization.yaml": "resources: [repository.yaml]\n",
            "apps/base/repository.yaml": repository,
            "apps/staging/kustomization.yaml": overlay,
            "apps/staging/source.yaml": patch + f"    branch: release-6\n    commit: {commit}\n",
            "apps/production/kustomization.yaml": overlay,
            "apps/production/source.yaml": patch + "    tag: 6.0.1  # hotfix\n",
        }
    )
    staging = flux_refs(repo / "apps/staging")["GitRepository/podinfo"]
    assert set(staging) == {"tag", "branch", "commit"}, "Flux runs the commit of these"

    result = cli(repo, "staging", "production", "--yes")

    assert result.exit_code == 0, result.stderr
    assert flux_refs(repo / "apps/production")["GitRepository/podinfo"] == {"commit": commit}
    source = (repo / "apps/production/source.yaml").read_text()
    assert f"commit: {commit}  # hotfix" in source


def test_a_json6902_ref_op_changes_its_value_and_refuses_another_key(make_repo, cli):
    overlay = """
        resources: [../base]
        patches:
          - target: {kind: OCIRepository, name: manifests}
            patch: |-
              - op: replace
                path: /spec/ref/tag
                value: "VERSION"  # this environment's manifests
    """
    graph = "environments:\n  qa: {path: qa}\n  prod: {path: prod, from: [qa]}\n"
    repo = make_repo(
        {
            "environments/graph.yaml": graph,
            "base/kustomization.yaml": "resources: [source.yaml]\n",
            "base/source.yaml": SOURCE,
            "qa/kustomization.yaml": overlay.replace("VERSION", "v1.3.0"),
            "prod/kustomization.yaml": overlay.replace("VERSION", "v1.2.0"),
        }
    )
    before = (repo / "prod/kustomization.yaml").read_text()
    assert cli(repo, "qa", "prod", "--yes").exit_code == 0
    assert (repo / "prod/kustomization.yaml").read_text() == before.replace("v1.2.0", "v1.3.0")

    semver_patch = "apiVersion: source.toolkit.fluxcd.io/v1\nkind: OCIRepository\n"
    semver_patch += "metadata: {name: manifests}\nspec:\n  ref:\n    semver: '>=2.0.0'\n"
    qa = (repo / "qa/kustomization.yaml").read_text()
    qa += "  - path: semver.yaml\n    target: {kind: OCIRepository, name: manifests}\n"
    write_tree(repo, {"qa/semver.yaml": semver_patch, "qa/kustomization.yaml": qa})
    git(repo, "add", "--all")
    git(repo, "commit", "--quiet", "-m", "qa follows 2.x")
    head = git(repo, "rev-parse", "HEAD")

    result = cli(repo, "qa", "prod", "--yes")

    assert result.exit_code == 2, result.stderr
    assert "semver >=2.0.0" in result.stderr and "ref.tag" in result.stderr
    assert git(repo, "rev-parse", "HEAD") == head
    assert git(repo, "status", "--porcelain") == ""


def test_soak_times_a_ref_from_the_commit_that_made_src_run_it(tmp_path, now, cli):
    source = SOURCE.replace('tag: "v1.2.0"   # pinned by hand', "{ref}")
    repo = tmp_path / "repo"
    repo.mkdir()
    git(repo, "init", "--quiet", "--initial-branch=main")
    commit_at(
        repo,
        now - timedelta(days=30),
        "initial",
        {
            "environments/graph.yaml": graph("- soak: 1h"),
            "apps/qa/source.yaml": source.format(ref="tag: v1.5.0"),
            "apps/prod/source.yaml": source.format(ref="tag: v1.5.0"),
        },
    )
    semver = source.format(ref='semver: ">= 1.8.0-rc.0"')
    commit_at(repo, now - timedelta(hours=3), "qa: rc", {"apps/qa/source.yaml": semver})
    both = source.format(ref='semver: ">= 1.8.0-rc.0"\n        tag: v1.5.0')
    commit_at(repo, now - timedelta(minutes=5), "qa: same ref", {"apps/qa/source.yaml": both})

    result = cli(repo, "check", "qa", "prod", "--output", "json")

    assert result.exit_code == 0, result.stdout
    assert "3h in qa >= 1h" in verdicts(result)["soak"]["reason"]
