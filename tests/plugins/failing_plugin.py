"""A plugin that misbehaves on purpose, registered by tests through the normal plugin path."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from promote.engine.model import ArtifactRef, Pin, TextEdit
from promote.engine.plugins import hookimpl

MODE = {"value": "plan"}  # which failure to produce; tests set it


@hookimpl
def promote_plan_ready(plan: Any) -> None:
    if MODE["value"] == "plan":
        raise RuntimeError("the audit service is down")


class BreaksYaml:
    """Rewrites every marker scalar into text that is no longer YAML, to force a render failure."""

    def pins(self, document: Any) -> Iterable[Pin]:
        if MODE["value"] != "break-yaml":
            return []
        from promote.plugins.markers import Markers

        return [
            Pin(pin.ref, pin.version, pin.file, pin.line, pin.column, "breaks-yaml", _broken(pin))
            for pin in Markers().pins(document)
        ]

    def versions(self, obj: Mapping[str, Any]) -> Iterable[tuple[ArtifactRef, str]]:
        return ()

    def override(self, files: Any, ref: ArtifactRef, version: str) -> list[TextEdit] | None:
        return None


def _broken(pin: Pin) -> Callable[[str], list[TextEdit]]:
    def rewrite(version: str) -> list[TextEdit]:
        # Inserted before the scalar, so it never overlaps the markers source's own edit.
        return [TextEdit(e.file, e.start, e.start, "[unclosed ") for e in pin.rewrite(version)]

    return rewrite


@hookimpl
def promote_register_sources(register: Any) -> None:
    register("breaks-yaml", BreaksYaml())
