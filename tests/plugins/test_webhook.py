"""plugins.webhook: a real `promote` POSTs to a real local HTTP server (promote_promoted,
promote_gates_evaluated); a webhook that fails never changes the promotion's outcome."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from promote.engine import plugins as plugin_module
from promote.engine.plugins import hookimpl
from tests.gated import trailers
from tests.helpers import commit_count, git


class Hook:
    """A local webhook receiver: records each JSON body, answers `status` after `delay` s."""

    def __init__(self, status: int = 200, delay: float = 0.0) -> None:
        self.bodies: list[dict] = []
        self.status, self.delay = status, delay
        hook = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers["Content-Length"])
                hook.bodies.append(json.loads(self.rfile.read(length)))
                time.sleep(hook.delay)
                self.send_response(hook.status)
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def hook() -> Iterator[Hook]:
    server = Hook()
    yield server
    server.close()


def notify(url: str, extra: str = "") -> str:
    return f"notify: [{{webhook: '{url}', timeout: 1s{extra}}}]"


def prod_image(repo, rev: str = "HEAD") -> str:
    text = git(repo, "show", f"{rev}:apps/prod/web.yaml")
    return text.split("image: ")[1].strip()


def test_a_promotion_posts_promoted_with_the_commit_and_the_versions(gated_repo, cli, hook):
    repo = gated_repo(extra_prod=notify(hook.url))
    result = cli(repo, "qa", "prod", "--yes")
    assert result.exit_code == 0, result.stderr
    [body] = hook.bodies
    assert body["event"] == "promoted"
    assert (body["from"], body["to"]) == ("qa", "prod")
    assert body["commit"] == git(repo, "rev-parse", "HEAD").strip()
    assert body["promotion_id"] == trailers(repo, "Promote-Id")[0]
    assert body["artifacts"] == [
        {"kind": "image", "name": "ghcr.io/acme/web", "old": "1.0.0", "new": "1.1.0"}
    ]
    assert "1.0.0 → 1.1.0" in body["text"] and "\n" not in body["text"]
    assert result.stderr.count("warning") == 0


def test_a_blocked_promotion_posts_blocked_with_the_verdicts(gated_repo, cli, hook):
    repo = gated_repo("- soak: 1h", arrived=timedelta(minutes=12), extra_prod=notify(hook.url))
    assert cli(repo, "qa", "prod", "--yes").exit_code == 3
    [body] = hook.bodies
    assert body["event"] == "blocked"
    assert [(v["gate"], v["outcome"]) for v in body["verdicts"]] == [("soak", "pending")]
    assert "blocked" in body["text"] and "soak" in body["text"]


def test_a_rollback_posts_rollback_naming_what_it_undoes(gated_repo, cli, hook):
    repo = gated_repo(extra_prod=notify(hook.url))
    cli(repo, "qa", "prod", "--yes")
    undone = trailers(repo, "Promote-Id")[0]
    assert cli(repo, "rollback", "prod", "--yes").exit_code == 0
    body = hook.bodies[-1]
    assert body["event"] == "rollback"
    assert body["rollback_of"] == [undone]
    assert body["commit"] == git(repo, "rev-parse", "HEAD").strip()
    assert body["artifacts"][0]["new"] == prod_image(repo).split(":")[1] == "1.0.0"


def test_events_choose_what_is_sent_and_the_url_may_come_from_the_environment(
    gated_repo, cli, hook, monkeypatch
):
    monkeypatch.setenv("PROD_HOOK", hook.url)
    extra = "notify: [{url_env: PROD_HOOK, events: [blocked]}]"
    repo = gated_repo(extra_prod=extra)
    assert cli(repo, "qa", "prod", "--yes").exit_code == 0
    assert hook.bodies == []  # promoted is not among its events


def closed_port_url() -> str:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}/hook"


@pytest.mark.parametrize("failure", ["500", "closed port", "too slow"])
def test_a_failing_webhook_warns_once_and_the_promotion_lands(gated_repo, cli, failure):
    server = (
        Hook(status=500) if failure == "500" else Hook(delay=3) if failure == "too slow" else None
    )
    try:
        url = server.url if server else closed_port_url()
        repo = gated_repo(extra_prod=notify(url))
        before = commit_count(repo)
        result = cli(repo, "qa", "prod", "--yes")
    finally:
        if server:
            server.close()
    assert result.exit_code == 0, result.stderr
    assert commit_count(repo) == before + 1
    assert prod_image(repo) == "ghcr.io/acme/web:1.1.0"
    warnings = [line for line in result.stderr.splitlines() if "warning" in line]
    assert len(warnings) == 1 and "webhook" in warnings[0], result.stderr


@pytest.mark.parametrize(
    ("value", "says"), [(None, "PROD_HOOK is not set"), ("no-url", "$PROD_HOOK")]
)
def test_an_unset_or_unusable_url_variable_is_a_warning(gated_repo, cli, monkeypatch, value, says):
    if value is None:
        monkeypatch.delenv("PROD_HOOK", raising=False)
    else:
        monkeypatch.setenv("PROD_HOOK", value)
    repo = gated_repo(extra_prod="notify: [{url_env: PROD_HOOK}]")
    result = cli(repo, "qa", "prod", "--yes")
    assert result.exit_code == 0, result.stderr
    assert prod_image(repo) == "ghcr.io/acme/web:1.1.0"
    warnings = [line for line in result.stderr.splitlines() if "warning" in line]
    assert len(warnings) == 1 and says in warnings[0], result.stderr
    assert "no-url" not in result.stderr  # the variable's value may be a secret


class Raises:
    @hookimpl
    def promote_promoted(self, commit):
        raise RuntimeError(f"audit store down, {commit[:7]} not exported")


def test_a_notifier_raising_any_exception_after_landing_only_warns(gated_repo, cli, monkeypatch):
    real = plugin_module.make_plugin_manager

    def with_raising(*, autoload=None):
        pm = real(autoload=autoload)
        pm.register(Raises(), name="raises")
        return pm

    monkeypatch.setattr(plugin_module, "make_plugin_manager", with_raising)
    repo = gated_repo()
    result = cli(repo, "qa", "prod", "--yes")
    assert result.exit_code == 0, result.stderr
    assert prod_image(repo) == "ghcr.io/acme/web:1.1.0"
    [warning] = [line for line in result.stderr.splitlines() if "warning" in line]
    assert "raises" in warning and "RuntimeError: audit store down" in warning


@pytest.mark.parametrize(
    ("entry", "at", "says"),
    [
        ("{webhook: 'ftp://x', events: [promoted]}", "webhook:", "does not match"),
        ("{webhook: 'http://x', events: [landed]}", "landed", "'landed' is not one of"),
        ("{webhook: 'http://x', timeout: soon}", "timeout:", "timeout"),
        ("{events: [promoted]}", "{", "either `webhook: URL` or `url_env"),
        ("{webhook: 'http://x', url_env: X}", "{", "either `webhook: URL` or `url_env"),
    ],
)
def test_a_bad_notify_entry_is_exit_2_at_its_position(gated_repo, cli, entry, at, says):
    """Positions are found in the file's own text: the line of `notify:`, the column of `at` (a
    key for its value, as the other graph.yaml errors point)."""
    repo = gated_repo(extra_prod=f"notify: [{entry}]")
    lines = git(repo, "show", "HEAD:environments/graph.yaml").splitlines()
    line = lines.index(f"    notify: [{entry}]")
    column = lines[line].index(at) + 1
    before = commit_count(repo)
    result = cli(repo, "qa", "prod", "--yes")
    assert result.exit_code == 2
    assert f"graph.yaml:{line + 1}:{column}" in result.stderr and says in result.stderr
    assert commit_count(repo) == before and git(repo, "status", "--porcelain") == ""
