"""Rendering an environment for output: the objects, and one file per object."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from engine.yamlio import dump_all


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


def write_objects(objects: list[dict[str, Any]], directory: Path) -> list[Path]:
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for obj in objects:
        path = directory / object_file_name(obj)
        path.write_text(dump_all([obj]), encoding="utf-8")
        written.append(path)
    return written
