"""Source: Flux CD objects. HelmRelease chart versions (also when an overlay's patch file sets
them, as in Flux's example repositories) and OCIRepository / GitRepository refs.

Names are `helmrelease/NAME/CHART`, `ocirepository/NAME`, `gitrepository/NAME`: never the
namespace, since overlays commonly put each environment in its own namespace and the artifact must
be the same one in all of them. A patch file often sets only the version (no chart name), so its
pin uses `*` for the chart and matches any.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import PurePosixPath
from typing import Any

from engine.envfiles import EnvFiles, YamlDocument
from engine.model import ArtifactRef, Pin, TextEdit
from engine.plugins import hookimpl
from engine.yamledit import append_block_item
from engine.yamlio import CommentedMap, format_scalar

NAME = "flux"
# kind → (artifact kind, name prefix, where the version may live, first present wins)
FLUX_KINDS: dict[str, tuple[str, str, tuple[tuple[str, ...], ...]]] = {
    "HelmRelease": ("chart", "helmrelease", (("spec", "chart", "spec", "version"),)),
    "OCIRepository": (
        "image",
        "ocirepository",
        tuple(("spec", "ref", key) for key in ("digest", "tag", "semver")),
    ),
    "GitRepository": (
        "git",
        "gitrepository",
        tuple(("spec", "ref", key) for key in ("commit", "tag", "semver", "name", "branch")),
    ),
}


def _is_flux(obj: Any) -> bool:
    return (
        isinstance(obj, Mapping)
        and obj.get("kind") in FLUX_KINDS
        and str(obj.get("apiVersion", "")).split("/")[0].endswith(".toolkit.fluxcd.io")
    )


def _ref(obj: Mapping[str, Any]) -> ArtifactRef:
    kind, prefix, _ = FLUX_KINDS[obj["kind"]]
    name = f"{prefix}/{(obj.get('metadata') or {}).get('name', '')}"
    if obj["kind"] == "HelmRelease":
        chart = ((obj.get("spec") or {}).get("chart") or {}).get("spec") or {}
        name += f"/{chart.get('chart') or '*'}"
    return ArtifactRef(kind, name)


def _find(obj: Mapping[str, Any]) -> tuple[Mapping[str, Any], str] | None:
    """The mapping that holds the version and its key, for the first path present."""
    for path in FLUX_KINDS[obj["kind"]][2]:
        node: Any = obj
        for step in path[:-1]:
            node = node.get(step) if isinstance(node, Mapping) else None
        if isinstance(node, Mapping) and node.get(path[-1]) not in (None, ""):
            return node, path[-1]
    return None


CHART_PATCH = """\
# Written by promote: {env} pins this chart version instead of inheriting the base's.
apiVersion: helm.toolkit.fluxcd.io/v2
kind: HelmRelease
metadata:
  name: {release}
spec:
  chart:
    spec:
      version: {version_text}
"""


def _free_name(files: EnvFiles, name: str) -> PurePosixPath:
    stem, suffix = name.rsplit(".", 1)
    candidate, number = files.env_path / name, 1
    while (files.repo_root / candidate).exists():
        number += 1
        candidate = files.env_path / f"{stem}-{number}.{suffix}"
    return candidate


class Flux:
    def pins(self, document: YamlDocument) -> Iterable[Pin]:
        if not _is_flux(document.data):
            return
        found = _find(document.data)
        if found is None or not isinstance(found[0], CommentedMap):
            return
        node, key = found
        pin = document.scalar_pin(node, key, _ref(document.data), NAME)
        if pin is not None:
            yield pin

    def versions(self, obj: Mapping[str, Any]) -> Iterable[tuple[ArtifactRef, str]]:
        if _is_flux(obj) and (found := _find(obj)) is not None:
            yield _ref(obj), str(found[0][found[1]])

    def override(self, files: EnvFiles, ref: ArtifactRef, version: str) -> list[TextEdit] | None:
        """A chart version inherited from a base gets a patch file of the environment's own.

        The patch is bound with a `target:` selector, because a patch without the base's
        namespace would match nothing (kustomize matches patches by namespace too).
        """
        kustomization = files.kustomization
        if ref.kind != "chart" or not ref.name.startswith("helmrelease/") or not kustomization:
            return None
        release = ref.name.split("/")[1]
        patch = _free_name(files, f"{release}-chart-version.yaml")
        entry = {"path": patch.name, "target": {"kind": "HelmRelease", "name": release}}
        text = CHART_PATCH.format(
            env=files.env_path.name, release=release, version_text=format_scalar(version, '"')
        )
        return [
            TextEdit(patch, 0, 0, text),
            append_block_item(kustomization, "patches", entry),
        ]


@hookimpl
def promote_register_sources(register) -> None:
    register(NAME, Flux())
