"""The `kubernetes` target: server-side apply, inventory-based pruning, health, drift diffs.

    target: {kind: kubernetes, context: prod, namespace: shop, prune: true}

The kubernetes client is imported only when a target method runs (through engine.reconcile.kube).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from promote.engine.config.durations import parse_seconds
from promote.engine.errors import ConfigError, PromoteError
from promote.engine.interfaces import (
    AgentObservation,
    DiffReport,
    ReconcileReport,
    TargetContext,
    TargetStatus,
)
from promote.engine.model import Environment
from promote.engine.plugins import hookimpl

if TYPE_CHECKING:
    from promote.engine.reconcile.kube import KubeClient

_NAME = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")


@dataclass(frozen=True)
class KubeOptions:
    context: str | None = None
    kubeconfig: str | None = None
    namespace: str | None = None
    prune: bool = True
    force_conflicts: bool = False
    self_heal: bool = True  # take back fields that imperative edits (kubectl edit) changed
    timeout: float = 300.0  # health wait, seconds
    request_timeout: float = 30.0
    field_manager: str = "promote"


_TYPES: dict[str, type | tuple[type, ...]] = {
    "kind": str,
    "context": str,
    "kubeconfig": str,
    "namespace": str,
    "prune": bool,
    "force_conflicts": bool,
    "self_heal": bool,
    "timeout": (str, int, float),
    "request_timeout": (str, int, float),
    "field_manager": str,
}


def parse_duration(value: str | int | float) -> float | None:
    """Seconds in `90`, `30s`, `5m`, `1h30m`; None when it is not a duration."""
    try:
        return parse_seconds(value)
    except ValueError:
        return None


def parse_options(options: Mapping[str, Any]) -> KubeOptions:
    problem = options_problem(options)
    if problem:
        raise ConfigError(f"target kubernetes: {problem}")
    values = {k: v for k, v in options.items() if k != "kind"}
    for key in ("timeout", "request_timeout"):
        if key in values:
            values[key] = parse_duration(values[key])
    return KubeOptions(**values)


def options_problem(options: Mapping[str, Any]) -> str | None:
    for key, value in options.items():
        if key not in _TYPES:
            return f"unknown option {key!r} (known: {', '.join(sorted(_TYPES))})"
        wanted = _TYPES[key]
        if not isinstance(value, wanted) or (wanted is not bool and isinstance(value, bool)):
            return f"option {key!r} has the wrong type ({type(value).__name__})"
    for key in ("timeout", "request_timeout"):
        if key in options and not parse_duration(options[key]):
            return f"option {key!r} is not a positive duration like 30s, 5m or 1h: {options[key]!r}"
    namespace = options.get("namespace")
    if namespace is not None and not _NAME.match(namespace):
        return f"option 'namespace' is not a valid namespace name: {namespace!r}"
    if "field_manager" in options and not options["field_manager"].strip():
        return "option 'field_manager' is empty"
    return None


@contextmanager
def connected(options: KubeOptions) -> Iterator[KubeClient]:
    from promote.engine.reconcile.kube import (
        connect,  # lazily: the kubernetes client is heavy to import
    )

    kube = connect(
        kubeconfig=options.kubeconfig,
        context=options.context,
        request_timeout=options.request_timeout,
    )
    try:
        yield kube
    finally:
        kube.close()


class KubernetesTarget:
    """Implements engine.interfaces.Target for a Kubernetes cluster."""

    def __init__(self) -> None:
        self.last_request_count = 0  # API requests of the last call (benchmarks read it)

    def check_options(self, options: Mapping[str, Any]) -> str | None:
        return options_problem(options)

    def apply(self, context: TargetContext) -> ReconcileReport:
        from promote.plugins.targets.k8s_run import Run

        options = parse_options(context.options)
        with connected(options) as kube:
            try:
                return Run(kube, options, context).apply()
            finally:
                self.last_request_count = kube.request_count

    def diff(self, context: TargetContext) -> DiffReport:
        from promote.plugins.targets.k8s_run import Run

        options = parse_options(context.options)
        with connected(options) as kube:
            try:
                return Run(kube, options, context).diff()
            finally:
                self.last_request_count = kube.request_count

    def status(self, context: TargetContext) -> TargetStatus:
        from promote.plugins.targets.k8s_run import Run

        try:
            options = parse_options(context.options)
            with connected(options) as kube:
                run = Run(kube, options, context)
                diff = run.diff()
                return TargetStatus(
                    run.applied_commit,
                    not diff.in_sync,
                    f"{len(diff.drifted)} object(s) drift" if diff.drifted else "",
                )
        except PromoteError as err:
            return TargetStatus(None, None, str(err))

    def observe(self, env: Environment, options: Mapping[str, Any]) -> AgentObservation:
        """For `agent: {kind: promote}`: the inventory's applied commit and workload health."""
        from promote.plugins.targets.k8s_observe import observe_inventory

        parsed = parse_options(options)
        with connected(parsed) as kube:
            namespace = parsed.namespace or kube.default_namespace
            return observe_inventory(kube, env.name, namespace)


@hookimpl
def promote_register_targets(register) -> None:
    register("kubernetes", KubernetesTarget())
