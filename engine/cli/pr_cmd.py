"""`promote pr status [DST]` and `promote pr merge NUMBER|URL`: promotion pull requests."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import typer

from promote.engine.cli.common import OutputFormat, OutputOption, console, emit_json, session_from

if TYPE_CHECKING:
    from rich.console import Console

    from promote.engine.promotion.pullrequests import Assessment

pr_app = typer.Typer(
    help="Promotions opened as pull requests (`promote SRC DST --pr`): status and merge.",
    no_args_is_help=True,
)


@pr_app.command("status")
def status(
    ctx: typer.Context,
    dst: Annotated[
        str | None, typer.Argument(help="Only pull requests promoting into this environment.")
    ] = None,
    output: OutputOption = OutputFormat.text,
) -> None:
    """Open promotion pull requests: plan, DST's gates now, reviews and checks."""
    from promote.engine.promotion.pullrequests import promotion_pull_requests

    session = session_from(ctx)
    if dst is not None:
        session.environment(dst)  # an unknown environment is a usage error, not an empty list
    assessments = promotion_pull_requests(session, dst)
    if output is OutputFormat.json:
        emit_json({"pull_requests": [assessment_json(a) for a in assessments]})
        return
    out = console()
    if not assessments:
        out.print("no open promotion pull requests" + (f" into {dst}" if dst else ""))
    for assessment in assessments:
        _show(out, assessment)


@pr_app.command("merge")
def merge(
    ctx: typer.Context,
    reference: Annotated[str, typer.Argument(metavar="NUMBER|URL", help="The pull request.")],
    output: OutputOption = OutputFormat.text,
) -> None:
    """Merge a promotion pull request once its gates pass and reviews and checks are green.

    Exit 3 when a gate blocks, 1 when the provider's reviews or checks are not green or it
    refuses the merge.
    """
    from promote.engine.promotion.pullrequests import merge_pull_request

    assessment = merge_pull_request(session_from(ctx), reference)
    if output is OutputFormat.json:
        emit_json({**assessment_json(assessment), "merged": True})
        return
    out = console()
    _show(out, assessment)
    pull_request = assessment.pull_request
    out.print(f"[green]merged[/] #{pull_request.number} into {pull_request.base_branch}")


def assessment_json(assessment: Assessment) -> dict[str, Any]:
    from promote.engine.cli.views import verdict_json

    pull_request, state = assessment.pull_request, assessment.review_state
    return {
        "number": pull_request.number,
        "url": pull_request.url,
        "title": pull_request.title,
        "branch": pull_request.head_branch,
        "base": pull_request.base_branch,
        "head": pull_request.head_sha,
        "author": pull_request.author,
        "plan": assessment.plan.as_json(),
        "gates": [verdict_json(v) for v in assessment.verdicts],
        "approved_by": list(state.approvers),
        "changes_requested_by": list(state.changes_requested),
        "checks": state.checks,
        "checks_detail": state.checks_detail,
        "mergeable": assessment.provider_refusal is None
        and all(v.passed for v in assessment.verdicts),
    }


def _show(out: Console, assessment: Assessment) -> None:
    from promote.engine.cli.views import show_plan, show_verdicts

    pull_request, state = assessment.pull_request, assessment.review_state
    out.print(f"[bold]#{pull_request.number}[/] {pull_request.title}\n  {pull_request.url}")
    show_plan(out, assessment.plan)
    show_verdicts(out, assessment.verdicts)
    approvers = ", ".join(state.approvers) or "none"
    out.print(f"  reviews: approved by {approvers}; checks: {state.checks}")
    refusal = assessment.provider_refusal
    out.print(f"  provider: {'[green]ready[/]' if refusal is None else refusal}")


def register(app: typer.Typer) -> None:
    app.add_typer(pr_app, name="pr")
