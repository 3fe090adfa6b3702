"""`promote wait ENV` and `promote SRC DST --wait`: verify that a promotion became healthy."""

from __future__ import annotations

import shutil
import sys
from typing import TYPE_CHECKING, Annotated, Any

import typer

from promote.engine.cli.common import (
    NoVerifyOption,
    OutputFormat,
    OutputOption,
    console,
    emit_json,
    session_from,
)
from promote.engine.errors import EXIT_FAILURE

if TYPE_CHECKING:
    from promote.engine.model import Plan
    from promote.engine.promotion.verify import Verification
    from promote.engine.session import Session

DEFAULT_TIMEOUT = "10m"
TimeoutOption = Annotated[
    str,
    typer.Option(
        "--timeout", metavar="DURATION", help="How long to wait for the agent (e.g. 5m, 1h)."
    ),
]


class ProgressLine:
    """One line on stderr rewritten in place, and only on a terminal: logs get none of it."""

    def __init__(self) -> None:
        self.shown = sys.stderr.isatty()

    def __call__(self, text: str) -> None:
        if self.shown:
            width = shutil.get_terminal_size().columns - 1
            sys.stderr.write("\r\033[K" + text[:width])
            sys.stderr.flush()

    def clear(self) -> None:
        if self.shown:
            sys.stderr.write("\r\033[K")
            sys.stderr.flush()


def timeout_seconds(text: str) -> float:
    from promote.engine.cli.reconcile_cmd import parse_duration

    return parse_duration(text, "--timeout")


def refuse_without_agent(session: Session, env: str) -> None:
    """Before anything is written: `--wait` needs an agent to ask, with a kubeconfig that loads."""
    from promote.engine.reconcile.agents import check_connection

    check_connection(session.environment(env))


def verify_and_show(
    session: Session,
    env: str,
    plan: Plan,
    promotion_id: str | None,
    *,
    timeout: float,
    run_hooks: bool,
    output: OutputFormat,
) -> Verification:
    from promote.engine.promotion.verify import verify

    progress = ProgressLine()
    try:
        result = verify(
            session,
            env,
            plan,
            promotion_id,
            timeout=timeout,
            progress=progress,
            run_hooks=run_hooks,
        )
    finally:
        progress.clear()
    if output is OutputFormat.text:
        show_verification(result)
    return result


def show_verification(result: Verification) -> None:
    from promote.engine.cli.views import show_verdicts

    out = console()
    show_verdicts(out, result.verdicts)
    if result.passed:
        out.print(f"[green]verified[/] {result.env}: {result.summary}")
    else:
        out.print(f"[red]verification failed[/] {result.env}: {result.summary}")
    if result.recorded:
        out.print(
            f"recorded as commit {result.recorded[:12]} "
            f"(Promote-Verified-For: {result.promotion_id})"
        )


def verification_json(result: Verification) -> dict[str, Any]:
    from promote.engine.cli.views import verdict_json

    return {
        "environment": result.env,
        "commit": result.commit,
        "state": result.state,
        "passed": result.passed,
        "reason": result.summary,
        "verify": [verdict_json(v) for v in result.verdicts],
        "promotion_id": result.promotion_id,
        "recorded": result.recorded,
    }


def wait(
    ctx: typer.Context,
    env: Annotated[str, typer.Argument(help="Environment whose agent is waited for.")],
    timeout: TimeoutOption = DEFAULT_TIMEOUT,
    no_verify: NoVerifyOption = False,
    output: OutputOption = OutputFormat.text,
) -> int:
    """Wait until ENV's agent runs ENV's commit healthily, then run its `verify:` gates and
    record the outcome for ENV's last promotion. Exit 1 when it fails or times out."""
    from promote.engine.promotion.verify import last_promotion, plan_of

    session = session_from(ctx)
    seconds = timeout_seconds(timeout)
    refuse_without_agent(session, env)
    record = last_promotion(session, env)
    plan = plan_of(session, env, record)
    result = verify_and_show(
        session,
        env,
        plan,
        record.id if record else None,
        timeout=seconds,
        run_hooks=not no_verify,
        output=output,
    )
    if output is OutputFormat.json:
        emit_json({"verification": verification_json(result)})
    return 0 if result.passed else EXIT_FAILURE


def register(app: typer.Typer) -> None:
    app.command("wait")(wait)
