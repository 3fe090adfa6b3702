"""Source: Argo CD `Application` revisions (`spec.source`, or every `spec.sources[]` entry).

A Helm source (`chart:`) pins a chart version; any other source pins a Git revision. Each source is
its own artifact: `application/NAME` for an Application's one source (`source:`, or a `sources:`
list of one, which Argo CD reads alike), `application/NAME/KEY` for each entry of a longer
`sources:` list, KEY being the entry's `ref`, else its `chart`, else its `path`. So a chart and the
`ref: values` source beside it stay two artifacts even on one `repoURL`. Two entries with one KEY,
or a versioned entry with none, are refused: which revision is which would be a guess.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any

from promote.engine.errors import ConfigError, Location
from promote.engine.model import ArtifactRef, Pin, TextEdit
from promote.engine.plugins import hookimpl
from promote.engine.yamlfiles.envfiles import EnvFiles, YamlDocument
from promote.engine.yamlfiles.overrides import patch_override
from promote.engine.yamlfiles.yamlio import CommentedMap

NAME = "argocd"
SOURCE_KEYS = ("ref", "chart", "path")  # what names an entry of `sources`, first present wins


def _is_application(obj: Any) -> bool:
    return (
        isinstance(obj, Mapping)
        and obj.get("kind") == "Application"
        and str(obj.get("apiVersion", "")).startswith("argoproj.io/")
    )


def _versioned(source: Any) -> bool:
    return isinstance(source, Mapping) and source.get("targetRevision") not in (None, "")


def _kind(source: Mapping[str, Any]) -> str:
    return "chart" if source.get("chart") else "git"


def _name(obj: Mapping[str, Any]) -> str:
    return str((obj.get("metadata") or {}).get("name", ""))


def _sources(
    obj: Mapping[str, Any], where: Location | None = None
) -> Iterator[tuple[int | None, ArtifactRef, Mapping[str, Any]]]:
    """(position in `sources` or None for `source`, artifact, source) of every versioned source."""
    spec = obj.get("spec") or {}
    app = _name(obj)
    listed = spec.get("sources")
    if isinstance(listed, list) and listed:  # Argo CD then ignores `source`
        names = _entry_names(app, listed, where)
        for position, source in enumerate(listed):
            if _versioned(source):
                yield position, ArtifactRef(_kind(source), names[position]), source
    elif _versioned(spec.get("source")):
        yield None, ArtifactRef(_kind(spec["source"]), f"application/{app}"), spec["source"]


def _entry_names(app: str, listed: Sequence[Any], where: Location | None) -> list[str]:
    if len(listed) == 1:
        return [f"application/{app}"]
    names: list[str] = []
    for position, source in enumerate(listed):
        key = _source_key(source)
        if key is None and _versioned(source):
            raise ConfigError(
                f"Application {app!r}: sources[{position}] ({_describe(source)}) has no "
                f"{', '.join(SOURCE_KEYS)} to name it by, so its revision cannot be told from the "
                "other sources'; give it a `ref:`",
                location=where,
            )
        name = f"application/{app}/{key}"
        if key is not None and name in names:
            first = names.index(name)
            raise ConfigError(
                f"Application {app!r}: sources[{first}] ({_describe(listed[first])}) and "
                f"sources[{position}] ({_describe(source)}) are both named {key!r} (by ref, else "
                "chart, else path), so their revisions cannot be told apart; give one of them "
                "its own `ref:`",
                location=where,
            )
        names.append(name)
    return names


def _source_key(source: Any) -> str | None:
    if not isinstance(source, Mapping):
        return None
    return next((str(source[k]) for k in SOURCE_KEYS if source.get(k) not in (None, "")), None)


def _describe(source: Any) -> str:
    if not isinstance(source, Mapping):
        return repr(source)
    keys = ("repoURL", *SOURCE_KEYS, "targetRevision")
    return ", ".join(f"{key} {source[key]}" for key in keys if key in source) or "empty"


def listed_source_artifact(
    objects: Sequence[Mapping[str, Any]], app: str, position: int
) -> ArtifactRef:
    """The artifact of `sources[position]` of the rendered Application `app`: a JSON 6902 patch
    addresses an entry by position only, so its name comes from what the patch applies to."""
    apps = [o for o in objects if _is_application(o) and app in ("*", _name(o))]
    if len(apps) != 1:
        raise ConfigError(
            f"a patch sets /spec/sources/{position}/targetRevision of Application {app!r}, "
            f"which renders {len(apps)} times; cannot tell which source it pins"
        )
    found = {at: ref for at, ref, _ in _sources(apps[0])}
    if position not in found:
        raise ConfigError(
            f"a patch sets /spec/sources/{position}/targetRevision of Application {app!r}, "
            "which renders no such versioned source"
        )
    return found[position]


class ArgoCD:
    def pins(self, document: YamlDocument) -> Iterable[Pin]:
        if not _is_application(document.data):
            return
        where = Location(document.file.path, document.data.lc.line + 1)
        for _, ref, source in _sources(document.data, where):
            if not isinstance(source, CommentedMap):
                continue
            # A patch may set targetRevision without `chart:`; the kind is then unknown.
            kind = ref.kind if "chart" in source or "repoURL" in source else "*"
            pin = document.scalar_pin(source, "targetRevision", ArtifactRef(kind, ref.name), NAME)
            if pin is not None:
                yield pin

    def versions(self, obj: Mapping[str, Any]) -> Iterable[tuple[ArtifactRef, str]]:
        if _is_application(obj):
            for _, ref, source in _sources(obj):
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
