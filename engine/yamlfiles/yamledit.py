"""Text edits that add or remove whole lines of block YAML, for the rare cases a scalar splice is
not enough (an environment that inherits a pin gets a new override entry)."""

from __future__ import annotations

from promote.engine.errors import ConfigError, Location
from promote.engine.model import TextEdit
from promote.engine.yamlfiles.envfiles import YamlDocument, YamlFile
from promote.engine.yamlfiles.yamlio import CommentedMap, CommentedSeq, LineIndex, format_scalar


def insert_key_after(
    document: YamlDocument, mapping: CommentedMap, after: str, key: str, value: str | None
) -> TextEdit:
    """A new `key: value` line right after the line of `after`, at the mapping's indentation.

    A None value is written `null` (how a strategic-merge patch deletes the key)."""
    index = document.file.index
    line, _ = mapping.lc.value(after)
    _, column = mapping.lc.key(next(iter(mapping)))
    spelled = "null" if value is None else format_scalar(value, "plain")
    text = " " * column + f"{key}: {spelled}"
    if index.line_end(line) == len(index.text):  # the last line, without a line break
        return TextEdit(document.file.path, len(index.text), len(index.text), index.newline + text)
    at = index.after_line(line)
    return TextEdit(document.file.path, at, at, text + index.newline)


def remove_key(document: YamlDocument, mapping: CommentedMap, key: str) -> TextEdit:
    """Drop the single line that holds `key: value`."""
    index = document.file.index
    line, _ = mapping.lc.key(key)
    value_line, _ = mapping.lc.value(key)
    if value_line != line:
        raise ConfigError(f"cannot remove multi-line key {key!r}", location=_where(document, line))
    start = index.offset(line, 0)
    return TextEdit(document.file.path, start, index.after_line(line), "")


Item = dict[str, "str | Item"]


def append_block_item(file: YamlFile, top_key: str, item: Item, *more: Item) -> TextEdit:
    """Add mapping items to the block sequence under the top-level `top_key` (creating the key)."""
    document = file.documents[0]
    data = document.data
    items = (item, *more)
    if top_key not in data:
        return _new_key(file, top_key, items)
    sequence = data[top_key]
    if not isinstance(sequence, CommentedSeq) or not sequence or sequence.fa.flow_style():
        raise ConfigError(
            f"cannot add an entry to `{top_key}`: it is not a non-empty block list",
            location=_where(document, data.lc.key(top_key)[0]),
        )
    index = file.index
    first_line, first_column = sequence.lc.item(0)
    dash = index.text.rfind(
        "-", index.offset(first_line, 0), index.offset(first_line, first_column)
    )
    dash_column = dash - index.offset(first_line, 0)
    at = _end_of_value(file, data, top_key)
    text = "".join(_item_text(i, dash_column, first_column - dash_column) for i in items)
    return TextEdit(file.path, at, at, _in_file(file, text, at))


def _new_key(file: YamlFile, top_key: str, items: tuple[Item, ...]) -> TextEdit:
    end = len(file.text)
    entries = "".join(_item_text(item, 0, 2) for item in items)
    return TextEdit(file.path, end, end, _in_file(file, f"{top_key}:\n" + entries, end))


def _in_file(file: YamlFile, lines: str, at: int) -> str:
    """`lines` (ending in \\n) spelled with the file's line break, starting a line at `at`."""
    index = file.index
    text = lines.replace("\n", index.newline)
    at_line_start = at == 0 or at in index.starts
    return text if at_line_start else index.newline + text


def _item_text(item: Item, dash_column: int, gap: int) -> str:
    lines = []
    for number, (key, value) in enumerate(item.items()):
        lead = " " * dash_column + ("-" + " " * (gap - 1) if number == 0 else " " * gap)
        lines.extend(_key_lines(lead, key, value, dash_column + gap))
    return "".join(lines)


def _key_lines(lead: str, key: str, value: str | Item, column: int) -> list[str]:
    if isinstance(value, str):
        return [f"{lead}{key}: {format_scalar(value, 'plain')}\n"]
    lines = [f"{lead}{key}:\n"]
    for inner_key, inner in value.items():
        lines.extend(_key_lines(" " * (column + 2), inner_key, inner, column + 2))
    return lines


def _end_of_value(file: YamlFile, data: CommentedMap, top_key: str) -> int:
    """Offset just after the last content line of `top_key`'s value (before trailing comments)."""
    index = file.index
    keys = list(data)
    position = keys.index(top_key)
    last_line = len(index.starts) - 1
    if position + 1 < len(keys):
        last_line = data.lc.key(keys[position + 1])[0] - 1
    start_line = data.lc.key(top_key)[0]
    while last_line > start_line and _blank_or_comment(index, last_line):
        last_line -= 1
    return index.after_line(last_line)


def _blank_or_comment(index: LineIndex, line: int) -> bool:
    content = index.text[index.offset(line, 0) : index.line_end(line)].strip()
    return not content or content.startswith("#") or content in ("---", "...")


def _where(document: YamlDocument, line: int) -> Location:
    return Location(document.file.path, line + 1)
