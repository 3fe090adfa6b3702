"""`- upstreams: all`: for fan-in, every upstream of DST already runs the versions promoted.

Each upstream is read as committed at the tip of its branch (HEAD for the working tree: Git is
the truth, not a dirty working tree), in its own repository. An
upstream that does not use an artifact at all is not waited for. A lagging upstream is `pending`.
"""

from __future__ import annotations

from typing import Any

from promote.engine.interfaces import GateContext
from promote.engine.model import Outcome, Verdict
from promote.engine.plugins import hookimpl

NAME = "upstreams"


class Upstreams:
    def check_options(self, options: Any) -> str | None:
        if options != "all":
            return f"expected `upstreams: all`, got {options!r}"
        return None

    def evaluate(self, context: GateContext, options: Any) -> Verdict:
        from promote.engine.versions.provenance import environment_inputs, versions_at

        if context.plugins is None:
            raise RuntimeError("the upstreams gate needs the loaded plugins in its context")
        lagging = []
        upstreams = context.dst.upstreams
        # SRC runs the plan's new versions by construction (that is what the plan is made of),
        # so only the other upstreams need rendering: fan-in without the cost on a single line.
        for name in (n for n in upstreams if n != context.src.name):
            env = context.environments[name]
            repo, tip, root = context.where(name)
            runs = versions_at(context.plugins, repo, env, tip, environment_inputs(root, env))
            for change in context.plan.changes:
                version = runs.get(change.ref)
                if version is not None and version != change.new:
                    lagging.append(f"{name} runs {change.ref.name} {version}, not {change.new}")
        if lagging:
            return Verdict(NAME, Outcome.PENDING, "; ".join(lagging))
        names = ", ".join(upstreams)
        return Verdict(NAME, Outcome.PASSED, f"every upstream ({names}) runs these versions")


@hookimpl
def promote_register_gates(register) -> None:
    register(NAME, Upstreams())
