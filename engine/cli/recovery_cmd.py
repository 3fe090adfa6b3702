"""Recovering an environment: `rollback`, `freeze` and `unfreeze` (docs/recovery.md)."""

from __future__ import annotations

import sys
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
from promote.engine.errors import EXIT_BLOCKED, EXIT_FAILURE
from promote.engine.promotion.locking import DEFAULT_WAIT_SECONDS

if TYPE_CHECKING:
    from promote.engine.gates.freezes import Freeze
    from promote.engine.model import Plan
    from promote.engine.promotion.hops import HopResult
    from promote.engine.promotion.rollback import Target

EnvArgument = Annotated[str, typer.Argument(help="The environment.")]


class RollbackReporter(PrintingReporter):
    def __init__(self, assume_yes: bool, output: OutputFormat) -> None:
        super().__init__(output is OutputFormat.json)
        self.assume_yes = assume_yes

    def confirm(self, plan: Plan) -> bool:
        if self.assume_yes or not sys.stdin.isatty():  # nobody to answer: CI, pipes
            return True
        question = f"Roll {plan.dst} back to its versions at {plan.source_commit[:12]} and commit?"
        return typer.confirm(question, default=False)


def rollback(
    ctx: typer.Context,
    env: EnvArgument,
    to: Annotated[
        str | None,
        typer.Option(
            "--to",
            metavar="PROMOTE_ID|COMMIT",
            help="The versions that promotion brought, or ENV's at that commit "
            "(default: before ENV's last promotion).",
        ),
    ] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Print the plan and gates; write nothing.")
    ] = False,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")] = False,
    wait_lock: Annotated[
        float,
        typer.Option("--wait-lock", metavar="SECONDS", help="How long to queue for the lock."),
    ] = DEFAULT_WAIT_SECONDS,
    no_verify: NoVerifyOption = False,
    output: OutputOption = OutputFormat.text,
) -> int:
    """Pin ENV's earlier versions again, as a new gated commit (never a revert); not frozen."""
    from promote.engine.cli.views import hop_json
    from promote.engine.promotion.hops import PromoteOptions
    from promote.engine.promotion.rollback import rollback as roll_back

    session = session_from(ctx)
    options = PromoteOptions(dry_run=dry_run, wait_lock=wait_lock, no_verify=no_verify)
    reporter = RollbackReporter(yes, output)
    result, target = roll_back(session, env, to, options, reporter)
    undone = [r.id for r in target.undone]
    if output is OutputFormat.json:
        emit_json({**hop_json(result), "target_commit": target.commit, "rollback_of": undone})
    else:
        _show_rollback(result, target)
    return {"blocked": EXIT_BLOCKED, "declined": EXIT_FAILURE}.get(result.status, 0)


def _show_rollback(result: HopResult, target: Target) -> None:
    from promote.engine.cli.views import show_result

    out = console()
    undoing = ", ".join(r.id for r in target.undone)
    if result.status == "promoted":
        out.print(
            f"[green]rolled back[/] {result.plan.dst} to its versions at {target.commit[:12]} "
            f"(undoing {undoing}): commit {(result.commit or '')[:12]} "
            f"(Promote-Id {result.promotion_id})"
        )
    elif result.status == "unchanged":
        out.print(f"{result.plan.dst} already runs its versions of {target.commit[:12]}")
    else:
        show_result(out, result)


def freeze(
    ctx: typer.Context,
    env: EnvArgument,
    reason: Annotated[
        str | None, typer.Option("--reason", help="Why; shown to whoever is blocked.")
    ] = None,
    until: Annotated[
        str | None,
        typer.Option(
            "--until", metavar="TIME", help="ISO time or duration (2h, 1d) when it lifts itself."
        ),
    ] = None,
    no_verify: NoVerifyOption = False,
    output: OutputOption = OutputFormat.text,
) -> None:
    """Stop every promotion into ENV (rollbacks excepted) until `promote unfreeze ENV`."""
    from promote.engine.gates.freezes import freeze as record_freeze
    from promote.engine.gates.gating import current_time

    session = session_from(ctx)
    found = record_freeze(
        session, env, reason or "", until, current_time(), run_hooks=not no_verify
    )
    _show_freeze(env, "frozen", found, output)


def unfreeze(
    ctx: typer.Context,
    env: EnvArgument,
    no_verify: NoVerifyOption = False,
    output: OutputOption = OutputFormat.text,
) -> None:
    """Lift the freeze of ENV."""
    from promote.engine.gates.freezes import unfreeze as record_unfreeze
    from promote.engine.gates.gating import current_time

    session = session_from(ctx)
    lifted = record_unfreeze(session, env, current_time(), run_hooks=not no_verify)
    _show_freeze(env, "unfrozen", lifted, output)


def _show_freeze(env: str, done: str, found: Freeze, output: OutputFormat) -> None:
    if output is OutputFormat.json:
        emit_json({"environment": env, "status": done, "freeze": found.as_json()})
    elif done == "frozen":
        console().print(f"[yellow]frozen[/] {env}: {found.describe()}")
    else:
        console().print(f"[green]unfrozen[/] {env} (was {found.describe()})")


def register(app: typer.Typer) -> None:
    app.command("rollback")(rollback)
    app.command("freeze")(freeze)
    app.command("unfreeze")(unfreeze)
