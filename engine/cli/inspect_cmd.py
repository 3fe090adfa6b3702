"""Read-only views: `status`, `history`, `graph`."""

from __future__ import annotations

import enum
from typing import TYPE_CHECKING, Annotated

import typer

from engine.cli.common import OutputFormat, OutputOption, console, emit_json, session_from

if TYPE_CHECKING:
    from engine.interfaces import TargetStatus


class GraphFormat(enum.StrEnum):
    text = "text"
    mermaid = "mermaid"
    dot = "dot"


def status(ctx: typer.Context, output: OutputOption = OutputFormat.text) -> None:
    """Environment × artifact matrix; a version differing from an upstream's is highlighted."""
    from engine.status import build_status

    report = build_status(session_from(ctx))
    if output is OutputFormat.json:
        emit_json(report.as_json())
        return
    from rich.table import Table

    table = Table(
        title="Versions by environment (yellow: differs from an upstream)", title_justify="left"
    )
    table.add_column("artifact")
    for env in report.environments:
        table.add_column(env)
    for ref in report.artifacts:
        cells = []
        for env in report.environments:
            version = report.versions[env].get(ref, "")
            lag = report.lagging.get(env, {}).get(ref)
            cells.append(f"[yellow]{version}[/] [dim]({lag} upstream)[/]" if lag else version)
        table.add_row(f"{ref.kind} {ref.name}", *cells)
    out = console()
    out.print(table)
    for env in report.environments:
        record = report.last_promotion.get(env)
        if record:
            out.print(
                f"{env}: last promoted from {record.src} {record.when:%Y-%m-%d %H:%M}"
                f" ({record.id}, {record.commit[:12]})"
            )
    for env, target in report.targets.items():
        out.print(f"{env}: {_describe_target(target)}")
    for env, files in report.uncommitted.items():
        shown = ", ".join(files[:3]) + (" …" if len(files) > 3 else "")
        out.print(f"[yellow]{env}: read from uncommitted files, not HEAD:[/] {shown}")


def _describe_target(target: TargetStatus) -> str:
    applied = (target.last_applied_commit or "")[:12] or "never"
    if target.drifted is None:
        state = "[yellow]drift unknown[/]"
    else:
        state = "[red]drifted[/]" if target.drifted else "[green]in sync[/]"
    detail = f" [dim]({target.detail})[/]" if target.detail else ""
    return f"last applied {applied}, {state}{detail}"


def history(
    ctx: typer.Context,
    env: Annotated[str | None, typer.Argument(help="Only promotions into or out of ENV.")] = None,
    output: OutputOption = OutputFormat.text,
) -> None:
    """Promotions read back from commit trailers, newest first."""
    from engine.trailers import read_history

    session = session_from(ctx)
    if env is not None:
        session.environment(env)
    records = read_history(session.repo)
    if env is not None:
        records = [r for r in records if env in (r.dst, r.src)]
    if output is OutputFormat.json:
        emit_json({"promotions": [r.as_json() for r in records]})
        return
    from rich.table import Table

    table = Table(title="Promotions", title_justify="left")
    for column in ("when", "id", "route", "artifacts", "gates", "approved by", "forced"):
        table.add_column(column)
    for r in records:
        artifacts = "\n".join(f"{a.name} {a.old} → {a.new}" for a in r.artifacts)
        table.add_row(
            f"{r.when:%Y-%m-%d %H:%M}",
            r.id,
            f"{r.src} → {r.dst}",
            artifacts,
            "\n".join(r.gates),
            ", ".join(r.approvers),
            r.forced or "",
        )
    console().print(table)


def graph(
    ctx: typer.Context,
    format: Annotated[
        GraphFormat, typer.Option("--format", help="text, mermaid or dot.")
    ] = GraphFormat.text,
) -> None:
    """The promotion graph."""
    session = session_from(ctx)
    edges = session.graph.edges()
    names = session.graph.in_order()
    if format is GraphFormat.mermaid:
        lines = ["flowchart LR", *(f"  {a} --> {b}" for a, b in edges)]
        lines += [f"  {n}" for n in names if not any(n in e for e in edges)]
    elif format is GraphFormat.dot:
        lines = ["digraph promote {", "  rankdir=LR;", *(f'  "{n}";' for n in names)]
        lines += [*(f'  "{a}" -> "{b}";' for a, b in edges), "}"]
    else:
        lines = []
        for name in names:
            env = session.environment(name)
            upstream = ", ".join(session.graph.upstreams(name)) or "-"
            gates = ", ".join(s.name for s in env.gates) or "-"
            lines.append(
                f"{name:<12} from: {upstream:<16} path: {env.path}  "
                f"renderer: {env.renderer}  gates: {gates}"
            )
    typer.echo("\n".join(lines))


def register(app: typer.Typer) -> None:
    app.command("status")(status)
    app.command("history")(history)
    app.command("graph")(graph)
