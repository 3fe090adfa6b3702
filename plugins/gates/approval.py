"""`- approval: {required: 2, distinct_from_promoter: true, approvers: ["*@example.com"]}`.

Counts distinct approvers of *this* plan, recorded by `promote approve SRC DST` since the last
promotion into DST (see `engine.gates.approvals`). Not enough approvals is `pending`: it may
pass later.
With `from: pull_request` it counts the approving reviews of the promotion's pull request instead
(`promote pr merge`), by reviewer login; `distinct_from_promoter` compares with the PR's author.
`signed: true, keys: FILE` counts only approvals signed by their author's key in FILE.
"""

from __future__ import annotations

from pathlib import PurePosixPath
from typing import Any

from promote.engine.interfaces import GateContext
from promote.engine.model import Outcome, Verdict
from promote.engine.plugins import hookimpl

NAME = "approval"
KEYS = ("required", "distinct_from_promoter", "approvers", "from", "signed", "keys")
ORIGINS = ("git", "pull_request")


class Approval:
    def check_options(self, options: Any) -> str | None:
        options = {} if options is None else options  # `- approval:` alone: one approval
        if not isinstance(options, dict):
            return "expected a mapping like {required: 2, distinct_from_promoter: true}"
        unknown = sorted(set(options) - set(KEYS))
        if unknown:
            return f"unknown option {unknown[0]!r} (allowed: {', '.join(KEYS)})"
        required = options.get("required", 1)
        if isinstance(required, bool) or not isinstance(required, int) or required < 1:
            return f"required: expected a whole number of approvals >= 1, got {required!r}"
        if not isinstance(options.get("distinct_from_promoter", False), bool):
            return "distinct_from_promoter: expected true or false"
        approvers = options.get("approvers", ["*"])
        if not isinstance(approvers, list) or not all(isinstance(a, str) for a in approvers):
            return 'approvers: expected a list of email globs, e.g. ["*@example.com"]'
        if options.get("from", "git") not in ORIGINS:
            return f"from: expected one of {', '.join(ORIGINS)}, got {options['from']!r}"
        return _check_signed(options)

    def evaluate(self, context: GateContext, options: Any) -> Verdict:
        if (options or {}).get("from") == "pull_request":
            return self._from_reviews(context, options)
        from promote.engine.gates.approvals import approvals_of, count_approvals

        repo, tip, _root = context.where(context.dst.name)  # approvals are kept where DST lives
        approvals = approvals_of(repo, context.src.name, context.dst.name, context.plan_hash, tip)
        count = count_approvals(
            approvals, options, context.promoter, repo=repo, policy_repo=context.repo
        )
        summary = count.summary(context.plan_hash)
        if count.enough:
            return Verdict(NAME, Outcome.PASSED, summary, approvers=count.counted)
        hint = f"; run `promote approve {context.src.name} {context.dst.name}`"
        return Verdict(NAME, Outcome.PENDING, summary + hint, approvers=count.counted)

    def _from_reviews(self, context: GateContext, options: Any) -> Verdict:
        from promote.engine.gates.approvals import Approval as Given
        from promote.engine.gates.approvals import count_approvals

        if context.pull_request is None or context.review_state is None:
            return Verdict(
                NAME,
                Outcome.PENDING,
                "counts approving reviews of the promotion's pull request: "
                f"`promote {context.src.name} {context.dst.name} --pr`, then `promote pr merge`",
            )
        reviews = [
            Given(user.lower(), f"review on #{context.pull_request.number}", context.now)
            for user in context.review_state.approvers
        ]
        count = count_approvals(reviews, options, context.pull_request.author, repo=context.repo)
        summary = count.summary(context.plan_hash).replace("approvals", "approving reviews", 1)
        outcome = Outcome.PASSED if count.enough else Outcome.PENDING
        reason = f"{summary} on #{context.pull_request.number}"
        return Verdict(NAME, outcome, reason, approvers=count.counted)


def _check_signed(options: dict) -> str | None:
    """`signed: true` needs `keys:`, an SSH allowed-signers file in the repository."""
    signed, keys = options.get("signed", False), options.get("keys")
    if not isinstance(signed, bool):
        return "signed: expected true or false"
    if signed and options.get("from") == "pull_request":
        return "signed: applies to approval commits, not to pull request reviews (from: git)"
    if signed != (keys is not None):
        return "signed: true and keys: FILE (an SSH allowed-signers file) go together"
    if keys is not None and (
        not isinstance(keys, str) or not keys or PurePosixPath(keys).is_absolute() or ".." in keys
    ):
        return f"keys: expected a file path relative to the repository root, got {keys!r}"
    return None


@hookimpl
def promote_register_gates(register) -> None:
    register(NAME, Approval())
