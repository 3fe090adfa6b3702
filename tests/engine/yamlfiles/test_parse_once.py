"""A promotion parses each YAML text once, whatever reads it (sources, the plain renderer, the
check of the new commit); the plain data copied from a round-trip parse is what a safe parse of
the same text gives."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
from ruamel.yaml import YAML

from promote.engine.yamlfiles.yamlio import load_round_trip, plain_copy
from tests.helpers import git

DATA = Path(__file__).parents[2] / "data"

GRAPH = """\
environments:
  uat:
    path: envs/uat
    renderer: plain
  prod:
    path: envs/prod
    from: [uat]
    renderer: plain
"""

DEPLOYMENT = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {name}
  namespace: {env}
spec:
  template:
    spec:
      containers:
        - name: {name}
          image: ghcr.io/acme/{name}:{version}
"""

MARKED = """\
apiVersion: v1
kind: ConfigMap
metadata:
  name: versions
  namespace: {env}
data:
  chart: "{version}" # {{"$promote": "chart:podinfo"}}
"""


def environment(env: str, version: str) -> dict[str, str]:
    """Files whose texts differ from the other environment's by their namespace at least."""
    files = {
        f"envs/{env}/{name}.yaml": DEPLOYMENT.format(name=name, env=env, version=version)
        for name in ("web", "worker", "cron")
    }
    # A marker (read with comments) naming what both run: a version rendering cannot show
    # sends the check of the commit to the pins, which reads changed files a second time.
    files[f"envs/{env}/versions.yaml"] = MARKED.format(env=env, version="2.0.0")
    files[f"envs/{env}/unchanged.yaml"] = DEPLOYMENT.format(name="static", env=env, version="0.1")
    return files


@pytest.fixture
def parsed(monkeypatch: pytest.MonkeyPatch) -> Counter[str]:
    """How often ruamel parsed each text (the library's own entry point, counted)."""
    counts: Counter[str] = Counter()
    load_all = YAML.load_all

    def counted(self, stream, *args, **kwargs):
        counts[str(stream)] += 1
        return load_all(self, stream, *args, **kwargs)

    monkeypatch.setattr(YAML, "load_all", counted)
    return counts


def test_a_promotion_parses_each_file_once(make_repo, cli, parsed):
    src, dst = environment("uat", "1.4.0"), environment("prod", "1.3.0")
    repo = make_repo({"environments/graph.yaml": GRAPH, **src, **dst})

    result = cli(repo, "uat", "prod", "--yes")

    assert result.exit_code == 0, result.stderr
    for path, text in dst.items():
        promoted = git(repo, "show", f"HEAD:{path}")
        assert promoted == text.replace("1.3.0", "1.4.0")
    texts = [*src.values(), *dst.values()]
    texts += [text.replace("1.3.0", "1.4.0") for text in dst.values()]
    assert {text: parsed[text] for text in texts} == {text: 1 for text in texts}


def fixture_texts() -> list[Path]:
    return sorted(p for p in DATA.rglob("*") if p.suffix in (".yaml", ".yml") and p.is_file())


def typed(value):
    """`value` with the type of every part spelled out, so that 1 and True and 1.0 differ."""
    if isinstance(value, dict):
        return ("map", [(typed(k), typed(v)) for k, v in value.items()])
    if isinstance(value, list):
        return ("seq", [typed(item) for item in value])
    return (type(value).__name__, value)


def test_plain_copies_of_every_fixture_are_what_a_safe_parse_gives():
    copied = 0
    for path in fixture_texts():
        text = path.read_text(encoding="utf-8")
        try:
            expected = [d for d in YAML(typ="safe", pure=True).load_all(text) if d is not None]
            documents = load_round_trip(text, path.name)
        except Exception:  # a fixture of bad input: nothing to compare
            continue
        copy = plain_copy(documents)
        if copy is not None:
            copied += 1
            assert typed(copy) == typed(expected), path
    assert copied > 50  # most fixtures are plain YAML


@pytest.mark.parametrize(
    "text",
    [
        "base: &base {a: 1}\nderived:\n  <<: *base\n  b: 2\n",  # merged keys come first in safe
        "when: 2024-05-01\n",
        "secret: !!binary aGk=\n",
        "ref: !Ref bucket\n",
    ],
)
def test_what_only_a_new_parse_gets_right_is_not_copied(text):
    assert plain_copy(load_round_trip(text, "x.yaml")) is None


def test_an_alias_stays_one_object_as_in_a_safe_parse():
    (copy,) = plain_copy(load_round_trip("a: &x {b: [1, 0x1F, yes, 1.50]}\nc: *x\n", "x.yaml"))
    assert copy == {"a": {"b": [1, 31, "yes", 1.5]}, "c": {"b": [1, 31, "yes", 1.5]}}
    assert copy["a"] is copy["c"]
