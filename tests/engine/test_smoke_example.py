from tests.helpers import commit_count, git


def test_promote_uat_prod_on_the_example_lands_one_commit(example_repo, cli):
    before = commit_count(example_repo)
    result = cli(example_repo, "uat", "prod", "--yes")
    assert result.exit_code == 0, result.stderr
    assert commit_count(example_repo) == before + 1
    trailers = git(example_repo, "log", "-1", "--format=%(trailers:key=Promote-To,valueonly)")
    assert trailers.strip() == "prod"
