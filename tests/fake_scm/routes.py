"""The endpoints of the fake host, shaped like GitHub's REST API v3 and GitLab's v4."""

from __future__ import annotations

import re
import subprocess
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tests.fake_scm.server import FakePull, FakeScm

Reply = tuple[int, Any]


def route(scm: FakeScm, method: str, path: str, body: Any) -> Reply:
    prefix = (
        f"/api/v3/repos/{scm.repository}"
        if scm.flavour == "github"
        else f"/api/v4/projects/{scm.repository.replace('/', '%2F')}"
    )
    if not path.startswith(prefix):
        return 404, {"message": "Not Found"}
    rest = path[len(prefix) :]
    routes = _GITHUB if scm.flavour == "github" else _GITLAB
    for (verb, pattern), handle in routes.items():
        found = re.fullmatch(pattern, rest)
        if verb == method and found:
            return handle(scm, body, *found.groups())
    return 404, {"message": f"no route {method} {rest}"}


def _create(scm: FakeScm, head: str, base: str, title: str, body: str) -> FakePull | str:
    from tests.fake_scm.server import AUTHOR, FakePull

    try:
        subprocess.run(
            ["git", "rev-parse", "--verify", f"refs/heads/{head}"],
            cwd=scm.remote,
            check=True,
            capture_output=True,
        )
    except subprocess.CalledProcessError:
        return f"head branch {head} does not exist"
    pull = FakePull(len(scm.pulls) + 1, head, base, title, body, AUTHOR)
    scm.pulls[pull.number] = pull
    return pull


def _pull(scm: FakeScm, number: str) -> FakePull | None:
    return scm.pulls.get(int(number))


# --- GitHub ---


def _github_pull(scm: FakeScm, pull: FakePull) -> dict[str, Any]:
    return {
        "number": pull.number,
        "html_url": f"https://github.example/{scm.repository}/pull/{pull.number}",
        "title": pull.title,
        "body": pull.body,
        "state": "closed" if pull.state == "merged" else "open",
        "merged": pull.state == "merged",
        "head": {"ref": pull.head, "sha": scm.head_sha(pull)},
        "base": {"ref": pull.base},
        "user": {"login": pull.author},
    }


def _gh_create(scm: FakeScm, body: Any) -> Reply:
    made = _create(scm, body["head"], body["base"], body["title"], body["body"])
    if isinstance(made, str):
        return 422, {"message": "Validation Failed", "errors": [{"message": made}]}
    return 201, _github_pull(scm, made)


def _gh_list(scm: FakeScm, body: Any) -> Reply:
    return 200, [_github_pull(scm, p) for p in scm.pulls.values() if p.state == "open"]


def _gh_get(scm: FakeScm, body: Any, number: str) -> Reply:
    pull = _pull(scm, number)
    return (200, _github_pull(scm, pull)) if pull else (404, {"message": "Not Found"})


def _gh_reviews(scm: FakeScm, body: Any, number: str) -> Reply:
    pull = scm.pulls[int(number)]
    return 200, [
        {"id": i, "user": {"login": user}, "state": state}
        for i, (user, state) in enumerate(pull.reviews)
    ]


def _checks_of(scm: FakeScm, sha: str) -> str:
    return next((p.checks for p in scm.pulls.values() if scm.head_sha(p) == sha), "none")


def _gh_status(scm: FakeScm, body: Any, sha: str) -> Reply:
    checks = _checks_of(scm, sha)
    statuses = [] if checks == "none" else [{"context": "ci/build", "state": checks}]
    return 200, {"state": "pending" if checks == "none" else checks, "statuses": statuses}


def _gh_check_runs(scm: FakeScm, body: Any, sha: str) -> Reply:
    return 200, {"total_count": 0, "check_runs": []}


def _gh_merge(scm: FakeScm, body: Any, number: str) -> Reply:
    pull = scm.pulls[int(number)]
    if body.get("sha") != scm.head_sha(pull):
        return 409, {"message": "Head branch was modified. Review and try the merge again."}
    return 200, {"merged": True, "sha": scm.merge(pull), "message": "Pull Request merged"}


_GITHUB = {
    ("POST", r"/pulls"): _gh_create,
    ("GET", r"/pulls"): _gh_list,
    ("GET", r"/pulls/(\d+)"): _gh_get,
    ("GET", r"/pulls/(\d+)/reviews"): _gh_reviews,
    ("GET", r"/commits/(\w+)/status"): _gh_status,
    ("GET", r"/commits/(\w+)/check-runs"): _gh_check_runs,
    ("PUT", r"/pulls/(\d+)/merge"): _gh_merge,
}

# --- GitLab ---

_PIPELINE = {"pending": "running", "success": "success", "failure": "failed"}


def _gitlab_mr(scm: FakeScm, pull: FakePull) -> dict[str, Any]:
    return {
        "iid": pull.number,
        "web_url": f"https://gitlab.example/{scm.repository}/-/merge_requests/{pull.number}",
        "title": pull.title,
        "description": pull.body,
        "state": "merged" if pull.state == "merged" else "opened",
        "source_branch": pull.head,
        "target_branch": pull.base,
        "sha": scm.head_sha(pull),
        "author": {"username": pull.author},
    }


def _gl_create(scm: FakeScm, body: Any) -> Reply:
    made = _create(
        scm, body["source_branch"], body["target_branch"], body["title"], body["description"]
    )
    if isinstance(made, str):
        return 422, {"message": [made]}
    return 201, _gitlab_mr(scm, made)


def _gl_list(scm: FakeScm, body: Any) -> Reply:
    return 200, [_gitlab_mr(scm, p) for p in scm.pulls.values() if p.state == "open"]


def _gl_get(scm: FakeScm, body: Any, number: str) -> Reply:
    pull = _pull(scm, number)
    return (200, _gitlab_mr(scm, pull)) if pull else (404, {"message": "404 Not found"})


def _gl_approvals(scm: FakeScm, body: Any, number: str) -> Reply:
    users = [user for user, state in scm.pulls[int(number)].reviews if state == "APPROVED"]
    return 200, {"approved_by": [{"user": {"username": u}} for u in dict.fromkeys(users)]}


def _gl_pipelines(scm: FakeScm, body: Any, number: str) -> Reply:
    pull = scm.pulls[int(number)]
    if pull.checks == "none":
        return 200, []
    return 200, [{"id": 77, "sha": scm.head_sha(pull), "status": _PIPELINE[pull.checks]}]


def _gl_merge(scm: FakeScm, body: Any, number: str) -> Reply:
    pull = scm.pulls[int(number)]
    if body.get("sha") != scm.head_sha(pull):
        return 409, {"message": "SHA does not match HEAD of source branch"}
    scm.merge(pull)
    return 200, _gitlab_mr(scm, pull)


_GITLAB = {
    ("POST", r"/merge_requests"): _gl_create,
    ("GET", r"/merge_requests"): _gl_list,
    ("GET", r"/merge_requests/(\d+)"): _gl_get,
    ("GET", r"/merge_requests/(\d+)/approvals"): _gl_approvals,
    ("GET", r"/merge_requests/(\d+)/pipelines"): _gl_pipelines,
    ("PUT", r"/merge_requests/(\d+)/merge"): _gl_merge,
}
