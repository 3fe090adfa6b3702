"""The built-in `scm` plugins against the fake GitHub / GitLab: requests, answers, refusals."""

from __future__ import annotations

import re

import pytest

from promote.engine.errors import ScmError, UsageError
from promote.engine.interfaces import PullRequests
from promote.engine.plugins import hookimpl, load_plugins
from promote.engine.registry import Registry
from tests.fake_scm import TOKEN, FakeScm
from tests.helpers import git

FLAVOURS = ["github", "gitlab"]


@pytest.fixture(params=FLAVOURS)
def host(request, pr_repo) -> tuple[FakeScm, PullRequests, str]:
    """The fake host, a connected client, and a branch on the remote to propose."""
    repo = pr_repo(request.param)
    git(repo.remote, "branch", "promote/prod/one", "main")
    settings = {"repository": "acme/deploy", "api_url": repo.scm.api_url}
    client = load_plugins(autoload=False).scms.get(request.param).connect(settings)
    return repo.scm, client, git(repo.remote, "rev-parse", "main").strip()


def test_the_built_in_hosts_are_registered_through_promote_register_scms():
    plugins = load_plugins(autoload=False)
    assert plugins.scms.names() == ["github", "gitlab"]
    assert plugins.scms.plugin_of("github") == "promote.plugins.scm.github"


def test_a_third_party_host_registers_like_the_built_ins():
    class Plugin:
        @hookimpl
        def promote_register_scms(self, register: Registry) -> None:
            register("gitea", object())

    plugins = load_plugins(autoload=False)
    plugins.pm.register(Plugin(), name="gitea-plugin")
    assert "gitea" in plugins.scms and plugins.scms.plugin_of("gitea") == "gitea-plugin"


def test_create_get_and_list(host):
    _scm, client, sha = host
    made = client.create("promote/prod/one", "main", "promote(prod): web 1 → 2", "the body")
    assert (made.number, made.head_branch, made.head_sha, made.base_branch) == (
        1,
        "promote/prod/one",
        sha,
        "main",
    )
    assert (made.author, made.state, made.body) == ("pat", "open", "the body")
    assert client.get(1) == made
    assert client.list_open() == [made]


def test_reviews_and_checks(host):
    scm, client, _sha = host
    made = client.create("promote/prod/one", "main", "t", "b")
    assert client.review_state(made).approvers == ()
    assert client.review_state(made).checks == "none"
    scm.review(1, "alice")
    scm.review(1, "alice")  # twice: one approver
    scm.pulls[1].checks = "failure"
    state = client.review_state(made)
    assert (state.approvers, state.checks) == (("alice",), "failure")
    scm.pulls[1].checks = "success"
    assert client.review_state(made).checks == "success"


def test_merge_sends_the_head_it_checked_and_a_moved_head_is_refused(host):
    scm, client, sha = host
    made = client.create("promote/prod/one", "main", "t", "b")
    moved = git(scm.remote, "commit-tree", "main^{tree}", "-p", sha, "-m", "moved").strip()
    git(scm.remote, "update-ref", "refs/heads/promote/prod/one", moved)
    with pytest.raises(ScmError) as refused:
        client.merge(made)
    assert refused.value.status == 409
    client.merge(client.get(1))
    assert scm.pulls[1].state == "merged"
    assert client.list_open() == []


def test_a_missing_repository_or_token_is_a_usage_error(monkeypatch, pr_repo):
    scms = load_plugins(autoload=False).scms
    with pytest.raises(UsageError, match=re.escape("set `scm: {repository: ...}`")):
        scms.get("github").connect({})
    monkeypatch.delenv("GITLAB_TOKEN", raising=False)
    with pytest.raises(UsageError, match="GITLAB_TOKEN is not set"):
        scms.get("gitlab").connect({"repository": "a/b"})


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("git@github.com:acme/deploy.git", ("github", {"repository": "acme/deploy"})),
        ("https://github.com/acme/deploy", ("github", {"repository": "acme/deploy"})),
        (
            "ssh://git@gitlab.example.com:2222/platform/apps/deploy.git",
            (
                "gitlab",
                {
                    "repository": "platform/apps/deploy",
                    "api_url": "https://gitlab.example.com/api/v4",
                },
            ),
        ),
        ("https://git.example.com/acme/deploy.git", None),
    ],
)
def test_the_host_is_recognised_from_the_remote_url(url, expected):
    from promote.engine.repository.scm import host_and_path

    plugins = load_plugins(autoload=False)
    host, path = host_and_path(url)
    found = [
        (r.name, settings)
        for r in plugins.scms
        if (settings := r.item.settings_for_remote(host, path)) is not None
    ]
    assert found == ([expected] if expected else [])


def test_the_token_is_never_in_an_error(host):
    _scm, client, _sha = host
    with pytest.raises(ScmError) as failed:
        client.get(99)
    assert failed.value.status == 404 and TOKEN not in str(failed.value)


def test_promote_plugins_shows_the_code_hosts(cli, tmp_path):
    result = cli(tmp_path, "plugins", "--output", "json")
    assert result.exit_code == 0, result.stderr
    registers = {p["name"]: p["registers"] for p in result.json()["plugins"]}
    assert registers["promote.plugins.scm.github"] == ["scm github"]
    assert registers["promote.plugins.scm.gitlab"] == ["scm gitlab"]
