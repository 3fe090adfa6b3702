"""What `promote plugins` shows: each plugin, its version, hooks, and what it registered."""

from __future__ import annotations

from typing import Any

from promote.engine import __version__
from promote.engine.plugins import Plugins, plugin_name


def describe_plugins(plugins: Plugins) -> list[dict[str, Any]]:
    pm = plugins.pm
    distributions = {id(plugin): dist for plugin, dist in pm.list_plugin_distinfo()}
    registries = {
        "source": plugins.sources,
        "renderer": plugins.renderers,
        "gate": plugins.gates,
        "target": plugins.targets,
        "scm": plugins.scms,
    }
    described = []
    for plugin in pm.get_plugins():
        name = plugin_name(pm, plugin)
        dist = distributions.get(id(plugin))
        registers = [
            f"{what} {entry.name}"
            for what, registry in registries.items()
            for entry in registry
            if entry.plugin == name
        ]
        described.append(
            {
                "name": name,
                "version": dist.version if dist else __version__,
                "distribution": dist.project_name if dist else "promote (built-in)",
                "hooks": sorted(h.name for h in pm.get_hookcallers(plugin) or []),
                "registers": registers,
            }
        )
    return sorted(described, key=lambda p: (p["distribution"] != "promote (built-in)", p["name"]))
