"""Find, load and validate the graph file. Every error names file:line:column."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path, PurePosixPath
from typing import Any

from promote.engine.config import validated
from promote.engine.config.agents import parse_agent, parse_cluster
from promote.engine.config.durations import parse_seconds
from promote.engine.errors import ConfigError, Location, UsageError
from promote.engine.model import NOTIFY_EVENTS, Environment, GateSpec, WebhookSpec
from promote.engine.yamlfiles.envfiles import KUSTOMIZATION_NAMES
from promote.engine.yamlfiles.yamlio import (
    CommentedMap,
    dump_json_compatible,
    load_round_trip,
    read_text,
)

DEFAULT_CONFIG = PurePosixPath("environments/graph.yaml")
DEFAULT_PUSH_ATTEMPTS = 5
# The renderer of an environment on another branch or repository that names none: kustomize
# when its directory holds a kustomization, else plain (engine.versions.state decides).
AUTO_RENDERER = "auto"
DEFAULT_WEBHOOK_TIMEOUT = "5s"


@dataclass(frozen=True)
class GraphConfig:
    file: Path
    repo_root: Path
    environments: dict[str, Environment]
    push_attempts: int = DEFAULT_PUSH_ATTEMPTS
    scm: dict[str, Any] | None = None  # the `scm:` mapping: where pull requests are opened
    scm_location: Location | None = None


def find_config(start: Path, explicit: Path | None = None) -> Path:
    """`--config` if given, else environments/graph.yaml found walking up like git finds .git."""
    if explicit is not None:
        if not explicit.is_file():
            raise UsageError(f"config file not found: {explicit}")
        return explicit.resolve()
    for directory in (start.resolve(), *start.resolve().parents):
        candidate = directory / DEFAULT_CONFIG
        if candidate.is_file():
            return candidate
    raise UsageError(
        f"no {DEFAULT_CONFIG} in {start} or any parent directory: run `promote init DIR` "
        "to create a repository from the example, or name the file with --config"
    )


def find_repo_root(path: Path) -> Path:
    for directory in (path, *path.parents):
        if (directory / ".git").exists():
            return directory
    raise UsageError(f"{path} is not inside a Git repository")


def schema_text() -> str:
    """The JSON Schema of the graph file, as shipped in the package."""
    return resources.files("promote.engine").joinpath("schema/graph.schema.json").read_text("utf-8")


@cache
def graph_schema() -> dict[str, Any]:
    return json.loads(schema_text())


def load_config(file: Path) -> GraphConfig:
    """Parse and schema-check the graph file. Plugin-dependent checks live in `validate`."""
    repo_root = find_repo_root(file.parent)
    shown = _shown(file, repo_root)
    text = read_text(file, shown)
    documents = load_round_trip(text, shown)
    if len(documents) != 1 or not isinstance(documents[0], CommentedMap):
        raise ConfigError(
            "expected one YAML mapping with an `environments:` key", location=Location(shown)
        )
    root = documents[0]
    key = validated.schema_key(schema_text(), text)
    if not validated.passed_before(repo_root, key):
        _check_schema(root, shown)
        validated.remember_passed(repo_root, key)
    environments = {
        name: _environment(name, node, root["environments"], shown, repo_root)
        for name, node in root["environments"].items()
    }
    push = root.get("push") or {}
    attempts = int(push.get("attempts", DEFAULT_PUSH_ATTEMPTS))
    if "scm" not in root:
        return GraphConfig(file, repo_root, environments, attempts)
    scm = dump_json_compatible(root["scm"])
    return GraphConfig(
        file, repo_root, environments, attempts, scm, _locate(root, ["scm", "provider"], shown)
    )


def reserved_names() -> frozenset[str]:
    """Names `promote SRC DST` would read as a command: the commands the CLI registers."""
    from promote.engine.cli.app import command_names  # lazy: the CLI imports this module

    return command_names()


def _shown(file: Path, repo_root: Path) -> str:
    try:
        return file.resolve().relative_to(repo_root.resolve()).as_posix()
    except ValueError:
        return str(file)


def _check_schema(root: CommentedMap, shown: str) -> None:
    # Heavy (0.1 s and ~100 modules): only imported when this text was not checked before.
    from jsonschema import Draft202012Validator

    validator = Draft202012Validator(graph_schema())
    errors = sorted(validator.iter_errors(dump_json_compatible(root)), key=lambda e: e.path)
    if not errors:
        return
    error = errors[0]
    node_path = list(error.absolute_path)
    message = _schema_message(error)
    if error.validator == "additionalProperties" and isinstance(error.instance, dict):
        allowed = set(error.schema.get("properties", {}))
        unknown = sorted(set(error.instance) - allowed)
        if unknown:
            message = f"unknown key {unknown[0]!r} (allowed: {', '.join(sorted(allowed))})"
            node_path.append(unknown[0])
    raise ConfigError(message, location=_locate(root, node_path, shown))


def _schema_message(error: Any) -> str:
    where = ".".join(str(p) for p in error.absolute_path)
    if error.validator == "required":
        return f"{where or 'file'}: {error.message}"
    return f"{where}: {error.message}" if where else error.message


def _locate(root: Any, node_path: list[Any], shown: str) -> Location:
    """The line/column of the deepest node on `node_path` that has position marks."""
    node, line, column = root, 0, 0
    for step in node_path:
        try:
            if isinstance(node, CommentedMap):
                line, column = node.lc.key(step)
            else:
                line, column = node.lc.item(step)
            node = node[step]
        except (KeyError, IndexError, TypeError, AttributeError):
            break
    return Location(shown, line + 1, column + 1)


def _environment(
    name: str, node: CommentedMap, parent: CommentedMap, shown: str, repo_root: Path
) -> Environment:
    location = _locate(parent, [name], shown)
    if name in reserved_names():
        raise ConfigError(
            f"environment name {name!r} collides with the command `promote {name}`",
            location=location,
        )
    elsewhere = "branch" in node or "repo" in node
    path = _tree_path(node, shown) if elsewhere else _env_path(node, shown, repo_root)
    upstreams = node.get("from", [])
    upstreams = (upstreams,) if isinstance(upstreams, str) else tuple(upstreams)
    # Another tree's files are only read once it is fetched: its renderer is chosen then.
    renderer = AUTO_RENDERER if elsewhere else default_renderer(repo_root / path)
    gates = _gates(node, shown)
    cluster = parse_cluster(node)
    return Environment(
        name=name,
        path=path,
        upstreams=upstreams,
        renderer=node.get("renderer") or renderer,
        gates=gates,
        rollback_skips=_rollback_skips(node, gates, shown),
        notify=_notify(node, shown),
        cluster=cluster,
        agent=parse_agent(node, cluster, lambda steps: _locate(node, steps, shown)),
        verify=_gates(node, shown, "verify"),
        target=dump_json_compatible(node["target"]) if "target" in node else None,
        labels=dict(node.get("labels", {})),
        allow_force=bool(node.get("allow_force", True)),
        location=location,
        branch=str(node["branch"]) if "branch" in node else None,
        repo=str(node["repo"]) if "repo" in node else None,
        key_locations={key: _locate(node, [key], shown) for key in ("path", "branch", "repo")},
    )


def _tree_path(node: CommentedMap, shown: str) -> PurePosixPath:
    """`path` inside another branch or repository: checked once that tree is read
    (engine.repository.places); here only that it cannot name anything outside it."""
    raw = str(node["path"])
    path = PurePosixPath(raw)
    if os.path.isabs(raw) or ".." in path.parts or (path.parts and path.parts[0] == ".git"):
        raise ConfigError(
            f"path {raw!r} must be a directory inside the environment's tree",
            location=_locate(node, ["path"], shown),
        )
    return path


def _env_path(node: CommentedMap, shown: str, repo_root: Path) -> PurePosixPath:
    raw = str(node["path"])
    location = _locate(node, ["path"], shown)
    candidate = (repo_root / raw).resolve()
    root = repo_root.resolve()
    if os.path.isabs(raw) or not candidate.is_relative_to(root):
        raise ConfigError(f"path {raw!r} is outside the repository", location=location)
    if not candidate.is_dir():
        raise ConfigError(f"path {raw!r} does not exist or is not a directory", location=location)
    relative = candidate.relative_to(root)
    if relative == Path(".") or relative.parts[0] == ".git":
        raise ConfigError(
            f"path {raw!r} must be a directory inside the repository", location=location
        )
    return PurePosixPath(relative.as_posix())


def default_renderer(directory: Path) -> str:
    """kustomize for a directory holding a kustomization, else plain manifests."""
    kustomized = any((directory / name).is_file() for name in KUSTOMIZATION_NAMES)
    return "kustomize" if kustomized else "plain"


def _rollback_skips(node: CommentedMap, gates: tuple[GateSpec, ...], shown: str) -> tuple[str, ...]:
    """`rollback_skips: [soak, window]`: names of this environment's own gates (a name it does
    not configure is a typo that would leave a gate in force during an incident)."""
    skips = tuple(str(name) for name in node.get("rollback_skips", []))
    configured = [spec.name for spec in gates]
    for index, name in enumerate(skips):
        if name not in configured:
            raise ConfigError(
                f"rollback_skips: {name!r} is not one of this environment's gates "
                f"({', '.join(configured) or 'it has none'})",
                location=_locate(node, ["rollback_skips", index], shown),
            )
    return skips


def _notify(node: CommentedMap, shown: str) -> tuple[WebhookSpec, ...]:
    """`notify: [{webhook: URL, events: [...], timeout: 5s}]`; the schema checked the types."""
    specs = []
    for index, entry in enumerate(node.get("notify", [])):
        location = _locate(node, ["notify", index], shown)
        if ("webhook" in entry) == ("url_env" in entry):
            raise ConfigError(
                "notify: give either `webhook: URL` or `url_env: VARIABLE`", location=location
            )
        try:
            timeout = parse_seconds(entry.get("timeout", DEFAULT_WEBHOOK_TIMEOUT))
        except ValueError as exc:
            raise ConfigError(
                f"notify: timeout {exc}",
                location=_locate(node, ["notify", index, "timeout"], shown),
            ) from None
        events = tuple(str(event) for event in entry.get("events", NOTIFY_EVENTS))
        url, url_env = entry.get("webhook"), entry.get("url_env")
        specs.append(WebhookSpec(url, url_env, events, timeout, location))
    return tuple(specs)


def _gates(node: CommentedMap, shown: str, key: str = "gates") -> tuple[GateSpec, ...]:
    gates = node.get(key, [])
    specs = []
    for index, entry in enumerate(gates):
        gate_name, options = next(iter(entry.items()))
        if len(entry) > 1:
            # `- command: [...]` followed by `  timeout: 30s`: the first key names the gate and
            # the gate gets the whole entry, so its settings can sit beside its main value.
            options = entry
        location = _locate(gates, [index], shown)
        specs.append(GateSpec(str(gate_name), dump_json_compatible(options), location))
    return tuple(specs)
