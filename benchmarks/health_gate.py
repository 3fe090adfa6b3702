"""What reading an agent costs: `promote check qa prod` with the `healthy` gate (and with
`soak: {from: healthy}`) against the same check without gates, measured in the same run, with
the API requests each sends to the fake API server; and how soon `promote wait prod` notices a
Kustomization that turns Ready (the poll latency, after the status flips).

    PYTHONPATH=. python benchmarks/health_gate.py [--runs 7]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.fake_k8s import FakeApiServer
from tests.fake_k8s.agents import KUSTOMIZATION, flux_status, kustomization

DEPLOYMENT = "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\nspec:\n  template:\n    spec:\n      containers: [{name: web, image: 'ghcr.io/acme/web:VERSION'}]\n"  # noqa: E501
ENTRY = "from promote.engine.cli.app import main; main()"


def git(root: Path, *args: str) -> str:
    done = subprocess.run(["git", *args], cwd=root, check=True, capture_output=True, text=True)
    return done.stdout.strip()


def repository(root: Path, kubeconfig: Path, gates: str) -> str:
    graph = (
        "environments:\n  qa:\n    path: apps/qa\n"
        f"    cluster: {{kubeconfig: {kubeconfig}}}\n"
        "    agent: {kind: flux, kustomization: qa}\n"
        "  prod:\n    path: apps/prod\n    from: [qa]\n"
        f"    cluster: {{kubeconfig: {kubeconfig}}}\n"
        "    agent: {kind: flux, kustomization: prod}\n"
        + (f"    gates:\n      - {gates}\n" if gates else "")
    )
    files = {
        "environments/graph.yaml": graph,
        "apps/qa/web.yaml": DEPLOYMENT.replace("VERSION", "1.1.0"),
        "apps/prod/web.yaml": DEPLOYMENT.replace("VERSION", "1.0.0"),
    }
    root.mkdir(parents=True)
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    git(root, "init", "-q", "-b", "main")
    git(root, "add", "-A")
    git(root, "-c", "user.name=b", "-c", "user.email=b@x", "commit", "-qm", "initial")
    return git(root, "rev-parse", "HEAD")


def promote(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", ENTRY, *args], cwd=root, capture_output=True, text=True, check=False
    )


def measure(fake: FakeApiServer, root: Path, runs: int) -> tuple[float, float]:
    """(median seconds, API requests per run) of `promote check qa prod`."""
    times, requests = [], []
    for _ in range(runs):
        fake.reset_requests()
        started = time.perf_counter()
        done = promote(root, "check", "qa", "prod")
        times.append(time.perf_counter() - started)
        requests.append(len(fake.requests))
        if done.returncode != 0:
            raise SystemExit(f"check failed: {done.stdout}{done.stderr}")
    return statistics.median(times), statistics.median(requests)


def wait_latency(fake: FakeApiServer, root: Path, sha: str) -> float:
    """Seconds from the Kustomization turning Ready at the commit to `promote wait` exiting."""
    ready = flux_status(
        "True", "ReconciliationSucceeded", f"main@sha1:{sha}", "2026-03-04T10:00:00Z"
    )
    old = dict(ready, lastAppliedRevision="main@sha1:" + "0" * 40)
    fake.set_status(KUSTOMIZATION, "Kustomization", "prod", "flux-system", old)
    process = subprocess.Popen(
        [sys.executable, "-c", ENTRY, "wait", "prod", "--timeout", "60s"],
        cwd=root,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    time.sleep(3.0)  # well into the 2 s polls
    flipped = time.perf_counter()
    fake.set_status(KUSTOMIZATION, "Kustomization", "prod", "flux-system", ready)
    process.wait(timeout=60)
    return time.perf_counter() - flipped


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=7)
    runs = parser.parse_args().runs
    os.environ.update(PROMOTE_NOW="2026-03-04T12:00:00Z", PROMOTE_DISABLE_PLUGIN_AUTOLOAD="1")
    with FakeApiServer() as fake, tempfile.TemporaryDirectory() as scratch:
        fake.serve_gitops_agents()
        fake.put_object(
            {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "flux-system"}}
        )
        for name in ("qa", "prod"):
            fake.put_object(kustomization(name))
        kubeconfig = fake.write_kubeconfig(Path(scratch) / "kubeconfig")
        results, shas = {}, {}
        for label, gates in (
            ("no gates (baseline)", ""),
            ("healthy", "healthy: true"),
            ("soak from healthy", "soak: {duration: 30m, from: healthy}"),
        ):
            root = Path(scratch) / label.split()[0]
            sha = shas[label] = repository(root, kubeconfig, gates)
            status = flux_status(
                "True", "ReconciliationSucceeded", f"main@sha1:{sha}", "2026-03-04T10:00:00Z"
            )
            fake.set_status(KUSTOMIZATION, "Kustomization", "qa", "flux-system", status)
            results[label] = measure(fake, root, runs)
        baseline = results["no gates (baseline)"][0]
        print(f"promote check qa prod, median of {runs} runs:")
        for label, (seconds, requests) in results.items():
            ratio = seconds / baseline
            shown = f"{seconds * 1000:7.0f} ms  x{ratio:4.2f}  {requests:.0f} API requests"
            print(f"  {label:<22} {shown}")
        print(f"  importing the kubernetes client alone: {import_seconds(runs) * 1000:.0f} ms")
        latency = wait_latency(fake, Path(scratch) / "healthy", shas["healthy"])
        print(f"promote wait: exits {latency:.2f} s after the Kustomization turns Ready")


def import_seconds(runs: int) -> float:
    """Median time of importing what engine.reconcile.kube imports, in a fresh interpreter,
    minus a bare interpreter's start."""

    def timed(code: str) -> float:
        started = time.perf_counter()
        subprocess.run([sys.executable, "-c", code], check=True)
        return time.perf_counter() - started

    bare = statistics.median(timed("pass") for _ in range(runs))
    loaded = statistics.median(timed("from kubernetes import client, config") for _ in range(runs))
    return loaded - bare


if __name__ == "__main__":
    main()
