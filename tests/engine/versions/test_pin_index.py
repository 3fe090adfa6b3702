"""EnvState finds an artifact's pins through an index: the same pins, in the same order, as
matching every pin's ref (a pattern for pins read from patches) against the artifact."""

from __future__ import annotations

from fnmatch import fnmatchcase
from pathlib import Path, PurePosixPath

import pytest

from promote.engine.model import ArtifactRef, Environment, Pin
from promote.engine.versions.state import EnvState
from promote.engine.yamlfiles.envfiles import EnvFiles

PIN_REFS = [
    ArtifactRef("image", "ghcr.io/acme/web"),
    ArtifactRef("image", "*"),  # a strategic merge patch that cannot know the image
    ArtifactRef("chart", "podinfo"),
    ArtifactRef("image", "ghcr.io/acme/web"),
    ArtifactRef("*", "podinfo"),
    ArtifactRef("image", "ghcr.io/acme/we?"),
    ArtifactRef("image", "ghcr.io/acme/[wx]orker"),
    ArtifactRef("image", "ghcr.io/acme/worker"),
    ArtifactRef("git", "https://github.com/acme/infra.git"),
]
QUERIES = [
    ArtifactRef("image", "ghcr.io/acme/web"),
    ArtifactRef("image", "ghcr.io/acme/wez"),
    ArtifactRef("image", "ghcr.io/acme/worker"),
    ArtifactRef("image", "ghcr.io/acme/xorker"),
    ArtifactRef("chart", "podinfo"),
    ArtifactRef("image", "podinfo"),
    ArtifactRef("git", "https://github.com/acme/infra.git"),
    ArtifactRef("chart", "unknown"),
]


def state_with(refs: list[ArtifactRef]) -> EnvState:
    pins = [
        Pin(ref, f"1.{n}.0", PurePosixPath(f"env/f{n}.yaml"), n + 1, 1, "test", lambda v: [])
        for n, ref in enumerate(refs)
    ]
    env = Environment(name="prod", path=PurePosixPath("env"))
    return EnvState(env, EnvFiles(Path("."), PurePosixPath("env")), pins, [])


@pytest.mark.parametrize("query", QUERIES, ids=str)
def test_an_artifacts_pins_are_those_whose_ref_matches_it_in_reading_order(query):
    state = state_with(PIN_REFS)
    scanned = [
        pin
        for pin in state.pins
        if fnmatchcase(query.kind, pin.ref.kind) and fnmatchcase(query.name, pin.ref.name)
    ]
    assert [(p.file, p.ref) for p in state.pins_for(query)] == [(p.file, p.ref) for p in scanned]


def test_thousands_of_pins_each_find_their_own():
    refs = [ArtifactRef("image", f"registry.example.com/app-{n:04d}") for n in range(3000)]
    state = state_with(refs)
    for n in (0, 1234, 2999):
        assert [pin.line for pin in state.pins_for(refs[n])] == [n + 1]
