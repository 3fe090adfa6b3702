"""Tests of the ticket gate on its own: a fake context and a real local HTTP ticket system."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from types import SimpleNamespace

import pytest
from promote_gate_ticket import TicketGate, ticket_state

from promote.engine.model import Outcome

STATES = {"CHG-1": "approved", "CHG-2": "waiting for CAB"}


class Tickets(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        ticket = self.path.rsplit("/", 1)[-1]
        if ticket not in STATES:
            self.send_error(404)
            return
        body = json.dumps({"state": STATES[ticket]}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def ticket_system() -> Iterator[str]:
    server = HTTPServer(("127.0.0.1", 0), Tickets)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/tickets"
    server.shutdown()


CONTEXT = SimpleNamespace(plan=SimpleNamespace(src="uat", dst="prod"))


def test_an_approved_ticket_passes(ticket_system, monkeypatch):
    monkeypatch.setenv("PROMOTE_TICKET", "CHG-1")
    verdict = TicketGate().evaluate(CONTEXT, {"url": ticket_system})
    assert verdict.outcome is Outcome.PASSED


def test_a_ticket_waiting_for_approval_is_pending(ticket_system, monkeypatch):
    monkeypatch.setenv("PROMOTE_TICKET", "CHG-2")
    verdict = TicketGate().evaluate(CONTEXT, {"url": ticket_system})
    assert verdict.outcome is Outcome.PENDING
    assert "waiting for CAB" in verdict.reason


def test_no_ticket_fails(monkeypatch):
    monkeypatch.delenv("PROMOTE_TICKET", raising=False)
    assert TicketGate().evaluate(CONTEXT, {}).outcome is Outcome.FAILED


def test_a_ticket_in_the_wrong_shape_fails(monkeypatch):
    monkeypatch.setenv("PROMOTE_TICKET", "see slack")
    assert TicketGate().evaluate(CONTEXT, {"pattern": "CHG-[0-9]+"}).outcome is Outcome.FAILED


def test_an_unknown_ticket_raises_so_that_promote_fails_closed(ticket_system):
    with pytest.raises(OSError):
        ticket_state(ticket_system, "CHG-404", timeout=5)


@pytest.mark.parametrize("options", [{"pattern": "("}, {"url": "ftp://x"}, {"retries": 3}, "CHG"])
def test_invalid_options_are_reported(options):
    assert TicketGate().check_options(options)


def test_valid_options_are_accepted():
    assert TicketGate().check_options({"pattern": "CHG-[0-9]+", "url": "https://x/t"}) is None
    assert TicketGate().check_options(None) is None
