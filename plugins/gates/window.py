"""`- window: {allow: ["Mon-Fri 09:00-17:00"], deny: ["Fri 16:00-24:00"], timezone: Europe/Berlin}`.

An entry is days and an optional time range: `Mon-Fri 09:00-17:00`, `Sat,Sun`, `Mon-Sun`,
`Fri 22:00-06:00` (past midnight: the days name where the range starts), or dates: a day
`2026-12-24` or an inclusive range `2026-12-23..2027-01-03` (a holiday freeze), in the window's
timezone. Deny wins over allow;
with `allow` given, a time outside every allow entry is refused. Refused is `pending`: it passes
later, when the window opens.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from promote.engine.interfaces import GateContext
from promote.engine.model import Outcome, Verdict
from promote.engine.plugins import hookimpl

NAME = "window"
KEYS = ("allow", "deny", "timezone")
DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_TIMES = re.compile(r"(\d{2}):(\d{2})-(\d{2}):(\d{2})")
_DATES = re.compile(r"(\d{4}-\d{2}-\d{2})(?:\.\.(\d{4}-\d{2}-\d{2}))?")


@dataclass(frozen=True)
class WindowEntry:
    text: str
    days: frozenset[int]  # 0 = Monday, like datetime.weekday()
    start: int  # minutes after midnight
    end: int  # exclusive; <= start means the range runs past midnight

    def contains(self, moment: datetime) -> bool:
        minute = moment.hour * 60 + moment.minute
        day = moment.weekday()
        if self.start < self.end:
            return day in self.days and self.start <= minute < self.end
        return (day in self.days and minute >= self.start) or (
            (day - 1) % 7 in self.days and minute < self.end
        )


@dataclass(frozen=True)
class DatedEntry:
    text: str
    first: date
    last: date  # inclusive: `2026-12-23..2027-01-03` covers the 3rd of January

    def contains(self, moment: datetime) -> bool:
        return self.first <= moment.date() <= self.last


def parse_entry(text: str) -> WindowEntry | DatedEntry:
    """`Mon-Fri 09:00-17:00` → a WindowEntry, `2026-12-23..2027-01-03` → a DatedEntry; raises
    ValueError with what is wrong."""
    dated = _DATES.fullmatch(text.strip())
    if dated:
        return _dated(text, *dated.groups())
    words = text.split()
    if not 1 <= len(words) <= 2:
        raise ValueError(f"{text!r}: expected DAYS [HH:MM-HH:MM], e.g. 'Mon-Fri 09:00-17:00'")
    days = _days(words[0], text)
    start, end = _times(words[1], text) if len(words) == 2 else (0, 24 * 60)
    return WindowEntry(text, days, start, end)


def _dated(text: str, first: str, last: str | None) -> DatedEntry:
    try:
        start, end = date.fromisoformat(first), date.fromisoformat(last or first)
    except ValueError:
        raise ValueError(f"{text!r}: not a date (YYYY-MM-DD)") from None
    if end < start:
        raise ValueError(f"{text!r}: the range ends before it starts")
    return DatedEntry(text, start, end)


def _days(spec: str, text: str) -> frozenset[int]:
    days: set[int] = set()
    for part in spec.lower().split(","):
        first, _, last = part.partition("-")
        if first not in DAYS or (last and last not in DAYS):
            raise ValueError(f"{text!r}: days are Mon..Sun, as 'Mon-Fri', 'Sat,Sun' or 'Mon'")
        a, b = DAYS.index(first), DAYS.index(last or first)
        days.update((a + i) % 7 for i in range((b - a) % 7 + 1))
    return frozenset(days)


def _times(spec: str, text: str) -> tuple[int, int]:
    match = _TIMES.fullmatch(spec)
    if not match:
        raise ValueError(f"{text!r}: times are HH:MM-HH:MM, e.g. 09:00-17:00")
    h1, m1, h2, m2 = (int(g) for g in match.groups())
    if h1 > 23 or m1 > 59 or m2 > 59 or h2 > 24 or (h2 == 24 and m2):
        raise ValueError(f"{text!r}: not a time of day")
    start, end = h1 * 60 + m1, h2 * 60 + m2
    if start == end:
        raise ValueError(f"{text!r}: an empty time range")
    return start, end


def _entries(options: dict[str, Any], key: str) -> list[WindowEntry | DatedEntry]:
    value = options.get(key, [])
    values = [value] if isinstance(value, str) else value
    if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
        raise ValueError(f"{key}: expected a list of entries like 'Mon-Fri 09:00-17:00'")
    return [parse_entry(v) for v in values]


class Window:
    def check_options(self, options: Any) -> str | None:
        if not isinstance(options, dict):
            return "expected a mapping with allow: and/or deny: lists and an optional timezone:"
        unknown = sorted(set(options) - set(KEYS))
        if unknown:
            return f"unknown option {unknown[0]!r} (allowed: {', '.join(KEYS)})"
        if "allow" not in options and "deny" not in options:
            return "give allow: or deny: (or both)"
        try:
            _entries(options, "allow"), _entries(options, "deny")
            _zone(options)
        except ValueError as exc:
            return str(exc)
        return None

    def evaluate(self, context: GateContext, options: Any) -> Verdict:
        zone = _zone(options)
        local = context.now.astimezone(zone)
        shown = f"{local:%a %Y-%m-%d %H:%M} {zone.key}"
        for entry in _entries(options, "deny"):
            if entry.contains(local):
                return Verdict(NAME, Outcome.PENDING, f"{shown} is inside deny {entry.text!r}")
        allow = _entries(options, "allow")
        if not allow:
            return Verdict(NAME, Outcome.PASSED, f"{shown} is outside every deny window")
        for entry in allow:
            if entry.contains(local):
                return Verdict(NAME, Outcome.PASSED, f"{shown} is inside allow {entry.text!r}")
        listed = ", ".join(repr(e.text) for e in allow)
        return Verdict(NAME, Outcome.PENDING, f"{shown} is outside allow {listed}")


def _zone(options: dict[str, Any]) -> ZoneInfo:
    name = options.get("timezone", "UTC")
    try:
        return ZoneInfo(str(name))
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"timezone: unknown time zone {name!r} (e.g. Europe/Berlin)") from None


@hookimpl
def promote_register_gates(register) -> None:
    register(NAME, Window())
