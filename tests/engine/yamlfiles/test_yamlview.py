"""Files kustomize reads are files `promote` reads: tabs after values, BOMs, CRLF, `---`, `...`.

Each repository is written byte for byte as an editor left it. After a promotion the file must be
the old bytes with only the version's characters replaced (BOM, CRLF, tabs and comments kept),
and the real `kubectl kustomize` must render the new version. Versions come from its output.
"""

from __future__ import annotations

import codecs
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

from tests.helpers import git, kustomize_build

GRAPH = b"environments:\n  qa: {path: qa}\n  prod: {path: prod, from: [qa]}\n"
BOM = codecs.BOM_UTF8


def repo_of(root: Path, files: dict[str, bytes]) -> Path:
    for name, data in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_bytes(data)
    git(root, "init", "--quiet", "--initial-branch=main")
    git(root, "add", "--all")
    git(root, "commit", "--quiet", "-m", "initial")
    return root


def both_envs(env_files: dict[str, bytes], qa_tag: bytes, prod_tag: bytes) -> dict[str, bytes]:
    """`qa/` and `prod/` with the same files; `{tag}` in them is each environment's version."""
    files = {"environments/graph.yaml": GRAPH}
    for env, tag in (("qa", qa_tag), ("prod", prod_tag)):
        files.update(
            {f"{env}/{name}": data.replace(b"{tag}", tag) for name, data in env_files.items()}
        )
    return files


def images(directory: Path) -> dict[str, str]:
    """Rendered image name → tag, from `kubectl kustomize` (of a copy listing the files of a
    plain directory)."""
    if not (directory / "kustomization.yaml").exists():
        with tempfile.TemporaryDirectory() as scratch:
            copy = shutil.copytree(directory, Path(scratch) / "env")
            names = sorted(p.name for p in copy.glob("*.yaml"))
            (copy / "kustomization.yaml").write_text(f"resources: {names}\n")
            return images(copy)
    found = {}
    for obj in kustomize_build(directory):
        for container in (
            obj.get("spec", {}).get("template", {}).get("spec", {}).get("containers", [])
        ):
            name, _, tag = container["image"].rpartition(":")
            found[name] = tag
    return found


def promote_and_check(cli, repo: Path, edited: str) -> tuple[bytes, bytes]:
    """Every read-only command accepts the files, the promotion lands, and only `edited` changed;
    returns its bytes before and after."""
    for args in (["validate"], ["status"], ["qa", "prod", "--dry-run"]):
        result = cli(repo, *args)
        assert result.exit_code == 0, (args, result.stderr)
    before = (repo / edited).read_bytes()
    wanted = images(repo / "qa")
    assert images(repo / "prod") != wanted, "the fixture must have something to promote"

    result = cli(repo, "qa", "prod", "--yes")

    assert result.exit_code == 0, result.stderr
    assert git(repo, "diff", "--name-only", "HEAD~1", "HEAD").split() == [edited]
    assert git(repo, "status", "--porcelain") == ""
    assert images(repo / "prod") == wanted
    return before, (repo / edited).read_bytes()


GUESTBOOK_DEPLOYMENT = (
    b"apiVersion: apps/v1\n"
    b"kind: Deployment\n"
    b"metadata:\n"
    b"  name: guestbook-ui\n"
    b"spec:\n"
    b"  replicas: 1\n"
    b"  revisionHistoryLimit: 3\n"
    b"  selector:\n"
    b"    matchLabels:\n"
    b"      app: guestbook-ui\n"
    b"  template:\n"
    b"    metadata:\n"
    b"      labels:\n"
    b"        app: guestbook-ui\n"
    b"    spec:\n"
    b"      containers:\n"
    b"      - image: gcr.io/heptio-images/ks-guestbook-demo:{tag}\t\n"
    b"        name: guestbook-ui\n"
    b"        ports:\n"
    b"        - containerPort: 80\n"
)
# The Argo CD example apps' Service: some lines end with a tab.
GUESTBOOK_SERVICE = (
    b"apiVersion: v1\n"
    b"kind: Service\n"
    b"metadata:\n"
    b"  name: guestbook-ui\n"
    b"spec:\n"
    b"  ports:\n"
    b"  - port: 80\t\n"
    b"    targetPort: 80\n"
    b"  selector:\t\n"
    b"    app: guestbook-ui\n"
)


def test_trailing_tabs_as_in_the_argo_cd_guestbook_are_read_and_kept(tmp_path, cli):
    files = {
        "kustomization.yaml": b"resources:\n"
        b"- guestbook-ui-deployment.yaml\n"
        b"- guestbook-ui-svc.yaml\n",
        "guestbook-ui-deployment.yaml": GUESTBOOK_DEPLOYMENT,
        "guestbook-ui-svc.yaml": GUESTBOOK_SERVICE,
    }
    repo = repo_of(tmp_path / "repo", both_envs(files, b"0.2", b"0.1"))

    before, after = promote_and_check(cli, repo, "prod/guestbook-ui-deployment.yaml")

    assert after == before.replace(b"ks-guestbook-demo:0.1\t\n", b"ks-guestbook-demo:0.2\t\n")


def test_tabs_after_a_key_and_before_a_comment_are_separators(tmp_path, cli):
    kustomization = (
        b"resources:\n- ../base\n"
        b"images:\t\n"
        b"- name:\tghcr.io/acme/web\n"
        b"  newTag: {tag}\t# bumped by CI\n"
    )
    deployment = GUESTBOOK_DEPLOYMENT.replace(
        b"gcr.io/heptio-images/ks-guestbook-demo:{tag}", b"ghcr.io/acme/web:latest"
    )
    files = both_envs({"kustomization.yaml": kustomization}, b"1.4.0", b"1.3.2")
    base = {
        "base/kustomization.yaml": b"resources:\n- deployment.yaml\n",
        "base/deployment.yaml": deployment,
    }
    repo = repo_of(tmp_path / "repo", {**files, **base})

    before, after = promote_and_check(cli, repo, "prod/kustomization.yaml")

    assert after == before.replace(b"newTag: 1.3.2\t# bumped", b"newTag: 1.4.0\t# bumped")


def crlf(text: bytes) -> bytes:
    return text.replace(b"\n", b"\r\n")


def test_a_windows_edited_kustomization_keeps_its_bom_and_crlf(tmp_path, cli):
    kustomization = BOM + crlf(
        b"apiVersion: kustomize.config.k8s.io/v1beta1\n"
        b"kind: Kustomization\n"
        b"resources:\n"
        b"  - ../base\n"
        b"images:\n"
        b"  - name: gcr.io/heptio-images/ks-guestbook-demo\n"
        b'    newTag: "{tag}" # release train\n'
    )
    deployment = BOM + crlf(GUESTBOOK_DEPLOYMENT.replace(b"{tag}\t", b"latest"))
    files = both_envs({"kustomization.yaml": kustomization}, b"0.3", b"0.2")
    files["base/kustomization.yaml"] = BOM + crlf(b"resources:\n  - deployment.yaml\n")
    files["base/deployment.yaml"] = deployment
    repo = repo_of(tmp_path / "repo", files)

    before, after = promote_and_check(cli, repo, "prod/kustomization.yaml")

    assert after == before.replace(b'newTag: "0.2" #', b'newTag: "0.3" #')
    assert after.startswith(BOM) and after.count(b"\n") == after.count(b"\r\n")


def test_lines_added_to_a_crlf_kustomization_end_in_crlf(tmp_path, cli):
    """PROD inherits the image from the base: the new `images:` entry is written in CRLF too."""
    deployment = GUESTBOOK_DEPLOYMENT.replace(b"{tag}\t", b"0.1")
    files = {
        "environments/graph.yaml": GRAPH,
        "base/kustomization.yaml": b"resources:\n- deployment.yaml\n",
        "base/deployment.yaml": deployment,
        "qa/kustomization.yaml": b"resources:\n- ../base\nimages:\n"
        b'- name: gcr.io/heptio-images/ks-guestbook-demo\n  newTag: "0.2"\n',
        "prod/kustomization.yaml": BOM
        + crlf(
            b"resources:\n- ../base\nimages:\n- name: redis\n  newTag: 7.2.4\n# keep redis pinned\n"
        ),
    }
    repo = repo_of(tmp_path / "repo", files)

    before, after = promote_and_check(cli, repo, "prod/kustomization.yaml")

    assert after.startswith(before.split(b"# keep")[0])
    assert after.startswith(BOM) and after.count(b"\n") == after.count(b"\r\n")
    assert after.endswith(b"# keep redis pinned\r\n")


def test_a_tag_replaced_by_a_digest_in_a_crlf_kustomization(tmp_path, cli):
    """QA pins a digest, PROD a tag: PROD's `newTag:` line goes, a `digest:` line comes, in CRLF."""
    digest = b"sha256:" + b"4f" * 32
    entry = {"qa": b"    digest: " + digest + b"\n", "prod": b'    newTag: "0.2"\n'}
    files = {"environments/graph.yaml": GRAPH}
    for env, pin in entry.items():
        files[f"{env}/kustomization.yaml"] = BOM + crlf(
            b"resources:\n  - ../base\nimages:\n"
            b"  - name: gcr.io/heptio-images/ks-guestbook-demo\n" + pin + b"# end of images\n"
        )
    files["base/kustomization.yaml"] = b"resources:\n- deployment.yaml\n"
    files["base/deployment.yaml"] = GUESTBOOK_DEPLOYMENT.replace(b"{tag}\t", b"0.1")
    repo = repo_of(tmp_path / "repo", files)

    before, after = promote_and_check(cli, repo, "prod/kustomization.yaml")

    assert after.startswith(BOM) and after.count(b"\n") == after.count(b"\r\n")
    kept = [line for line in before.split(b"\r\n") if b"newTag" not in line]
    assert [line for line in after.split(b"\r\n") if b"digest" not in line] == kept
    assert b"digest: " + digest + b"\r\n" in after


def test_an_inline_patch_in_a_crlf_kustomization_with_tabs_after_its_indicators(tmp_path, cli):
    """The version sits in a `patch: |-` block of a Windows-saved overlay; tabs trail the block
    indicator and the patch's own lines (content kustomize parses again as YAML)."""
    overlay = crlf(
        b"resources:\n"
        b"  - ../base\n"
        b"patches:\n"
        b"  - target:\t\n"
        b"      kind: Deployment\n"
        b"      name: guestbook-ui\n"
        b"    patch: |-\t\n"
        b"      - op: replace\t\n"
        b"        path: /spec/template/spec/containers/0/image\n"
        b"        value: gcr.io/heptio-images/ks-guestbook-demo:{tag}\t\n"
    )
    files = both_envs({"kustomization.yaml": overlay}, b"0.3", b"0.2")
    files["base/kustomization.yaml"] = b"resources:\n- deployment.yaml\n"
    files["base/deployment.yaml"] = GUESTBOOK_DEPLOYMENT.replace(b"{tag}\t", b"0.1")
    repo = repo_of(tmp_path / "repo", files)

    before, after = promote_and_check(cli, repo, "prod/kustomization.yaml")

    assert after == before.replace(b"demo:0.2\t\r\n", b"demo:0.3\t\r\n")


def test_an_entry_added_to_a_kustomization_ending_in_a_document_end_marker_stays_inside(
    tmp_path, cli
):
    deployment = GUESTBOOK_DEPLOYMENT.replace(b"{tag}\t", b"0.1")
    files = {
        "environments/graph.yaml": GRAPH,
        "base/kustomization.yaml": b"resources:\n- deployment.yaml\n",
        "base/deployment.yaml": deployment,
        "qa/kustomization.yaml": b"resources:\n- ../base\nimages:\n"
        b'- name: gcr.io/heptio-images/ks-guestbook-demo\n  newTag: "0.2"\n',
        "prod/kustomization.yaml": b"---\n"
        b"apiVersion: kustomize.config.k8s.io/v1beta1\n"
        b"kind: Kustomization\n"
        b"resources:\n- ../base\n"
        b"images:\n- name: redis\n  newTag: 7.2.4\n"
        b"...\n",
    }
    repo = repo_of(tmp_path / "repo", files)

    before, after = promote_and_check(cli, repo, "prod/kustomization.yaml")

    assert after.startswith(before.removesuffix(b"...\n")) and after.endswith(b"\n...\n")


MULTI_DOCUMENT = (
    b"---\n"
    b"# Source: guestbook/templates/service.yaml\n"
    b"---\n"
    b"apiVersion: v1\n"
    b"kind: Service\n"
    b"metadata:\n"
    b"  name: guestbook-ui\n"
    b"spec:\n"
    b"  ports:\n"
    b"  - port: 80\n"
    b"---\n"
    b"---\n" + GUESTBOOK_DEPLOYMENT.replace(b"{tag}\t", b"{tag}") + b"...\n"
    b"---\n"
    b"apiVersion: v1\n"
    b"kind: ConfigMap\n"
    b"metadata:\n"
    b"  name: guestbook-ui-config\n"
    b"data:\n"
    b"  TITLE: Guestbook\n"
    b"...\n"
    b"---\n"
)


@pytest.mark.parametrize("renderer", ["kustomize", "plain"])
def test_empty_documents_and_document_end_markers(tmp_path, cli, renderer):
    files = both_envs({"all.yaml": MULTI_DOCUMENT}, b"0.2", b"0.1")
    if renderer == "kustomize":
        for env in ("qa", "prod"):
            files[f"{env}/kustomization.yaml"] = b"resources:\n- all.yaml\n"
    else:
        files["environments/graph.yaml"] = (
            b"environments:\n  qa: {path: qa, renderer: plain}\n"
            b"  prod: {path: prod, renderer: plain, from: [qa]}\n"
        )
    repo = repo_of(tmp_path / "repo", files)

    before, after = promote_and_check(cli, repo, "prod/all.yaml")

    assert after == before.replace(b"ks-guestbook-demo:0.1\n", b"ks-guestbook-demo:0.2\n")


def test_a_bom_opening_a_later_document_is_a_bom(tmp_path, cli):
    """Two Windows-saved manifests concatenated: the second document starts with a BOM too."""
    service = GUESTBOOK_SERVICE.replace(b"\t", b"")
    deployment = GUESTBOOK_DEPLOYMENT.replace(b"{tag}\t", b"{tag}")
    files = {"all.yaml": BOM + crlf(service) + b"---\r\n" + BOM + crlf(deployment)}
    files["kustomization.yaml"] = b"resources:\n- all.yaml\n"
    repo = repo_of(tmp_path / "repo", both_envs(files, b"0.2", b"0.1"))

    before, after = promote_and_check(cli, repo, "prod/all.yaml")

    assert after == before.replace(b"demo:0.1\r\n", b"demo:0.2\r\n")


@pytest.mark.parametrize(
    ("tabbed", "line"),
    [
        (b"      containers:\n\t- name: guestbook-ui\n", 17),  # a tab indents
        (b"      containers:\n      -\tname: guestbook-ui\n", 17),  # a tab right after `-`
        (b"      containers:\n\t\n      - name: guestbook-ui\n", 17),  # a tab-only line
    ],
)
def test_tabs_kustomize_refuses_are_refused_with_their_line(tmp_path, cli, tabbed, line):
    deployment = GUESTBOOK_DEPLOYMENT.replace(b"{tag}\t", b"0.1").replace(
        b"      containers:\n", tabbed
    )
    files = {
        "kustomization.yaml": b"resources:\n- deployment.yaml\n",
        "deployment.yaml": deployment,
    }
    repo = repo_of(tmp_path / "repo", both_envs(files, b"", b""))
    kustomize = subprocess.run(["kubectl", "kustomize", str(repo / "prod")], capture_output=True)
    assert kustomize.returncode != 0

    result = cli(repo, "qa", "prod", "--dry-run")

    assert result.exit_code == 2
    assert result.stderr.startswith(f"promote: error: qa/deployment.yaml:{line}:")
