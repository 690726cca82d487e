"""The fast engine gives networkx's numbers on small graphs (to 1e-9)."""

from __future__ import annotations

import networkx as nx
import pytest

from tracker import engine
from tracker.metrics import eigenvector_by_component

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
    # One definition with tracker.metrics: unit norm per component, scaled by sqrt(size / n).
    assert abs(sum(v * v for v in ev.values()) - 12 / 13) < 1e-9
    assert close(ev, eigenvector_by_component(G), tol=1e-9)


def test_eigenvector_batched_small_components_and_sparse_large_ones() -> None:
    G = nx.disjoint_union_all([nx.path_graph(3), nx.path_graph(3), nx.star_graph(4), nx.barabasi_albert_graph(1500, 2, seed=1)])
    for u, v in G.edges():
        G[u][v]["weight"] = 1 + (u + v) % 3
    assert close(engine.eigenvector(G, weight="weight"), eigenvector_by_component(G), tol=1e-7)


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
    assert all(isinstance(x, int) and isinstance(y, int) for x, y in pos.values())
    # Node order does not matter: ids are sorted first.
    R = nx.Graph()
    R.add_nodes_from(reversed(list(G.nodes)))
    R.add_edges_from(reversed(list(G.edges)))
    assert engine.layout(R, seed=3) == pos
    # The view uses this very layout.
    from tracker.views import LAYOUT_SEED
    from tracker.views import layout as view_layout

    M = nx.MultiDiGraph(G)
    assert view_layout(M) == engine.layout(M, seed=LAYOUT_SEED)


def test_from_edges_builds_the_same_graph() -> None:
    G = nx.florentine_families_graph()
    ids = sorted(G)
    idx = {n: i for i, n in enumerate(ids)}
    E = engine.from_edges(ids, [idx[u] for u, _ in G.edges()], [idx[v] for _, v in G.edges()], directed=False)
    assert close(engine.betweenness(E), nx.betweenness_centrality(G))


def test_subset_betweenness_counts_each_pair_once() -> None:
    G = nx.gnp_random_graph(60, 0.07, seed=2)
    S, T = [0, 3, 5, 7], [10, 20, 30, 40, 50]
    ref = nx.betweenness_centrality_subset(G, S, T, normalized=False)
    assert close(engine.subset_betweenness(G, S, T), {k: 2 * v for k, v in ref.items()})
    D = nx.gnp_random_graph(60, 0.07, seed=2, directed=True)
    assert close(engine.subset_betweenness(D, S, T), nx.betweenness_centrality_subset(D, S, T, normalized=False))


def test_harmonic_and_closeness_on_chosen_vertices() -> None:
    G = dict(graphs())["disconnected"]
    E = engine.from_networkx(G)
    full_h, full_c = nx.harmonic_centrality(G), nx.closeness_centrality(G)
    chosen = [0, 5, 11]
    assert close(engine.harmonic(E, vertices=chosen), {E.ids[i]: full_h[E.ids[i]] for i in chosen})
    assert close(engine.closeness(E, vertices=chosen), {E.ids[i]: full_c[E.ids[i]] for i in chosen})


def test_igraph_loads_without_matplotlib_and_leaves_it_importable() -> None:
    # python-igraph imports matplotlib.pyplot when it is installed (1-1.5 s of every view and report).
    import subprocess
    import sys

    code = (
        "import sys\n"
        "from tracker.engine import igraph\n"
        "ig = igraph()\n"
        "print(ig.Graph(n=3, edges=[(0, 1), (1, 2)]).degree(), 'matplotlib' in sys.modules)\n"
        "import matplotlib\n"
        "print(matplotlib.__name__)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split("\n") == ["[1, 2, 1] False", "matplotlib", ""]
