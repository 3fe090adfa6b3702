"""Which code host opens the pull requests, and the one way the `scm` plugins talk HTTP.

The host comes from graph.yaml's `scm:` mapping, else from the URL of the remote that `--pr`
pushes to (each registered host says whether it recognises it). HTTP goes through
`urllib.request` from the standard library: two small JSON clients do not justify a dependency
of our own (`requests` is only installed because the kubernetes client needs it).
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping
from typing import Any

from promote.engine.errors import ScmError, UsageError
from promote.engine.interfaces import PullRequests
from promote.engine.session import Session

TIMEOUT_SECONDS = 30
# git@github.com:acme/deploy.git, ssh://git@host:22/group/app.git, https://host/acme/deploy.git
_SCP_LIKE = re.compile(r"^(?:[^@/]+@)?(?P<host>[^:/]+):(?P<path>[^/].*)$")
_URL_LIKE = re.compile(r"^[a-z+]+://(?:[^@/]+@)?(?P<host>[^:/]+)(?::\d+)?/(?P<path>.+)$")


def connect(session: Session, remote: str) -> PullRequests:
    """A client for the repository where `remote`'s pull requests live."""
    configured = dict(session.config.scm or {})
    inferred = _from_remote(session, session.repo.remote_url(remote), configured.get("provider"))
    settings = {**inferred, **configured}
    return session.plugins.scms.get(settings["provider"]).connect(settings)


def host_and_path(url: str) -> tuple[str, str]:
    """`git@github.com:acme/deploy.git` → ("github.com", "acme/deploy"); ("", "") for a path."""
    match = _SCP_LIKE.match(url) if "://" not in url else _URL_LIKE.match(url)
    return (match["host"], match["path"].removesuffix(".git")) if match else ("", "")


def _from_remote(session: Session, url: str, provider: str | None) -> dict[str, Any]:
    host, path = host_and_path(url)
    for registered in session.plugins.scms:
        if provider in (None, registered.name) and host:
            found = registered.item.settings_for_remote(host, path)
            if found is not None:
                return {"provider": registered.name, **found}
    if provider is not None:
        return {"provider": provider}
    raise UsageError(
        f"cannot tell which code host serves the remote {url!r}: add to graph.yaml "
        "`scm: {provider: github, repository: OWNER/NAME}` (see docs/pull-requests.md)"
    )


def require(settings: Mapping[str, Any], key: str, provider: str) -> str:
    value = settings.get(key)
    if not value:
        raise UsageError(f"scm: the {provider} repository is unknown: set `scm: {{{key}: ...}}`")
    return str(value)


def token_from(variable: str, host: str) -> str:
    token = os.environ.get(variable, "").strip()
    if not token:
        raise UsageError(f"{variable} is not set: {host} needs a token to open pull requests")
    return token


def request_json(
    method: str, url: str, headers: Mapping[str, str], body: Any = None, *, host: str
) -> Any:
    """One JSON request; any failure is a `ScmError` naming the host and what it said."""
    # Here, not at the top: the scm plugins load with every command, and urllib.request brings
    # http.client and email (40 ms) that only a pull request needs.
    import urllib.error
    import urllib.request

    data = None if body is None else json.dumps(body).encode("utf-8")
    request = urllib.request.Request(url, data=data, method=method)
    for name, value in {"Accept": "application/json", **headers}.items():
        request.add_header(name, value)
    if data is not None:
        request.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:
            text = response.read().decode("utf-8")
    except urllib.error.HTTPError as exc:
        said = _said(exc.read().decode("utf-8", "replace"))
        if exc.code in (401, 403):
            said += "; check the token"
        raise ScmError(
            f"{host} refused {method} {url}: {exc.code} {said}", status=exc.code
        ) from None
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise ScmError(f"cannot reach {host} at {url}: {reason}") from None
    try:
        return json.loads(text) if text.strip() else None
    except ValueError:
        raise ScmError(f"{host} answered {method} {url} with something other than JSON") from None


def _said(text: str) -> str:
    """The host's own explanation ("message" on GitHub and GitLab), else its first line."""
    try:
        document = json.loads(text)
    except ValueError:
        return text.strip().splitlines()[0][:200] if text.strip() else ""
    if isinstance(document, dict) and "message" in document:
        return str(document["message"])
    return json.dumps(document)[:200]
