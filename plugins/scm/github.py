"""GitHub (and GitHub Enterprise) pull requests over the REST API; the token is $GITHUB_TOKEN.

`scm: {provider: github, repository: acme/deploy, api_url: https://ghe.example.com/api/v3}`;
`api_url` defaults to https://api.github.com, `repository` to the remote's owner/name.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from promote.engine.errors import ScmError
from promote.engine.interfaces import PullRequest, Review, ReviewState
from promote.engine.plugins import hookimpl
from promote.engine.repository.scm import request_json, require, token_from

NAME = "github"
DEFAULT_API_URL = "https://api.github.com"
TOKEN_VARIABLE = "GITHUB_TOKEN"
_REVIEW_STATES = {
    "APPROVED": "approved",
    "CHANGES_REQUESTED": "changes_requested",
    "DISMISSED": "dismissed",
}
_FAILED_CONCLUSIONS = ("failure", "cancelled", "timed_out", "action_required", "startup_failure")


class GitHub:
    def check_settings(self, settings: Mapping[str, Any]) -> str | None:
        repository = settings.get("repository")
        if repository is not None and str(repository).count("/") != 1:
            return f"repository: expected OWNER/NAME on GitHub, got {repository!r}"
        return None

    def settings_for_remote(self, host: str, path: str) -> dict[str, Any] | None:
        return {"repository": path} if host == "github.com" else None

    def connect(self, settings: Mapping[str, Any]) -> GitHubRepository:
        repository = require(settings, "repository", NAME)
        api_url = str(settings.get("api_url") or DEFAULT_API_URL).rstrip("/")
        return GitHubRepository(api_url, repository, token_from(TOKEN_VARIABLE, "GitHub"))


class GitHubRepository:
    def __init__(self, api_url: str, repository: str, token: str) -> None:
        self.base = f"{api_url}/repos/{repository}"
        self.host = f"GitHub ({urlsplit(api_url).netloc})"
        self.headers = {
            "Authorization": f"Bearer {token}",
            "Accept": "application/vnd.github+json",
            "X-GitHub-Api-Version": "2022-11-28",
        }

    def _call(self, method: str, path: str, body: Any = None) -> Any:
        return request_json(method, self.base + path, self.headers, body, host=self.host)

    def create(self, head: str, base: str, title: str, body: str) -> PullRequest:
        document = {"title": title, "head": head, "base": base, "body": body}
        return _pull_request(self._call("POST", "/pulls", document))

    def get(self, number: int) -> PullRequest:
        return _pull_request(self._call("GET", f"/pulls/{number}"))

    def list_open(self) -> list[PullRequest]:
        return [_pull_request(d) for d in self._call("GET", "/pulls?state=open&per_page=100")]

    def review_state(self, pull_request: PullRequest) -> ReviewState:
        reviews = self._call("GET", f"/pulls/{pull_request.number}/reviews?per_page=100")
        shown = tuple(
            Review(r["user"]["login"], _REVIEW_STATES.get(r["state"], "commented")) for r in reviews
        )
        return ReviewState(shown, *self._checks(pull_request.head_sha))

    def _checks(self, sha: str) -> tuple[str, str]:
        """Commit statuses and check runs together: green only when none is pending or red."""
        status = self._call("GET", f"/commits/{sha}/status")
        runs = self._call("GET", f"/commits/{sha}/check-runs?per_page=100")["check_runs"]
        states = [s["state"] for s in status.get("statuses", [])]
        states += [
            "pending"
            if run["status"] != "completed"
            else ("failure" if run["conclusion"] in _FAILED_CONCLUSIONS else "success")
            for run in runs
        ]
        names = [s["context"] for s in status.get("statuses", [])] + [r["name"] for r in runs]
        detail = ", ".join(f"{n}: {s}" for n, s in zip(names, states, strict=True))
        if not states:
            return "none", "no checks"
        for verdict in ("failure", "error", "pending"):
            if verdict in states:
                return ("failure" if verdict == "error" else verdict), detail
        return "success", detail

    def merge(self, pull_request: PullRequest) -> None:
        # `sha` makes GitHub refuse (409) when the branch moved since the gates were checked;
        # a merge commit keeps the verified promotion commit and its trailers as they are.
        body = {"sha": pull_request.head_sha, "merge_method": "merge"}
        result = self._call("PUT", f"/pulls/{pull_request.number}/merge", body)
        if not result.get("merged"):
            raise ScmError(f"{self.host} did not merge #{pull_request.number}: {result}")


def _pull_request(document: Mapping[str, Any]) -> PullRequest:
    state = "merged" if document.get("merged") else str(document["state"])
    return PullRequest(
        number=int(document["number"]),
        url=str(document["html_url"]),
        title=str(document["title"]),
        head_branch=str(document["head"]["ref"]),
        head_sha=str(document["head"]["sha"]),
        base_branch=str(document["base"]["ref"]),
        author=str(document["user"]["login"]),
        state=state,
        body=str(document.get("body") or ""),
    )


@hookimpl
def promote_register_scms(register) -> None:
    register(NAME, GitHub())
