from datetime import UTC, datetime
from pathlib import PurePosixPath

from promote.engine.model import ArtifactRef
from promote.engine.plugins import load_plugins
from promote.engine.repository.gitrepo import GitRepo
from promote.engine.session import open_session
from promote.engine.versions.provenance import environment_inputs, pinned_since, versions_at
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


# --- the search on hand-written histories: renders only where the version's lines change ---

WEB = ArtifactRef("image", "ghcr.io/acme/web")
KUSTOMIZATION = "environments/uat/kustomization.yaml"


def _set_web_tag(repo, tag: str | None, label: str | None = None, env: str = "uat") -> None:
    """ENV's `newTag` of web (None: as it is) and a commonLabels line (not a version)."""
    path = repo / f"environments/{env}/kustomization.yaml"
    text = path.read_text().split("\ncommonLabels:")[0]
    lines = text.splitlines()
    at = lines.index("  - name: ghcr.io/acme/web") + 1
    lines[at] = f"    newTag: {tag}" if tag else lines[at]
    label_lines = f"\ncommonLabels:\n  edit: '{label}'\n" if label else "\n"
    path.write_text("\n".join(lines) + label_lines)


def _hand_commit(repo, message: str, hour: int) -> str:
    git(repo, "add", "--all")
    env_git(repo, f"2026-02-01T{hour:02d}:00:00+00:00", "commit", "--quiet", "-m", message)
    return git(repo, "rev-parse", "HEAD").strip()


def _counting_renders(monkeypatch) -> list[str]:
    """The revisions rendered by the search, in the order asked."""
    from promote.engine.versions import provenance

    rendered: list[str] = []
    original = provenance.versions_at

    def counted(plugins, repo, env, rev, inputs=()):
        rendered.append(rev)
        return original(plugins, repo, env, rev, inputs)

    monkeypatch.setattr(provenance, "versions_at", counted)
    return rendered


def _uat_since(repo, version: str):
    session = open_session(repo)
    since = pinned_since(session.plugins, session.repo, session.environment("uat"), {WEB: version})
    return since[WEB].commit


def test_relabelling_the_file_that_pins_the_version_renders_nothing_more(example_repo, monkeypatch):
    _set_web_tag(example_repo, "1.4.0")
    arrived = _hand_commit(example_repo, "uat: web 1.4.0", 1)
    for n in range(8):
        _set_web_tag(example_repo, "1.4.0", label=f"n{n}")
        _hand_commit(example_repo, f"uat: label {n}", 2 + n)
    rendered = _counting_renders(monkeypatch)
    since = _uat_since(example_repo, "1.4.0")
    assert since is not None and since.sha == arrived
    assert git(example_repo, "log", "-1", "--format=%s", since.sha).strip() == "uat: web 1.4.0"
    # HEAD, and the commit before the one that wrote `newTag: 1.4.0`: not one per label commit.
    assert rendered == ["HEAD", git(example_repo, "rev-parse", f"{arrived}~1").strip()]


def test_a_version_that_went_away_and_came_back_is_dated_by_its_return(example_repo):
    _set_web_tag(example_repo, "1.4.0")
    _hand_commit(example_repo, "uat: web 1.4.0", 1)
    _set_web_tag(example_repo, "1.4.0", label="a")
    _hand_commit(example_repo, "uat: label a", 2)
    _set_web_tag(example_repo, "1.5.0", label="a")
    _hand_commit(example_repo, "uat: web 1.5.0", 3)
    _set_web_tag(example_repo, "1.4.0", label="a")
    back = _hand_commit(example_repo, "uat: back to web 1.4.0", 4)
    _set_web_tag(example_repo, "1.4.0", label="b")
    _hand_commit(example_repo, "uat: label b", 5)
    since = _uat_since(example_repo, "1.4.0")
    assert since is not None and since.sha == back


def test_a_version_moved_to_another_file_keeps_its_date(example_repo):
    """The lines naming the version are removed and added again: rendered, found unchanged."""
    _set_web_tag(example_repo, "1.4.0")
    arrived = _hand_commit(example_repo, "uat: web 1.4.0", 1)
    git(example_repo, "mv", KUSTOMIZATION, "environments/uat/kustomization.yml")
    _hand_commit(example_repo, "uat: kustomization.yml", 2)
    since = _uat_since(example_repo, "1.4.0")
    assert since is not None and since.sha == arrived


def test_an_inherited_version_is_dated_past_commits_that_only_touch_the_overlay(
    example_repo, monkeypatch
):
    base = example_repo / "environments/base/worker.yaml"
    base.write_text(base.read_text().replace("worker:2.0.0", "worker:2.0.1"))
    changed = _hand_commit(example_repo, "base: worker 2.0.1", 1)
    for n in range(3):
        _set_web_tag(example_repo, None, label=f"n{n}", env="prod")
        _hand_commit(example_repo, f"prod: label {n}", 2 + n)
    rendered = _counting_renders(monkeypatch)
    session = open_session(example_repo)
    prod = session.environment("prod")
    since = pinned_since(session.plugins, session.repo, prod, {WORKER: "2.0.1"})
    assert since[WORKER].commit is not None and since[WORKER].commit.sha == changed
    assert rendered == ["HEAD", git(example_repo, "rev-parse", f"{changed}~1").strip()]
