"""A small GitHub / GitLab REST server on 127.0.0.1 with the endpoints `promote` uses.

Pull requests live in memory; their branches live in a real bare repository (the test's `file://`
remote): a head is whatever that branch holds, and a merge is a real merge commit made there with
plain git, moved with a compare-and-swap `update-ref` like a code host does.
"""

from __future__ import annotations

import json
import re
import subprocess
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

TOKEN = "fake-token-0123"
AUTHOR = "pat"


@dataclass
class FakePull:
    number: int
    head: str
    base: str
    title: str
    body: str
    author: str
    state: str = "open"  # open | merged
    reviews: list[tuple[str, str]] = field(default_factory=list)  # (user, GitHub review state)
    checks: str = "none"  # none | pending | success | failure


@dataclass
class Call:
    method: str
    path: str
    body: Any


class FakeScm:
    """One repository on a fake host. `flavour` is "github" or "gitlab"."""

    def __init__(self, flavour: str, remote: Path, repository: str = "acme/deploy") -> None:
        self.flavour, self.remote, self.repository = flavour, remote, repository
        self.pulls: dict[int, FakePull] = {}
        self.calls: list[Call] = []
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def api_url(self) -> str:
        port = self.server.server_address[1]
        return f"http://127.0.0.1:{port}/api/{'v3' if self.flavour == 'github' else 'v4'}"

    def start(self) -> FakeScm:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def review(self, number: int, user: str, state: str = "APPROVED") -> None:
        self.pulls[number].reviews.append((user, state))

    def head_sha(self, pull: FakePull) -> str:
        return _git(self.remote, "rev-parse", f"refs/heads/{pull.head}")

    def merge(self, pull: FakePull) -> str:
        base, head = _git(self.remote, "rev-parse", pull.base), self.head_sha(pull)
        tree = _git(self.remote, "merge-tree", "--write-tree", base, head)
        message = f"Merge pull request #{pull.number} from {pull.head}"
        merged = _git(self.remote, "commit-tree", tree, "-p", base, "-p", head, "-m", message)
        _git(self.remote, "update-ref", f"refs/heads/{pull.base}", merged, base)
        pull.state = "merged"
        return merged

    def calls_to(self, method: str, pattern: str) -> list[Call]:
        return [c for c in self.calls if c.method == method and re.search(pattern, c.path)]


def _git(repo: Path, *args: str) -> str:
    done = subprocess.run(["git", *args], cwd=repo, capture_output=True, text=True, check=True)
    return done.stdout.strip()


def _handler(scm: FakeScm) -> type[BaseHTTPRequestHandler]:
    from tests.fake_scm.routes import route

    class Handler(BaseHTTPRequestHandler):
        def _serve(self, method: str) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = json.loads(self.rfile.read(length)) if length else None
            path = urlsplit(self.path).path
            scm.calls.append(Call(method, unquote(self.path), body))
            if not _authorised(scm.flavour, self.headers):
                return self._reply(401, {"message": "Bad credentials"})
            status, document = route(scm, method, path, body)
            self._reply(status, document)

        def _reply(self, status: int, document: Any) -> None:
            data = json.dumps(document).encode("utf-8")
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self) -> None:
            self._serve("GET")

        def do_POST(self) -> None:
            self._serve("POST")

        def do_PUT(self) -> None:
            self._serve("PUT")

        def log_message(self, format: str, *args: Any) -> None:
            pass  # keep pytest's output clean

    return Handler


def _authorised(flavour: str, headers: Any) -> bool:
    if flavour == "github":
        return headers.get("Authorization") == f"Bearer {TOKEN}"
    return headers.get("PRIVATE-TOKEN") == TOKEN
