"""Compute a promotion plan: DST's versions → SRC's versions, as text edits in DST's own files."""

from __future__ import annotations

import inspect
from collections.abc import Sequence
from fnmatch import fnmatchcase
from pathlib import PurePosixPath
from typing import Any

from promote.engine.errors import ConfigError, UsageError
from promote.engine.interfaces import Source
from promote.engine.model import ArtifactRef, Change, Plan, TextEdit
from promote.engine.plugins import Plugins, guarded
from promote.engine.versions.imageref import name_matches
from promote.engine.versions.state import EnvState
from promote.engine.versions.versionsyntax import version_problem
from promote.engine.yamlfiles.envfiles import EnvFiles, refuse_links


def make_plan(
    plugins: Plugins,
    src: EnvState,
    dst: EnvState,
    source_commit: str,
    only: Sequence[str] = (),
) -> Plan:
    if not dst.files.files:
        raise ConfigError(
            f"{dst.env.name!r} has no YAML files under {dst.env.path}: there is nothing to "
            "write its versions into",
            location=dst.env.location,
        )
    moves, notes = _moves(src, dst, only)
    originals = {f.path: f.text for f in dst.files.files}
    pinned = [_pinned(dst, ref, old, new) for ref, old, new in moves if dst.pins_for(ref)]
    texts = {**originals, **apply_edits(originals, [e for c in pinned for e in c.edits])}
    overridden = []
    for ref, old, new in (m for m in moves if not dst.pins_for(m[0])):
        # Each override sees the files as the changes before it left them, so two inherited
        # artifacts add two entries to one `images:`/`patches:` list, not two such lists.
        change = _overridden(plugins, dst, EnvFiles.from_texts(dst.files, texts), ref, old, new)
        texts.update(apply_edits(texts, change.edits))
        overridden.append(change)
    changed = {path: text for path, text in texts.items() if originals.get(path) != text}
    refuse_links(dst.files.repo_root, changed)
    changes = tuple(sorted([*pinned, *overridden], key=lambda c: c.ref))
    return Plan(src.env.name, dst.env.name, source_commit, changes, tuple(notes), changed)


def _moves(
    src: EnvState, dst: EnvState, only: Sequence[str]
) -> tuple[list[tuple[ArtifactRef, str, str]], list[str]]:
    """(artifact, DST's version, SRC's version) for every artifact to change, and notes."""
    moves, notes = [], []
    for ref in _select(src, only):
        new = src.versions[ref]
        if ref in src.conflicts:
            notes.append(
                f"{ref}: {src.env.name} runs several versions {src.conflicts[ref]}; using {new}"
            )
        if ref not in dst.versions:
            notes.append(f"{ref}: not used by {dst.env.name}, skipped")
        elif dst.versions[ref] != new or ref in dst.conflicts:
            _refuse_unwritable(src, ref, new)
            moves.append((ref, dst.versions[ref], new))
    return moves, notes


def _refuse_unwritable(src: EnvState, ref: ArtifactRef, version: str) -> None:
    """A version no consumer could read is never written (see engine.versions.versionsyntax)."""
    problem = version_problem(ref, version)
    if problem is None:
        return
    pins = [pin for pin in src.pins_for(ref) if pin.version == version] or src.pins_for(ref)
    raise ConfigError(
        f"refusing to write {ref}'s version from {src.env.name!r}: {problem}",
        location=pins[0].location if pins else src.env.location,
    )


def _select(src: EnvState, only: Sequence[str]) -> list[ArtifactRef]:
    refs = list(src.versions)
    if not only:
        return refs
    chosen = [ref for ref in refs if any(_named(ref, pattern) for pattern in only)]
    unmatched = [p for p in only if not any(_named(ref, p) for ref in refs)]
    if unmatched:
        known = ", ".join(ref.name for ref in refs) or "none"
        raise UsageError(
            f"--only {unmatched[0]!r} matches no artifact of {src.env.name!r} (known: {known})"
        )
    return chosen


def _named(ref: ArtifactRef, pattern: str) -> bool:
    """`--only` takes an image as users write it (`nginx` names `docker.io/library/nginx`)."""
    return fnmatchcase(ref.name, pattern) or (
        ref.kind == "image" and name_matches(ref.name, pattern)
    )


def _pinned(dst: EnvState, ref: ArtifactRef, old: str, new: str) -> Change:
    edits: list[TextEdit] = []
    for pin in dst.pins_for(ref):
        with guarded(f"rewriting {pin.location}", pin.source):
            edits.extend(pin.rewrite(new))
    return Change(ref, old, new, tuple(edits), "pin")


def _overridden(
    plugins: Plugins, dst: EnvState, files: EnvFiles, ref: ArtifactRef, old: str, new: str
) -> Change:
    for registered in plugins.sources:
        with guarded(f"overriding {ref} in {dst.env.name}", registered.plugin):
            edits = _override(registered.item, files, ref, new, dst.objects)
        if edits:
            return Change(ref, old, new, tuple(edits), "override")
    raise ConfigError(
        f"{dst.env.name!r} inherits {ref} from outside {dst.env.path} and no source can pin it "
        "in the environment's own files; pin it there yourself (a patch or a "
        '`# {"$promote": ...}` marker) or leave it out with --only',
        location=dst.env.location,
    )


def _override(
    source: Source, files: EnvFiles, ref: ArtifactRef, version: str, rendered: list[dict[str, Any]]
) -> list[TextEdit] | None:
    # Like pluggy with a hookimpl, pass `rendered` only to a source that names it: sources
    # written before it existed keep working.
    if "rendered" in inspect.signature(source.override).parameters:
        return source.override(files, ref, version, rendered=rendered)
    return source.override(files, ref, version)


def apply_edits(
    texts: dict[PurePosixPath, str], edits: Sequence[TextEdit]
) -> dict[PurePosixPath, str]:
    """New texts for every edited file. Edits of one file must not overlap."""
    by_file: dict[PurePosixPath, list[TextEdit]] = {}
    for edit in dict.fromkeys(edits):  # two sources may report the same span
        by_file.setdefault(edit.file, []).append(edit)
    result = {}
    for file, file_edits in by_file.items():
        text = texts.get(file, "")  # an override may create a file
        ordered = sorted(file_edits, key=lambda e: (e.start, e.end), reverse=True)
        for previous, edit in zip(ordered[1:], ordered, strict=False):
            if previous.end > edit.start:
                raise ConfigError(f"two changes edit the same text of {file}")
        for edit in ordered:
            text = text[: edit.start] + edit.replacement + text[edit.end :]
        result[file] = text
    return result
