"""The user's Git hooks run around promotion and approval commits, as `git commit` runs them."""

from __future__ import annotations

from pathlib import Path

from tests.helpers import commit_count, git

QA = "environments/qa"


def install_hook(repo: Path, name: str, script: str, directory: str = ".git/hooks") -> None:
    hook = repo / directory / name
    hook.parent.mkdir(parents=True, exist_ok=True)
    hook.write_text("#!/bin/sh\n" + script, encoding="utf-8")
    hook.chmod(0o755)


def snapshot(repo: Path) -> dict[str, bytes]:
    return {str(p): p.read_bytes() for p in sorted((repo / QA).rglob("*")) if p.is_file()}


def test_a_failing_pre_commit_hook_refuses_the_promotion_and_sees_it_staged(
    example_repo, cli, tmp_path
):
    seen = tmp_path / "pre-commit.log"
    install_hook(
        example_repo,
        "pre-commit",
        f'git diff --cached --name-only > "{seen}"\n'
        f'cat {QA}/podinfo-version.yaml {QA}/kustomization.yaml >> "{seen}"\n'
        'echo "yamllint: environments/qa: line too long" >&2\nexit 1\n',
    )
    head, files = git(example_repo, "rev-parse", "HEAD"), snapshot(example_repo)
    refused = cli(example_repo, "int", "qa", "--yes")
    assert refused.exit_code == 2, refused.stderr
    assert "pre-commit hook refused" in refused.stderr
    assert "yamllint: environments/qa: line too long" in refused.stderr
    assert git(example_repo, "rev-parse", "HEAD") == head
    assert git(example_repo, "status", "--porcelain") == ""
    assert snapshot(example_repo) == files

    # What the hook saw staged, and on disk, is exactly what the promotion then commits.
    landed = cli(example_repo, "int", "qa", "--yes", "--no-verify")
    assert landed.exit_code == 0, landed.stderr
    changed = git(example_repo, "diff", "--name-only", "HEAD~1", "HEAD")
    assert changed.strip() and seen.read_text().startswith(changed)
    committed = git(example_repo, "show", f"HEAD:{QA}/podinfo-version.yaml") + git(
        example_repo, "show", f"HEAD:{QA}/kustomization.yaml"
    )
    assert seen.read_text()[len(changed) :] == committed


def test_commit_msg_may_add_trailers_but_promote_trailers_must_survive(example_repo, cli):
    install_hook(
        example_repo,
        "commit-msg",
        'git interpret-trailers --in-place --trailer "Change-Id: I0123abcd" "$1"\n',
    )
    landed = cli(example_repo, "int", "qa", "--yes")
    assert landed.exit_code == 0, landed.stderr
    trailers = git(example_repo, "log", "-1", "--format=%(trailers:only,unfold)")
    assert "Change-Id: I0123abcd" in trailers.splitlines()
    assert "Promote-To: qa" in trailers.splitlines()

    git(example_repo, "reset", "--quiet", "--hard", "HEAD~1")
    install_hook(example_repo, "commit-msg", "sed -i '/^Promote-Artifact:/d' \"$1\"\n")
    count = commit_count(example_repo)
    refused = cli(example_repo, "int", "qa", "--yes")
    assert refused.exit_code == 2
    assert "commit-msg hook removed or changed" in refused.stderr
    assert "Promote-Artifact: image" in refused.stderr
    assert commit_count(example_repo) == count
    assert git(example_repo, "status", "--porcelain") == ""


def test_post_commit_runs_once_the_branch_and_the_files_moved(example_repo, cli, tmp_path):
    seen = tmp_path / "post-commit.log"
    install_hook(
        example_repo,
        "post-commit",
        f'git rev-parse HEAD > "{seen}"\ngit status --porcelain >> "{seen}"\n'
        'echo "notified the team"\n',
    )
    landed = cli(example_repo, "int", "qa", "--yes")
    assert landed.exit_code == 0, landed.stderr
    assert "notified the team" in landed.stderr
    assert seen.read_text() == git(example_repo, "rev-parse", "HEAD")  # and a clean tree


def test_approvals_run_the_hooks_unless_no_verify(example_repo, cli):
    install_hook(example_repo, "pre-commit", "echo 'approvals are frozen' >&2\nexit 1\n")
    count = commit_count(example_repo)
    refused = cli(example_repo, "approve", "uat", "prod")
    assert refused.exit_code == 2
    assert "approvals are frozen" in refused.stderr
    assert commit_count(example_repo) == count
    approved = cli(example_repo, "approve", "uat", "prod", "--no-verify")
    assert approved.exit_code == 0, approved.stderr
    assert commit_count(example_repo) == count + 1


def test_hooks_in_an_untracked_core_hookspath_run_too(example_repo, cli):
    """husky and friends set a relative core.hooksPath to a directory that is not committed."""
    hooks = example_repo / ".local-hooks"
    hooks.mkdir()
    (hooks / ".gitignore").write_text("*\n")
    git(example_repo, "config", "core.hooksPath", ".local-hooks")
    install_hook(example_repo, "pre-commit", "echo 'lint failed' >&2\nexit 3\n", ".local-hooks")
    refused = cli(example_repo, "int", "qa", "--yes")
    assert refused.exit_code == 2
    assert "pre-commit hook refused the promotion (exit 3)" in refused.stderr
    assert "lint failed" in refused.stderr
