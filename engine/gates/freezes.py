"""Freezes of an environment, recorded in Git as empty commits with trailers.

`promote freeze prod --reason "incident 4711" [--until TIME]` records `Promote-Freeze: prod`,
`Promote-Freeze-Reason` and, with `--until`, `Promote-Freeze-Until` (ISO, UTC) where prod lives;
`promote unfreeze prod` records `Promote-Unfreeze: prod`. The newest of the two decides: while a
freeze is in effect (and its `until` is still ahead of the gates' clock, PROMOTE_NOW included),
every promotion into the environment gets a failed `frozen` verdict before its own gates run.

A freeze is a person's recorded decision about the environment, not a policy check: `--force`
does not lift it (engine.promotion.hops), `promote unfreeze` does. Rollbacks are not blocked:
they are what one does during an incident (engine.promotion.rollback).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from promote.engine.config.durations import parse_duration
from promote.engine.errors import UsageError
from promote.engine.interfaces import GateContext
from promote.engine.model import Outcome, Verdict
from promote.engine.promotion.trailers import one_line
from promote.engine.repository.gitrepo import CommitInfo, GitRepo
from promote.engine.repository.places import Place
from promote.engine.session import Session

FROZEN = "frozen"  # the verdict's gate name; not a gate anyone configures
FREEZE = "Promote-Freeze"
FREEZE_REASON = "Promote-Freeze-Reason"
FREEZE_UNTIL = "Promote-Freeze-Until"
UNFREEZE = "Promote-Unfreeze"


@dataclass(frozen=True)
class Freeze:
    env: str
    reason: str
    by: str  # the committer of the freeze: who froze it
    since: datetime
    commit: str
    until: datetime | None = None

    def describe(self) -> str:
        until = f", until {self.until:%Y-%m-%d %H:%M %Z}" if self.until else ""
        return f"frozen by {self.by} since {self.since:%Y-%m-%d %H:%M}{until}: {self.reason}"

    def as_json(self) -> dict[str, object]:
        return {
            "reason": self.reason,
            "by": self.by,
            "since": self.since.isoformat(),
            "until": self.until.isoformat() if self.until else None,
            "commit": self.commit,
        }


def freeze_of(repo: GitRepo, env: str, now: datetime, tip: str = "HEAD") -> Freeze | None:
    """The freeze in effect on `env` at `now` in the history of `tip`, or None."""
    for commit in repo.log(grep=f"^({FREEZE}|{UNFREEZE}): ", rev=tip):
        if commit.trailer(UNFREEZE) == env:
            return None
        if commit.trailer(FREEZE) == env:
            found = _freeze(commit, env)
            return found if found.until is None or found.until > now else None
    return None


def _freeze(commit: CommitInfo, env: str) -> Freeze:
    until = commit.trailer(FREEZE_UNTIL)
    return Freeze(
        env,
        commit.trailer(FREEZE_REASON) or "(no reason recorded)",
        commit.author_email,
        commit.when,
        commit.sha,
        _moment(until) if until else None,
    )


def frozen_verdict(context: GateContext) -> Verdict | None:
    """The failed `frozen` verdict of a promotion into a frozen DST, or None."""
    repo, tip, _root = context.where(context.dst.name)
    found = freeze_of(repo, context.dst.name, context.now, tip)
    if found is None:
        return None
    reason = f"{context.dst.name} is {found.describe()} (`promote unfreeze {context.dst.name}`)"
    return Verdict(FROZEN, Outcome.FAILED, reason)


def parse_until(text: str, now: datetime) -> datetime:
    """`--until`: an ISO time (naive means UTC) or a duration from now (`2h`, `1d`)."""
    try:
        return now + parse_duration(text)
    except ValueError:
        pass
    try:
        return _moment(text)
    except ValueError:
        raise UsageError(
            f"--until {text!r}: give an ISO time (2026-12-24T08:00, +01:00 optional) "
            "or a duration from now (2h, 1d)"
        ) from None


def _moment(text: str) -> datetime:
    moment = datetime.fromisoformat(text)
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).astimezone(UTC)


def freeze_message(env: str, reason: str, until: datetime | None) -> str:
    lines = [f"freeze({env}): {one_line(reason)}", "", f"{FREEZE}: {env}"]
    lines.append(f"{FREEZE_REASON}: {one_line(reason)}")
    if until is not None:
        lines.append(f"{FREEZE_UNTIL}: {until.isoformat()}")
    return "\n".join([*lines, ""])


def unfreeze_message(env: str, lifted: Freeze) -> str:
    return f"unfreeze({env}): lift the freeze of {lifted.commit[:12]}\n\n{UNFREEZE}: {env}\n"


def freeze(
    session: Session, env: str, reason: str, until: str | None, now: datetime, *, run_hooks: bool
) -> Freeze:
    """Record a freeze of `env` where it lives; the freeze now in effect."""
    if not reason.strip():
        raise UsageError("a freeze needs --reason TEXT: it is shown to whoever is blocked")
    place = session.places.of(session.environment(env))
    ends = parse_until(until, now) if until is not None else None
    if ends is not None and ends <= now:
        raise UsageError(f"--until {until!r} is not in the future ({ends:%Y-%m-%d %H:%M %Z})")
    commit = _record(place, session.repo, freeze_message(env, reason, ends), run_hooks=run_hooks)
    return _freeze(place.repo.commit_info(commit), env)


def unfreeze(session: Session, env: str, now: datetime, *, run_hooks: bool) -> Freeze:
    """Record the end of the freeze in effect on `env`; that freeze."""
    place = session.places.of(session.environment(env))
    lifted = freeze_of(place.repo, env, now, place.commit)
    if lifted is None:
        raise UsageError(f"{env} is not frozen: there is nothing to unfreeze")
    _record(place, session.repo, unfreeze_message(env, lifted), run_hooks=run_hooks)
    return lifted


def _record(place: Place, repo: GitRepo, text: str, *, run_hooks: bool) -> str:
    from promote.engine.promotion.elsewhere import record_decision  # promotion imports the gates

    return record_decision(place, repo, text, run_hooks=run_hooks)
