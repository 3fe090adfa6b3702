"""What an environment pins (in its own files) and what it really runs (its rendered objects)."""

from __future__ import annotations

from collections import Counter, defaultdict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from fnmatch import fnmatchcase
from functools import cached_property
from pathlib import Path
from typing import Any

from promote.engine.config.graphfile import AUTO_RENDERER, default_renderer
from promote.engine.errors import PromoteError
from promote.engine.model import ArtifactRef, Environment, Pin
from promote.engine.plugins import Plugins, guarded
from promote.engine.yamlfiles.envfiles import EnvFiles


@dataclass
class EnvState:
    env: Environment
    files: EnvFiles
    pins: list[Pin]
    objects: list[dict[str, Any]]
    versions: dict[ArtifactRef, str] = field(default_factory=dict)
    conflicts: dict[ArtifactRef, list[str]] = field(default_factory=dict)

    def pins_for(self, ref: ArtifactRef) -> list[Pin]:
        return self.pin_index.pins_for(ref)

    @cached_property
    def pin_index(self) -> PinIndex:
        return PinIndex(self.pins)


def ref_matches(pattern: ArtifactRef, ref: ArtifactRef) -> bool:
    """Pins from partial documents (patches) may carry `*` where they cannot know a part."""
    return fnmatchcase(ref.kind, pattern.kind) and fnmatchcase(ref.name, pattern.name)


def is_pattern(ref: ArtifactRef) -> bool:
    """Whether `ref_matches` reads `ref` as a pattern: otherwise it matches itself only."""
    return any(char in ref.kind + ref.name for char in "*?[")


class PinIndex:
    """Pins by the artifact they name, so that finding an artifact's pins does not scan them all
    (a monorepo has thousands); the few pins whose ref is a pattern are matched one by one."""

    def __init__(self, pins: list[Pin]) -> None:
        self.exact: dict[ArtifactRef, list[tuple[int, Pin]]] = defaultdict(list)
        self.patterns: list[tuple[int, Pin]] = []
        for position, pin in enumerate(pins):
            kept = self.patterns if is_pattern(pin.ref) else self.exact[pin.ref]
            kept.append((position, pin))

    def pins_for(self, ref: ArtifactRef) -> list[Pin]:
        """The pins that name `ref`, in the order they were read."""
        found = self.exact.get(ref, [])
        matched = [(n, pin) for n, pin in self.patterns if ref_matches(pin.ref, ref)]
        if matched:
            found = sorted([*found, *matched], key=lambda numbered: numbered[0])
        return [pin for _, pin in found]


def read_pins(plugins: Plugins, files: EnvFiles) -> list[Pin]:
    pins: list[Pin] = []
    for file in files.files:
        for document in file.documents:
            for registered in plugins.sources:
                with guarded(f"reading pins in {document.file.path}", registered.plugin):
                    pins.extend(registered.item.pins(document))
        file.keep_plain_data_only()  # a monorepo's positions would not fit in memory twice
    return pins


def rendered_versions(
    plugins: Plugins, objects: list[dict[str, Any]]
) -> tuple[dict[ArtifactRef, str], dict[ArtifactRef, list[str]]]:
    """Versions seen in rendered objects; an artifact seen at several versions is a conflict."""
    seen: dict[ArtifactRef, Counter[str]] = defaultdict(Counter)
    for registered in plugins.sources:
        with guarded("reading rendered versions", registered.plugin):
            for obj in objects:
                for ref, version in registered.item.versions(obj):
                    seen[ref][version] += 1
    versions = {ref: counts.most_common(1)[0][0] for ref, counts in seen.items()}
    conflicts = {ref: sorted(c) for ref, c in seen.items() if len(c) > 1}
    return versions, conflicts


def read_states(plugins: Plugins, trees: list[tuple[Path, Environment]]) -> list[EnvState]:
    """Several environments, each read from the root of its tree, at once: rendering is a
    subprocess, so threads overlap the waits."""
    if len(trees) == 1:
        return [read_state(plugins, *trees[0])]
    _ = plugins.sources, plugins.renderers  # fill the registries once, before threads race to
    with ThreadPoolExecutor(max_workers=min(4, len(trees))) as pool:
        return list(pool.map(lambda tree: read_state(plugins, *tree), trees))


def renderer_name(repo_root: Path, env: Environment) -> str:
    """The renderer `env` names, or for one that names none on another tree, the default for
    what its directory holds."""
    if env.renderer != AUTO_RENDERER:
        return env.renderer
    return default_renderer(repo_root / env.path)


def render_objects(plugins: Plugins, repo_root: Path, env: Environment) -> list[dict[str, Any]]:
    """The environment's objects from its renderer; a renderer that crashes is a PluginError."""
    name = renderer_name(repo_root, env)
    renderer = plugins.renderers.get(name)
    with guarded(f"rendering {env.name}", plugins.renderers.plugin_of(name)):
        return renderer.render(repo_root, env)


def _resolved(pins: list[Pin], objects: list[dict[str, Any]]) -> list[Pin]:
    """Every pin named, those that only the rendered objects can name (Pin.resolve) included."""
    named = []
    for pin in pins:
        if pin.resolve is not None:
            try:
                with guarded(f"naming the pin at {pin.location}", pin.source):
                    pin = replace(pin, ref=pin.resolve(objects), resolve=None)
            except PromoteError as exc:
                exc.location = exc.location or pin.location
                raise
        named.append(pin)
    return named


def _rendered(pinned: ArtifactRef, versions: dict[ArtifactRef, str]) -> bool:
    if is_pattern(pinned):
        return any(ref_matches(pinned, ref) for ref in versions)
    return pinned in versions


def read_state(
    plugins: Plugins,
    repo_root: Path,
    env: Environment,
    objects: list[dict[str, Any]] | None = None,
) -> EnvState:
    """`env`'s state; `objects` are its rendered objects when the caller has them already."""
    files = EnvFiles.read(repo_root, env.path, env.name)
    pins = read_pins(plugins, files)
    if objects is None:
        objects = render_objects(plugins, repo_root, env)
    pins = _resolved(pins, objects)
    versions, conflicts = rendered_versions(plugins, objects)
    unseen: dict[ArtifactRef, Counter[str]] = defaultdict(Counter)
    for pin in pins:  # pins that rendering cannot show (markers, values files, unused entries)
        if "*" not in pin.ref.kind + pin.ref.name and not _rendered(pin.ref, versions):
            unseen[pin.ref][pin.version] += 1
    for ref, counts in unseen.items():  # several versions: a conflict, as when rendered
        versions[ref] = counts.most_common(1)[0][0]
        if len(counts) > 1:
            conflicts[ref] = sorted(counts)
    return EnvState(env, files, pins, objects, dict(sorted(versions.items())), conflicts)
