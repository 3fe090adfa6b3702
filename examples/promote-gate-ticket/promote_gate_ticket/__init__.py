"""A `ticket` gate: the promotion names an approved change ticket.

The ticket id comes from $PROMOTE_TICKET (CI sets it from the merge request, a person from the
change they work on). With `url:` the gate asks the ticket system: GET {url}/{ticket} must answer
JSON with "state": "approved". Any error reaching it raises, and promote turns that into a failed
verdict naming this plugin: a gate that cannot decide must block (fail closed).
"""

from __future__ import annotations

import json
import os
import re
import urllib.parse
import urllib.request
from typing import Any

import pluggy

from promote.engine.model import Outcome, Verdict

hookimpl = pluggy.HookimplMarker("promote")  # the project name of promote's hooks

NAME = "ticket"
TICKET_ENV = "PROMOTE_TICKET"
DEFAULT_PATTERN = r"[A-Z][A-Z0-9]+-[0-9]+"
KEYS = ("pattern", "url", "timeout")


class TicketGate:
    def check_options(self, options: Any) -> str | None:
        """Called once when the graph file is loaded: a problem here is exit 2 with file:line."""
        options = options or {}
        if not isinstance(options, dict):
            return "expected a mapping like {pattern: 'CHG-[0-9]+', url: https://...}"
        unknown = sorted(set(options) - set(KEYS))
        if unknown:
            return f"unknown option {unknown[0]!r} (allowed: {', '.join(KEYS)})"
        try:
            re.compile(options.get("pattern", DEFAULT_PATTERN))
        except (re.error, TypeError) as exc:
            return f"pattern: not a regular expression: {exc}"
        url = options.get("url")
        if url is not None and urllib.parse.urlparse(str(url)).scheme not in ("http", "https"):
            return f"url: expected an http(s) URL, got {url!r}"
        return None

    def evaluate(self, context: Any, options: Any) -> Verdict:
        """Decide for `context.plan` (src → dst). Return a Verdict; raising means failed."""
        options = options or {}
        ticket = os.environ.get(TICKET_ENV, "").strip()
        pattern = options.get("pattern", DEFAULT_PATTERN)
        if not ticket:
            return Verdict(NAME, Outcome.FAILED, f"no change ticket: set {TICKET_ENV}")
        if not re.fullmatch(pattern, ticket):
            return Verdict(NAME, Outcome.FAILED, f"{ticket!r} does not look like {pattern}")
        if "url" not in options:
            return Verdict(NAME, Outcome.PASSED, f"change ticket {ticket}")
        state = ticket_state(options["url"], ticket, float(options.get("timeout", 10)))
        if state == "approved":
            return Verdict(NAME, Outcome.PASSED, f"change ticket {ticket} is approved")
        # Not approved *yet*: pending, so that `promote check` tells people to come back later.
        return Verdict(NAME, Outcome.PENDING, f"change ticket {ticket} is {state}")


def ticket_state(base_url: str, ticket: str, timeout: float) -> str:
    """The ticket's state from the ticket system. Network and format errors propagate."""
    url = f"{base_url.rstrip('/')}/{urllib.parse.quote(ticket)}"
    # check_options allowed only http(s) URLs, so urlopen cannot be pointed at local files.
    with urllib.request.urlopen(url, timeout=timeout) as response:
        return str(json.load(response)["state"])


@hookimpl
def promote_register_gates(register) -> None:
    register(NAME, TicketGate())
