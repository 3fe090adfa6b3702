"""Source: `image:` of containers in any object with a pod spec (workloads, Pods, patches).

An image is keyed by its normalised name (`nginx` is `docker.io/library/nginx`) and rewritten in
the spelling the file uses: only the tag or digest changes.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from promote.engine.model import ArtifactRef, Pin, TextEdit
from promote.engine.plugins import hookimpl
from promote.engine.versions.imageref import ImageRef
from promote.engine.yamlfiles.envfiles import EnvFiles, YamlDocument
from promote.engine.yamlfiles.yamlio import CommentedMap

CONTAINER_LISTS = ("containers", "initContainers", "ephemeralContainers")
NAME = "container-images"


def _containers(node: Any) -> Iterator[Mapping[str, Any]]:
    """Every container mapping under `node`, at any depth (pod templates nest differently)."""
    if isinstance(node, Mapping):
        for key, value in node.items():
            if key in CONTAINER_LISTS and isinstance(value, list):
                yield from (c for c in value if isinstance(c, Mapping) and "image" in c)
            else:
                yield from _containers(value)
    elif isinstance(node, list):
        for item in node:
            yield from _containers(item)


def spellings(objects: Iterable[Mapping[str, Any]], name: str) -> list[str]:
    """How the containers of `objects` write the image whose normalised name is `name`."""
    written = (ImageRef.parse(str(c["image"])) for obj in objects for c in _containers(obj))
    return list(dict.fromkeys(image.name for image in written if image.normalized == name))


class ContainerImages:
    def pins(self, document: YamlDocument) -> Iterable[Pin]:
        if document.is_kustomization:
            return
        for container in _containers(document.data):
            if not isinstance(container, CommentedMap) or not isinstance(container["image"], str):
                continue
            image = ImageRef.parse(container["image"])
            pin = document.scalar_pin(
                container,
                "image",
                ArtifactRef("image", image.normalized),
                NAME,
                version=image.version,
                compose=image.with_version,
            )
            if pin is not None:
                yield pin

    def versions(self, obj: Mapping[str, Any]) -> Iterable[tuple[ArtifactRef, str]]:
        for container in _containers(obj):
            image = ImageRef.parse(str(container["image"]))
            yield ArtifactRef("image", image.normalized), image.version

    def override(self, files: EnvFiles, ref: ArtifactRef, version: str) -> list[TextEdit] | None:
        return None  # a plain manifest cannot override a base; kustomize-images does that


@hookimpl
def promote_register_sources(register) -> None:
    register(NAME, ContainerImages())
