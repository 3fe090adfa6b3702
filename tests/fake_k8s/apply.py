"""Server-side apply and managed-fields bookkeeping (ownership per field manager)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from .errors import ApiError
from .fieldpaths import (
    Path,
    describe,
    encode_fields,
    leaves,
    managed_view,
    merge_applied,
    remove_path,
    strip_nulls,
    value_at,
)

OwnerKey = tuple[str, str]  # (manager, operation): the real server keys entries this way


@dataclass
class ManagerEntry:
    manager: str
    operation: str
    api_version: str
    time: str
    paths: set[Path] = field(default_factory=set)

    def render(self) -> dict[str, Any]:
        return {
            "manager": self.manager,
            "operation": self.operation,
            "apiVersion": self.api_version,
            "time": self.time,
            "fieldsType": "FieldsV1",
            "fieldsV1": encode_fields(self.paths),
        }


Owners = dict[OwnerKey, ManagerEntry]


def copy_owners(owners: Owners) -> Owners:
    return {k: ManagerEntry(**{**vars(e), "paths": set(e.paths)}) for k, e in owners.items()}


def same_ownership(a: Owners, b: Owners) -> bool:
    return {k: e.paths for k, e in a.items()} == {k: e.paths for k, e in b.items()}


def render_managed_fields(owners: Owners) -> list[dict[str, Any]]:
    return [entry.render() for entry in owners.values() if entry.paths]


def _owns(paths: set[Path], path: Path) -> bool:
    """True if the set owns `path` itself or anything beneath it."""
    return any(p[: len(path)] == path for p in paths)


def _overlaps(paths: set[Path], path: Path) -> bool:
    """Owns `path`, something beneath it, or an atomic value that contains it."""
    return any(p[: len(path)] == path or path[: len(p)] == p for p in paths)


def _is_item_key(path: Path) -> bool:
    """The key fields of a list item (e.g. a container's name) live and die with the item."""
    return len(path) >= 2 and isinstance(path[-2], tuple) and path[-1] in json.loads(path[-2][1])


def _claims_node(applied: Any, live: Any) -> bool:
    """An empty map in an apply config owns the map itself, not the live entries inside it."""
    return applied == {} and isinstance(live, dict)


def find_conflicts(
    live_view: dict[str, Any], applied: dict[Path, Any], owners: Owners, me: OwnerKey
) -> list[tuple[OwnerKey, Path]]:
    conflicts = []
    for path, value in applied.items():
        live = value_at(live_view, path)
        if not isinstance(path[-1], str) or live == value or _claims_node(value, live):
            continue  # list-item markers and equal values are shared, not contested
        for key, entry in owners.items():
            if key != me and _overlaps(entry.paths, path):
                conflicts.append((key, path))
    return conflicts


def conflict_error(conflicts: list[tuple[OwnerKey, Path]], owners: Owners) -> ApiError:
    causes = []
    for key, path in conflicts:
        entry = owners[key]
        causes.append(
            {
                "type": "FieldManagerConflict",
                "message": f'conflict with "{entry.manager}" using {entry.api_version}',
                "field": describe(path),
            }
        )
    if len(causes) == 1:
        message = f"Apply failed with 1 conflict: {causes[0]['message']}: {causes[0]['field']}"
    else:
        lines = "\n".join(f"- {c['message']}: {c['field']}" for c in causes)
        message = f"Apply failed with {len(causes)} conflicts:\n{lines}"
    return ApiError(409, message, "Conflict", {"causes": causes})


def server_side_apply(
    live: dict[str, Any] | None,
    config: dict[str, Any],
    owners: Owners,
    ctx: tuple[str, str, str, bool, bool],
) -> tuple[dict[str, Any], Owners]:
    """Return (merged object, new ownership). ctx = (manager, apiVersion, now, force, status)."""
    manager, api_version, now, force, has_status = ctx
    config = strip_nulls(config)
    applied = leaves(managed_view(config, has_status))
    me: OwnerKey = (manager, "Apply")
    conflicts = find_conflicts(managed_view(live or {}, has_status), applied, owners, me)
    if conflicts and not force:
        raise conflict_error(conflicts, owners)
    result = copy_owners(owners)
    for key, path in conflicts:  # force: ownership of contested fields moves to us
        result[key].paths = {p for p in result[key].paths if not _overlaps({p}, path)}
    body = {k: v for k, v in config.items() if not (has_status and k == "status")}
    merged = merge_applied(live or {}, body)
    previous = result[me].paths if me in result else set()
    _prune(merged, previous - set(applied), set(applied), result, me)
    entry = result.get(me)
    if entry is None or entry.paths != set(applied):
        result[me] = ManagerEntry(manager, "Apply", api_version, now, set(applied))
    return merged, {k: e for k, e in result.items() if e.paths}


def _prune(
    obj: dict[str, Any], dropped: set[Path], applied: set[Path], owners: Owners, me: OwnerKey
) -> None:
    """Remove fields this manager stopped applying, unless someone else still owns them."""
    others = set().union(*(e.paths for k, e in owners.items() if k != me))
    removed: list[Path] = []
    for path in sorted(dropped, key=len):  # ancestors first: removing an item removes its fields
        if _owns(others, path) or _owns(applied, path) or _is_item_key(path):
            continue
        if any(path[: len(r)] == r for r in removed):
            continue
        remove_path(obj, path)
        removed.append(path)


def track_update(
    old: dict[str, Any] | None,
    new: dict[str, Any],
    owners: Owners,
    ctx: tuple[str, str, str, bool],
) -> Owners:
    """Ownership after a non-apply write: the writer takes every field it changed."""
    manager, api_version, now, has_status = ctx
    before = leaves(managed_view(old or {}, has_status))
    after = leaves(managed_view(new, has_status))
    changed = {p for p, v in after.items() if p not in before or before[p] != v}
    removed = set(before) - set(after)
    me: OwnerKey = (manager, "Update")
    result = copy_owners(owners)
    for key, entry in result.items():
        entry.paths -= removed
        if key != me:
            entry.paths -= changed
    if changed:
        mine = result[me].paths if me in result else set()
        result[me] = ManagerEntry(manager, "Update", api_version, now, mine | changed)
    return {k: e for k, e in result.items() if e.paths}
