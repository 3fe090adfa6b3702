"""The promotion commit message and its trailers: written here, read back here.

Git itself parses the trailers (`%(trailers)` in `git log`), so anything that
`git interpret-trailers --parse` understands, we understand.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import UTC, datetime

from promote.engine.model import Plan, Verdict
from promote.engine.repository.gitrepo import CommitInfo, GitRepo

ID = "Promote-Id"
FROM = "Promote-From"
TO = "Promote-To"
SOURCE_COMMIT = "Promote-Source-Commit"
SOURCE_REPO = "Promote-Source-Repo"  # when SRC lives in another repository than DST
ARTIFACT = "Promote-Artifact"
GATE = "Promote-Gate"
APPROVED_BY = "Promote-Approved-By"
FORCED = "Promote-Forced"
ROLLBACK_OF = "Promote-Rollback-Of"  # a rollback: one per promotion it undoes
VERIFIED_FOR = "Promote-Verified-For"  # a verification (empty commit): the Promote-Id it checked
VERIFICATION = "Promote-Verification"  # `passed: …` or `failed: …`
SUBJECT_ARTIFACTS = 3


def new_promotion_id(now: datetime | None = None) -> str:
    """Sortable by time, unique by randomness: 20261124T070102Z-3f9a1c."""
    stamp = (now or datetime.now(UTC)).strftime("%Y%m%dT%H%M%SZ")
    return f"{stamp}-{secrets.token_hex(3)}"


@dataclass(frozen=True)
class Decisions:
    """What gates decided for this promotion, recorded in the trailers."""

    verdicts: tuple[Verdict, ...] = ()
    approvers: tuple[str, ...] = ()
    forced_reason: str | None = None
    rollback_of: tuple[
        str, ...
    ] = ()  # the Promote-Ids a rollback undoes (engine.promotion.rollback)


def subject(plan: Plan, rollback: bool = False) -> str:
    parts = [f"{c.ref.name} {c.old} → {c.new}" for c in plan.changes[:SUBJECT_ARTIFACTS]]
    more = len(plan.changes) - SUBJECT_ARTIFACTS
    if more > 0:
        parts.append(f"and {more} more")
    return f"{'rollback' if rollback else 'promote'}({plan.dst}): " + ", ".join(parts)


def message(plan: Plan, promotion_id: str, decisions: Decisions = Decisions()) -> str:
    rollback = bool(decisions.rollback_of)
    intro = (
        f"Roll {plan.dst} back to the versions it ran at {plan.source_commit[:12]}."
        if rollback
        else f"Promote {plan.dst} to the versions {plan.src} runs at {plan.source_commit[:12]}."
    )
    body = [intro, ""]
    for change in plan.changes:
        files = ", ".join(change.files)
        body.append(f"- {change.ref}: {change.old} → {change.new} ({change.how} in {files})")
    trailers = [
        (ID, promotion_id),
        *((ROLLBACK_OF, undone) for undone in decisions.rollback_of),
        (FROM, plan.src),
        (TO, plan.dst),
        (SOURCE_COMMIT, plan.source_commit),
        *(((SOURCE_REPO, plan.source_repo),) if plan.source_repo else ()),
        *((ARTIFACT, f"{c.ref.kind} {c.ref.name} {c.old} -> {c.new}") for c in plan.changes),
        *((GATE, f"{v.gate} {v.outcome.value}: {v.reason}") for v in decisions.verdicts),
        *((APPROVED_BY, approver) for approver in decisions.approvers),
    ]
    if decisions.forced_reason is not None:
        trailers.append((FORCED, decisions.forced_reason))
    lines = [f"{key}: {one_line(value)}" for key, value in trailers]
    return "\n".join([subject(plan, rollback), "", *body, "", *lines, ""])


def one_line(value: str) -> str:
    return " ".join(value.split())


@dataclass(frozen=True)
class ArtifactMove:
    kind: str
    name: str
    old: str
    new: str

    @classmethod
    def parse(cls, value: str) -> ArtifactMove:
        """`kind name OLD -> NEW`; versions may hold spaces (`semver >= 1.8.0`), names do not."""
        kind, name, versions = value.split(" ", 2)
        old, arrow, new = versions.partition(" -> ")
        if not arrow:
            raise ValueError(f"no ` -> ` in {value!r}")
        return cls(kind, name, old, new)


@dataclass(frozen=True)
class PromotionRecord:
    """One promotion, read back from its commit."""

    id: str
    commit: str
    when: datetime
    author: str
    subject: str
    src: str
    dst: str
    source_commit: str
    artifacts: tuple[ArtifactMove, ...] = field(default=())
    gates: tuple[str, ...] = ()
    approvers: tuple[str, ...] = ()
    forced: str | None = None
    source_repo: str | None = None
    rollback_of: tuple[str, ...] = ()

    @classmethod
    def from_commit(cls, commit: CommitInfo) -> PromotionRecord | None:
        values: dict[str, list[str]] = {}  # one pass over the trailers: history reads thousands
        for key, value in commit.trailers:
            values.setdefault(key.lower(), []).append(value)
        first = {key: found[0] for key, found in values.items()}
        if ID.lower() not in first:
            return None
        return cls(
            id=first[ID.lower()],
            commit=commit.sha,
            when=commit.when,
            author=commit.author_email,
            subject=commit.subject,
            src=first.get(FROM.lower(), ""),
            dst=first.get(TO.lower(), ""),
            source_commit=first.get(SOURCE_COMMIT.lower(), ""),
            artifacts=tuple(_moves(values.get(ARTIFACT.lower(), []))),
            gates=tuple(values.get(GATE.lower(), [])),
            approvers=tuple(values.get(APPROVED_BY.lower(), [])),
            forced=first.get(FORCED.lower()),
            source_repo=first.get(SOURCE_REPO.lower()),
            rollback_of=tuple(values.get(ROLLBACK_OF.lower(), [])),
        )

    def as_json(self) -> dict[str, object]:
        return {
            "id": self.id,
            "commit": self.commit,
            "when": self.when.isoformat(),
            "author": self.author,
            "from": self.src,
            "to": self.dst,
            "source_commit": self.source_commit,
            "source_repo": self.source_repo,
            "artifacts": [vars(a) for a in self.artifacts],
            "gates": list(self.gates),
            "approvers": list(self.approvers),
            "forced": self.forced,
            "rollback_of": list(self.rollback_of),
        }


def _moves(values: list[str]) -> list[ArtifactMove]:
    moves = []
    for value in values:
        try:
            moves.append(ArtifactMove.parse(value))
        except ValueError:
            continue  # a hand-written trailer we cannot read is not ours to fail on
    return moves


def read_history(repo: GitRepo, rev: str = "HEAD") -> list[PromotionRecord]:
    """Every promotion reachable from `rev`, newest first, read from its trailers."""
    commits = repo.log(grep=f"^{ID}:", rev=rev)
    return [r for c in commits if (r := PromotionRecord.from_commit(c)) is not None]


def verification_message(
    env: str, promotion_id: str, passed: bool, reason: str, verdicts: tuple[Verdict, ...] = ()
) -> str:
    """The empty commit recording whether a promotion became healthy and passed `verify:`."""
    outcome = "passed" if passed else "failed"
    lines = [f"verify({env}): {outcome} for {promotion_id}", "", one_line(reason), ""]
    lines += [f"{VERIFIED_FOR}: {promotion_id}", f"{VERIFICATION}: {outcome}: {one_line(reason)}"]
    lines += [f"{GATE}: {v.gate} {v.outcome.value}: {one_line(v.reason)}" for v in verdicts]
    return "\n".join([*lines, ""])


@dataclass(frozen=True)
class VerificationRecord:
    """One verification, read back from its commit."""

    promotion_id: str
    passed: bool
    reason: str
    commit: str
    when: datetime

    def describe(self) -> str:
        outcome = "passed" if self.passed else "failed"
        return f"verification {outcome} {self.when:%Y-%m-%d %H:%M}: {self.reason}"

    def as_json(self) -> dict[str, object]:
        return {
            "passed": self.passed,
            "reason": self.reason,
            "commit": self.commit,
            "when": self.when.isoformat(),
        }


def read_verifications(repo: GitRepo, rev: str = "HEAD") -> dict[str, VerificationRecord]:
    """Promote-Id → its newest verification reachable from `rev`."""
    found: dict[str, VerificationRecord] = {}
    for commit in repo.log(grep=f"^{VERIFIED_FOR}:", rev=rev):
        promotion_id, value = commit.trailer(VERIFIED_FOR), commit.trailer(VERIFICATION)
        if not promotion_id or not value or promotion_id in found:
            continue
        outcome, _colon, reason = value.partition(":")
        found[promotion_id] = VerificationRecord(
            promotion_id, outcome.strip() == "passed", reason.strip(), commit.sha, commit.when
        )
    return found
