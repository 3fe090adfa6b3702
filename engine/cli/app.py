"""The `promote` application: a typer app whose default command is `promote SRC DST`.

Imports stay light here so that `promote --help` is fast: command bodies import the engine.
"""

from __future__ import annotations

import enum
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from typer.core import TyperArgument, TyperCommand, TyperGroup, TyperOption
from typer.models import DefaultPlaceholder

from promote.engine import __version__
from promote.engine.errors import EXIT_INTERRUPTED, PromoteError

PROMOTE_COMMAND = "promote"


def _plain_help_params(params: list[Any]) -> list[Any]:
    """Help shows `SRC` for an argument and nothing after a flag (typer would print `<bool>`)."""
    for param in params:
        if isinstance(param, TyperArgument) and param.metavar is None and param.name:
            param.metavar = param.name.upper()
        elif isinstance(param, TyperOption) and param.is_flag and not param.count:
            param.metavar = ""
        _coerce_plainly(param)
    return params


_UNSURE = object()


class _PlainCoercion:
    """An absent value, a str, or an enum member named by its value, taken as it is. typer
    (0.2x) builds a pydantic TypeAdapter for every parameter, absent ones included, and
    importing pydantic costs more than the rest of `status` or `history` starting; any other
    value still goes through typer's own coercion (and its messages)."""

    def __init__(self, annotation: Any) -> None:
        self.annotation = annotation
        is_enum = isinstance(annotation, type) and issubclass(annotation, enum.Enum)
        self.members = {member.value: member for member in annotation} if is_enum else None

    def coerce(self, value: Any, param: Any, ctx: typer.Context) -> Any:
        plain = self._plain(value)
        if plain is not _UNSURE:
            return plain
        param._runtime_param = None  # typer's own, built this once
        return param.get_runtime_param().coerce(value, param=param, ctx=ctx)

    def _plain(self, value: Any) -> Any:
        if value is None:
            return None
        if self.annotation is str and isinstance(value, str):
            return value
        if self.members is not None and isinstance(value, self.annotation):
            return value
        if self.members is not None and isinstance(value, str):
            return self.members.get(value, _UNSURE)
        return _UNSURE


def _coerce_plainly(param: Any) -> None:
    descriptor = getattr(param, "type_descriptor", None)  # typer versions that use pydantic
    if descriptor is None or param.multiple or getattr(param, "_runtime_param", 0) is not None:
        return
    param._runtime_param = _PlainCoercion(descriptor.annotation)


class PromoteCommand(TyperCommand):
    """Usage reads `promote SRC DST [OPTIONS]` and `promote history [ENV] [OPTIONS]`."""

    def get_params(self, ctx: typer.Context) -> list[Any]:
        return _plain_help_params(super().get_params(ctx))

    def collect_usage_pieces(self, ctx: typer.Context) -> list[str]:
        pieces = []
        for param in self.get_params(ctx):
            if isinstance(param, TyperArgument):
                name = str(param.metavar) + ("..." if param.nargs != 1 else "")
                pieces.append(name if param.required else f"[{name}]")
        return [*pieces, "[OPTIONS]"]

    def format_usage(self, ctx: typer.Context, formatter: Any) -> None:
        # The hidden default command is `promote SRC DST`, never `promote promote SRC DST`.
        hidden = self.name == PROMOTE_COMMAND and ctx.parent is not None
        path = ctx.parent.command_path if hidden else ctx.command_path
        formatter.write_usage(path, " ".join(self.collect_usage_pieces(ctx)))


class CommandGroup(TyperGroup):
    """A group of commands (`promote pr ...`) whose help reads like the others'."""

    def get_params(self, ctx: typer.Context) -> list[Any]:
        return _plain_help_params(super().get_params(ctx))


class DefaultToPromote(TyperGroup):
    """`promote qa prod` runs the hidden `promote` command: the first word is not a verb.

    It also turns a user-facing `PromoteError` into one line on stderr and its exit code, and a
    command's integer result into the process exit code.
    """

    def resolve_command(self, ctx: typer.Context, args: list[str]) -> tuple[Any, Any, list[str]]:
        if args and args[0] not in self.commands and not args[0].startswith("-"):
            return PROMOTE_COMMAND, self.commands[PROMOTE_COMMAND], args
        return super().resolve_command(ctx, args)

    def get_params(self, ctx: typer.Context) -> list[Any]:
        return _plain_help_params(super().get_params(ctx))

    def format_usage(self, ctx: typer.Context, formatter: Any) -> None:
        formatter.write_usage("promote", "SRC DST [OPTIONS]\n       promote COMMAND [ARGS]...")

    def invoke(self, ctx: typer.Context) -> Any:
        try:
            result = super().invoke(ctx)
        except PromoteError as exc:
            if (ctx.obj or {}).get("debug"):
                raise
            typer.echo(f"promote: error: {exc}", err=True)
            raise typer.Exit(exc.exit_code) from None
        except KeyboardInterrupt:
            # Ctrl-C: a promotion lands atomically, so it either landed before or did not at all.
            typer.echo("promote: interrupted", err=True)
            raise typer.Exit(EXIT_INTERRUPTED) from None
        if isinstance(result, int) and result:
            raise typer.Exit(result)
        return result


app = typer.Typer(
    cls=DefaultToPromote,
    help=(
        "Promote pinned versions between GitOps environments as audited Git commits.\n\n"
        "promote SRC DST makes DST pin the versions SRC pins (see `promote promote --help`)."
    ),
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)


def _print_version(value: bool) -> None:
    # Eager: runs while the options are parsed, before click asks for a command.
    if value:
        typer.echo(f"promote {__version__}")
        raise typer.Exit()


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
    version: Annotated[
        bool,
        typer.Option(
            "--version",
            help="Print the version and exit.",
            callback=_print_version,
            is_eager=True,
            expose_value=False,
        ),
    ] = False,
) -> None:
    ctx.obj = {"config": config, "debug": debug}


def _register_commands() -> None:
    from promote.engine.cli import (
        gates_cmd,
        inspect_cmd,
        pr_cmd,
        promote_cmd,
        reconcile_cmd,
        recovery_cmd,
        setup_cmd,
        wait_cmd,
    )

    modules = (
        promote_cmd,
        gates_cmd,
        inspect_cmd,
        setup_cmd,
        reconcile_cmd,
        wait_cmd,
        pr_cmd,
        recovery_cmd,
    )
    for module in modules:
        module.register(app)
    groups = [group.typer_instance for group in app.registered_groups if group.typer_instance]
    for info in [c for typer_app in (app, *groups) for c in typer_app.registered_commands]:
        if info.cls is TyperCommand:  # typer's default: no command asked for its own class
            info.cls = PromoteCommand
    for group in app.registered_groups:
        if isinstance(group.cls, DefaultPlaceholder):  # as above, for `promote pr ...`
            group.cls = CommandGroup


_register_commands()


def command_names() -> frozenset[str]:
    """Every registered command, the hidden `promote` included (`promote promote qa` is one),
    and every group of commands (`promote pr status`)."""
    commands = {
        typer.main.get_command_name(info.name or info.callback.__name__)
        for info in app.registered_commands
    }
    return frozenset(commands | {str(info.name) for info in app.registered_groups})


def main(argv: list[str] | None = None) -> None:
    """Console entry point. Exits with the command's code (typer's standalone mode)."""
    app(args=sys.argv[1:] if argv is None else argv, prog_name="promote")
