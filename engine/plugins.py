"""The plugin manager factory. Built-ins go through the same path as entry-point plugins."""

from __future__ import annotations

import importlib
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING

import pluggy

from promote.engine import hookspecs
from promote.engine.errors import PluginError, PromoteError
from promote.engine.registry import Registry

if TYPE_CHECKING:
    from promote.engine.interfaces import Gate, Renderer, Scm, Source, Target

ENTRY_POINT_GROUP = "promote"
DISABLE_AUTOLOAD_ENV = "PROMOTE_DISABLE_PLUGIN_AUTOLOAD"

hookimpl = pluggy.HookimplMarker("promote")

# Built-in plugins, registered exactly like third-party ones (by module, under their own name).
DEFAULT_PLUGINS: tuple[str, ...] = (
    "promote.plugins.kustomize_images",
    "promote.plugins.container_images",
    "promote.plugins.flux",
    "promote.plugins.argocd",
    "promote.plugins.helm_values",
    "promote.plugins.markers",
    "promote.plugins.kustomize_inline",
    "promote.plugins.renderers",
    "promote.plugins.gates.soak",
    "promote.plugins.gates.approval",
    "promote.plugins.gates.window",
    "promote.plugins.gates.command",
    "promote.plugins.gates.upstreams",
    "promote.plugins.gates.healthy",
    "promote.plugins.targets.branch",
    "promote.plugins.targets.kubernetes",
    "promote.plugins.scm.github",
    "promote.plugins.scm.gitlab",
    "promote.plugins.webhook",
)


def make_plugin_manager(*, autoload: bool | None = None) -> pluggy.PluginManager:
    """A manager with the hookspecs, the built-ins and (unless disabled) entry-point plugins."""
    pm = pluggy.PluginManager(ENTRY_POINT_GROUP)
    pm.add_hookspecs(hookspecs)
    for module_name in DEFAULT_PLUGINS:
        _register_module(pm, module_name)
    if autoload is None:
        autoload = not os.environ.get(DISABLE_AUTOLOAD_ENV)
    if autoload:
        _load_entry_points(pm)
    try:
        pm.check_pending()
    except pluggy.PluginValidationError as exc:
        name = plugin_name(pm, exc.plugin)
        raise PluginError(f"plugin {name} implements an unknown hook: {exc}") from None
    return pm


def _register_module(pm: pluggy.PluginManager, module_name: str) -> None:
    try:
        module = importlib.import_module(module_name)
    except Exception as exc:
        raise PluginError(f"cannot import built-in plugin {module_name}: {exc}") from exc
    pm.register(module, name=module_name)


def _load_entry_points(pm: pluggy.PluginManager) -> None:
    try:
        pm.load_setuptools_entrypoints(ENTRY_POINT_GROUP)
    except pluggy.PluginValidationError as exc:
        raise PluginError(f"plugin {exc.plugin_name!r} is invalid: {exc}") from None
    except Exception as exc:
        raise PluginError(f"cannot load a plugin of entry-point group 'promote': {exc}") from exc


def plugin_name(pm: pluggy.PluginManager, plugin: object) -> str:
    return pm.get_name(plugin) or repr(plugin)


@dataclass
class Plugins:
    """The loaded plugin manager and the registries its plugins filled."""

    pm: pluggy.PluginManager

    @cached_property
    def sources(self) -> Registry[Source]:
        return self._fill("source", "promote_register_sources")

    @cached_property
    def renderers(self) -> Registry[Renderer]:
        return self._fill("renderer", "promote_register_renderers")

    @cached_property
    def gates(self) -> Registry[Gate]:
        return self._fill("gate", "promote_register_gates")

    @cached_property
    def targets(self) -> Registry[Target]:
        return self._fill("target", "promote_register_targets")

    @cached_property
    def scms(self) -> Registry[Scm]:
        return self._fill("code host", "promote_register_scms")

    def _fill(self, what: str, hook_name: str) -> Registry:
        registry: Registry = Registry(what)
        caller = self.pm.subset_hook_caller  # one plugin at a time, to know who registered what
        for plugin in self.pm.get_plugins():
            others = [p for p in self.pm.get_plugins() if p is not plugin]
            registry.current_plugin = plugin_name(self.pm, plugin)
            try:
                caller(hook_name, remove_plugins=others)(register=registry)
            except PluginError:
                raise
            except Exception as exc:
                raise PluginError(
                    f"plugin {registry.current_plugin} failed in {hook_name}: {exc}"
                ) from exc
        return registry


@contextmanager
def guarded(what: str, plugin: str) -> Iterator[None]:
    """A plugin that raises becomes one clear PluginError (exit 2), never a traceback."""
    try:
        yield
    except PromoteError:
        raise
    except Exception as exc:
        raise PluginError(
            f"plugin {plugin} failed while {what}: {type(exc).__name__}: {exc}"
        ) from exc


def notify(pm: pluggy.PluginManager, hook_name: str, **kwargs: object) -> None:
    """Call every implementation of an event hook, naming the plugin if one raises. Like pluggy,
    each gets only the arguments it names, so a hook can gain arguments without breaking any."""
    for impl in reversed(getattr(pm.hook, hook_name).get_hookimpls()):
        with guarded(f"handling {hook_name}", impl.plugin_name):
            impl.function(**{name: kwargs[name] for name in impl.argnames})


def load_plugins(*, autoload: bool | None = None) -> Plugins:
    return Plugins(make_plugin_manager(autoload=autoload))
