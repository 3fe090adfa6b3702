"""Shared bits of the command modules: the session, the output format, JSON and the console."""

from __future__ import annotations

import enum
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

if TYPE_CHECKING:
    from rich.console import Console

    from promote.engine.session import Session


class OutputFormat(enum.StrEnum):
    text = "text"
    json = "json"


OutputOption = Annotated[
    OutputFormat, typer.Option("--output", "-o", help="text for people, json for machines.")
]
NoVerifyOption = Annotated[
    bool,
    typer.Option(
        "--no-verify", help="Skip the pre-commit and commit-msg hooks (as `git commit` does)."
    ),
]


def session_from(ctx: typer.Context) -> Session:
    from promote.engine.session import open_session

    options = ctx.find_root().obj or {}
    return open_session(Path.cwd(), options.get("config"))


def console(stderr: bool = False) -> Console:
    from rich.console import Console

    stream = sys.stderr if stderr else sys.stdout
    # Piped output (CI logs, `| less`) gets a wide table rather than 80 truncated columns.
    width = None if stream.isatty() else 200
    return Console(stderr=stderr, highlight=False, width=width)


def emit_json(data: Any) -> None:
    json.dump(data, sys.stdout, indent=2, default=str, ensure_ascii=False)
    sys.stdout.write("\n")
