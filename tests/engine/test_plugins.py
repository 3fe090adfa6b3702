"""The plugin manager: built-ins registered like third-party plugins, registries, event hooks."""

from __future__ import annotations

from pathlib import PurePosixPath
from typing import Any

import pytest

from promote.engine import plugins as plugin_module
from promote.engine.errors import PluginError
from promote.engine.model import Environment, Outcome, Verdict
from promote.engine.plugins import hookimpl, load_plugins, make_plugin_manager


def test_every_built_in_is_registered_under_its_module_name():
    pm = make_plugin_manager(autoload=False)
    names = {pm.get_name(p) for p in pm.get_plugins()}
    assert set(plugin_module.DEFAULT_PLUGINS) <= names


def test_registries_hold_what_the_built_ins_register():
    loaded = load_plugins(autoload=False)
    assert {"kustomize-images", "container-images", "flux", "argocd", "markers"} <= set(
        loaded.sources.names()
    )
    assert {"plain", "kustomize"} <= set(loaded.renderers.names())
    assert loaded.sources.plugin_of("flux") == "promote.plugins.flux"


class Recorder:
    """A third-party-style plugin object implementing every kind of hook."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, Any]] = []

    @hookimpl
    def promote_register_sources(self, register):
        self.calls.append(("promote_register_sources", None))

    @hookimpl
    def promote_register_renderers(self, register):
        from promote.plugins.renderers import Plain

        register("copy-of-plain", Plain())

    @hookimpl
    def promote_register_gates(self, register):
        register("always", AlwaysPasses())

    @hookimpl
    def promote_register_targets(self, register):
        self.calls.append(("promote_register_targets", None))

    @hookimpl
    def promote_plan_ready(self, plan):
        self.calls.append(("promote_plan_ready", plan.dst))

    @hookimpl
    def promote_gates_evaluated(self, plan, verdicts):
        self.calls.append(("promote_gates_evaluated", [v.gate for v in verdicts]))

    @hookimpl
    def promote_promoted(self, plan, commit, promotion_id):
        self.calls.append(("promote_promoted", promotion_id))


class AlwaysPasses:
    def check_options(self, options: Any) -> str | None:
        return None if options is True else "expected true"

    def evaluate(self, context: Any, options: Any) -> Verdict:
        return Verdict("always", Outcome.PASSED, f"{context.src.name} is fine")


@pytest.fixture
def recorder(monkeypatch):
    instance = Recorder()
    real = plugin_module.make_plugin_manager

    def with_recorder(*, autoload=None):
        pm = real(autoload=autoload)
        pm.register(instance, name="recorder")
        return pm

    monkeypatch.setattr(plugin_module, "make_plugin_manager", with_recorder)
    return instance


GRAPH = """
environments:
  qa: {path: envs/qa, renderer: copy-of-plain}
  prod: {path: envs/prod, from: [qa], renderer: copy-of-plain, gates: [{always: true}]}
"""
CM = 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\ndata:\n  V: "1" # {"$promote": "v"}\n'


def test_a_promotion_calls_every_event_hook_in_order(make_repo, cli, recorder):
    repo = make_repo(
        {
            "environments/graph.yaml": GRAPH,
            "envs/qa/a.yaml": CM.replace('"1"', '"2"'),
            "envs/prod/a.yaml": CM,
        }
    )
    result = cli(repo, "qa", "prod", "--yes", "--output", "json")
    assert result.exit_code == 0, result.stderr
    hop = result.json()["hops"][0]
    events = [c for c in recorder.calls if not c[0].startswith("promote_register")]
    assert events == [
        ("promote_plan_ready", "prod"),
        ("promote_gates_evaluated", ["always"]),
        ("promote_promoted", hop["promotion_id"]),
    ]
    assert ("promote_register_sources", None) in recorder.calls
    assert ("promote_register_targets", None) not in recorder.calls  # filled only when needed
    _ = plugin_module.load_plugins(autoload=False).targets
    assert ("promote_register_targets", None) in recorder.calls
    assert hop["gates"] == [
        {"gate": "always", "outcome": "passed", "reason": "qa is fine", "approvers": []}
    ]


def test_invalid_gate_options_are_a_config_error(make_repo, cli, recorder):
    repo = make_repo(
        {
            "environments/graph.yaml": GRAPH.replace("always: true", "always: 3"),
            "envs/qa/a.yaml": CM,
            "envs/prod/a.yaml": CM,
        }
    )
    result = cli(repo, "status")
    assert result.exit_code == 2
    assert "environments/graph.yaml:3:" in result.stderr and "expected true" in result.stderr


def test_a_name_registered_twice_names_both_plugins():
    class Clash:
        @hookimpl
        def promote_register_renderers(self, register):
            register("plain", object())

    pm = make_plugin_manager(autoload=False)
    pm.register(Clash(), name="clash")
    with pytest.raises(PluginError, match="'plain' registered twice") as info:
        _ = plugin_module.Plugins(pm).renderers
    assert "clash" in str(info.value) and "promote.plugins.renderers" in str(info.value)


def test_unknown_hook_in_a_plugin_is_refused(monkeypatch):
    class Typo:
        @hookimpl
        def promote_register_gatez(self, register):
            pass

    real = pytest.importorskip("pluggy").PluginManager.load_setuptools_entrypoints

    def load_typo(self, group, name=None):
        self.register(Typo(), name="typo")
        return 1

    monkeypatch.setattr("pluggy.PluginManager.load_setuptools_entrypoints", load_typo)
    with pytest.raises(PluginError, match="typo"):
        make_plugin_manager(autoload=True)
    assert real is not load_typo


def test_autoload_can_be_disabled_by_environment(monkeypatch):
    loaded = []
    monkeypatch.setattr(
        "pluggy.PluginManager.load_setuptools_entrypoints",
        lambda self, group, name=None: loaded.append(group) or 0,
    )
    monkeypatch.setenv("PROMOTE_DISABLE_PLUGIN_AUTOLOAD", "1")
    make_plugin_manager()
    assert loaded == []
    monkeypatch.delenv("PROMOTE_DISABLE_PLUGIN_AUTOLOAD")
    make_plugin_manager()
    assert loaded == ["promote"]


def test_promote_plugins_lists_plugins_hooks_and_registrations(cli, tmp_path):
    result = cli(tmp_path, "plugins", "--output", "json")
    assert result.exit_code == 0, result.stderr
    by_name = {p["name"]: p for p in result.json()["plugins"]}
    assert "source flux" in by_name["promote.plugins.flux"]["registers"]
    assert by_name["promote.plugins.renderers"]["hooks"] == ["promote_register_renderers"]
    assert all(p["version"] for p in by_name.values())


def test_environment_model_is_plain_data():
    env = Environment("qa", PurePosixPath("envs/qa"))
    assert env.renderer == "kustomize" and env.gates == ()
