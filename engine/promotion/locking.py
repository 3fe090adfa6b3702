"""One writer at a time per repository: `.git/promote.lock`.

The lock is an advisory `flock` on that file, so the kernel releases it when its holder dies —
even by SIGKILL — and a lock can never be left stale by a crash. The file's content (pid, host,
command, start time) only serves the message a waiting process prints about who holds it.
"""

from __future__ import annotations

import fcntl
import json
import os
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from promote.engine.errors import LockTimeout

LOCK_FILE_NAME = "promote.lock"
DEFAULT_WAIT_SECONDS = 120.0
_POLL_SECONDS = 0.05


@contextmanager
def repository_lock(git_dir: Path, wait_seconds: float = DEFAULT_WAIT_SECONDS) -> Iterator[float]:
    """Hold the repository's promotion lock; wait up to `wait_seconds` for another holder.

    Yields how many seconds it waited."""
    path = git_dir / LOCK_FILE_NAME
    descriptor = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        started = time.monotonic()
        _acquire(descriptor, path, wait_seconds)
        _record_holder(descriptor)
        try:
            yield time.monotonic() - started
        finally:
            os.ftruncate(descriptor, 0)
            fcntl.flock(descriptor, fcntl.LOCK_UN)
    finally:
        os.close(descriptor)


def _acquire(descriptor: int, path: Path, wait_seconds: float) -> None:
    deadline = time.monotonic() + max(wait_seconds, 0.0)
    while True:
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return
        except BlockingIOError:
            if time.monotonic() >= deadline:
                raise LockTimeout(
                    f"another promotion holds {path} ({describe_holder(path)}); "
                    f"gave up after {wait_seconds:g}s (--wait-lock SECONDS waits longer)"
                ) from None
            time.sleep(_POLL_SECONDS)


def _record_holder(descriptor: int) -> None:
    import socket  # only a process that got the lock needs its host name

    holder = {
        "pid": os.getpid(),
        "host": socket.gethostname(),
        "command": " ".join(["promote", *sys.argv[1:]])[:200],
        "since": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    os.ftruncate(descriptor, 0)
    os.pwrite(descriptor, (json.dumps(holder) + "\n").encode(), 0)


def describe_holder(path: Path) -> str:
    """`pid 4242 on ci-runner-3 since …: promote int qa`, or why it cannot be told."""
    try:
        holder = json.loads(path.read_text(encoding="utf-8") or "{}")
    except (OSError, ValueError):
        return "holder unknown"
    if not holder:
        return "holder unknown"
    return (
        f"pid {holder.get('pid')} on {holder.get('host')} since {holder.get('since')}: "
        f"{holder.get('command')}"
    )
