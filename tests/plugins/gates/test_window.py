from datetime import UTC, datetime

import pytest

from promote.plugins.gates.window import parse_entry
from tests.gated import verdicts
from tests.helpers import commit_count

BERLIN_OFFICE = "- window: {allow: ['Mon-Fri 09:00-17:00'], timezone: Europe/Berlin}"


def at(monkeypatch: pytest.MonkeyPatch, stamp: str) -> None:
    monkeypatch.setenv("PROMOTE_NOW", stamp)


@pytest.mark.parametrize(
    ("stamp", "outcome"),
    [
        ("2026-03-04T08:30:00+00:00", "passed"),  # Wed 09:30 in Berlin (CET, UTC+1)
        ("2026-03-04T07:30:00+00:00", "pending"),  # Wed 08:30 in Berlin
        ("2026-03-04T16:00:00+00:00", "pending"),  # Wed 17:00 in Berlin: the end is exclusive
        ("2026-03-07T10:00:00+00:00", "pending"),  # Saturday
        ("2026-07-01T07:30:00+00:00", "passed"),  # Wed 09:30 in Berlin in summer (CEST, UTC+2)
    ],
)
def test_an_allow_window_is_read_in_its_time_zone(gated_repo, cli, monkeypatch, stamp, outcome):
    repo = gated_repo(BERLIN_OFFICE)
    at(monkeypatch, stamp)
    result = cli(repo, "check", "qa", "prod", "--output", "json")
    assert verdicts(result)["window"]["outcome"] == outcome
    assert result.exit_code == (0 if outcome == "passed" else 3)


def test_a_deny_window_blocks_and_writes_nothing(gated_repo, cli, monkeypatch):
    repo = gated_repo("- window: {deny: ['Sat,Sun', 'Fri 15:00-24:00'], timezone: UTC}")
    at(monkeypatch, "2026-03-06T16:00:00+00:00")  # Friday 16:00
    before = commit_count(repo)
    result = cli(repo, "qa", "prod", "--yes")
    assert result.exit_code == 3
    assert "inside deny 'Fri 15:00-24:00'" in result.stdout
    assert commit_count(repo) == before
    at(monkeypatch, "2026-03-05T16:00:00+00:00")  # Thursday 16:00
    assert cli(repo, "qa", "prod", "--yes").exit_code == 0


def test_deny_wins_over_allow(gated_repo, cli, monkeypatch):
    repo = gated_repo("- window: {allow: ['Mon-Sun'], deny: ['Wed 10:00-11:00']}")
    at(monkeypatch, "2026-03-04T10:15:00Z")  # Wednesday
    result = cli(repo, "check", "qa", "prod", "--output", "json")
    assert result.exit_code == 3
    assert "deny 'Wed 10:00-11:00'" in verdicts(result)["window"]["reason"]


@pytest.mark.parametrize(
    ("entry", "moment", "inside"),
    [
        ("Mon-Fri", datetime(2026, 3, 6, 23, 59, tzinfo=UTC), True),  # Friday
        ("Mon-Fri", datetime(2026, 3, 7, 0, 0, tzinfo=UTC), False),  # Saturday
        ("Sat,Sun", datetime(2026, 3, 8, 12, 0, tzinfo=UTC), True),  # Sunday
        ("Fri-Mon", datetime(2026, 3, 9, 12, 0, tzinfo=UTC), True),  # Monday, range wraps
        ("Fri-Mon", datetime(2026, 3, 10, 12, 0, tzinfo=UTC), False),  # Tuesday
        ("Fri 22:00-06:00", datetime(2026, 3, 7, 5, 59, tzinfo=UTC), True),  # Sat early
        ("Fri 22:00-06:00", datetime(2026, 3, 7, 6, 0, tzinfo=UTC), False),
        ("Fri 22:00-06:00", datetime(2026, 3, 6, 5, 0, tzinfo=UTC), False),  # Fri early: Thu's
        ("Mon-Sun 09:00-17:00", datetime(2026, 3, 8, 9, 0, tzinfo=UTC), True),
    ],
)
def test_window_entries(entry, moment, inside):
    assert parse_entry(entry).contains(moment) is inside


@pytest.mark.parametrize(
    "options",
    [
        "{allow: ['Mon-Fry 09:00-17:00']}",
        "{allow: ['Mon-Fri 9-17']}",
        "{allow: ['Mon-Fri 09:00-25:00']}",
        "{deny: ['Sat'], timezone: Mars/Olympus}",
        "{timezone: UTC}",
        "{allow: ['Mon'], when: always}",
    ],
)
def test_invalid_windows_are_config_errors(gated_repo, cli, options):
    repo = gated_repo(f"- window: {options}")
    result = cli(repo, "check", "qa", "prod")
    assert result.exit_code == 2, result.stdout
    assert "environments/graph.yaml:" in result.stderr and "window" in result.stderr


HOLIDAYS = "- window: {deny: ['2026-12-23..2027-01-03', '2027-02-14'], timezone: Europe/Berlin}"


@pytest.mark.parametrize(
    ("stamp", "outcome"),
    [
        ("2026-12-22T22:59:00+00:00", "passed"),  # 23:59 on the 22nd in Berlin
        ("2026-12-22T23:00:00+00:00", "pending"),  # midnight in Berlin: the 23rd has begun
        ("2027-01-03T22:59:00+00:00", "pending"),  # the last day is inside
        ("2027-01-03T23:00:00+00:00", "passed"),  # the 4th in Berlin
        ("2027-02-14T12:00:00+00:00", "pending"),  # a single day
        ("2027-02-15T12:00:00+00:00", "passed"),
    ],
)
def test_dated_deny_ranges_hold_promotions_over_holidays(
    gated_repo, cli, monkeypatch, stamp, outcome
):
    repo = gated_repo(HOLIDAYS)
    at(monkeypatch, stamp)
    before = commit_count(repo)
    result = cli(repo, "qa", "prod", "--yes", "--output", "json")
    assert verdicts(result)["window"]["outcome"] == outcome
    assert commit_count(repo) == before + (outcome == "passed")


def test_a_dated_range_says_which_date_is_inside(gated_repo, cli, monkeypatch):
    repo = gated_repo(HOLIDAYS)
    at(monkeypatch, "2026-12-24T09:00:00+00:00")
    reason = verdicts(cli(repo, "check", "qa", "prod", "--output", "json"))["window"]["reason"]
    assert "2026-12-24" in reason and "'2026-12-23..2027-01-03'" in reason


@pytest.mark.parametrize(
    "entry", ["2027-01-03..2026-12-23", "2026-02-30", "2026-12-23..", "2026-12-23...2027-01-03"]
)
def test_invalid_dated_ranges_are_config_errors(gated_repo, cli, entry):
    repo = gated_repo(f"- window: {{deny: ['{entry}']}}")
    result = cli(repo, "check", "qa", "prod")
    assert result.exit_code == 2, result.stdout
    assert "environments/graph.yaml:" in result.stderr and entry in result.stderr
