"""Source: Flux CD objects. HelmRelease and HelmChart chart versions (also when an overlay's patch
file sets them, as in Flux's example repositories) and OCIRepository / GitRepository refs.

Names are `helmrelease/NAME/CHART`, `helmchart/NAME/CHART`, `ocirepository/NAME`,
`gitrepository/NAME`: never the namespace, since overlays commonly put each environment in its own
namespace and the artifact must be the same one in all of them. A patch file often sets only the
version (no chart name), so its pin uses `*` for the chart and matches any.

A HelmRelease with `chartRef` (Flux's newer pattern) has no chart version of its own: the version
is the ref of the OCIRepository it points to, which is an artifact here like any other. Ref
versions are the effective ref with its key (see plugins/flux_refs.py); chart versions are the
version or range as written, `*` (the latest chart) when absent, as Flux reads them.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from promote.engine.model import ArtifactRef, Pin, TextEdit
from promote.engine.plugins import hookimpl
from promote.engine.yamlfiles.envfiles import EnvFiles, YamlDocument
from promote.engine.yamlfiles.overrides import patch_override
from promote.engine.yamlfiles.yamlio import CommentedMap
from promote.plugins.flux_refs import REF_KEYS, FluxRef, default_ref, effective_ref, rewrite_ref

NAME = "flux"
# kind → (artifact kind, name prefix). OCIRepository refs are `oci`, not `image`: only container
# images may ever become kustomize `images:` entries.
ARTIFACTS = {
    "HelmRelease": ("chart", "helmrelease"),
    "HelmChart": ("chart", "helmchart"),
    "OCIRepository": ("oci", "ocirepository"),
    "GitRepository": ("git", "gitrepository"),
}
# The mapping that holds `chart` and `version`, for the kinds whose version is a chart version.
CHART_SPECS = {"HelmRelease": ("spec", "chart", "spec"), "HelmChart": ("spec",)}
REF_PATH = ("spec", "ref")

# With a `target:` selector the patch's own apiVersion does not have to match the base's.
OVERRIDE_API_VERSIONS = {
    "HelmRelease": "helm.toolkit.fluxcd.io/v2",
    "HelmChart": "source.toolkit.fluxcd.io/v1",
    "OCIRepository": "source.toolkit.fluxcd.io/v1beta2",
    "GitRepository": "source.toolkit.fluxcd.io/v1",
}


def _is_flux(obj: Any) -> bool:
    return (
        isinstance(obj, Mapping)
        and obj.get("kind") in ARTIFACTS
        and str(obj.get("apiVersion", "")).split("/")[0].endswith(".toolkit.fluxcd.io")
    )


def _dig(obj: Any, path: Sequence[str]) -> Any:
    for step in path:
        obj = obj.get(step) if isinstance(obj, Mapping) else None
    return obj


def _ref(obj: Mapping[str, Any]) -> ArtifactRef:
    kind, prefix = ARTIFACTS[obj["kind"]]
    name = f"{prefix}/{(obj.get('metadata') or {}).get('name', '')}"
    if obj["kind"] in CHART_SPECS:
        chart = _dig(obj, CHART_SPECS[obj["kind"]]) or {}
        name += f"/{chart.get('chart') or '*'}"
    return ArtifactRef(kind, name)


class Flux:
    def pins(self, document: YamlDocument) -> Iterable[Pin]:
        if not _is_flux(document.data):
            return
        kind = document.data["kind"]
        if kind in REF_KEYS:
            yield from _ref_pins(document, kind)
            return
        chart = _dig(document.data, CHART_SPECS[kind])
        if isinstance(chart, CommentedMap) and chart.get("version") not in (None, ""):
            pin = document.scalar_pin(chart, "version", _ref(document.data), NAME)
            if pin is not None:
                yield pin

    def versions(self, obj: Mapping[str, Any]) -> Iterable[tuple[ArtifactRef, str]]:
        if not _is_flux(obj):
            return
        kind = obj["kind"]
        if kind in REF_KEYS:
            yield _ref(obj), str(effective_ref(kind, _dig(obj, REF_PATH)) or default_ref(kind))
        elif isinstance(chart := _dig(obj, CHART_SPECS[kind]), Mapping):
            yield _ref(obj), str(chart.get("version") or "*")

    def override(self, files: EnvFiles, ref: ArtifactRef, version: str) -> list[TextEdit] | None:
        """A version inherited from a base gets a targeted patch file of the environment's own."""
        prefix, _, rest = ref.name.partition("/")
        kind = next((k for k, found in ARTIFACTS.items() if found == (ref.kind, prefix)), None)
        if kind is None:
            return None
        if kind in REF_KEYS:
            path, value = REF_PATH, FluxRef.parse(kind, version).fields(kind)
        else:
            path, value = (*CHART_SPECS[kind], "version"), version
        return patch_override(
            files,
            api_version=OVERRIDE_API_VERSIONS[kind],
            kind=kind,
            name=rest.split("/")[0],
            path=path,
            version=value,
        )


def _ref_pins(document: YamlDocument, kind: str) -> Iterable[Pin]:
    """The ref as a whole is the pin: rewriting it may change which keys it has."""
    mapping = _dig(document.data, REF_PATH)
    current = effective_ref(kind, mapping)
    if current is None or not isinstance(mapping, CommentedMap):
        return
    anchor = document.scalar_pin(
        mapping, current.key, _ref(document.data), NAME, version=str(current)
    )
    if anchor is None:
        return

    def rewrite(version: str) -> list[TextEdit]:
        return rewrite_ref(document, kind, mapping, FluxRef.parse(kind, version))

    yield dataclasses.replace(anchor, rewrite=rewrite)


@hookimpl
def promote_register_sources(register) -> None:
    register(NAME, Flux())
