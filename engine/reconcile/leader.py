"""Leader election through a `coordination.k8s.io/v1` Lease, with client-go's semantics.

Several replicas of `promote reconcile --watch --leader-elect` compete for one Lease; the one
named in `spec.holderIdentity` reconciles, the others wait. Every write is a compare-and-swap on
`metadata.resourceVersion`, so of two replicas racing for a free Lease exactly one wins (the
other gets 409 Conflict and stays a follower).

Two clocks never meet: a follower decides that a Lease expired by *its own* clock, counting from
when it first saw the current record (not from the holder's `renewTime`, written by another
node's clock); the leader stops leading `renew_deadline` after its last successful renewal by
its own clock, which is shorter than the lease duration. So however far apart two nodes' wall
clocks are, the old leader has stopped before a follower may take over.

Only imported with `--leader-elect` (it imports `engine.reconcile.kube`, hence `kubernetes`).
"""

from __future__ import annotations

import os
import random
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from promote.engine.errors import ConfigError
from promote.engine.reconcile.kube import KubeClient, KubeError, ResourceInfo

LEASE = ResourceInfo("coordination.k8s.io/v1", "Lease", "leases", namespaced=True)
DEFAULT_LEASE_NAME = "promote"
# client-go's defaults (15s / 10s / 2s), scaled together when the duration is changed: the
# leader gets ~4 renewal attempts before it gives up, and 5s pass between the leader giving up
# and a follower being allowed to take over, for the step in flight and for clock rate drift.
DEFAULT_LEASE_DURATION = 15.0
RENEW_DEADLINE_RATIO = 10 / 15
RETRY_PERIOD_RATIO = 2 / 15
FIELD_MANAGER = "promote-leader-election"

Clock = Callable[[], float]  # seconds since the epoch


def steady_clock() -> Clock:
    """Wall time at start, advanced by the monotonic clock: the timestamps written into the
    Lease look like real ones, and expiry is immune to the wall clock being stepped (NTP)."""
    wall, steady = time.time(), time.monotonic()
    return lambda: wall + (time.monotonic() - steady)


def default_identity() -> str:
    """The Pod's name when the Downward API gives it (POD_NAME), else hostname_pid."""
    return os.environ.get("POD_NAME") or f"{socket.gethostname()}_{os.getpid()}"


def micro_time(seconds: float) -> str:
    """RFC 3339 with microseconds: the wire format of `metav1.MicroTime`."""
    return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


@dataclass(frozen=True)
class Observation:
    """The Lease as last read, and when (by our clock) that record first appeared to us."""

    resource_version: str
    holder: str
    duration: float
    seen_at: float


class LeaseElector:
    """One candidate. `try_acquire_or_renew()` is one round; `run(stop)` repeats it every
    `retry_period` (from a thread, so that renewal does not depend on how long a tick takes);
    `is_leader()` may be asked from any thread; `release()` hands the Lease over on a clean stop.
    """

    def __init__(
        self,
        client: KubeClient,
        *,
        name: str = DEFAULT_LEASE_NAME,
        namespace: str | None = None,
        identity: str | None = None,
        duration: float = DEFAULT_LEASE_DURATION,
        renew_deadline: float | None = None,
        retry_period: float | None = None,
        clock: Clock | None = None,
        log: Callable[[str], None] = print,
    ) -> None:
        self.client = client
        self.name = name
        self.namespace = namespace or client.default_namespace
        self.identity = identity or default_identity()
        self.duration = duration
        self.renew_deadline = renew_deadline or duration * RENEW_DEADLINE_RATIO
        self.retry_period = retry_period or duration * RETRY_PERIOD_RATIO
        if not 0 < self.retry_period < self.renew_deadline < self.duration:
            raise ConfigError("leader election needs retry period < renew deadline < duration")
        self.clock = clock or steady_clock()
        self.log = log
        self._lock = threading.Lock()
        self._renewed_at: float | None = None  # our last successful write, by our clock
        self._observed: Observation | None = None
        self._last_error: str | None = None

    @property
    def lease(self) -> str:
        return f"{self.namespace}/{self.name}"

    @property
    def holder(self) -> str | None:
        """Who held the Lease when we last read it (None: nobody, or not read yet)."""
        with self._lock:
            return (self._observed.holder or None) if self._observed else None

    def is_leader(self) -> bool:
        """True until `renew_deadline` after our last successful acquire or renewal."""
        with self._lock:
            renewed = self._renewed_at
        return renewed is not None and self.clock() < renewed + self.renew_deadline

    def try_acquire_or_renew(self) -> bool:
        """One round: read the Lease, take it if free or expired, renew it if ours. API errors
        are logged and leave leadership to expire on its own (we keep trying until then)."""
        try:
            self._round(self.clock())
        except KubeError as err:
            self._report(f"leader election: {err}")
        return self.is_leader()

    def run(self, stop: threading.Event) -> None:
        """Rounds every `retry_period` until `stop` is set (the caller did the first round).
        Followers add jitter so that several of them do not poll in lockstep."""
        while not stop.is_set():
            jitter = 0.0 if self.is_leader() else random.uniform(0, 0.2) * self.retry_period
            if stop.wait(self.retry_period + jitter):
                return
            try:
                self.try_acquire_or_renew()
            except Exception as exc:  # a dead renewer would leave followers waiting forever
                self._report(f"leader election: {type(exc).__name__}: {exc}")

    def release(self) -> None:
        """Give the Lease up if we hold it, so a follower takes over at once instead of
        after the lease duration. Best effort: a failure only means the successor waits."""
        with self._lock:
            self._renewed_at = None
        try:
            lease = self.client.get(LEASE, self.name, self.namespace)
            if lease is None or (lease.get("spec") or {}).get("holderIdentity") != self.identity:
                return
            now = self.clock()
            spec = {
                **lease["spec"],
                "holderIdentity": "",
                "leaseDurationSeconds": 1,
                "acquireTime": micro_time(now),
                "renewTime": micro_time(now),
            }
            self.client.replace(LEASE, {**lease, "spec": spec}, field_manager=FIELD_MANAGER)
            self.log(f"released the lease {self.lease}")
        except KubeError as err:  # 409: someone took it meanwhile, which is what we wanted
            if err.status != 409:
                self.log(f"could not release the lease {self.lease}: {err}")

    def _round(self, now: float) -> None:
        lease = self.client.get(LEASE, self.name, self.namespace)
        if lease is None:
            self._write(self.client.create, self._new_lease(now), now)
            return
        spec = lease.get("spec") or {}
        holder = spec.get("holderIdentity") or ""
        observed = self._observe(lease, now)
        if holder != self.identity:
            with self._lock:
                self._renewed_at = None  # someone else holds (or held) it: we are not leading
            if holder and now < observed.seen_at + observed.duration:
                return
        self._write(self.client.replace, {**lease, "spec": self._claim(spec, now)}, now)

    def _write(self, send: Callable[..., dict[str, Any]], body: dict[str, Any], now: float) -> None:
        try:
            written = send(LEASE, body, field_manager=FIELD_MANAGER)
        except KubeError as err:
            if err.status != 409:
                raise
            with self._lock:  # another candidate wrote first: it won, we follow
                self._renewed_at = None
            return
        with self._lock:
            leading_before = self._renewed_at is not None and now < (
                self._renewed_at + self.renew_deadline
            )
            self._renewed_at = now
        self._observe(written, now)
        self._last_error = None
        if not leading_before:
            self.log(f"became leader: {self.identity} holds the lease {self.lease}")

    def _new_lease(self, now: float) -> dict[str, Any]:
        return {
            "apiVersion": LEASE.api_version,
            "kind": LEASE.kind,
            "metadata": {"name": self.name, "namespace": self.namespace},
            "spec": self._claim({"leaseTransitions": 0}, now, transition=False),
        }

    def _claim(self, spec: dict[str, Any], now: float, transition: bool = True) -> dict[str, Any]:
        """The spec with us as holder: a renewal keeps acquireTime, a takeover counts one more
        transition (a released Lease has an empty holder, so taking it is a transition too)."""
        ours = spec.get("holderIdentity") == self.identity
        claimed = {
            **spec,
            "holderIdentity": self.identity,
            "leaseDurationSeconds": max(1, round(self.duration)),
            "renewTime": micro_time(now),
        }
        if not ours or not spec.get("acquireTime"):
            claimed["acquireTime"] = micro_time(now)
        if not ours and transition:
            claimed["leaseTransitions"] = int(spec.get("leaseTransitions") or 0) + 1
        return claimed

    def _observe(self, lease: dict[str, Any], now: float) -> Observation:
        """Remember the record; its expiry counts from when we first saw this version of it."""
        spec = lease.get("spec") or {}
        version = (lease.get("metadata") or {}).get("resourceVersion", "")
        with self._lock:
            previous = self._observed
            fresh = previous is None or previous.resource_version != version
            self._observed = Observation(
                version,
                spec.get("holderIdentity") or "",
                float(spec.get("leaseDurationSeconds") or self.duration),
                now if fresh or previous is None else previous.seen_at,
            )
            return self._observed

    def _report(self, message: str) -> None:
        if message != self._last_error:  # once per distinct error, not every retry period
            self.log(message)
        self._last_error = message
