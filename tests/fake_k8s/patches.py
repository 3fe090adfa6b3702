"""Non-apply patch formats: JSON merge patch (RFC 7386) and JSON patch (RFC 6902)."""

from __future__ import annotations

import copy
from typing import Any

from .errors import ApiError


def merge_patch(target: Any, patch: Any) -> Any:
    """RFC 7386; strategic merge patch is routed here too (its list directives are ignored)."""
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    result = copy.deepcopy(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if key.startswith("$"):
            continue  # strategic-merge directives such as $patch / $retainKeys
        if value is None:
            result.pop(key, None)
        else:
            result[key] = merge_patch(result.get(key), value)
    return result


def _pointer(path: str) -> list[str]:
    if path == "":
        return []
    if not path.startswith("/"):
        raise ApiError(422, f"invalid JSON pointer {path!r}", "Invalid")
    return [p.replace("~1", "/").replace("~0", "~") for p in path[1:].split("/")]


def _parent(doc: Any, tokens: list[str], path: str) -> Any:
    node = doc
    for token in tokens[:-1]:
        try:
            node = node[int(token)] if isinstance(node, list) else node[token]
        except (KeyError, IndexError, ValueError, TypeError) as exc:
            raise ApiError(422, f"path {path!r} does not exist", "Invalid") from exc
    return node


def _add(doc: Any, tokens: list[str], value: Any, path: str) -> Any:
    if not tokens:
        return value
    parent, last = _parent(doc, tokens, path), tokens[-1]
    if isinstance(parent, list):
        parent.insert(len(parent) if last == "-" else int(last), value)
    elif isinstance(parent, dict):
        parent[last] = value
    else:
        raise ApiError(422, f"cannot add at {path!r}", "Invalid")
    return doc


def _remove(doc: Any, tokens: list[str], path: str) -> Any:
    parent, last = _parent(doc, tokens, path), tokens[-1]
    try:
        return parent.pop(int(last) if isinstance(parent, list) else last)
    except (KeyError, IndexError, ValueError) as exc:
        raise ApiError(422, f"path {path!r} does not exist", "Invalid") from exc


def _get(doc: Any, tokens: list[str], path: str) -> Any:
    parent = _parent(doc, tokens, path) if tokens else None
    if not tokens:
        return doc
    try:
        return parent[int(tokens[-1])] if isinstance(parent, list) else parent[tokens[-1]]
    except (KeyError, IndexError, ValueError, TypeError) as exc:
        raise ApiError(422, f"path {path!r} does not exist", "Invalid") from exc


def json_patch(target: dict[str, Any], operations: Any) -> dict[str, Any]:
    if not isinstance(operations, list):
        raise ApiError(400, "json patch body must be a list of operations", "BadRequest")
    doc: Any = copy.deepcopy(target)
    for op in operations:
        doc = _apply_op(doc, op)
    return doc


def _apply_op(doc: Any, op: dict[str, Any]) -> Any:
    name, path = op.get("op"), op.get("path", "")
    tokens = _pointer(path)
    if name == "add":
        return _add(doc, tokens, copy.deepcopy(op.get("value")), path)
    if name == "remove":
        _remove(doc, tokens, path)
        return doc
    if name == "replace":
        _get(doc, tokens, path)  # replace requires the target to exist
        if not tokens:
            return copy.deepcopy(op.get("value"))
        _remove(doc, tokens, path)
        return _add(doc, tokens, copy.deepcopy(op.get("value")), path)
    if name in ("move", "copy"):
        source = _pointer(op.get("from", ""))
        value = _get(doc, source, op.get("from", ""))
        if name == "move":
            _remove(doc, source, op.get("from", ""))
        return _add(doc, tokens, copy.deepcopy(value), path)
    if name == "test":
        if _get(doc, tokens, path) != op.get("value"):
            raise ApiError(422, f"test operation failed at {path!r}", "Invalid")
        return doc
    raise ApiError(422, f"unsupported json patch operation {name!r}", "Invalid")
