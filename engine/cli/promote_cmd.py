"""`promote SRC DST`: the main job."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Annotated

import typer

from promote.engine.cli.common import (
    NoVerifyOption,
    OutputFormat,
    OutputOption,
    emit_json,
    session_from,
)
from promote.engine.cli.views import PrintingReporter
from promote.engine.cli.wait_cmd import (
    DEFAULT_TIMEOUT,
    TimeoutOption,
    refuse_without_agent,
    timeout_seconds,
    verification_json,
    verify_and_show,
)
from promote.engine.errors import EXIT_BLOCKED, EXIT_FAILURE
from promote.engine.promotion.locking import DEFAULT_WAIT_SECONDS

if TYPE_CHECKING:
    from rich.console import Console

    from promote.engine.interfaces import ReconcileReport
    from promote.engine.model import Plan
    from promote.engine.promotion.hops import HopResult
    from promote.engine.promotion.verify import Verification
    from promote.engine.session import Session


class TextReporter(PrintingReporter):
    def __init__(self, assume_yes: bool, output: OutputFormat) -> None:
        super().__init__(output is OutputFormat.json)
        self.assume_yes = assume_yes

    def confirm(self, plan: Plan) -> bool:
        # Never prompt when nobody can answer (CI, pipes).
        if self.assume_yes or not sys.stdin.isatty():
            return True
        return typer.confirm(f"Promote {plan.src} → {plan.dst} and commit?", default=False)


def run_promote(
    ctx: typer.Context,
    src: Annotated[str, typer.Argument(help="Environment whose versions are promoted.")],
    dst: Annotated[str, typer.Argument(help="Environment that receives them.")],
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Print the plan and gates; write nothing.")
    ] = False,
    only: Annotated[
        list[str] | None,
        typer.Option("--only", help="Only these artifacts (name or glob); repeatable."),
    ] = None,
    via: Annotated[
        str | None,
        typer.Option(
            "--via", help="Environment to pass through when several shortest paths exist."
        ),
    ] = None,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")] = False,
    force: Annotated[
        bool, typer.Option("--force", help="Promote despite blocking gates (needs --reason).")
    ] = False,
    reason: Annotated[
        str | None, typer.Option("--reason", help="Why --force is used; recorded in the commit.")
    ] = None,
    push: Annotated[
        bool,
        typer.Option(
            "--push", help="Fetch first, push each hop's commit; catch up and retry, never force."
        ),
    ] = False,
    pr: Annotated[
        bool,
        typer.Option(
            "--pr",
            help="Push the commit to promote/DST/ID and open a pull request; the branch stays.",
        ),
    ] = False,
    keep_local: Annotated[
        bool,
        typer.Option("--keep-local", help="Keep the local commit when --push finally fails."),
    ] = False,
    reconcile: Annotated[
        bool, typer.Option("--reconcile", help="Reconcile DST's target after the commit.")
    ] = False,
    wait_lock: Annotated[
        float,
        typer.Option(
            "--wait-lock",
            metavar="SECONDS",
            help="How long to queue behind another promotion of this repository.",
        ),
    ] = DEFAULT_WAIT_SECONDS,
    detached_ok: Annotated[
        bool,
        typer.Option("--detached-ok", help="Commit on a detached HEAD (it moves no branch)."),
    ] = False,
    wait: Annotated[
        bool,
        typer.Option(
            "--wait",
            help="Then wait until DST's agent runs the commit healthily and run its verify: gates.",
        ),
    ] = False,
    timeout: TimeoutOption = DEFAULT_TIMEOUT,
    no_verify: NoVerifyOption = False,
    output: OutputOption = OutputFormat.text,
) -> int:
    """Make DST pin the versions SRC pins: gated, one commit per hop."""
    from promote.engine.cli.views import hop_json, show_result
    from promote.engine.promotion.hops import PromoteOptions, promote

    session = session_from(ctx)
    seconds = timeout_seconds(timeout)
    if wait:
        refuse_without_agent(session, dst)  # no agent to ask: refuse before anything is written
    if reconcile:
        from promote.engine.reconcile.reconciler import targeted

        targeted(session, [dst])  # no target: refuse before anything is written
    options = PromoteOptions(
        tuple(only or ()),
        via,
        dry_run,
        force,
        reason,
        wait_lock,
        push=push,
        keep_local=keep_local,
        pr=pr,
        detached_ok=detached_ok,
        no_verify=no_verify,
    )
    reporter = TextReporter(yes, output)
    results = promote(session, src, dst, options, reporter)
    reports = _reconcile_dst(session, dst, results) if reconcile and not dry_run else []
    if output is OutputFormat.text:
        for result in results:
            show_result(reporter.console, result)
        _show_reconciled(reporter.console, reports)
    verification = None
    if wait and not dry_run:
        verification = _verify_dst(session, dst, results, seconds, not no_verify, output)
    if output is OutputFormat.json:
        document: dict[str, object] = {"hops": [hop_json(r) for r in results]}
        if reconcile:
            from promote.engine.cli.views import report_json

            document["reconcile"] = [report_json(r) for r in reports]
        if verification is not None:
            document["verification"] = verification_json(verification)
        emit_json(document)
    code = _exit_code([r.status for r in results])
    failed_verification = verification is not None and not verification.passed
    return code or _reconcile_exit(reports) or (EXIT_FAILURE if failed_verification else 0)


def _verify_dst(
    session: Session,
    dst: str,
    results: list[HopResult],
    seconds: float,
    run_hooks: bool,
    output: OutputFormat,
) -> Verification | None:
    """`--wait`: verify the hop whose commit landed in DST (not a pull request, not a blocked
    hop); None when there is none."""
    landed = results[-1] if results and results[-1].plan.dst == dst else None
    if landed is None or landed.status != "promoted":
        if output is OutputFormat.text:
            typer.echo(f"not waiting: no promotion landed in {dst}")
        return None
    return verify_and_show(
        session,
        dst,
        landed.plan,
        landed.promotion_id,
        timeout=seconds,
        run_hooks=run_hooks,
        output=output,
    )


def _reconcile_dst(session: Session, dst: str, results: list[HopResult]) -> list[ReconcileReport]:
    """DST only, and only when the promotion reached it (landed, or nothing to change)."""
    if not results or results[-1].plan.dst != dst:
        return []
    if results[-1].status not in ("promoted", "unchanged"):
        return []
    from promote.engine.reconcile.reconciler import reconcile_many

    return reconcile_many(session, [dst])


def _show_reconciled(out: Console, reports: list[ReconcileReport]) -> None:
    from promote.engine.cli.views import show_report

    for report in reports:
        show_report(out, report)


def _reconcile_exit(reports: list[ReconcileReport]) -> int:
    from promote.engine.reconcile.reconciler import succeeded

    return 0 if all(succeeded(r) for r in reports) else EXIT_FAILURE


def _exit_code(statuses: list[str]) -> int:
    if "blocked" in statuses:
        return EXIT_BLOCKED
    if "declined" in statuses:
        return EXIT_FAILURE
    return 0


def register(app: typer.Typer) -> None:
    app.command("promote", hidden=True, help="Promote SRC → DST (also: `promote SRC DST`).")(
        run_promote
    )
