"""A fake GitHub / GitLab REST server on 127.0.0.1 for the `scm` plugins and `promote --pr`."""

from .server import TOKEN, FakeScm

__all__ = ["TOKEN", "FakeScm"]
