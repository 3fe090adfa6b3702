"""FakeApiServer: a stdlib HTTP server speaking enough of the Kubernetes API for tests."""

from __future__ import annotations

import contextlib
import hashlib
import json
import re
import tempfile
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from typing import Any
from urllib.parse import parse_qs, urlsplit

import yaml

from .discovery import GITOPS_AGENTS, Registry
from .errors import DEFAULT_REASONS, ApiError, status_body
from .operations import Operations, WriteOptions
from .routing import ApiApp, Request
from .store import Store


@dataclass(frozen=True)
class RecordedRequest:
    method: str
    path: str
    query: dict[str, str]
    content_type: str
    body: Any = None


@dataclass
class _Rule:
    method: str
    pattern: re.Pattern[str]
    remaining: int | None  # None: never expires
    status: int = 0
    reason: str | None = None
    delay: float = 0.0

    def matches(self, method: str, path: str) -> bool:
        wanted = self.method.upper()
        return wanted in ("*", method) and self.pattern.search(path) is not None


def discovery_cache_file(url: str) -> Path:
    """Where kubernetes.dynamic caches discovery for `url` when no cache_file is given."""
    digest = hashlib.md5(url.encode("utf-8"), usedforsecurity=False).hexdigest()
    return Path(tempfile.gettempdir()) / f"osrcp-{digest}.json"


class FakeApiServer:
    """In-process Kubernetes API server for the real `kubernetes` client.

    start()/stop() or `with`; `url`; write_kubeconfig(); `requests` + reset_requests();
    inject()/inject_delay()/clear_injections(); get_object()/put_object()/delete_object()/
    objects(); set_unhealthy(); serve_gitops_agents() and set_status() for Flux/Argo CD objects.
    The four standard namespaces exist from the start.
    """

    def __init__(self) -> None:
        self.registry = Registry()
        self.store = Store(self.registry)
        self.ops = Operations(self.store)
        self.app = ApiApp(self.registry, self.ops)
        self.requests: list[RecordedRequest] = []
        self._rules: list[_Rule] = []
        self._rules_lock = threading.Lock()
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle -------------------------------------------------------------------------
    def start(self) -> FakeApiServer:
        if self._httpd is not None:
            return self
        handler = type("BoundHandler", (_Handler,), {"fake": self})
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self._httpd.daemon_threads = True  # delayed handlers must not block stop()
        # a short poll interval keeps stop() (and so every test teardown) fast
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, args=(0.02,), daemon=True, name="fake-k8s-api"
        )
        self._thread.start()
        self._forget_discovery_cache()
        return self

    def stop(self) -> None:
        if self._httpd is None:
            return
        self._httpd.shutdown()
        self._httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._forget_discovery_cache()
        self._httpd = None
        self._thread = None

    def _forget_discovery_cache(self) -> None:
        # DynamicClient caches discovery per host:port in /tmp; a cache left by an earlier
        # server on a reused port would advertise CRDs this server has never seen.
        with contextlib.suppress(OSError):
            discovery_cache_file(self.url).unlink()

    def __enter__(self) -> FakeApiServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def port(self) -> int:
        if self._httpd is None:
            raise RuntimeError("FakeApiServer is not started")
        return int(self._httpd.server_address[1])

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def write_kubeconfig(
        self, path: str | Path, context: str = "fake", namespace: str = "default"
    ) -> Path:
        path = Path(path)
        config = {
            "apiVersion": "v1",
            "kind": "Config",
            "clusters": [
                {"name": context, "cluster": {"server": self.url, "insecure-skip-tls-verify": True}}
            ],
            "users": [{"name": f"{context}-user", "user": {"token": "fake-token"}}],
            "contexts": [
                {
                    "name": context,
                    "context": {
                        "cluster": context,
                        "user": f"{context}-user",
                        "namespace": namespace,
                    },
                }
            ],
            "current-context": context,
            "preferences": {},
        }
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(yaml.safe_dump(config, sort_keys=False))
        return path

    # -- request log and fault injection ---------------------------------------------------
    def reset_requests(self) -> None:
        with self._rules_lock:
            self.requests.clear()

    def inject(
        self,
        method: str,
        path_regex: str,
        status: int,
        times: int | None = 1,
        reason: str | None = None,
    ) -> None:
        """Answer the next `times` matching requests with `status` (None: until cleared)."""
        rule = _Rule(method, re.compile(path_regex), times, status=status, reason=reason)
        with self._rules_lock:
            self._rules.append(rule)

    def inject_delay(
        self, method: str, path_regex: str, seconds: float, times: int | None = 1
    ) -> None:
        """Sleep before answering. The request still takes effect, as on a slow real server.

        urllib3 retries timed-out GETs (3 retries by default), so to make a GET fail with a
        timeout inject at least 4 delays (or times=None); POST/PUT/PATCH are not retried.
        """
        rule = _Rule(method, re.compile(path_regex), times, delay=seconds)
        with self._rules_lock:
            self._rules.append(rule)

    def clear_injections(self) -> None:
        with self._rules_lock:
            self._rules.clear()

    def _take_rules(self, method: str, path: str) -> tuple[float, _Rule | None]:
        """Consume at most one matching delay rule and one matching error rule."""
        delay, failure = 0.0, None
        with self._rules_lock:
            for rule in list(self._rules):
                if not rule.matches(method, path):
                    continue
                if rule.delay > 0 and not delay:
                    delay = rule.delay
                elif rule.delay == 0 and failure is None:
                    failure = rule
                else:
                    continue
                self._spend(rule)
        return delay, failure

    def _spend(self, rule: _Rule) -> None:
        if rule.remaining is None:
            return
        rule.remaining -= 1
        if rule.remaining <= 0:
            self._rules.remove(rule)

    def _record(self, req: Request) -> None:
        body: Any = None
        if req.body:
            try:
                body = yaml.safe_load(req.body.decode("utf-8"))
            except (ValueError, yaml.YAMLError):
                body = req.body
        with self._rules_lock:
            self.requests.append(
                RecordedRequest(req.method, req.path, dict(req.query), req.content_type, body)
            )

    # -- direct store access for tests -----------------------------------------------------
    def get_object(
        self, api_version: str, kind: str, name: str, namespace: str | None = None
    ) -> dict[str, Any] | None:
        rt = self._type(api_version, kind)
        with self.store.lock:
            record = self.store.find(rt, namespace, name)
            return json.loads(json.dumps(record.obj)) if record else None

    def put_object(self, obj: dict[str, Any], manager: str = "kubectl") -> dict[str, Any]:
        """Create or fully replace `obj` as an Update by `manager` (hand edits, other tools)."""
        rt = self._type(obj.get("apiVersion", ""), obj.get("kind", ""))
        meta = obj.get("metadata", {})
        namespace = meta.get("namespace") if rt.namespaced else None
        opts = WriteOptions(manager)
        body = json.loads(json.dumps(obj))
        body.get("metadata", {}).pop("resourceVersion", None)  # direct writes never go stale
        with self.store.lock:
            if self.store.find(rt, namespace, meta.get("name", "")) is None:
                return self.ops.create(rt, namespace, body, opts)
            return self.ops.replace(rt, namespace, meta["name"], body, opts)

    def delete_object(
        self, api_version: str, kind: str, name: str, namespace: str | None = None
    ) -> None:
        rt = self._type(api_version, kind)
        with self.store.lock:
            self.store.delete(rt, namespace, name, dry_run=False)

    def objects(self) -> list[dict[str, Any]]:
        with self.store.lock:
            return json.loads(json.dumps([r.obj for r in self.store.records.values()]))

    def set_unhealthy(self, kind: str, name: str, namespace: str, unhealthy: bool = True) -> None:
        """Keep a workload from ever reporting ready (or undo that with unhealthy=False)."""
        key = (kind, namespace or "", name)
        with self.store.lock:
            if unhealthy:
                self.store.unhealthy.add(key)
            else:
                self.store.unhealthy.discard(key)
            for rt in [t for t in self.registry.types if t.kind == kind]:
                self.store.restamp_status(rt, namespace, name)

    def serve_gitops_agents(self) -> None:
        """Serve Flux's Kustomization and HelmRelease and Argo CD's Application, as if their
        CRDs were installed. Their status is whatever the test sets (`set_status`)."""
        with self.store.lock:
            for rt in GITOPS_AGENTS:
                if self.registry.by_kind(rt.api_version, rt.kind) is None:
                    self.registry.types.append(rt)

    def set_status(
        self, api_version: str, kind: str, name: str, namespace: str | None, status: dict[str, Any]
    ) -> None:
        """Write an object's status as its controller would (a new resourceVersion)."""
        rt = self._type(api_version, kind)
        with self.store.lock:
            record = self.store.require(rt, namespace, name)
            self.store.set_status(record, json.loads(json.dumps(status)))

    def _type(self, api_version: str, kind: str) -> Any:
        rt = self.registry.by_kind(api_version, kind)
        if rt is None:
            raise KeyError(f"{kind} in {api_version} is not served by the fake API server")
        return rt

    # -- request handling ------------------------------------------------------------------
    def handle(self, req: Request) -> tuple[int, dict[str, Any]]:
        self._record(req)
        delay, failure = self._take_rules(req.method, req.path)
        if delay:
            time.sleep(delay)
        try:
            if failure is not None:
                reason = failure.reason or DEFAULT_REASONS.get(failure.status, "Unknown")
                raise ApiError(failure.status, f"injected failure ({reason})", reason)
            with self.store.lock:
                return self.app.handle(req)
        except ApiError as err:
            return err.code, err.status()
        except Exception as exc:  # a bug in the fake must still look like a server error
            return 500, status_body(500, f"fake API server error: {exc!r}", "InternalError")


class _Handler(BaseHTTPRequestHandler):
    fake: FakeApiServer
    server_version = "fake-kube-apiserver/1.31"

    def log_message(self, format: str, *args: Any) -> None:
        pass  # keep pytest output clean

    def _serve(self) -> None:
        url = urlsplit(self.path)
        raw_query = parse_qs(url.query, keep_blank_values=True)
        length = int(self.headers.get("Content-Length") or 0)
        req = Request(
            method=self.command,
            path=url.path,
            query={k: v[-1] for k, v in raw_query.items()},
            content_type=(self.headers.get("Content-Type") or "").split(";")[0].strip(),
            body=self.rfile.read(length) if length else b"",
            user_agent=self.headers.get("User-Agent", ""),
            dry_run_values=raw_query.get("dryRun", []),
        )
        code, body = self.fake.handle(req)
        payload = json.dumps(body).encode()
        try:
            self.send_response(code)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (e.g. its request timeout fired during an injected delay)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _serve
