"""Setting up and checking a repository: `init`, `validate`, `render`, `plugins`."""

from __future__ import annotations

import enum
from pathlib import Path
from typing import Annotated

import typer

from promote.engine.cli.common import OutputFormat, OutputOption, console, emit_json, session_from


class Layout(enum.StrEnum):
    """Where `promote init` puts the environments (docs/layouts.md)."""

    dirs = "dirs"
    branches = "branches"
    repos = "repos"


def init(
    directory: Annotated[Path, typer.Argument(help="Where to create the repository.")] = Path("."),
    layout: Annotated[
        Layout,
        typer.Option(
            help="dirs: a directory per environment on main; branches: a branch per "
            "environment; repos: a repository per environment, in DIR.envs/."
        ),
    ] = Layout.dirs,
) -> None:
    """Scaffold a Git repository from the bundled example (base + int/qa/uat/prod overlays)."""
    from promote.engine.scaffold import environment_repositories, scaffold

    created = scaffold(directory, layout.value)
    if layout is Layout.dirs:
        typer.echo(
            f"created {created.root} with environments/graph.yaml; "
            f"try: cd {created.root} && promote status"
        )
        return
    also = f" and {environment_repositories(directory)}/" if layout is Layout.repos else ""
    typer.echo(f"created {created.root} (environments/graph.yaml on main){also}; environments:")
    width = max(map(len, created.places))
    for name, where in created.places.items():
        typer.echo(f"  {name:<{width}}  {where}")
    typer.echo(f"try: cd {created.root} && promote graph && promote status")


def validate(ctx: typer.Context, output: OutputOption = OutputFormat.text) -> None:
    """Check the graph file and that every environment renders."""
    from promote.engine.versions.state import read_state

    session = session_from(ctx)
    rendered = {}
    for env in session.graph:
        state = read_state(session.plugins, session.places.of(env).root, env)
        rendered[env.name] = {"objects": len(state.objects), "artifacts": len(state.versions)}
    if output is OutputFormat.json:
        emit_json({"valid": True, "config": str(session.config.file), "environments": rendered})
        return
    for name, counts in rendered.items():
        typer.echo(f"{name}: renders {counts['objects']} objects, {counts['artifacts']} artifacts")
    typer.echo(f"{session.config.file}: valid")


def render(
    ctx: typer.Context,
    env: Annotated[str, typer.Argument(help="Environment to render.")],
    out: Annotated[
        Path | None, typer.Option("--out", help="Write one file per object here.")
    ] = None,
    show_secrets: Annotated[
        bool,
        typer.Option("--show-secrets", help="Print Secret values instead of their sha256 digests."),
    ] = False,
) -> None:
    """The environment's objects as a YAML stream (or one file per object with --out).

    On stdout Secret values are shown as `sha256:…` digests unless --show-secrets; files written
    with --out hold the real values (they are meant to be applied).
    """
    from promote.engine.reconcile.rendering import write_objects
    from promote.engine.secrets import mask_secrets
    from promote.engine.versions.state import render_objects
    from promote.engine.yamlfiles.yamlio import dump_all

    session = session_from(ctx)
    environment = session.environment(env)
    objects = render_objects(session.plugins, session.places.of(environment).root, environment)
    if out is None:
        typer.echo(dump_all(objects if show_secrets else mask_secrets(objects)), nl=False)
    else:
        written = write_objects(objects, out)
        typer.echo(f"wrote {len(written)} files to {out}")


def plugins(ctx: typer.Context, output: OutputOption = OutputFormat.text) -> None:
    """Installed plugins, the hooks they implement, what they register, and their versions."""
    from promote.engine.plugin_info import describe_plugins
    from promote.engine.plugins import load_plugins

    described = describe_plugins(load_plugins())
    if output is OutputFormat.json:
        emit_json({"plugins": described})
        return
    from rich.table import Table

    table = Table(title="Plugins", title_justify="left")
    for column in ("plugin", "version", "hooks", "registers"):
        table.add_column(column)
    for p in described:
        table.add_row(p["name"], p["version"], "\n".join(p["hooks"]), "\n".join(p["registers"]))
    console().print(table)


def register(app: typer.Typer) -> None:
    app.command("init")(init)
    app.command("validate")(validate)
    app.command("render")(render)
    app.command("plugins")(plugins)
