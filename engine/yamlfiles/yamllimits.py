"""Bounds on the work hostile YAML can cause: file size, and alias expansion.

Anyone who can push to the repository writes the files `promote` reads. A file is refused before it
is read when it is larger than $PROMOTE_MAX_FILE_BYTES, and a document after it is loaded when
its aliases would blow it up: aliases load as shared objects, so a few hundred bytes (`&a [*b, *b,
...]` nested nine deep, "billion laughs") load at once and then make every walk over the data (a
source's search for pins, a copy, a dump) take hours.
"""

from __future__ import annotations

import os
from pathlib import Path, PurePosixPath
from typing import Any

from promote.engine.errors import ConfigError, Location

MAX_ALIAS_EXPANSION = 100_000  # nodes that aliases may add to a document, once expanded
MAX_FILE_BYTES_ENV = "PROMOTE_MAX_FILE_BYTES"
DEFAULT_MAX_FILE_BYTES = 4 * 1024 * 1024


def refuse_alias_bomb(document: Any, origin: PurePosixPath | str) -> None:
    """Refuse a document whose aliases expand it by more than MAX_ALIAS_EXPANSION nodes."""
    sizes: dict[int, int] = {}  # id of each distinct container → its expanded size
    walking: set[int] = set()  # the containers around the node being measured
    written = 0  # nodes as written: each distinct container and its direct children, once

    def expanded(node: Any) -> int:
        nonlocal written
        if not isinstance(node, dict | list):
            return 1
        if id(node) in walking:
            raise ConfigError(
                "a recursive alias: a node contains itself", location=Location(origin)
            )
        if id(node) not in sizes:
            children = [*node.keys(), *node.values()] if isinstance(node, dict) else node
            walking.add(id(node))
            sizes[id(node)] = 1 + sum(expanded(child) for child in children)
            walking.discard(id(node))
            written += 1 + len(children)
        return sizes[id(node)]

    try:
        total = expanded(document)
    except RecursionError:
        raise ConfigError("nested too deeply to read", location=Location(origin)) from None
    if total - written > MAX_ALIAS_EXPANSION:
        raise ConfigError(
            f"YAML aliases expand this document to {total} nodes from {written} written "
            f"(at most {MAX_ALIAS_EXPANSION} more): refusing an alias bomb",
            location=Location(origin),
        )


def read_text(path: Path, shown: PurePosixPath | str) -> str:
    """A YAML file's characters as they are on disk (CRLF line ends stay, so edits keep them),
    refused when larger than $PROMOTE_MAX_FILE_BYTES (4 MiB unless set)."""
    limit = max_file_bytes()
    try:
        size = path.stat().st_size
        if size > limit:
            raise ConfigError(
                f"the file is {size} bytes, more than the limit of {limit} "
                f"(set {MAX_FILE_BYTES_ENV} to raise it)",
                location=Location(shown),
            )
        return path.read_bytes().decode("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read: {exc}", location=Location(shown)) from None


def max_file_bytes() -> int:
    configured = os.environ.get(MAX_FILE_BYTES_ENV, "")
    if not configured:
        return DEFAULT_MAX_FILE_BYTES
    if not configured.isdigit() or int(configured) == 0:
        raise ConfigError(f"{MAX_FILE_BYTES_ENV}={configured!r} is not a positive number of bytes")
    return int(configured)
