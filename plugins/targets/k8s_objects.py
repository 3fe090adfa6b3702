"""Pure logic of the kubernetes target: object identity, order, comparison, inventory.

Nothing here talks to a cluster, so all of it is cheap to test and to run on every object.
"""

from __future__ import annotations

import base64
import json
import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

ENV_LABEL = "promote.io/environment"
INVENTORY_LABEL = "promote.io/inventory"
PRUNE_ANNOTATION = "promote.io/prune"
INVENTORY_PREFIX = "promote-inventory-"

# List items are matched by these keys when every desired item has one (containers by name, ...)
_ITEM_KEYS = ("name", "containerPort", "port", "mountPath", "devicePath", "ip", "key", "type")


@dataclass(frozen=True, order=True)
class ObjectRef:
    api_version: str
    kind: str
    namespace: str  # "" for cluster-scoped objects
    name: str

    @classmethod
    def of(cls, obj: dict[str, Any]) -> ObjectRef:
        meta = obj.get("metadata") or {}
        return cls(obj["apiVersion"], obj["kind"], meta.get("namespace") or "", meta["name"])

    def __str__(self) -> str:
        return "/".join(p for p in (self.kind, self.namespace, self.name) if p)

    @property
    def group(self) -> str:
        return self.api_version.rpartition("/")[0]


def inventory_name(env: str) -> str:
    return f"{INVENTORY_PREFIX}{env}"


def apply_rank(kind: str, namespaced: bool) -> int:
    """CRDs first (their kinds must exist), then Namespaces, other cluster-scoped, namespaced."""
    if kind == "CustomResourceDefinition":
        return 0
    if kind == "Namespace":
        return 1
    return 3 if namespaced else 2


def prepare(obj: dict[str, Any], env: str, namespace: str | None) -> dict[str, Any]:
    """The object as we apply it: plain JSON data, our label, its namespace, Secrets in `data`."""
    prepared: dict[str, Any] = json.loads(json.dumps(obj, default=str))
    meta = prepared.setdefault("metadata", {})
    if namespace is None:
        meta.pop("namespace", None)
    else:
        meta["namespace"] = meta.get("namespace") or namespace
    meta["labels"] = {**(meta.get("labels") or {}), ENV_LABEL: env}
    if prepared.get("kind") == "Secret" and prepared.get("stringData"):
        # the server folds stringData into data; applying data directly makes live comparable
        data = prepared.setdefault("data", {}) or {}
        for key, value in prepared.pop("stringData").items():
            data[key] = base64.b64encode(str(value).encode()).decode()
        prepared["data"] = data
    return prepared


def is_prunable(live: dict[str, Any], env: str) -> tuple[bool, str]:
    """Whether an inventory object may be deleted, and why not."""
    meta = live.get("metadata") or {}
    if (meta.get("labels") or {}).get(ENV_LABEL) != env:
        return False, f"not labelled {ENV_LABEL}={env} any more"
    if (meta.get("annotations") or {}).get(PRUNE_ANNOTATION) == "disabled":
        return False, f"annotated {PRUNE_ANNOTATION}: disabled"
    return True, ""


# -- comparison -------------------------------------------------------------------------------
def matches(desired: Any, live: Any) -> bool:
    """True when every field set in `desired` has the same value in `live`.

    Server-populated fields (defaults, status, metadata) are ignored because we only look at
    what `desired` sets — those are the fields the environment manages.
    """
    if isinstance(desired, dict):
        if live is None and not desired:
            return True
        return isinstance(live, dict) and all(
            value is None
            or (key in live and matches(value, live[key]))
            or (key not in live and value in ({}, []))
            for key, value in desired.items()
        )
    if isinstance(desired, list):
        return isinstance(live, list) and _list_matches(desired, live)
    return _scalar_equal(desired, live)


def _list_matches(desired: list[Any], live: list[Any]) -> bool:
    key = _item_key(desired)
    if key is None:
        return len(desired) == len(live) and all(map(matches, desired, live))
    by_key = {item.get(key): item for item in live if isinstance(item, dict)}
    return all(matches(item, by_key.get(item[key])) for item in desired)


def _item_key(items: list[Any]) -> str | None:
    if not items or not all(isinstance(i, dict) for i in items):
        return None
    return next((k for k in _ITEM_KEYS if all(k in i for i in items)), None)


_QUANTITY = re.compile(r"^([+-]?\d+(?:\.\d+)?)(m|k|M|G|T|P|E|Ki|Mi|Gi|Ti|Pi|Ei)?$")
_SUFFIX = {
    "": 1,
    "m": Decimal("0.001"),
    "k": 10**3,
    "M": 10**6,
    "G": 10**9,
    "T": 10**12,
    "P": 10**15,
    "E": 10**18,
    "Ki": 2**10,
    "Mi": 2**20,
    "Gi": 2**30,
    "Ti": 2**40,
    "Pi": 2**50,
    "Ei": 2**60,
}


def _quantity(value: Any) -> Decimal | None:
    match = _QUANTITY.match(str(value)) if isinstance(value, str | int | float) else None
    if not match or isinstance(value, bool):
        return None
    try:
        return Decimal(match.group(1)) * _SUFFIX[match.group(2) or ""]
    except InvalidOperation:
        return None


def _scalar_equal(desired: Any, live: Any) -> bool:
    if desired == live:
        return True
    # the server canonicalises quantities: cpu "0.5" is stored as "500m", memory 1024 as "1Ki"
    quantity = _quantity(desired)
    return quantity is not None and quantity == _quantity(live)


def dropped_fields(live: dict[str, Any], desired: dict[str, Any], manager: str) -> list[str]:
    """Fields `manager` applied before that `desired` no longer sets (the apply removes them)."""
    for entry in (live.get("metadata") or {}).get("managedFields") or []:
        if entry.get("manager") == manager and entry.get("operation") == "Apply":
            return _dropped(entry.get("fieldsV1") or {}, desired, "")
    return []


def _dropped(fields: dict[str, Any], desired: Any, path: str) -> list[str]:
    found: list[str] = []
    for key, sub in fields.items():
        kind, _, raw = key.partition(":")
        if kind == ".":
            continue  # the node itself: owned because its parent is
        child = _child(kind, raw, desired)
        where = f"{path}.{raw}" if kind == "f" else f"{path}[{raw}]"
        if child is _MISSING:
            found.append(where)
        elif sub:
            found.extend(_dropped(sub, child, where))
    return found


_MISSING = object()


def _child(kind: str, raw: str, desired: Any) -> Any:
    """The part of `desired` a fieldsV1 key names, or _MISSING."""
    if kind == "f":
        present = isinstance(desired, dict) and desired.get(raw) is not None
        return desired[raw] if present else _MISSING
    if not isinstance(desired, list):
        return _MISSING
    if kind == "k":
        wanted = json.loads(raw)
        for item in desired:  # the server defaults a port's protocol to TCP before keying
            if isinstance(item, dict) and all(
                item.get(k, "TCP" if k == "protocol" else None) == v for k, v in wanted.items()
            ):
                return item
        return _MISSING
    if kind == "v":
        return json.loads(raw) if json.loads(raw) in desired else _MISSING
    if kind == "i":
        return desired[int(raw)] if int(raw) < len(desired) else _MISSING
    return _MISSING


def project(live: Any, desired: Any) -> Any:
    """`live` restricted to the fields `desired` sets, in desired's shape (for diffs)."""
    if isinstance(desired, dict) and isinstance(live, dict):
        return {k: project(live[k], v) for k, v in desired.items() if k in live}
    if isinstance(desired, list) and isinstance(live, list):
        key = _item_key(desired)
        if key is None:
            return [project(lv, dv) for lv, dv in zip(live, desired, strict=False)] + live[
                len(desired) :
            ]
        by_key = {item.get(key): item for item in live if isinstance(item, dict)}
        return [project(by_key[d[key]], d) for d in desired if d[key] in by_key]
    if _scalar_equal(desired, live):
        return desired  # an equivalent canonical form is not drift
    return live


# -- inventory --------------------------------------------------------------------------------
def inventory_object(
    env: str, namespace: str, commit: str, refs: list[ObjectRef], applied_at: str = ""
) -> dict[str, Any]:
    """`applied_at`: when `commit` was first applied (RFC 3339), for `soak: {from: healthy}`."""
    lines = [json.dumps([r.api_version, r.kind, r.namespace, r.name]) for r in sorted(refs)]
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {
            "name": inventory_name(env),
            "namespace": namespace,
            "labels": {INVENTORY_LABEL: env},
        },
        "data": {
            "environment": env,
            "commit": commit,
            "objects": "\n".join(lines),
            **({"appliedAt": applied_at} if applied_at else {}),
        },
    }


def read_inventory(obj: dict[str, Any] | None) -> tuple[str | None, set[ObjectRef]]:
    """(applied commit, object refs) from a live inventory ConfigMap; (None, {}) when absent."""
    if obj is None:
        return None, set()
    data = obj.get("data") or {}
    refs = {
        ObjectRef(*json.loads(line))
        for line in (data.get("objects") or "").splitlines()
        if line.strip()
    }
    return data.get("commit") or None, refs


def inventory_applied_at(obj: dict[str, Any] | None) -> str:
    """When the inventory's commit was first applied (RFC 3339), "" when not recorded."""
    return str(((obj or {}).get("data") or {}).get("appliedAt") or "")
