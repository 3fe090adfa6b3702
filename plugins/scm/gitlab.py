"""GitLab merge requests over the REST API (v4); the token is $GITLAB_TOKEN.

`scm: {provider: gitlab, repository: group/sub/app, api_url: https://gitlab.example.com/api/v4}`;
`api_url` defaults to the remote's host (https://HOST/api/v4), `repository` to its path.
Reviews are GitLab's approvals; checks are the merge request's latest pipeline.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import quote, urlsplit

from promote.engine.errors import ScmError
from promote.engine.interfaces import PullRequest, Review, ReviewState
from promote.engine.plugins import hookimpl
from promote.engine.repository.scm import request_json, require, token_from

NAME = "gitlab"
DEFAULT_API_URL = "https://gitlab.com/api/v4"
TOKEN_VARIABLE = "GITLAB_TOKEN"
_PIPELINE_FAILED = ("failed", "canceled")
_PIPELINE_PASSED = ("success", "skipped")
_STATES = {"opened": "open", "closed": "closed", "merged": "merged", "locked": "open"}


class GitLab:
    def check_settings(self, settings: Mapping[str, Any]) -> str | None:
        return None  # the schema already checks the repository path and the URL

    def settings_for_remote(self, host: str, path: str) -> dict[str, Any] | None:
        if host != "gitlab.com" and not host.startswith("gitlab."):
            return None
        return {"repository": path, "api_url": f"https://{host}/api/v4"}

    def connect(self, settings: Mapping[str, Any]) -> GitLabProject:
        repository = require(settings, "repository", NAME)
        api_url = str(settings.get("api_url") or DEFAULT_API_URL).rstrip("/")
        return GitLabProject(api_url, repository, token_from(TOKEN_VARIABLE, "GitLab"))


class GitLabProject:
    def __init__(self, api_url: str, repository: str, token: str) -> None:
        self.base = f"{api_url}/projects/{quote(repository, safe='')}"
        self.host = f"GitLab ({urlsplit(api_url).netloc})"
        self.headers = {"PRIVATE-TOKEN": token}

    def _call(self, method: str, path: str, body: Any = None) -> Any:
        return request_json(method, self.base + path, self.headers, body, host=self.host)

    def create(self, head: str, base: str, title: str, body: str) -> PullRequest:
        document = {
            "source_branch": head,
            "target_branch": base,
            "title": title,
            "description": body,
            "remove_source_branch": True,
        }
        return _merge_request(self._call("POST", "/merge_requests", document))

    def get(self, number: int) -> PullRequest:
        return _merge_request(self._call("GET", f"/merge_requests/{number}"))

    def list_open(self) -> list[PullRequest]:
        found = self._call("GET", "/merge_requests?state=opened&per_page=100")
        return [_merge_request(d) for d in found]

    def review_state(self, pull_request: PullRequest) -> ReviewState:
        approvals = self._call("GET", f"/merge_requests/{pull_request.number}/approvals")
        reviews = tuple(
            Review(a["user"]["username"], "approved") for a in approvals.get("approved_by", [])
        )
        pipelines = self._call("GET", f"/merge_requests/{pull_request.number}/pipelines")
        if not pipelines:
            return ReviewState(reviews, "none", "no pipeline")
        latest = pipelines[0]  # GitLab lists the newest first
        detail = f"pipeline {latest['id']}: {latest['status']}"
        if latest["status"] in _PIPELINE_FAILED:
            return ReviewState(reviews, "failure", detail)
        passed = latest["status"] in _PIPELINE_PASSED
        return ReviewState(reviews, "success" if passed else "pending", detail)

    def merge(self, pull_request: PullRequest) -> None:
        # `sha` makes GitLab refuse (409) when the branch moved since the gates were checked.
        body = {"sha": pull_request.head_sha}
        result = self._call("PUT", f"/merge_requests/{pull_request.number}/merge", body)
        if result.get("state") != "merged":
            raise ScmError(f"{self.host} did not merge !{pull_request.number}: {result}")


def _merge_request(document: Mapping[str, Any]) -> PullRequest:
    return PullRequest(
        number=int(document["iid"]),
        url=str(document["web_url"]),
        title=str(document["title"]),
        head_branch=str(document["source_branch"]),
        head_sha=str(document["sha"]),
        base_branch=str(document["target_branch"]),
        author=str(document["author"]["username"]),
        state=_STATES.get(str(document["state"]), str(document["state"])),
        body=str(document.get("description") or ""),
    )


@hookimpl
def promote_register_scms(register) -> None:
    register(NAME, GitLab())
