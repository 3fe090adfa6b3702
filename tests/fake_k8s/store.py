"""Object storage: resourceVersion, uid/generation stamping, ownership and cascades."""

from __future__ import annotations

import copy
import threading
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from .apply import Owners, render_managed_fields, same_ownership
from .discovery import Registry, ResourceType
from .errors import ApiError, not_found
from .simulate import simulated_status

Key = tuple[str, str, str, str]  # (group, plural, namespace or "", name)
_VOLATILE_META = {"resourceVersion", "managedFields", "generation", "uid", "creationTimestamp"}
BOOTSTRAP_NAMESPACES = ("default", "kube-system", "kube-public", "kube-node-lease")


def now_rfc3339() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class Record:
    obj: dict[str, Any]
    owners: Owners = field(default_factory=dict)


def _desired_state(obj: dict[str, Any]) -> dict[str, Any]:
    """What `generation` tracks: everything but metadata and status (spec, data, rules...)."""
    return {k: v for k, v in obj.items() if k not in ("metadata", "status", "apiVersion", "kind")}


def _content(obj: dict[str, Any], rt: ResourceType) -> dict[str, Any]:
    """What a no-op write must leave untouched for resourceVersion to stay the same."""
    meta = {k: v for k, v in obj.get("metadata", {}).items() if k not in _VOLATILE_META}
    skip = {"metadata", "status"} if rt.has_status else {"metadata"}
    rest = {k: v for k, v in obj.items() if k not in skip}
    return {**rest, "metadata": meta}


class Store:
    def __init__(self, registry: Registry) -> None:
        self.registry = registry
        self.lock = threading.RLock()
        self.records: dict[Key, Record] = {}
        self.unhealthy: set[tuple[str, str, str]] = set()
        self._rv = 0
        ns_type = registry.by_kind("v1", "Namespace")
        assert ns_type is not None
        for name in BOOTSTRAP_NAMESPACES:
            self.write(ns_type, None, {"metadata": {"name": name}}, {}, dry_run=False)

    @staticmethod
    def key(rt: ResourceType, namespace: str | None, name: str) -> Key:
        return (rt.group, rt.plural, namespace if rt.namespaced and namespace else "", name)

    @property
    def resource_version(self) -> str:
        return str(self._rv)

    def find(self, rt: ResourceType, namespace: str | None, name: str) -> Record | None:
        return self.records.get(self.key(rt, namespace, name))

    def require(self, rt: ResourceType, namespace: str | None, name: str) -> Record:
        record = self.find(rt, namespace, name)
        if record is None:
            raise not_found(rt.plural, name, rt.group)
        return record

    def items(self, rt: ResourceType, namespace: str | None) -> list[dict[str, Any]]:
        found = [
            r.obj
            for k, r in self.records.items()
            if k[:2] == (rt.group, rt.plural) and (not namespace or k[2] == namespace)
        ]
        return copy.deepcopy(
            sorted(found, key=lambda o: (o["metadata"].get("namespace", ""), o["metadata"]["name"]))
        )

    def check_namespace(self, rt: ResourceType, namespace: str | None) -> None:
        """Real servers refuse to create objects in namespaces that do not exist."""
        if not rt.namespaced:
            return
        ns_type = self.registry.by_kind("v1", "Namespace")
        if ns_type is None or not namespace or self.find(ns_type, None, namespace) is None:
            raise not_found("namespaces", namespace or "")

    def write(
        self,
        rt: ResourceType,
        old: Record | None,
        new: dict[str, Any],
        owners: Owners,
        dry_run: bool,
    ) -> dict[str, Any]:
        """Stamp server-managed metadata on `new` and persist it; no-op writes change nothing."""
        new = copy.deepcopy(new)
        new["apiVersion"], new["kind"] = rt.api_version, rt.kind
        if rt.has_status:
            new.pop("status", None)
            if old is not None and "status" in old.obj:
                new["status"] = copy.deepcopy(old.obj["status"])
        if (
            old is not None
            and _content(old.obj, rt) == _content(new, rt)
            and same_ownership(old.owners, owners)
        ):
            return copy.deepcopy(old.obj)
        self._stamp(rt, old, new, owners)
        if dry_run:
            return new
        self._rv += 1
        new["metadata"]["resourceVersion"] = str(self._rv)
        meta = new["metadata"]
        self.records[self.key(rt, meta.get("namespace"), meta["name"])] = Record(new, owners)
        if rt.kind == "CustomResourceDefinition" and rt.builtin:
            self.registry.register_crd(new)
        return copy.deepcopy(new)

    def _stamp(
        self, rt: ResourceType, old: Record | None, new: dict[str, Any], owners: Owners
    ) -> None:
        meta = new.setdefault("metadata", {})
        now = now_rfc3339()
        if old is None:
            meta.update(uid=str(uuid.uuid4()), creationTimestamp=now, generation=1)
        else:
            old_meta = old.obj["metadata"]
            meta["uid"], meta["creationTimestamp"] = old_meta["uid"], old_meta["creationTimestamp"]
            changed = _desired_state(old.obj) != _desired_state(new)
            meta["generation"] = old_meta.get("generation", 1) + (1 if changed else 0)
            meta["resourceVersion"] = old_meta.get("resourceVersion", "")
        meta["managedFields"] = render_managed_fields(owners)
        if not meta["managedFields"]:
            del meta["managedFields"]
        healthy = (rt.kind, meta.get("namespace", ""), meta["name"]) not in self.unhealthy
        status = simulated_status(new, healthy, now)
        if status is not None:
            new["status"] = status

    def delete(
        self, rt: ResourceType, namespace: str | None, name: str, dry_run: bool
    ) -> dict[str, Any]:
        record = self.require(rt, namespace, name)
        obj = copy.deepcopy(record.obj)
        if dry_run:
            return obj
        del self.records[self.key(rt, namespace, name)]
        self._rv += 1
        if rt.kind == "Namespace" and rt.builtin:
            self._drop(lambda k: k[2] == name)
        if rt.kind == "CustomResourceDefinition" and rt.builtin:
            for served in self.registry.unregister_crd(obj):
                self._drop(lambda k, s=served: k[:2] == (s.group, s.plural))
        return obj

    def _drop(self, predicate: Any) -> None:
        for key in [k for k in self.records if predicate(k)]:
            del self.records[key]

    def set_status(self, record: Record, status: dict[str, Any]) -> None:
        self._rv += 1
        record.obj["status"] = status
        record.obj["metadata"]["resourceVersion"] = str(self._rv)

    def restamp_status(self, rt: ResourceType, namespace: str | None, name: str) -> None:
        """Re-run status simulation, e.g. after a test marks a workload unhealthy."""
        record = self.find(rt, namespace, name)
        if record is None:
            return
        healthy = (rt.kind, namespace or "", name) not in self.unhealthy
        status = simulated_status(record.obj, healthy, now_rfc3339())
        if status is not None and status != record.obj.get("status"):
            self._rv += 1
            record.obj["status"] = status
            record.obj["metadata"]["resourceVersion"] = str(self._rv)


def deleted_status(rt: ResourceType, obj: dict[str, Any]) -> dict[str, Any]:
    meta = obj["metadata"]
    details = {"name": meta["name"], "kind": rt.plural, "uid": meta.get("uid", "")}
    if rt.group:
        details["group"] = rt.group
    return {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Success",
        "details": details,
    }


def terminating(obj: dict[str, Any]) -> dict[str, Any]:
    obj["metadata"]["deletionTimestamp"] = now_rfc3339()
    obj["status"] = {"phase": "Terminating"}
    return obj


__all__ = ["ApiError", "Record", "Store", "deleted_status", "now_rfc3339", "terminating"]
