"""`promote reconcile --watch`: a level-triggered loop, like a controller's resync.

Every tick: pull the repository (when it has a remote), re-read the graph, and for each targeted
environment either re-apply (HEAD moved, or the last apply did not succeed) or just diff, and
re-apply when the target drifted. Errors back off exponentially and never end the loop; only
the stop event (SIGTERM/SIGINT) does.

With an `elector` (leader election, `engine.reconcile.leader`) only the replica holding the
Lease acts: leadership is checked before each tick and before each environment, and renewed from a
background thread so that a long tick neither loses the Lease while healthy nor goes on acting
after it could not renew it.
"""

from __future__ import annotations

import signal
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from promote.engine.config.graphfile import find_config, find_repo_root
from promote.engine.errors import PromoteError
from promote.engine.interfaces import ReconcileReport
from promote.engine.model import Environment
from promote.engine.reconcile.reconciler import (
    Snapshot,
    diff_env,
    reconcile_env,
    snapshot,
    succeeded,
    targeted,
    tree_of,
)
from promote.engine.repository.gitrepo import GitRepo
from promote.engine.session import Session, open_session

if TYPE_CHECKING:
    from promote.engine.reconcile.leader import LeaseElector

MAX_BACKOFF_SECONDS = 300.0
WAIT_SLICE_SECONDS = 0.2  # how quickly a stop request is noticed while sleeping


@dataclass
class Backoff:
    """Doubling delays after consecutive failures, capped; one success resets it."""

    base: float
    cap: float = MAX_BACKOFF_SECONDS
    failures: int = 0

    def next_delay(self, failed: bool) -> float:
        self.failures = self.failures + 1 if failed else 0
        if not self.failures:
            return self.base
        return min(self.cap, max(self.base, 1.0) * 2 ** (self.failures - 1))


@dataclass
class EnvMemory:
    """What the loop knows about one environment since the last tick."""

    commit: str | None = None
    clean: bool = False


@dataclass
class Watcher:
    cwd: Path
    config_file: Path | None
    interval: float
    dry_run: bool = False
    timeout: float | None = None
    on_report: Callable[[ReconcileReport], None] = lambda report: None
    names: list[str] | None = None  # None: every environment with a target
    log: Callable[[str], None] = print
    stop: threading.Event = field(default_factory=threading.Event)
    memory: dict[str, EnvMemory] = field(default_factory=dict)
    elector: LeaseElector | None = None  # None: no leader election, always act
    _election_state: str = field(default="", init=False, repr=False)  # last logged about it

    def run(self) -> None:
        backoff = Backoff(self.interval, max(self.interval, MAX_BACKOFF_SECONDS))
        self.log(f"watching every {self.interval:g}s (SIGTERM or Ctrl-C stops)")
        renewer = self._start_election()
        try:
            self._loop(backoff)
        finally:
            self._end_election(renewer)
        self.log("stopped")

    def _loop(self, backoff: Backoff) -> None:
        while not self.stop.is_set():
            if self.elector is not None and not self.leading():
                self._sleep(self.elector.retry_period)
                continue
            try:
                failed = not self.tick()
            except Exception as exc:  # a tick never ends the loop: log, back off, try again
                self.log(f"error: {_describe(exc)}")
                failed = True
            delay = backoff.next_delay(failed)
            if failed:
                self.log(f"retrying in {delay:g}s")
            self._sleep(delay)

    def _start_election(self) -> threading.Thread | None:
        if self.elector is None:
            return None
        self.elector.try_acquire_or_renew()  # the first round before the first tick
        renewer = threading.Thread(
            target=self.elector.run, args=(self.stop,), daemon=True, name="promote-lease"
        )
        renewer.start()
        return renewer

    def _end_election(self, renewer: threading.Thread | None) -> None:
        if self.elector is None or renewer is None:
            return
        self.stop.set()  # also when the loop ended by an exception: the renewer must end too
        renewer.join()
        self.elector.release()

    def leading(self) -> bool:
        """Whether this replica may act now; logs each change (once, not every check)."""
        if self.elector is None:
            return True
        leader = self.elector.is_leader()
        holder = self.elector.holder or "nobody"
        state = "leader" if leader else f"waiting for leadership (held by {holder})"
        if state != self._election_state:
            if leader:
                self.memory.clear()  # another replica acted meanwhile: re-apply, do not trust
                self.log("leading: this replica reconciles")
            elif self._election_state == "leader":
                self.log(f"lost leadership; {state}")
            else:
                self.log(state)
            self._election_state = state
        return leader

    def tick(self) -> bool:
        """One pass over every targeted environment; True when everything went well.
        A replica that does not lead does nothing (and that is not a failure)."""
        if not self.leading():
            return True
        ok = self._pull()
        session = open_session(self.cwd, self.config_file)
        environments = targeted(session, self.names)
        if not environments:
            self.log("no environment has a target: nothing to do")
        with snapshot(session) as snap:
            for env in environments:
                if self.stop.is_set() or not self.leading():
                    break
                try:
                    ok = self._visit(session, env, snap) and ok
                except PromoteError as exc:
                    self.memory[env.name] = EnvMemory(snap.commit, clean=False)
                    self.log(f"{env.name}: {exc}")
                    ok = False
        return ok

    def _pull(self) -> bool:
        repo = GitRepo(find_repo_root(find_config(self.cwd, self.config_file).parent))
        if not repo.has_remote():
            return True
        try:
            repo.pull_fast_forward()
        except PromoteError as exc:
            self.log(f"pull failed (will retry): {exc}")
            return False
        return True

    def _visit(self, session: Session, env: Environment, snap: Snapshot) -> bool:
        snap = tree_of(session, env, snap)
        memory = self.memory.get(env.name, EnvMemory())
        if memory.commit == snap.commit and memory.clean:
            report = diff_env(session, env, snap)
            if report.in_sync:
                return True
            self.log(f"{env.name}: drift in {', '.join(report.drifted) or 'the target'}; reverting")
        report = reconcile_env(session, env, snap, dry_run=self.dry_run, timeout=self.timeout)
        self.on_report(report)
        clean = succeeded(report) and not self.dry_run
        self.memory[env.name] = EnvMemory(snap.commit, clean)
        return succeeded(report)

    def _sleep(self, seconds: float) -> None:
        deadline = time.monotonic() + seconds
        while not self.stop.is_set():
            left = deadline - time.monotonic()
            if left <= 0:
                return
            self.stop.wait(min(left, WAIT_SLICE_SECONDS))


def _describe(exc: BaseException) -> str:
    return str(exc) if isinstance(exc, PromoteError) else f"{type(exc).__name__}: {exc}"


def install_stop_handlers(stop: threading.Event) -> None:
    """SIGTERM (kubelet, systemd) and SIGINT (Ctrl-C) finish the current step, then stop."""

    def request_stop(signum: int, frame: object) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, request_stop)
    signal.signal(signal.SIGINT, request_stop)
