"""The promotion graph: a DAG of environments, its order, and paths through it.

Order, upstreams and edges are plain dictionaries: a graph file names a handful of environments
and `status`, `history`, `graph` and `validate` need nothing more, so they do not import networkx
(0.1-0.2 s). networkx stays the implementation of what it does well and only a promotion asks
for: the shortest paths between two environments (`path`), and naming the members of a cycle
in the error when the graph has one.
"""

from __future__ import annotations

import difflib
import heapq
from collections.abc import Iterator
from typing import TYPE_CHECKING

from promote.engine.config.graphfile import GraphConfig
from promote.engine.errors import ConfigError, UsageError
from promote.engine.model import Environment

if TYPE_CHECKING:
    import networkx as nx


class PromotionGraph:
    def __init__(self, config: GraphConfig) -> None:
        self.config = config
        self.environments = config.environments
        self._upstreams = {
            name: sorted(set(env.upstreams)) for name, env in self.environments.items()
        }
        for env in self.environments.values():
            for upstream in env.upstreams:
                if upstream not in self.environments:
                    raise ConfigError(
                        f"environment {env.name!r}: unknown upstream {upstream!r} in `from`",
                        location=env.location,
                    )
        self._order = self._topological_order()

    def _topological_order(self) -> list[str]:
        """Upstreams first, the smallest name first among those ready (Kahn's algorithm, as
        networkx's lexicographical_topological_sort); a cycle leaves some never ready."""
        downstreams: dict[str, list[str]] = {name: [] for name in self.environments}
        for name, upstreams in self._upstreams.items():
            for upstream in upstreams:
                downstreams[upstream].append(name)
        waiting = {name: len(upstreams) for name, upstreams in self._upstreams.items()}
        ready = [name for name, count in waiting.items() if count == 0]
        heapq.heapify(ready)
        order = []
        while ready:
            name = heapq.heappop(ready)
            order.append(name)
            for downstream in downstreams[name]:
                waiting[downstream] -= 1
                if waiting[downstream] == 0:
                    heapq.heappush(ready, downstream)
        if len(order) < len(self.environments):
            self._refuse_cycle()
        return order

    def _refuse_cycle(self) -> None:
        import networkx as nx

        cycle = nx.find_cycle(self._digraph())
        names = [edge[0] for edge in cycle] + [cycle[0][0]]
        first = self.environments[cycle[0][1]]
        raise ConfigError(
            f"the promotion graph has a cycle: {' → '.join(names)}", location=first.location
        )

    def _digraph(self) -> nx.DiGraph:
        import networkx as nx

        dag = nx.DiGraph()
        dag.add_nodes_from(self.environments)
        for env in self.environments.values():
            dag.add_edges_from((upstream, env.name) for upstream in env.upstreams)
        return dag

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
        return list(self._order)

    def __iter__(self) -> Iterator[Environment]:
        return (self.environments[name] for name in self.in_order())

    def upstreams(self, name: str) -> list[str]:
        return list(self._upstreams[name])

    def path(self, src: str, dst: str, via: str | None = None) -> list[str]:
        """The unique shortest path src → … → dst (through `via` when given)."""
        self[src], self[dst]
        if src == dst:
            raise UsageError(f"source and destination are both {src!r}")
        if via is not None:
            self[via]
            return self.path(src, via)[:-1] + self.path(via, dst)
        import networkx as nx

        dag = self._digraph()
        if not nx.has_path(dag, src, dst):
            raise UsageError(f"no promotion path from {src!r} to {dst!r} in {self.shown_file}")
        paths = list(nx.all_shortest_paths(dag, src, dst))
        if len(paths) > 1:
            shown = "; ".join(" → ".join(p) for p in sorted(paths))
            raise UsageError(
                f"ambiguous path from {src!r} to {dst!r}: {shown}; choose one with --via"
            )
        return paths[0]

    def edges(self) -> list[tuple[str, str]]:
        return sorted((upstream, name) for name, ups in self._upstreams.items() for upstream in ups)
