"""Source: versions inside inline patches of a kustomization (`patch: |` block scalars).

Overlays often set a version without a patch file:

    patches:
      - target: {kind: HelmRelease, name: podinfo}
        patch: |-
          - op: replace
            path: /spec/chart/spec/version
            value: "6.5.0"

The block scalar's text is parsed as YAML on its own; each of its lines is the file's line at a
fixed indentation, so a pin found in the patch maps back to the exact characters in the
kustomization, and a promotion rewrites the value where it stands instead of adding an override.
JSON 6902 operations are read by their `path`; strategic-merge patches by the other built-in
sources (container images, Flux, Argo CD).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import replace
from typing import Any

from promote.engine.errors import ConfigError
from promote.engine.model import ArtifactRef, Pin, TextEdit
from promote.engine.plugins import hookimpl
from promote.engine.versions.imageref import ImageRef
from promote.engine.yamlfiles.envfiles import EnvFiles, YamlDocument, YamlFile
from promote.engine.yamlfiles.yamlio import CommentedMap, CommentedSeq
from promote.plugins.argocd import ArgoCD, listed_source_artifact
from promote.plugins.container_images import ContainerImages
from promote.plugins.flux import Flux
from promote.plugins.flux_refs import FluxRef, value_for_key

NAME = "kustomize-inline-patches"
PATCH_LISTS = ("patches", "patchesJson6902", "patchesStrategicMerge")
IMAGE_PATH = re.compile(
    r"^/spec/(jobTemplate/spec/)?(template/spec/)?(init)?[cC]ontainers/\d+/image$"
)
ARGO_SOURCES_PATH = re.compile(r"^/spec/sources/(\d+)/targetRevision$")
FLUX_REF_PATH = re.compile(r"^/spec/ref/(tag|semver|digest|commit|branch|name)$")
FLUX_REF_KINDS = {
    "OCIRepository": ("oci", "ocirepository"),
    "GitRepository": ("git", "gitrepository"),
}


class InlinePatch:
    """The text of one `patch: |` block scalar and how its offsets map into the file."""

    def __init__(self, file: YamlFile, first_line: int, indent: int, text: str) -> None:
        self.file = file
        self.first_line = first_line
        self.indent = indent
        # Not named like a kustomization, so the sources read it as the object patch it is.
        self.view = YamlFile(file.path.with_name(f"{file.path.name}#patch"), text)

    def to_file(self, offset: int) -> int:
        line = self.view.index.line_of(offset)
        column = offset - self.view.index.starts[line]
        # A line's start stays the line's start, so an edit of whole lines takes their indentation.
        return self.file.index.offset(self.first_line + line, self.indent + column if column else 0)

    def indented(self, edit: TextEdit) -> str:
        """The edit's text with every line it begins indented like the block's lines."""
        pad = " " * self.indent
        text = re.sub(r"\n(?=[^\n])", "\n" + pad, edit.replacement)
        at_line_start = edit.start in self.view.index.starts
        return pad + text if at_line_start and text else text

    def translate(
        self, rewrite: Callable[[str], list[TextEdit]]
    ) -> Callable[[str], list[TextEdit]]:
        def in_file(version: str) -> list[TextEdit]:
            return [
                TextEdit(
                    self.file.path, self.to_file(e.start), self.to_file(e.end), self.indented(e)
                )
                for e in rewrite(version)
            ]

        return in_file

    def pin(self, pin: Pin) -> Pin:
        line = self.first_line + pin.line - 1
        column = self.indent + pin.column
        return replace(
            pin,
            file=self.file.path,
            line=line + 1,
            column=column,
            source=NAME,
            rewrite=self.translate(pin.rewrite),
        )


def inline_patch(
    document: YamlDocument, entry: CommentedMap | CommentedSeq, key: Any
) -> InlinePatch | None:
    """The block scalar at `entry[key]`, if its lines really are the file's lines shifted right."""
    text = entry[key]
    if not isinstance(text, str) or "\n" not in text:
        return None
    line, _ = entry.lc.item(key) if isinstance(entry, CommentedSeq) else entry.lc.value(key)
    index = document.file.index
    first = line + 1
    if first >= len(index.starts):
        return None
    content_line = index.text[index.starts[first] : index.line_end(first)]
    indent = len(content_line) - len(content_line.lstrip(" "))
    for number, expected in enumerate(text.rstrip("\n").split("\n")):
        actual = index.text[index.starts[first + number] : index.line_end(first + number)]
        if actual[indent:] != expected and (expected or actual.strip()):
            return None  # folded or escaped: not a 1:1 copy of the file's lines
    return InlinePatch(document.file, first, indent, text)


class KustomizeInlinePatches:
    def pins(self, document: YamlDocument) -> Iterable[Pin]:
        data = document.data
        if not document.is_kustomization or not isinstance(data, CommentedMap):
            return
        for entry, key, target in _patch_texts(data):
            patch = inline_patch(document, entry, key)
            if patch is None:
                continue
            try:
                patch_documents = patch.view.documents
            except ConfigError:
                continue  # kustomize will report an unreadable patch when it renders
            for patch_document in patch_documents:
                yield from (patch.pin(p) for p in _patch_pins(patch_document, target))

    def versions(self, obj: Mapping[str, Any]) -> Iterable[tuple[ArtifactRef, str]]:
        return ()

    def override(self, files: EnvFiles, ref: ArtifactRef, version: str) -> list[TextEdit] | None:
        return None


def _patch_texts(data: CommentedMap) -> Iterator[tuple[Any, Any, Mapping[str, Any]]]:
    """(container, key, target) of every inline patch text in the kustomization."""
    for list_name in PATCH_LISTS:
        entries = data.get(list_name) or []
        for number, entry in enumerate(entries):
            if isinstance(entry, CommentedMap) and isinstance(entry.get("patch"), str):
                yield entry, "patch", entry.get("target") or {}
            elif isinstance(entry, str) and isinstance(entries, CommentedSeq) and "\n" in entry:
                yield entries, number, {}


def _patch_pins(document: YamlDocument, target: Mapping[str, Any]) -> Iterator[Pin]:
    if isinstance(document.data, CommentedSeq):
        yield from _json6902_pins(document, target)
    elif isinstance(document.data, CommentedMap):
        for source in (ContainerImages(), Flux(), ArgoCD()):
            yield from source.pins(document)


def _json6902_pins(document: YamlDocument, target: Mapping[str, Any]) -> Iterator[Pin]:
    for operation in document.data:
        if not isinstance(operation, CommentedMap) or operation.get("op") not in ("add", "replace"):
            continue
        if not isinstance(operation.get("value"), str | int | float):
            continue
        found = _json6902_ref(str(operation.get("path", "")), target, str(operation["value"]))
        if found is not None:
            ref, version, compose = found
            pin = document.scalar_pin(
                operation, "value", ref, NAME, version=version, compose=compose
            )
            if pin is not None:
                yield _named_by_rendering(pin, str(operation["path"]), target)


def _named_by_rendering(pin: Pin, path: str, target: Mapping[str, Any]) -> Pin:
    """An Argo CD `sources` entry is addressed by position: the rendered Application names it."""
    position = ARGO_SOURCES_PATH.match(path)
    if position is None or target.get("kind") != "Application":
        return pin
    app, at = str(target.get("name", "*")), int(position[1])
    return replace(pin, resolve=lambda objects: listed_source_artifact(objects, app, at))


def _json6902_ref(
    path: str, target: Mapping[str, Any], value: str
) -> tuple[ArtifactRef, str, Callable[[str], str]] | None:
    kind, name = target.get("kind"), target.get("name", "*")
    if IMAGE_PATH.match(path):
        image = ImageRef.parse(value)
        return ArtifactRef("image", image.normalized), image.version, image.with_version
    if path == "/spec/chart/spec/version" and kind == "HelmRelease":
        return ArtifactRef("chart", f"helmrelease/{name}/*"), value, str
    if path == "/spec/source/targetRevision" and kind == "Application":
        return ArtifactRef("*", f"application/{name}"), value, str
    if ARGO_SOURCES_PATH.match(path) and kind == "Application":
        return ArtifactRef("*", f"application/{name}/*"), value, str  # named once rendered
    if (match := FLUX_REF_PATH.match(path)) and kind in FLUX_REF_KINDS:
        artifact_kind, prefix = FLUX_REF_KINDS[kind]
        key = match.group(1)
        return (
            ArtifactRef(artifact_kind, f"{prefix}/{name}"),
            str(FluxRef(key, value)),
            lambda version: value_for_key(kind, key, version),
        )
    return None


@hookimpl
def promote_register_sources(register) -> None:
    register(NAME, KustomizeInlinePatches())
