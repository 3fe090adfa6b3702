"""What an environment pins (in its own files) and what it really runs (its rendered objects)."""

from __future__ import annotations

from collections import Counter, defaultdict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Any

from engine.config.graphfile import AUTO_RENDERER, default_renderer
from engine.errors import PromoteError
from engine.model import ArtifactRef, Environment, Pin
from engine.plugins import Plugins, guarded
from engine.yamlfiles.envfiles import EnvFiles


@dataclass
class EnvState:
    env: Environment
    files: EnvFiles
    pins: list[Pin]
    objects: list[dict[str, Any]]
    versions: dict[ArtifactRef, str] = field(default_factory=dict)
    conflicts: dict[ArtifactRef, list[str]] = field(default_factory=dict)

    def pins_for(self, ref: ArtifactRef) -> list[Pin]:
        return [pin for pin in self.pins if ref_matches(pin.ref, ref)]


def ref_matches(pattern: ArtifactRef, ref: ArtifactRef) -> bool:
    """Pins from partial documents (patches) may carry `*` where they cannot know a part."""
    return fnmatchcase(ref.kind, pattern.kind) and fnmatchcase(ref.name, pattern.name)


def read_pins(plugins: Plugins, files: EnvFiles) -> list[Pin]:
    pins: list[Pin] = []
    for document in files.documents():
        for registered in plugins.sources:
            with guarded(f"reading pins in {document.file.path}", registered.plugin):
                pins.extend(registered.item.pins(document))
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


def read_state(plugins: Plugins, repo_root: Path, env: Environment) -> EnvState:
    files = EnvFiles.read(repo_root, env.path, env.name)
    pins = read_pins(plugins, files)
    objects = render_objects(plugins, repo_root, env)
    pins = _resolved(pins, objects)
    versions, conflicts = rendered_versions(plugins, objects)
    unseen: dict[ArtifactRef, Counter[str]] = defaultdict(Counter)
    for pin in pins:  # pins that rendering cannot show (markers, values files, unused entries)
        if "*" not in pin.ref.kind + pin.ref.name and not any(
            ref_matches(pin.ref, ref) for ref in versions
        ):
            unseen[pin.ref][pin.version] += 1
    for ref, counts in unseen.items():  # several versions: a conflict, as when rendered
        versions[ref] = counts.most_common(1)[0][0]
        if len(counts) > 1:
            conflicts[ref] = sorted(counts)
    return EnvState(env, files, pins, objects, dict(sorted(versions.items())), conflicts)
