"""`promote SRC DST` end to end on repositories laid out like Flux and Argo CD users lay them out.

Expected versions come from the real `kubectl kustomize` output read with PyYAML, not our code.
"""

from __future__ import annotations

import difflib
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import commit_count, git, kustomize_build


def rendered_versions(path: Path) -> dict[str, str]:
    """image name → tag, HelmRelease/Application name → chart version or revision."""
    found: dict[str, str] = {}
    for obj in kustomize_build(path):
        for container in _containers(obj):
            name, _, tag = container["image"].rpartition(":")
            found[name] = tag
        spec = obj.get("spec") or {}
        if obj["kind"] == "HelmRelease":
            found[f"helmrelease/{obj['metadata']['name']}"] = spec["chart"]["spec"]["version"]
        if obj["kind"] == "Application":
            for source in [spec.get("source"), *(spec.get("sources") or [])]:
                if source:
                    key = source.get("chart") or source["repoURL"]
                    found[f"application/{obj['metadata']['name']}/{key}"] = source["targetRevision"]
    return found


def _containers(node: Any) -> list[dict[str, Any]]:
    if isinstance(node, dict):
        out = []
        for key, value in node.items():
            if key in ("containers", "initContainers"):
                out.extend(value)
            else:
                out.extend(_containers(value))
        return out
    if isinstance(node, list):
        return [c for item in node for c in _containers(item)]
    return []


def changed_files(repo: Path, rev: str = "HEAD") -> list[str]:
    return git(repo, "diff", "--name-only", f"{rev}~1", rev).split()


def trailers(repo: Path, rev: str = "HEAD") -> list[tuple[str, str]]:
    message = git(repo, "log", "-1", "--format=%B", rev)
    parsed = subprocess.run(
        ["git", "interpret-trailers", "--parse"], input=message, capture_output=True, text=True
    ).stdout
    return [tuple(line.split(": ", 1)) for line in parsed.splitlines()]  # type: ignore[misc]


@pytest.mark.parametrize(
    ("layout", "dst_path"), [("flux-repo", "apps/prod"), ("argocd-repo", "overlays/prod")]
)
def test_uat_to_prod_moves_exactly_the_versions_uat_renders(data_repo, cli, layout, dst_path):
    repo = data_repo(layout)
    src_path = dst_path.replace("prod", "uat")
    uat = rendered_versions(repo / src_path)
    before = rendered_versions(repo / dst_path)
    expected_moves = {k: v for k, v in uat.items() if k in before and before[k] != v}
    assert expected_moves, "the fixture must have something to promote"

    result = cli(repo, "uat", "prod", "--yes")

    assert result.exit_code == 0, result.stderr
    after = rendered_versions(repo / dst_path)
    for name, version in expected_moves.items():
        assert after[name] == version, name
    untouched = {k: v for k, v in before.items() if k not in expected_moves}
    assert {k: after[k] for k in untouched} == untouched
    assert all(f.startswith(dst_path + "/") for f in changed_files(repo))
    keys = [key for key, _ in trailers(repo)]
    assert keys.count("Promote-Artifact") == len(expected_moves)
    assert {"Promote-Id", "Promote-From", "Promote-To", "Promote-Source-Commit"} <= set(keys)
    assert dict(trailers(repo))["Promote-Source-Commit"] == git(repo, "rev-parse", "HEAD~1").strip()


@pytest.mark.parametrize("layout", ["flux-repo", "argocd-repo"])
def test_only_version_scalars_change_and_every_comment_survives(data_repo, cli, layout):
    repo = data_repo(layout)
    dst = "apps/prod" if layout == "flux-repo" else "overlays/prod"
    originals = {p: p.read_text() for p in (repo / dst).iterdir()}
    uat_versions = set(rendered_versions(repo / dst.replace("prod", "uat")).values())
    prod_versions = set(rendered_versions(repo / dst).values())

    assert cli(repo, "uat", "prod", "--yes").exit_code == 0

    for path, old_text in originals.items():
        new_text = path.read_text()
        assert _comments(new_text) == _comments(old_text), path
        old_lines, new_lines = old_text.splitlines(), new_text.splitlines()
        matcher = difflib.SequenceMatcher(a=old_lines, b=new_lines, autojunk=False)
        for tag, a1, a2, b1, b2 in matcher.get_opcodes():
            if tag in ("replace", "insert"):
                replaced = a2 - a1
                assert b2 - b1 >= replaced, (path, old_lines[a1:a2], new_lines[b1:b2])
                for old, new in zip(old_lines[a1:a2], new_lines[b1 : b1 + replaced], strict=True):
                    assert _same_but_version(old, new, prod_versions, uat_versions), (old, new)
                # Only an override of an inherited pin adds lines, to the kustomization.
                assert b2 - b1 == replaced or path.name == "kustomization.yaml", new_lines[b1:b2]
            else:
                assert tag == "equal", (tag, path, old_lines[a1:a2])


def _comments(text: str) -> list[str]:
    return [line[line.index("#") :] for line in text.splitlines() if "#" in line]


def _same_but_version(old: str, new: str, olds: set[str], news: set[str]) -> bool:
    """True when `new` is `old` with one old version spelled as a new version."""
    return any(old.replace(o, n, 1) == new for o in olds for n in news if o in old and o != n)


def test_prod_inheriting_an_image_from_base_gets_an_override_in_its_own_files(data_repo, cli):
    repo = data_repo("flux-repo")
    base_before = (repo / "apps/base/web/worker.yaml").read_text()
    uat_worker = rendered_versions(repo / "apps/uat")["ghcr.io/example/worker"]

    assert cli(repo, "uat", "prod", "--yes").exit_code == 0

    assert (repo / "apps/base/web/worker.yaml").read_text() == base_before
    assert rendered_versions(repo / "apps/prod")["ghcr.io/example/worker"] == uat_worker
    assert "ghcr.io/example/worker" in (repo / "apps/prod/kustomization.yaml").read_text()


def test_repeating_a_promotion_is_a_no_op_without_commit(data_repo, cli):
    repo = data_repo("argocd-repo")
    assert cli(repo, "uat", "prod", "--yes").exit_code == 0
    count = commit_count(repo)

    again = cli(repo, "uat", "prod", "--yes")

    assert again.exit_code == 0
    assert "nothing to change" in again.stdout
    assert commit_count(repo) == count


def test_int_to_uat_walks_the_path_as_one_commit_per_hop(data_repo, cli):
    repo = data_repo("flux-repo")
    int_versions = rendered_versions(repo / "apps/int")
    count = commit_count(repo)

    result = cli(repo, "int", "uat", "--yes")

    assert result.exit_code == 0, result.stderr
    assert commit_count(repo) == count + 2
    subjects = git(repo, "log", "-2", "--format=%s").splitlines()
    assert subjects[0].startswith("promote(uat): ") and subjects[1].startswith("promote(qa): ")
    assert rendered_versions(repo / "apps/uat") == int_versions | {
        k: v for k, v in rendered_versions(repo / "apps/uat").items() if k not in int_versions
    }
    assert changed_files(repo, "HEAD~1") and all(
        f.startswith("apps/qa/") for f in changed_files(repo, "HEAD~1")
    )


def test_dry_run_prints_every_hop_and_writes_nothing(data_repo, cli):
    repo = data_repo("flux-repo")
    head = git(repo, "rev-parse", "HEAD")

    result = cli(repo, "int", "prod", "--dry-run", "--output", "json")

    assert result.exit_code == 0, result.stderr
    hops = result.json()["hops"]
    assert [(h["from"], h["to"], h["status"]) for h in hops] == [
        ("int", "qa", "dry-run"),
        ("qa", "uat", "dry-run"),
        ("uat", "prod", "dry-run"),
    ]
    web = rendered_versions(repo / "apps/int")["ghcr.io/example/web"]
    last_hop = {c["name"]: c["new"] for c in hops[-1]["changes"]}
    assert last_hop["ghcr.io/example/web"] == web  # int's version, carried along the path
    assert git(repo, "rev-parse", "HEAD") == head
    assert git(repo, "status", "--porcelain") == ""


def test_only_limits_the_promotion_to_named_artifacts(data_repo, cli):
    repo = data_repo("argocd-repo")
    before = rendered_versions(repo / "overlays/prod")

    result = cli(repo, "uat", "prod", "--yes", "--only", "registry.example.com/shop/api")

    assert result.exit_code == 0, result.stderr
    after = rendered_versions(repo / "overlays/prod")
    changed = {k for k in after if after[k] != before.get(k)}
    assert changed == {"registry.example.com/shop/api"}


def test_only_with_an_unknown_name_is_a_usage_error(data_repo, cli):
    repo = data_repo("argocd-repo")
    result = cli(repo, "uat", "prod", "--yes", "--only", "no-such-thing")
    assert result.exit_code == 2
    assert "no-such-thing" in result.stderr


def test_a_new_chart_override_for_an_inherited_helmrelease_renders(make_repo, cli):
    repo = make_repo(
        {
            "environments/graph.yaml": """
                environments:
                  qa: {path: qa}
                  prod: {path: prod, from: [qa]}
            """,
            "base/kustomization.yaml": "namespace: podinfo\nresources: [release.yaml]\n",
            "base/release.yaml": """
                apiVersion: helm.toolkit.fluxcd.io/v2
                kind: HelmRelease
                metadata: {name: podinfo}
                spec:
                  chart:
                    spec: {chart: podinfo, version: 6.0.0}
            """,
            "qa/kustomization.yaml": "resources: [../base]\npatches:\n- path: chart.yaml\n",
            "qa/chart.yaml": """
                apiVersion: helm.toolkit.fluxcd.io/v2
                kind: HelmRelease
                metadata: {name: podinfo, namespace: podinfo}
                spec:
                  chart:
                    spec:
                      version: 6.2.0
            """,
            "prod/kustomization.yaml": "resources:\n  - ../base\n",
        }
    )
    result = cli(repo, "qa", "prod", "--yes")
    assert result.exit_code == 0, result.stderr
    assert rendered_versions(repo / "prod")["helmrelease/podinfo"] == "6.2.0"
    assert all(f.startswith("prod/") for f in changed_files(repo))
    again = cli(repo, "qa", "prod", "--yes")
    assert again.exit_code == 0 and "nothing to change" in again.stdout


def test_inherited_argocd_revision_and_flux_git_ref_get_targeted_patches(make_repo, cli):
    base_app = """
        apiVersion: argoproj.io/v1alpha1
        kind: Application
        metadata: {name: redis, namespace: argocd}
        spec:
          source: {repoURL: https://charts.example.com, chart: redis, targetRevision: 18.0.0}
        ---
        apiVersion: source.toolkit.fluxcd.io/v1
        kind: GitRepository
        metadata: {name: config, namespace: flux-system}
        spec:
          url: https://example.com/config.git
          ref: {tag: v1.0.0}
    """
    qa_patch = """
        apiVersion: argoproj.io/v1alpha1
        kind: Application
        metadata: {name: redis, namespace: argocd}
        spec:
          source: {targetRevision: 18.2.0}
        ---
        apiVersion: source.toolkit.fluxcd.io/v1
        kind: GitRepository
        metadata: {name: config, namespace: flux-system}
        spec:
          ref: {tag: v1.1.0}
    """
    repo = make_repo(
        {
            "environments/graph.yaml": "environments:\n  qa: {path: qa}\n"
            "  prod: {path: prod, from: [qa]}\n",
            "base/kustomization.yaml": "resources: [apps.yaml]\n",
            "base/apps.yaml": base_app,
            "qa/kustomization.yaml": "resources: [../base]\npatches:\n  - path: versions.yaml\n",
            "qa/versions.yaml": qa_patch,
            "prod/kustomization.yaml": "resources: [../base]\n",
        }
    )
    result = cli(repo, "qa", "prod", "--yes")
    assert result.exit_code == 0, result.stderr
    rendered = {o["kind"]: o["spec"] for o in kustomize_build(repo / "prod")}
    assert rendered["Application"]["source"]["targetRevision"] == "18.2.0"
    assert rendered["GitRepository"]["ref"] == {"tag": "v1.1.0"}
    assert all(f.startswith("prod/") for f in changed_files(repo))
    again = cli(repo, "qa", "prod", "--yes")
    assert again.exit_code == 0 and "nothing to change" in again.stdout


def test_two_inherited_images_share_one_new_images_list(make_repo, cli):
    deployment = """
        apiVersion: apps/v1
        kind: Deployment
        metadata: {{name: {name}}}
        spec:
          template:
            spec:
              containers: [{{name: {name}, image: "ghcr.io/acme/{name}:1.0.0"}}]
    """
    repo = make_repo(
        {
            "environments/graph.yaml": "environments:\n  qa: {path: qa}\n"
            "  prod: {path: prod, from: [qa]}\n",
            "base/kustomization.yaml": "resources: [api.yaml, web.yaml]\n",
            "base/api.yaml": deployment.format(name="api"),
            "base/web.yaml": deployment.format(name="web"),
            "qa/kustomization.yaml": "resources: [../base]\nimages:\n"
            "  - {name: ghcr.io/acme/api, newTag: 2.0.0}\n"
            "  - {name: ghcr.io/acme/web, newTag: 3.0.0}\n",
            "prod/kustomization.yaml": "# prod overlay\nresources: [../base]\n",
        }
    )
    assert cli(repo, "qa", "prod", "--yes").exit_code == 0
    text = (repo / "prod/kustomization.yaml").read_text()
    assert text.startswith("# prod overlay\nresources: [../base]\n")
    assert text.count("images:") == 1
    assert rendered_versions(repo / "prod") == rendered_versions(repo / "qa")


def test_versions_in_inline_patches_are_rewritten_where_they_stand(make_repo, cli):
    release = """
        apiVersion: helm.toolkit.fluxcd.io/v2
        kind: HelmRelease
        metadata: {name: podinfo, namespace: podinfo}
        spec:
          chart:
            spec: {chart: podinfo, version: 6.0.0}
    """
    overlay = """
        resources: [../base]
        patches:
          - target: {kind: HelmRelease, name: podinfo}
            patch: |-
              - op: replace
                path: /spec/chart/spec/version
                value: "{version}"  # this environment's chart
    """
    repo = make_repo(
        {
            "environments/graph.yaml": "environments:\n  qa: {path: qa}\n"
            "  prod: {path: prod, from: [qa]}\n",
            "base/kustomization.yaml": "resources: [release.yaml]\n",
            "base/release.yaml": release,
            "qa/kustomization.yaml": overlay.replace("{version}", "6.3.0"),
            "prod/kustomization.yaml": overlay.replace("{version}", "6.1.0"),
        }
    )
    before = (repo / "prod/kustomization.yaml").read_text()
    assert cli(repo, "qa", "prod", "--yes").exit_code == 0
    assert changed_files(repo) == ["prod/kustomization.yaml"]
    assert (repo / "prod/kustomization.yaml").read_text() == before.replace("6.1.0", "6.3.0")
    assert rendered_versions(repo / "prod")["helmrelease/podinfo"] == "6.3.0"
