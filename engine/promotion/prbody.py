"""The body of a promotion pull request: the plan, the gate verdicts and DST's rendered diff.

Reviewers approve what the cluster will run, so the diff is of DST's rendered Kubernetes objects
(before → after the promotion commit), with Secret values shown as digests like every output.
"""

from __future__ import annotations

import difflib
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from promote.engine.model import Environment, Plan, Verdict
from promote.engine.reconcile.rendering import object_file_name
from promote.engine.secrets import mask_secret
from promote.engine.session import Session
from promote.engine.versions.state import render_objects
from promote.engine.yamlfiles.yamlio import dump_all

# GitHub refuses bodies over 65536 characters; the diff is cut well before that.
MAX_DIFF_CHARACTERS = 40_000


def pull_request_body(
    plan: Plan, verdicts: Sequence[Verdict], promotion_id: str, rendered_diff: str
) -> str:
    lines = [
        f"Promote **{plan.dst}** to the versions **{plan.src}** runs at "
        f"`{plan.source_commit[:12]}` (Promote-Id `{promotion_id}`).",
        "",
        "### Plan",
        "",
        f"| kind | artifact | {_cell(plan.dst)} | → | files |",
        "|---|---|---|---|---|",
        *(
            f"| {c.ref.kind} | {_cell(c.ref.name)} | {_cell(c.old or '')} | **{_cell(c.new)}** "
            f"| {_cell(', '.join(c.files))} |"
            for c in plan.changes
        ),
        "",
        "### Gates",
        "",
        *_gate_lines(verdicts),
        "",
        f"### Rendered diff of {plan.dst}",
        "",
        "```diff",
        _cut(rendered_diff) or "(the rendered objects do not change)",
        "```",
        "",
        "Merge with `promote pr merge` once reviews and checks are green: it evaluates the gates "
        "again against this pull request's head.",
    ]
    return "\n".join(lines) + "\n"


def _gate_lines(verdicts: Sequence[Verdict]) -> list[str]:
    if not verdicts:
        return ["No gates are configured."]
    return [
        "| gate | verdict | reason |",
        "|---|---|---|",
        *(f"| {v.gate} | {v.outcome.value} | {_cell(v.reason)} |" for v in verdicts),
    ]


def _cell(text: str) -> str:
    """Table cells are one line, and a `|` in a reason must not end the cell."""
    return " ".join(text.split()).replace("|", "\\|")


def _cut(diff: str) -> str:
    if len(diff) <= MAX_DIFF_CHARACTERS:
        return diff.rstrip("\n")
    kept = diff[:MAX_DIFF_CHARACTERS].rsplit("\n", 1)[0]
    return f"{kept}\n# … cut: run `promote render` on the branch for the whole rendering"


def rendered_diff(
    session: Session, dst: Environment, before: list[dict[str, Any]], commit: str
) -> str:
    """Unified diff of DST's objects `before` → as rendered from `commit`, Secrets masked."""
    with tempfile.TemporaryDirectory(prefix="promote-pr-") as scratch:
        session.repo.export(commit, Path(scratch))
        after = render_objects(session.plugins, Path(scratch), dst)
    old, new = _by_file(before), _by_file(after)
    chunks = []
    for name in sorted(set(old) | set(new)):
        if old.get(name) == new.get(name):
            continue
        chunks += difflib.unified_diff(
            old.get(name, "").splitlines(keepends=True),
            new.get(name, "").splitlines(keepends=True),
            f"a/{name}" if name in old else "/dev/null",
            f"b/{name}" if name in new else "/dev/null",
        )
    return "".join(chunks)


def _by_file(objects: list[dict[str, Any]]) -> dict[str, str]:
    return {object_file_name(obj): dump_all([mask_secret(obj)]) for obj in objects}
