"""`- soak: 30m`: the versions being promoted have run in SRC at least this long.

The clock starts at the date of the commit that made SRC run each version (the earlier of its
author and committer dates: the one `git log` shows, which `git commit --date` sets), found from
Git alone (`engine.versions.provenance`); the youngest artifact of the plan decides.

`- soak: {duration: 30m, from: healthy}` (or `- soak: 30m` with `from: healthy` beside it)
starts the clock instead when SRC's agent first reported the commit being promoted healthy:
the Ready condition's lastTransitionTime (Flux), the deployment or health transition of the
revision (Argo CD), the time promote's target recorded applying it (plugins.gates.agent_state).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from promote.engine.config.durations import format_duration, parse_duration
from promote.engine.interfaces import GateContext
from promote.engine.model import Environment, Outcome, Verdict
from promote.engine.plugins import hookimpl
from promote.plugins.gates.agent_state import missing_agents, src_health

NAME = "soak"


FROM_KEYS = ("commit", "healthy")


def _settings(options: Any) -> tuple[Any, str]:
    """(the duration as written, where the clock starts) from any of the three forms."""
    if not isinstance(options, dict):
        return options, "commit"
    unknown = sorted(set(options) - {"duration", "from", NAME})
    if unknown:
        raise ValueError(f"unknown option {unknown[0]!r} (allowed: duration, from)")
    start = options.get("from", "commit")
    if start not in FROM_KEYS:
        raise ValueError(f"from: {start!r} is not one of {', '.join(FROM_KEYS)}")
    return options.get("duration", options.get(NAME)), start


class Soak:
    def check_options(self, options: Any) -> str | None:
        try:
            written, _start = _settings(options)
            parse_duration(written)
        except ValueError as exc:
            return str(exc)
        return None

    def check_placement(
        self, options: Any, env: Environment, environments: Mapping[str, Environment]
    ) -> str | None:
        if _settings(options)[1] != "healthy":
            return None
        return missing_agents(env, environments)

    def evaluate(self, context: GateContext, options: Any) -> Verdict:
        written, start = _settings(options)
        if start == "healthy":
            return _since_healthy(context, written)
        return _since_commit(context, written)


def _since_healthy(context: GateContext, written: Any) -> Verdict:
    required = parse_duration(written)
    health = src_health(context)
    src = context.src.name
    if health.state != "healthy":
        outcome = Outcome.PENDING if health.state == "waiting" else Outcome.FAILED
        return Verdict(NAME, outcome, f"{src} is not healthy yet, needs {written}: {health.reason}")
    observation = health.observation
    if context.src.name == context.dst.name:  # a rollback: see agent_state.src_health
        return Verdict(NAME, Outcome.PASSED, health.reason)
    if observation is None or observation.since is None:
        return Verdict(NAME, Outcome.PENDING, f"{health.reason}: no time recorded to count from")
    age = context.now - observation.since
    shown = f"{format_duration(age)} healthy in {src}"
    if age >= required:
        return Verdict(NAME, Outcome.PASSED, f"{shown} >= {written} ({health.reason})")
    wait = format_duration(required - age)
    return Verdict(
        NAME, Outcome.PENDING, f"{shown} < {written} ({health.reason}; passes in {wait})"
    )


def _since_commit(context: GateContext, options: Any) -> Verdict:
    from promote.engine.versions.provenance import pinned_since

    required = parse_duration(options)
    if context.plugins is None:
        raise RuntimeError("the soak gate needs the loaded plugins in its context")
    wanted = {c.ref: c.new for c in context.plan.changes}
    repo, tip, root = context.where(context.src.name)
    since = pinned_since(
        context.plugins,
        repo,
        context.src,
        wanted,
        tip=tip,
        root=root,
        current=context.src_versions,
    )
    src = context.src.name
    missing = [s for s in since.values() if s.commit is None]
    if missing:
        first = missing[0]
        return Verdict(
            NAME,
            Outcome.PENDING,
            f"{first.ref.name} {first.version} is not committed in {src} yet (needs {options})",
        )
    dated = [(s.commit, s) for s in since.values() if s.commit is not None]
    commit, youngest = max(dated, key=lambda pair: pair[0].earliest)
    age = context.now - commit.earliest
    shown = f"{format_duration(age)} in {src}"
    where = f"{youngest.ref.name} {youngest.version} since {commit.sha[:12]}"
    if age >= required:
        return Verdict(NAME, Outcome.PASSED, f"{shown} >= {options} ({where})")
    wait = format_duration(required - age)
    return Verdict(NAME, Outcome.PENDING, f"{shown} < {options} ({where}; passes in {wait})")


@hookimpl
def promote_register_gates(register) -> None:
    register(NAME, Soak())
