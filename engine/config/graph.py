"""The promotion graph: a networkx DAG of environments, and paths through it."""

from __future__ import annotations

import difflib
from collections.abc import Iterator

import networkx as nx

from engine.config.graphfile import GraphConfig
from engine.errors import ConfigError, UsageError
from engine.model import Environment


class PromotionGraph:
    def __init__(self, config: GraphConfig) -> None:
        self.config = config
        self.environments = config.environments
        self.dag = nx.DiGraph()
        self.dag.add_nodes_from(self.environments)
        for env in self.environments.values():
            for upstream in env.upstreams:
                if upstream not in self.environments:
                    raise ConfigError(
                        f"environment {env.name!r}: unknown upstream {upstream!r} in `from`",
                        location=env.location,
                    )
                self.dag.add_edge(upstream, env.name)
        self._refuse_cycles()

    def _refuse_cycles(self) -> None:
        try:
            cycle = nx.find_cycle(self.dag)
        except nx.NetworkXNoCycle:
            return
        names = [edge[0] for edge in cycle] + [cycle[0][0]]
        first = self.environments[cycle[0][1]]
        raise ConfigError(
            f"the promotion graph has a cycle: {' → '.join(names)}", location=first.location
        )

    def __getitem__(self, name: str) -> Environment:
        try:
            return self.environments[name]
        except KeyError:
            known = self.in_order()
            close = difflib.get_close_matches(name, known, n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            raise UsageError(
                f"unknown environment {name!r} in {self.shown_file} "
                f"(known: {', '.join(known)}){hint}"
            ) from None

    @property
    def shown_file(self) -> str:
        """The graph file as messages name it: relative to the repository when inside it."""
        try:
            return self.config.file.relative_to(self.config.repo_root).as_posix()
        except ValueError:
            return str(self.config.file)

    def in_order(self) -> list[str]:
        """Environments upstream first; ties broken by name so output is stable."""
        return list(nx.lexicographical_topological_sort(self.dag))

    def __iter__(self) -> Iterator[Environment]:
        return (self.environments[name] for name in self.in_order())

    def upstreams(self, name: str) -> list[str]:
        return sorted(self.dag.predecessors(name))

    def path(self, src: str, dst: str, via: str | None = None) -> list[str]:
        """The unique shortest path src → … → dst (through `via` when given)."""
        self[src], self[dst]
        if src == dst:
            raise UsageError(f"source and destination are both {src!r}")
        if via is not None:
            self[via]
            return self.path(src, via)[:-1] + self.path(via, dst)
        if not nx.has_path(self.dag, src, dst):
            raise UsageError(f"no promotion path from {src!r} to {dst!r} in {self.shown_file}")
        paths = list(nx.all_shortest_paths(self.dag, src, dst))
        if len(paths) > 1:
            shown = "; ".join(" → ".join(p) for p in sorted(paths))
            raise UsageError(
                f"ambiguous path from {src!r} to {dst!r}: {shown}; choose one with --via"
            )
        return paths[0]

    def edges(self) -> list[tuple[str, str]]:
        return sorted(self.dag.edges())
