"""The text ruamel reads: a file's YAML with the whitespace kustomize accepts and ruamel does not
spelled the way ruamel wants it, character for character.

kustomize (go-yaml v3) takes a tab wherever a space separates tokens on a line: after a value, a
key's colon, `---`, a block indicator or before a comment (the Argo CD example apps' Services end
lines with one). ruamel stops at each. Every change here replaces one character by one character,
so ruamel's line/column marks still point into the original text, where edits are spliced. Tabs
go-yaml refuses too stay, for ruamel to report: indentation, tab-only lines, a tab right after a
block sequence's `-` (or a complex key's `?`).
"""

from __future__ import annotations

import re

# A line opening a block scalar (`key: |`, `- >-`, `data: |2 # note`): the lines indented below
# it are its content, where a trailing tab is a character of the value.
_BLOCK_SCALAR_START = re.compile(r"(?:^|[ \t])[|>][-+1-9]*[ \t]*(?:#.*)?$")
# Blanks with a tab between a block mapping's plain key and its value (`name:\tweb`, tabs to
# align values): made spaces up front, as ruamel would otherwise be re-run once per such line.
_KEY_THEN_TAB = re.compile(r"^( *(?:- +)*[\w./-]+:)([ \t]*\t[ \t]*)(?=[^ \t\r\n])")
# A BOM opening a later document of the stream (files concatenated from Windows editors): ruamel
# would read it as part of the first key. It moves to the end of the `---` line, as a space.
_BOM_AFTER_SEPARATOR = re.compile(r"^(---[ \t]*)(\r\n|\r|\n)\ufeff", re.MULTILINE)


def readable(text: str) -> str:
    """`text` with trailing tabs and tabs after a key (outside block scalars) as spaces, and
    later BOMs moved."""
    if "\ufeff" in text[1:]:
        text = _BOM_AFTER_SEPARATOR.sub(lambda m: f"{m[1]} {m[2]}", text)
    if "\t" not in text:
        return text
    lines, block_indent = [], -1
    for line in text.splitlines(keepends=True):
        body = line.rstrip("\r\n")
        content = body.rstrip(" \t")
        indent = len(body) - len(body.lstrip(" "))
        if block_indent >= 0 and (not content.strip() or indent > block_indent):
            lines.append(line)  # block scalar content: leave its characters alone
            continue
        if _separates(content) and "\t" in body[len(content) :]:
            line = content + body[len(content) :].replace("\t", " ") + line[len(body) :]
        line = _KEY_THEN_TAB.sub(lambda m: m[1] + " " * len(m[2]), line)
        block_indent = indent if _BLOCK_SCALAR_START.search(content) else -1
        lines.append(line)
    return "".join(lines)


def tab_as_space(text: str, offset: int) -> str | None:
    """`text` with the run of blanks around the tab at `offset` made spaces, where go-yaml reads
    it as separating whitespace; None when the character there is no such tab."""
    if offset >= len(text) or text[offset] != "\t":
        return None
    start = offset
    while start > 0 and text[start - 1] in " \t":
        start -= 1
    end = offset
    while end < len(text) and text[end] in " \t":
        end += 1
    line_start = max(text.rfind("\n", 0, start), text.rfind("\r", 0, start)) + 1
    if not _separates(text[line_start:start]):
        return None
    return text[:start] + " " * (end - start) + text[end:]


def _separates(before: str) -> bool:
    """Whether blanks after `before` (a line's text up to them) may hold tabs for go-yaml."""
    content = before.strip(" \t")
    if not content or content.endswith("\\"):  # indentation, or an escaped tab in "…\<tab>"
        return False
    last_word = content.split()[-1]
    return last_word not in ("-", "?")
