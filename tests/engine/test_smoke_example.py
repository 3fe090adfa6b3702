from tests.helpers import commit_count, git


def test_promote_uat_prod_on_the_example_lands_one_commit_after_one_approval(example_repo, cli):
    before = commit_count(example_repo)
    blocked = cli(example_repo, "uat", "prod", "--yes")
    assert blocked.exit_code == 3, blocked.stderr
    assert commit_count(example_repo) == before

    assert cli(example_repo, "approve", "uat", "prod").exit_code == 0
    result = cli(example_repo, "uat", "prod", "--yes")
    assert result.exit_code == 0, result.stderr
    assert commit_count(example_repo) == before + 2  # the approval and the promotion
    trailers = git(example_repo, "log", "-1", "--format=%(trailers:key=Promote-To,valueonly)")
    assert trailers.strip() == "prod"
    approvers = git(
        example_repo, "log", "-1", "--format=%(trailers:key=Promote-Approved-By,valueonly)"
    )
    assert approvers.strip() == "pat@example.com"


def test_qa_to_uat_passes_the_examples_command_gate(example_repo, cli):
    result = cli(example_repo, "qa", "uat", "--yes", "--output", "json")
    assert result.exit_code == 0, result.stderr
    (gate,) = result.json()["hops"][0]["gates"]
    assert (gate["gate"], gate["outcome"]) == ("command", "passed")
