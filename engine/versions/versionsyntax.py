"""Which versions may be written at all: the syntax each artifact kind's consumer accepts.

A version copied from SRC ends up in DST's YAML, in a commit subject and trailers, in command
gates' input and in the consumers' hands (the container runtime, Helm, Flux, Argo CD). A version
none of them could read (`1.2.0; rm -rf /`, a newline that forges a trailer, 10 kB of text) is
refused before anything is written, naming the characters that make it invalid.
"""

from __future__ import annotations

import re

from promote.engine.model import ArtifactRef

MAX_LENGTH = 128  # a tag's limit in the OCI distribution spec; also a range's or a ref name's
MAX_TOTAL_LENGTH = 256  # any version: `tag@digest`, or a marker's free scalar (bounded, one line)

# distribution/reference: a tag, and `algorithm:encoded` (algorithm parts joined by + . _ -).
_TAG = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}")
_DIGEST = re.compile(r"[a-z0-9]+(?:[+._-][a-z0-9]+)*:[A-Za-z0-9=_-]{32,128}")
# Helm / Masterminds semver versions and constraints: `1.2.3`, `>=1.2.0 <2.0.0`, `~1.2 || ^2`, `*`.
_RANGE = re.compile(r"[0-9A-Za-z.+_*^~<>=!|, -]+")
_COMMIT = re.compile(r"[0-9a-f]{7,64}")
# Branch and tag names as teams spell them (git check-ref-format, narrowed to the characters no
# shell or YAML reads specially): no `..` or `@{`, no part starting with `.` or ending `.lock`.
_REF_NAME = re.compile(r"[A-Za-z0-9_.+/@-]+")


def version_problem(ref: ArtifactRef, version: str) -> str | None:
    """Why `version` cannot be written for `ref` (naming the offending characters), or None."""
    if not version or version != version.strip():
        return f"{_quoted(version)} is empty or has spaces around it"
    bad = sorted({c for c in version if not c.isprintable()})
    if bad:
        return f"{_quoted(version)} holds control characters {_shown(bad)}"
    if len(version) > MAX_TOTAL_LENGTH:
        return f"{_quoted(version)} is {len(version)} characters long (at most {MAX_TOTAL_LENGTH})"
    check = _CHECKS.get(ref.kind)
    return None if check is None else check(version)


def _image(version: str) -> str | None:
    tag, at, digest = version.partition("@")
    if not at and _DIGEST.fullmatch(tag):  # a bare digest
        return None
    if tag and not _TAG.fullmatch(tag):
        return _not_a("an image tag ([A-Za-z0-9_][A-Za-z0-9_.-]{0,127})", tag, _TAG_CHARS)
    if at and not _DIGEST.fullmatch(digest):
        return _not_a("a digest (algorithm:hex)", digest, _DIGEST_CHARS)
    return None


def _chart(version: str) -> str | None:
    if len(version) > MAX_LENGTH or not _RANGE.fullmatch(version):
        return _not_a("a chart version or semver range", version, _RANGE_CHARS)
    return None


def _revision(version: str) -> str | None:
    """Argo CD: a branch, tag, commit, `HEAD` or a semver range; Flux: `KEY VALUE` (flux_refs)."""
    key, space, value = version.partition(" ")
    if space and key in _FLUX_KEYS:
        return _FLUX_KEYS[key](value)
    if _RANGE.fullmatch(version) and any(c in version for c in "<>=^~*|, "):
        return _chart(version)
    return _ref_name(version)


def _ref_name(name: str) -> str | None:
    if (
        len(name) > MAX_LENGTH
        or not _REF_NAME.fullmatch(name)
        or ".." in name
        or "@{" in name
        or any(part.startswith(".") or part.endswith(".lock") for part in name.split("/"))
    ):
        return _not_a("a git branch, tag or commit", name, _REF_CHARS)
    return None


def _flux_semver(value: str) -> str | None:
    # The semverFilter after the range is a regular expression: any printable text.
    return _chart(value.partition(" semverFilter ")[0])


def _flux_digest(value: str) -> str | None:
    return None if _DIGEST.fullmatch(value) else _not_a("a digest", value, _DIGEST_CHARS)


def _flux_commit(value: str) -> str | None:
    return None if _COMMIT.fullmatch(value) else _not_a("a commit", value, set("0123456789abcdef"))


def _flux_tag(value: str) -> str | None:
    return None if _TAG.fullmatch(value) else _not_a("a tag", value, _TAG_CHARS)


_FLUX_KEYS = {
    "semver": _flux_semver,
    "digest": _flux_digest,
    "commit": _flux_commit,
    "tag": _ref_name,  # a GitRepository tag is a git tag; an OCIRepository's is checked below
    "branch": _ref_name,
    "name": _ref_name,
}
_OCI_KEYS = {**_FLUX_KEYS, "tag": _flux_tag}


def _oci(version: str) -> str | None:
    key, space, value = version.partition(" ")
    if not space or key not in _OCI_KEYS:
        return _image(version)
    return _OCI_KEYS[key](value)


_CHECKS = {"image": _image, "chart": _chart, "git": _revision, "oci": _oci}

_ALNUM = set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")
_TAG_CHARS = _ALNUM | set("_.-")
_DIGEST_CHARS = _ALNUM | set("+._-:=")
_RANGE_CHARS = _ALNUM | set(".+_*^~<>=!|, -")
_REF_CHARS = _ALNUM | set("_.+/@-")


def _not_a(what: str, text: str, allowed: set[str]) -> str:
    # No bad characters: their arrangement is wrong (`..`, a leading `.`, too long).
    bad = sorted({c for c in text if c not in allowed})
    return f"{_quoted(text)} is not {what}" + (f" (bad characters: {_shown(bad)})" if bad else "")


def _quoted(text: str) -> str:
    """The text as Python would quote it, cut short: a 10 kB version is not a message."""
    return repr(text if len(text) <= 64 else text[:63] + "…")


def _shown(chars: list[str]) -> str:
    return " ".join(repr(c) for c in chars)
