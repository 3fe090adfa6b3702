"""Source: the `images:` transformer entries of an environment's kustomization.

An entry is keyed by the normalised name of the image it produces (`newName`, else `name`), which
is also what the rendered containers show, so the entry and the rendered image are the same
artifact. Kustomize itself matches `name` literally (`docker.io/library/nginx` does not match a
container's `nginx:1.24`), so a new entry is spelled the way the rendered containers spell it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from promote.engine.model import ArtifactRef, Pin, TextEdit
from promote.engine.plugins import hookimpl
from promote.engine.versions.imageref import join_version, normalize_name, split_version
from promote.engine.yamlfiles.envfiles import EnvFiles, YamlDocument
from promote.engine.yamlfiles.yamledit import append_block_item, insert_key_after, remove_key
from promote.engine.yamlfiles.yamlio import CommentedMap
from promote.plugins.container_images import spellings

NAME = "kustomize-images"


class KustomizeImages:
    def pins(self, document: YamlDocument) -> Iterable[Pin]:
        data = document.data
        if not document.is_kustomization or not isinstance(data, CommentedMap):
            return
        for entry in data.get("images") or []:
            if isinstance(entry, CommentedMap) and "name" in entry:
                yield from self._entry_pin(document, entry)

    def _entry_pin(self, document: YamlDocument, entry: CommentedMap) -> Iterable[Pin]:
        ref = ArtifactRef("image", normalize_name(str(entry.get("newName") or entry["name"])))
        current = join_version(_text(entry.get("newTag")), _text(entry.get("digest")))
        anchor = "newTag" if "newTag" in entry else "digest" if "digest" in entry else "name"
        pin = document.scalar_pin(entry, anchor, ref, NAME, version=current)
        if pin is None:
            return

        def rewrite(version: str) -> list[TextEdit]:
            return _rewrite_entry(document, entry, version)

        yield Pin(pin.ref, current, pin.file, pin.line, pin.column, NAME, rewrite)

    def versions(self, obj: Mapping[str, Any]) -> Iterable[tuple[ArtifactRef, str]]:
        return ()  # a kustomization is not rendered; its effect shows in the containers

    def override(
        self,
        files: EnvFiles,
        ref: ArtifactRef,
        version: str,
        *,
        rendered: Sequence[Mapping[str, Any]] = (),
    ) -> list[TextEdit] | None:
        """One entry per spelling of the image in the rendered containers, as kustomize matches."""
        kustomization = files.kustomization
        names = spellings(rendered, ref.name) if ref.kind == "image" else []
        if kustomization is None or not names:
            return None
        tag, digest = split_version(version)
        versions = {"newTag": tag, "digest": digest}
        items = [{"name": name} | {k: v for k, v in versions.items() if v} for name in names]
        return [append_block_item(kustomization, "images", *items)]


def _text(value: object) -> str | None:
    return None if value is None else str(value)


def _rewrite_entry(document: YamlDocument, entry: CommentedMap, version: str) -> list[TextEdit]:
    """Set newTag/digest to the new version, adding or dropping those keys as needed."""
    wanted = dict(zip(("newTag", "digest"), split_version(version), strict=True))
    edits: list[TextEdit] = []
    for key, value in wanted.items():
        if key in entry and value is not None:
            pin = document.scalar_pin(entry, key, ArtifactRef("image", ""), NAME)
            if pin is not None:
                edits.extend(pin.rewrite(value))
        elif key in entry:
            edits.append(remove_key(document, entry, key))
        elif value is not None:
            after = "newTag" if "newTag" in entry else "newName" if "newName" in entry else "name"
            edits.append(insert_key_after(document, entry, after, key, value))
    return edits


@hookimpl
def promote_register_sources(register) -> None:
    register(NAME, KustomizeImages())
