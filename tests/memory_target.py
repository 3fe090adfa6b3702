"""A test-only target plugin that "applies" into a dict, to test the generic reconcile code.

Enable it with the `memory_target` fixture (it adds this module to DEFAULT_PLUGINS, so the CLI
loads it exactly like a built-in). `target: {kind: memory, fail: apply|diff|status}` makes the
named operation raise.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from promote.engine.interfaces import (
    DiffReport,
    ObjectResult,
    ReconcileReport,
    TargetContext,
    TargetStatus,
)
from promote.engine.plugins import hookimpl

# env name → {"objects": {key: obj}, "commit": sha}; reset by the fixture
STORE: dict[str, dict[str, Any]] = {}
CALLS: list[tuple[str, str, bool]] = []  # (operation, env, dry_run)
RECONCILED: list[tuple[str, Any]] = []  # what promote_reconciled observed


def _key(obj: Mapping[str, Any]) -> str:
    meta = obj.get("metadata") or {}
    return f"{obj['kind']}/{meta.get('namespace') or ''}/{meta['name']}"


class MemoryTarget:
    def check_options(self, options: Mapping[str, Any]) -> str | None:
        fail = options.get("fail")
        return None if fail in (None, "apply", "diff", "status") else f"bad fail: {fail}"

    def _maybe_fail(self, context: TargetContext, operation: str) -> None:
        CALLS.append((operation, context.env.name, context.dry_run))
        if context.options.get("fail") == operation:
            raise RuntimeError(f"memory target refuses to {operation}")

    def apply(self, context: TargetContext) -> ReconcileReport:
        self._maybe_fail(context, "apply")
        held = STORE.get(context.env.name, {"objects": {}})["objects"]
        desired = {_key(o): o for o in context.objects}
        report = ReconcileReport(context.env.name, context.commit, dry_run=context.dry_run)
        for key, obj in desired.items():
            action = "created" if key not in held else "unchanged"
            if key in held and held[key] != obj:
                action = "configured"
            report.results.append(_result(action, obj))
        report.results += [_result("pruned", held[k]) for k in held if k not in desired]
        if not context.dry_run:
            STORE[context.env.name] = {"objects": desired, "commit": context.commit}
        return report

    def diff(self, context: TargetContext) -> DiffReport:
        self._maybe_fail(context, "diff")
        held = STORE.get(context.env.name, {"objects": {}})["objects"]
        desired = {_key(o): o for o in context.objects}
        drifted = sorted(k for k in held.keys() | desired.keys() if held.get(k) != desired.get(k))
        return DiffReport(
            context.env.name, not drifted, "".join(f"~ {k}\n" for k in drifted), drifted
        )

    def status(self, context: TargetContext) -> TargetStatus:
        self._maybe_fail(context, "status")
        held = STORE.get(context.env.name)
        if held is None:
            return TargetStatus(None, True)
        return TargetStatus(held["commit"], not self.diff(context).in_sync)


def _result(action: str, obj: Mapping[str, Any]) -> ObjectResult:
    meta = obj.get("metadata") or {}
    return ObjectResult(action, obj["apiVersion"], obj["kind"], meta["name"], meta.get("namespace"))


@hookimpl
def promote_register_targets(register) -> None:
    register("memory", MemoryTarget())


@hookimpl
def promote_reconciled(environment: str, report: Any) -> None:
    RECONCILED.append((environment, report))
