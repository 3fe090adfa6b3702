"""Maps HTTP method + path onto discovery documents and verb operations."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import yaml

from .discovery import SERVER_VERSION, Registry, ResourceType
from .errors import ApiError
from .operations import APPLY_PATCH, JSON_PATCH, MERGE_TYPES, Operations, WriteOptions

_PROPAGATION = {"Orphan", "Background", "Foreground"}


class _Loader(yaml.SafeLoader):
    """Like the API server's YAML decoding: timestamps stay strings (JSON has no dates)."""


_Loader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, str]
    content_type: str
    body: bytes = b""
    user_agent: str = ""
    dry_run_values: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Target:
    rt: ResourceType
    namespace: str | None
    name: str | None
    subresource: str | None


def _missing() -> ApiError:
    return ApiError(404, "the server could not find the requested resource", "NotFound")


class ApiApp:
    def __init__(self, registry: Registry, ops: Operations) -> None:
        self.registry = registry
        self.ops = ops

    def handle(self, req: Request) -> tuple[int, dict[str, Any]]:
        parts = [p for p in req.path.split("/") if p]
        doc = self._discovery(parts)
        if doc is not None:
            if req.method != "GET":
                raise ApiError(405, f"{req.method} is not supported on {req.path}")
            return 200, doc
        target = self._target(parts)
        return self._dispatch(req, target)

    def _discovery(self, parts: list[str]) -> dict[str, Any] | None:
        if parts == ["version"]:
            return dict(SERVER_VERSION)
        if parts == ["api"]:
            return self.registry.api_versions()
        if parts == ["apis"]:
            return self.registry.api_group_list()
        if len(parts) == 2 and parts[0] == "apis":
            return self.registry.api_group(parts[1]) or _raise(_missing())
        if (len(parts) == 2 and parts[0] == "api") or (len(parts) == 3 and parts[0] == "apis"):
            group = parts[1] if parts[0] == "apis" else ""
            return self.registry.resource_list(group, parts[-1]) or _raise(_missing())
        return None

    def _target(self, parts: list[str]) -> Target:
        if len(parts) < 3 or parts[0] not in ("api", "apis"):
            raise _missing()
        group, version, rest = (
            ("", parts[1], parts[2:]) if parts[0] == "api" else (parts[1], parts[2], parts[3:])
        )
        if not rest:
            raise _missing()
        namespace = None
        if (
            rest[0] == "namespaces"
            and len(rest) >= 3
            and not (group == "" and len(rest) == 3 and rest[2] in ("status", "finalize"))
        ):
            namespace, rest = rest[1], rest[2:]
        if len(rest) > 3:
            raise _missing()
        rt = self.registry.by_path(group, version, rest[0])
        if rt is None or (namespace and not rt.namespaced):
            raise _missing()
        name = rest[1] if len(rest) > 1 else None
        if rt.namespaced and name and not namespace:
            raise _missing()
        return Target(rt, namespace, name, rest[2] if len(rest) > 2 else None)

    def _dispatch(self, req: Request, t: Target) -> tuple[int, dict[str, Any]]:
        if t.subresource is not None:
            if t.subresource != "status" or req.method != "GET" or not t.name:
                raise _missing()
            return 200, self.ops.get(t.rt, t.namespace, t.name)
        method = req.method
        if method == "GET" and t.name:
            return 200, self.ops.get(t.rt, t.namespace, t.name)
        if method == "GET":
            if req.query.get("watch") in ("true", "1"):
                raise ApiError(405, "watch is not supported by the fake API server")
            q = req.query
            return 200, self.ops.list(
                t.rt, t.namespace, q.get("labelSelector"), q.get("fieldSelector")
            )
        opts = self._options(req)
        if method == "POST" and not t.name:
            code = 201 if not opts.dry_run else 200
            return code, self.ops.create(t.rt, t.namespace, _parse(req), opts)
        if method == "PUT" and t.name:
            return 200, self.ops.replace(t.rt, t.namespace, t.name, _parse(req), opts)
        if method == "PATCH" and t.name:
            return self._patch(req, t, opts)
        if method == "DELETE":
            return 200, self._delete(req, t, opts)
        raise ApiError(405, f"{method} is not supported on {req.path}")

    def _patch(self, req: Request, t: Target, opts: WriteOptions) -> tuple[int, dict[str, Any]]:
        assert t.name is not None
        ctype = req.content_type
        if ctype == APPLY_PATCH:
            # apply that creates answers 201 Created, like the real server
            created = self.ops.store.find(t.rt, t.namespace, t.name) is None and not opts.dry_run
            obj = self.ops.apply(t.rt, t.namespace, t.name, _parse(req), opts)
            return (201 if created else 200), obj
        if ctype in MERGE_TYPES or ctype == JSON_PATCH:
            return 200, self.ops.patch(t.rt, t.namespace, t.name, _parse(req), ctype, opts)
        raise ApiError(
            415,
            f"the body of the request was in an unknown format - accepted "
            f"media types include: {', '.join([*MERGE_TYPES, JSON_PATCH, APPLY_PATCH])}",
        )

    def _delete(self, req: Request, t: Target, opts: WriteOptions) -> dict[str, Any]:
        body = _parse(req) if req.body.strip() else {}
        policy = req.query.get("propagationPolicy") or (body or {}).get("propagationPolicy")
        if policy is not None and policy not in _PROPAGATION:
            raise ApiError(
                422,
                f'DeleteOptions is invalid: propagationPolicy: Unsupported value: "{policy}"',
                "Invalid",
            )
        if "All" in ((body or {}).get("dryRun") or []):
            opts = WriteOptions(opts.manager, True, opts.force)
        if t.name:
            return self.ops.delete(t.rt, t.namespace, t.name, opts)
        q = req.query
        return self.ops.delete_collection(
            t.rt, t.namespace, q.get("labelSelector"), q.get("fieldSelector"), opts
        )

    @staticmethod
    def _options(req: Request) -> WriteOptions:
        for value in req.dry_run_values:
            if value != "All":
                raise ApiError(400, f'Invalid value: "{value}": supported values: "All"')
        force = req.query.get("force", "false").lower()
        if force not in ("true", "false"):
            raise ApiError(400, f"invalid force value {force!r}")
        manager = req.query.get("fieldManager")
        if manager is None and req.content_type != APPLY_PATCH:
            # the real server names unnamed writers after the User-Agent's product token
            manager = req.user_agent.split("/")[0] or "unknown"
        return WriteOptions(manager or "", bool(req.dry_run_values), force == "true")


def _parse(req: Request) -> Any:
    text = req.body.decode("utf-8") if req.body else ""
    if not text.strip():
        raise ApiError(400, "the request body is empty", "BadRequest")
    try:
        if req.content_type == APPLY_PATCH:
            return yaml.load(text, Loader=_Loader)
        return json.loads(text)
    except (ValueError, yaml.YAMLError) as exc:
        raise ApiError(400, f"the request body could not be decoded: {exc}") from exc


def _raise(error: ApiError) -> Any:
    raise error
