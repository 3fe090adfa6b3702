"""Flux source refs: which key of `spec.ref` Flux runs, how that ref is shown, how to write one.

Flux reads an OCIRepository ref as digest > semver (narrowed by semverFilter) > tag, and `tag
latest` when there is none; a GitRepository ref as commit > name > semver > tag > branch, and the
`master` branch when there is none. The version of a ref artifact is that effective ref with its
key, `semver >=1.2.0` or `tag v1.5.0`, so two refs differ when the key or the value differs, and a
range is never mistaken for a tag.

Writing a ref makes the mapping hold exactly that ref: its key (and semverFilter with semver), and
none of the other ref keys. A full object drops them; a kustomize patch (no `spec.url`, which both
kinds require) sets them to `null`, which is how a strategic-merge patch deletes a key of the base.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from promote.engine.errors import ConfigError, Location
from promote.engine.model import TextEdit
from promote.engine.yamlfiles.envfiles import YamlDocument
from promote.engine.yamlfiles.yamledit import insert_key_after, remove_key
from promote.engine.yamlfiles.yamlio import CommentedMap, ScalarSpan, format_scalar, scalar_span

REF_KEYS = {
    "OCIRepository": ("digest", "semver", "tag"),
    "GitRepository": ("commit", "name", "semver", "tag", "branch"),
}
DEFAULT_KEYS = {"OCIRepository": ("tag", "latest"), "GitRepository": ("branch", "master")}
FILTER = "semverFilter"  # OCIRepository only: which tags the semver range may pick
FILTER_SEPARATOR = f" {FILTER} "


@dataclass(frozen=True)
class FluxRef:
    key: str
    value: str
    semver_filter: str | None = None

    def __str__(self) -> str:
        shown = f"{self.key} {self.value}"
        return (
            shown if self.semver_filter is None else shown + FILTER_SEPARATOR + self.semver_filter
        )

    @classmethod
    def parse(cls, kind: str, version: str) -> FluxRef:
        """The ref a version string (`semver >=1.2.0 semverFilter .*-rc.*`) stands for."""
        key, _, rest = version.partition(" ")
        value, separator, semver_filter = rest.partition(FILTER_SEPARATOR)
        if key not in REF_KEYS[kind] or not value or (separator and key != "semver"):
            raise ConfigError(
                f"{version!r} is not a {kind} ref (expected one of {', '.join(REF_KEYS[kind])}, "
                "a space, then the value)"
            )
        return cls(key, value, semver_filter if separator else None)

    def fields(self, kind: str) -> dict[str, str | None]:
        """Every ref key of `kind`: this ref's values first, then None for the keys it must lack."""
        wanted: dict[str, str | None] = {self.key: self.value}
        if self.semver_filter is not None:
            wanted[FILTER] = self.semver_filter
        every = (*REF_KEYS[kind], *((FILTER,) if kind == "OCIRepository" else ()))
        return {**wanted, **{key: None for key in every if key not in wanted}}


def effective_ref(kind: str, ref: Any) -> FluxRef | None:
    """The ref Flux runs from a `spec.ref` mapping; None when it sets no ref key."""
    if not isinstance(ref, Mapping):
        return None
    for key in REF_KEYS[kind]:
        if _present(ref.get(key)):
            semver_filter = ref.get(FILTER) if key == "semver" else None
            return FluxRef(
                key, str(ref[key]), str(semver_filter) if _present(semver_filter) else None
            )
    return None


def default_ref(kind: str) -> FluxRef:
    return FluxRef(*DEFAULT_KEYS[kind])


def value_for_key(kind: str, key: str, version: str) -> str:
    """The value of `version` when it uses `key`: for writers that can only change a value."""
    ref = FluxRef.parse(kind, version)
    if ref.key != key or ref.semver_filter is not None:
        raise ConfigError(
            f"a JSON 6902 patch of this {kind} sets only ref.{key}, and the new ref is `{ref}`: "
            "change the patch to set that ref (or leave it out with --only)"
        )
    return ref.value


def _present(value: Any) -> bool:
    return value not in (None, "")


def rewrite_ref(
    document: YamlDocument, kind: str, ref: CommentedMap, new: FluxRef
) -> list[TextEdit]:
    """Edits that make the `spec.ref` mapping `ref` hold exactly `new`."""
    is_patch = not _present((document.data.get("spec") or {}).get("url"))
    fields = new.fields(kind)
    wanted = {key: value for key, value in fields.items() if value is not None or is_patch}
    if ref.fa.flow_style():
        return [_rewrite_flow(document, ref, wanted)]
    edits: list[TextEdit] = []
    holds = {key for key in ref if key in fields}  # the ref keys the mapping has after the edits
    gained = [key for key, value in fields.items() if value is not None and key not in ref]
    for key in [k for k in ref if k in fields]:
        if fields[key] is not None:
            edits.extend(_set(document, ref, key, fields[key]))
        elif gained and _present(ref[key]) and _renamable(document, ref, key):
            # A key the ref loses becomes a key it gains, in place: its line's comment stays.
            renamed = gained.pop(0)
            edits.extend(_rename(document, ref, key, renamed, fields[renamed]))
            holds = (holds - {key}) | {renamed}
        elif is_patch:
            edits.extend(_set(document, ref, key, None))
        else:
            edits.append(remove_key(document, ref, key))
            holds.discard(key)
    added = [
        insert_key_after(document, ref, list(ref)[-1], key, value)
        for key, value in wanted.items()
        if key not in holds
    ]
    if added:  # one edit, so that the new lines keep their order
        replacement = "".join(edit.replacement for edit in added)
        edits.append(dataclasses.replace(added[0], replacement=replacement))
    return edits


def _set(document: YamlDocument, ref: CommentedMap, key: str, value: str | None) -> list[TextEdit]:
    current = ref[key]
    if (None if current is None else str(current)) == value:
        return []
    span = _value_span(document, ref, key)
    text = _scalar(value, "plain" if current is None else span.style)
    return [TextEdit(document.file.path, span.start, span.end, text)]


def _renamable(document: YamlDocument, ref: CommentedMap, key: str) -> bool:
    """A plain key can be renamed in place; a quoted one is removed and the new key added."""
    line, column = ref.lc.key(key)
    start = document.file.index.offset(line, column)
    return document.file.index.text[start : start + len(key) + 1] == key + ":"


def _rename(
    document: YamlDocument, ref: CommentedMap, old: str, new: str, value: str | None
) -> list[TextEdit]:
    """`old: value` becomes `new: value`, on the same line (so its comment stays with it)."""
    line, column = ref.lc.key(old)
    start = document.file.index.offset(line, column)
    span = _value_span(document, ref, old)
    text = _scalar(value, span.style)
    path = document.file.path
    return [
        TextEdit(path, start, start + len(old), new),
        TextEdit(path, span.start, span.end, text),
    ]


def _rewrite_flow(
    document: YamlDocument, ref: CommentedMap, wanted: dict[str, str | None]
) -> TextEdit:
    """A one-line `{tag: v1}` is written anew, keys in their old order, new keys last."""
    last = list(ref)[-1]
    end = _value_span(document, ref, last).end
    text = document.file.index.text
    close = text.find("}", end, document.file.index.line_end(ref.lc.line))
    start = document.file.index.offset(ref.lc.line, ref.lc.col)
    if text[start] != "{" or close == -1:
        raise _cannot(document, ref, "a flow mapping that spans several lines")
    keys = [k for k in ref if k in wanted] + [k for k in wanted if k not in ref]
    pad = " " if text[start + 1] == " " else ""
    items = ", ".join(f"{k}: {_scalar(wanted[k], 'plain')}" for k in keys)
    return TextEdit(document.file.path, start, close + 1, "{" + pad + items + pad + "}")


def _scalar(value: str | None, style: str) -> str:
    """`null` deletes the key in a patch; anything else is a string in the given quoting."""
    return "null" if value is None else format_scalar(value, style)


def _value_span(document: YamlDocument, ref: CommentedMap, key: str) -> ScalarSpan:
    line, column = ref.lc.value(key)
    span = scalar_span(document.file.index, line, column)
    if span is None:
        raise _cannot(document, ref, f"ref.{key} written as a block or an empty value")
    return span


def _cannot(document: YamlDocument, ref: CommentedMap, what: str) -> ConfigError:
    return ConfigError(
        f"cannot rewrite {what}; write spec.ref as one `key: value` per line",
        location=Location(document.file.path, ref.lc.line + 1),
    )
