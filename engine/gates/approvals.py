"""Approvals of a promotion plan, recorded in Git as empty commits with trailers.

An approval names the hop (`Promote-Approval-For: qa -> prod`), the hash of the plan it approves
(`Promote-Plan-Hash`) and the approver (`Promote-Approved-By`, the committer's Git identity). It
counts for a promotion only while the plan is the same (SRC moving on changes the hash) and only
until the next promotion into DST (an approval is used once).

With `signed: true, keys: FILE` an approval also needs a good SSH signature by the approver's
own key in the allowed-signers FILE (`unverified`).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from fnmatch import fnmatchcase
from typing import Any

from promote.engine.errors import UsageError
from promote.engine.gates.gating import plan_hash
from promote.engine.model import Plan
from promote.engine.promotion.hops import plan_hop, refuse_dirty
from promote.engine.promotion.trailers import APPROVED_BY, ID, TO
from promote.engine.repository.gitrepo import CommitInfo, GitRepo
from promote.engine.session import Session

APPROVAL_FOR = "Promote-Approval-For"
PLAN_HASH = "Promote-Plan-Hash"


@dataclass(frozen=True)
class Approval:
    email: str
    commit: str
    when: datetime


@dataclass(frozen=True)
class ApprovalResult:
    plan: Plan
    plan_hash: str
    approver: str
    commit: str | None  # None when this approver had already approved this plan
    approvals: tuple[Approval, ...]

    @property
    def approvers(self) -> list[str]:
        return list(dict.fromkeys(a.email for a in self.approvals))


@dataclass(frozen=True)
class ApprovalCount:
    """Which approvals an approval gate counts, and why the others do not."""

    required: int
    counted: tuple[str, ...]
    ignored: tuple[str, ...]  # "email (reason)"

    @property
    def enough(self) -> bool:
        return len(self.counted) >= self.required

    def summary(self, digest: str) -> str:
        text = f"{len(self.counted)} of {self.required} approvals of plan {digest}"
        if self.counted:
            text += f" ({', '.join(self.counted)})"
        if self.ignored:
            text += f"; not counted: {', '.join(self.ignored)}"
        return text


def count_approvals(
    approvals: Sequence[Approval],
    options: Any,
    promoter: str,
    *,
    repo: GitRepo,
    policy_repo: GitRepo | None = None,
) -> ApprovalCount:
    """The one computation of the approval gate, shared by the gate and `promote approve`.

    `options` are the gate's (`{required, distinct_from_promoter, approvers, signed, keys}`,
    already checked). `repo` holds the approval commits, `policy_repo` (default: the same) the
    graph file and the keys file.
    """
    options = options or {}
    patterns = [p.lower() for p in options.get("approvers", ["*"])]
    keys = options.get("keys", "")
    signed = options.get("signed")
    unsigned = unverified(repo, approvals, keys, policy_repo) if signed else {}
    counted: dict[str, None] = {}
    ignored: dict[str, str] = {}  # email → why its (first) approval did not count
    for approval in approvals:
        if approval.commit in unsigned:
            ignored.setdefault(approval.email, unsigned[approval.commit])
        elif options.get("distinct_from_promoter") and approval.email == promoter.lower():
            ignored.setdefault(approval.email, "the promoter")
        elif not any(fnmatchcase(approval.email, p) for p in patterns):
            ignored.setdefault(approval.email, "not in approvers")
        else:
            counted[approval.email] = None
    # A forged approval in someone's name does not hide the approval they signed themselves.
    reasons = tuple(f"{e} ({why})" for e, why in ignored.items() if e not in counted)
    return ApprovalCount(options.get("required", 1), tuple(counted), reasons)


def unverified(
    repo: GitRepo, approvals: Sequence[Approval], keys: str, policy_repo: GitRepo | None = None
) -> dict[str, str]:
    """Approval commit → why its signature does not prove its author, for `signed: true`.

    An approval counts only when it carries a good SSH signature by a key that the allowed-signers
    file KEYS (as committed at HEAD of the graph's repository, `policy_repo`: a local edit proves
    nothing) lists for the approval's own email: anyone can set GIT_AUTHOR_EMAIL, only the key's
    holder can sign.
    """
    if not approvals:
        return {}
    commits = [a.commit for a in approvals]
    allowed = (policy_repo or repo).file_at("HEAD", keys)
    if allowed is None:
        return dict.fromkeys(commits, f"keys file {keys} is not committed")
    checked = repo.ssh_signatures(commits, allowed)
    problems = {}
    for approval in approvals:
        status, signer = checked[approval.commit]
        if status == "N":
            problems[approval.commit] = "unsigned"
        elif status != "G":
            problems[approval.commit] = f"signed by a key {keys} does not list"
        elif signer.lower() != approval.email:
            problems[approval.commit] = f"signed by {signer}'s key, not by {approval.email}'s"
    return problems


def hop_plan(session: Session, src: str, dst: str, only: Sequence[str] = ()) -> Plan:
    """The plan `promote SRC DST` would compute for this hop, from the same code."""
    if src not in session.graph.upstreams(dst):
        raise UsageError(
            f"{src!r} is not an upstream of {dst!r}: approvals and checks are per hop "
            f"(upstreams of {dst}: {', '.join(session.graph.upstreams(dst)) or 'none'})"
        )
    plan, _src_state, _dst_state = plan_hop(session, src, dst, only)
    return plan


def approve(
    session: Session, src: str, dst: str, only: Sequence[str] = (), *, run_hooks: bool = True
) -> ApprovalResult:
    """Record the current Git identity's approval of the current SRC → DST plan."""
    # The plan is read from the working tree; approving one that HEAD does not hold means nothing.
    refuse_dirty(session, [session.environment(src), session.environment(dst)])
    plan = hop_plan(session, src, dst, only)
    if plan.empty:
        raise UsageError(f"nothing to approve: {dst} already runs {src}'s versions")
    _name, email = session.repo.identity()
    if not email:
        raise UsageError("no Git identity to approve as: set `git config user.email`")
    digest = plan_hash(plan)
    # Approvals are recorded where DST lives: its promotions land there, and read them there.
    place = session.places.of(session.environment(dst))
    existing = approvals_of(place.repo, src, dst, digest, place.commit)
    if _already_approved(session, dst, [a for a in existing if a.email == email.lower()]):
        return ApprovalResult(plan, digest, email, None, tuple(existing))
    text = approval_message(plan, digest, email)
    from promote.engine.promotion.elsewhere import record_decision  # promotion imports the gates

    commit = record_decision(place, session.repo, text, run_hooks=run_hooks)
    approvals = approvals_of(place.repo, src, dst, digest, commit)
    return ApprovalResult(plan, digest, email, commit, tuple(approvals))


def _already_approved(session: Session, dst: str, mine: list[Approval]) -> bool:
    """Whether the approver has an approval of this plan that counts: for a `signed: true`
    gate, one that is signed (an earlier one may be unsigned, or forged in their name)."""
    signed_gates = [
        spec.options["keys"]
        for spec in session.environment(dst).gates
        if spec.name == "approval" and (spec.options or {}).get("signed")
    ]
    repo = session.places.of(session.environment(dst)).repo
    return bool(mine) and all(
        len(unverified(repo, mine, keys, session.repo)) < len(mine) for keys in signed_gates
    )


def approval_message(plan: Plan, digest: str, email: str) -> str:
    changes = [f"- {c.ref}: {c.old} → {c.new}" for c in plan.changes]
    return "\n".join(
        [
            f"approve({plan.dst}): {plan.src} → {plan.dst} plan {digest}",
            "",
            *changes,
            "",
            f"{APPROVAL_FOR}: {plan.src} -> {plan.dst}",
            f"{PLAN_HASH}: {digest}",
            f"{APPROVED_BY}: {email}",
            "",
        ]
    )


def approvals_of(
    repo: GitRepo, src: str, dst: str, digest: str, tip: str = "HEAD"
) -> list[Approval]:
    """Approvals of this plan since the last promotion into DST, oldest first, in the history
    of `tip` (where DST lives).

    One approver may have several (a forged one in their name, then their own signed one):
    `count_approvals` counts each approver once.
    """
    since = last_promotion_into(repo, dst, tip)
    rev = f"{since}..{tip}" if since else tip
    hop = f"{src} -> {dst}"
    found = []
    for commit in reversed(repo.log(grep=f"^{APPROVAL_FOR}: ", rev=rev)):
        if commit.trailer(APPROVAL_FOR) != hop or commit.trailer(PLAN_HASH) != digest:
            continue
        email = _approver(commit)
        if email:
            found.append(Approval(email, commit.sha, commit.when))
    return found


def _approver(commit: CommitInfo) -> str | None:
    """The approver is the commit's author; a trailer naming someone else is not an approval."""
    claimed = (commit.trailer(APPROVED_BY) or "").strip().lower()
    return claimed if claimed and claimed == commit.author_email.lower() else None


def last_promotion_into(repo: GitRepo, dst: str, tip: str = "HEAD") -> str | None:
    for commit in repo.log(grep=f"^{TO}: {re.escape(dst)}$", rev=tip):
        if commit.trailer(ID) and commit.trailer(TO) == dst:
            return commit.sha
    return None
