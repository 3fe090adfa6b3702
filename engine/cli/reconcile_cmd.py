"""Reconciliation commands: `diff` and `reconcile` (once, for all, or `--watch`)."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated

import typer

from promote.engine.cli.common import OutputFormat, OutputOption, console, emit_json, session_from
from promote.engine.cli.views import report_json, show_report
from promote.engine.errors import EXIT_FAILURE, EXIT_USAGE, PromoteError, UsageError

if TYPE_CHECKING:
    from promote.engine.interfaces import ReconcileReport
    from promote.engine.reconcile.leader import LeaseElector

_DNS_SUBDOMAIN = re.compile(r"[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?")
MIN_LEASE_SECONDS = 2


@dataclass(frozen=True)
class LeaseOptions:
    """Where the Lease lives and how long it lasts (`--leader-elect`)."""

    name: str
    namespace: str | None  # None: the client's namespace (in-cluster or the context's)
    context: str | None  # None: in-cluster config inside a Pod, else the current context
    duration: float


def parse_duration(text: str, option: str) -> float:
    """`30s`, `5m`, `1h30m`, `500ms` or plain seconds → seconds, positive."""
    from promote.engine.config.durations import parse_seconds

    try:
        seconds = parse_seconds(text)
    except ValueError:
        raise UsageError(f"{option}: {text!r} is not a duration (e.g. 30s, 5m, 1h30m)") from None
    if seconds <= 0:
        raise UsageError(f"{option}: the duration must be positive")
    return seconds


def diff(
    ctx: typer.Context,
    env: Annotated[str, typer.Argument(help="Environment to compare with its target.")],
    output: OutputOption = OutputFormat.text,
) -> int:
    """Desired (HEAD) vs what the target holds. Exit 0 in sync, 1 drift, 2 error."""
    from promote.engine.reconcile.reconciler import diff_env, snapshot, targeted

    try:
        session = session_from(ctx)
        (environment,) = targeted(session, [env])
        with snapshot(session) as snap:
            report = diff_env(session, environment, snap)
    except PromoteError as exc:
        exc.exit_code = EXIT_USAGE  # diff's contract: 2 for every error, 1 only for drift
        raise
    if output is OutputFormat.json:
        emit_json(
            {
                "environment": report.env,
                "commit": snap.commit,
                "in_sync": report.in_sync,
                "drifted": report.drifted,
                "diff": report.diff,
            }
        )
    elif report.in_sync:
        typer.echo(f"{report.env}: in sync with {snap.commit[:12]}")
    else:
        typer.echo(report.diff, nl=not report.diff.endswith("\n"))
    return 0 if report.in_sync else EXIT_FAILURE


def reconcile(
    ctx: typer.Context,
    env: Annotated[str | None, typer.Argument(help="Environment to reconcile.")] = None,
    all_: Annotated[
        bool, typer.Option("--all", help="Every environment with a target, upstreams first.")
    ] = False,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Report what would change; change nothing.")
    ] = False,
    watch: Annotated[
        bool, typer.Option("--watch", help="Keep reconciling until SIGTERM/SIGINT.")
    ] = False,
    interval: Annotated[
        str, typer.Option("--interval", help="Time between passes with --watch.")
    ] = "30s",
    timeout: Annotated[str, typer.Option("--timeout", help="How long to wait for health.")] = "5m",
    output: OutputOption = OutputFormat.text,
    leader_elect: Annotated[
        bool,
        typer.Option(
            "--leader-elect", help="With --watch: act only while holding a Kubernetes Lease."
        ),
    ] = False,
    lease_name: Annotated[
        str | None, typer.Option("--lease-name", help="The Lease's name (default: promote).")
    ] = None,
    lease_namespace: Annotated[
        str | None,
        typer.Option("--lease-namespace", help="The Lease's namespace (default: the client's)."),
    ] = None,
    lease_context: Annotated[
        str | None,
        typer.Option(
            "--lease-context",
            help="Kubeconfig context for the Lease (default: in-cluster, else current).",
        ),
    ] = None,
    lease_duration: Annotated[
        str | None,
        typer.Option("--lease-duration", help="How long a Lease lasts unrenewed (default: 15s)."),
    ] = None,
) -> int:
    """Render at HEAD, apply, prune and wait for health. Exit 1 when unhealthy or failed."""
    if env is not None and all_:
        raise UsageError("give an environment or --all, not both")
    if env is None and not all_ and not watch:
        raise UsageError("give an environment to reconcile, or --all")
    seconds = parse_duration(timeout, "--timeout")
    given = {
        "--lease-name": lease_name,
        "--lease-namespace": lease_namespace,
        "--lease-context": lease_context,
        "--lease-duration": lease_duration,
    }
    lease = _lease_options(leader_elect, watch, given)
    if watch:
        every = parse_duration(interval, "--interval")
        names = None if env is None else [env]
        return _watch(ctx, names, every, dry_run, seconds, output, lease)
    from promote.engine.reconcile.reconciler import reconcile_many

    reports = reconcile_many(
        session_from(ctx), None if all_ else [env or ""], dry_run=dry_run, timeout=seconds
    )
    _show(reports, output)
    from promote.engine.reconcile.reconciler import succeeded

    return 0 if all(succeeded(r) for r in reports) else EXIT_FAILURE


def _lease_options(
    leader_elect: bool, watch: bool, given: dict[str, str | None]
) -> LeaseOptions | None:
    """Check the leader-election flags before anything runs; None without --leader-elect."""
    if leader_elect and not watch:
        raise UsageError("--leader-elect only works with --watch")
    if not leader_elect:
        stray = [flag for flag, value in given.items() if value is not None]
        if stray:
            raise UsageError(f"{stray[0]} needs --leader-elect")
        return None
    name = given["--lease-name"] or "promote"
    if not _DNS_SUBDOMAIN.fullmatch(name):
        raise UsageError(f"--lease-name: {name!r} is not a valid Kubernetes object name")
    duration = parse_duration(given["--lease-duration"] or "15s", "--lease-duration")
    if duration != int(duration) or duration < MIN_LEASE_SECONDS:
        raise UsageError(
            f"--lease-duration: a Lease lasts whole seconds, at least {MIN_LEASE_SECONDS}s"
        )
    return LeaseOptions(name, given["--lease-namespace"], given["--lease-context"], duration)


def _elector(lease: LeaseOptions, log: Callable[[str], None]) -> LeaseElector:
    from promote.engine.reconcile.kube import connect
    from promote.engine.reconcile.leader import LeaseElector

    # a request must not outlast the retry period by much: renewal is what keeps us leading
    client = connect(context=lease.context, request_timeout=lease.duration / 3)
    return LeaseElector(
        client, name=lease.name, namespace=lease.namespace, duration=lease.duration, log=log
    )


def _show(reports: list[ReconcileReport], output: OutputFormat) -> None:
    if output is OutputFormat.json:
        emit_json({"environments": [report_json(r) for r in reports]})
        return
    out = console()
    if not reports:
        out.print("no environment has a target: nothing to reconcile")
    for report in reports:
        show_report(out, report)


def _watch(
    ctx: typer.Context,
    names: list[str] | None,
    interval: float,
    dry_run: bool,
    timeout: float,
    output: OutputFormat,
    lease: LeaseOptions | None,
) -> int:
    import json
    import sys
    from pathlib import Path

    from promote.engine.reconcile.reconciler import targeted
    from promote.engine.reconcile.watch import Watcher, install_stop_handlers

    options = ctx.find_root().obj or {}
    targeted(session_from(ctx), names)  # refuse a bad name or a missing target before looping
    err = console(stderr=True)

    def on_report(report: ReconcileReport) -> None:
        if output is OutputFormat.json:  # one JSON document per line, for log pipelines
            sys.stdout.write(json.dumps(report_json(report), default=str) + "\n")
            sys.stdout.flush()
        else:
            show_report(console(), report)

    def log(message: str) -> None:
        err.print(f"[dim]{_now()}[/] {message}")

    elector = None if lease is None else _elector(lease, log)
    watcher = Watcher(
        Path.cwd(),
        options.get("config"),
        interval,
        dry_run,
        timeout,
        on_report,
        names=names,
        log=log,
        elector=elector,
    )
    install_stop_handlers(watcher.stop)
    try:
        watcher.run()
    finally:
        if elector is not None:
            elector.client.close()
    return 0


def _now() -> str:
    from datetime import UTC, datetime

    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def register(app: typer.Typer) -> None:
    app.command("diff")(diff)
    app.command("reconcile")(reconcile)
