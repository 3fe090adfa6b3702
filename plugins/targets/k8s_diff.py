"""Unified diffs of desired vs live, with Secret values replaced by hashes on both sides."""

from __future__ import annotations

import base64
import binascii
import contextlib
import difflib
import hashlib
from typing import Any

from engine.yamlio import dump_all
from plugins.targets.k8s_objects import ObjectRef

# TODO(reconcile): unify with engine/secrets.py once it lands on main.
SECRET_FIELDS = ("data", "stringData")


def value_hash(value: Any, *, encoded: bool) -> str:
    raw = str(value).encode()
    if encoded:
        # not base64: hash what is there, still never print it
        with contextlib.suppress(binascii.Error, ValueError):
            raw = base64.b64decode(raw, validate=True)
    return "sha256:" + hashlib.sha256(raw).hexdigest()[:12]


def masked(obj: dict[str, Any] | None) -> dict[str, Any] | None:
    """A copy of `obj` in which no Secret value survives."""
    if obj is None or obj.get("kind") != "Secret":
        return obj
    copy = dict(obj)
    for field in SECRET_FIELDS:
        if isinstance(copy.get(field), dict):
            copy[field] = {
                k: value_hash(v, encoded=field == "data") for k, v in copy[field].items()
            }
    return copy


def object_diff(
    ref: ObjectRef, live: dict[str, Any] | None, desired: dict[str, Any] | None, note: str = ""
) -> str:
    """One object's unified diff; `live` is already restricted to what desired manages."""
    before = _yaml(masked(live))
    after = _yaml(masked(desired))
    lines = difflib.unified_diff(
        before,
        after,
        fromfile=f"live/{ref}" if live is not None else "/dev/null",
        tofile=f"desired/{ref}" if desired is not None else "/dev/null",
    )
    text = "".join(lines)
    if note:
        text += "".join(f"# {line}\n" for line in note.splitlines())
    return text


def _yaml(obj: dict[str, Any] | None) -> list[str]:
    if obj is None:
        return []
    return dump_all([obj]).splitlines(keepends=True)
