"""The build's metrics at scale: sampled closeness and harmonic from one BFS, and the sample sizes.

`tracker.metrics.bfs_distance_sums` replaces two igraph calls (closeness, harmonic) that each ran
one BFS per sampled entity; its values must be igraph's to the last bit, or the build's
centrality.csv would change. igraph is the independent reference here; the small cases are
worked out by hand.
"""

from __future__ import annotations

import math
import random
from typing import Any

import networkx as nx
import numpy as np
import pytest

from tracker import engine
from tracker.metrics import bfs_distance_sums, centrality, plan


def test_distance_sums_by_hand() -> None:
    # 0-1-2-3 a path, 4-5 a pair, 6 alone, 7 with a self-loop only.
    a, b = np.array([0, 1, 2, 4, 7]), np.array([1, 2, 3, 5, 7])
    got = bfs_distance_sums(8, a, b, [0, 1, 4, 6, 7])
    # From 0: 1 at distance 1, 2 at 2, 3 at 3 -> 4 reached, 1+2+3 = 6, 1 + 1/2 + 1/3.
    # From 1: 0 and 2 at 1, 3 at 2 -> 4 reached, 1+1+2 = 4, 1 + 1 + 1/2.
    assert got == [(4, 6, 1.0 + 0.5 + 1 / 3), (4, 4, 2.5), (2, 1, 1.0), (1, 0, 0.0), (1, 0, 0.0)]


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_distance_sums_are_igraphs_closeness_and_harmonic_bit_for_bit(seed: int) -> None:
    rng = random.Random(seed)
    n = 3000
    # Sparse random graph: many components, some hubs, self-loops, isolated nodes.
    edges = {(rng.randrange(n), rng.randrange(n)) for _ in range(2600)}
    edges |= {(0, rng.randrange(n)) for _ in range(300)} | {(5, 5), (9, 9)}
    pairs = sorted({(min(u, v), max(u, v)) for u, v in edges})
    a = np.array([p[0] for p in pairs])
    b = np.array([p[1] for p in pairs])
    E = engine.from_edges(list(range(n)), a, b, directed=False, simple=True)
    alone = min(set(range(n)) - set(a.tolist()) - set(b.tolist()))
    chosen = engine.sample(n, 200, seed) + [0, 5, alone]
    sums = bfs_distance_sums(n, a, b, chosen)
    harmonic = E.graph.harmonic_centrality(vertices=chosen, mode="all", normalized=False)
    assert [h for _, _, h in sums] == [float(x) for x in harmonic]
    closeness = engine.closeness(E, vertices=chosen)
    ours = [0.0 if r <= 1 else (r - 1) / t * (r - 1) / (n - 1) for r, t, _ in sums]
    assert ours == [closeness[v] for v in chosen]
    assert any(r == 1 for r, _, _ in sums) and max(r for r, _, _ in sums) > 100  # both cases were met


def test_sampled_closeness_and_harmonic_in_centrality_are_igraphs() -> None:
    G = nx.MultiDiGraph()
    rng = random.Random(7)
    for i in range(400):
        G.add_node(f"n{i:03d}", kind="company", name=f"N{i}")
    for j in range(700):
        u, v = rng.randrange(400), rng.randrange(400)
        G.add_edge(f"n{u:03d}", f"n{v:03d}", key=f"r{j}", kind="owns", directed=True)
    df = centrality(G, ["closeness", "harmonic"], engine="igraph", closeness_exact_max=10, closeness_k=25)
    ids = sorted(G.nodes)
    chosen = engine.sample(len(ids), 25, 42)
    # The reference on the same graph with the engine's own calls (the code before the shared BFS).
    E = engine.from_edges(ids, *_undirected(G, ids), directed=False)
    closeness = engine.closeness(E, vertices=chosen)
    harmonic = engine.harmonic(E, vertices=chosen)
    picked = [ids[i] for i in chosen]
    assert df.loc[picked, "closeness"].tolist() == [closeness[x] for x in picked]
    scale = 1.0 / (len(ids) - 1)  # as `_harmonic` scales
    assert df.loc[picked, "harmonic"].tolist() == [harmonic[x] * scale for x in picked]
    assert df["closeness"].isna().sum() == len(ids) - 25


def _undirected(G: nx.MultiDiGraph, ids: list[str]) -> tuple[list[int], list[int]]:
    pos = {x: i for i, x in enumerate(ids)}
    pairs = sorted({(min(pos[u], pos[v]), max(pos[u], pos[v])) for u, v in G.edges()})
    return [p[0] for p in pairs], [p[1] for p in pairs]


def test_sample_sizes_shrink_above_a_million_entities() -> None:
    # Up to 200,000 entities 500 sources, then 100, then 100,000,000 // entities, at least 10.
    assert [plan(n)["betweenness_k"] for n in (100_000, 500_000, 1_000_000)] == [500, 100, 100]
    assert plan(2_000_015)["betweenness_k"] == 49 and plan(2_000_015)["closeness_k"] == 49
    assert plan(4_000_000)["closeness_k"] == 25 and plan(10_000_000)["betweenness_k"] == 10
    assert plan(50_000_000)["betweenness_k"] == 10
    assert plan(2_000_015, betweenness_k=100)["betweenness_k"] == 100  # asked for: as asked


def test_communities_are_leiden_above_a_million_entities_louvain_up_to_it() -> None:
    # The same threshold as the sample sizes: 100,000,000 // 100 = 1,000,000 entities.
    assert [plan(n)["community"] for n in (214, 80_000, 1_000_000)] == ["louvain", "louvain", "louvain"]
    assert [plan(n)["community"] for n in (1_000_001, 2_000_015, 10_000_015)] == ["leiden", "leiden", "leiden"]
    # networkx has no Leiden: asked for, it keeps Louvain at any size.
    assert plan(2_000_015, engine="networkx")["community"] == "louvain"


def _two_cliques() -> nx.MultiDiGraph:
    """Two 4-cliques a-d and e-h joined by one relation d-e: ids in two groups of four."""
    G = nx.MultiDiGraph()
    for group in ("abcd", "efgh"):
        for i, u in enumerate(group):
            for v in group[i + 1 :]:
                G.add_edge(u, v, kind="associate", directed=False)
    G.add_edge("d", "e", kind="associate", directed=False)
    for x in G.nodes:
        G.nodes[x].update(name=x.upper(), kind="person", sphere="kz_elite")
    return G


@pytest.mark.parametrize("method", ["louvain", "leiden"])
def test_community_column_by_hand(method: str, monkeypatch: pytest.MonkeyPatch) -> None:
    import tracker.metrics as metrics

    # By hand: 13 relations; the two cliques (6 inside each, 1 between) have modularity
    # 2 * (6/13 - (13/26)^2) = 0.42308 and every other split less. Both groups have 4 members,
    # so the one holding the smallest id ("a") is community 1.
    if method == "leiden":
        monkeypatch.setattr(metrics, "LEIDEN_ABOVE", 7)  # 8 entities: above it
    df = centrality(_two_cliques(), ["community"], engine="igraph").sort_index()
    assert df["community"].tolist() == [1, 1, 1, 1, 2, 2, 2, 2]
    assert df["community_size"].tolist() == [4] * 8
    note = df.attrs["notes"]["community"]
    assert note.startswith("igraph Leiden (modularity, 2 iterations" if method == "leiden" else "igraph multilevel (Louvain)")
    assert "modularity 0.423" in note


def _planted(n_groups: int = 40, size: int = 50, seed: int = 7) -> engine.EngineGraph:
    """A planted partition with noise: many near-ties, so an unseeded run could differ."""
    rng = random.Random(seed)
    n = n_groups * size
    pairs = set()
    for _ in range(n * 4):
        g = rng.randrange(n_groups)
        u, v = g * size + rng.randrange(size), g * size + rng.randrange(size)
        pairs.add((min(u, v), max(u, v)))
    for _ in range(n * 2):
        u, v = rng.randrange(n), rng.randrange(n)
        pairs.add((min(u, v), max(u, v)))
    ordered = sorted(pairs)
    a = np.array([p[0] for p in ordered])
    b = np.array([p[1] for p in ordered])
    return engine.from_edges([f"n{i:05d}" for i in range(n)], a, b, directed=False, simple=True)


def test_leiden_is_deterministic_and_finds_the_planted_groups() -> None:
    E = _planted()
    first = engine.leiden_membership(E, seed=42)
    assert first.tolist() == engine.leiden_membership(E, seed=42).tolist()
    assert engine.leiden(E, seed=42) == dict(zip(E.ids, first.tolist()))
    # Same input in a fresh graph object: same labels.
    assert engine.leiden_membership(_planted(), seed=42).tolist() == first.tolist()
    # Numbered by size, largest first, from 0.
    sizes = np.bincount(first)
    assert list(sizes) == sorted(sizes, reverse=True) and first.min() == 0
    # Most planted groups come back whole: modularity well above Louvain's floor for noise.
    assert engine.modularity(E, first.tolist()) > 0.5


def test_graph_from_edge_pairs_a_chunk_at_a_time_is_the_graph_of_the_list(monkeypatch: pytest.MonkeyPatch) -> None:
    ig = engine.igraph()
    monkeypatch.setattr(engine, "_PAIRS_CHUNK", 3)  # 10 pairs: chunks of 3, 3, 3, 1
    rng = random.Random(5)
    a = np.array([rng.randrange(6) for _ in range(10)])
    b = np.array([rng.randrange(6) for _ in range(10)])
    listed = ig.Graph(n=6, edges=engine.edge_list(a, b), directed=True)
    chunked = ig.Graph(n=6, edges=engine.edge_pairs(a, b), directed=True)
    assert chunked.get_edgelist() == listed.get_edgelist() == list(zip(a.tolist(), b.tolist()))
    assert list(engine.edge_pairs(np.array([], dtype=np.int64), np.array([], dtype=np.int64))) == []


def test_weight_list_shares_whole_numbers_and_keeps_every_value() -> None:
    w = engine.weight_list(np.array([1, 3, 1, 2, 3]))
    assert w == [1.0, 3.0, 1.0, 2.0, 3.0] and all(type(x) is float for x in w)
    assert w[0] is w[2] and w[1] is w[4]
    floats = engine.weight_list(np.array([1.0, 2.0, 1.0]))
    assert floats == [1.0, 2.0, 1.0] and floats[0] is floats[2]
    # Not whole, negative or huge: converted one by one, the same values.
    assert engine.weight_list(np.array([0.5, 1.0])) == [0.5, 1.0]
    assert engine.weight_list(np.array([-1, 2])) == [-1.0, 2.0]
    assert engine.weight_list(np.array([2_000_000, 1])) == [2_000_000.0, 1.0]
    assert engine.weight_list(np.array([], dtype=float)) == []


def _eigenvector_arrays_before(n: int, rows: Any, cols: Any, weights: Any, labels: Any) -> Any:
    """`tracker.engine.eigenvector_arrays` as it was before its edge arrays went int32 (commit e1b9c4c, verbatim)."""
    import numpy as np

    rows = np.asarray(rows, dtype=np.int64)
    cols = np.asarray(cols, dtype=np.int64)
    weights = np.asarray(weights, dtype=float)
    labels = np.asarray(labels, dtype=np.int64)
    values = np.zeros(n)
    if n == 0:
        return values
    sizes = np.bincount(labels)
    order = np.lexsort((np.arange(n), labels))  # nodes grouped by component, in position order
    starts = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    local = np.empty(n, dtype=np.int64)
    local[order] = np.arange(n) - starts[labels[order]]
    # Both directions of each edge, the diagonal once.
    loop = rows == cols
    r = np.concatenate([rows, cols[~loop]])
    c = np.concatenate([cols, rows[~loop]])
    w = np.concatenate([weights, weights[~loop]])
    comp_of_edge = labels[r]
    edge_order = np.argsort(comp_of_edge, kind="stable")
    r, c, w, comp_of_edge = r[edge_order], c[edge_order], w[edge_order], comp_of_edge[edge_order]
    edge_start = np.searchsorted(comp_of_edge, np.arange(len(sizes)))
    edge_end = np.searchsorted(comp_of_edge, np.arange(len(sizes)), side="right")

    small = np.flatnonzero((sizes >= 2) & (sizes <= engine._SMALL_COMPONENT))
    for s in np.unique(sizes[small]):
        comps = small[sizes[small] == s]
        block = np.full(len(sizes), -1, dtype=np.int64)
        block[comps] = np.arange(len(comps))
        mask = block[comp_of_edge] >= 0
        M = np.zeros((len(comps), s, s))
        np.add.at(M, (block[comp_of_edge[mask]], local[r[mask]], local[c[mask]]), w[mask])
        _, vecs = np.linalg.eigh(M)
        lead = np.abs(vecs[:, :, -1])
        lead /= np.linalg.norm(lead, axis=1, keepdims=True)
        lead *= math.sqrt(s / n)
        members = order[(starts[comps][:, None] + np.arange(s)[None, :]).ravel()]
        values[members] = lead.ravel()
    for comp in np.flatnonzero(sizes > engine._SMALL_COMPONENT):
        s = int(sizes[comp])
        members = order[starts[comp] : starts[comp] + s]
        a, b = edge_start[comp], edge_end[comp]
        if s <= engine._DENSE_COMPONENT:
            M = np.zeros((s, s))
            np.add.at(M, (local[r[a:b]], local[c[a:b]]), w[a:b])
            _, vecs = np.linalg.eigh(M)
            vec = vecs[:, -1]
        else:
            ig = engine.igraph()

            # igraph's ARPACK call (2-7x faster than scipy's eigsh here); each edge once.
            once = r[a:b] <= c[a:b]
            sub = ig.Graph(n=s, edges=engine.edge_list(local[r[a:b]][once], local[c[a:b]][once]))
            vec = np.asarray(sub.eigenvector_centrality(scale=True, weights=w[a:b][once].tolist()))
        vec = np.abs(vec)
        vec = vec / (np.linalg.norm(vec) or 1.0) * math.sqrt(s / n)
        values[members] = vec
    return values


def test_eigenvector_arrays_gives_the_values_of_its_int64_version_bit_for_bit() -> None:
    # Components of 1, 2, 5, 70 (dense eigh) and 1,500 (ARPACK) nodes, self-loops, weights,
    # positions shuffled so that components are not contiguous.
    rng = random.Random(3)
    sizes = [1, 2, 5, 70, 1500]
    edges: set[tuple[int, int]] = set()
    start = 0
    for s in sizes:
        for i in range(1, s):
            edges.add((start + rng.randrange(i), start + i))  # a spanning tree: connected
        for _ in range(2 * s):
            u, v = start + rng.randrange(s), start + rng.randrange(s)
            edges.add((min(u, v), max(u, v)))
        start += s
    n = start
    perm = np.array(rng.sample(range(n), n))
    pairs = sorted({(min(perm[u], perm[v]), max(perm[u], perm[v])) for u, v in edges})
    rows = np.array([p[0] for p in pairs], dtype=np.int64)
    cols = np.array([p[1] for p in pairs], dtype=np.int64)
    weights = np.array([1 + rng.randrange(3) for _ in pairs], dtype=np.int64)
    labels = np.empty(n, dtype=np.int64)
    labels[perm] = np.repeat(np.arange(len(sizes)), sizes)
    got = engine.eigenvector_arrays(n, rows, cols, weights, labels)
    # Seeded now (ARPACK draws from igraph's generator): the same floats every time, and those
    # of the int64 version run with the same seed.
    assert got.tolist() == engine.eigenvector_arrays(n, rows, cols, weights, labels).tolist()
    with engine._seeded(0):
        before = _eigenvector_arrays_before(n, rows, cols, weights, labels)
    assert got.tolist() == before.tolist()
    # And what the values are: per component, norm sqrt(size / n); the isolated node 0.
    for k, s in enumerate(sizes):
        norm = float(np.linalg.norm(got[labels == k]))
        assert norm == 0.0 if s == 1 else abs(norm - (s / n) ** 0.5) < 1e-12
