"""Source: the conventional image blocks of Helm values files (`values-prod.yaml`).

    frontend:
      image:
        registry: ghcr.io          # optional
        repository: acme/frontend
        tag: "1.4.2"
        digest: ""                 # optional; empty means unset, as charts read it

Found at any depth, only in YAML documents that are not Kubernetes objects (nor kustomizations):
the values an Argo CD Application's `helm.valueFiles` or a Flux HelmRelease's `valuesFrom`
ConfigMap hands to a chart. The artifact is the image the chart runs, `registry/repository`, and
only the `tag` and `digest` scalars are rewritten. A rendered ConfigMap whose data holds such a
file (kustomize's `configMapGenerator`) shows what the environment runs.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import replace
from typing import Any

from promote.engine.errors import ConfigError, Location
from promote.engine.model import ArtifactRef, Pin, TextEdit
from promote.engine.plugins import hookimpl
from promote.engine.versions.imageref import ImageRef, join_version, split_version
from promote.engine.yamlfiles.envfiles import EnvFiles, YamlDocument, is_kubernetes_object
from promote.engine.yamlfiles.yamledit import insert_key_after
from promote.engine.yamlfiles.yamlio import CommentedMap, load_safe

NAME = "helm-values"
VERSION_KEYS = ("tag", "digest")


def _set(block: Mapping[str, Any], key: str) -> str | None:
    """The block's `key` as a chart reads it: empty or absent is unset."""
    value = block.get(key)
    return None if value in (None, "") or isinstance(value, Mapping | list) else str(value)


def _image_blocks(node: Any) -> Iterator[Mapping[str, Any]]:
    """Every `image:` mapping with a repository and a tag or digest, at any depth."""
    if isinstance(node, Mapping):
        for key, value in node.items():
            if key == "image" and _is_image_block(value):
                yield value
            else:
                yield from _image_blocks(value)
    elif isinstance(node, list):
        for item in node:
            yield from _image_blocks(item)


def _is_image_block(value: Any) -> bool:
    return (
        isinstance(value, Mapping)
        and isinstance(value.get("repository"), str)
        and any(_set(value, key) for key in VERSION_KEYS)
    )


def _artifact(block: Mapping[str, Any]) -> tuple[ArtifactRef, str]:
    registry = _set(block, "registry")
    image = ImageRef.parse(f"{registry}/{block['repository']}" if registry else block["repository"])
    version = join_version(_set(block, "tag"), _set(block, "digest"))
    return ArtifactRef("image", image.name), version


def _is_values(data: Any) -> bool:
    return isinstance(data, Mapping) and not is_kubernetes_object(data)


class HelmValues:
    def pins(self, document: YamlDocument) -> Iterable[Pin]:
        if document.is_kustomization or not _is_values(document.data):
            return
        for block in _image_blocks(document.data):
            if not isinstance(block, CommentedMap):
                continue
            ref, version = _artifact(block)
            anchor = "tag" if "tag" in block else "digest"
            pin = document.scalar_pin(block, anchor, ref, NAME, version=version)
            if pin is not None:
                yield replace(pin, rewrite=_rewriter(document, block))

    def versions(self, obj: Mapping[str, Any]) -> Iterable[tuple[ArtifactRef, str]]:
        if obj.get("kind") != "ConfigMap" or not isinstance(obj.get("data"), Mapping):
            return
        for key, text in obj["data"].items():
            if str(key).endswith((".yaml", ".yml")) and isinstance(text, str):
                for document in _documents(text):
                    yield from (_artifact(block) for block in _image_blocks(document))

    def override(self, files: EnvFiles, ref: ArtifactRef, version: str) -> list[TextEdit] | None:
        return None  # kustomize-images pins an inherited image; a values file is always own


def _documents(text: str) -> list[Any]:
    try:
        return [d for d in load_safe(text, "ConfigMap data") if _is_values(d)]
    except ConfigError:
        return []  # not YAML after all: a chart would not read it either


def _rewriter(document: YamlDocument, block: CommentedMap) -> Callable[[str], list[TextEdit]]:
    def rewrite(version: str) -> list[TextEdit]:
        """Set tag and digest; a key the block lacks is added, one it no longer needs emptied."""
        edits: list[TextEdit] = []
        after = "repository"
        for key, value in zip(VERSION_KEYS, split_version(version), strict=True):
            if key in block:
                pin = document.scalar_pin(block, key, ArtifactRef("image", ""), NAME)
                if pin is None:
                    raise ConfigError(
                        f"cannot rewrite the multi-line image {key}", location=_at(document, block)
                    )
                edits.extend(pin.rewrite(value or ""))
                after = key
            elif value is not None:
                edits.append(_insert(document, block, after, key, value))
        return edits

    return rewrite


def _insert(
    document: YamlDocument, block: CommentedMap, after: str, key: str, value: str
) -> TextEdit:
    if block.fa.flow_style():
        raise ConfigError(
            f"cannot add `{key}: {value}` to an image block written in flow style "
            "(`image: {...}`); add the key there yourself",
            location=_at(document, block),
        )
    return insert_key_after(document, block, after, key, value)


def _at(document: YamlDocument, block: CommentedMap) -> Location:
    return Location(document.file.path, block.lc.line + 1)


@hookimpl
def promote_register_sources(register) -> None:
    register(NAME, HelmValues())
