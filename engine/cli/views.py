"""How plans, verdicts and promotion results look, as rich text and as JSON."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from rich.console import Console

    from promote.engine.interfaces import ReconcileReport
    from promote.engine.model import Plan, Verdict
    from promote.engine.promotion.hops import HopResult

OUTCOME_STYLE = {"passed": "green", "pending": "yellow", "failed": "red"}
ACTIONS = ("created", "configured", "pruned", "unchanged", "kept", "failed")
DOWNGRADE = "↓"  # marks a change to a lower SemVer version in the plan table
ACTION_STYLE = {"created": "green", "configured": "yellow", "pruned": "red", "failed": "bold red"}


def verdict_json(verdict: Verdict) -> dict[str, Any]:
    return {
        "gate": verdict.gate,
        "outcome": verdict.outcome.value,
        "reason": verdict.reason,
        "approvers": list(verdict.approvers),
    }


def hop_json(result: HopResult) -> dict[str, Any]:
    return {
        **result.plan.as_json(),
        "status": result.status,
        "gates": [verdict_json(v) for v in result.verdicts],
        "commit": result.commit,
        "promotion_id": result.promotion_id,
        "forced": result.forced,
        "pushed_to": result.pushed_to,
        **({"pull_request": _opened_json(result)} if result.pull_request else {}),
    }


def _opened_json(result: HopResult) -> dict[str, Any]:
    opened = result.pull_request
    assert opened is not None
    return {
        "number": opened.pull_request.number,
        "url": opened.pull_request.url,
        "branch": opened.branch,
        "base": opened.pull_request.base_branch,
    }


def show_plan(console: Console, plan: Plan) -> None:
    from rich.table import Table

    if plan.empty:
        console.print(
            f"[bold]{plan.src} → {plan.dst}[/]: nothing to change, "
            f"{plan.dst} already runs {plan.src}'s versions"
        )
    else:
        table = Table(
            title=f"Plan {plan.src} → {plan.dst} (from {plan.source_commit[:12]})",
            title_justify="left",
        )
        for column in ("kind", "artifact", plan.dst, "→", "files"):
            table.add_column(column)
        for c in plan.changes:
            new = f"[bold]{c.new}[/]" + (f" [red]{DOWNGRADE}[/]" if c.downgrade else "")
            table.add_row(c.ref.kind, c.ref.name, c.old or "", new, ", ".join(c.files))
        console.print(table)
        if any(c.downgrade for c in plan.changes):
            console.print(f"  [red]{DOWNGRADE}[/] downgrade: lower than what {plan.dst} runs")
    for note in plan.notes:
        console.print(f"  [dim]note: {note}[/]")


def show_verdicts(console: Console, verdicts: Sequence[Verdict]) -> None:
    from rich.table import Table

    if not verdicts:
        return
    table = Table(title="Gates", title_justify="left")
    for column in ("gate", "verdict", "reason"):
        table.add_column(column)
    for v in verdicts:
        style = OUTCOME_STYLE.get(v.outcome.value, "")
        table.add_row(v.gate, f"[{style}]{v.outcome.value}[/]", v.reason)
    console.print(table)


def show_result(console: Console, result: HopResult) -> None:
    plan = result.plan
    if result.status == "promoted":
        forced = " [red](forced)[/]" if result.forced else ""
        console.print(
            f"[green]promoted[/] {plan.src} → {plan.dst}{forced}: "
            f"commit {(result.commit or '')[:12]} (Promote-Id {result.promotion_id})"
        )
    elif result.status == "pr-opened" and result.pull_request:
        opened = result.pull_request
        console.print(
            f"[green]opened[/] pull request #{opened.pull_request.number} {plan.src} → "
            f"{plan.dst}: {opened.pull_request.url} (branch {opened.branch}, "
            f"commit {opened.commit[:12]}); your branch is unchanged"
        )
    elif result.status == "pr-already-open" and result.pull_request:
        opened = result.pull_request
        console.print(
            f"[yellow]already open[/]: pull request #{opened.pull_request.number} proposes "
            f"these changes {plan.src} → {plan.dst}: {opened.pull_request.url} "
            f"(branch {opened.branch}); nothing was pushed"
        )
    elif result.status == "blocked":
        console.print(
            f"[red]blocked[/] {plan.src} → {plan.dst}: a gate did not pass; nothing was written"
        )
    elif result.status == "dry-run":
        console.print(f"[yellow]dry run[/] {plan.src} → {plan.dst}: nothing was written")
    elif result.status == "declined":
        console.print(f"declined {plan.src} → {plan.dst}: nothing was written")
    if result.pushed_to:
        console.print(f"pushed {plan.dst}'s branch to {result.pushed_to}")


class PrintingReporter:
    """Shows every hop's plan and verdicts (nothing in JSON mode, which prints at the end).

    Subclasses decide `confirm`; `show_no_gates` says whether a gate-less hop is mentioned."""

    show_no_gates = False

    def __init__(self, output_json: bool) -> None:
        from promote.engine.cli.common import console

        self.quiet = output_json
        self.console = console()

    def plan(self, plan: Plan) -> None:
        if not self.quiet:
            show_plan(self.console, plan)

    def verdicts(self, plan: Plan, verdicts: Sequence[Verdict]) -> None:
        if self.quiet:
            return
        if verdicts:
            show_verdicts(self.console, verdicts)
        elif self.show_no_gates:
            self.console.print(f"  [dim]{plan.dst} has no gates[/]")

    def confirm(self, plan: Plan) -> bool:
        raise NotImplementedError


def report_json(report: ReconcileReport) -> dict[str, Any]:
    return {
        "environment": report.env,
        "commit": report.commit,
        "dry_run": report.dry_run,
        "healthy": report.healthy,
        "counts": {action: report.count(action) for action in ACTIONS},
        "objects": [
            {
                "action": r.action,
                "apiVersion": r.api_version,
                "kind": r.kind,
                "namespace": r.namespace,
                "name": r.name,
                "detail": r.detail,
            }
            for r in report.results
        ],
        "messages": list(report.messages),
    }


def report_lines(report: ReconcileReport) -> list[str]:
    from promote.engine.reconcile.reconciler import succeeded

    counts = ", ".join(f"{report.count(a)} {a}" for a in ACTIONS[:4])
    extra = ", ".join(f"{report.count(a)} {a}" for a in ACTIONS[4:] if report.count(a))
    health = "[green]healthy[/]" if succeeded(report) else "[red]unhealthy[/]"
    dry = " [yellow](dry run)[/]" if report.dry_run else ""
    lines = [
        f"[bold]{report.env}[/] @ {report.commit[:12]}{dry}: {counts}"
        f"{', ' + extra if extra else ''} — {health}"
    ]
    for r in report.results:
        if r.action == "unchanged":
            continue
        where = f"{r.namespace}/" if r.namespace else ""
        style = ACTION_STYLE.get(r.action, "")
        detail = f" [dim]{r.detail}[/]" if r.detail else ""
        lines.append(f"  [{style}]{r.action:<10}[/] {r.kind} {where}{r.name}{detail}")
    lines += [f"  {message}" for message in report.messages]
    return lines


def show_report(console: Console, report: ReconcileReport) -> None:
    for line in report_lines(report):
        console.print(line)
