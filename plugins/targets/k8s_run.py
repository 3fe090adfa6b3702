"""One reconciliation (or diff) of an environment against a cluster.

Live state is read with one list per kind (label selector `promote.io/environment=ENV`), so a
reconcile that changes nothing costs discovery, the inventory and one list per kind — not one
request per object. Only objects that differ are applied.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from promote.engine.errors import ReconcileError
from promote.engine.interfaces import DiffReport, ObjectResult, ReconcileReport, TargetContext
from promote.plugins.targets.k8s_diff import object_diff
from promote.plugins.targets.k8s_health import WORKLOAD_KINDS, health_of
from promote.plugins.targets.k8s_objects import (
    ENV_LABEL,
    ObjectRef,
    apply_rank,
    dropped_fields,
    inventory_applied_at,
    inventory_name,
    inventory_object,
    is_prunable,
    matches,
    prepare,
    project,
    read_inventory,
)

if TYPE_CHECKING:
    from promote.engine.reconcile.kube import KubeClient, ResourceInfo
    from promote.plugins.targets.kubernetes import KubeOptions

_CONFLICT_MANAGER = re.compile(r'conflict with "([^"]+)"')
_POLL_SECONDS = (0.2, 0.5, 1.0, 2.0)


@dataclass
class Desired:
    ref: ObjectRef
    info: ResourceInfo
    obj: dict[str, Any]
    served: bool  # False: its kind comes from a CRD in this change that the cluster lacks yet

    @property
    def rank(self) -> int:
        return apply_rank(self.ref.kind, self.info.namespaced)


class Run:
    def __init__(self, kube: KubeClient, options: KubeOptions, context: TargetContext) -> None:
        self.kube = kube
        self.options = options
        self.context = context
        self.env = context.env.name
        self.namespace = options.namespace or kube.default_namespace
        self.selector = f"{ENV_LABEL}={self.env}"
        self.cm = kube.resource("v1", "ConfigMap")
        live_inventory = kube.get(self.cm, inventory_name(self.env), self.namespace)
        self.applied_commit, self.inventory = read_inventory(live_inventory)
        self.applied_at = inventory_applied_at(live_inventory)
        self.desired = self._desired()
        self.live = self._live()
        self.changed: set[ObjectRef] = set()

    # -- reading -----------------------------------------------------------------------------
    def _desired(self) -> list[Desired]:
        crd_kinds = _crd_kinds(self.context.objects)
        found: dict[ObjectRef, Desired] = {}
        for obj in self.context.objects:
            api_version, kind = obj.get("apiVersion", ""), obj.get("kind", "")
            info, served = self._resolve(api_version, kind, crd_kinds)
            prepared = prepare(obj, self.env, self.namespace if info.namespaced else None)
            ref = ObjectRef.of(prepared)
            found[ref] = Desired(ref, info, prepared, served)
        return sorted(found.values(), key=lambda d: (d.rank, d.ref))

    def _resolve(
        self, api_version: str, kind: str, crd_kinds: dict[tuple[str, str], ResourceInfo]
    ) -> tuple[ResourceInfo, bool]:
        from promote.engine.reconcile.kube import KubeError

        try:
            return self.kube.resource(api_version, kind), True
        except KubeError as err:
            if not err.transient and (api_version, kind) in crd_kinds:
                return crd_kinds[(api_version, kind)], False
            raise

    def _live(self) -> dict[ObjectRef, dict[str, Any]]:
        infos = {(d.info.api_version, d.info.kind): d.info for d in self.desired if d.served}
        known = {(d.info.api_version, d.info.kind) for d in self.desired}
        for ref in self.inventory:
            if (ref.api_version, ref.kind) not in known:
                known.add((ref.api_version, ref.kind))
                info = self._served(ref)
                if info is not None:
                    infos[(ref.api_version, ref.kind)] = info
        live: dict[ObjectRef, dict[str, Any]] = {}
        for info in infos.values():
            for obj in self.kube.list(info, label_selector=self.selector):
                live[ObjectRef.of(obj)] = obj
        return live

    def _served(self, ref: ObjectRef) -> ResourceInfo | None:
        from promote.engine.reconcile.kube import KubeError

        try:
            return self.kube.resource(ref.api_version, ref.kind)
        except KubeError as err:
            # the kind is gone (its CRD was deleted), and so are its objects
            if err.status is None and not err.transient:
                return None
            raise

    def _in_sync(self, item: Desired) -> bool:
        live = self.live.get(item.ref)
        return (
            live is not None
            and matches(item.obj, live)
            and not dropped_fields(live, item.obj, self.options.field_manager)
        )

    # -- diff --------------------------------------------------------------------------------
    def diff(self) -> DiffReport:
        parts: list[str] = []
        drifted: list[str] = []
        for item in self.desired:
            if self._in_sync(item):
                continue
            live = self.live.get(item.ref)
            view = project(live, item.obj) if live is not None else None
            dropped = dropped_fields(live, item.obj, self.options.field_manager) if live else []
            note = "".join(f"field removed from Git, will be removed: {f}\n" for f in dropped)
            parts.append(object_diff(item.ref, view, item.obj, note))
            drifted.append(str(item.ref))
        for ref, live in self._stale():
            prunable, _ = is_prunable(live, self.env)
            if prunable and self.options.prune:
                parts.append(object_diff(ref, _identity(live), None, "will be pruned"))
                drifted.append(str(ref))
        return DiffReport(self.env, not drifted, "".join(parts), drifted)

    def _stale(self) -> list[tuple[ObjectRef, dict[str, Any]]]:
        wanted = {d.ref for d in self.desired}
        stale = [(r, self.live[r]) for r in self.inventory - wanted if r in self.live]
        return sorted(stale, key=lambda p: (-self._rank_of(p[0]), p[0]))

    def _rank_of(self, ref: ObjectRef) -> int:
        return apply_rank(ref.kind, bool(ref.namespace))

    # -- apply -------------------------------------------------------------------------------
    def apply(self) -> ReconcileReport:
        dry_run = self.context.dry_run
        report = ReconcileReport(self.env, self.context.commit, dry_run=dry_run)
        failures: list[str] = []
        cluster_scoped = [d for d in self.desired if d.rank < 3]
        namespaced = [d for d in self.desired if d.rank == 3]
        self._apply_all(cluster_scoped, report, failures)
        if any(d.ref.kind == "CustomResourceDefinition" for d in cluster_scoped):
            self._wait_for_kinds()
        if not dry_run:
            # before creating namespaced objects, so a failure later leaves none untracked
            wanted = {d.ref for d in self.desired}
            self._record_inventory(self.applied_commit, self.inventory | wanted)
        self._apply_all(namespaced, report, failures)
        if failures:
            err = ReconcileError(
                f"{self.env}: {len(failures)} object(s) failed to apply:\n" + "\n".join(failures)
            )
            err.report = report  # type: ignore[attr-defined]
            raise err
        kept = self._prune(report)
        if not dry_run:
            self._record_inventory(self.context.commit, {d.ref for d in self.desired} | kept)
            self._wait_healthy(report)
        return report

    def _apply_all(
        self, items: list[Desired], report: ReconcileReport, failures: list[str]
    ) -> None:
        from promote.engine.reconcile.kube import KubeError

        for item in items:
            if self._in_sync(item):
                report.results.append(_result("unchanged", item.ref))
                continue
            action = "configured" if item.ref in self.live else "created"
            try:
                detail = self._apply_one(item)
            except KubeError as err:
                if err.transient:
                    raise
                failures.append(f"  {item.ref}: {_explain(err, self.options)}")
                report.results.append(_result("failed", item.ref, _explain(err, self.options)))
                continue
            report.results.append(_result(action, item.ref, detail))
            self.changed.add(item.ref)

    def _apply_one(self, item: Desired) -> str:
        from promote.engine.reconcile.kube import KubeError

        dry_run = self.context.dry_run
        if dry_run and not self._server_can_dry_run(item):
            return "dry run: not sent, it depends on a kind or namespace created by this change"
        apply_kwargs = {"field_manager": self.options.field_manager, "dry_run": dry_run}
        try:
            self.kube.apply(item.info, item.obj, force=self.options.force_conflicts, **apply_kwargs)
        except KubeError as err:
            manual = self._manual_editors(err, item)
            if not manual:
                raise
            # fields changed by hand (kubectl edit/patch/scale) are drift: take them back
            self.kube.apply(item.info, item.obj, force=True, **apply_kwargs)
            return f"reverted changes by {', '.join(manual)}"
        return ""

    def _server_can_dry_run(self, item: Desired) -> bool:
        new_namespaces = {
            d.ref.name for d in self.desired if d.ref.kind == "Namespace" and d.ref not in self.live
        }
        return item.served and item.ref.namespace not in new_namespaces

    def _manual_editors(self, err: Any, item: Desired) -> list[str]:
        """The conflicting managers when all of them only made imperative edits (operation
        Update), and self-heal is on; [] when any conflict is with another applier."""
        if err.status != 409 or not self.options.self_heal:
            return []
        causes = (err.body.get("details") or {}).get("causes") or []
        managers = {m for c in causes for m in _CONFLICT_MANAGER.findall(c.get("message", ""))}
        live = (
            self.live.get(item.ref)
            or self.kube.get(item.info, item.ref.name, item.ref.namespace or None)
            or {}
        )
        entries = (live.get("metadata") or {}).get("managedFields") or []
        applied = {e.get("manager") for e in entries if e.get("operation") == "Apply"}
        if not managers or managers & applied:
            return []
        return sorted(managers)

    def _wait_for_kinds(self) -> None:
        """After CRDs are applied, wait (bounded) until the cluster serves their kinds."""
        from promote.engine.reconcile.kube import KubeError

        pending = [d for d in self.desired if not d.served]
        deadline = time.monotonic() + min(self.options.timeout, 60.0)
        while pending and not self.context.dry_run:
            self.kube.refresh_discovery()
            try:
                for item in pending:
                    item.info = self.kube.resource(item.info.api_version, item.info.kind)
                    item.served = True
            except KubeError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.5)
            pending = [d for d in pending if not d.served]

    def _record_inventory(self, commit: str | None, refs: set[ObjectRef]) -> None:
        if commit == self.applied_commit and refs == self.inventory:
            return  # unchanged: a no-op reconcile writes nothing
        if commit != self.applied_commit or not self.applied_at:
            self.applied_at = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ") if commit else ""
        body = inventory_object(
            self.env, self.namespace, commit or "", sorted(refs), self.applied_at
        )
        self.kube.apply(self.cm, body, field_manager=self.options.field_manager, force=True)
        self.applied_commit, self.inventory = commit, refs

    # -- prune -------------------------------------------------------------------------------
    def _prune(self, report: ReconcileReport) -> set[ObjectRef]:
        """Delete what the inventory holds and Git no longer does; returns refs still tracked."""
        tracked: set[ObjectRef] = set()
        wanted = {d.ref for d in self.desired}
        for ref in sorted(self.inventory - wanted, key=lambda r: (-self._rank_of(r), r)):
            live = self.live.get(ref)
            if live is None:
                continue  # deleted already, or relabelled by someone: not ours any more
            prunable, why = is_prunable(live, self.env)
            if not self.options.prune:
                report.results.append(_result("kept", ref, "prune is off for this target"))
                tracked.add(ref)
            elif not prunable:
                report.results.append(_result("kept", ref, why))
            else:
                info = self.kube.resource(ref.api_version, ref.kind)
                if not self.context.dry_run:
                    self.kube.delete(info, ref.name, ref.namespace or None)
                report.results.append(_result("pruned", ref))
        return tracked

    # -- health ------------------------------------------------------------------------------
    def _wait_healthy(self, report: ReconcileReport) -> None:
        watched = [d for d in self.desired if d.ref.kind in WORKLOAD_KINDS]
        # unchanged workloads are judged from the list we already have: no request for them
        state = {d.ref: self.live.get(d.ref) for d in watched if d.ref not in self.changed}
        deadline = time.monotonic() + self.options.timeout
        attempt = 0
        while True:
            verdicts = {d.ref: health_of(state.get(d.ref)) for d in watched}
            bad = {ref: h for ref, h in verdicts.items() if not h.healthy}
            if not bad or any(h.final for h in bad.values()) or time.monotonic() >= deadline:
                break
            pause = _POLL_SECONDS[min(attempt, len(_POLL_SECONDS) - 1)]
            time.sleep(min(pause, max(0.0, deadline - time.monotonic())))
            state.update(self._poll({d.info for d in watched if d.ref in bad}))
            attempt += 1
        report.healthy = not bad
        report.messages.extend(f"{ref} is not healthy: {h.reason}" for ref, h in bad.items())

    def _poll(self, infos: set[ResourceInfo]) -> dict[ObjectRef, dict[str, Any]]:
        fresh: dict[ObjectRef, dict[str, Any]] = {}
        for info in infos:
            for obj in self.kube.list(info, label_selector=self.selector):
                fresh[ObjectRef.of(obj)] = obj
        return fresh


def _result(action: str, ref: ObjectRef, detail: str = "") -> ObjectResult:
    return ObjectResult(action, ref.api_version, ref.kind, ref.name, ref.namespace or None, detail)


def _identity(obj: dict[str, Any]) -> dict[str, Any]:
    meta = obj.get("metadata") or {}
    keep = {k: meta[k] for k in ("name", "namespace") if meta.get(k)}
    return {"apiVersion": obj.get("apiVersion"), "kind": obj.get("kind"), "metadata": keep}


def _explain(err: Any, options: KubeOptions) -> str:
    if err.status == 409:
        return (
            f"field manager conflict: {err.message}. Another manager owns these fields; "
            "set `force_conflicts: true` on the target to take them over"
        )
    if err.status == 422:
        return f"invalid object: {err.message}"
    return err.message


def _crd_kinds(objects: list[dict[str, Any]]) -> dict[tuple[str, str], ResourceInfo]:
    """Kinds that CRDs in this change define, so their objects resolve before the CRD exists."""
    from promote.engine.reconcile.kube import ResourceInfo

    kinds: dict[tuple[str, str], ResourceInfo] = {}
    for obj in objects:
        if obj.get("kind") != "CustomResourceDefinition":
            continue
        spec = obj.get("spec") or {}
        names = spec.get("names") or {}
        for version in spec.get("versions") or []:
            api_version = f"{spec.get('group')}/{version.get('name')}"
            kinds[(api_version, names.get("kind", ""))] = ResourceInfo(
                api_version,
                names.get("kind", ""),
                names.get("plural", ""),
                spec.get("scope", "Namespaced") == "Namespaced",
            )
    return kinds
