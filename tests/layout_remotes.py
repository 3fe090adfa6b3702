"""Branch-per-environment, repository-per-environment and mixed layouts, as real Git remotes.

Loaded as a pytest plugin by tests/conftest.py. Everything is built with plain `git` (never with
promote's code) in the style of public Flux repositories: a `base/` with a Deployment and a Flux
HelmRelease, and per environment a hand-written kustomize overlay that pins the image with
`images: newTag` and patches the HelmRelease's chart version.

- `branches_layout`: one bare remote; `main` holds only environments/graph.yaml and a README;
  branches `int`, `qa`, `uat`, `prod` each hold the environment at the branch root (`path: .`):
  a root kustomization.yaml (the overlay) over `base/`, the environment-branch convention where
  every branch has the same tree and only the pinned values differ. Each env branch grew out of
  the previous one (qa from int, ...), as teams that merge branch to branch have them.
- `repos_layout`: a config repository (graph.yaml only) and one bare repository per environment:
  int and qa at `clusters/<env>` beside `base/`, uat and prod at the root (`path: .`); uat's
  default branch is `live` (the graph names no branch for it), prod names `branch: main`.
- `mixed_layout`: int and qa as directories on main (`apps/<env>` beside `apps/base`), uat at
  `apps/uat` on branch `uat` of the same repository, prod at `clusters/prod` in its own repository.

The user's clone (`Layout.checkout`) has `main` checked out and, like any fresh clone, no local
branch but `main`: the env branches are only `origin/<env>` until something creates them.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from dataclasses import dataclass
from itertools import pairwise
from pathlib import Path

import pytest

from tests.helpers import git, write_tree

ENVIRONMENTS = ("int", "qa", "uat", "prod")
# What each environment runs before any promotion: (web image tag, podinfo chart version).
# All different, so that every hop has something to promote.
VERSIONS = {
    "int": ("1.4.0", "6.7.0"),
    "qa": ("1.3.0", "6.6.1"),
    "uat": ("1.2.0", "6.6.0"),
    "prod": ("1.1.0", "6.5.1"),
}

BASE = {
    "kustomization.yaml": """
        apiVersion: kustomize.config.k8s.io/v1beta1
        kind: Kustomization
        resources:
          - deployment.yaml
          - podinfo.yaml
        """,
    "deployment.yaml": """
        apiVersion: apps/v1
        kind: Deployment
        metadata:
          name: web
          labels:
            app.kubernetes.io/name: web
        spec:
          replicas: 1
          selector:
            matchLabels:
              app.kubernetes.io/name: web
          template:
            metadata:
              labels:
                app.kubernetes.io/name: web
            spec:
              containers:
                - name: web
                  image: ghcr.io/acme/web:1.0.0
                  ports:
                    - containerPort: 8080
        """,
    "podinfo.yaml": """
        apiVersion: source.toolkit.fluxcd.io/v1
        kind: HelmRepository
        metadata:
          name: podinfo
        spec:
          interval: 1h
          url: https://stefanprodan.github.io/podinfo
        ---
        apiVersion: helm.toolkit.fluxcd.io/v2
        kind: HelmRelease
        metadata:
          name: podinfo
        spec:
          interval: 10m
          chart:
            spec:
              chart: podinfo
              version: "6.5.0"
              sourceRef:
                kind: HelmRepository
                name: podinfo
        """,
}

OVERLAY = """
    apiVersion: kustomize.config.k8s.io/v1beta1
    kind: Kustomization
    namespace: web-{env}
    resources:
      - {base}
    patches:
      - path: podinfo-values.yaml
    images:
      - name: ghcr.io/acme/web
        newTag: {web}
    """

CHART_PATCH = """
    apiVersion: helm.toolkit.fluxcd.io/v2
    kind: HelmRelease
    metadata:
      name: podinfo
    spec:
      chart:
        spec:
          version: "{chart}"
      values:
        replicaCount: {replicas}
    """


@dataclass(frozen=True)
class Place:
    """Where an environment lives, as plain git reads it."""

    repo: Path  # the user's clone (this repository) or the bare remote of another repository
    branch: str
    path: str  # "." for the root of the branch
    url: str | None = None  # the graph's `repo:` for an environment in another repository


@dataclass(frozen=True)
class Layout:
    name: str
    checkout: Path  # the user's clone, main checked out
    origin: Path  # its bare remote
    places: dict[str, Place]

    @property
    def graph_file(self) -> Path:
        return self.checkout / GRAPH

    @property
    def origin_url(self) -> str:
        return git(self.checkout, "config", "remote.origin.url").strip()

    def on_checked_out_branch(self, env: str) -> bool:
        place = self.places[env]
        return place.repo == self.checkout and place.branch == "main"

    def remotes(self) -> list[Path]:
        """Every bare repository of the layout: the checkout's origin and the env repositories."""
        others = {p.repo for p in self.places.values() if p.url is not None}
        return [self.origin, *sorted(others)]


def env_files(env: str, prefix: str, base: str, web: str | None = None, chart: str = "") -> dict:
    """The environment's overlay at `prefix` (relative to the repository root), over `base`."""
    default_web, default_chart = VERSIONS[env]
    return {
        _join(prefix, "kustomization.yaml"): OVERLAY.format(
            env=env, base=base, web=web or default_web
        ),
        _join(prefix, "podinfo-values.yaml"): CHART_PATCH.format(
            chart=chart or default_chart, replicas=3 if env == "prod" else 1
        ),
    }


def base_files(prefix: str) -> dict[str, str]:
    return {_join(prefix, name): text for name, text in BASE.items()}


def _join(prefix: str, name: str) -> str:
    return name if prefix in ("", ".") else f"{prefix}/{name}"


def commit_files(work: Path, message: str, files: dict[str, str]) -> str:
    write_tree(work, files)
    git(work, "add", "--all")
    git(work, "commit", "--quiet", "-m", message)
    return git(work, "rev-parse", "HEAD").strip()


def bare_from(work: Path, bare: Path, head: str = "main") -> str:
    """A bare remote holding every branch of `work` (whose HEAD is `head`); its file:// URL."""
    git(work.parent, "init", "--quiet", "--bare", f"--initial-branch={head}", str(bare))
    git(work, "push", "--quiet", str(bare), "--all")
    shutil.rmtree(work)
    return bare.as_uri()


def clone(url: str, where: Path) -> Path:
    git(where.parent, "clone", "--quiet", url, str(where))
    return where


def graph_yaml(comment: str, entries: dict[str, dict[str, str]]) -> str:
    """graph.yaml as a person writes it: one block per environment, int → qa → uat → prod."""
    lines = [f"# {comment}", "environments:"]
    previous = None
    for env, keys in entries.items():
        lines.append(f"  {env}:")
        lines += [f"    {key}: {value}" for key, value in keys.items()]
        if previous:
            lines.append(f"    from: [{previous}]")
        previous = env
    return "\n".join(lines) + "\n"


GRAPH = "environments/graph.yaml"
README = "# deploy\n\nPromotions are made with `promote SRC DST`; see environments/graph.yaml.\n"


def build_branches(root: Path) -> Layout:
    root.mkdir()
    work = root / "seed"
    git(root, "init", "--quiet", "--initial-branch=main", str(work))
    graph = graph_yaml(
        "Each environment lives at the root of its own branch.",
        {env: {"path": ".", "branch": env} for env in ENVIRONMENTS},
    )
    commit_files(work, "environment branches", {"README.md": README, GRAPH: graph})
    git(work, "checkout", "--quiet", "--orphan", "int")
    git(work, "rm", "-r", "--quiet", "-f", ".")
    commit_files(
        work, "int: web and podinfo", {**base_files("base"), **env_files("int", ".", "base")}
    )
    for previous, env in pairwise(ENVIRONMENTS):
        git(work, "checkout", "--quiet", "-b", env, previous)
        commit_files(work, f"{env}: its own versions", env_files(env, ".", "base"))
    git(work, "checkout", "--quiet", "main")
    origin = root / "remote.git"
    url = bare_from(work, origin)
    checkout = clone(url, root / "user")
    places = {env: Place(checkout, env, ".") for env in ENVIRONMENTS}
    return Layout("branches", checkout, origin, places)


def build_repos(root: Path) -> Layout:
    root.mkdir()
    places: dict[str, Place] = {}
    entries: dict[str, dict[str, str]] = {}
    for env in ENVIRONMENTS:
        at_root = env in ("uat", "prod")
        head = "live" if env == "uat" else "main"
        work = root / f"{env}-seed"
        git(root, "init", "--quiet", f"--initial-branch={head}", str(work))
        prefix = "." if at_root else f"clusters/{env}"
        files = {
            **base_files("base"),
            **env_files(env, prefix, "base" if at_root else "../../base"),
        }
        commit_files(work, f"{env}: web and podinfo", {"README.md": f"# {env}\n", **files})
        bare = root / f"{env}.git"
        url = bare_from(work, bare, head)
        places[env] = Place(bare, head, prefix, url)
        entries[env] = {"path": prefix, "repo": url}
        if env == "prod":
            entries[env]["branch"] = "main"
    work = root / "config-seed"
    git(root, "init", "--quiet", "--initial-branch=main", str(work))
    graph = graph_yaml("Each environment lives in its own repository.", entries)
    commit_files(work, "environment repositories", {"README.md": README, GRAPH: graph})
    origin = root / "config.git"
    checkout = clone(bare_from(work, origin), root / "user")
    return Layout("repos", checkout, origin, places)


def build_mixed(root: Path) -> Layout:
    root.mkdir()
    prod_work = root / "prod-seed"
    git(root, "init", "--quiet", "--initial-branch=main", str(prod_work))
    prod = env_files("prod", "clusters/prod", "../../base")
    commit_files(prod_work, "prod", {"README.md": "# prod\n", **base_files("base"), **prod})
    prod_bare = root / "prod.git"
    prod_url = bare_from(prod_work, prod_bare)
    graph = graph_yaml(
        "int and qa are directories on main, uat is on branch uat, prod in its own repository.",
        {
            "int": {"path": "apps/int"},
            "qa": {"path": "apps/qa"},
            "uat": {"path": "apps/uat", "branch": "uat"},
            "prod": {"path": "clusters/prod", "repo": prod_url, "branch": "main"},
        },
    )
    work = root / "seed"
    git(root, "init", "--quiet", "--initial-branch=main", str(work))
    files = {"README.md": README, GRAPH: graph, **base_files("apps/base")}
    for env in ("int", "qa"):
        files.update(env_files(env, f"apps/{env}", "../base"))
    commit_files(work, "int and qa", files)
    git(work, "checkout", "--quiet", "-b", "uat")
    commit_files(work, "uat: its own branch", env_files("uat", "apps/uat", "../base"))
    git(work, "checkout", "--quiet", "main")
    origin = root / "mixed.git"
    checkout = clone(bare_from(work, origin), root / "user")
    places = {
        "int": Place(checkout, "main", "apps/int"),
        "qa": Place(checkout, "main", "apps/qa"),
        "uat": Place(checkout, "uat", "apps/uat"),
        "prod": Place(prod_bare, "main", "clusters/prod", prod_url),
    }
    return Layout("mixed", checkout, origin, places)


BUILDERS = {"branches": build_branches, "repos": build_repos, "mixed": build_mixed}


@pytest.fixture
def branches_layout(tmp_path: Path) -> Layout:
    return build_branches(tmp_path / "branches")


@pytest.fixture
def repos_layout(tmp_path: Path) -> Layout:
    return build_repos(tmp_path / "repos")


@pytest.fixture
def mixed_layout(tmp_path: Path) -> Layout:
    return build_mixed(tmp_path / "mixed")


@pytest.fixture(params=sorted(BUILDERS))
def any_layout(request: pytest.FixtureRequest, tmp_path: Path) -> Layout:
    return BUILDERS[request.param](tmp_path / request.param)


def set_key(layout: Layout, env: str, key: str, value: str) -> int:
    """Set `key: value` in `env`'s block of graph.yaml and commit it, as a person would; the
    line number (1-based) of that key."""
    lines = layout.graph_file.read_text().splitlines(keepends=True)
    start = lines.index(f"  {env}:\n") + 1
    end = start
    while end < len(lines) and lines[end].startswith("    "):
        end += 1
    entry = f"    {key}: {value}\n"
    existing = [i for i in range(start, end) if lines[i].startswith(f"    {key}:")]
    at = existing[0] if existing else start
    lines[at : at + len(existing[:1])] = [entry]
    layout.graph_file.write_text("".join(lines))
    git(layout.checkout, "commit", "--quiet", "-am", f"graph: {env} {key} {value}")
    return at + 1


def push_new_version(layout: Layout, env: str, web: str, scratch: Path) -> str:
    """A teammate, in a clone of its own, pins web `web` in `env` and pushes it to the remote
    where `env` lives; the new commit."""
    place = layout.places[env]
    work = clone(place.url or layout.origin_url, scratch)
    git(work, "checkout", "--quiet", place.branch)
    kustomization = work / place.path / "kustomization.yaml"
    text = kustomization.read_text()
    kustomization.write_text(re.sub(r"(?m)^(    newTag: ).*$", rf"\g<1>{web}", text))
    git(work, "commit", "--quiet", "-am", f"web {web}")
    git(work, "push", "--quiet", "origin", place.branch)
    return git(work, "rev-parse", "HEAD").strip()


# --- reading a layout back with plain git ---------------------------------------------------


def tip(layout: Layout, env: str) -> str:
    """The commit an environment is at: its branch in its repository; for a branch of this
    repository the local branch, or origin's when there is no local one yet (a fresh clone)."""
    place = layout.places[env]
    if place.url is not None:
        return rev_parse(place.repo, f"refs/heads/{place.branch}")
    for ref in (f"refs/heads/{place.branch}", f"refs/remotes/origin/{place.branch}"):
        sha = rev_parse(place.repo, ref, missing_ok=True)
        if sha:
            return sha
    raise AssertionError(f"{env}'s branch {place.branch} is nowhere in {place.repo}")


def rev_parse(repo: Path, ref: str, *, missing_ok: bool = False) -> str:
    result = subprocess.run(
        ["git", "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}"],
        cwd=repo,
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0 and not missing_ok:
        raise AssertionError(f"{ref} does not exist in {repo}")
    return result.stdout.strip()


def export(place: Place, commit: str, dest: Path) -> Path:
    """The environment's directory in `commit`, exported by `git archive` into `dest`."""
    dest.mkdir(parents=True)
    archive = subprocess.run(
        ["git", "archive", "--format=tar", commit], cwd=place.repo, capture_output=True, check=True
    ).stdout
    subprocess.run(["tar", "-x", "-C", str(dest)], input=archive, check=True)
    return dest / place.path


def all_refs(layout: Layout) -> dict[str, str]:
    """Every ref of every repository of the layout (the checkout and all bare remotes)."""
    refs = {}
    for repo in [layout.checkout, *layout.remotes()]:
        for line in git(repo, "for-each-ref", "--format=%(refname) %(objectname)").splitlines():
            name, sha = line.split(" ")
            refs[f"{repo.name}:{name}"] = sha
    return refs


def checkout_snapshot(checkout: Path) -> dict[str, object]:
    """Everything of the user's checkout a promotion elsewhere must not touch: HEAD (branch and
    commit), `git status`, the index's entries, every file's bytes and mtime outside .git."""
    files = {
        str(path.relative_to(checkout)): (path.read_bytes(), path.stat().st_mtime_ns)
        for path in sorted(checkout.rglob("*"))
        if path.is_file() and ".git" not in path.relative_to(checkout).parts
    }
    return {
        "branch": git(checkout, "symbolic-ref", "HEAD").strip(),
        "head": git(checkout, "rev-parse", "HEAD").strip(),
        "status": git(checkout, "status", "--porcelain", "--untracked-files=all", "--ignored"),
        "index": git(checkout, "ls-files", "--stage"),
        "files": files,
    }
