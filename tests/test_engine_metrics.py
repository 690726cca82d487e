"""Every metric of tracker.metrics gives the same numbers with the fast engine forced on and off.

Each graph goes through `centrality` and `brokers` twice, ``engine="networkx"`` and
``engine="igraph"``, with small thresholds so the sampled paths (betweenness, closeness,
harmonic, subset betweenness) run too. Tolerance: 1e-9, PageRank and eigenvector 1e-7 (solvers).
Louvain is the same method in both, but the implementations may split a graph differently; on
graphs with clear communities they agree exactly, and modularity agrees within 0.02 elsewhere.
"""

from __future__ import annotations

import math
import random

import networkx as nx
import numpy as np
import pytest

from tracker.metrics import BROKERAGE_ROLES, brokerage_counts, brokerage_roles, brokers, centrality, plan

TOL = {"pagerank": 1e-7, "eigenvector": 1e-7}
SPHERES = ("elite", "london_finance", "offshore", "company", "other")
KINDS = ("owns", "controls", "advised", "family", "reported_on", "registered_in")


def canonical(H: nx.Graph | nx.DiGraph, seed: int = 0) -> nx.MultiDiGraph:
    """A canonical graph with mixed relation kinds, spheres, parallel and undirected relations."""
    rng = random.Random(seed)
    G = nx.MultiDiGraph(name="t", sources={})
    for n in sorted(H.nodes, key=str):
        G.add_node(str(n), name=f"N{n}", kind="company", sphere=rng.choice(SPHERES))
    for i, (u, v) in enumerate(sorted(H.edges(), key=str)):
        kind = rng.choice(KINDS)
        G.add_edge(str(u), str(v), key=f"r{i}", kind=kind, directed=kind != "family")
        if rng.random() < 0.1:  # a second relation on the same pair
            G.add_edge(str(v), str(u), key=f"r{i}b", kind="owns", directed=True)
    return G


def graphs() -> list[tuple[str, nx.MultiDiGraph]]:
    hub = nx.star_graph(40)  # a heavy-tailed hub
    hub.add_edges_from((i, i + 1) for i in range(1, 40, 3))
    disconnected = nx.disjoint_union_all([nx.path_graph(5), nx.cycle_graph(4), nx.complete_graph(3), nx.Graph([(0, 1)])])
    disconnected.add_node(99)
    return [
        ("florentine", canonical(nx.florentine_families_graph())),
        ("random_directed", canonical(nx.gnp_random_graph(120, 0.03, seed=5, directed=True), seed=1)),
        ("hub", canonical(hub, seed=2)),
        ("disconnected", canonical(disconnected, seed=3)),
        ("big_component", canonical(nx.barabasi_albert_graph(1100, 2, seed=4), seed=4)),
    ]


GRAPHS = graphs()
SAMPLED = {"betweenness_exact_max": 30, "betweenness_k": 12, "closeness_exact_max": 30, "closeness_k": 9}


def assert_same(a, b, name: str) -> None:  # type: ignore[no-untyped-def]
    assert list(a.index) == list(b.index), name
    for col in a.columns:
        if col in ("name", "kind", "sphere", "community", "community_size"):
            continue
        x = a[col].to_numpy(dtype=float, na_value=np.nan)
        y = b[col].to_numpy(dtype=float, na_value=np.nan)
        assert np.array_equal(np.isnan(x), np.isnan(y)), (name, col)
        ok = ~np.isnan(x)
        assert np.allclose(x[ok], y[ok], rtol=0, atol=TOL.get(col, 1e-9)), (name, col, np.abs(x[ok] - y[ok]).max())


@pytest.mark.parametrize("name,G", GRAPHS, ids=[n for n, _ in GRAPHS])
@pytest.mark.parametrize("options", [{}, SAMPLED], ids=["exact", "sampled"])
def test_centrality_same_on_both_engines(name: str, G: nx.MultiDiGraph, options: dict) -> None:  # type: ignore[type-arg]
    metrics = ["degree", "betweenness", "pagerank", "eigenvector", "harmonic", "closeness", "component"]
    a = centrality(G, metrics, engine="networkx", **options)
    b = centrality(G, metrics, engine="igraph", **options)
    assert a.attrs["engine"] == "networkx" and b.attrs["engine"] == "igraph"
    assert_same(a.sort_index(), b.sort_index(), name)
    if options and len(G) > 30:
        assert a.attrs["betweenness_method"] == b.attrs["betweenness_method"] == "sampled"
        assert a["closeness"].isna().sum() == len(G) - 9 and "sample of 9" in b.attrs["notes"]["closeness"]
    # Same order too: score, then id.
    assert list(a.index) == list(b.index)


def test_sampled_betweenness_draws_the_same_sources_whatever_the_node_order() -> None:
    G = GRAPHS[1][1]
    R = nx.MultiDiGraph()
    R.graph.update(G.graph)
    R.add_nodes_from(reversed(list(G.nodes(data=True))))
    R.add_edges_from(reversed(list(G.edges(keys=True, data=True))))
    a = centrality(G, ["betweenness"], engine="networkx", **SAMPLED)
    b = centrality(R, ["betweenness"], engine="igraph", **SAMPLED)
    assert_same(a, b, "reordered")


@pytest.mark.parametrize("name,G", GRAPHS, ids=[n for n, _ in GRAPHS])
def test_communities_agree(name: str, G: nx.MultiDiGraph) -> None:
    a = centrality(G, ["community"], engine="networkx")
    b = centrality(G, ["community"], engine="igraph")
    assert abs(a.attrs["modularity"] - b.attrs["modularity"]) < 0.02
    assert b.equals(centrality(G, ["community"], engine="igraph"))  # deterministic
    assert sorted(b["community"].unique()) == list(range(1, b["community"].max() + 1))
    # Numbered by size (largest first).
    sizes = b.groupby("community")["community_size"].first()
    assert list(sizes) == sorted(sizes, reverse=True)


def test_communities_identical_on_clear_structure() -> None:
    G = canonical(nx.connected_caveman_graph(5, 6))
    a = centrality(G, ["community"], engine="networkx").sort_index()
    b = centrality(G, ["community"], engine="igraph").sort_index()
    assert a["community"].tolist() == b["community"].tolist()
    assert a["community"].nunique() == 5


@pytest.mark.parametrize("name,G", GRAPHS, ids=[n for n, _ in GRAPHS])
@pytest.mark.parametrize("max_sources", [500, 3])
def test_brokers_same_on_both_engines(name: str, G: nx.MultiDiGraph, max_sources: int) -> None:
    a = brokers(G, engine="networkx", max_sources=max_sources)
    b = brokers(G, engine="igraph", max_sources=max_sources)
    assert_same(a, b, name)
    assert a["brokerage"].sum() > 0


def test_brokerage_counts_equal_the_path_walk() -> None:
    rng = random.Random(9)
    for trial in range(20):
        D = nx.gnp_random_graph(40, rng.choice([0.05, 0.15, 0.4]), seed=trial, directed=True)
        groups = {n: rng.choice("ABCD") for n in D}
        codes = {g: i for i, g in enumerate("ABCD")}
        slow = brokerage_roles(D, groups)
        edges = np.array(list(D.edges()), dtype=np.int64).reshape(-1, 2)
        fast = brokerage_counts(len(D), edges[:, 0], edges[:, 1], np.array([codes[groups[n]] for n in range(len(D))]))
        for n in D:
            assert [slow[n][r] for r in BROKERAGE_ROLES] == fast[n].tolist(), (trial, n)


def test_heavy_hub_does_not_walk_its_two_paths() -> None:
    # 3,000 owners of one intermediary that serves 3,000 companies: 9 million two-step paths.
    n = 6001
    src = np.concatenate([np.arange(1, 3001), np.zeros(3000, dtype=np.int64)])
    dst = np.concatenate([np.zeros(3000, dtype=np.int64), np.arange(3001, 6001)])
    groups = np.array([0] + [1] * 3000 + [2] * 3000)
    counts = brokerage_counts(n, src, dst, groups)
    assert counts[0].tolist() == [0, 0, 0, 9_000_000, 0]  # every path a liaison


def test_plan_and_notes_state_the_engine() -> None:
    assert plan(10_000)["engine"] == "igraph" and plan(10_000, engine="networkx")["engine"] == "networkx"
    G = GRAPHS[0][1]
    df = centrality(G, ["pagerank"], engine="auto")
    assert df.attrs["engine"] == "networkx" and "networkx" in df.attrs["notes"]["engine"]
    df = centrality(G, ["pagerank"], engine="auto", engine_min_nodes=5)
    assert df.attrs["engine"] == "igraph" and "PRPACK" in df.attrs["notes"]["pagerank"]
    with pytest.raises(ValueError, match="unknown engine"):
        centrality(G, ["degree"], engine="gpu")


def test_empty_and_tiny_graphs() -> None:
    for G in (nx.MultiDiGraph(), canonical(nx.Graph([(0, 1)])), canonical(nx.empty_graph(3))):
        a = centrality(G, engine="networkx")
        b = centrality(G, engine="igraph")
        assert_same(a.sort_index(), b.sort_index(), "tiny")
        assert math.isfinite(float(b["pagerank"].sum() if len(b) else 0.0))
