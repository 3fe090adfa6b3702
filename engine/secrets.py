"""Secret values never leave the process: every output shows a short hash in their place.

The hash is taken over the *decoded* value, so `stringData: {password: s3cret}` in Git and
`data: {password: czNjcmV0}` read back from the API mask to the same `sha256:…` and a diff between
them shows no change. The hash is unsalted: it tells "changed" from "unchanged", and a reader who
can guess a weak password could confirm the guess, as with any published digest.
"""

from __future__ import annotations

import base64
import binascii
import copy
import hashlib
from collections.abc import Iterable
from typing import Any

MASK_PREFIX = "sha256:"
DIGEST_LENGTH = 12
SCRUB_MIN_LENGTH = 4
# `kubectl apply` keeps the whole object, values included, in this annotation.
_LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration"


def is_secret(obj: Any) -> bool:
    return isinstance(obj, dict) and obj.get("kind") == "Secret" and obj.get("apiVersion") == "v1"


def digest(value: bytes | str) -> str:
    """`sha256:` and the first 12 hex digits of the value's SHA-256."""
    raw = value.encode("utf-8") if isinstance(value, str) else value
    return MASK_PREFIX + hashlib.sha256(raw).hexdigest()[:DIGEST_LENGTH]


def _decoded(value: Any) -> bytes:
    text = "" if value is None else str(value)
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        return text.encode("utf-8")  # invalid base64 is still a value to hide


def mask_secret(obj: dict[str, Any]) -> dict[str, Any]:
    """A copy of `obj` whose Secret values are digests; any other object is returned unchanged."""
    if not is_secret(obj):
        return obj
    masked = copy.deepcopy(obj)
    data = masked.get("data")
    if isinstance(data, dict):
        masked["data"] = {key: digest(_decoded(value)) for key, value in data.items()}
    string_data = masked.get("stringData")
    if isinstance(string_data, dict):
        masked["stringData"] = {
            key: digest("" if value is None else str(value)) for key, value in string_data.items()
        }
    annotations = (masked.get("metadata") or {}).get("annotations")
    if isinstance(annotations, dict) and _LAST_APPLIED in annotations:
        annotations[_LAST_APPLIED] = digest(str(annotations[_LAST_APPLIED]))
    return masked


def mask_secrets(objects: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """Every object, Secrets masked (order kept)."""
    return [mask_secret(obj) for obj in objects]


def secret_values(objects: Iterable[dict[str, Any]]) -> list[str]:
    """Every plaintext Secret value (and its base64) in `objects`: what output must not contain.

    Used by tests and by callers that want to scrub free text (error messages) defensively.
    """
    found: list[str] = []
    for obj in objects:
        if not is_secret(obj):
            continue
        for value in (obj.get("data") or {}).values():
            found += [str(value), _decoded(value).decode("utf-8", "replace")]
        for value in (obj.get("stringData") or {}).values():
            text = str(value)
            found += [text, base64.b64encode(text.encode("utf-8")).decode("ascii")]
    return sorted({value for value in found if value}, key=len, reverse=True)


def scrub(text: str, objects: Iterable[dict[str, Any]]) -> str:
    """`text` with every Secret value of `objects` replaced by its digest (for error messages).

    Very short values are left alone: replacing every "a" in a message would destroy it.
    """
    for value in secret_values(objects):
        if len(value) >= SCRUB_MIN_LENGTH:
            text = text.replace(value, digest(value))
    return text
