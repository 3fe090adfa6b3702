"""An independent judge of a promotion in the layout corpus (tests/data/layouts).

Reads what an environment runs, as its consumers read it: container references normalised the way
the container runtime does, Flux refs in Flux's documented precedence, one revision per Argo CD
source, Helm's conventional image blocks. And tells whether a commit changed only version
characters. Written from those tools' documentation with PyYAML and difflib, never with our code.
"""

from __future__ import annotations

import re
import subprocess
from collections import defaultdict
from collections.abc import Iterable, Iterator
from difflib import SequenceMatcher
from pathlib import Path
from typing import Any

import yaml

from tests.helpers import git, kustomize_build

KUSTOMIZATION_NAMES = ("kustomization.yaml", "kustomization.yml", "Kustomization")
CONTAINER_LISTS = ("containers", "initContainers", "ephemeralContainers")
# Flux: "digest takes precedence over semver, semver over tag" (OCIRepository); "commit takes
# precedence over name, name over semver, semver over tag, tag over branch" (GitRepository).
REF_PRECEDENCE = {
    "OCIRepository": ("digest", "semver", "tag"),
    "GitRepository": ("commit", "name", "semver", "tag", "branch"),
}
# Keys whose value is a version, and where: None = anywhere, else the parent mapping's key.
VERSION_KEYS = {
    "image": None,
    "newTag": None,
    "digest": None,
    "tag": None,
    "targetRevision": None,
    "version": "spec",  # HelmRelease spec.chart.spec.version
    "semver": "ref",
    "commit": "ref",
    "branch": "ref",
    "name": "ref",
}
# A ref kind change renames the key (`tag:` → `semver:`) and may null the ref's other keys in a
# patch (`semverFilter: null`); kustomize `newTag:` ↔ `digest:` too.
RENAMEABLE = {"tag", "semver", "semverFilter", "digest", "commit", "branch", "name", "newTag"}
KEY_LINE = re.compile(
    r"(?P<lead>\ufeff?[ ]*(?:- +)?)(?P<key>[\w$.-]+):(?P<gap>[ \t]+)"
    r"(?P<value>[^#\r\n]*?)(?P<tail>[ \t]*(?:#[^\r\n]*)?\r?\n?)\Z"
)
ANY_KEY = re.compile(r"\ufeff?(?P<lead>[ ]*(?:- +)?)(?P<key>[\w$./-]+):")


# --- what an environment runs -------------------------------------------------------------


def environments(repo: Path) -> dict[str, dict[str, Any]]:
    return yaml.safe_load((repo / "environments" / "graph.yaml").read_text())["environments"]


def rendered(repo: Path, env: dict[str, Any]) -> list[Any]:
    """The real `kubectl kustomize` output, or every YAML document of a plain directory."""
    path = repo / env["path"]
    kustomized = any((path / name).exists() for name in KUSTOMIZATION_NAMES)
    if env.get("renderer", "kustomize" if kustomized else "plain") == "kustomize":
        return kustomize_build(path)
    files = sorted(p for p in path.rglob("*") if p.suffix in (".yaml", ".yml"))
    return [doc for file in files for doc in yaml.safe_load_all(_plain_text(file)) if doc]


def _plain_text(file: Path) -> str:
    # PyYAML refuses a trailing tab that kubectl accepts; trailing blanks mean nothing in block
    # YAML outside block scalars (no version lives in one), so strip them, and a BOM.
    text = file.read_bytes().decode("utf-8-sig")
    return "\n".join(line.rstrip(" \t\r") for line in text.splitlines())


def normalise_image(reference: str) -> tuple[str, str]:
    """(repository, version) as the runtime resolves it: `nginx` is `docker.io/library/nginx`."""
    rest, _, digest = reference.strip().partition("@")
    name, tag = rest, ""
    if rest.rfind(":") > rest.rfind("/"):
        name, _, tag = rest.rpartition(":")
    domain, slash, path = name.partition("/")
    if not slash or not ("." in domain or ":" in domain or domain == "localhost"):
        domain, path = "docker.io", name
    domain = "docker.io" if domain == "index.docker.io" else domain
    if domain == "docker.io" and "/" not in path:
        path = f"library/{path}"
    return f"{domain}/{path}", "@".join(
        p for p in (tag or ("" if digest else "latest"), digest) if p
    )


def effective_versions(documents: Iterable[Any]) -> dict[str, str]:
    """`kind name` → the version the consumer acts on; two versions of one name are both shown."""
    found: dict[str, set[str]] = defaultdict(set)
    for doc in documents:
        for key, version in _versions(doc):
            found[key].add(version)
    return {key: " | ".join(sorted(versions)) for key, versions in found.items()}


def _versions(doc: Any) -> Iterator[tuple[str, str]]:
    if not isinstance(doc, dict):
        return
    kind, api = doc.get("kind"), str(doc.get("apiVersion", ""))
    if not kind or not api:  # not a Kubernetes object: a Helm values file
        yield from _helm_images(doc)
        return
    name, spec = (doc.get("metadata") or {}).get("name", ""), doc.get("spec") or {}
    yield from _container_images(doc)
    if kind in REF_PRECEDENCE and api.startswith("source.toolkit.fluxcd.io/"):
        ref = spec.get("ref") or {}
        key = next((k for k in REF_PRECEDENCE[kind] if ref.get(k)), None)
        yield f"{kind.lower()} {name}", f"{key} {ref[key]}" if key else "default"
    elif kind == "HelmRelease" and api.startswith("helm.toolkit.fluxcd.io/"):
        if chart := (spec.get("chart") or {}).get("spec"):
            yield f"helmrelease {name}", str(chart.get("version") or "*")
    elif kind == "Application" and api.startswith("argoproj.io/"):
        if source := spec.get("source"):
            yield f"application {name}", str(source.get("targetRevision") or "HEAD")
        for source in spec.get("sources") or []:
            which = source.get("ref") or source.get("chart") or source.get("path")
            yield f"application {name}/{which}", str(source.get("targetRevision") or "HEAD")
    elif kind == "ConfigMap":  # values files generated into a ConfigMap (Flux valuesFrom)
        for file, text in (doc.get("data") or {}).items():
            if file.endswith((".yaml", ".yml")):
                for values in yaml.safe_load_all(text):
                    yield from _helm_images(values)


def _container_images(node: Any) -> Iterator[tuple[str, str]]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key in CONTAINER_LISTS and isinstance(value, list):
                for container in value:
                    repository, version = normalise_image(str(container["image"]))
                    yield f"image {repository}", version
            else:
                yield from _container_images(value)
    elif isinstance(node, list):
        for item in node:
            yield from _container_images(item)


def _helm_images(node: Any) -> Iterator[tuple[str, str]]:
    """`image: {registry?, repository, tag?, digest?}` at any depth of a values document."""
    if isinstance(node, dict):
        image = node.get("image")
        if isinstance(image, dict) and image.get("repository"):
            tag, digest = str(image.get("tag") or ""), str(image.get("digest") or "")
            if tag or digest:
                registry = f"{image['registry']}/" if image.get("registry") else ""
                repository, _ = normalise_image(registry + str(image["repository"]))
                yield f"image {repository}", "@".join(p for p in (tag, digest) if p)
        for value in node.values():
            yield from _helm_images(value)
    elif isinstance(node, list):
        for item in node:
            yield from _helm_images(item)


# --- what the promotion commit changed ------------------------------------------------------


def changed_files(repo: Path) -> list[tuple[str, str]]:
    """(status, path) of every file the last commit changed."""
    out = git(repo, "diff", "--name-status", "--no-renames", "HEAD~1", "HEAD")
    return [tuple(line.split("\t", 1)) for line in out.splitlines()]  # type: ignore[misc]


def version_edit_problems(repo: Path, path: str) -> list[str]:
    """Every change to `path` in the last commit that is not inside a version token."""
    old, new = (_blob(repo, rev, path) for rev in ("HEAD~1", "HEAD"))
    a, b = old.splitlines(keepends=True), new.splitlines(keepends=True)
    kustomization = Path(path).name in KUSTOMIZATION_NAMES
    problems = _kustomization_problems(old, new) if kustomization else []
    for op, i1, i2, j1, j2 in SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if op == "replace" and i2 - i1 == j2 - j1:
            problems += [p for k in range(i2 - i1) if (p := _line_problem(a, i1 + k, b, j1 + k))]
        elif op != "equal" and not kustomization:  # whole lines: only ref keys, on a kind change
            problems += [f"line removed: {a[k]!r}" for k in range(i1, i2) if not _ref_line(a, k)]
            problems += [f"line added: {b[k]!r}" for k in range(j1, j2) if not _ref_line(b, k)]
    return [f"{path}: {problem}" for problem in problems]


def _blob(repo: Path, rev: str, path: str) -> str:
    # Bytes, not text mode: universal newlines would hide a CRLF lost in the edit.
    out = subprocess.run(
        ["git", "show", f"{rev}:{path}"], cwd=repo, capture_output=True, check=True
    )
    return out.stdout.decode("utf-8")


def _line_problem(a: list[str], i: int, b: list[str], j: int) -> str | None:
    old, new = KEY_LINE.match(a[i]), KEY_LINE.match(b[j])
    if not (old and new):
        return f"line {i + 1} is not a `key: value` line: {a[i]!r} → {b[j]!r}"
    renamed = old["key"] != new["key"]
    if renamed and not {old["key"], new["key"]} <= RENAMEABLE:
        return f"line {i + 1}: key {old['key']!r} renamed to {new['key']!r}"
    for match, lines, k in ((old, a, i), (new, b, j)):
        wanted = VERSION_KEYS.get(match["key"], "-")
        if wanted == "-" or wanted not in (None, _parent_key(lines, k)):
            return f"line {i + 1}: {match['key']!r} holds no version here: {a[i]!r} → {b[j]!r}"
    if old["key"] == "image" and _image_name(old["value"]) != _image_name(new["value"]):
        return f"line {i + 1}: image respelled: {old['value']} → {new['value']}"
    for op, i1, i2, j1, j2 in SequenceMatcher(None, a[i], b[j], autojunk=False).get_opcodes():
        if op != "equal" and not (_inside(old, i1, i2, renamed) and _inside(new, j1, j2, renamed)):
            return f"line {i + 1}: change outside the version: {a[i]!r} → {b[j]!r}"
    return None


def _inside(match: re.Match[str], start: int, end: int, renamed: bool) -> bool:
    first = match.start("key") if renamed else match.start("value")
    return first <= start and end <= match.end("value")


def _image_name(value: str) -> str:
    rest = value.strip("'\"").partition("@")[0]
    return rest.rpartition(":")[0] if rest.rfind(":") > rest.rfind("/") else rest


def _parent_key(lines: list[str], index: int) -> str | None:
    """The key of the mapping that holds line `index`: the nearest line above, indented less."""
    column = len(ANY_KEY.match(lines[index])["lead"])  # type: ignore[index]
    for line in reversed(lines[:index]):
        match = ANY_KEY.match(line)
        if match and len(match["lead"]) < column:
            return match["key"]
    return None


def _ref_line(lines: list[str], index: int) -> bool:
    match = KEY_LINE.match(lines[index])
    return bool(match) and match["key"] in RENAMEABLE and _parent_key(lines, index) == "ref"


def _kustomization_problems(old: str, new: str) -> list[str]:
    """A kustomization may gain `images:` / `patches:` entries (overrides of inherited pins);
    its existing entries may change only their versions, nothing else may change."""
    before, after = yaml.safe_load(old) or {}, yaml.safe_load(new) or {}
    problems = []
    for field in ("images", "patches"):
        kept, now = before.pop(field, None) or [], after.pop(field, None) or []
        if [_unversioned(e) for e in now[: len(kept)]] != [_unversioned(e) for e in kept]:
            problems.append(f"existing `{field}:` entries changed beyond their versions")
        if field == "images" and any(
            set(e) - {"name", "newTag", "digest"} for e in now[len(kept) :]
        ):
            problems.append("an added `images:` entry does more than pin a version")
    if before != after:
        problems.append("kustomization fields other than images/patches changed")
    return problems


def _unversioned(entry: Any) -> Any:
    return (
        {k: v for k, v in entry.items() if k not in ("newTag", "digest")}
        if isinstance(entry, dict)
        else entry
    )
