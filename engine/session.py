"""A loaded working context: graph file, promotion graph, plugins and the Git repository."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from promote.engine.config.graph import PromotionGraph
from promote.engine.config.graphfile import AUTO_RENDERER, GraphConfig, find_config, load_config
from promote.engine.errors import ConfigError, PluginError
from promote.engine.model import Environment, GateSpec
from promote.engine.plugins import Plugins, load_plugins
from promote.engine.repository.gitrepo import GitRepo
from promote.engine.repository.places import Places, refuse_shared_trees

if TYPE_CHECKING:
    from promote.engine.interfaces import Gate


@dataclass
class Session:
    config: GraphConfig
    graph: PromotionGraph
    plugins: Plugins

    @property
    def root(self) -> Path:
        return self.config.repo_root

    @cached_property
    def repo(self) -> GitRepo:
        return GitRepo(self.root)

    @cached_property
    def places(self) -> Places:
        """Where each environment lives (engine.repository.places)."""
        return Places(self.repo)

    def environment(self, name: str) -> Environment:
        return self.graph[name]


def open_session(cwd: Path, config_file: Path | None = None) -> Session:
    """Find and load everything, refusing an invalid configuration before any work starts."""
    file = find_config(cwd, config_file)
    plugins = load_plugins()
    config = load_config(file)
    graph = PromotionGraph(config)
    check_plugin_names(graph, plugins)
    check_scm_settings(config, plugins)
    session = Session(config, graph, plugins)
    # Only a `branch:` can name the checked-out branch; without one, Git need not be asked.
    on_branches = any(env.branch and not env.repo for env in graph)
    refuse_shared_trees(list(graph), session.repo.branch() if on_branches else None)
    return session


def check_plugin_names(graph: PromotionGraph, plugins: Plugins) -> None:
    """Renderer, gate and target names must be registered by an installed plugin."""
    for env in graph:
        if env.renderer != AUTO_RENDERER:
            _known(plugins.renderers, env.renderer, f"environment {env.name!r}: renderer", env)
        for spec in (*env.gates, *env.verify):
            gate = _known(
                plugins.gates, spec.name, f"environment {env.name!r}: gate", env, spec.location
            )
            problem = gate.check_options(spec.options) or _placement(gate, spec, env, graph)
            if problem:
                raise ConfigError(
                    f"gate {spec.name!r}: {problem}", location=spec.location or env.location
                )
        if env.target is not None:
            target = _known(
                plugins.targets, str(env.target["kind"]), f"environment {env.name!r}: target", env
            )
            problem = target.check_options(env.target)
            if problem:
                raise ConfigError(
                    f"target {env.target['kind']!r}: {problem}", location=env.location
                )


def _placement(gate: Gate, spec: GateSpec, env: Environment, graph: PromotionGraph) -> str | None:
    """A gate may also check what it needs from the graph (the `healthy` gate: an `agent:` on
    every upstream) through an optional `check_placement(options, env, environments)`."""
    check = getattr(gate, "check_placement", None)
    if check is None:
        return None
    return check(spec.options, env, graph.environments)


def check_scm_settings(config: GraphConfig, plugins: Plugins) -> None:
    """graph.yaml's `scm:` names a registered code host and suits it."""
    settings = config.scm
    if settings is None or "provider" not in settings:
        return
    scm = _known(plugins.scms, settings["provider"], "scm: provider", None, config.scm_location)
    problem = scm.check_settings(settings)
    if problem:
        raise ConfigError(f"scm: {problem}", location=config.scm_location)


def _known(registry, name, what, env, location=None):
    try:
        return registry.get(name)
    except PluginError as exc:
        raise ConfigError(f"{what}: {exc.message}", location=location or env.location) from None
