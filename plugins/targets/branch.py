"""The `branch` target: rendered manifests, one file per object, committed to a branch.

This is the rendered-manifests pattern: Flux or Argo CD sync the branch, and the source branch
keeps the overlays. The commit is built with Git plumbing on a scratch index, so the working tree,
the real index and the checked-out branch are never touched.

    target: {kind: branch, branch: rendered/prod, path: manifests}   # path is optional
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from pathlib import PurePosixPath
from typing import Any

from promote.engine.errors import ConfigError, PromoteError
from promote.engine.interfaces import (
    DiffReport,
    ObjectResult,
    ReconcileReport,
    TargetContext,
    TargetStatus,
)
from promote.engine.plugins import hookimpl
from promote.engine.reconcile.rendering import rendered_files
from promote.engine.secrets import digest, mask_secret
from promote.engine.yamlfiles.yamlio import dump_all, load_safe

OPTIONS = ("kind", "branch", "path")
ENV_TRAILER = "Promote-Rendered-Env"
SOURCE_TRAILER = "Promote-Source-Commit"


def _branch(context: TargetContext) -> str:
    return str(context.options["branch"])


def _path(options: Mapping[str, Any]) -> PurePosixPath:
    return PurePosixPath(str(options.get("path") or "."))


def _identify(name: str, content: bytes) -> ObjectResult:
    """Who a file describes, for the report (the branch may hold files we cannot parse)."""
    try:
        (obj,) = load_safe(content.decode("utf-8"), name)
        metadata = obj.get("metadata") or {}
        return ObjectResult(
            "", obj["apiVersion"], obj["kind"], metadata["name"], metadata.get("namespace")
        )
    except (PromoteError, ValueError, KeyError, TypeError, AttributeError):
        return ObjectResult("", "", "File", name)


def _result(action: str, name: str, content: bytes, detail: str = "") -> ObjectResult:
    who = _identify(name, content)
    return ObjectResult(action, who.api_version, who.kind, who.name, who.namespace, detail or name)


def _shown(name: str, content: bytes) -> str:
    """A file's text with Secret values masked; what a diff may show."""
    try:
        documents = load_safe(content.decode("utf-8"), name)
    except (PromoteError, UnicodeDecodeError):
        return f"# unparseable file ({len(content)} bytes, {digest(content)})\n"
    return dump_all([mask_secret(d) if isinstance(d, dict) else d for d in documents])


class BranchTarget:
    def check_options(self, options: Mapping[str, Any]) -> str | None:
        unknown = sorted(set(options) - set(OPTIONS))
        if unknown:
            return f"unknown option {unknown[0]!r} (allowed: {', '.join(OPTIONS)})"
        branch = options.get("branch")
        if not isinstance(branch, str) or not branch.strip():
            return "`branch:` is required, e.g. {kind: branch, branch: rendered/prod}"
        if branch.startswith(("-", "/", "refs/")) or any(t in branch for t in ("..", " ", "@{")):
            return f"`branch: {branch}` is not a valid branch name (give it without refs/heads/)"
        path = options.get("path", ".")
        if not isinstance(path, str) or path.startswith("/") or ".." in PurePosixPath(path).parts:
            return f"`path: {path}` must be a relative path inside the branch"
        return None

    def _current(self, context: TargetContext) -> tuple[str | None, dict[str, bytes]]:
        branch = _branch(context)
        if not context.repo.is_valid_branch_name(branch):
            raise ConfigError(f"target branch {branch!r} is not a valid branch name")
        head = context.repo.branch_head(branch)
        files = context.repo.tree_files(head, _path(context.options)) if head else {}
        return head, files

    def apply(self, context: TargetContext) -> ReconcileReport:
        desired = rendered_files(context.objects)
        _, current = self._current(context)
        report = ReconcileReport(context.env.name, context.commit, dry_run=context.dry_run)
        for name, content in desired.items():
            if name not in current:
                action = "created"
            else:
                action = "unchanged" if current[name] == content else "configured"
            report.results.append(_result(action, name, content))
        for name in sorted(set(current) - set(desired)):
            report.results.append(_result("pruned", name, current[name]))
        if context.dry_run:
            report.messages.append(f"dry run: nothing committed to {_branch(context)}")
            return report
        commit = context.repo.commit_to_branch(
            _branch(context), _path(context.options), desired, self._message(context)
        )
        if commit is None:
            report.messages.append(f"{_branch(context)} already holds this rendering")
        else:
            report.messages.append(f"committed {commit[:12]} to {_branch(context)}")
        return report

    def _message(self, context: TargetContext) -> str:
        env, commit = context.env.name, context.commit
        subject = context.repo.commit_info(commit).subject
        return (
            f"render({env}): {commit[:12]}\n\n"
            f"Rendered manifests of {env} at {commit} ({subject}).\n\n"
            f"{ENV_TRAILER}: {env}\n{SOURCE_TRAILER}: {commit}\n"
        )

    def diff(self, context: TargetContext) -> DiffReport:
        desired = rendered_files(context.objects)
        _, current = self._current(context)
        branch, lines, drifted = _branch(context), [], []
        for name in sorted(set(desired) | set(current)):
            old, new = current.get(name), desired.get(name)
            if old == new:
                continue
            who = _identify(name, new if new is not None else old or b"")
            drifted.append(f"{who.kind}/{who.namespace or ''}/{who.name}")
            before = _shown(name, old).splitlines(keepends=True) if old is not None else []
            after = _shown(name, new).splitlines(keepends=True) if new is not None else []
            chunk = list(
                difflib.unified_diff(
                    before,
                    after,
                    f"{branch}/{name}" if old is not None else "/dev/null",
                    f"rendered/{name}" if new is not None else "/dev/null",
                )
            )
            lines += chunk or [f"# {name}: differs only in formatting or hidden values\n"]
        return DiffReport(context.env.name, not drifted, "".join(lines), drifted)

    def status(self, context: TargetContext) -> TargetStatus:
        head, current = self._current(context)
        if head is None:
            return TargetStatus(None, True, f"branch {_branch(context)} does not exist yet")
        applied = context.repo.commit_info(head).trailer(SOURCE_TRAILER)
        drifted = current != rendered_files(context.objects)
        return TargetStatus(applied, drifted, f"{_branch(context)} at {head[:12]}")


@hookimpl
def promote_register_targets(register) -> None:
    register("branch", BranchTarget())
