"""A fake Kubernetes API server for tests that drive the real `kubernetes` client."""

from .server import FakeApiServer, RecordedRequest

__all__ = ["FakeApiServer", "RecordedRequest"]
