"""The fast engine gives networkx's numbers on small graphs (to 1e-9)."""

from __future__ import annotations

import networkx as nx
import pytest

from tracker import engine

TOL = 1e-9


def graphs() -> list[tuple[str, nx.Graph]]:
    florentine = nx.florentine_families_graph()
    directed = nx.gnp_random_graph(60, 0.06, seed=3, directed=True)
    disconnected = nx.disjoint_union(nx.path_graph(5), nx.star_graph(6))
    disconnected.add_node(99)
    return [("florentine", florentine), ("directed", directed), ("disconnected", disconnected)]


def close(a: dict, b: dict, tol: float = TOL) -> bool:  # type: ignore[type-arg]
    return a.keys() == b.keys() and all(abs(a[k] - b[k]) <= tol for k in a)


@pytest.mark.parametrize("name,G", graphs(), ids=[n for n, _ in graphs()])
def test_betweenness_exact_and_sampled(name: str, G: nx.Graph) -> None:
    assert close(engine.betweenness(G), nx.betweenness_centrality(G))
    k = max(3, len(G) // 3)
    assert close(engine.betweenness(G, k=k, seed=7), nx.betweenness_centrality(G, k=k, seed=7))


@pytest.mark.parametrize("name,G", graphs(), ids=[n for n, _ in graphs()])
def test_harmonic_and_closeness(name: str, G: nx.Graph) -> None:
    assert close(engine.harmonic(G), nx.harmonic_centrality(G))
    assert close(engine.closeness(G), nx.closeness_centrality(G))


@pytest.mark.parametrize("name,G", graphs(), ids=[n for n, _ in graphs()])
def test_pagerank(name: str, G: nx.Graph) -> None:
    assert close(engine.pagerank(G), nx.pagerank(G, tol=1e-12, max_iter=10_000), tol=1e-7)


def test_eigenvector_matches_networkx_on_a_connected_graph() -> None:
    G = nx.florentine_families_graph()
    assert close(engine.eigenvector(G), nx.eigenvector_centrality_numpy(G), tol=1e-7)


def test_eigenvector_handles_disconnected_graphs() -> None:
    G = dict(graphs())["disconnected"]
    ev = engine.eigenvector(G)
    assert ev[99] == 0.0 and ev[5] > ev[6]  # the star's centre beats its leaves
    assert abs(sum(v * v for v in ev.values()) - 1) < 1e-9


def test_louvain_is_deterministic_and_sensible() -> None:
    G = nx.connected_caveman_graph(4, 6)
    a, b = engine.louvain(G, seed=1), engine.louvain(G, seed=1)
    assert a == b
    assert len(set(a.values())) == 4
    assert all(a[n] == a[(n // 6) * 6] for n in G)


def test_components_and_layout() -> None:
    G = dict(graphs())["disconnected"]
    comp = engine.components(G)
    assert comp[99] == 2 and comp[5] == 0 and comp[0] == 1
    pos = engine.layout(G, seed=3)
    assert pos == engine.layout(G, seed=3) and len(pos) == len(G)
    assert all(abs(x) <= 1000 and abs(y) <= 1000 for x, y in pos.values())


def test_from_edges_builds_the_same_graph() -> None:
    G = nx.florentine_families_graph()
    ids = sorted(G)
    idx = {n: i for i, n in enumerate(ids)}
    E = engine.from_edges(ids, [idx[u] for u, _ in G.edges()], [idx[v] for _, v in G.edges()], directed=False)
    assert close(engine.betweenness(E), nx.betweenness_centrality(G))
