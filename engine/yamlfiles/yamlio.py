"""The only module that imports ruamel.yaml.

Edits never re-dump a document: re-dumping re-indents sequences and moves comments. Instead we use
ruamel's line/column marks to find a scalar's span in the original text and splice just that span,
so every other byte of the file stays as it was.
"""

from __future__ import annotations

import io
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from pathlib import PurePosixPath
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq, merge_attrib
from ruamel.yaml.constructor import DuplicateKeyError, RoundTripConstructor
from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.main import CParser  # libyaml's, from ruamel.yaml.clib; None without it
from ruamel.yaml.representer import SafeRepresenter
from ruamel.yaml.resolver import BaseResolver, VersionedResolver, implicit_resolvers
from ruamel.yaml.scalarbool import ScalarBoolean
from ruamel.yaml.scalarfloat import ScalarFloat
from ruamel.yaml.scalarint import ScalarInt
from ruamel.yaml.scalarstring import ScalarString
from ruamel.yaml.util import LazyEval

from promote.engine.errors import ConfigError, Location
from promote.engine.yamlfiles.yamllimits import read_text, refuse_alias_bomb
from promote.engine.yamlfiles.yamlview import readable, tab_as_space

__all__ = ["CommentedMap", "CommentedSeq", "ScalarSpan", "dump_json_compatible", "read_text"]


def _round_trip() -> YAML:
    yaml = YAML(typ="rt")
    yaml.allow_duplicate_keys = False
    return yaml


class _MarksOnlyConstructor(RoundTripConstructor):
    comment_handling = None  # libyaml's parser reports no comments


class _LibyamlResolver(VersionedResolver):
    """YAML 1.2, as ruamel's Python parser reads a stream without a `%YAML` directive. (ruamel
    looks for the directive on its Python scanner; with libyaml's it fails over two caught
    AttributeErrors for every scalar, most of the time of a load.)"""

    @property
    def processing_version(self) -> Any:
        return self._loader_version or (1, 2)

    @cached_property
    def versioned_resolver(self) -> Any:
        # ruamel keeps its patterns compiled lazily, behind a proxy that costs as much as the
        # match itself on every scalar: the loader's table holds them compiled.
        return {
            first: [(tag, _compiled(pattern)) for tag, pattern in pairs]
            for first, pairs in super().versioned_resolver.items()
        }


def _compiled(pattern: Any) -> Any:
    return pattern.lazy_self() if isinstance(pattern, LazyEval) else pattern


def _round_trip_in_c() -> YAML:
    """Round-trip data with line/column marks but no comments, parsed by libyaml (5× faster)."""
    yaml = _round_trip()
    yaml.Parser, yaml.Reader, yaml.Scanner = CParser, None, None
    yaml.Constructor, yaml.Resolver = _MarksOnlyConstructor, _LibyamlResolver
    return yaml


def _safe_in_c() -> YAML:
    yaml = YAML(typ="safe")  # ruamel picks libyaml's parser by itself when it is installed
    yaml.Resolver = _LibyamlResolver
    return yaml


def _safe_in_python() -> YAML:
    return YAML(typ="safe", pure=True)


# The only comments sources read are setter markers, a JSON object after the `#`
# (plugins/markers): a text that may hold one is read by the parser that keeps comments.
_OBJECT_IN_COMMENT = re.compile(r"#[ \t]*\{")


def load_round_trip(text: str, file: PurePosixPath | str) -> list[Any]:
    """Every document of a YAML stream, with line/column marks kept, and comments where they
    may hold a setter marker."""
    if CParser is None or _OBJECT_IN_COMMENT.search(text):
        return _load_all(_round_trip, text, file)
    return _load_fast(_round_trip_in_c, _round_trip, text, file)


def load_safe(text: str, origin: str) -> list[Any]:
    """Plain Python data for every document, for rendered output where we need no positions."""
    return _load_fast(_safe_in_c, _safe_in_python, text, origin)


def _load_fast(
    fast: Callable[[], YAML], python: Callable[[], YAML], text: str, origin: PurePosixPath | str
) -> list[Any]:
    """Read with libyaml; text it stops at is read again by ruamel's Python parser, which is
    the one whose errors we report and whose stops at tabs we know how to get past."""
    if CParser is None:
        return _load_all(python, text, origin)
    try:
        # str(): libyaml takes no str subclass (a block scalar's text, as ruamel hands it out).
        documents = [doc for doc in fast().load_all(str(readable(text))) if doc is not None]
    except YAMLError:
        return _load_all(python, text, origin)
    if "&" in text:  # no alias without an anchor
        for document in documents:
            refuse_alias_bomb(document, origin)
    return documents


def _load_all(make: Callable[[], YAML], text: str, origin: PurePosixPath | str) -> list[Any]:
    """The documents of `text`, read as kustomize reads them (see engine.yamlfiles.yamlview).

    Trailing tabs and tabs after a key are made spaces up front; any other tab ruamel stops at
    is made a space where go-yaml would accept it, and the text read again (once per such tab).
    """
    view = readable(text)
    while True:
        try:
            documents = [doc for doc in make().load_all(view) if doc is not None]
        except YAMLError as exc:
            mark, index = getattr(exc, "problem_mark", None), LineIndex(view)
            known = mark is not None and mark.line < len(index.starts)
            retry = known and tab_as_space(view, index.offset(mark.line, mark.column))
            if not retry:
                raise ConfigError(_problem(exc), location=_location(exc, origin)) from None
            view = retry
            continue
        for document in documents:
            refuse_alias_bomb(document, origin)
        return documents


class _NotPlain(Exception):
    pass


# Round-trip scalars whose plain value is what the safe loader gives for the same text.
_PLAIN_OF = {ScalarString: str, ScalarInt: int, ScalarFloat: float, ScalarBoolean: bool}


def plain_copy(documents: list[Any]) -> list[Any] | None:
    """What `load_safe` gives for the text `documents` were round-trip loaded from, made from
    them without parsing again; None when they hold what only a new parse gets right (a merge
    key, whose keys the safe loader orders otherwise; a tag; a timestamp)."""
    copies: dict[int, Any] = {}  # an alias stays one object, as the safe loader makes it

    def plain(value: Any) -> Any:
        if value is None or type(value) in (str, int, float, bool):
            return value
        for scalar_type, plain_type in _PLAIN_OF.items():
            if isinstance(value, scalar_type):
                return plain_type(value)
        if id(value) in copies:
            return copies[id(value)]
        if type(value) is CommentedSeq and value.tag.value is None:
            copies[id(value)] = copy = []
            copy.extend(plain(item) for item in value)
            return copy
        if type(value) is CommentedMap and value.tag.value is None:
            if getattr(value, merge_attrib, None):
                raise _NotPlain
            copies[id(value)] = copy = {}
            copy.update((plain(key), plain(item)) for key, item in value.items())
            return copy
        raise _NotPlain

    try:
        return [plain(document) for document in documents]
    except _NotPlain:
        return None


class _PortableResolver(BaseResolver):
    """Resolves a scalar as YAML 1.1 *or* 1.2 would, so the dumper quotes every string that either
    reads back as something else: kubectl, Flux and Argo CD read YAML 1.1 (`on`, `yes`, `12:30`)."""

    def __init__(self, version: Any = None, loader: Any = None, loadumper: Any = None) -> None:
        super().__init__(loadumper=loader or loadumper)


for _versions, _tag, _regexp, _first in implicit_resolvers:
    _PortableResolver.add_implicit_resolver_base(_tag, _regexp, _first)


class _Representer(SafeRepresenter):
    def represent_str(self, data: str) -> Any:
        # Multi-line values (config files in ConfigMaps) read best as literal blocks, as in
        # kustomize's output; the emitter falls back to quoting when a block cannot hold them.
        style = "|" if "\n" in data.rstrip("\n") else None
        return self.represent_scalar("tag:yaml.org,2002:str", data, style=style)


_Representer.add_representer(str, _Representer.represent_str)


def dump_all(documents: list[Any]) -> str:
    """A multi-document YAML stream of plain data (rendered objects), keys in their given order."""
    yaml = YAML(typ="safe", pure=True)
    yaml.Resolver = _PortableResolver
    yaml.Representer = _Representer
    yaml.default_flow_style = False
    yaml.sort_base_mapping_type_on_output = False  # type: ignore[assignment]
    buffer = io.StringIO()
    yaml.dump_all(documents, buffer)
    return buffer.getvalue()


def dump_json_compatible(value: Any) -> Any:
    """Round-trip containers → plain dicts and lists (for JSON output and hashing)."""
    return json.loads(json.dumps(value, default=str))


# ruamel names both values of a duplicate key: in a Secret that prints two passwords.
_DUPLICATE_VALUES = re.compile(r' with value ".*" \(original value: ".*"\)$', re.DOTALL)


def _problem(exc: YAMLError) -> str:
    if isinstance(exc, DuplicateKeyError):
        return _DUPLICATE_VALUES.sub("", exc.problem or "found a duplicate key")
    if isinstance(exc, MarkedYAMLError):
        return " ".join(part for part in (exc.context, exc.problem) if part) or "invalid YAML"
    return str(exc).splitlines()[0]


def _location(exc: YAMLError, file: PurePosixPath | str) -> Location:
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    if mark is None:
        return Location(file)
    return Location(file, mark.line + 1, mark.column + 1)


def position_of_value(node: CommentedMap, key: str) -> tuple[int, int]:
    """0-based (line, column) where `node[key]`'s value starts."""
    line, column = node.lc.value(key)
    return line, column


def position_of_item(node: CommentedSeq, index: int) -> tuple[int, int]:
    line, column = node.lc.item(index)
    return line, column


@dataclass(frozen=True)
class ScalarSpan:
    """The characters text[start:end] that spell a one-line scalar, and how it is quoted."""

    start: int
    end: int
    style: str  # "plain", "'" or '"'


# Line breaks as ruamel counts lines; a BOM is not a column (ruamel skips it at a line start).
_LINE_BREAK = re.compile("\r\n|[\n\r\x85\u2028\u2029]")


class LineIndex:
    """Offsets of line starts and ends, to turn ruamel's (line, column) marks into offsets."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.starts = [0]
        self.ends: list[int] = []
        for found in _LINE_BREAK.finditer(text):
            self.ends.append(found.start())
            self.starts.append(found.end())
        self.ends.append(len(text))
        self.starts = [s + 1 if text.startswith("\ufeff", s) else s for s in self.starts]
        first_break = _LINE_BREAK.search(text)
        self.newline = first_break[0] if first_break else "\n"  # for lines we insert

    def offset(self, line: int, column: int) -> int:
        return self.starts[line] + column

    def line_end(self, line: int) -> int:
        """Where the line's content ends: its line break, or the end of the text."""
        return self.ends[line]

    def after_line(self, line: int) -> int:
        """Where the next line starts (past the line break), or the end of the text."""
        return self.starts[line + 1] if line + 1 < len(self.starts) else len(self.text)

    def line_of(self, offset: int) -> int:
        low, high = 0, len(self.starts) - 1
        while low < high:
            middle = (low + high + 1) // 2
            if self.starts[middle] <= offset:
                low = middle
            else:
                high = middle - 1
        return low


def scalar_span(index: LineIndex, line: int, column: int) -> ScalarSpan | None:
    """The span of the one-line scalar starting at (line, column); None for block/multi-line."""
    text = index.text
    start = index.offset(line, column)
    limit = index.line_end(line)
    if start >= limit:
        return None
    quote = text[start]
    if quote in "'\"":
        end = _closing_quote(text, start, limit, quote)
        return None if end is None else ScalarSpan(start, end + 1, quote)
    if quote in "|>[{&*!":
        return None
    end = _plain_end(text, start, limit)
    return ScalarSpan(start, end, "plain")


def _closing_quote(text: str, start: int, limit: int, quote: str) -> int | None:
    position = start + 1
    while position < limit:
        char = text[position]
        if quote == '"' and char == "\\":
            position += 2
            continue
        if char == quote:
            if quote == "'" and position + 1 < limit and text[position + 1] == "'":
                position += 2
                continue
            return position
        position += 1
    return None


_COMMENT = re.compile(r"[ \t]#")


def _plain_end(text: str, start: int, limit: int) -> int:
    comment = _COMMENT.search(text, start, limit)
    end = limit if comment is None else comment.start()
    # A plain scalar inside a flow collection ends at the next indicator.
    for stop in (", ", ",", "]", "}"):
        found = text.find(stop, start, end)
        if found != -1 and _inside_flow(text, start):
            end = found
    return len(text[start:end].rstrip()) + start


def _inside_flow(text: str, start: int) -> bool:
    line_start = text.rfind("\n", 0, start) + 1
    prefix = text[line_start:start]
    return prefix.count("[") > prefix.count("]") or prefix.count("{") > prefix.count("}")


def format_scalar(value: str, style: str) -> str:
    """Spell `value` in the original quoting style, quoting a plain one only when YAML must."""
    if style == "'":
        return "'" + value.replace("'", "''") + "'"
    if style == '"':
        return json.dumps(value, ensure_ascii=False)
    if _reads_back_as_string(value):
        return value
    return json.dumps(value, ensure_ascii=False)


def _reads_back_as_string(value: str) -> bool:
    """A plain `1.10` would become the float 1.1: those values need quotes."""
    if not value or value != value.strip() or any(c in value for c in "#:{}[],&*!|>'\"%@`"):
        return _safe_plain_with_colon(value)
    try:
        loaded = YAML(typ="safe").load(f"v: {value}\n")
    except YAMLError:
        return False
    return isinstance(loaded, dict) and loaded.get("v") == value


def _safe_plain_with_colon(value: str) -> bool:
    # Image references and digests (ghcr.io/acme/web:1.2, sha256:abc, v1@sha256:..) are fine
    # plain as long as no ": " or " #" makes them a mapping or a comment.
    if not value or value != value.strip() or value[0] in "#:{}[],&*!|>'\"%@`-?":
        return False
    return ": " not in value and " #" not in value and not any(c in value for c in "{}[],")
