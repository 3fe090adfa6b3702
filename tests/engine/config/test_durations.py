from datetime import timedelta

import pytest

from promote.engine.config.durations import format_duration, parse_duration


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("90s", timedelta(seconds=90)),
        ("30m", timedelta(minutes=30)),
        ("2h", timedelta(hours=2)),
        ("1d", timedelta(days=1)),
        ("1h30m", timedelta(hours=1, minutes=30)),
        ("1d2h3m4s", timedelta(days=1, hours=2, minutes=3, seconds=4)),
        ("0s", timedelta(0)),
    ],
)
def test_parse_duration(text, expected):
    assert parse_duration(text) == expected


@pytest.mark.parametrize("text", ["", "30", "30 minutes", "1.5h", "30m1h", "1h1h", "-5m", 30, None])
def test_parse_duration_refuses(text):
    with pytest.raises(ValueError):
        parse_duration(text)


@pytest.mark.parametrize(
    ("delta", "expected"),
    [
        (timedelta(0), "0s"),
        (timedelta(seconds=-5), "0s"),
        (timedelta(hours=2, minutes=10), "2h10m"),
        (timedelta(days=1, seconds=1), "1d1s"),
        (timedelta(minutes=12, microseconds=999), "12m"),
    ],
)
def test_format_duration(delta, expected):
    assert format_duration(delta) == expected


@pytest.mark.parametrize(
    ("value", "seconds"),
    [(90, 90.0), ("90", 90.0), ("1m30s", 90.0), ("0.5s", 0.5), ("500ms", 0.5), ("2h", 7200.0)],
)
def test_parse_seconds(value, seconds):
    from promote.engine.config.durations import parse_seconds

    assert parse_seconds(value) == seconds


@pytest.mark.parametrize("value", ["", "soon", "5 minutes", -1, True, None, "1h-5m"])
def test_parse_seconds_refuses(value):
    from promote.engine.config.durations import parse_seconds

    with pytest.raises(ValueError):
        parse_seconds(value)
