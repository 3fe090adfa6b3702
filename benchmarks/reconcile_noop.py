"""No-op reconcile of 1,000 objects through the kubernetes target, against the fake API server.

Prints the API requests and wall time of a reconcile that changes nothing, next to two
baselines measured in the same run: the initial apply of the same objects, and the naive
approach of one GET per object (what a target without list-per-kind would send).

    PYTHONPATH=. python benchmarks/reconcile_noop.py [--objects 1000] [--runs 5]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path, PurePosixPath
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from promote.engine.interfaces import TargetContext
from promote.engine.model import Environment
from promote.engine.reconcile.kube import connect
from promote.plugins.targets.kubernetes import KubernetesTarget
from tests.fake_k8s import FakeApiServer

NAMESPACES = 4


def objects(count: int) -> list[dict[str, Any]]:
    """Namespaces, then ConfigMaps and Deployments (3:1) spread over them: `count` in all."""
    found: list[dict[str, Any]] = [
        {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": f"bench-{n}"}}
        for n in range(NAMESPACES)
    ]
    for i in range(count - NAMESPACES):
        meta = {"name": f"obj-{i}", "namespace": f"bench-{i % NAMESPACES}"}
        if i % 4:
            found.append(
                {
                    "apiVersion": "v1",
                    "kind": "ConfigMap",
                    "metadata": meta,
                    "data": {"index": str(i), "payload": "x" * 64},
                }
            )
            continue
        labels = {"app": meta["name"]}
        found.append(
            {
                "apiVersion": "apps/v1",
                "kind": "Deployment",
                "metadata": meta,
                "spec": {
                    "replicas": 1,
                    "selector": {"matchLabels": labels},
                    "template": {
                        "metadata": {"labels": labels},
                        "spec": {
                            "containers": [
                                {
                                    "name": "app",
                                    "image": "registry.k8s.io/pause:3.9",
                                    "resources": {"requests": {"cpu": "0.01"}},
                                }
                            ]
                        },
                    },
                },
            }
        )
    return found


def timed(action: Any) -> tuple[float, Any]:
    start = time.perf_counter()
    result = action()
    return time.perf_counter() - start, result


def naive_gets(kubeconfig: Path, desired: list[dict[str, Any]]) -> int:
    """Baseline: read every object on its own, as a per-object reconciler would."""
    with connect(kubeconfig=str(kubeconfig)) as kube:
        for obj in desired:
            info = kube.resource(obj["apiVersion"], obj["kind"])
            meta = obj["metadata"]
            kube.get(info, meta["name"], meta.get("namespace"))
        return kube.request_count


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--objects", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    desired = objects(args.objects)
    target = KubernetesTarget()
    with FakeApiServer() as fake, tempfile.TemporaryDirectory() as tmp:
        kubeconfig = fake.write_kubeconfig(Path(tmp) / "kubeconfig")
        env = Environment("bench", PurePosixPath("apps/bench"), renderer="plain")
        options = {"kind": "kubernetes", "kubeconfig": str(kubeconfig), "namespace": "bench-0"}
        context = TargetContext(env, options, desired, "c0ffee", None, Path(tmp))  # type: ignore[arg-type]

        first_time, first = timed(lambda: target.apply(context))
        first_requests = target.last_request_count
        assert first.count("created") == len(desired), "the initial apply must create everything"

        times, requests, writes = [], [], []
        for _ in range(args.runs):
            fake.reset_requests()
            elapsed, report = timed(lambda: target.apply(context))
            assert report.count("unchanged") == len(desired) and report.healthy
            times.append(elapsed)
            requests.append(target.last_request_count)
            writes.append(sum(1 for r in fake.requests if r.method in ("PATCH", "DELETE")))

        naive_time, naive_requests = timed(lambda: naive_gets(kubeconfig, desired))

    noop_time, noop_requests = statistics.median(times), statistics.median(requests)
    print(f"objects: {len(desired)} ({NAMESPACES} Namespaces, ConfigMaps and Deployments)")
    print(f"initial apply:      {first_requests:6d} requests  {first_time:8.3f} s")
    print(
        f"no-op reconcile:    {noop_requests:6.0f} requests  {noop_time:8.3f} s  "
        f"(median of {args.runs}; writes sent: {max(writes)})"
    )
    print(
        f"naive GET per obj:  {naive_requests:6d} requests  {naive_time:8.3f} s  "
        "(reads only, no comparison)"
    )
    print(
        f"ratio no-op / initial apply: requests {noop_requests / first_requests:.4f}, "
        f"time {noop_time / first_time:.3f}"
    )
    print(
        f"ratio no-op / naive GETs:    requests {noop_requests / naive_requests:.4f}, "
        f"time {noop_time / naive_time:.3f}"
    )


if __name__ == "__main__":
    main()
