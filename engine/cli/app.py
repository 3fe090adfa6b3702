"""The `promote` application: a typer app whose default command is `promote SRC DST`.

Imports stay light here so that `promote --help` is fast: command bodies import the engine.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Any

import click
import typer
from typer.core import TyperGroup

from engine import __version__
from engine.errors import EXIT_FAILURE, EXIT_USAGE, PromoteError

PROMOTE_COMMAND = "promote"


class DefaultToPromote(TyperGroup):
    """`promote qa prod` runs the hidden `promote` command: the first word is not a verb."""

    def resolve_command(self, ctx: click.Context, args: list[str]) -> tuple[Any, Any, list[str]]:
        if args and args[0] not in self.commands and not args[0].startswith("-"):
            return PROMOTE_COMMAND, self.commands[PROMOTE_COMMAND], args
        return super().resolve_command(ctx, args)

    def format_usage(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        formatter.write_usage("promote", "SRC DST [OPTIONS]\n       promote COMMAND [ARGS]...")


app = typer.Typer(
    cls=DefaultToPromote,
    help=(
        "Promote pinned versions between GitOps environments as audited Git commits.\n\n"
        "promote SRC DST makes DST pin the versions SRC pins (see `promote promote --help`)."
    ),
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode="rich",
)


@app.callback()
def configure(
    ctx: typer.Context,
    config: Annotated[
        Path | None,
        typer.Option(
            "--config", help="Graph file (default: environments/graph.yaml, found upwards)."
        ),
    ] = None,
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks.")] = False,
    version: Annotated[bool, typer.Option("--version", help="Print the version and exit.")] = False,
) -> None:
    if version:
        typer.echo(f"promote {__version__}")
        raise typer.Exit()
    ctx.obj = {"config": config, "debug": debug}


def _register_commands() -> None:
    from engine.cli import gates_cmd, inspect_cmd, promote_cmd, setup_cmd

    for module in (promote_cmd, inspect_cmd, setup_cmd, gates_cmd):
        module.register(app)


_register_commands()


def main(argv: list[str] | None = None) -> None:
    """Console entry point: user-facing errors become one line and an exit code."""
    args = sys.argv[1:] if argv is None else argv
    debug = "--debug" in args
    try:
        result = app(args=args, prog_name="promote", standalone_mode=False)
    except PromoteError as exc:
        if debug:
            raise
        click.echo(f"promote: error: {exc}", err=True)
        sys.exit(exc.exit_code)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except click.ClickException as exc:
        exc.show()
        sys.exit(EXIT_USAGE if isinstance(exc, click.UsageError) else exc.exit_code)
    except click.exceptions.Abort:
        click.echo("Aborted.", err=True)
        sys.exit(EXIT_FAILURE)
    sys.exit(result if isinstance(result, int) else 0)
