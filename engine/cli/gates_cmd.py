"""Gates without promoting: `approve` records an approval, `check` evaluates the gates."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from promote.engine.cli.common import (
    NoVerifyOption,
    OutputFormat,
    OutputOption,
    console,
    emit_json,
    session_from,
)
from promote.engine.cli.views import PrintingReporter
from promote.engine.errors import EXIT_BLOCKED

if TYPE_CHECKING:
    from promote.engine.model import Plan

SrcArgument = Annotated[str, typer.Argument(help="Environment whose versions would be promoted.")]
DstArgument = Annotated[str, typer.Argument(help="Environment that would receive them.")]
OnlyOption = Annotated[
    list[str] | None,
    typer.Option("--only", help="Only these artifacts (name or glob), as `promote --only`."),
]


class CheckReporter(PrintingReporter):
    """Prints plan and verdicts of every hop as `promote` does; never asks, never writes."""

    show_no_gates = True

    def __init__(self, output: OutputFormat) -> None:
        super().__init__(output is OutputFormat.json)

    def confirm(self, plan: Plan) -> bool:
        return False  # unreachable with dry_run, and `check` must never write


def check(
    ctx: typer.Context,
    src: SrcArgument,
    dst: DstArgument,
    only: OnlyOption = None,
    via: Annotated[
        str | None, typer.Option("--via", help="Environment to pass through, as `promote --via`.")
    ] = None,
    output: OutputOption = OutputFormat.text,
) -> int:
    """Evaluate DST's gates for `promote SRC DST` without promoting; exit 3 if any blocks.

    Over several hops, each hop is checked with the versions the previous hops would carry, up to
    the first hop that would block (exactly where `promote SRC DST` would stop).
    """
    from promote.engine.cli.views import hop_json
    from promote.engine.promotion.hops import PromoteOptions, promote

    session = session_from(ctx)
    reporter = CheckReporter(output)
    options = PromoteOptions(only=tuple(only or ()), via=via, dry_run=True)
    results = promote(session, src, dst, options, reporter)
    blocked = any(r.status == "blocked" for r in results)
    if output is OutputFormat.json:
        hops = [{**hop_json(r), "status": _check_status(r.status)} for r in results]
        emit_json({"passed": not blocked, "hops": hops})
    else:
        for r in results:
            _show_check(reporter.console, r.plan, _check_status(r.status))
    return EXIT_BLOCKED if blocked else 0


def _check_status(status: str) -> str:
    return {"dry-run": "passed", "unchanged": "unchanged"}.get(status, status)


def _show_check(out, plan: Plan, status: str) -> None:
    word = {"passed": "[green]would pass[/]", "blocked": "[red]blocked[/]"}.get(status, status)
    out.print(f"{word} {plan.src} → {plan.dst}: nothing was written")


def approve(
    ctx: typer.Context,
    src: SrcArgument,
    dst: DstArgument,
    only: OnlyOption = None,
    no_verify: NoVerifyOption = False,
    output: OutputOption = OutputFormat.text,
) -> None:
    """Approve the current SRC → DST plan as your Git identity (an empty commit with trailers).

    The approval is bound to a hash of the plan: once SRC moves on, it no longer counts.
    """
    from promote.engine.gates.approvals import approve as record
    from promote.engine.gates.approvals import count_approvals

    session = session_from(ctx)
    result = record(session, src, dst, tuple(only or ()), run_hooks=not no_verify)
    # Counted as DST's approval gates count them if the approver promotes: the same computation
    # as `promote check` (the approver's own approval may not count for their own promotion).
    gates = [spec for spec in session.environment(dst).gates if spec.name == "approval"]
    held_in = session.places.of(session.environment(dst)).repo  # where approvals are kept
    counts = [
        count_approvals(
            result.approvals,
            spec.options,
            result.approver,
            repo=held_in,
            policy_repo=session.repo,
        )
        for spec in gates
    ]
    if output is OutputFormat.json:
        emit_json(
            {
                **result.plan.as_json(),
                "plan_hash": result.plan_hash,
                "approver": result.approver,
                "commit": result.commit,
                "approvers": result.approvers,
                "approval_gates": [
                    {
                        "required": c.required,
                        "counted": list(c.counted),
                        "not_counted": list(c.ignored),
                        "passed": c.enough,
                    }
                    for c in counts
                ],
            }
        )
        return
    out = console()
    from promote.engine.cli.views import show_plan

    show_plan(out, result.plan)
    if result.commit is None:
        out.print(f"{result.approver} had already approved plan {result.plan_hash}; no new commit")
    else:
        out.print(
            f"[green]approved[/] plan {result.plan_hash} {src} → {dst} as {result.approver}: "
            f"commit {result.commit[:12]}"
        )
    for count in counts:
        summary = count.summary(result.plan_hash)
        out.print(f"{dst}'s approval gate, if {result.approver} promotes: {summary}")
    if not counts:
        who = ", ".join(result.approvers)
        out.print(f"approvals of this plan so far: {len(result.approvers)} ({who})")
        out.print(f"  [dim]note: {dst} has no approval gate; this approval is only a record[/]")


def register(app: typer.Typer) -> None:
    app.command("check")(check)
    app.command("approve")(approve)
