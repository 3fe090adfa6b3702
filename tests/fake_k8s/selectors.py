"""Label and field selectors with the grammar the API server accepts."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from .errors import ApiError

Predicate = Callable[[dict[str, str]], bool]

_SET_RE = re.compile(r"^\s*(!?)\s*([A-Za-z0-9_./-]+)\s*(?:(notin|in)\s*\(([^)]*)\))?\s*$")
_EQ_RE = re.compile(r"^\s*([A-Za-z0-9_./-]+)\s*(==|!=|=)\s*([A-Za-z0-9_.-]*)\s*$")


def split_requirements(selector: str) -> list[str]:
    """Split on commas that are not inside `in (a,b)` value sets."""
    parts: list[str] = []
    depth = 0
    current = ""
    for char in selector:
        depth += {"(": 1, ")": -1}.get(char, 0)
        if char == "," and depth == 0:
            parts.append(current)
            current = ""
        else:
            current += char
    parts.append(current)
    return [p for p in parts if p.strip()]


def _requirement(text: str) -> Predicate:
    eq = _EQ_RE.match(text)
    if eq:
        key, op, value = eq.groups()
        if op == "!=":
            return lambda labels: labels.get(key) != value
        return lambda labels: labels.get(key) == value
    match = _SET_RE.match(text)
    if not match:
        raise ApiError(400, f"unable to parse requirement: {text!r}", "BadRequest")
    bang, key, op, values = match.groups()
    if op is None:
        return (lambda labels: key not in labels) if bang else (lambda labels: key in labels)
    if bang:
        raise ApiError(400, f"unable to parse requirement: {text!r}", "BadRequest")
    allowed = {v.strip() for v in values.split(",") if v.strip()}
    if op == "in":
        return lambda labels: labels.get(key) in allowed
    return lambda labels: labels.get(key) not in allowed


def label_matcher(selector: str | None) -> Predicate:
    if not selector:
        return lambda _labels: True
    predicates = [_requirement(part) for part in split_requirements(selector)]
    return lambda labels: all(pred(labels) for pred in predicates)


# Only the metadata fields every resource supports; others are rejected like the real server.
_FIELD_GETTERS: dict[str, Callable[[dict[str, Any]], str]] = {
    "metadata.name": lambda obj: obj.get("metadata", {}).get("name", ""),
    "metadata.namespace": lambda obj: obj.get("metadata", {}).get("namespace", ""),
}


def field_matcher(selector: str | None) -> Callable[[dict[str, Any]], bool]:
    if not selector:
        return lambda _obj: True
    checks: list[Callable[[dict[str, Any]], bool]] = []
    for part in split_requirements(selector):
        match = _EQ_RE.match(part)
        if not match or match.group(1) not in _FIELD_GETTERS:
            raise ApiError(400, f'field label not supported: "{part.strip()}"', "BadRequest")
        checks.append(_field_check(_FIELD_GETTERS[match.group(1)], match.group(2), match.group(3)))
    return lambda obj: all(check(obj) for check in checks)


def _field_check(
    getter: Callable[[dict[str, Any]], str], op: str, value: str
) -> Callable[[dict[str, Any]], bool]:
    if op == "!=":
        return lambda obj: getter(obj) != value
    return lambda obj: getter(obj) == value
