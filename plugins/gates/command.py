"""`- command: ["python3", "checks/smoke.py"]`: a program decides.

A timeout may sit beside the command (`- command: [...]` then `  timeout: 30s`) or in the
mapping form `- command: {run: [...], timeout: 30s}`. The program runs from the repository root
with the plan as JSON on stdin (and PROMOTE_* variables naming the hop); exit 0 passes,
anything else fails; the last line it prints is the reason. A timeout fails.
"""

from __future__ import annotations

import contextlib
import json
import os
import shlex
import signal
import subprocess
import threading
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import IO, Any

from promote.engine.config.durations import format_duration, parse_duration
from promote.engine.interfaces import GateContext
from promote.engine.model import Outcome, Verdict
from promote.engine.plugins import hookimpl

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
        except TimedOut as stopped:
            limit = format_duration(timeout)
            return Verdict(NAME, Outcome.FAILED, f"{shown} timed out after {limit} ({stopped})")
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
    started = time.monotonic()
    process = None
    try:
        with _ctrl_c_after_start():
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
        stdout, stderr = process.communicate(_payload(context), timeout=timeout)
    except subprocess.TimeoutExpired:
        _stop(process)
        raise TimedOut(time.monotonic() - started) from None
    except BaseException:  # Ctrl-C: the program, in its own session, did not get the SIGINT
        if process is not None:
            _stop(process)
        raise
    return process.returncode, stdout, stderr


@contextlib.contextmanager
def _ctrl_c_after_start() -> Iterator[None]:
    """Hold a Ctrl-C back while the program starts: raised inside Popen (the program already
    running, its pid not yet ours), it would leave the program running unseen."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    pending: list[tuple[int, Any]] = []
    previous = signal.signal(signal.SIGINT, lambda signum, frame: pending.append((signum, frame)))
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
        if pending and callable(previous):
            previous(*pending[0])  # raises KeyboardInterrupt, now that the caller can stop it
        elif pending and previous == signal.SIG_DFL:
            signal.raise_signal(signal.SIGINT)


class TimedOut(Exception):
    def __init__(self, elapsed: float) -> None:
        super().__init__(f"stopped after {elapsed:.1f}s")
        self.elapsed = elapsed


def _stop(process: subprocess.Popen[str]) -> None:
    """Kill the program's process group, its descendants, and whatever still holds its output:
    a child that left the group (`setsid sleep 600 &`) would otherwise outlive the gate and keep
    the pipes open, so that reading them never ends."""
    pipes = [stream for stream in (process.stdout, process.stderr) if stream is not None]
    stragglers = _descendants(process.pid) | _holding(pipes)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    for pid in stragglers - {os.getpid()}:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(pid, signal.SIGKILL)
    try:
        process.communicate(timeout=STOP_SECONDS)
    except subprocess.TimeoutExpired:  # someone we could not kill holds the pipes: stop reading
        for stream in pipes:
            stream.close()
        process.wait()


STOP_SECONDS = 5
PROC = Path("/proc")  # Linux: where the process tree and open files are visible


def _processes() -> Iterator[Path]:
    return (entry for entry in PROC.glob("[0-9]*") if entry.name.isdigit())


def _descendants(root: int) -> set[int]:
    parents: dict[int, int] = {}
    for entry in _processes():
        with contextlib.suppress(OSError, ValueError, IndexError):
            # The parent pid is the second field after the `(command)`, which may hold spaces.
            parents[int(entry.name)] = int(
                (entry / "stat").read_text().rsplit(")", 1)[1].split()[1]
            )
    found, frontier = set(), {root}
    while frontier:
        frontier = {pid for pid, parent in parents.items() if parent in frontier} - found
        found |= frontier
    return found


def _holding(pipes: list[IO[str]]) -> set[int]:
    """Processes that have one of `pipes` open (by the pipe's inode, as /proc/PID/fd shows it)."""
    wanted = {f"pipe:[{os.fstat(pipe.fileno()).st_ino}]" for pipe in pipes}
    holders = set()
    for entry in _processes():
        with contextlib.suppress(OSError):
            if any(os.readlink(fd) in wanted for fd in (entry / "fd").iterdir()):
                holders.add(int(entry.name))
    return holders


@hookimpl
def promote_register_gates(register) -> None:
    register(NAME, Command())
