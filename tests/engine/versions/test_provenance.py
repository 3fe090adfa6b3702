from datetime import UTC, datetime
from pathlib import PurePosixPath

from engine.model import ArtifactRef
from engine.plugins import load_plugins
from engine.repository.gitrepo import GitRepo
from engine.session import open_session
from engine.versions.provenance import environment_inputs, pinned_since, versions_at
from tests.gated import env_git
from tests.helpers import git

WORKER = ArtifactRef("image", "ghcr.io/acme/worker")


def test_a_kustomize_environments_inputs_include_the_base_it_builds_on(example_repo):
    session = open_session(example_repo)
    inputs = environment_inputs(example_repo, session.environment("prod"))
    assert inputs == [PurePosixPath("environments/base"), PurePosixPath("environments/prod")]


def test_an_inherited_version_is_dated_by_the_commit_that_changed_the_base(example_repo):
    base = example_repo / "environments/base/worker.yaml"
    base.write_text(base.read_text().replace("worker:2.0.0", "worker:2.0.1"))
    when = datetime(2026, 1, 5, 12, 0, tzinfo=UTC)
    git(example_repo, "add", "--all")
    env_git(example_repo, when.isoformat(), "commit", "--quiet", "-m", "base: worker 2.0.1")
    changed = git(example_repo, "rev-parse", "HEAD").strip()
    # A later commit elsewhere must not restart the clock.
    (example_repo / "README.md").write_text("notes\n")
    git(example_repo, "add", "--all")
    git(example_repo, "commit", "--quiet", "-m", "docs")

    session = open_session(example_repo)
    prod = session.environment("prod")
    since = pinned_since(session.plugins, session.repo, prod, {WORKER: "2.0.1"})
    assert since[WORKER].commit is not None
    assert since[WORKER].commit.sha == changed
    assert since[WORKER].commit.when == when


def test_a_version_the_environment_does_not_run_has_no_start(example_repo):
    session = open_session(example_repo)
    prod = session.environment("prod")
    since = pinned_since(session.plugins, session.repo, prod, {WORKER: "9.9.9"})
    assert since[WORKER].commit is None


def test_versions_at_an_older_commit_render_that_commit(example_repo):
    repo = GitRepo(example_repo)
    first = repo.head()
    base = example_repo / "environments/base/worker.yaml"
    base.write_text(base.read_text().replace("worker:2.0.0", "worker:2.0.1"))
    git(example_repo, "commit", "--quiet", "-am", "bump")
    session = open_session(example_repo)
    prod = session.environment("prod")
    plugins = load_plugins(autoload=False)
    assert versions_at(plugins, repo, prod, first)[WORKER] == "2.0.0"
    assert versions_at(plugins, repo, prod, "HEAD")[WORKER] == "2.0.1"
