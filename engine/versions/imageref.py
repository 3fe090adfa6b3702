"""Container image references: `[registry/]repository[:tag][@digest]`.

An image's *version* is its tag, its digest, or `tag@digest` when both are pinned.

Two spellings name the same image when the container runtime pulls the same thing for both:
`nginx`, `library/nginx`, `docker.io/library/nginx` and `index.docker.io/library/nginx` are one
image. `normalize_name` applies the rules of the Docker/OCI reference grammar (those of
`ParseNormalizedNamed` in distribution/reference, which Docker and containerd use); the name as
written is kept for writing back, so a file never changes spelling.
"""

from __future__ import annotations

from dataclasses import dataclass
from fnmatch import fnmatchcase

DOCKER_HUB = "docker.io"
LEGACY_DOCKER_HUB = "index.docker.io"
OFFICIAL_IMAGES = "library/"


@dataclass(frozen=True)
class ImageRef:
    name: str  # as written: `nginx`, `localhost:5000/app`
    tag: str | None = None
    digest: str | None = None

    @classmethod
    def parse(cls, reference: str) -> ImageRef:
        rest, _, digest = reference.partition("@")
        slash = rest.rfind("/")
        colon = rest.rfind(":")
        if colon > slash:  # a colon before the last slash is a registry's port, never a tag
            return cls(rest[:colon], rest[colon + 1 :] or None, digest or None)
        return cls(rest, None, digest or None)

    @property
    def normalized(self) -> str:
        return normalize_name(self.name)

    @property
    def version(self) -> str:
        return join_version(self.tag, self.digest)

    def with_version(self, version: str) -> str:
        tag, digest = split_version(version)
        return self.name + (f":{tag}" if tag else "") + (f"@{digest}" if digest else "")


def normalize_name(name: str) -> str:
    """The full name the runtime pulls: `nginx` → `docker.io/library/nginx`.

    The first path component is a registry only if it contains `.` or `:`, is `localhost`, or
    has an uppercase letter (repository paths are lowercase, so it cannot be one). Nothing is
    lowercased: an invalid name stays as invalid as it was written.
    """
    first, slash, rest = name.partition("/")
    if slash and (any(c in first for c in ".:") or first == "localhost" or first != first.lower()):
        registry, path = first, rest
    else:
        registry, path = DOCKER_HUB, name
    if registry == LEGACY_DOCKER_HUB:
        registry = DOCKER_HUB
    if registry == DOCKER_HUB and "/" not in path:
        path = OFFICIAL_IMAGES + path
    return f"{registry}/{path}"


def familiar_name(name: str) -> str:
    """The short form `docker` prints: `docker.io/library/nginx` → `nginx`, `ghcr.io/a/b` as is."""
    normalized = normalize_name(name)
    if not normalized.startswith(DOCKER_HUB + "/"):
        return normalized
    path = normalized.removeprefix(DOCKER_HUB + "/")
    official = path.removeprefix(OFFICIAL_IMAGES)
    return path if "/" in official else official


def name_matches(name: str, pattern: str) -> bool:
    """Whether a glob, spelled the way users write images, names the image `name`.

    `nginx`, `docker.io/library/nginx`, `library/nginx` and `nginx*` all name `nginx`.
    """
    normalized = normalize_name(name)
    candidates = (normalized, familiar_name(normalized))
    return any(fnmatchcase(c, pattern) for c in candidates) or fnmatchcase(
        normalized, normalize_name(pattern)
    )


def split_version(version: str) -> tuple[str | None, str | None]:
    """`1.2@sha256:ab` → ('1.2', 'sha256:ab'); a bare digest has no tag."""
    if "@" in version:
        tag, _, digest = version.partition("@")
        return tag or None, digest or None
    if ":" in version:  # tags cannot hold a colon, digests always do
        return None, version
    return version or None, None


def join_version(tag: str | None, digest: str | None) -> str:
    if tag and digest:
        return f"{tag}@{digest}"
    return digest or tag or "latest"
