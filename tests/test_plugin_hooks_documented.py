"""Every hook has a docs section and at least one test that names it (datasette's meta-test)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from promote.engine import hookspecs

ROOT = Path(__file__).parents[1]
HOOKS = sorted(name for name in vars(hookspecs) if name.startswith("promote_"))


def test_there_are_hooks():
    assert len(HOOKS) >= 8


@pytest.mark.parametrize("hook", HOOKS)
def test_hook_is_documented(hook):
    docs = (ROOT / "docs/plugin-hooks.md").read_text()
    assert re.search(rf"^## {hook}$", docs, re.MULTILINE), f"docs/plugin-hooks.md lacks ## {hook}"


@pytest.mark.parametrize("hook", HOOKS)
def test_hook_is_tested(hook):
    this = Path(__file__).resolve()
    texts = (p.read_text() for p in (ROOT / "tests").rglob("test_*.py") if p.resolve() != this)
    assert any(hook in text for text in texts), f"no test mentions {hook}"
