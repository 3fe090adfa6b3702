from __future__ import annotations

from pathlib import Path, PurePosixPath

import pytest

from promote.engine.config.graph import PromotionGraph
from promote.engine.config.graphfile import GraphConfig
from promote.engine.errors import ConfigError, UsageError
from promote.engine.model import Environment


def graph(**upstreams: list[str]) -> PromotionGraph:
    environments = {
        name: Environment(name, PurePosixPath(name), tuple(ups)) for name, ups in upstreams.items()
    }
    return PromotionGraph(GraphConfig(Path("g.yaml"), Path("."), environments))


FAN = {"int": [], "qa": ["int"], "uat-eu": ["qa"], "uat-us": ["qa"], "prod": ["uat-eu", "uat-us"]}


def test_direct_successor_is_one_hop():
    assert graph(**FAN).path("int", "qa") == ["int", "qa"]


def test_unique_shortest_path_is_walked():
    assert graph(**FAN).path("int", "uat-eu") == ["int", "qa", "uat-eu"]


def test_ambiguous_path_names_the_candidates_and_asks_for_via():
    with pytest.raises(UsageError) as info:
        graph(**FAN).path("qa", "prod")
    assert "qa → uat-eu → prod" in str(info.value) and "qa → uat-us → prod" in str(info.value)
    assert "--via" in str(info.value)


def test_via_picks_one_of_the_paths():
    assert graph(**FAN).path("int", "prod", via="uat-us") == ["int", "qa", "uat-us", "prod"]


def test_no_path_backwards():
    with pytest.raises(UsageError, match="no promotion path"):
        graph(**FAN).path("prod", "int")


def test_cycle_is_named():
    with pytest.raises(ConfigError) as info:
        graph(a=["c"], b=["a"], c=["b"])
    cycle = str(info.value).split("cycle: ")[1].split(" → ")
    assert cycle[0] == cycle[-1] and sorted(cycle[:-1]) == ["a", "b", "c"]


def test_order_is_upstream_first():
    assert graph(**FAN).in_order() == ["int", "qa", "uat-eu", "uat-us", "prod"]


def _random_dag(seed: int) -> dict[str, list[str]]:
    import random

    rng = random.Random(seed)
    names = rng.sample([f"env-{n:02d}" for n in range(40)], k=rng.randint(2, 25))
    return {
        name: sorted(set(rng.sample(names[:index], k=min(index, rng.randint(0, 3)))))
        for index, name in enumerate(names)
    }


@pytest.mark.parametrize("seed", range(30))
def test_order_and_edges_are_networkxs(seed):
    """Computed without networkx (start-up), and the same as networkx computes them."""
    import networkx as nx

    upstreams = _random_dag(seed)
    dag = nx.DiGraph()
    dag.add_nodes_from(upstreams)
    dag.add_edges_from((up, name) for name, ups in upstreams.items() for up in ups)
    built = graph(**upstreams)
    assert built.in_order() == list(nx.lexicographical_topological_sort(dag))
    assert built.edges() == sorted(dag.edges())
    assert all(built.upstreams(name) == sorted(dag.predecessors(name)) for name in upstreams)


def test_a_self_loop_and_a_repeated_upstream():
    with pytest.raises(ConfigError, match="cycle: a → a"):
        graph(a=["a"])
    assert graph(a=[], b=["a", "a"]).edges() == [("a", "b")]
