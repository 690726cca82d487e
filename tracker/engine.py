"""The fast engine: heavy graph metrics computed by igraph's C core (and numpy/scipy).

networkx stays the model and the API; on large graphs the metrics that are 10-100x slower in
pure Python (sampled betweenness, closeness, eigenvector, Louvain, layouts) run here instead.
Each function takes a simple networkx graph (the output of `tracker.graph.collapse`) or an
`EngineGraph` built straight from an edge table, and returns a dict keyed by node id, giving the
same numbers as the networkx function it stands for (tests check this within 1e-9 on small
graphs; PageRank and eigenvector within 1e-7, as solvers). Conversion is part of the cost, so an
`EngineGraph` is built once (`from_edges`, 3-4x cheaper than `from_networkx`) and reused.

Licence: python-igraph is GPL-2.0-or-later; numpy and scipy are BSD.
"""

from __future__ import annotations

import contextlib
import math
import random
from collections.abc import Hashable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import networkx as nx

__all__ = [
    "EngineGraph",
    "from_networkx",
    "from_edges",
    "edge_list",
    "edge_pairs",
    "weight_list",
    "sample",
    "betweenness",
    "subset_betweenness",
    "harmonic",
    "closeness",
    "pagerank",
    "eigenvector",
    "eigenvector_arrays",
    "louvain",
    "louvain_membership",
    "leiden",
    "leiden_membership",
    "group_numbers",
    "modularity",
    "components",
    "number_groups",
    "layout",
    "igraph",
]

#: Components up to this size get their leading eigenvector from one batched dense `eigh`.
_SMALL_COMPONENT = 64
#: Components up to this size use dense `eigh` (exact); larger ones sparse `eigsh`.
_DENSE_COMPONENT = 1000


def igraph() -> Any:
    """The igraph module, imported without its drawing side.

    python-igraph imports matplotlib.pyplot at import time whenever matplotlib is installed
    (for plotting, which tracker never asks of it): 1-1.5 s of every command that lays out a
    view or computes a metric. matplotlib is hidden while igraph loads, so igraph falls back to
    its placeholder for drawing; tracker's own charts import matplotlib as usual afterwards.
    """
    import sys

    module = sys.modules.get("igraph")
    if module is not None:
        return module
    hide = "matplotlib" not in sys.modules
    if hide:
        sys.modules["matplotlib"] = None  # type: ignore[assignment]  # `import matplotlib` raises ImportError
    try:
        import igraph as ig
    finally:
        if hide and "matplotlib" in sys.modules and sys.modules["matplotlib"] is None:
            del sys.modules["matplotlib"]
    return ig


@dataclass
class EngineGraph:
    """An igraph graph with the node ids of the networkx graph it came from, in order."""

    graph: Any
    ids: list[Hashable]

    @property
    def directed(self) -> bool:
        return bool(self.graph.is_directed())

    def as_dict(self, values: Sequence[float]) -> dict[Hashable, float]:
        return {n: float(v) for n, v in zip(self.ids, values)}

    def values(self, values: Sequence[float], as_array: bool) -> Any:
        """`as_dict`, or with `as_array` the same floats as a numpy array in `ids` order: a dict of
        millions of ids costs about 100 bytes an entry, the array 8 (`tracker.metrics` at scale)."""
        if not as_array:
            return self.as_dict(values)
        import numpy as np

        return np.asarray(values, dtype=float)

    def weights(self) -> list[float] | None:
        return self.graph.es["weight"] if "weight" in self.graph.es.attributes() else None


def from_networkx(G: nx.Graph | nx.DiGraph, weight: str | None = None) -> EngineGraph:
    """Convert a simple networkx graph; node order is the graph's own."""
    ig = igraph()

    ids = list(G.nodes())
    index = {n: i for i, n in enumerate(ids)}
    edges = [(index[u], index[v]) for u, v in G.edges()]
    g = ig.Graph(n=len(ids), edges=edges, directed=G.is_directed())
    if weight is not None:
        g.es["weight"] = [float(d.get(weight, 1.0)) for _, _, d in G.edges(data=True)]
    return EngineGraph(g, ids)


def from_edges(
    ids: Sequence[Hashable],
    sources: Iterable[int],
    targets: Iterable[int],
    directed: bool = True,
    weights: Iterable[float] | None = None,
    simple: bool = False,
) -> EngineGraph:
    """Build straight from integer edge columns (3-4x cheaper than converting a networkx graph).

    Parallel edges merge into one, their weights summed (each counts 1 without `weights`), as
    `tracker.graph.collapse` does; self-loops are kept, as networkx keeps them. With `simple`,
    the caller promises the pairs are already distinct and the merge is skipped.
    """
    ig = igraph()
    import numpy as np

    src = np.asarray(list(sources) if not hasattr(sources, "__len__") else sources, dtype=np.int64)
    dst = np.asarray(list(targets) if not hasattr(targets, "__len__") else targets, dtype=np.int64)
    g = ig.Graph(n=len(ids), edges=edge_pairs(src, dst), directed=directed)
    w = np.ones(len(src)) if weights is None else np.asarray(list(weights) if not hasattr(weights, "__len__") else weights)
    g.es["weight"] = weight_list(w)
    if not simple:
        g.simplify(multiple=True, loops=False, combine_edges="sum")
    return EngineGraph(g, list(ids))


def edge_list(sources: Any, targets: Any) -> list[tuple[int, int]]:
    """Two integer columns as the list of pairs igraph is built from, in order.

    igraph reads a numpy array of pairs element by element: a list of int tuples made by
    `tolist` builds the same graph in half the time (1.4 s against 2.7 s for 1.5M edges).

    Examples
    --------
    >>> import numpy as np
    >>> edge_list(np.array([0, 2]), np.array([1, 0]))
    [(0, 1), (2, 0)]
    """
    import numpy as np

    return list(zip(np.asarray(sources).tolist(), np.asarray(targets).tolist()))


#: Pairs made into Python tuples at a time by `edge_pairs`.
_PAIRS_CHUNK = 1 << 20


def edge_pairs(sources: Any, targets: Any) -> Iterator[tuple[int, int]]:
    """`edge_list` made a million pairs at a time, for igraph's constructor to read as it goes.

    The same pairs in the same order, so the same graph, as fast, but the list of tuples of
    every edge is never held at once: about 120 bytes an edge (3.5 GB for the 29.5 million
    relations of 10M ICIJ nodes) against a million pairs' worth.

    Examples
    --------
    >>> import numpy as np
    >>> list(edge_pairs(np.array([0, 2]), np.array([1, 0])))
    [(0, 1), (2, 0)]
    """
    import itertools

    import numpy as np

    a, b = np.asarray(sources), np.asarray(targets)
    step = _PAIRS_CHUNK
    return itertools.chain.from_iterable(zip(a[i : i + step].tolist(), b[i : i + step].tolist()) for i in range(0, len(a), step))


def weight_list(values: Any) -> list[float]:
    """An edge attribute list of floats, as ``np.asarray(values, dtype=float).tolist()``, with one float object per distinct whole value.

    igraph keeps edge attributes as Python lists: one float object of 24 bytes per edge (0.7 GB
    per graph at 10M ICIJ nodes), though the weights (relation counts) take a handful of values.
    Whole numbers from 0 to a million share their object; anything else is converted as usual.

    Examples
    --------
    >>> import numpy as np
    >>> w = weight_list(np.array([1, 2, 1]))
    >>> w, w[0] is w[2], weight_list(np.array([0.5, 1.0]))
    ([1.0, 2.0, 1.0], True, [0.5, 1.0])
    """
    import numpy as np

    v = np.asarray(values)
    if len(v) and v.dtype.kind in "iuf":
        whole = v.astype(np.int64) if v.dtype.kind == "f" else v
        low, high = int(whole.min()), int(whole.max())
        if 0 <= low and high <= 1_000_000 and (v.dtype.kind != "f" or bool(np.array_equal(whole, v))):
            shared = np.asarray([float(x) for x in range(high + 1)], dtype=object)
            out: list[float] = shared[whole].tolist()
            return out
    floats: list[float] = np.asarray(v, dtype=float).tolist()
    return floats


def _graph_of_pairs(ig: Any, n: int, pairs: list[tuple[int, int]]) -> Any:
    """`ig.Graph(n=n, edges=pairs)` for a list of pairs, without importing numpy.

    igraph's constructor imports numpy to ask whether `edges` is an array (a sixth of a second,
    in a view that needs numpy for nothing else); a list never is, so while numpy is not loaded
    the import is made to fail (igraph then skips the question), as `igraph` hides matplotlib.
    """
    import sys

    if "numpy" in sys.modules:
        return ig.Graph(n=n, edges=pairs)
    sys.modules["numpy"] = None  # type: ignore[assignment]  # `import numpy` raises ImportError
    try:
        return ig.Graph(n=n, edges=pairs)
    finally:
        if "numpy" in sys.modules and sys.modules["numpy"] is None:
            del sys.modules["numpy"]


@contextlib.contextmanager
def _seeded(seed: int) -> Iterator[None]:
    """Run igraph with its own seeded random generator, then give it back the global one."""
    ig = igraph()

    ig.set_random_number_generator(random.Random(seed))
    try:
        yield
    finally:
        ig.set_random_number_generator(random)


def _engine(G: nx.Graph | EngineGraph) -> EngineGraph:
    return G if isinstance(G, EngineGraph) else from_networkx(G)


def sample(n: int, k: int, seed: int) -> list[int]:
    """The positions networkx samples: ``random.Random(seed).sample(range(n), k)``.

    `nx.betweenness_centrality(G, k, seed=seed)` draws ``random.Random(seed).sample(list(G), k)``,
    so on the same node order both engines use the same nodes.

    Examples
    --------
    >>> sample(10, 3, 42) == random.Random(42).sample(range(10), 3)
    True
    """
    return random.Random(seed).sample(range(n), min(k, n))


def betweenness(G: nx.Graph | EngineGraph, k: int | None = None, seed: int = 42, normalized: bool = True, as_array: bool = False) -> Any:
    """Betweenness centrality, exact or from `k` sampled sources, as `nx.betweenness_centrality`.

    A dict keyed by node id, or with `as_array` a numpy array in the graph's node order.
    With `k`, the sources are drawn exactly as networkx draws them (`random.Random(seed).sample`
    over the node list), so the two engines agree on the same sample. Unweighted.

    Examples
    --------
    >>> G = nx.florentine_families_graph()
    >>> round(betweenness(G)["Medici"], 4) == round(nx.betweenness_centrality(G)["Medici"], 4)
    True
    """
    E = _engine(G)
    n = len(E.ids)
    N = n - 1  # pairs (s, t) that can pass through v exclude v itself (networkx's _rescale)
    if N < 2:
        return E.values([0.0] * n, as_array)
    if k is None or k >= n:
        raw = E.graph.betweenness(directed=E.directed)
        if normalized:
            scale = (1 if E.directed else 2) / (N * (N - 1))
            values = [v * scale for v in raw]
        else:
            values = list(raw)
        return E.values(values, as_array)
    chosen = sample(n, k, seed)
    # igraph counts each unordered pair once when restricted to sources; networkx counts the
    # ordered pairs from each sampled source, so undirected values double first.
    raw = [v * (1 if E.directed else 2) for v in E.graph.betweenness(directed=E.directed, sources=chosen)]
    correction = 1 if E.directed or normalized else 2
    if normalized:
        scale_source = 1 / ((k - 1) * (N - 1)) if k > 1 else float("nan")
        scale_other = 1 / (k * (N - 1))
    else:
        scale_source = N / ((k - 1) * correction) if k > 1 else float("nan")
        scale_other = N / (k * correction)
    picked = set(chosen)
    values = [v * (scale_source if i in picked else scale_other) for i, v in enumerate(raw)]
    return E.values(values, as_array)


def subset_betweenness(G: nx.Graph | EngineGraph, sources: Sequence[int], targets: Sequence[int]) -> dict[Hashable, float]:
    """Shortest paths from `sources` to `targets` (positions) through each node, summed over pairs.

    Unnormalised, each (source, target) pair counted once: on an undirected graph with disjoint
    sets this is twice `nx.betweenness_centrality_subset(..., normalized=False)` (networkx and
    igraph both halve undirected values).

    Examples
    --------
    >>> G = nx.path_graph(4)
    >>> subset_betweenness(G, [0], [3])
    {0: 0.0, 1: 1.0, 2: 1.0, 3: 0.0}
    """
    E = _engine(G)
    if not len(sources) or not len(targets):
        return E.as_dict([0.0] * len(E.ids))
    raw = E.graph.betweenness(directed=E.directed, sources=list(sources), targets=list(targets))
    return E.as_dict([v * (1 if E.directed else 2) for v in raw])


def harmonic(G: nx.Graph | EngineGraph, vertices: Sequence[int] | None = None) -> dict[Hashable, float]:
    """Harmonic centrality (sum of 1/distance), as `nx.harmonic_centrality` (not normalised).

    With `vertices` (positions), only those nodes are computed (one BFS each) and returned.
    """
    E = _engine(G)
    n = len(E.ids)
    mode = "in" if E.directed else "all"
    if vertices is not None:
        vs = list(vertices)
        values = E.graph.harmonic_centrality(vertices=vs, mode=mode, normalized=False) if n > 1 else [0.0] * len(vs)
        return {E.ids[v]: float(x) for v, x in zip(vs, values)}
    values = E.graph.harmonic_centrality(mode=mode, normalized=False)
    if n <= 1:
        values = [0.0] * n
    return E.as_dict(values)


def closeness(G: nx.Graph | EngineGraph, vertices: Sequence[int] | None = None) -> dict[Hashable, float]:
    """Closeness with the Wasserman-Faust correction for disconnected graphs, as networkx's default.

    With `vertices` (positions), only those nodes are computed and returned.
    """
    E = _engine(G)
    n = len(E.ids)
    g = E.graph
    mode = "in" if E.directed else "all"
    vs = list(range(n)) if vertices is None else list(vertices)
    if not vs:
        return {}
    raw = g.closeness(vertices=vs, mode=mode, normalized=True)  # (reachable-1) / sum of distances, within reach
    if E.directed:
        reach = [len(g.subcomponent(v, mode=mode)) for v in vs]
    else:
        membership = g.connected_components().membership
        size: dict[int, int] = {}
        for m in membership:
            size[m] = size.get(m, 0) + 1
        reach = [size[membership[v]] for v in vs]
    values = []
    for c, r in zip(raw, reach):
        if c != c or r <= 1 or n <= 1:  # NaN for isolated vertices
            values.append(0.0)
        else:
            values.append(c * (r - 1) / (n - 1))
    return {E.ids[v]: float(x) for v, x in zip(vs, values)}


def pagerank(G: nx.Graph | EngineGraph, alpha: float = 0.85, weight: str | None = None, as_array: bool = False) -> Any:
    """PageRank by igraph's PRPACK solver (exact, no tolerance trap at scale).

    networkx stops when the L1 change is below ``N * tol``: at 1M nodes its default stops
    after two iterations, off by up to 19% (issue 8). PRPACK solves the linear system instead.
    """
    E = _engine(G) if weight is None or isinstance(G, EngineGraph) else from_networkx(G, weight=weight)
    w = E.weights() if weight is not None else None
    return E.values(E.graph.pagerank(damping=alpha, weights=w, directed=E.directed, implementation="prpack"), as_array)


def eigenvector_arrays(n: int, rows: Any, cols: Any, weights: Any, labels: Any) -> Any:
    """Per-component eigenvector centrality from an undirected edge list, as numpy arrays.

    `rows`/`cols`/`weights` list each undirected edge once (a self-loop adds its weight to the
    diagonal once, as `nx.to_numpy_array` does); `labels` is the component of each node. Each
    component of two or more nodes gets its principal eigenvector (non-negative, unit norm),
    scaled by ``sqrt(size / n)``; isolated nodes get 0. Small components are solved in one
    batched dense `eigh` per size, up to 1,000 nodes one dense `eigh` each, above that igraph's
    ARPACK eigensolver, so no Python loop runs per small component.
    `tracker.metrics.eigenvector_by_component` is the same definition in networkx.
    """
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
    # Both directions of each edge, the diagonal once; grouped by component, in edge order within.
    # Positions as int32 when they fit and each array reordered in turn: at 10M ICIJ nodes these
    # are 50 million entries each, and all of them at once in int64 were 3.6 GB.
    index: Any = np.int32 if n < 2**31 else np.int64
    away = rows != cols
    r = np.concatenate([rows, cols[away]]).astype(index)
    comp_of_edge = labels[r].astype(index)
    edge_order = np.argsort(comp_of_edge, kind="stable")
    comp_of_edge = comp_of_edge[edge_order]
    r = r[edge_order]
    c = np.concatenate([cols, rows[away]]).astype(index)[edge_order]
    w = np.concatenate([weights, weights[away]])[edge_order]
    del edge_order, away
    edge_start = np.searchsorted(comp_of_edge, np.arange(len(sizes)))
    edge_end = np.searchsorted(comp_of_edge, np.arange(len(sizes)), side="right")

    small = np.flatnonzero((sizes >= 2) & (sizes <= _SMALL_COMPONENT))
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
    for comp in np.flatnonzero(sizes > _SMALL_COMPONENT):
        s = int(sizes[comp])
        members = order[starts[comp] : starts[comp] + s]
        a, b = edge_start[comp], edge_end[comp]
        if s <= _DENSE_COMPONENT:
            M = np.zeros((s, s))
            np.add.at(M, (local[r[a:b]], local[c[a:b]]), w[a:b])
            _, vecs = np.linalg.eigh(M)
            vec = vecs[:, -1]
        else:
            ig = igraph()

            # igraph's ARPACK call (2-7x faster than scipy's eigsh here); each edge once. ARPACK
            # draws from igraph's generator: seeded, the same graph gives the same floats to the
            # last bit (unseeded they differed by 1e-16 from run to run).
            once = r[a:b] <= c[a:b]
            sub = ig.Graph(n=s, edges=edge_pairs(local[r[a:b]][once], local[c[a:b]][once]))
            with _seeded(0):
                vec = np.asarray(sub.eigenvector_centrality(scale=True, weights=weight_list(w[a:b][once])))
        vec = np.abs(vec)
        vec = vec / (np.linalg.norm(vec) or 1.0) * math.sqrt(s / n)
        values[members] = vec
    return values


def eigenvector(G: nx.Graph | EngineGraph, weight: str | None = None) -> dict[Hashable, float]:
    """Eigenvector centrality per connected component (see `eigenvector_arrays`).

    networkx's numpy solver refuses disconnected graphs; here each component gets its own
    leading eigenvector, unit norm, scaled by ``sqrt(size / n)``; isolated nodes score zero.
    On a connected graph this is `nx.eigenvector_centrality_numpy`.
    """
    import numpy as np

    E = _engine(G) if weight is None or isinstance(G, EngineGraph) else from_networkx(G, weight=weight)
    g = E.graph.as_undirected(combine_edges="sum") if E.directed else E.graph
    edges = np.asarray(g.get_edgelist(), dtype=np.int64).reshape(-1, 2)
    w = g.es["weight"] if weight is not None and "weight" in g.es.attributes() else np.ones(len(edges))
    labels = g.connected_components().membership
    values = eigenvector_arrays(len(E.ids), edges[:, 0], edges[:, 1], w, labels)
    return E.as_dict(values.tolist())


def number_groups(membership: Sequence[int], ids: Sequence[Hashable]) -> list[int]:
    """Renumber groups from 0 by size (largest first), then smallest member id.

    Examples
    --------
    >>> number_groups([5, 5, 9, 7, 7], ["c", "d", "a", "b", "e"])
    [1, 1, 2, 0, 0]
    """
    numbers: list[int] = group_numbers(membership, ids).tolist()
    return numbers


def group_numbers(membership: Sequence[int], ids: Sequence[Hashable]) -> Any:
    """`number_groups` as a numpy array: at millions of nodes a list of Python ints is ten times the size."""
    import numpy as np

    m = np.asarray(membership, dtype=np.int64)
    if not len(m):
        return np.zeros(0, dtype=np.int64)
    ids = ids if isinstance(ids, list) else list(ids)
    if all(str(a) <= str(b) for a, b in zip(ids, ids[1:])):
        rank = np.arange(len(ids))
    else:
        rank = np.empty(len(ids), dtype=np.int64)
        rank[np.array(sorted(range(len(ids)), key=lambda i: str(ids[i])), dtype=np.int64)] = np.arange(len(ids))
    _, m = np.unique(m, return_inverse=True)
    sizes = np.bincount(m)
    first = np.full(len(sizes), len(ids), dtype=np.int64)
    np.minimum.at(first, m, rank)
    order = np.lexsort((first, -sizes))
    number = np.empty(len(sizes), dtype=np.int64)
    number[order] = np.arange(len(sizes))
    return number[m]


def louvain(G: nx.Graph | EngineGraph, seed: int = 42, weight: str | None = "weight") -> dict[Hashable, int]:
    """Louvain communities (igraph multilevel), numbered by size then smallest member id.

    igraph visits nodes in a random order drawn from its generator, seeded here for the call,
    so the same graph with the same node order gives the same partition.
    """
    E = _engine(G) if weight is None or isinstance(G, EngineGraph) else from_networkx(G, weight=weight)
    return dict(zip(E.ids, louvain_membership(E, seed=seed, weight=weight).tolist()))


def louvain_membership(G: nx.Graph | EngineGraph, seed: int = 42, weight: str | None = "weight") -> Any:
    """`louvain` as a numpy array of group numbers in `ids` order (no dict of millions of ids)."""
    E = _engine(G) if weight is None or isinstance(G, EngineGraph) else from_networkx(G, weight=weight)
    g = E.graph.as_undirected(combine_edges="sum") if E.directed else E.graph
    w = "weight" if weight is not None and "weight" in g.es.attributes() else None
    with _seeded(seed):
        parts = g.community_multilevel(weights=w)
    return group_numbers(parts.membership, E.ids)


#: Leiden's passes over the graph (`leiden`): igraph's default; two passes already give a higher
#: modularity than Louvain's converged levels on the ICIJ-layout graphs (0.382 against 0.373 at 500k).
LEIDEN_ITERATIONS = 2


def leiden_membership(G: nx.Graph | EngineGraph, seed: int = 42, weight: str | None = "weight") -> Any:
    """Leiden communities optimising modularity (igraph): group numbers in `ids` order, numbered as `louvain`'s.

    Louvain (`louvain`) can leave a community internally disconnected and converges slowly on
    millions of nodes; Leiden refines each level so communities stay connected, and at 500k
    ICIJ-layout entities took 15 s against Louvain's 34 s. igraph's generator is seeded for the
    call (it draws the node order and the refinement's random moves), so the same graph with
    the same node order gives the same partition. `tracker.metrics.plan` says when it is used.

    Examples
    --------
    >>> leiden_membership(nx.Graph([(0, 1), (1, 2), (0, 2), (3, 4), (4, 5), (3, 5), (2, 3)])).tolist()
    [0, 0, 0, 1, 1, 1]
    """
    E = _engine(G) if weight is None or isinstance(G, EngineGraph) else from_networkx(G, weight=weight)
    g = E.graph.as_undirected(combine_edges="sum") if E.directed else E.graph
    w = "weight" if weight is not None and "weight" in g.es.attributes() else None
    with _seeded(seed):
        parts = g.community_leiden(objective_function="modularity", weights=w, n_iterations=LEIDEN_ITERATIONS)
    return group_numbers(parts.membership, E.ids)


def leiden(G: nx.Graph | EngineGraph, seed: int = 42, weight: str | None = "weight") -> dict[Hashable, int]:
    """`leiden_membership` as a dict keyed by node id."""
    E = _engine(G) if weight is None or isinstance(G, EngineGraph) else from_networkx(G, weight=weight)
    return dict(zip(E.ids, leiden_membership(E, seed=seed, weight=weight).tolist()))


def modularity(G: nx.Graph | EngineGraph, membership: Sequence[int], weight: str | None = "weight") -> float:
    """Modularity of a partition (positions' group numbers), as `nx.community.modularity`."""
    E = _engine(G) if weight is None or isinstance(G, EngineGraph) else from_networkx(G, weight=weight)
    g = E.graph
    if g.ecount() == 0:
        return 0.0
    w = "weight" if weight is not None and "weight" in g.es.attributes() else None
    return float(g.modularity(list(membership), weights=w, directed=False))


def components(G: nx.Graph | EngineGraph) -> dict[Hashable, int]:
    """Weakly connected components, numbered from 0 by size then smallest member id."""
    E = _engine(G)
    parts = E.graph.connected_components(mode="weak")
    return dict(zip(E.ids, number_groups(parts.membership, E.ids)))


def layout(G: nx.Graph | nx.MultiDiGraph | EngineGraph, seed: int = 42) -> dict[Hashable, tuple[int, int]]:
    """Fixed x/y per node from igraph's Fruchterman-Reingold, seeded and deterministic.

    igraph took 0.8 s at 5,000 nodes where networkx's spring layout took 83 s (issue 4). Node
    ids are sorted first and each linked pair becomes one edge, so the picture depends on the
    graph, not on the order its nodes or relations were added. Start positions come from a
    seeded generator and igraph's own generator is seeded for the call. Positions are scaled
    to about 100 px between neighbours and rounded to whole pixels.

    Examples
    --------
    >>> pos = layout(nx.path_graph(3))
    >>> pos == layout(nx.path_graph([2, 1, 0])), sorted(pos)
    (True, [0, 1, 2])
    """
    ig = igraph()

    if isinstance(G, EngineGraph):
        pairs_raw = [(G.ids[a], G.ids[b]) for a, b in G.graph.get_edgelist()]
        nodes = list(G.ids)
    else:
        pairs_raw = list(G.edges())
        nodes = list(G.nodes)
    order = sorted(nodes)  # type: ignore[type-var]
    n = len(order)
    if n == 0:
        return {}
    index = {ident: i for i, ident in enumerate(order)}
    pairs = sorted({(min(index[u], index[v]), max(index[u], index[v])) for u, v in pairs_raw if u != v})
    g = _graph_of_pairs(ig, n, pairs)
    rng = random.Random(seed)
    start = [[rng.uniform(-1.0, 1.0) * math.sqrt(n), rng.uniform(-1.0, 1.0) * math.sqrt(n)] for _ in range(n)]
    with _seeded(seed):
        coords = g.layout_fruchterman_reingold(seed=start, niter=500).coords
    xs = [c[0] for c in coords]
    ys = [c[1] for c in coords]
    cx, cy = sum(xs) / n, sum(ys) / n
    radius = max((math.hypot(x - cx, y - cy) for x, y in zip(xs, ys, strict=True)), default=0.0) or 1.0
    target = 60.0 * math.sqrt(n) + 200.0
    scale = target / radius
    return {ident: (round((x - cx) * scale), round((y - cy) * scale)) for ident, x, y in zip(order, xs, ys, strict=True)}
