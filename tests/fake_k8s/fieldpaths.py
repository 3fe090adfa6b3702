"""Field paths for managed-fields tracking, mirroring structured-merge-diff's model.

A path is a tuple of elements: a `str` is a map key, a `("k", json)` tuple is an item of an
associative list (containers by name, ports by port/protocol, ...). Lists we do not know to
be associative are atomic: the whole list is a single leaf, as for real untyped fields.
"""

from __future__ import annotations

import copy
import json
from typing import Any

Elem = str | tuple[str, str]
Path = tuple[Elem, ...]

# List fields the real schemas declare `x-kubernetes-list-type: map`, with their keys.
_KEYED_LISTS: dict[str, tuple[str, ...]] = {
    "containers": ("name",),
    "initContainers": ("name",),
    "ephemeralContainers": ("name",),
    "env": ("name",),
    "volumes": ("name",),
    "volumeMounts": ("mountPath",),
    "imagePullSecrets": ("name",),
    "hostAliases": ("ip",),
}
# Maps (as opposed to structs) get a "." entry in fieldsV1 like the real server emits.
_GRANULAR_MAPS = {"labels", "annotations", "data", "binaryData", "matchLabels", "nodeSelector"}
# Server-owned or identity fields that never appear in managedFields.
_META_IGNORED = {
    "name",
    "namespace",
    "uid",
    "resourceVersion",
    "generation",
    "creationTimestamp",
    "managedFields",
    "selfLink",
    "deletionTimestamp",
    "deletionGracePeriodSeconds",
}


def _list_keys(field: str, items: list[Any]) -> tuple[str, ...] | None:
    if not items or not all(isinstance(i, dict) for i in items):
        return None
    if field == "ports":
        port = "containerPort" if "containerPort" in items[0] else "port"
        keys: tuple[str, ...] | None = (port, "protocol")
    else:
        keys = _KEYED_LISTS.get(field)
    if not keys or not all(keys[0] in item for item in items):
        return None
    return keys


def item_key(keys: tuple[str, ...], item: dict[str, Any]) -> tuple[str, str]:
    # protocol is defaulted to TCP by the real server before keys are computed
    values = {k: item.get(k, "TCP" if k == "protocol" else None) for k in keys}
    return ("k", json.dumps(values, sort_keys=True, separators=(",", ":")))


def strip_nulls(value: Any) -> Any:
    """Apply configurations treat explicit nulls as unset."""
    if isinstance(value, dict):
        return {k: strip_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [strip_nulls(v) for v in value]
    return value


def managed_view(obj: dict[str, Any], has_status: bool) -> dict[str, Any]:
    """The part of an object whose fields managers can own."""
    view = {k: v for k, v in obj.items() if k not in ("apiVersion", "kind")}
    if has_status:
        view.pop("status", None)
    meta = {k: v for k, v in view.get("metadata", {}).items() if k not in _META_IGNORED}
    view.pop("metadata", None)
    if meta:
        view["metadata"] = meta
    return view


def leaves(value: Any, prefix: Path = (), field: str = "") -> dict[Path, Any]:
    """Map of owned path -> value; keyed list items also own their own marker path."""
    out: dict[Path, Any] = {}
    if isinstance(value, dict) and value:
        for key, child in value.items():
            out.update(leaves(child, (*prefix, key), key))
        return out
    keys = _list_keys(field, value) if isinstance(value, list) else None
    if keys is None:
        if prefix:
            out[prefix] = value
        return out
    for item in value:
        item_path = (*prefix, item_key(keys, item))
        out[item_path] = {k: item.get(k) for k in keys}
        for key, child in item.items():
            out.update(leaves(child, (*item_path, key), key))
    return out


def _child(node: Any, elem: Elem, parent_field: str) -> Any:
    if isinstance(elem, str):
        return node.get(elem) if isinstance(node, dict) else None
    if not isinstance(node, list):
        return None
    keys = _list_keys(parent_field, node)
    for item in node if keys else []:
        if item_key(keys, item) == elem:  # type: ignore[arg-type]
            return item
    return None


def value_at(obj: Any, path: Path) -> Any:
    node, field = obj, ""
    for elem in path:
        node = _child(node, elem, field)
        if node is None:
            return None
        field = elem if isinstance(elem, str) else field
    return node


def remove_path(obj: dict[str, Any], path: Path) -> None:
    """Delete the field or list item at path, then drop containers the removal emptied."""
    parents: list[tuple[Any, Elem]] = []
    node, field = obj, ""
    for elem in path[:-1]:
        parents.append((node, elem))
        node = _child(node, elem, field)
        if node is None:
            return
        field = elem if isinstance(elem, str) else field
    _delete_child(node, path[-1], field)
    for parent, elem in reversed(parents[1:] if path[0] == "metadata" else parents):
        child = _child(parent, elem, "")
        if child in ({}, []) and isinstance(elem, str):
            parent.pop(elem, None)


def _delete_child(node: Any, elem: Elem, field: str) -> None:
    if isinstance(elem, str) and isinstance(node, dict):
        node.pop(elem, None)
    elif isinstance(node, list):
        keys = _list_keys(field, node)
        if keys:
            node[:] = [item for item in node if item_key(keys, item) != elem]


def merge_applied(live: Any, applied: Any, field: str = "") -> Any:
    """Merge an apply configuration into the live object (maps and keyed lists granular)."""
    if isinstance(applied, dict) and isinstance(live, dict):
        result = copy.deepcopy(live)
        for key, value in applied.items():
            result[key] = merge_applied(live.get(key), value, key)
        return result
    keys = _list_keys(field, applied) if isinstance(applied, list) else None
    if keys and isinstance(live, list) and _list_keys(field, live) == keys:
        return _merge_keyed(live, applied, keys, field)
    return copy.deepcopy(applied)


def _merge_keyed(live: list[Any], applied: list[Any], keys: tuple[str, ...], field: str) -> Any:
    by_key = {item_key(keys, item): item for item in applied}
    merged = []
    for item in live:
        key = item_key(keys, item)
        merged.append(merge_applied(item, by_key.pop(key), field) if key in by_key else item)
    merged.extend(copy.deepcopy(item) for item in applied if item_key(keys, item) in by_key)
    return merged


def encode_fields(paths: set[Path]) -> dict[str, Any]:
    """Render owned paths in the real FieldsV1 format (`f:`/`k:` keys, `.` for owned nodes)."""
    root: dict[str, Any] = {}
    for path in sorted(paths, key=describe):
        node, field = root, ""
        for elem in path:
            if isinstance(elem, str) and field in _GRANULAR_MAPS and len(node) == 0:
                node["."] = {}
            node = node.setdefault(f"f:{elem}" if isinstance(elem, str) else f"k:{elem[1]}", {})
            field = elem if isinstance(elem, str) else field
            if not isinstance(elem, str):
                node.setdefault(".", {})
    return root


def describe(path: Path) -> str:
    """Human form used in conflict messages, e.g. `.spec.containers[name="app"].image`."""
    text = ""
    for elem in path:
        if isinstance(elem, str):
            text += f".{elem}"
        else:
            pairs = json.loads(elem[1])
            text += "[" + ",".join(f"{k}={json.dumps(v)}" for k, v in pairs.items()) + "]"
    return text
