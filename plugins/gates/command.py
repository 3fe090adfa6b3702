"""`- command: ["python3", "checks/smoke.py"]`: a program decides.

A timeout may sit beside the command (`- command: [...]` then `  timeout: 30s`) or in the
mapping form `- command: {run: [...], timeout: 30s}`. The program runs from the repository root
with the plan as JSON on stdin (and PROMOTE_* variables naming the hop); exit 0 passes,
anything else fails; the last line it prints is the reason. A timeout fails.
"""

from __future__ import annotations

import json
import os
import shlex
import signal
import subprocess
from datetime import timedelta
from typing import Any

from engine.durations import format_duration, parse_duration
from engine.interfaces import GateContext
from engine.model import Outcome, Verdict
from engine.plugins import hookimpl

NAME = "command"
KEYS = ("run", "timeout", NAME)  # NAME: the entry itself when `timeout:` sits beside it
DEFAULT_TIMEOUT = timedelta(seconds=60)


def _argv(options: Any) -> list[str]:
    run = options.get("run", options.get(NAME)) if isinstance(options, dict) else options
    if isinstance(run, str):
        run = shlex.split(run)
    if not isinstance(run, list) or not run or not all(isinstance(a, str) for a in run):
        raise ValueError(
            'expected a program and its arguments, e.g. ["python3", "checks/smoke.py"]'
        )
    return run


def _timeout(options: Any) -> timedelta:
    if not isinstance(options, dict) or "timeout" not in options:
        return DEFAULT_TIMEOUT
    value = options["timeout"]
    if isinstance(value, int | float) and not isinstance(value, bool) and value > 0:
        return timedelta(seconds=value)
    duration = parse_duration(value)
    if not duration:
        raise ValueError("timeout: must be more than 0s")
    return duration


def _payload(context: GateContext) -> str:
    return json.dumps(
        {
            **context.plan.as_json(),
            "plan_hash": context.plan_hash,
            "promoter": context.promoter,
            "now": context.now.isoformat(),
        }
    )


def _last_line(*outputs: str) -> str:
    for output in outputs:
        lines = [line.strip() for line in output.splitlines() if line.strip()]
        if lines:
            return lines[-1]
    return ""


class Command:
    def check_options(self, options: Any) -> str | None:
        if isinstance(options, dict):
            unknown = sorted(set(options) - set(KEYS))
            if unknown:
                return f"unknown option {unknown[0]!r} (allowed: {', '.join(KEYS)})"
        try:
            _argv(options)
            _timeout(options)
        except ValueError as exc:
            return str(exc)
        return None

    def evaluate(self, context: GateContext, options: Any) -> Verdict:
        argv, timeout = _argv(options), _timeout(options)
        env = {
            **os.environ,
            "PROMOTE_SRC": context.src.name,
            "PROMOTE_DST": context.dst.name,
            "PROMOTE_PLAN_HASH": context.plan_hash,
            "PROMOTE_PROMOTER": context.promoter,
        }
        shown = shlex.join(argv)
        try:
            code, stdout, stderr = _run(argv, context, env, timeout.total_seconds())
        except subprocess.TimeoutExpired:
            after = format_duration(timeout)
            return Verdict(NAME, Outcome.FAILED, f"{shown} timed out after {after}")
        except OSError as exc:
            return Verdict(NAME, Outcome.FAILED, f"cannot run {shown}: {exc.strerror or exc}")
        said = _last_line(stdout, stderr)
        if code == 0:
            return Verdict(NAME, Outcome.PASSED, said or f"{shown} exited 0")
        return Verdict(NAME, Outcome.FAILED, f"{said or shown} (exit {code})")


def _run(
    argv: list[str], context: GateContext, env: dict[str, str], timeout: float
) -> tuple[int, str, str]:
    """Run in its own process group so that a timeout also stops what the program started."""
    process = subprocess.Popen(
        argv,
        cwd=context.repo.root,
        env=env,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        stdout, stderr = process.communicate(_payload(context), timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.communicate()
        raise
    return process.returncode, stdout, stderr


@hookimpl
def promote_register_gates(register) -> None:
    register(NAME, Command())
