"""Source: Argo CD `Application` revisions (`spec.source` and every `spec.sources[]` entry).

A Helm source (`chart:`) pins a chart version; any other source pins a Git revision. With one
`source` the artifact is `application/NAME`; with `sources` it is `application/NAME/CHART-OR-REPO`.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from engine.envfiles import EnvFiles, YamlDocument
from engine.model import ArtifactRef, Pin, TextEdit
from engine.overrides import patch_override
from engine.plugins import hookimpl
from engine.yamlio import CommentedMap

NAME = "argocd"


def _is_application(obj: Any) -> bool:
    return (
        isinstance(obj, Mapping)
        and obj.get("kind") == "Application"
        and str(obj.get("apiVersion", "")).startswith("argoproj.io/")
    )


def _sources(obj: Mapping[str, Any]) -> Iterator[tuple[ArtifactRef, Mapping[str, Any]]]:
    spec = obj.get("spec") or {}
    app = (obj.get("metadata") or {}).get("name", "")
    single = spec.get("source")
    if isinstance(single, Mapping) and single.get("targetRevision") not in (None, ""):
        kind = "chart" if single.get("chart") else "git"
        yield ArtifactRef(kind, f"application/{app}"), single
    for source in spec.get("sources") or []:
        if isinstance(source, Mapping) and source.get("targetRevision") not in (None, ""):
            kind = "chart" if source.get("chart") else "git"
            what = source.get("chart") or source.get("repoURL", "")
            yield ArtifactRef(kind, f"application/{app}/{what}"), source


class ArgoCD:
    def pins(self, document: YamlDocument) -> Iterable[Pin]:
        if not _is_application(document.data):
            return
        for ref, source in _sources(document.data):
            if not isinstance(source, CommentedMap):
                continue
            # A patch may set targetRevision without `chart:`; the kind is then unknown.
            kind = ref.kind if "chart" in source or "repoURL" in source else "*"
            pin = document.scalar_pin(source, "targetRevision", ArtifactRef(kind, ref.name), NAME)
            if pin is not None:
                yield pin

    def versions(self, obj: Mapping[str, Any]) -> Iterable[tuple[ArtifactRef, str]]:
        if _is_application(obj):
            for ref, source in _sources(obj):
                yield ref, str(source["targetRevision"])

    def override(self, files: EnvFiles, ref: ArtifactRef, version: str) -> list[TextEdit] | None:
        """An inherited single-source revision gets a targeted patch file of its own.

        Entries of `sources:` are a list that a strategic-merge patch would replace whole, so
        those are left to an explicit pin (or a marker) in the environment."""
        prefix, _, rest = ref.name.partition("/")
        if prefix != "application" or not rest or "/" in rest:
            return None
        return patch_override(
            files,
            api_version="argoproj.io/v1alpha1",
            kind="Application",
            name=rest,
            path=("spec", "source", "targetRevision"),
            version=version,
        )


@hookimpl
def promote_register_sources(register) -> None:
    register(NAME, ArgoCD())
