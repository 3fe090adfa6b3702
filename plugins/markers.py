"""Source: explicit setter markers on any YAML scalar, `key: 1.2.3 # {"$promote": "NAME"}`.

In the spirit of Flux's `$imagepolicy` markers. Comments do not survive rendering, so these
versions are read from the environment's own files only.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from promote.engine.errors import ConfigError
from promote.engine.model import ArtifactRef, Pin, TextEdit
from promote.engine.plugins import hookimpl
from promote.engine.yamlfiles.envfiles import EnvFiles, YamlDocument
from promote.engine.yamlfiles.yamlio import CommentedMap, CommentedSeq

NAME = "markers"
MARKER_KEY = "$promote"


def _marker(comment_tokens: Any) -> str | None:
    """The NAME of a `{"$promote": "NAME"}` end-of-line comment, if that is what it holds."""
    for token in comment_tokens or ():
        if token is None or not hasattr(token, "value"):
            continue
        text = (
            token.value.strip().splitlines()[0].lstrip("#").strip() if token.value.strip() else ""
        )
        if MARKER_KEY not in text:
            continue
        try:
            data = json.loads(text)
        except json.JSONDecodeError:
            continue
        if isinstance(data, dict) and isinstance(data.get(MARKER_KEY), str):
            return data[MARKER_KEY]
    return None


def _marked(node: Any) -> Iterator[tuple[CommentedMap | CommentedSeq, str | int, str]]:
    if isinstance(node, CommentedMap):
        for key, value in node.items():
            name = _marker(node.ca.items.get(key, [None, None, None, None])[2:3])
            if name and not isinstance(value, CommentedMap | CommentedSeq):
                yield node, key, name
            yield from _marked(value)
    elif isinstance(node, CommentedSeq):
        for index, value in enumerate(node):
            name = _marker(node.ca.items.get(index, [None])[0:1])
            if name and not isinstance(value, CommentedMap | CommentedSeq):
                yield node, index, name
            yield from _marked(value)


def _refuse_secret_value(document: YamlDocument, node: Any, name: str, pin: Pin) -> None:
    """A Secret's value would be shown in the plan, the commit subject and trailers, and logs."""
    data = document.data
    secret = isinstance(data, Mapping) and data.get("kind") == "Secret"
    if secret and any(node is data.get(field) for field in ("data", "stringData")):
        raise ConfigError(
            f"the marker {name!r} is on a Secret's value: secret values are never "
            "promoted (they would be printed and written into commit messages)",
            location=pin.location,
        )


class Markers:
    def pins(self, document: YamlDocument) -> Iterable[Pin]:
        for node, key, name in _marked(document.data):
            pin = document.scalar_pin(node, key, ArtifactRef("value", name), NAME)
            if pin is not None:
                _refuse_secret_value(document, node, name, pin)
                yield pin

    def versions(self, obj: Mapping[str, Any]) -> Iterable[tuple[ArtifactRef, str]]:
        return ()

    def override(self, files: EnvFiles, ref: ArtifactRef, version: str) -> list[TextEdit] | None:
        return None


@hookimpl
def promote_register_sources(register) -> None:
    register(NAME, Markers())
