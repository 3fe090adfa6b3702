"""Pin an inherited value in an environment's own files with a targeted kustomize patch.

When the base sets a version and the environment does not, the environment gets a small
strategic-merge patch file of its own plus a `patches:` entry with a `target:` selector (kind and
name): without the selector a patch that lacks the base's namespace would match nothing.
The patch file is then an ordinary pin for the next promotion.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import PurePosixPath

from promote.engine.model import TextEdit
from promote.engine.yamlfiles.envfiles import EnvFiles
from promote.engine.yamlfiles.yamledit import append_block_item
from promote.engine.yamlfiles.yamlio import format_scalar


def patch_override(
    files: EnvFiles,
    *,
    api_version: str,
    kind: str,
    name: str,
    path: Sequence[str],
    version: str | Mapping[str, str | None],
) -> list[TextEdit] | None:
    """Edits that create `<name>-<last key>.yaml` setting `path` to `version`, and bind it.

    A mapping `version` sets each of its keys under `path`; a None value is written `null`, which
    deletes that key of the base (a Flux ref must hold exactly one ref key)."""
    kustomization = files.kustomization
    if kustomization is None:
        return None
    patch = _free_name(files, f"{name}-{path[-1].lower()}.yaml")
    entry = {"path": patch.name, "target": {"kind": kind, "name": name}}
    return [
        TextEdit(patch, 0, 0, _patch_text(files.env_name, api_version, kind, name, path, version)),
        append_block_item(kustomization, "patches", entry),
    ]


def _patch_text(
    env: str,
    api_version: str,
    kind: str,
    name: str,
    path: Sequence[str],
    version: str | Mapping[str, str | None],
) -> str:
    lines = [
        f"# Written by promote: {env} pins this instead of inheriting the base's.",
        f"apiVersion: {api_version}",
        f"kind: {kind}",
        "metadata:",
        f"  name: {name}",
    ]
    for depth, key in enumerate(path[:-1]):
        lines.append("  " * depth + f"{key}:")
    if isinstance(version, str):
        lines.append("  " * (len(path) - 1) + f"{path[-1]}: {_spelled(version)}")
    else:
        lines.append("  " * (len(path) - 1) + f"{path[-1]}:")
        lines.extend("  " * len(path) + f"{key}: {_spelled(v)}" for key, v in version.items())
    return "\n".join(lines) + "\n"


def _spelled(value: str | None) -> str:
    return "null" if value is None else format_scalar(value, '"')


def _free_name(files: EnvFiles, name: str) -> PurePosixPath:
    stem, suffix = name.rsplit(".", 1)
    candidate, number = files.env_path / name, 1
    while files.exists(candidate):
        number += 1
        candidate = files.env_path / f"{stem}-{number}.{suffix}"
    return candidate
