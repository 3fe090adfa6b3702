"""Fixtures for the kubernetes target: a cluster (fake or real) and a Git repository to render."""

from __future__ import annotations

import shutil
import textwrap
from collections.abc import Callable, Iterator
from pathlib import Path, PurePosixPath
from typing import Any

import pytest

from promote.engine.interfaces import DiffReport, ReconcileReport, TargetContext
from promote.engine.model import Environment
from promote.engine.repository.gitrepo import GitRepo
from promote.plugins.renderers import Plain
from promote.plugins.targets.kubernetes import KubernetesTarget
from tests.fake_k8s import FakeApiServer
from tests.helpers import git, write_tree
from tests.plugins.targets.kube_cluster import FakeCluster, RealCluster, real_kubeconfig

PAUSE_IMAGE = "registry.k8s.io/pause:3.9"


@pytest.fixture(params=["fake", pytest.param("real", marks=pytest.mark.cluster)])
def cluster(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[FakeCluster | RealCluster]:
    if request.param == "fake":
        fake: FakeApiServer = request.getfixturevalue("fake_k8s")
        yield FakeCluster(fake, request.getfixturevalue("fake_kubeconfig"))
        return
    kubeconfig = real_kubeconfig()
    if kubeconfig is None:
        pytest.skip("set PROMOTE_TEST_KUBECONFIG to a kubeconfig to run against a real cluster")
    copy = tmp_path / "real-kubeconfig"  # the tests' HOME is a temp dir: keep the file reachable
    shutil.copy(kubeconfig, copy)
    real = RealCluster(copy)
    yield real
    real.cleanup()


def configmap(name: str, value: str, annotations: dict[str, str] | None = None) -> str:
    meta = f"  annotations: {annotations}\n" if annotations else ""
    return (
        f"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {name}\n{meta}data:\n  k: '{value}'\n"
    )


def deployment(name: str, replicas: int = 2, image: str = PAUSE_IMAGE) -> str:
    return textwrap.dedent(f"""\
        apiVersion: apps/v1
        kind: Deployment
        metadata:
          name: {name}
        spec:
          replicas: {replicas}
          selector:
            matchLabels: {{app: {name}}}
          template:
            metadata:
              labels: {{app: {name}}}
            spec:
              containers:
              - name: main
                image: {image}
                ports:
                - containerPort: 8080
                resources:
                  requests: {{cpu: "0.1", memory: 16Mi}}
        """)


class Scenario:
    """An environment `prod` whose files live in a real Git repository, reconciled by the target."""

    def __init__(self, root: Path, cluster: FakeCluster | RealCluster, **options: Any) -> None:
        self.root = root
        self.cluster = cluster
        self.namespace = cluster.namespace
        self.env = Environment("prod", PurePosixPath("apps/prod"), renderer="plain")
        self.options: dict[str, Any] = {
            "kind": "kubernetes",
            "kubeconfig": str(cluster.kubeconfig),
            "namespace": self.namespace,
            "timeout": "60s" if cluster.real else "3s",
            **options,
        }
        self.target = KubernetesTarget()

    def write(self, files: dict[str, str | None]) -> str:
        """Change the environment's files (None deletes one) and commit; returns the commit."""
        for name, text in files.items():
            path = self.root / "apps/prod" / name
            if text is None:
                path.unlink()
            else:
                write_tree(path.parent, {path.name: text})
        git(self.root, "add", "--all")
        git(self.root, "commit", "--quiet", "--allow-empty", "-m", "change prod")
        return git(self.root, "rev-parse", "HEAD").strip()

    def context(self, dry_run: bool = False, **options: Any) -> TargetContext:
        objects = Plain().render(self.root, self.env)
        commit = git(self.root, "rev-parse", "HEAD").strip()
        return TargetContext(
            self.env,
            {**self.options, **options},
            objects,
            commit,
            GitRepo(self.root),
            self.root,
            dry_run,
        )

    def apply(self, dry_run: bool = False, **options: Any) -> ReconcileReport:
        return self.target.apply(self.context(dry_run, **options))

    def diff(self, **options: Any) -> DiffReport:
        return self.target.diff(self.context(**options))


@pytest.fixture
def scenario(
    cluster: FakeCluster | RealCluster, make_repo: Callable[..., Path]
) -> Callable[..., Scenario]:
    def make(files: dict[str, str], **options: Any) -> Scenario:
        namespace = f"apiVersion: v1\nkind: Namespace\nmetadata:\n  name: {cluster.namespace}\n"
        tree = {"apps/prod/namespace.yaml": namespace}
        tree.update({f"apps/prod/{name}": text for name, text in files.items()})
        return Scenario(make_repo(tree), cluster, **options)

    return make
