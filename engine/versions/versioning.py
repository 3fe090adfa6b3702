"""Which way a version moves: SemVer 2.0 precedence, through the `semver` package.

A version is compared only when both sides read as SemVer (a leading `v` allowed, `3.0` read as
`3.0.0`, a `@digest` after a tag ignored); anything else (digests, commit SHAs, `latest`) is
unknown rather than guessed.
"""

from __future__ import annotations

import semver


def is_downgrade(old: str | None, new: str) -> bool | None:
    """True when `new` has a lower SemVer precedence than `old`; None when either is no SemVer."""
    if old is None:
        return None
    before, after = _parse(old), _parse(new)
    if before is None or after is None:
        return None
    return after < before


def _parse(version: str) -> semver.Version | None:
    # A Flux ref is shown with its key (`tag v1.2.0`); only tags have an order, not ranges,
    # digests or commits.
    key, _, value = version.partition(" ")
    if value:
        if key != "tag":
            return None
        version = value
    tag = version.partition("@")[0].strip()
    if tag[:1] in ("v", "V"):
        tag = tag[1:]
    try:
        return semver.Version.parse(tag, optional_minor_and_patch=True)
    except ValueError:
        return None
