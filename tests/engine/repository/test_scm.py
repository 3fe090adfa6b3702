"""graph.yaml's `scm:` mapping: checked with file:line:column, or the host taken from the remote."""

from __future__ import annotations

import pytest

from tests.fake_scm.fixtures import APPROVAL_GATE
from tests.helpers import git


def line_of(root, text: str) -> int:
    lines = (root / "environments/graph.yaml").read_text().splitlines()
    return next(number for number, line in enumerate(lines, 1) if text in line)


def rewrite_graph(root, old: str, new: str) -> None:
    graph = root / "environments/graph.yaml"
    graph.write_text(graph.read_text().replace(old, new))
    git(root, "commit", "--quiet", "-am", "graph: edited")


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ("provider: github", "provider: bitbucket", "unknown code host 'bitbucket'"),
        ("repository: acme/deploy", "repository: acme", "does not match"),
        ("  api_url:", "  token: x\n  api_url:", "unknown key 'token'"),
        ("api_url: http", "api_url: ftp", "does not match"),
        # The host's own check (GitHub has no subgroups) is reported at the provider.
        ("acme/deploy\n", "acme/apps/deploy\n", "expected OWNER/NAME on GitHub"),
    ],
)
def test_a_bad_scm_mapping_is_exit_2_with_its_location(pr_repo, cli, old, new, message):
    repo = pr_repo("github")
    rewrite_graph(repo.root, old, new)
    shown = new.split("\n")[0].strip().split(":")[0] if ":" in new else "provider:"

    result = cli(repo.root, "qa", "prod", "--pr")

    assert result.exit_code == 2
    assert message in result.stderr
    assert f"environments/graph.yaml:{line_of(repo.root, shown)}:3: " in result.stderr
    assert repo.scm.calls == []


def test_without_scm_a_remote_no_host_recognises_is_exit_2(pr_repo, cli):
    repo = pr_repo("github")
    graph = repo.root / "environments/graph.yaml"
    text = graph.read_text()
    graph.write_text(text[text.index("environments:") :])
    git(repo.root, "commit", "--quiet", "-am", "graph: no scm")
    git(repo.root, "push", "--quiet", "origin", "main")

    result = cli(repo.root, "qa", "prod", "--pr")

    assert result.exit_code == 2
    assert "cannot tell which code host serves the remote" in result.stderr
    assert "scm: {provider: github" in result.stderr


def test_the_approval_gate_takes_its_approvals_from_git_or_pull_request(pr_repo, cli):
    repo = pr_repo("github", gates=APPROVAL_GATE.replace("pull_request", "slack"))
    result = cli(repo.root, "qa", "prod", "--pr")
    assert result.exit_code == 2
    assert "from: expected one of git, pull_request, got 'slack'" in result.stderr


def test_approvals_from_pull_requests_never_pass_a_direct_promotion(pr_repo, cli):
    repo = pr_repo("github")
    result = cli(repo.root, "qa", "prod", "--yes", "--output", "json")
    assert result.exit_code == 3
    (gate,) = result.json()["hops"][0]["gates"]
    assert gate["outcome"] == "pending" and "--pr" in gate["reason"]
