"""`- approval: {required: 2, distinct_from_promoter: true, approvers: ["*@example.com"]}`.

Counts distinct approvers of *this* plan, recorded by `promote approve SRC DST` since the last
promotion into DST (see `engine.approvals`). Not enough approvals is `pending`: it may pass later.
`signed: true, keys: FILE` counts only approvals signed by their author's key in FILE.
"""

from __future__ import annotations

from pathlib import PurePosixPath
from typing import Any

from engine.interfaces import GateContext
from engine.model import Outcome, Verdict
from engine.plugins import hookimpl

NAME = "approval"
KEYS = ("required", "distinct_from_promoter", "approvers", "signed", "keys")


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
        return _check_signed(options)

    def evaluate(self, context: GateContext, options: Any) -> Verdict:
        from engine.approvals import approvals_of, count_approvals

        approvals = approvals_of(
            context.repo, context.src.name, context.dst.name, context.plan_hash
        )
        count = count_approvals(approvals, options, context.promoter, repo=context.repo)
        summary = count.summary(context.plan_hash)
        if count.enough:
            return Verdict(NAME, Outcome.PASSED, summary, approvers=count.counted)
        hint = f"; run `promote approve {context.src.name} {context.dst.name}`"
        return Verdict(NAME, Outcome.PENDING, summary + hint, approvers=count.counted)


def _check_signed(options: dict) -> str | None:
    """`signed: true` needs `keys:`, an SSH allowed-signers file in the repository."""
    signed, keys = options.get("signed", False), options.get("keys")
    if not isinstance(signed, bool):
        return "signed: expected true or false"
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
