"""Source: Flux CD objects. HelmRelease chart versions (also when an overlay's patch file sets
them, as in Flux's example repositories) and OCIRepository / GitRepository refs.

Names are `helmrelease/NAME/CHART`, `ocirepository/NAME`, `gitrepository/NAME`: never the
namespace, since overlays commonly put each environment in its own namespace and the artifact must
be the same one in all of them. A patch file often sets only the version (no chart name), so its
pin uses `*` for the chart and matches any.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from engine.envfiles import EnvFiles, YamlDocument
from engine.model import ArtifactRef, Pin, TextEdit
from engine.overrides import patch_override
from engine.plugins import hookimpl
from engine.yamlio import CommentedMap

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


# With a `target:` selector the patch's own apiVersion does not have to match the base's.
OVERRIDE_API_VERSIONS = {
    "HelmRelease": "helm.toolkit.fluxcd.io/v2",
    "OCIRepository": "source.toolkit.fluxcd.io/v1beta2",
    "GitRepository": "source.toolkit.fluxcd.io/v1",
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
        """A version inherited from a base gets a targeted patch file of the environment's own."""
        prefix, _, rest = ref.name.partition("/")
        kind = next((k for k, spec in FLUX_KINDS.items() if spec[1] == prefix), None)
        if kind is None or FLUX_KINDS[kind][0] != ref.kind:
            return None
        return patch_override(
            files,
            api_version=OVERRIDE_API_VERSIONS[kind],
            kind=kind,
            name=rest.split("/")[0],
            path=_override_path(kind, version),
            version=version,
        )


def _override_path(kind: str, version: str) -> tuple[str, ...]:
    """Where a patch puts the version: the chart version, or the ref key the value looks like."""
    if kind == "HelmRelease":
        return ("spec", "chart", "spec", "version")
    if version.startswith("sha256:"):
        return ("spec", "ref", "digest")
    if (
        kind == "GitRepository"
        and len(version) == 40
        and all(c in "0123456789abcdef" for c in version)
    ):
        return ("spec", "ref", "commit")
    return ("spec", "ref", "tag")


@hookimpl
def promote_register_sources(register) -> None:
    register(NAME, Flux())
