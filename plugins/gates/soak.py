"""`- soak: 30m`: the versions being promoted have run in SRC at least this long.

The clock starts at the date of the commit that made SRC run each version (the earlier of its
author and committer dates: the one `git log` shows, which `git commit --date` sets), found from
Git alone (`engine.versions.provenance`); the youngest artifact of the plan decides.
"""

from __future__ import annotations

from typing import Any

from promote.engine.config.durations import format_duration, parse_duration
from promote.engine.interfaces import GateContext
from promote.engine.model import Outcome, Verdict
from promote.engine.plugins import hookimpl

NAME = "soak"


class Soak:
    def check_options(self, options: Any) -> str | None:
        try:
            parse_duration(options)
        except ValueError as exc:
            return str(exc)
        return None

    def evaluate(self, context: GateContext, options: Any) -> Verdict:
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
