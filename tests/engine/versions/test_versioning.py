from __future__ import annotations

import pytest

from promote.engine.versions.versioning import is_downgrade


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ("3.0", "2.0", True),
        ("2.0", "3.0", False),
        ("v1.9.0", "v1.10.0", False),
        ("1.10.0", "v1.9.0", True),  # a leading v on one side only
        ("1.0.0", "1.0.0-rc.1", True),
        ("1.0.0-alpha.beta", "1.0.0-alpha.1", True),  # SemVer 2.0 §11: numeric < alphanumeric
        ("1.0.0+build.2", "1.0.0+build.1", False),  # build metadata has no precedence
        ("1.25@sha256:" + "a" * 64, "1.24@sha256:" + "b" * 64, True),
        ("latest", "1.0.0", None),
        ("sha256:" + "a" * 64, "sha256:" + "b" * 64, None),
        ("0d52a1c", "9f3e2b7", None),
        (None, "1.0.0", None),
        ("tag v1.5.0", "tag v1.4.2", True),  # a Flux ref shown with its key
        ("tag v1.4.2", "tag v1.5.0", False),
        ("semver >=1.5.0", "semver >=1.4.0", None),  # ranges have no order
        ("tag v1.5.0", "digest sha256:" + "a" * 64, None),
    ],
)
def test_is_downgrade_by_semver_precedence(old, new, expected):
    assert is_downgrade(old, new) is expected
