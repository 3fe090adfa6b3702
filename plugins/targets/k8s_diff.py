"""Unified diffs of desired vs live, with Secret values replaced by hashes on both sides."""

from __future__ import annotations

import difflib
from typing import Any

from promote.engine.secrets import mask_secret
from promote.engine.yamlfiles.yamlio import dump_all
from promote.plugins.targets.k8s_objects import ObjectRef


def object_diff(
    ref: ObjectRef, live: dict[str, Any] | None, desired: dict[str, Any] | None, note: str = ""
) -> str:
    """One object's unified diff; `live` is already restricted to what desired manages."""
    before = _yaml(live)
    after = _yaml(desired)
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
    return dump_all([mask_secret(obj)]).splitlines(keepends=True)
