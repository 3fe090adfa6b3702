"""Rendering an environment for output: the objects, and one file per object."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from promote.engine.errors import ReconcileError
from promote.engine.yamlfiles.yamlio import dump_all


def object_file_name(obj: dict[str, Any]) -> str:
    """`apps_v1_deployment_shop_web.yaml`: stable, unique per object, safe on every filesystem."""
    group_version = str(obj.get("apiVersion", "")).replace("/", "_")
    metadata = obj.get("metadata") or {}
    parts = [
        group_version,
        str(obj.get("kind", "")),
        metadata.get("namespace") or "_cluster",
        metadata.get("name", ""),
    ]
    return re.sub(r"[^A-Za-z0-9_.-]", "-", "_".join(parts)).lower() + ".yaml"


def rendered_files(objects: list[dict[str, Any]]) -> dict[str, bytes]:
    """File name → content, in rendering order; two objects may not share a file."""
    files: dict[str, bytes] = {}
    for obj in objects:
        name = object_file_name(obj)
        if name in files:
            raise ReconcileError(f"two rendered objects map to the same file {name}")
        files[name] = dump_all([obj]).encode("utf-8")
    return files


def write_objects(objects: list[dict[str, Any]], directory: Path) -> list[Path]:
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for name, content in rendered_files(objects).items():
        path = directory / name
        path.write_bytes(content)
        written.append(path)
    return written
