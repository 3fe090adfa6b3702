"""Read-only views: `status`, `history`, `graph`."""

from __future__ import annotations

import enum
import json
import sys
from typing import TYPE_CHECKING, Annotated, Any

import typer

from promote.engine.cli.common import OutputFormat, OutputOption, console, emit_json, session_from

if TYPE_CHECKING:
    from promote.engine.interfaces import TargetStatus
    from promote.engine.model import Environment
    from promote.engine.promotion.trailers import PromotionRecord, VerificationRecord
    from promote.engine.session import Session


class GraphFormat(enum.StrEnum):
    text = "text"
    mermaid = "mermaid"
    dot = "dot"


def status(ctx: typer.Context, output: OutputOption = OutputFormat.text) -> None:
    """Environment × artifact matrix; a version differing from an upstream's is highlighted."""
    from promote.engine.status import build_status

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
        if record and record.rollback_of:
            out.print(
                f"{env}: [yellow]rolled back[/] {record.when:%Y-%m-%d %H:%M} "
                f"(undoing {', '.join(record.rollback_of)}; {record.id}, {record.commit[:12]})"
            )
        elif record:
            out.print(
                f"{env}: last promoted from {record.src} {record.when:%Y-%m-%d %H:%M}"
                f" ({record.id}, {record.commit[:12]})"
            )
        checked = report.verification_of(env)
        if checked:
            style = "green" if checked.passed else "red"
            out.print(f"[{style}]{env}: {checked.describe()}[/]")
    for env, freeze in report.frozen.items():
        out.print(f"[red]{env}: {freeze.describe()}[/]")
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
    from promote.engine.status import history_everywhere, verifications_everywhere

    session = session_from(ctx)
    if env is not None:
        session.environment(env)
    records = history_everywhere(session)
    if env is not None:
        records = [r for r in records if env in (r.dst, r.src)]
    checked = verifications_everywhere(session) if records else {}
    if output is OutputFormat.json:
        _emit_promotions_json(records, checked)
        return
    text = "".join(_promotion_text(r, checked.get(r.id)) for r in records)
    sys.stdout.write(text or "no promotions recorded\n")


def _promotion_text(record: PromotionRecord, checked: VerificationRecord | None = None) -> str:
    """One promotion as `git log --oneline` would show it, its details indented below: plain
    text, written in one go (a table would have to measure every row of a long history first)."""
    route = (
        f"rollback {record.dst} (undoing {', '.join(record.rollback_of)})"
        if record.rollback_of
        else f"{record.src} → {record.dst}"
    )
    head = f"{record.when:%Y-%m-%d %H:%M}  {record.id}  {route}"
    lines = [f"{head}  {record.commit[:12]}"]
    lines += [f"    {a.name} {a.old} → {a.new}" for a in record.artifacts]
    lines += [f"    gate {gate}" for gate in record.gates]
    if record.approvers:
        lines.append(f"    approved by {', '.join(record.approvers)}")
    if record.forced:
        lines.append(f"    forced: {record.forced}")
    if checked is not None:
        lines.append(f"    {checked.describe()} ({checked.commit[:12]})")
    return "\n".join(lines) + "\n"


def _emit_promotions_json(
    records: list[PromotionRecord], checked: dict[str, VerificationRecord]
) -> None:
    """`{"promotions": [...]}` with one promotion a line: json's C encoder only runs without
    `indent`; its pure Python one is ten times slower on a long history."""
    rows = [
        json.dumps(
            {**r.as_json(), "verification": _checked_json(checked.get(r.id))},
            ensure_ascii=False,
            default=str,
        )
        for r in records
    ]
    body = "".join(f"\n    {row}," for row in rows).rstrip(",")
    sys.stdout.write(f'{{\n  "promotions": [{body}\n  ]\n}}\n' if rows else '{"promotions": []}\n')


def _checked_json(checked: VerificationRecord | None) -> dict[str, object] | None:
    return checked.as_json() if checked else None


def graph(
    ctx: typer.Context,
    format: Annotated[
        GraphFormat, typer.Option("--format", help="text, mermaid or dot.")
    ] = GraphFormat.text,
    output: OutputOption = OutputFormat.text,
) -> None:
    """The promotion graph."""
    session = session_from(ctx)
    if output is OutputFormat.json:
        emit_json(_graph_json(session))
        return
    names, edges = session.graph.in_order(), session.graph.edges()
    if format is GraphFormat.mermaid:
        lines = _mermaid(names, edges)
    elif format is GraphFormat.dot:
        lines = _dot(names, edges)
    else:
        lines = _graph_text(session)
    typer.echo("\n".join(lines))


def _graph_json(session: Session) -> dict[str, Any]:
    environments = [
        {
            "name": env.name,
            "path": str(env.path),
            "branch": env.branch,
            "repo": env.repo,
            "where": _where(session, env),
            "from": session.graph.upstreams(env.name),
            "renderer": env.renderer,
            "gates": [spec.name for spec in env.gates],
            "target": env.target,
            "agent": _agent_json(env),
            "labels": dict(env.labels),
        }
        for env in session.graph
    ]
    edges = [{"from": a, "to": b} for a, b in session.graph.edges()]
    return {"environments": environments, "edges": edges}


def _agent_json(env: Environment) -> dict[str, Any] | None:
    agent = env.agent
    if agent is None:
        return None
    cluster = env.cluster
    return {
        "kind": agent.kind,
        "object": agent.resource,
        "name": agent.name,
        "namespace": agent.namespace,
        "context": cluster.context if cluster else None,
    }


def _graph_text(session: Session) -> list[str]:
    """One line per environment; each column as wide as its longest entry."""
    rows = [
        (
            env.name,
            f"from: {', '.join(session.graph.upstreams(env.name)) or '-'}",
            f"where: {_where(session, env)}",
            f"renderer: {env.renderer}",
            f"gates: {', '.join(spec.name for spec in env.gates) or '-'}",
        )
        for env in session.graph
    ]
    widths = [max(len(cell) for cell in column) for column in zip(*rows, strict=True)]
    padded = (" ".join(c.ljust(w + 1) for c, w in zip(row, widths, strict=True)) for row in rows)
    return [line.rstrip() for line in padded]


def _where(session: Session, env: Environment) -> str:
    """`main:apps/qa` for the checked-out branch, else the branch or repository and path."""
    if env.elsewhere:
        return env.where()
    return f"{session.repo.branch() or 'HEAD'}:{env.path}"


def _mermaid(names: list[str], edges: list[tuple[str, str]]) -> list[str]:
    """Node ids are n0, n1, ...: a name such as `end` or `class` is a Mermaid keyword."""
    ids = {name: f"n{index}" for index, name in enumerate(names)}
    nodes = [f'  {ids[name]}["{_mermaid_label(name)}"]' for name in names]
    return ["flowchart LR", *nodes, *(f"  {ids[a]} --> {ids[b]}" for a, b in edges)]


def _mermaid_label(name: str) -> str:
    return name.replace("&", "#amp;").replace('"', "#quot;")


def _dot(names: list[str], edges: list[tuple[str, str]]) -> list[str]:
    """Quoted ids: DOT keywords (`graph`, `node`, `edge`, ...) are only keywords unquoted."""
    lines = ["digraph promote {", "  rankdir=LR;", *(f"  {_dot_id(n)};" for n in names)]
    return [*lines, *(f"  {_dot_id(a)} -> {_dot_id(b)};" for a, b in edges), "}"]


def _dot_id(name: str) -> str:
    return '"' + name.replace("\\", "\\\\").replace('"', '\\"') + '"'


def register(app: typer.Typer) -> None:
    app.command("status")(status)
    app.command("history")(history)
    app.command("graph")(graph)
