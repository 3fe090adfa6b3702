"""Verb semantics (create, replace, patch, apply, delete, list) on top of the store."""

from __future__ import annotations

import base64
import copy
import random
import re
import string
from dataclasses import dataclass
from typing import Any

from .apply import server_side_apply, track_update
from .discovery import ResourceType
from .errors import ApiError, already_exists, invalid, stale_conflict
from .patches import json_patch, merge_patch
from .selectors import field_matcher, label_matcher
from .store import Record, Store, deleted_status, now_rfc3339, terminating

_NAME_RE = re.compile(r"^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$")
MERGE_TYPES = ("application/merge-patch+json", "application/strategic-merge-patch+json")
JSON_PATCH = "application/json-patch+json"
APPLY_PATCH = "application/apply-patch+yaml"


@dataclass(frozen=True)
class WriteOptions:
    manager: str
    dry_run: bool = False
    force: bool = False


def _bad_request(message: str) -> ApiError:
    return ApiError(400, message, "BadRequest")


class Operations:
    def __init__(self, store: Store) -> None:
        self.store = store

    def get(self, rt: ResourceType, namespace: str | None, name: str) -> dict[str, Any]:
        return copy.deepcopy(self.store.require(rt, namespace, name).obj)

    def list(
        self, rt: ResourceType, namespace: str | None, labels: str | None, fields: str | None
    ) -> dict[str, Any]:
        match_labels, match_fields = label_matcher(labels), field_matcher(fields)
        items = [
            obj
            for obj in self.store.items(rt, namespace)
            if match_labels(obj["metadata"].get("labels") or {}) and match_fields(obj)
        ]
        if rt.builtin:  # typed lists omit per-item kind/apiVersion on the wire
            items = [{k: v for k, v in o.items() if k not in ("apiVersion", "kind")} for o in items]
        return {
            "kind": f"{rt.kind}List",
            "apiVersion": rt.api_version,
            "metadata": {"resourceVersion": self.store.resource_version},
            "items": items,
        }

    def create(
        self, rt: ResourceType, namespace: str | None, body: Any, opts: WriteOptions
    ) -> dict[str, Any]:
        body = self._prepare(rt, namespace, None, body)
        meta = body["metadata"]
        if not meta.get("name") and meta.get("generateName"):
            suffix = "".join(random.choices(string.ascii_lowercase + string.digits, k=5))
            meta["name"] = meta["generateName"] + suffix
        self._validate_name(rt, body)
        if self.store.find(rt, namespace, meta["name"]) is not None:
            raise already_exists(rt.plural, meta["name"], rt.group)
        self.store.check_namespace(rt, namespace)
        owners = track_update(None, body, {}, self._ctx(rt, opts))
        return self.store.write(rt, None, body, owners, opts.dry_run)

    def replace(
        self, rt: ResourceType, namespace: str | None, name: str, body: Any, opts: WriteOptions
    ) -> dict[str, Any]:
        record = self.store.require(rt, namespace, name)
        body = self._prepare(rt, namespace, name, body)
        self._check_precondition(rt, record, body)
        owners = track_update(record.obj, body, record.owners, self._ctx(rt, opts))
        return self.store.write(rt, record, body, owners, opts.dry_run)

    def patch(
        self,
        rt: ResourceType,
        namespace: str | None,
        name: str,
        patch: Any,
        content_type: str,
        opts: WriteOptions,
    ) -> dict[str, Any]:
        record = self.store.require(rt, namespace, name)
        if content_type == JSON_PATCH:
            patched = json_patch(record.obj, patch)
        else:
            if not isinstance(patch, dict):
                raise _bad_request("merge patch body must be a JSON object")
            patched = merge_patch(record.obj, patch)
        patched = self._prepare(rt, namespace, name, patched)
        self._check_precondition(rt, record, patched)
        owners = track_update(record.obj, patched, record.owners, self._ctx(rt, opts))
        return self.store.write(rt, record, patched, owners, opts.dry_run)

    def apply(
        self, rt: ResourceType, namespace: str | None, name: str, config: Any, opts: WriteOptions
    ) -> dict[str, Any]:
        if not opts.manager:
            raise ApiError(
                422,
                'PatchOptions.meta.k8s.io "" is invalid: fieldManager: '
                "Required value: is required for apply patch",
                "Invalid",
            )
        if not isinstance(config, dict) or not config.get("apiVersion") or not config.get("kind"):
            raise _bad_request("apply configuration must set apiVersion and kind")
        config = self._prepare(rt, namespace, name, config)
        record = self.store.find(rt, namespace, name)
        if record is None:
            self._validate_name(rt, config)
            self.store.check_namespace(rt, namespace)
        else:
            self._check_precondition(rt, record, config)
        ctx = (opts.manager, rt.api_version, now_rfc3339(), opts.force, rt.has_status)
        live = copy.deepcopy(record.obj) if record else None
        merged, owners = server_side_apply(live, config, record.owners if record else {}, ctx)
        return self.store.write(rt, record, merged, owners, opts.dry_run)

    def delete(
        self, rt: ResourceType, namespace: str | None, name: str, opts: WriteOptions
    ) -> dict[str, Any]:
        obj = self.store.delete(rt, namespace, name, opts.dry_run)
        if rt.kind == "Namespace" and rt.builtin:
            return terminating(obj)
        return deleted_status(rt, obj)

    def delete_collection(
        self,
        rt: ResourceType,
        namespace: str | None,
        labels: str | None,
        fields: str | None,
        opts: WriteOptions,
    ) -> dict[str, Any]:
        listing = self.list(rt, namespace, labels, fields)
        for item in listing["items"]:
            meta = item["metadata"]
            self.store.delete(rt, meta.get("namespace"), meta["name"], opts.dry_run)
        return listing

    @staticmethod
    def _ctx(rt: ResourceType, opts: WriteOptions) -> tuple[str, str, str, bool]:
        return (opts.manager, rt.api_version, now_rfc3339(), rt.has_status)

    def _prepare(
        self, rt: ResourceType, namespace: str | None, name: str | None, body: Any
    ) -> dict[str, Any]:
        """Check identity fields against the URL and normalize like the real strategies do."""
        if not isinstance(body, dict):
            raise _bad_request("request body must be a JSON or YAML object")
        body = copy.deepcopy(body)
        _check_type(rt, body)
        meta = body.setdefault("metadata", {})
        if not isinstance(meta, dict):
            raise _bad_request("metadata must be an object")
        if name is not None and meta.get("name", name) != name:
            raise _bad_request(
                f"the name of the object ({meta['name']}) does not match the "
                f"name on the URL ({name})"
            )
        if name is not None:
            meta["name"] = name
        _set_namespace(rt, namespace, meta)
        meta.pop("managedFields", None)  # ownership is tracked by the server, not the client
        if rt.kind == "Secret" and rt.builtin:
            _fold_string_data(body)
        return body

    @staticmethod
    def _validate_name(rt: ResourceType, body: dict[str, Any]) -> None:
        name = body["metadata"].get("name")
        if not name:
            raise invalid(
                rt.kind,
                "",
                "metadata.name: Required value: name or generateName is required",
                "metadata.name",
            )
        if len(name) > 253 or not _NAME_RE.match(name):
            raise invalid(
                rt.kind,
                name,
                f'metadata.name: Invalid value: "{name}": a lowercase '
                "RFC 1123 subdomain must consist of lower case alphanumeric "
                "characters, '-' or '.'",
                "metadata.name",
            )
        if rt.kind == "CustomResourceDefinition" and rt.builtin:
            spec = body.get("spec", {})
            expected = f"{spec.get('names', {}).get('plural')}.{spec.get('group')}"
            if name != expected:
                raise invalid(
                    rt.kind,
                    name,
                    f'metadata.name: Invalid value: "{name}": must '
                    f'be spec.names.plural+"."+spec.group ({expected})',
                )

    @staticmethod
    def _check_precondition(rt: ResourceType, record: Record, body: dict[str, Any]) -> None:
        wanted = body["metadata"].get("resourceVersion")
        if wanted and wanted != record.obj["metadata"].get("resourceVersion"):
            raise stale_conflict(rt.plural, record.obj["metadata"]["name"], rt.group)


def _check_type(rt: ResourceType, body: dict[str, Any]) -> None:
    if body.get("apiVersion", rt.api_version) != rt.api_version:
        raise _bad_request(
            f"the API version in the data ({body['apiVersion']}) does not match "
            f"the expected API version ({rt.api_version})"
        )
    if body.get("kind", rt.kind) != rt.kind:
        raise _bad_request(
            f"the kind in the data ({body['kind']}) does not match the expected kind ({rt.kind})"
        )


def _set_namespace(rt: ResourceType, namespace: str | None, meta: dict[str, Any]) -> None:
    if not rt.namespaced:
        meta.pop("namespace", None)
        return
    if meta.get("namespace", namespace) != namespace:
        raise _bad_request(
            "the namespace of the provided object does not match the namespace sent on the request"
        )
    meta["namespace"] = namespace


def _fold_string_data(secret: dict[str, Any]) -> None:
    """Secrets store only base64 `data`; `stringData` is a write-only convenience."""
    string_data = secret.pop("stringData", None) or {}
    if string_data:
        data = secret.setdefault("data", {})
        for key, value in string_data.items():
            data[key] = base64.b64encode(str(value).encode()).decode()
