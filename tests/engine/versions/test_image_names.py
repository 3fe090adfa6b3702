"""One image, however it is spelled: `nginx` ≡ `docker.io/library/nginx` end to end.

What DST runs afterwards is read with plain `git` and the real `kubectl kustomize` (PyYAML); the
normalised names are derived by hand from the reference grammar (see tests/engine/test_imageref).
"""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.engine.promotion.test_promotion import changed_files, trailers
from tests.helpers import commit_count, git, kustomize_build

NGINX = "docker.io/library/nginx"  # what `nginx` and every other Docker Hub spelling pull

PLAIN_GRAPH = """
environments:
  int: {path: apps/int, renderer: plain}
  prod: {path: apps/prod, renderer: plain, from: [int]}
"""

KUSTOMIZE_GRAPH = """
environments:
  qa: {path: apps/qa}
  prod: {path: apps/prod, from: [qa]}
"""


def deployment(name: str, *images: str) -> str:
    containers = "".join(
        f"        - name: c{number}\n          image: {image}\n"
        for number, image in enumerate(images)
    )
    head = f"""
        apiVersion: apps/v1
        kind: Deployment
        metadata:
          name: {name}
          labels: {{app: {name}}}
        spec:
          selector:
            matchLabels: {{app: {name}}}
          template:
            metadata:
              labels: {{app: {name}}}
            spec:
              containers:
    """
    return textwrap.dedent(head) + containers


def images_of(objects: list[dict[str, Any]]) -> list[str]:
    return [
        container["image"]
        for obj in objects
        for container in obj["spec"]["template"]["spec"]["containers"]
    ]


def plain_images(path: Path) -> list[str]:
    """The images of every Deployment in a directory of plain manifests, read with PyYAML."""
    objects = [yaml.safe_load(file.read_text()) for file in sorted(path.glob("*.yaml"))]
    return images_of(objects)


def tag(reference: str) -> str:
    return reference.rpartition(":")[2]


def retagged(reference: str, new_tag: str) -> str:
    return f"{reference.rpartition(':')[0]}:{new_tag}"


def diff_lines(repo: Path) -> tuple[list[str], list[str]]:
    """Removed and added lines of the last commit, from plain `git diff`."""
    lines = git(repo, "diff", "-U0", "HEAD~1", "HEAD").splitlines()
    removed = [line[1:] for line in lines if line.startswith("-") and not line.startswith("---")]
    added = [line[1:] for line in lines if line.startswith("+") and not line.startswith("+++")]
    return removed, added


@pytest.fixture
def plain_repo(make_repo):
    """INT writes the short Docker Hub name, PROD the fully qualified one."""
    return make_repo(
        {
            "environments/graph.yaml": PLAIN_GRAPH,
            "apps/int/web.yaml": deployment("web", "nginx:1.25", "ghcr.io/acme/web:2.0.0"),
            "apps/prod/web.yaml": deployment(
                "web", "docker.io/library/nginx:1.24", "ghcr.io/acme/web:1.0.0"
            ),
        }
    )


def test_a_short_and_a_qualified_spelling_are_one_image_promoted_in_dsts_spelling(plain_repo, cli):
    int_nginx = plain_images(plain_repo / "apps/int")[0]
    prod_file = plain_repo / "apps/prod/web.yaml"
    before = prod_file.read_text()
    prod_nginx = plain_images(plain_repo / "apps/prod")[0]

    result = cli(plain_repo, "int", "prod", "--yes", "--only", "docker.io/*")

    assert result.exit_code == 0, result.stderr
    assert commit_count(plain_repo) == 2
    assert changed_files(plain_repo) == ["apps/prod/web.yaml"]
    expected = retagged(prod_nginx, tag(int_nginx))
    assert prod_file.read_text() == before.replace(prod_nginx, expected)
    removed, added = diff_lines(plain_repo)
    assert removed == [f"          image: {prod_nginx}"]
    assert added == [f"          image: {expected}"]
    moved = f"image {NGINX} {tag(prod_nginx)} -> {tag(int_nginx)}"
    assert ("Promote-Artifact", moved) in trailers(plain_repo)


def test_status_shows_one_row_for_both_spellings(plain_repo, cli):
    result = cli(plain_repo, "status", "--output", "json")

    assert result.exit_code == 0, result.stderr
    report = result.json()
    images = [a["name"] for a in report["artifacts"] if a["kind"] == "image"]
    assert images == ["docker.io/library/nginx", "ghcr.io/acme/web"]
    versions = {env["name"]: env["versions"] for env in report["environments"]}
    assert versions["int"][NGINX] == tag(plain_images(plain_repo / "apps/int")[0])
    assert versions["prod"][NGINX] == tag(plain_images(plain_repo / "apps/prod")[0])


@pytest.mark.parametrize(
    "only", ["nginx", "docker.io/library/nginx", "index.docker.io/library/nginx", "ngin*"]
)
def test_only_takes_the_image_as_users_write_it(plain_repo, cli, only):
    prod_before = plain_images(plain_repo / "apps/prod")
    int_nginx = plain_images(plain_repo / "apps/int")[0]

    result = cli(plain_repo, "int", "prod", "--yes", "--only", only)

    assert result.exit_code == 0, result.stderr
    nginx, web = plain_images(plain_repo / "apps/prod")
    assert tag(nginx) == tag(int_nginx)
    assert web == prod_before[1]  # not named, not moved


def test_a_registry_port_is_a_registry_and_never_a_tag(make_repo, cli):
    repo = make_repo(
        {
            "environments/graph.yaml": PLAIN_GRAPH,
            "apps/int/api.yaml": deployment(
                "api", "myregistry:5000/team/api:2.0", "index.docker.io/nginx:1.25"
            ),
            "apps/prod/api.yaml": deployment("api", "myregistry:5000/team/api", "nginx:1.24"),
        }
    )
    before = (repo / "apps/prod/api.yaml").read_text()

    result = cli(repo, "int", "prod", "--yes")

    assert result.exit_code == 0, result.stderr
    after = (repo / "apps/prod/api.yaml").read_text()
    assert after == before.replace(
        "image: myregistry:5000/team/api\n", "image: myregistry:5000/team/api:2.0\n"
    ).replace("image: nginx:1.24\n", "image: nginx:1.25\n")
    moves = [value for key, value in trailers(repo) if key == "Promote-Artifact"]
    assert sorted(moves) == [
        f"image {NGINX} 1.24 -> 1.25",
        "image myregistry:5000/team/api latest -> 2.0",
    ]


BASE = {
    "environments/graph.yaml": KUSTOMIZE_GRAPH,
    "apps/base/kustomization.yaml": "resources: [web.yaml]\n",
    "apps/base/web.yaml": deployment("web", "nginx:1.24", "myregistry:5000/team/api:1.0"),
    # QA moved to fully qualified names, as teams do when Docker Hub rate limits bite.
    "apps/qa/kustomization.yaml": """
        resources: [../base]
        images:
          - name: nginx
            newName: docker.io/library/nginx
            newTag: "1.25"
          - name: myregistry:5000/team/api
            newTag: "1.1"
    """,
}


def test_an_inherited_image_gets_an_images_entry_spelled_as_dst_renders_it(make_repo, cli):
    repo = make_repo({**BASE, "apps/prod/kustomization.yaml": "resources:\n  - ../base\n"})
    qa_nginx, qa_api = images_of(kustomize_build(repo / "apps/qa"))
    base_nginx, base_api = images_of(kustomize_build(repo / "apps/base"))

    result = cli(repo, "qa", "prod", "--yes")

    assert result.exit_code == 0, result.stderr
    assert changed_files(repo) == ["apps/prod/kustomization.yaml"]
    # kustomize matches `images:` names literally: the entry must say `nginx`, as the base does.
    assert images_of(kustomize_build(repo / "apps/prod")) == [
        retagged(base_nginx, tag(qa_nginx)),
        retagged(base_api, tag(qa_api)),
    ]
    written = yaml.safe_load((repo / "apps/prod/kustomization.yaml").read_text())
    assert sorted(entry["name"] for entry in written["images"]) == sorted(
        image.rpartition(":")[0] for image in (base_nginx, base_api)
    )


def test_every_spelling_an_inherited_image_renders_under_gets_its_own_entry(make_repo, cli):
    repo = make_repo(
        {
            **BASE,
            "apps/base/kustomization.yaml": "resources: [web.yaml, proxy.yaml]\n",
            "apps/base/proxy.yaml": deployment("proxy", "docker.io/library/nginx:1.24"),
            "apps/prod/kustomization.yaml": "resources:\n  - ../base\n",
        }
    )
    qa_nginx = images_of(kustomize_build(repo / "apps/qa"))[0]

    result = cli(repo, "qa", "prod", "--yes")

    assert result.exit_code == 0, result.stderr
    rendered = images_of(kustomize_build(repo / "apps/prod"))
    nginx = [image for image in rendered if "nginx" in image]
    assert sorted(nginx) == sorted(
        [f"docker.io/library/nginx:{tag(qa_nginx)}", f"nginx:{tag(qa_nginx)}"]
    )


def test_dsts_own_images_entry_keeps_its_name_and_only_its_tag_changes(make_repo, cli):
    prod = """
        resources: [../base]
        images:
          - name: nginx   # pinned by hand
            newTag: "1.24"
    """
    repo = make_repo({**BASE, "apps/prod/kustomization.yaml": prod})
    kustomization = repo / "apps/prod/kustomization.yaml"
    before = kustomization.read_text()
    qa_nginx = images_of(kustomize_build(repo / "apps/qa"))[0]

    result = cli(repo, "qa", "prod", "--yes", "--only", "nginx")

    assert result.exit_code == 0, result.stderr
    assert kustomization.read_text() == before.replace(
        'newTag: "1.24"', f'newTag: "{tag(qa_nginx)}"'
    )
    assert images_of(kustomize_build(repo / "apps/prod"))[0] == f"nginx:{tag(qa_nginx)}"
