"""Pytest plugin: load with `pytest_plugins = ["tests.fake_k8s.fixtures"]` in a conftest."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from .server import FakeApiServer


@pytest.fixture
def fake_k8s() -> Iterator[FakeApiServer]:
    """A started fake API server, fresh per test and stopped afterwards."""
    with FakeApiServer() as server:
        yield server


@pytest.fixture
def fake_kubeconfig(fake_k8s: FakeApiServer, tmp_path: Path) -> Path:
    """Kubeconfig (context "fake", namespace "default") pointing at `fake_k8s`."""
    return fake_k8s.write_kubeconfig(tmp_path / "kubeconfig", context="fake")
