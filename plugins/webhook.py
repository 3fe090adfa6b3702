"""`notify: [{webhook: URL, events: [promoted, blocked, rollback, verification], timeout: 5s}]`.

Each event POSTs one JSON body (event, from, to, promotion_id, commit, artifacts, verdicts and a
Slack-compatible one-line `text`) to the environment's webhooks that list it. The promotion is
decided before a webhook hears of it: a webhook that fails, refuses or is too slow prints one
warning line and changes neither the outcome nor the exit code.
"""

from __future__ import annotations

import json
import os
import sys
from typing import Any

from promote.engine.gates.gating import blocking
from promote.engine.model import Environment, Plan, Verdict, WebhookSpec
from promote.engine.plugins import hookimpl


@hookimpl
def promote_gates_evaluated(plan: Plan, verdicts: list[Verdict], environment: Environment) -> None:
    blocked = blocking(verdicts)
    if not blocked:
        return
    reasons = "; ".join(f"{v.gate}: {v.reason}" for v in blocked)
    text = f"{_summary(plan)} blocked ({reasons})"
    _send(environment, "blocked", _body("blocked", plan, verdicts, text))


@hookimpl
def promote_promoted(
    plan: Plan,
    commit: str,
    promotion_id: str,
    environment: Environment,
    rollback_of: tuple[str, ...],
) -> None:
    event = "rollback" if rollback_of else "promoted"
    verb = f"rolled back ({', '.join(rollback_of)})" if rollback_of else "promoted"
    text = f"{_summary(plan)} {verb} as {promotion_id} ({commit[:12]})"
    body = _body(event, plan, [], text)
    body.update(promotion_id=promotion_id, commit=commit)
    if rollback_of:
        body["rollback_of"] = list(rollback_of)
    _send(environment, event, body)


@hookimpl
def promote_verified(
    environment: Environment,
    promotion_id: str,
    commit: str,
    passed: bool,
    reason: str,
    verdicts: list[Verdict],
) -> None:
    outcome = "passed" if passed else "failed"
    body = {
        "event": "verification",
        "to": environment.name,
        "promotion_id": promotion_id,
        "commit": commit,
        "passed": passed,
        "reason": reason,
        "verdicts": [
            {"gate": v.gate, "outcome": v.outcome.value, "reason": v.reason} for v in verdicts
        ],
        "text": f"{environment.name}: verification of {promotion_id} {outcome}: {reason}",
    }
    _send(environment, "verification", body)


def _summary(plan: Plan) -> str:
    changes = ", ".join(f"{c.ref.name} {c.old} → {c.new}" for c in plan.changes)
    return f"{plan.src} → {plan.dst}: {changes}"


def _body(event: str, plan: Plan, verdicts: list[Verdict], text: str) -> dict[str, Any]:
    return {
        "event": event,
        "from": plan.src,
        "to": plan.dst,
        "promotion_id": None,
        "commit": None,
        "artifacts": [
            {"kind": c.ref.kind, "name": c.ref.name, "old": c.old, "new": c.new}
            for c in plan.changes
        ],
        "verdicts": [
            {"gate": v.gate, "outcome": v.outcome.value, "reason": v.reason} for v in verdicts
        ],
        "text": text,
    }


def _send(environment: Environment, event: str, body: dict[str, Any]) -> None:
    for spec in environment.notify:
        if event not in spec.events:
            continue
        problem = _post(spec, body)
        if problem:
            print(f"promote: warning: webhook for {environment.name}: {problem}", file=sys.stderr)


def _post(spec: WebhookSpec, body: dict[str, Any]) -> str | None:
    """POST `body`; what went wrong, in a few words, or None."""
    url = spec.url or os.environ.get(spec.url_env or "", "")
    if not url:
        return f"environment variable {spec.url_env} is not set; {body['event']} not sent"
    # Here, not at the top: urllib.request brings http.client and email (40 ms), which only a
    # firing webhook needs.
    import http.client
    import urllib.error
    import urllib.request

    data = json.dumps(body).encode("utf-8")
    headers = {"Content-Type": "application/json"}
    shown = f"${spec.url_env}" if spec.url_env else url  # never print a secret URL
    try:
        request = urllib.request.Request(url, data=data, headers=headers, method="POST")
        with urllib.request.urlopen(request, timeout=spec.timeout) as response:
            response.read()
    except urllib.error.HTTPError as exc:
        return f"{shown} answered {exc.code} {exc.reason}"
    except (urllib.error.URLError, OSError) as exc:  # refused, unresolvable, timed out
        return f"cannot reach {shown}: {getattr(exc, 'reason', exc)}"
    except ValueError:  # `url_env` names a variable holding something else than a URL
        return f"{shown} is not an http(s) URL"
    except http.client.HTTPException as exc:  # a garbled answer
        return f"{shown} answered with a broken response ({type(exc).__name__})"
    return None
