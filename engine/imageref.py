"""Container image references: `[registry/]repository[:tag][@digest]`.

An image's *version* is its tag, its digest, or `tag@digest` when both are pinned.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ImageRef:
    name: str
    tag: str | None = None
    digest: str | None = None

    @classmethod
    def parse(cls, reference: str) -> ImageRef:
        rest, _, digest = reference.partition("@")
        slash = rest.rfind("/")
        colon = rest.rfind(":")
        if colon > slash:
            return cls(rest[:colon], rest[colon + 1 :] or None, digest or None)
        return cls(rest, None, digest or None)

    @property
    def version(self) -> str:
        return join_version(self.tag, self.digest)

    def with_version(self, version: str) -> str:
        tag, digest = split_version(version)
        return self.name + (f":{tag}" if tag else "") + (f"@{digest}" if digest else "")


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
