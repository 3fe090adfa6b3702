"""Image references compared the way the container runtime does.

The expected values are derived by hand from the Docker/OCI reference grammar (distribution's
`ParseNormalizedNamed`): the first path component is a registry only when it holds `.` or `:`,
is `localhost`, or has an uppercase letter; otherwise the registry is `docker.io`, and a Docker
Hub name of one component lives under `library/`; `index.docker.io` is `docker.io`.
"""

from __future__ import annotations

import pytest

from promote.engine.versions.imageref import ImageRef, familiar_name, name_matches, normalize_name

DIGEST = "sha256:" + "0123456789abcdef" * 4

REFERENCES = [
    # reference as written, normalised name, version
    ("nginx", "docker.io/library/nginx", "latest"),
    ("nginx:1.25", "docker.io/library/nginx", "1.25"),
    ("library/nginx:1.25", "docker.io/library/nginx", "1.25"),
    ("docker.io/nginx:1.25", "docker.io/library/nginx", "1.25"),
    ("docker.io/library/nginx:1.25", "docker.io/library/nginx", "1.25"),
    ("index.docker.io/library/nginx:1.25", "docker.io/library/nginx", "1.25"),
    ("index.docker.io/nginx", "docker.io/library/nginx", "latest"),
    ("bitnami/redis:7.2", "docker.io/bitnami/redis", "7.2"),
    ("docker.io/bitnami/redis:7.2", "docker.io/bitnami/redis", "7.2"),
    ("ghcr.io/acme/web:1.2.3", "ghcr.io/acme/web", "1.2.3"),
    ("ghcr.io/acme/team/web", "ghcr.io/acme/team/web", "latest"),
    ("quay.io/prometheus/node-exporter:v1.8.2", "quay.io/prometheus/node-exporter", "v1.8.2"),
    # a single component is a repository, never a registry, even when it reads like one
    ("localhost", "docker.io/library/localhost", "latest"),
    ("localhost/app:1", "localhost/app", "1"),
    # a port makes a registry; the port is never a tag
    ("localhost:5000/app", "localhost:5000/app", "latest"),
    ("localhost:5000/app:2.0", "localhost:5000/app", "2.0"),
    ("myregistry:5000/team/api:3", "myregistry:5000/team/api", "3"),
    ("reg.example.com:5000/a/b:1", "reg.example.com:5000/a/b", "1"),
    ("127.0.0.1:5000/app:1", "127.0.0.1:5000/app", "1"),
    ("[::1]:5000/app", "[::1]:5000/app", "latest"),
    # tag and digest are both kept
    (f"nginx@{DIGEST}", "docker.io/library/nginx", DIGEST),
    (f"nginx:1.25@{DIGEST}", "docker.io/library/nginx", f"1.25@{DIGEST}"),
    (f"reg.example.com:5000/a/b@{DIGEST}", "reg.example.com:5000/a/b", DIGEST),
    (f"localhost:5000/app:2.0@{DIGEST}", "localhost:5000/app", f"2.0@{DIGEST}"),
    # paths are lowercase in the grammar: an uppercase first component can only be a registry
    ("Registry/app:1", "Registry/app", "1"),
]


@pytest.mark.parametrize(("reference", "normalized", "version"), REFERENCES)
def test_references_normalise_as_the_runtime_pulls_them(reference, normalized, version):
    image = ImageRef.parse(reference)
    assert image.normalized == normalized
    assert image.version == version


@pytest.mark.parametrize(("reference", "normalized", "_version"), REFERENCES)
def test_normalising_is_idempotent(reference, normalized, _version):
    assert normalize_name(normalized) == normalized


@pytest.mark.parametrize(
    ("reference", "new_version", "written"),
    [
        ("nginx:1.24", "1.25", "nginx:1.25"),
        ("docker.io/library/nginx:1.24", "1.25", "docker.io/library/nginx:1.25"),
        ("index.docker.io/nginx", "1.25", "index.docker.io/nginx:1.25"),
        ("localhost:5000/app", "2.0", "localhost:5000/app:2.0"),
        ("reg.example.com:5000/a/b:1", f"2@{DIGEST}", f"reg.example.com:5000/a/b:2@{DIGEST}"),
        (f"nginx:1.24@{DIGEST}", "1.25", "nginx:1.25"),
    ],
)
def test_a_new_version_keeps_the_name_as_written(reference, new_version, written):
    assert ImageRef.parse(reference).with_version(new_version) == written


@pytest.mark.parametrize(
    ("reference", "normalized"),
    [
        ("ghcr.io/Acme/Web:1", "ghcr.io/Acme/Web"),
        ("Nginx:1", "docker.io/library/Nginx"),
        ("docker.io/Library/Nginx:1", "docker.io/Library/Nginx"),
        ("Registry/App", "Registry/App"),
    ],
)
def test_nothing_is_lowercased(reference, normalized):
    # Invalid for the runtime, but a file's spelling is the user's: never silently changed.
    image = ImageRef.parse(reference)
    assert image.normalized == normalized
    assert image.with_version("2") == reference.partition(":")[0] + ":2"


@pytest.mark.parametrize(
    ("name", "familiar"),
    [
        ("docker.io/library/nginx", "nginx"),
        ("docker.io/bitnami/redis", "bitnami/redis"),
        ("docker.io/library/team/app", "library/team/app"),
        ("ghcr.io/acme/web", "ghcr.io/acme/web"),
        ("localhost:5000/app", "localhost:5000/app"),
    ],
)
def test_familiar_names_are_what_docker_prints(name, familiar):
    assert familiar_name(name) == familiar


@pytest.mark.parametrize(
    ("name", "pattern", "matches"),
    [
        ("docker.io/library/nginx", "nginx", True),
        ("docker.io/library/nginx", "library/nginx", True),
        ("docker.io/library/nginx", "docker.io/library/nginx", True),
        ("docker.io/library/nginx", "index.docker.io/library/nginx", True),
        ("docker.io/library/nginx", "ngin*", True),
        ("docker.io/library/nginx", "docker.io/*", True),
        ("docker.io/library/nginx", "*", True),
        ("docker.io/library/nginx", "redis", False),
        ("docker.io/library/nginx", "nginx-*", False),
        ("docker.io/bitnami/redis", "bitnami/*", True),
        ("docker.io/bitnami/redis", "redis", False),  # that is docker.io/library/redis
        ("ghcr.io/acme/web", "ghcr.io/acme/*", True),
        ("ghcr.io/acme/web", "acme/web", False),  # that is docker.io/acme/web
        ("localhost:5000/app", "localhost:5000/app", True),
        ("localhost:5000/app", "app", False),
    ],
)
def test_only_patterns_name_images_as_users_write_them(name, pattern, matches):
    assert name_matches(name, pattern) is matches
