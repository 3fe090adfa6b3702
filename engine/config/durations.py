"""Durations as people write them: `90s`, `30m`, `2h`, `1d`, `1h30m` (graph files, gates) and,
for timeouts and intervals, also plain seconds and fractions (`90`, `0.5s`, `500ms`)."""

from __future__ import annotations

import re
from datetime import timedelta

_UNITS = {"d": 86400, "h": 3600, "m": 60, "s": 1}
_PART = re.compile(r"(\d+)([dhms])")
_WHOLE = re.compile(r"(?:\d+[dhms])+")


def parse_duration(text: object) -> timedelta:
    """`1h30m` → 90 minutes. Units are d, h, m, s, largest first; raises ValueError otherwise."""
    if not isinstance(text, str) or not _WHOLE.fullmatch(text.strip()):
        raise ValueError(
            f"{text!r} is not a duration: use a number and a unit s, m, h or d (e.g. 30m, 1h30m)"
        )
    parts = _PART.findall(text.strip())
    units = [unit for _, unit in parts]
    ordered = sorted(units, key=lambda u: -_UNITS[u])
    if units != ordered or len(set(units)) != len(units):
        raise ValueError(f"{text!r}: give each unit once, largest first (e.g. 1d2h30m)")
    return timedelta(seconds=sum(int(n) * _UNITS[unit] for n, unit in parts))


def format_duration(delta: timedelta) -> str:
    """90 minutes → `1h30m`; whole seconds, never empty (`0s`), negative shown as `0s`."""
    seconds = max(0, int(delta.total_seconds()))
    out = []
    for unit, size in _UNITS.items():
        count, seconds = divmod(seconds, size)
        if count:
            out.append(f"{count}{unit}")
    return "".join(out) or "0s"


_SECONDS_PART = re.compile(r"(\d+(?:\.\d+)?)(ms|[dhms])")


def parse_seconds(value: object) -> float:
    """Seconds for a timeout or interval: a number of seconds or a duration like `1m30s`,
    `0.5s` or `500ms`. Raises ValueError for anything else, negative numbers included."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        if value < 0:
            raise ValueError(f"{value!r} is negative")
        return float(value)
    text = value.strip() if isinstance(value, str) else ""
    if re.fullmatch(r"\d+(?:\.\d+)?", text):
        return float(text)
    parts = _SECONDS_PART.findall(text)
    if not text or "".join(number + unit for number, unit in parts) != text:
        raise ValueError(f"{value!r} is not a duration (e.g. 30s, 5m, 1h30m, 500ms)")
    return sum(float(number) * (0.001 if unit == "ms" else _UNITS[unit]) for number, unit in parts)
