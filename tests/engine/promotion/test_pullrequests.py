"""`promote SRC DST --pr`, `promote pr status`, `promote pr merge`, end to end from the CLI.

A real repository with a bare `file://` remote and the fake GitHub / GitLab of tests/fake_scm;
results are read with plain git and from what the fake host received.
"""

from __future__ import annotations

import hashlib
import re
import socket
from pathlib import Path

import pytest

from tests.fake_scm.fixtures import PROD_PASSWORD, PROD_VERSION, QA_VERSION, PrRepo
from tests.helpers import git

FLAVOURS = ["github", "gitlab"]
PR_BRANCHES = "refs/heads/promote/"


def snapshot(root: Path) -> dict[str, object]:
    """Everything of the user's checkout `--pr` must leave alone."""
    return {
        "head": git(root, "rev-parse", "HEAD"),
        "branch": git(root, "symbolic-ref", "HEAD"),
        "status": git(root, "status", "--porcelain", "--untracked-files=all"),
        "index": git(root, "ls-files", "--stage"),
        "prod": (root / "apps/prod/shop.yaml").read_bytes(),
    }


def remote_branches(remote: Path) -> dict[str, str]:
    out = git(remote, "for-each-ref", "--format=%(refname) %(objectname)", PR_BRANCHES)
    return {
        ref.removeprefix("refs/heads/"): sha
        for ref, sha in (line.split() for line in out.splitlines())
    }


def open_pr(cli, repo: PrRepo) -> dict:
    result = cli(repo.root, "qa", "prod", "--pr", "--output", "json")
    assert result.exit_code == 0, result.stderr
    (hop,) = result.json()["hops"]
    return hop


def digest(value: str) -> str:
    return "sha256:" + hashlib.sha256(value.encode()).hexdigest()[:12]


@pytest.mark.parametrize("flavour", FLAVOURS)
def test_pr_pushes_the_promotion_to_its_own_branch_and_leaves_the_checkout_alone(
    pr_repo, cli, flavour
):
    repo = pr_repo(flavour)
    before = snapshot(repo.root)
    remote_main = git(repo.remote, "rev-parse", "main")

    hop = open_pr(cli, repo)

    assert hop["status"] == "pr-opened"
    branch = f"promote/prod/{hop['promotion_id']}"
    assert remote_branches(repo.remote) == {branch: hop["commit"]}
    commit = hop["commit"]
    assert git(repo.remote, "rev-parse", f"{commit}^").strip() == before["head"].strip()
    trailers = git(repo.remote, "log", "-1", "--format=%(trailers:only,unfold)", commit)
    assert f"Promote-Id: {hop['promotion_id']}" in trailers
    assert "Promote-To: prod" in trailers and "Promote-From: qa" in trailers
    promoted = git(repo.remote, "show", f"{commit}:apps/prod/shop.yaml")
    assert f"image: ghcr.io/acme/shop:{QA_VERSION}" in promoted
    assert snapshot(repo.root) == before
    assert git(repo.remote, "rev-parse", "main") == remote_main
    assert hop["pull_request"]["number"] == 1 and hop["pull_request"]["branch"] == branch


@pytest.mark.parametrize("flavour", FLAVOURS)
def test_the_pull_request_has_base_head_title_and_a_body_with_plan_gates_and_masked_diff(
    pr_repo, cli, flavour
):
    repo = pr_repo(flavour)
    hop = open_pr(cli, repo)

    pull = repo.scm.pulls[hop["pull_request"]["number"]]
    assert (pull.base, pull.head) == ("main", hop["pull_request"]["branch"])
    assert pull.title == git(repo.root, "log", "-1", "--format=%s", hop["commit"]).strip()
    assert hop["pull_request"]["url"].endswith(f"/{pull.number}")
    body = pull.body
    assert f"| ghcr.io/acme/shop | {PROD_VERSION} | **{QA_VERSION}** |" in body
    assert re.search(r"\| approval \| pending \| .*pull request", body)
    assert f"-        image: ghcr.io/acme/shop:{PROD_VERSION}" in body
    assert f"+        image: ghcr.io/acme/shop:{QA_VERSION}" in body
    # The Secret changed (its release annotation): its values shown as digests, never in clear.
    assert f'+    acme.example/release: "{QA_VERSION}"' in body or (
        f"+    acme.example/release: {QA_VERSION}" in body
    )
    assert PROD_PASSWORD not in body and digest(PROD_PASSWORD) in body


@pytest.mark.parametrize("flavour", FLAVOURS)
def test_merge_waits_for_an_approving_review_by_someone_else_then_merges(pr_repo, cli, flavour):
    repo = pr_repo(flavour)
    hop = open_pr(cli, repo)
    number = str(hop["pull_request"]["number"])
    remote_main = git(repo.remote, "rev-parse", "main").strip()

    refused = cli(repo.root, "pr", "merge", number)
    assert refused.exit_code == 3
    assert "approval pending: 0 of 1" in refused.stderr
    repo.scm.review(int(number), repo.scm.pulls[int(number)].author)  # the author's own
    refused = cli(repo.root, "pr", "merge", number)
    assert refused.exit_code == 3
    assert "(the promoter)" in refused.stderr
    assert git(repo.remote, "rev-parse", "main").strip() == remote_main
    assert not repo.scm.calls_to("PUT", "/merge$")

    repo.scm.review(int(number), "alice")
    merged = cli(repo.root, "pr", "merge", hop["pull_request"]["url"], "--output", "json")

    assert merged.exit_code == 0, merged.stderr
    assert merged.json()["merged"] is True
    assert [g["approvers"] for g in merged.json()["gates"]] == [["alice"]]
    tip = git(repo.remote, "rev-parse", "main").strip()
    assert git(repo.remote, "rev-list", "--parents", "-1", tip).split()[1:] == [
        remote_main,
        hop["commit"],
    ]
    (put,) = repo.scm.calls_to("PUT", "/merge$")
    assert put.body["sha"] == hop["commit"]


@pytest.mark.parametrize("flavour", FLAVOURS)
def test_merge_exits_1_while_the_providers_checks_are_not_green(pr_repo, cli, flavour):
    repo = pr_repo(flavour)
    number = open_pr(cli, repo)["pull_request"]["number"]
    repo.scm.review(number, "alice")
    repo.scm.pulls[number].checks = "pending"

    refused = cli(repo.root, "pr", "merge", str(number))
    assert refused.exit_code == 1
    assert "cannot be merged yet: checks pending" in refused.stderr
    repo.scm.pulls[number].checks = "failure"
    assert cli(repo.root, "pr", "merge", str(number)).exit_code == 1
    assert not repo.scm.calls_to("PUT", "/merge$")

    repo.scm.pulls[number].checks = "success"
    assert cli(repo.root, "pr", "merge", str(number)).exit_code == 0
    assert repo.scm.pulls[number].state == "merged"


def test_merge_without_an_approval_gate_still_needs_an_approving_review(pr_repo, cli):
    repo = pr_repo("github", gates="      []\n")
    number = open_pr(cli, repo)["pull_request"]["number"]
    refused = cli(repo.root, "pr", "merge", str(number))
    assert refused.exit_code == 1
    assert "no approving review" in refused.stderr
    repo.scm.review(number, "bob", "CHANGES_REQUESTED")
    repo.scm.review(number, "alice")
    refused = cli(repo.root, "pr", "merge", str(number))
    assert "changes requested by bob" in refused.stderr
    repo.scm.review(number, "bob")
    assert cli(repo.root, "pr", "merge", str(number)).exit_code == 0


@pytest.mark.parametrize("flavour", FLAVOURS)
def test_status_lists_open_promotion_prs_with_plan_gates_and_reviews(pr_repo, cli, flavour):
    repo = pr_repo(flavour)
    hop = open_pr(cli, repo)
    number = hop["pull_request"]["number"]
    repo.scm.review(number, "alice")

    result = cli(repo.root, "pr", "status", "prod", "--output", "json")

    assert result.exit_code == 0, result.stderr
    (shown,) = result.json()["pull_requests"]
    assert (shown["number"], shown["branch"], shown["head"]) == (
        number,
        hop["pull_request"]["branch"],
        hop["commit"],
    )
    moves = {(c["name"], c["old"], c["new"]) for c in shown["plan"]["changes"]}
    assert ("ghcr.io/acme/shop", PROD_VERSION, QA_VERSION) in moves
    assert [(g["gate"], g["outcome"]) for g in shown["gates"]] == [("approval", "passed")]
    assert (shown["approved_by"], shown["mergeable"]) == (["alice"], True)
    assert cli(repo.root, "pr", "status", "qa", "--output", "json").json() == {"pull_requests": []}
    text = cli(repo.root, "pr", "status")
    assert text.exit_code == 0 and f"#{number}" in text.stdout and "alice" in text.stdout


def test_a_merge_after_the_branch_was_changed_by_hand_is_refused(pr_repo, cli, tmp_path):
    repo = pr_repo("github")
    hop = open_pr(cli, repo)
    clone = tmp_path / "someone"
    git(
        tmp_path,
        "clone",
        "--quiet",
        "--branch",
        hop["pull_request"]["branch"],
        str(repo.remote),
        str(clone),
    )
    (clone / "apps/prod/shop.yaml").write_text("# emptied\n")
    git(clone, "commit", "--quiet", "-am", "by hand")
    git(clone, "push", "--quiet", "origin", "HEAD")
    repo.scm.review(1, "alice")

    refused = cli(repo.root, "pr", "merge", "1")

    assert refused.exit_code == 1
    assert "is not the promotion commit" in refused.stderr
    assert repo.scm.pulls[1].state == "open"


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.mark.parametrize("flavour", FLAVOURS)
def test_an_unreachable_provider_is_one_error_exit_1_and_no_branch_is_left(pr_repo, cli, flavour):
    repo = pr_repo(flavour, api_url=f"http://127.0.0.1:{_closed_port()}/api")
    before = snapshot(repo.root)

    result = cli(repo.root, "qa", "prod", "--pr")

    assert result.exit_code == 1
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith("promote: error: cannot reach Git")
    assert remote_branches(repo.remote) == {}
    assert snapshot(repo.root) == before


@pytest.mark.parametrize("flavour", FLAVOURS)
def test_a_bad_token_is_one_error_exit_1_and_no_branch_is_left(pr_repo, cli, flavour, monkeypatch):
    repo = pr_repo(flavour)
    monkeypatch.setenv(f"{flavour.upper()}_TOKEN", "expired")

    result = cli(repo.root, "qa", "prod", "--pr")

    assert result.exit_code == 1
    (line,) = result.stderr.strip().splitlines()
    assert "401 Bad credentials; check the token" in line and "expired" not in line
    assert remote_branches(repo.remote) == {}
    assert repo.scm.pulls == {}


@pytest.mark.parametrize("flavour", FLAVOURS)
def test_a_missing_token_is_exit_2_before_anything_is_pushed(pr_repo, cli, flavour, monkeypatch):
    repo = pr_repo(flavour)
    monkeypatch.delenv(f"{flavour.upper()}_TOKEN")

    result = cli(repo.root, "qa", "prod", "--pr")

    assert result.exit_code == 2
    assert f"{flavour.upper()}_TOKEN is not set" in result.stderr
    assert remote_branches(repo.remote) == {} and repo.scm.calls == []


def test_local_commits_the_remote_lacks_are_refused(pr_repo, cli):
    repo = pr_repo("github")
    (repo.root / "README.md").write_text("unpushed\n")
    git(repo.root, "add", "README.md")
    git(repo.root, "commit", "--quiet", "-m", "not pushed yet")

    result = cli(repo.root, "qa", "prod", "--pr")

    assert result.exit_code == 2
    assert "push them first" in result.stderr
    assert remote_branches(repo.remote) == {} and repo.scm.pulls == {}


def test_pr_with_push_is_a_usage_error(pr_repo, cli):
    repo = pr_repo("github")
    result = cli(repo.root, "qa", "prod", "--pr", "--push")
    assert result.exit_code == 2
    assert "--pr opens one pull request for one hop" in result.stderr
    assert remote_branches(repo.remote) == {} and repo.scm.calls == []


def test_a_failed_gate_opens_no_pull_request(pr_repo, cli):
    repo = pr_repo("github", gates='      - command: ["false"]\n')
    result = cli(repo.root, "qa", "prod", "--pr")
    assert result.exit_code == 3
    assert remote_branches(repo.remote) == {} and repo.scm.pulls == {}


def test_reviewers_outside_the_approvers_globs_do_not_count(pr_repo, cli):
    gate = "      - approval: {from: pull_request, approvers: ['ops-*']}\n"
    repo = pr_repo("gitlab", gates=gate)
    number = open_pr(cli, repo)["pull_request"]["number"]
    repo.scm.review(number, "alice")
    refused = cli(repo.root, "pr", "merge", str(number))
    assert refused.exit_code == 3
    assert "alice (not in approvers)" in refused.stderr
    repo.scm.review(number, "ops-carol")
    assert cli(repo.root, "pr", "merge", str(number)).exit_code == 0


@pytest.mark.parametrize("flavour", FLAVOURS)
def test_the_same_changes_again_point_at_the_open_pull_request_instead_of_a_second(
    pr_repo, cli, flavour
):
    repo = pr_repo(flavour)
    first = open_pr(cli, repo)
    branches = remote_branches(repo.remote)

    again = cli(repo.root, "qa", "prod", "--pr")
    assert again.exit_code == 0, again.stderr
    assert "already open" in again.stdout and first["pull_request"]["url"] in again.stdout
    assert remote_branches(repo.remote) == branches  # nothing pushed
    assert sorted(repo.scm.pulls) == [first["pull_request"]["number"]]

    as_json = open_pr(cli, repo)
    assert as_json["status"] == "pr-already-open"
    assert as_json["promotion_id"] == first["promotion_id"]
    assert as_json["commit"] == first["commit"]


def test_new_versions_in_src_open_a_new_pull_request_beside_the_older_one(pr_repo, cli):
    repo = pr_repo("github")
    first = open_pr(cli, repo)
    shop = repo.root / "apps/qa/shop.yaml"
    shop.write_text(shop.read_text().replace(QA_VERSION, "1.5.0"))
    git(repo.root, "commit", "--quiet", "-am", "qa runs 1.5.0")
    git(repo.root, "push", "--quiet", "origin", "main")

    second = open_pr(cli, repo)

    assert second["status"] == "pr-opened"
    assert second["pull_request"]["number"] != first["pull_request"]["number"]
    assert set(remote_branches(repo.remote)) == {
        first["pull_request"]["branch"],
        second["pull_request"]["branch"],
    }
    proposed = git(repo.remote, "show", f"{second['commit']}:apps/prod/shop.yaml")
    assert "image: ghcr.io/acme/shop:1.5.0" in proposed
