"""Centrality, communities and brokerage over the canonical graph.

Written the way networkx writes algorithms: `G` first, numpydoc docstrings whose examples run as
doctests. Every metric runs on a graph *derived* from the canonical `nx.MultiDiGraph` (as
`tracker.graph.collapse` does): one edge per linked pair, `weight` = number of relations. The
derived graphs are built once per report in `Views`, from one pass over the relations into an
`EdgeTable` (integer columns, node ids sorted so results never depend on row order), and each
metric is a small function of those views.

Two engines compute the same definitions: networkx (pure Python, the reference) and the fast
engine `tracker.engine` (igraph's C core, numpy, scipy). ``engine="auto"`` uses igraph above
`ENGINE_MIN_NODES` entities; the igraph graphs are built once, straight from the edge table, and
reused by every metric. Tests force each engine on the same graphs and compare (1e-9; PageRank
and eigenvector 1e-7; Louvain is the same method, but the two implementations may split a
graph differently). The engine used and every sampling choice are stated in the output notes.

Edge direction, once for all metrics: a relation points from the actor (owner, officer,
adviser, lender, claimant) to its object. Undirected relations (family, associate) count both
ways in the directed graph.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any

import networkx as nx

if TYPE_CHECKING:  # pandas is imported where a table is made: the view's sizes need none (0.6 s)
    import pandas as pd

__all__ = [
    "METRICS",
    "ENGINES",
    "Metric",
    "EdgeTable",
    "Views",
    "plan",
    "resolve_engine",
    "BROKERAGE_ROLES",
    "CHANNEL_EXCLUDE",
    "NOT_ACTORS",
    "tie_kinds",
    "meta_note",
    "BETWEENNESS_EXACT_MAX",
    "centrality",
    "scores",
    "pagerank_networkx",
    "communities",
    "eigenvector_by_component",
    "harmonic_sums",
    "brokerage_roles",
    "brokerage_counts",
    "brokers",
]

#: Engines: ``auto`` = networkx up to `ENGINE_MIN_NODES` entities, igraph above.
ENGINES = ("auto", "networkx", "igraph")
ENGINE_MIN_NODES = 5000
#: Above this many nodes betweenness is estimated from `k` sampled sources (fixed seed).
BETWEENNESS_EXACT_MAX = 2000
#: Number of sampled sources for estimated betweenness.
BETWEENNESS_K = 500
#: Closeness and harmonic cost one BFS per node (O(nm)): above this many nodes they are computed
#: exactly for a fixed-seed sample of `CLOSENESS_K` nodes only (the others are left empty).
CLOSENESS_EXACT_MAX = 5000
CLOSENESS_K = 500
#: Above this many nodes one BFS costs a second or more, so the samples shrink to `LARGE_K`
#: (betweenness, closeness and harmonic: 3 x 100 BFS at 1M nodes instead of 3 x 500).
LARGE_NODES = 200_000
LARGE_K = 100
#: Above a million nodes the samples shrink further, so that the BFS of each sampled metric
#: visit at most about `SAMPLE_BUDGET` nodes in all (k x nodes): 50 sources at 2M nodes, 10 at
#: 10M (never fewer than `MIN_K`). One BFS at 2M costs 1-2 s of CPU, and betweenness, closeness
#: and harmonic each ran 100 of them: more than the 4 minutes the whole build has at 2M (issue 12).
SAMPLE_BUDGET = 100_000_000
MIN_K = 10
#: Above the same size (where `SAMPLE_BUDGET` starts to shrink the samples: a million nodes) the
#: community column comes from igraph's Leiden (modularity, `tracker.engine.LEIDEN_ITERATIONS`
#: passes, seeded) instead of Louvain (multilevel): Louvain was half the build's metrics at 2M
#: (about 200 s of CPU) and Leiden reaches a higher modularity in under half the time. Up to
#: it, Louvain stays, and with it every community column written so far.
LEIDEN_ABOVE = SAMPLE_BUDGET // LARGE_K
#: Subset betweenness costs one BFS per source: above this many elite entities, a fixed-seed
#: sample of them is used and the sums are scaled up by (sources / sample).
SUBSET_SOURCES_MAX = 500
SEED = 42

#: Relation kinds that record what someone said or did *about* an entity (claims, answers,
#: reports, index rankings, investigations, sanctions, lawsuits) or where it is registered,
#: rather than a channel through which money or influence passes. A newspaper reporting on two
#: people does not broker between them, and a registry country is not an intermediary, so the
#: broker and jurisdiction-path measures leave these out. Centrality keeps every relation.
CHANNEL_EXCLUDE = frozenset(
    {
        "alleged",
        "response",
        "reported_on",
        "ranked",
        "investigated_by",
        "sanctioned_by",
        "litigation",
        "registered_in",
        "located_in",
        "constitutional_tie",  # a fact about two jurisdictions (Crown Dependency, Overseas Territory)
    }
)

#: Entity kinds that are places, not actors: shortest paths through them (two companies
#: "linked" by their registry country) do not count in betweenness unless meta is included.
NOT_ACTORS = frozenset({"jurisdiction"})


def tie_kinds(model: Any, include_meta: bool = False) -> frozenset[str]:
    """The relation kinds that count as ties between actors in centrality, brokerage and communities.

    The schema marks with ``tie: false`` the kinds that are not ties (an index ranking a
    jurisdiction, a publisher reporting on someone, a denial answering a claim already
    counted); they are left out unless `include_meta`. Any edge table the metrics run on,
    whatever builds it, is restricted to these kinds (`EdgeTable.only_kinds`).

    Examples
    --------
    >>> from tracker.model import load_model
    >>> m = load_model()
    >>> sorted(set(m.relation_kinds) - tie_kinds(m))[:3], tie_kinds(m, include_meta=True) == frozenset(m.relation_kinds)
    (['constitutional_tie', 'declared_unknown_owner', 'ranked'], True)
    """
    return frozenset(name for name, kind in model.relation_kinds.items() if include_meta or kind.tie)


def meta_note(model: Any, include_meta: bool) -> str:
    """What centrality left out, for the report's notes."""
    if include_meta:
        return "every relation kind counted (--include-meta), and jurisdictions are in betweenness"
    left = ", ".join(sorted(set(model.relation_kinds) - tie_kinds(model)))
    return (
        f"centrality among actors: relations of kinds {left} are not ties between actors and are left out, "
        "and betweenness leaves out paths through jurisdictions; --include-meta counts them"
    )


#: Gould & Fernandez (1989) roles, keyed by (same group as a?, same group as c?, a and c same?).
BROKERAGE_ROLES = ("coordinator", "gatekeeper", "representative", "liaison", "itinerant")

PAGERANK_NOTE = (
    "edges point from the actor (owner, officer, adviser, lender) to its object; PageRank "
    "(alpha 0.85, {solver}) on the collapsed directed graph weighted by number of relations, "
    "undirected relations (family, associate) both ways"
)


@dataclass
class EdgeTable:
    """Every relation as integer columns over the sorted node ids: one pass over the graph.

    `src`/`dst` are positions in `ids`; `undirected` marks family/associate relations;
    `kinds` holds each relation's kind. The collapsed graphs of `Views` are derived from it
    with numpy, and the fast engine's graphs are built straight from it.
    """

    ids: list[Any]
    src: Any
    dst: Any
    undirected: Any
    kinds: Any
    #: Each node's entity kind, aligned with `ids` (None when the builder had none).
    node_kinds: Any = None

    @classmethod
    def from_graph(cls, G: nx.MultiDiGraph) -> EdgeTable:
        import numpy as np

        ids = sorted(G.nodes)
        us: list[Any] = []
        vs: list[Any] = []
        und: list[bool] = []
        kinds: list[str] = []
        for u, v, d in G.edges(data=True):
            us.append(u)
            vs.append(v)
            und.append(d.get("directed", True) is False)
            kinds.append(str(d.get("kind", "") or ""))
        pos = {x: i for i, x in enumerate(ids)}
        src = np.fromiter((pos[u] for u in us), dtype=np.int64, count=len(us))
        dst = np.fromiter((pos[v] for v in vs), dtype=np.int64, count=len(vs))
        nodes = G.nodes
        node_kinds = np.array([str(nodes[x].get("kind", "") or "") for x in ids], dtype=object)
        return cls(ids, src, dst, np.array(und, dtype=bool), np.array(kinds, dtype=object), node_kinds)

    @property
    def n(self) -> int:
        return len(self.ids)

    def subset(self, keep: Any) -> EdgeTable:
        """The same nodes with only the relations where `keep` (a boolean array) is true."""
        return EdgeTable(self.ids, self.src[keep], self.dst[keep], self.undirected[keep], self.kinds[keep], self.node_kinds)

    def only_kinds(self, kinds: Iterable[str]) -> EdgeTable:
        """The same nodes with only the relations of the given kinds (see `tie_kinds`)."""
        import numpy as np

        return self.subset(np.isin(self.kinds, np.array(sorted(set(kinds)), dtype=object)))

    def without_node_kinds(self, kinds: Iterable[str]) -> EdgeTable:
        """The same nodes, without the relations that touch a node of the given entity kinds."""
        import numpy as np

        if self.node_kinds is None:
            raise ValueError("this edge table has no node kinds")
        away = np.isin(self.node_kinds, np.array(sorted(set(kinds)), dtype=object))
        return self.subset(~(away[self.src] | away[self.dst]))

    def without_kinds(self, exclude: Iterable[str]) -> EdgeTable:
        import numpy as np

        drop = np.isin(self.kinds, np.array(sorted(set(exclude)), dtype=object))
        return self.subset(~drop)


def _pairs(n: int, a: Any, b: Any) -> tuple[Any, Any, Any]:
    """Distinct (a, b) pairs, sorted, with how many times each occurs."""
    import numpy as np

    if not len(a):
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty, empty
    keys, counts = np.unique(a.astype(np.int64) * n + b.astype(np.int64), return_counts=True)
    return keys // n, keys % n, counts


def resolve_engine(engine: str, n: int, min_nodes: int = ENGINE_MIN_NODES) -> str:
    """``networkx`` or ``igraph`` for a graph of `n` nodes (``auto``: igraph above `min_nodes`).

    Examples
    --------
    >>> resolve_engine("auto", 214), resolve_engine("auto", 80_000), resolve_engine("networkx", 10**6)
    ('networkx', 'igraph', 'networkx')
    """
    if engine not in ENGINES:
        raise ValueError(f"unknown engine {engine!r}; choose from {', '.join(ENGINES)}")
    if engine == "auto":
        return "igraph" if n > min_nodes else "networkx"
    return engine


def plan(n: int, **options: Any) -> dict[str, Any]:
    """What `centrality` will do on a graph of `n` nodes with these options: engine, exact or sampled.

    The benchmark's igraph reference reads this, so it computes exactly the same metrics.

    Examples
    --------
    >>> p = plan(80_000)
    >>> p["engine"], p["betweenness_k"], p["closeness_k"]
    ('igraph', 500, 500)
    >>> plan(214)["betweenness_k"] is None, plan(10**6)["closeness_k"]
    (True, 100)
    >>> plan(2_000_015)["betweenness_k"], plan(10**7)["closeness_k"], plan(10**9)["closeness_k"]
    (49, 10, 10)
    >>> plan(10**6)["community"], plan(10**6 + 1)["community"], plan(10**7, engine="networkx")["community"]
    ('louvain', 'leiden', 'louvain')
    """
    exact_max = int(options.get("betweenness_exact_max", BETWEENNESS_EXACT_MAX))
    close_max = int(options.get("closeness_exact_max", CLOSENESS_EXACT_MAX))
    large = max(MIN_K, min(LARGE_K, SAMPLE_BUDGET // max(n, 1)))
    engine = resolve_engine(str(options.get("engine", "auto")), n, int(options.get("engine_min_nodes", ENGINE_MIN_NODES)))
    return {
        "nodes": n,
        "engine": engine,
        # networkx has no Leiden of its own: it keeps Louvain at every size.
        "community": "leiden" if engine == "igraph" and n > LEIDEN_ABOVE else "louvain",
        "seed": int(options.get("seed", SEED)),
        "betweenness_k": None
        if n <= exact_max
        else min(int(options.get("betweenness_k", BETWEENNESS_K if n <= LARGE_NODES else large)), n),
        "closeness_k": None if n <= close_max else min(int(options.get("closeness_k", CLOSENESS_K if n <= LARGE_NODES else large)), n),
    }


class Views:
    """The derived graphs metrics run on, built once from a canonical graph and cached.

    Node order is always the sorted ids, so sampled metrics draw the same nodes on both engines
    and whatever order the data came in. `engine` is ``networkx`` or ``igraph``; the networkx
    graphs are only built for the networkx engine (and the igraph ones for igraph).
    """

    def __init__(self, G: nx.MultiDiGraph | None = None, engine: str = "networkx", table: EdgeTable | None = None) -> None:
        if G is None and table is None:
            raise ValueError("Views needs a graph or an edge table")
        self.G = G
        self.engine = engine
        if table is not None:
            self.__dict__["table"] = table

    @cached_property
    def table(self) -> EdgeTable:
        assert self.G is not None
        return EdgeTable.from_graph(self.G)

    @property
    def ids(self) -> list[Any]:
        return self.table.ids

    @property
    def n(self) -> int:
        return self.table.n

    def ties(self, model: Any, include_meta: bool = False) -> Views:
        """The same views over the ties between actors only (see `tie_kinds`).

        Relations of a kind the model does not know (hand-made graphs in examples) count.
        """
        if include_meta:
            return self
        return Views(self.G, self.engine, self.table.without_kinds(set(model.relation_kinds) - tie_kinds(model)))

    def actors_only(self) -> Views:
        """The same views without the relations that touch a place (`NOT_ACTORS`).

        A table built without node kinds (`EdgeTable.node_kinds` None) takes them from `G`.
        """
        import dataclasses

        import numpy as np

        table = self.table
        if table.node_kinds is None and self.G is not None:
            nodes = self.G.nodes
            kinds = np.array([str(nodes[x].get("kind", "") or "") for x in table.ids], dtype=object)
            table = dataclasses.replace(table, node_kinds=kinds)
        return Views(self.G, self.engine, table.without_node_kinds(NOT_ACTORS))

    def channels(self, exclude: Iterable[str] = CHANNEL_EXCLUDE) -> Views:
        """The same views over the channel relations only (see `CHANNEL_EXCLUDE`)."""
        return Views(self.G, self.engine, self.table.without_kinds(exclude))

    @cached_property
    def directed_pairs(self) -> tuple[Any, Any, Any]:
        """(a, b, weight) of the collapsed directed graph: undirected relations both ways."""
        import numpy as np

        t = self.table
        a = np.concatenate([t.src, t.dst[t.undirected]])
        b = np.concatenate([t.dst, t.src[t.undirected]])
        return _pairs(t.n, a, b)

    @cached_property
    def undirected_pairs(self) -> tuple[Any, Any, Any]:
        """(a, b, weight) of the collapsed undirected graph, a <= b, weight = relations between."""
        import numpy as np

        t = self.table
        return _pairs(t.n, np.minimum(t.src, t.dst), np.maximum(t.src, t.dst))

    def _nx(self, directed: bool) -> nx.Graph:
        a, b, w = self.directed_pairs if directed else self.undirected_pairs
        H: nx.Graph = nx.DiGraph() if directed else nx.Graph()
        ids = self.ids
        H.add_nodes_from(ids)
        H.add_weighted_edges_from((ids[x], ids[y], int(c)) for x, y, c in zip(a.tolist(), b.tolist(), w.tolist()))
        return H

    @cached_property
    def directed(self) -> nx.DiGraph:
        return self._nx(True)  # type: ignore[return-value]

    @cached_property
    def undirected(self) -> nx.Graph:
        return self._nx(False)

    @cached_property
    def fast_directed(self) -> Any:
        from tracker import engine

        a, b, w = self.directed_pairs
        return engine.from_edges(self.ids, a, b, directed=True, weights=w, simple=True)

    @cached_property
    def fast_undirected(self) -> Any:
        from tracker import engine

        a, b, w = self.undirected_pairs
        return engine.from_edges(self.ids, a, b, directed=False, weights=w, simple=True)

    def distance_sums(self, vertices: Sequence[int]) -> list[tuple[int, int, float]]:
        """One BFS per vertex on the collapsed undirected graph, shared by closeness and harmonic.

        For each vertex (position): the nodes it reaches (itself included), the sum of their
        distances, and the sum of 1 / distance, both exactly as igraph's `closeness` and
        `harmonic_centrality` sum them (see `bfs_distance_sums`). Cached per list of vertices:
        the two metrics sample the same ones, so the build runs each BFS once, not twice.
        """
        key = tuple(int(x) for x in vertices)
        cache: dict[tuple[int, ...], list[tuple[int, int, float]]] = self.__dict__.setdefault("_distance_sums", {})
        if key not in cache:
            a, b, _ = self.undirected_pairs
            cache[key] = bfs_distance_sums(self.n, a, b, key)
        return cache[key]

    @cached_property
    def components(self) -> Any:
        """Component of each node (positions), as a numpy array (any numbering)."""
        import numpy as np

        if self.engine == "igraph":
            return np.asarray(self.fast_undirected.graph.connected_components().membership, dtype=np.int64)
        labels = np.zeros(self.n, dtype=np.int64)
        pos = {n: i for i, n in enumerate(self.ids)}
        for c, comp in enumerate(nx.connected_components(self.undirected)):
            labels[[pos[x] for x in comp]] = c
        return labels


Columns = dict[str, Any]
Compute = Callable[[Views, dict[str, Any]], tuple[Columns, dict[str, Any]]]


@dataclass(frozen=True)
class Metric:
    """A registered metric: its columns (the first is its score), how to sort by it, and why."""

    name: str
    columns: tuple[str, ...]
    description: str
    compute: Compute = field(repr=False)
    ascending: bool = False


def _degree(v: Views, opts: dict[str, Any]) -> tuple[Columns, dict[str, Any]]:
    import numpy as np

    t, n = v.table, v.n
    directed = ~t.undirected
    a, b, _ = v.undirected_pairs
    neighbours = np.bincount(a, minlength=n) + np.bincount(b, minlength=n)  # a self-loop counts twice, as in networkx
    scale = 1.0 / (n - 1) if n > 1 else 0.0
    cols: Columns = {
        "degree": np.bincount(t.src, minlength=n) + np.bincount(t.dst, minlength=n),
        "in_degree": np.bincount(t.dst[directed], minlength=n),
        "out_degree": np.bincount(t.src[directed], minlength=n),
        "neighbours": neighbours,
        "degree_centrality": neighbours * scale,
    }
    note = "degree = number of relations; in/out count directed relations only; neighbours = distinct linked entities"
    return cols, {"degree": note}


def _sampled(v: Views, k: int, seed: int) -> list[int]:
    from tracker.engine import sample

    return sample(v.n, k, seed)


def _betweenness(v: Views, opts: dict[str, Any]) -> tuple[Columns, dict[str, Any]]:
    from tracker import engine

    if not opts.get("include_meta"):
        v = v.actors_only()
    n = v.n
    p = plan(n, **opts)
    k, seed = p["betweenness_k"], p["seed"]
    if k is None:
        values = (
            nx.betweenness_centrality(v.undirected, normalized=True)
            if v.engine == "networkx"
            else engine.betweenness(v.fast_undirected, as_array=True)
        )
        note = f"exact, unweighted, normalised, on the collapsed undirected graph ({n} nodes)"
        meta = {"betweenness_method": "exact", "betweenness_k": None}
    else:
        if v.engine == "networkx":
            values = nx.betweenness_centrality(v.undirected, k=k, normalized=True, seed=seed)
        else:
            values = engine.betweenness(v.fast_undirected, k=k, seed=seed, as_array=True)
        note = f"sampled from k={k} of {n} source nodes (seed {seed}), unweighted, normalised, collapsed undirected graph"
        meta = {"betweenness_method": "sampled", "betweenness_k": k}
    return {"betweenness": values}, {"betweenness": note, **meta}


def _pagerank(v: Views, opts: dict[str, Any]) -> tuple[Columns, dict[str, Any]]:
    from tracker import engine

    if not v.n:
        values: Any = {}
    elif v.engine == "networkx":
        values = pagerank_networkx(v.directed, alpha=0.85, weight="weight", tol=1e-10, max_iter=1000)
    else:
        values = engine.pagerank(v.fast_directed, alpha=0.85, weight="weight", as_array=True)
        # Only PageRank reads the directed graph: at 10M entities it is a gigabyte and more
        # that the metrics after it (and their own graphs) need.
        v.__dict__.pop("fast_directed", None)
        v.__dict__.pop("directed_pairs", None)
    solver = "tol 1e-10" if v.engine == "networkx" else "solved exactly by PRPACK"
    return {"pagerank": values}, {"pagerank": PAGERANK_NOTE.format(solver=solver)}


def pagerank_networkx(
    H: nx.DiGraph, alpha: float = 0.85, weight: str = "weight", tol: float = 1e-10, max_iter: int = 1000
) -> dict[Any, float]:
    """`nx.pagerank(H, alpha, weight=weight, tol=tol, max_iter=max_iter)`, the same floats, without scipy.

    networkx 3 runs PageRank as a power iteration over a scipy sparse matrix; importing
    scipy costs a third of a second, more than the whole iteration on a view's few hundred
    entities. This is the same iteration in numpy, each floating-point operation in the
    same order, so every value is bit-for-bit networkx's (tests/test_metrics.py compares
    them on random graphs): rows of the matrix in node order are scaled by 1 / out-weight;
    ``x @ A`` adds each column's terms in row order (scipy's CSC product, which
    `np.bincount` repeats when the terms come sorted by row); dangling mass is summed with
    Python's `sum`, and convergence is the same l1 test.

    Examples
    --------
    >>> H = nx.DiGraph([("a", "b"), ("b", "c"), ("c", "a"), ("a", "c")])
    >>> pagerank_networkx(H) == nx.pagerank(H, tol=1e-10, max_iter=1000)
    True
    """
    import numpy as np

    nodelist = list(H)
    n = len(nodelist)
    if n == 0:
        return {}
    pos = {x: i for i, x in enumerate(nodelist)}
    rows: list[int] = []
    cols: list[int] = []
    data: list[Any] = []
    for u, nbrs in H.adjacency():
        for v, d in nbrs.items():
            rows.append(pos[u])
            cols.append(pos[v])
            data.append(d.get(weight, 1))
    r = np.asarray(rows, dtype=np.int64)
    c = np.asarray(cols, dtype=np.int64)
    w = np.asarray(data, dtype=float)
    order = np.lexsort((c, r))
    r, c, w = r[order], c[order], w[order]
    S = np.bincount(r, weights=w, minlength=n).astype(float)
    S[S != 0] = 1.0 / S[S != 0]
    a = w * S[r]
    x = np.repeat(1.0 / n, n)
    p = np.repeat(1.0 / n, n)
    dangling_weights = p
    is_dangling = np.where(S == 0)[0]
    for _ in range(max_iter):
        xlast = x
        x = alpha * (np.bincount(c, weights=a * x[r], minlength=n) + sum(x[is_dangling]) * dangling_weights) + (1 - alpha) * p
        err = np.absolute(x - xlast).sum()
        if err < n * tol:
            return dict(zip(nodelist, map(float, x), strict=True))
    raise nx.PowerIterationFailedConvergence(max_iter)


def _tie_pairs(G: nx.MultiDiGraph, model: Any, include_meta: bool) -> tuple[list[Any], list[tuple[int, int, int]]]:
    """`Views(G).ties(model, include_meta).directed_pairs` without numpy: the sorted ids and each
    linked (a, b) pair of positions, sorted, with its number of relations (an undirected relation
    counts both ways)."""
    from collections import Counter

    dropped = set() if include_meta else set(model.relation_kinds) - tie_kinds(model)
    ids = sorted(G.nodes)
    pos = {x: i for i, x in enumerate(ids)}
    counts: Counter[tuple[int, int]] = Counter()
    for u, v, d in G.edges(data=True):
        if str(d.get("kind", "") or "") in dropped:
            continue
        counts[pos[u], pos[v]] += 1
        if d.get("directed", True) is False:
            counts[pos[v], pos[u]] += 1
    return ids, [(a, b, c) for (a, b), c in sorted(counts.items())]


def _numpy_sum(values: list[float]) -> float:
    """`np.sum` of a float64 vector, the same float: numpy's pairwise summation (eight running
    sums over blocks of at most 128, halves above), written out for `_pagerank_python`."""

    def pairwise(lo: int, n: int) -> float:
        if n < 8:
            res = 0.0
            for i in range(lo, lo + n):
                res += values[i]
            return res
        if n <= 128:
            r = values[lo : lo + 8]
            i = 8
            while i < n - (n % 8):
                for j in range(8):
                    r[j] += values[lo + i + j]
                i += 8
            res = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]))
            while i < n:
                res += values[lo + i]
                i += 1
            return res
        half = n // 2
        half -= half % 8
        return pairwise(lo, half) + pairwise(lo + half, n - half)

    return pairwise(0, len(values))


def _pagerank_python(
    n: int, entries: list[tuple[int, int, int]], alpha: float = 0.85, tol: float = 1e-10, max_iter: int = 1000
) -> list[float]:
    """`pagerank_networkx` over `_tie_pairs`' entries (sorted by row, then column) in plain Python:
    the same operations in the same order, so the same floats (tests/test_startup.py compares
    them with networkx's on random graphs), for a view that then never imports numpy."""
    out = [0.0] * n
    for r, _, w in entries:
        out[r] += w
    dangling = [i for i in range(n) if out[i] == 0]
    scale = [1.0 / s if s != 0 else 0.0 for s in out]
    terms = [(r, c, w * scale[r]) for r, c, w in entries]
    p = 1.0 / n
    x = [p] * n
    for _ in range(max_iter):
        xlast = x
        xa = [0.0] * n
        for r, c, a in terms:
            xa[c] += a * xlast[r]
        lost = sum(xlast[i] for i in dangling)
        x = [alpha * (xa[i] + lost * p) + (1 - alpha) * p for i in range(n)]
        if _numpy_sum([abs(x[i] - xlast[i]) for i in range(n)]) < n * tol:
            return x
    raise nx.PowerIterationFailedConvergence(max_iter)


def _eigenvector(v: Views, opts: dict[str, Any]) -> tuple[Columns, dict[str, Any]]:
    from tracker.engine import eigenvector_arrays

    note = (
        "eigenvector on the collapsed undirected graph weighted by number of relations, per connected "
        "component (unit norm within a component, then scaled by sqrt(component size / nodes)); isolated nodes 0"
    )
    if v.engine == "networkx":
        values: Any = eigenvector_by_component(v.undirected)
    else:
        a, b, w = v.undirected_pairs
        values = eigenvector_arrays(v.n, a, b, w, v.components)
    return {"eigenvector": values}, {"eigenvector": note}


def _sample_note(name: str, k: int, n: int, seed: int) -> str:
    return (
        f"computed exactly for a fixed-seed ({seed}) sample of {k} of {n} entities only (one BFS per entity; "
        f"exact for all is O(nodes x edges) above {CLOSENESS_EXACT_MAX} nodes); empty for the others"
    )


def bfs_distance_sums(n: int, a: Any, b: Any, vertices: Sequence[int]) -> list[tuple[int, int, float]]:
    """(reached, sum of distances, sum of 1 / distance) from each vertex of an undirected graph.

    `a`, `b` list each undirected edge once (positions; self-loops allowed). One breadth-first
    search per vertex (scipy's, on the graph's symmetric CSR matrix, built once): its visit order
    and predecessors give the size of each BFS level, since a level is the run of visited nodes
    whose predecessors lie in the level before. Closeness and harmonic follow from the level
    sizes, with the same floating-point operations as igraph: the distances summed as integers
    (exact), and 1 / distance added one node at a time in BFS order (`np.cumsum` adds left to
    right; nodes of one level add the same term). tests/test_build_metrics.py compares them with
    igraph's values bit for bit. Two igraph calls cost two BFS per vertex; this costs one.

    Examples
    --------
    >>> import numpy as np
    >>> bfs_distance_sums(5, np.array([0, 1, 3]), np.array([1, 2, 3]), [0, 3, 4])
    [(3, 3, 1.5), (1, 0, 0.0), (1, 0, 0.0)]
    """
    import numpy as np
    import scipy.sparse as sp
    from scipy.sparse.csgraph import breadth_first_order

    a = np.asarray(a, dtype=np.int64)
    b = np.asarray(b, dtype=np.int64)
    if not len(vertices):
        return []
    rows, cols = np.concatenate([a, b]), np.concatenate([b, a])
    A = sp.csr_matrix((np.ones(len(rows), dtype=np.int8), (rows, cols)), shape=(n, n))
    A.sum_duplicates()
    A.sort_indices()
    pos = np.empty(n, dtype=np.int64)
    out = []
    for s in vertices:
        order, pred = breadth_first_order(A, int(s), directed=True, return_predecessors=True)
        reached = len(order)
        pos[order] = np.arange(reached)
        before = pos[pred[order[1:]]]  # the predecessor's place in the visit order: never decreasing
        bounds = [0, 1]
        while bounds[-1] < reached:
            bounds.append(int(np.searchsorted(before, bounds[-1], side="left")) + 1)
        sizes: Any = np.diff(np.asarray(bounds, dtype=np.int64))
        level = np.arange(len(sizes), dtype=np.int64)
        total = int((level * sizes).sum())
        terms = 1.0 / np.repeat(level[1:], sizes[1:]).astype(float)
        out.append((reached, total, float(np.cumsum(terms)[-1]) if len(terms) else 0.0))
    return out


def harmonic_sums(H: nx.Graph, nodes: Iterable[Any] | None = None) -> dict[Any, float]:
    """Harmonic centrality (sum of 1/distance, not normalised) of `nodes` (default: all) on the
    undirected graph `H`: `nx.harmonic_centrality`'s values, each summed exactly (`math.fsum`).

    networkx adds each node's 1/distance terms in the order of a set of nodes, and a set of
    strings is ordered by the process's hash seed: the same graph gave an entity 3.333333333333333
    in one process and 3.3333333333333335 in another. The build computes this metric in a second
    process on large data, so two entities tied in one build were ranked apart in the other
    (issue 12: the report's tables differed by one row's place). An exact sum has one value
    whatever the order.

    Examples
    --------
    >>> H = nx.Graph([("a", "b"), ("b", "c"), ("c", "d"), ("b", "e"), ("a", "f")])
    >>> h = harmonic_sums(H)
    >>> h["a"], h["c"], h["b"]
    (3.3333333333333335, 3.3333333333333335, 4.0)
    """
    out = {}
    for u in H if nodes is None else nodes:
        dist = nx.single_source_shortest_path_length(H, u)
        out[u] = math.fsum(1.0 / d for d in dist.values() if d)
    return out


def _harmonic(v: Views, opts: dict[str, Any]) -> tuple[Columns, dict[str, Any]]:
    import numpy as np

    from tracker import engine

    n = v.n
    p = plan(n, **opts)
    scale = 1.0 / (n - 1) if n > 1 else 0.0
    note = "harmonic closeness (sum of 1/distance) divided by nodes - 1, collapsed undirected graph; works on disconnected graphs"
    if p["closeness_k"] is None:
        raw = harmonic_sums(v.undirected) if v.engine == "networkx" else engine.harmonic(v.fast_undirected)
        return {"harmonic": {key: val * scale for key, val in raw.items()}}, {"harmonic": note}
    chosen = _sampled(v, p["closeness_k"], p["seed"])
    values = np.full(n, np.nan)
    if v.engine == "networkx":
        raw = harmonic_sums(v.undirected, [v.ids[i] for i in chosen])
        values[chosen] = [raw[v.ids[i]] * scale for i in chosen]
    else:  # igraph's values, from the BFS closeness shares (`Views.distance_sums`)
        values[chosen] = [h * scale for _, _, h in v.distance_sums(chosen)]
    return {"harmonic": values}, {"harmonic": note + "; " + _sample_note("harmonic", len(chosen), n, p["seed"])}


def _closeness(v: Views, opts: dict[str, Any]) -> tuple[Columns, dict[str, Any]]:
    import numpy as np

    from tracker import engine

    n = v.n
    p = plan(n, **opts)
    note = "closeness with the Wasserman-Faust correction for disconnected graphs, collapsed undirected graph"
    if p["closeness_k"] is None:
        if v.engine == "networkx":
            return {"closeness": nx.closeness_centrality(v.undirected, wf_improved=True)}, {"closeness": note}
        return {"closeness": engine.closeness(v.fast_undirected)}, {"closeness": note}
    chosen = _sampled(v, p["closeness_k"], p["seed"])
    values = np.full(n, np.nan)
    if v.engine == "networkx":
        raw = {v.ids[i]: nx.closeness_centrality(v.undirected, u=v.ids[i], wf_improved=True) for i in chosen}
        values[chosen] = [raw[v.ids[i]] for i in chosen]
    else:
        # `tracker.engine.closeness` on the sums of the BFS harmonic shares: igraph's normalised
        # closeness (reached - 1) / sum of distances, then the Wasserman-Faust factor.
        values[chosen] = [
            0.0 if reached <= 1 or n <= 1 else (reached - 1) / total * (reached - 1) / (n - 1)
            for reached, total, _ in v.distance_sums(chosen)
        ]
    return {"closeness": values}, {"closeness": note + "; " + _sample_note("closeness", len(chosen), n, p["seed"])}


def _community(v: Views, opts: dict[str, Any]) -> tuple[Columns, dict[str, Any]]:
    import numpy as np

    from tracker import engine

    seed = int(opts.get("seed", SEED))
    n = v.n
    if v.engine == "networkx":
        parts = communities(v.undirected, seed=seed)
        pos = {x: i for i, x in enumerate(v.ids)}
        label = np.zeros(n, dtype=np.int64)
        for i, part in enumerate(parts, start=1):
            label[[pos[x] for x in part]] = i
        U = v.undirected
        modularity = nx.community.modularity(U, parts, weight="weight") if U.number_of_edges() else 0.0
        count = len(parts)
        method = "networkx Louvain"
    else:
        E = v.fast_undirected
        if plan(n, **{**opts, "engine": v.engine})["community"] == "leiden":
            found = engine.leiden_membership(E, seed=seed, weight="weight")
            method = f"igraph Leiden (modularity, {engine.LEIDEN_ITERATIONS} iterations; Louvain up to {LEIDEN_ABOVE:,} entities)"
        else:
            found = engine.louvain_membership(E, seed=seed, weight="weight") if n else np.zeros(0, dtype=np.int64)
            method = "igraph multilevel (Louvain)"
        label = np.asarray(found, dtype=np.int64) + 1
        modularity = engine.modularity(E, (label - 1).tolist(), weight="weight") if n else 0.0
        count = int(label.max()) if n else 0
    size = np.bincount(label, minlength=count + 1)[label] if n else label
    note = (
        f"{method} (seed {seed}) on the collapsed undirected graph weighted by number of relations: "
        f"{count} communities, modularity {modularity:.3f}; numbered by size, then smallest id"
    )
    return {"community": label, "community_size": size}, {"community": note, "modularity": modularity}


def _component(v: Views, opts: dict[str, Any]) -> tuple[Columns, dict[str, Any]]:
    import numpy as np

    from tracker.engine import group_numbers

    n = v.n
    label = group_numbers(v.components, v.ids) + 1 if n else np.zeros(0, dtype=np.int64)
    size = np.bincount(label)[label] if n else label
    count = int(label.max()) if n else 0
    note = f"connected components of the collapsed undirected graph: {count}; numbered by size, then smallest id"
    return {"component": label, "component_size": size}, {"component": note}


METRICS: dict[str, Metric] = {
    m.name: m
    for m in (
        Metric("degree", ("degree", "in_degree", "out_degree", "neighbours", "degree_centrality"), "Relations per entity.", _degree),
        Metric("betweenness", ("betweenness",), "Share of shortest paths through the entity.", _betweenness),
        Metric("pagerank", ("pagerank",), "Importance from being the object of many relations.", _pagerank),
        Metric("eigenvector", ("eigenvector",), "Linked to well-linked entities.", _eigenvector),
        Metric("harmonic", ("harmonic",), "Closeness that works on disconnected graphs.", _harmonic),
        Metric("closeness", ("closeness",), "Inverse mean distance (Wasserman-Faust).", _closeness),
        Metric("community", ("community", "community_size"), "Louvain community.", _community, ascending=True),
        Metric("component", ("component", "component_size"), "Connected component.", _component, ascending=True),
    )
}


def _column(values: Any, ids: Sequence[Any]) -> Any:
    """A column in id order: numpy arrays are already; dicts are looked up (missing -> 0)."""
    if isinstance(values, Mapping):
        return [values.get(n, 0) for n in ids]
    return values


def _node_columns(G: Any, ids: Sequence[Any]) -> Callable[[str], list[Any]] | None:
    """The graph's own per-entity columns when `ids` are its entities in its order (`tracker.storegraph`).

    The build on the store holds its entities' name, kind and sphere as columns; reading them
    one entity at a time made a dict per entity and column (millions at ICIJ scale).
    """
    column = getattr(G, "node_column", None)
    return column if column is not None and ids is getattr(G, "ids", None) else None


def _frame(G: nx.Graph | nx.MultiDiGraph, columns: Mapping[str, Any], ids: Sequence[Any] | None = None) -> pd.DataFrame:
    import pandas as pd

    ids = sorted(G.nodes) if ids is None else ids
    fast = _node_columns(G, ids)
    if fast is not None:
        data: dict[str, Any] = {c: fast(c) for c in ("name", "kind", "sphere")}
    else:
        nodes = G.nodes
        data = {
            "name": [nodes[n].get("name", n) for n in ids],
            "kind": [nodes[n].get("kind", "") for n in ids],
            "sphere": [nodes[n].get("sphere", "") for n in ids],
        }
    for col, values in columns.items():
        data[col] = _column(values, ids)
    return pd.DataFrame(data, index=pd.Index(list(ids), name="id"))


# The id ranks of the last table `_order` sorted, with its index: the report sorts one table of
# millions of rows by each metric in turn (6 s of Python sorting each time at 2M entities).
# A pandas index is immutable, so the same index object has the same ranks.
_TIES: list[Any] = []


def _order(df: pd.DataFrame, keys: Sequence[tuple[str, bool]]) -> Any:
    """Row positions sorted by `keys` ((column, ascending), ...), then by id; NaN always last."""
    import numpy as np

    index = df.index
    if _TIES and _TIES[0] is index:
        tie = _TIES[1]
    else:
        ids = index.to_numpy()
        if len(ids) > 1 and not all(str(a) <= str(b) for a, b in zip(ids[:-1], ids[1:])):
            tie = np.empty(len(ids), dtype=np.int64)
            tie[np.array(sorted(range(len(ids)), key=lambda i: str(ids[i])), dtype=np.int64)] = np.arange(len(ids))
        else:
            tie = np.arange(len(ids))
        _TIES[:] = [index, tie]
    columns = [tie]
    for col, ascending in reversed(list(keys)):
        x = df[col].to_numpy(dtype=float, na_value=np.nan)
        x = x if ascending else -x
        columns.append(np.where(np.isnan(x), np.inf, x))
    return np.lexsort(columns)


def _sort(df: pd.DataFrame, column: str, ascending: bool = False) -> pd.DataFrame:
    out: pd.DataFrame = df.iloc[_order(df, [(column, ascending)])]
    out.attrs = dict(df.attrs)
    return out


def _engine_note(engine: str, n: int, requested: str) -> str:
    why = (
        f"{requested}: {n} entities {'above' if n > ENGINE_MIN_NODES else 'up to'} {ENGINE_MIN_NODES}"
        if requested == "auto"
        else "as asked"
    )
    if engine == "igraph":
        return (
            f"fast engine: igraph's C core with numpy/scipy ({why}); same definitions as networkx, checked equal "
            "within 1e-9 on small graphs (PageRank, eigenvector 1e-7; Louvain: same method, partitions may differ)"
        )
    return f"networkx ({why})"


def scores(G: nx.MultiDiGraph, metric: str, engine: str = "auto", include_meta: bool = False, **options: Any) -> dict[Any, float]:
    """One metric's score per entity: `centrality(G, [metric])[metric]` as a dict in the table's order, without the table.

    The view sizes its entities by one score; building the table would import pandas (more
    than half a second) for nothing. Same engine choice, same views, same values (as floats)
    and the same order: score descending (ascending for community and component), empty
    scores last, then id.

    Examples
    --------
    >>> G = nx.MultiDiGraph([("a", "b"), ("c", "b"), ("b", "d")])
    >>> scores(G, "degree")
    {'b': 3.0, 'a': 1.0, 'c': 1.0, 'd': 1.0}
    """
    if metric not in METRICS:
        raise ValueError(f"unknown metric {metric!r}; choose from {', '.join(METRICS)}")
    chosen = resolve_engine(engine, G.number_of_nodes(), int(options.get("engine_min_nodes", ENGINE_MIN_NODES)))
    from tracker.model import load_model

    found = METRICS[metric]
    if metric == "pagerank" and chosen == "networkx" and not options:
        # The view's default, on its few hundred entities: plain Python, no numpy to import.
        ids, entries = _tie_pairs(G, load_model(), include_meta)
        cols: Columns = {"pagerank": dict(zip(ids, _pagerank_python(len(ids), entries), strict=True))}
    else:
        views = Views(G, chosen)
        cols, _ = found.compute(views.ties(load_model(), include_meta), {**options, "include_meta": include_meta})
        ids = views.ids
    values = [math.nan if x is None else float(x) for x in _column(cols[metric], ids)]
    # `_order`'s keys: the score (negated when descending; empty last), then the id as text.
    key = [math.inf if math.isnan(x) else (x if found.ascending else -x) for x in values]
    order = sorted(range(len(ids)), key=lambda i: (key[i], str(ids[i]), i))
    return {ids[i]: values[i] for i in order}


def centrality(
    G: nx.MultiDiGraph,
    metrics: Sequence[str] | None = None,
    engine: str = "auto",
    views: Views | None = None,
    include_meta: bool = False,
    outside: Mapping[str, Callable[[], tuple[Columns, dict[str, Any]]]] | None = None,
    **options: Any,
) -> pd.DataFrame:
    """Per-entity centrality table, one row per entity, sorted by the first metric's score.

    Parameters
    ----------
    G : nx.MultiDiGraph
        The canonical graph (not changed).
    metrics : sequence of str, optional
        Names from `METRICS` (default: all, in registry order). The first one sets the order:
        score descending (community, component: ascending), then id; empty scores last.
    engine : {"auto", "networkx", "igraph"}
        Who computes: ``auto`` is networkx up to `ENGINE_MIN_NODES` entities, igraph above.
    views : Views, optional
        Derived graphs already built for `G` (a build shares them between its tables).
    include_meta : bool
        Count every relation kind, and paths through jurisdictions in betweenness. By default
        only ties between actors count (`tie_kinds`); the notes say what was left out.
    outside : mapping, optional
        Metric name -> a call giving what that metric's `compute` gives (columns, notes) on
        these views, computed elsewhere: `tracker build` runs some metrics in a second process
        (`tracker.pipeline`) while this one computes the others. Called after the others.
    **options
        `betweenness_exact_max` (default 2000), `betweenness_k` (500; 100 above 200,000
        nodes, fewer above a million: `SAMPLE_BUDGET`), `closeness_exact_max` (5000),
        `closeness_k` (the same sizes as `betweenness_k`),
        `engine_min_nodes` (5000) and `seed` (42). See `plan`.

    Returns
    -------
    pd.DataFrame
        Indexed by entity id, with `name`, `kind`, `sphere` and the metrics' columns. `attrs`
        holds `notes` (metric -> how it was computed: method, sample size, edge direction; and
        ``engine``), `engine`, `betweenness_method` / `betweenness_k`.

    Examples
    --------
    >>> G = nx.MultiDiGraph()
    >>> G.add_edge("a", "b", key="r1", directed=True)
    'r1'
    >>> G.add_edge("a", "c", key="r2", directed=True)
    'r2'
    >>> df = centrality(G, ["degree", "betweenness"])
    >>> df[["degree", "out_degree", "betweenness"]].to_dict("index")["a"]
    {'degree': 2, 'out_degree': 2, 'betweenness': 1.0}
    >>> df.attrs["betweenness_method"], df.attrs["engine"]
    ('exact', 'networkx')
    """
    names = list(METRICS) if not metrics else list(dict.fromkeys(metrics))
    unknown = [m for m in names if m not in METRICS]
    if unknown:
        raise ValueError(f"unknown metric {unknown[0]!r}; choose from {', '.join(METRICS)}")
    n = G.number_of_nodes()
    chosen = resolve_engine(engine, n, int(options.get("engine_min_nodes", ENGINE_MIN_NODES)))
    if views is None or views.engine != chosen:
        views = Views(G, chosen, views.table if views is not None else None)
    from tracker.model import load_model

    model = load_model()
    everything = views
    views = views.ties(model, include_meta)
    columns: dict[str, Any] = {}
    notes: dict[str, str] = {}
    attrs: dict[str, Any] = {}
    away = dict(outside or {})
    done = {name: METRICS[name].compute(views, {**options, "include_meta": include_meta}) for name in names if name not in away}
    done.update({name: away[name]() for name in names if name in away})
    for name in names:
        cols, meta = done.pop(name)
        columns.update(cols)
        for key, val in meta.items():
            if key in METRICS:
                notes[key] = val
            else:
                attrs[key] = val
    notes["engine"] = _engine_note(chosen, n, engine)
    notes["ties"] = meta_note(model, include_meta)
    # The ties' graphs (about 450 MB at 2M entities) are let go before the table is made, which
    # reads the entity columns, at the build's first (`tracker.storegraph.StoreGraph._cols`).
    del views
    df = _frame(G, columns, everything.ids)
    attrs["notes"] = notes
    attrs["metrics"] = names
    attrs["engine"] = chosen
    df.attrs = attrs  # type: ignore[assignment]
    first = METRICS[names[0]]
    return _sort(df, first.columns[0], first.ascending)


def eigenvector_by_component(H: nx.Graph, weight: str = "weight") -> dict[Any, float]:
    """Eigenvector centrality of an undirected graph, computed per connected component.

    The power method behind `nx.eigenvector_centrality` does not converge to a meaningful answer
    on a disconnected graph (only the largest component survives), yet curated networks are
    always disconnected. So each component gets its own principal eigenvector (unit norm,
    non-negative), scaled by ``sqrt(size / n)`` so the whole vector has unit norm and a large
    component weighs more than a pair. Isolated nodes get 0. Dense `numpy.linalg.eigh` is used
    for components up to 1,000 nodes (exact, deterministic), sparse `eigsh` above.

    Examples
    --------
    >>> H = nx.Graph([("a", "b"), ("b", "c"), ("x", "y")])
    >>> {k: round(v, 4) for k, v in sorted(eigenvector_by_component(H).items())}
    {'a': 0.3873, 'b': 0.5477, 'c': 0.3873, 'x': 0.4472, 'y': 0.4472}
    """
    import numpy as np

    n = H.number_of_nodes()
    result: dict[Any, float] = {node: 0.0 for node in H}
    for comp in nx.connected_components(H):
        if len(comp) < 2:
            continue
        nodes = sorted(comp, key=str)
        if len(nodes) <= 1000:
            A = nx.to_numpy_array(H, nodelist=nodes, weight=weight)
            _, vecs = np.linalg.eigh(A)
            vec = vecs[:, -1]
        else:
            import scipy.sparse.linalg as sla

            A = nx.to_scipy_sparse_array(H, nodelist=nodes, weight=weight, dtype=np.dtype(float))
            _, vecs = sla.eigsh(A.asfptype() if hasattr(A, "asfptype") else A, k=1, which="LA", v0=np.ones(len(nodes)))
            vec = vecs[:, 0]
        vec = np.abs(vec)
        vec = vec / (np.linalg.norm(vec) or 1.0) * math.sqrt(len(nodes) / n)
        for node, val in zip(nodes, vec):
            result[node] = float(val)
    return result


def communities(H: nx.Graph, seed: int = SEED, weight: str = "weight") -> list[set[Any]]:
    """Louvain communities with a fixed seed, numbered deterministically.

    Sorted by size (largest first), then by smallest member id, so community 1 is always the
    largest and the numbering does not depend on the order Louvain found them in.

    Examples
    --------
    >>> H = nx.Graph([("a", "b"), ("b", "c"), ("a", "c"), ("x", "y")])
    >>> [sorted(c) for c in communities(H)]
    [['a', 'b', 'c'], ['x', 'y']]
    """
    if H.number_of_nodes() == 0:
        return []
    found = nx.community.louvain_communities(H, weight=weight, seed=seed)
    return sorted((set(c) for c in found), key=lambda c: (-len(c), min(str(x) for x in c)))


def brokerage_roles(D: nx.DiGraph, groups: Mapping[Any, str]) -> dict[Any, dict[str, int]]:
    """Gould-Fernandez brokerage role counts for every node of a directed graph.

    For each broker ``b`` and each two-step path ``a -> b -> c`` (``a != c``) where ``a`` has no
    direct tie to ``c`` (no edge ``a -> c``), the path counts towards one role of ``b`` by the
    groups of the three nodes (Gould, R. V. and Fernandez, R. M. (1989), "Structures of
    Mediation: A Formal Approach to Brokerage in Transaction Networks", *Sociological
    Methodology* 19: 89-126; the same definitions as statnet's ``brokerage``):

    - coordinator: a, b and c in one group (``A -> A -> A``);
    - itinerant (consultant): a and c in one group, b in another (``A -> B -> A``);
    - representative: b in a's group, c outside (``A -> A -> B``);
    - gatekeeper: b in c's group, a outside (``A -> B -> B``);
    - liaison: three different groups (``A -> B -> C``).

    Examples
    --------
    >>> D = nx.DiGraph([("kz", "bank"), ("bank", "bvi")])
    >>> brokerage_roles(D, {"kz": "elite", "bank": "london_finance", "bvi": "offshore"})["bank"]["liaison"]
    1
    >>> D = nx.DiGraph([("a", "b"), ("b", "c")])
    >>> brokerage_roles(D, {"a": "elite", "b": "elite", "c": "offshore"})["b"]["representative"]
    1
    """
    out: dict[Any, dict[str, int]] = {node: dict.fromkeys(BROKERAGE_ROLES, 0) for node in D}
    for b in D:
        gb = groups.get(b)
        preds = [a for a in D.predecessors(b) if a != b]
        succs = [c for c in D.successors(b) if c != b]
        counts = out[b]
        for a in preds:
            ga = groups.get(a)
            for c in succs:
                if c == a or D.has_edge(a, c):
                    continue
                gc = groups.get(c)
                if ga == gb == gc:
                    counts["coordinator"] += 1
                elif ga == gc:
                    counts["itinerant"] += 1
                elif ga == gb:
                    counts["representative"] += 1
                elif gb == gc:
                    counts["gatekeeper"] += 1
                else:
                    counts["liaison"] += 1
    return out


def brokerage_counts(n: int, src: Any, dst: Any, groups: Any) -> Any:
    """Gould-Fernandez role counts for every node, vectorised: an ``(n, 5)`` array in `BROKERAGE_ROLES` order.

    The same counts as `brokerage_roles` without walking the two-step paths one by one (an
    intermediary with 10,000 links has 10^8 of them). `src`/`dst` are the distinct directed
    edges (positions), `groups` the group number of each node. For a broker ``b`` every pair
    (predecessor in group g, successor in group h) is a two-step path, so the per-group in- and
    out-degrees of ``b`` give all the counts by role in closed form; then two corrections, both
    exact: pairs where ``a == c`` (mutual ties ``a <-> b``), and pairs already tied ``a -> c``
    (each such triple is a triangle of the undirected graph; igraph lists the triangles in C, in
    O(m^1.5) at worst, and numpy checks the six orientations of each).

    Examples
    --------
    >>> import numpy as np
    >>> brokerage_counts(3, np.array([0, 1]), np.array([1, 2]), np.array([0, 1, 2]))[1].tolist()  # liaison
    [0, 0, 0, 1, 0]
    """
    import numpy as np

    from tracker.engine import edge_pairs, igraph

    ig = igraph()

    src = np.asarray(src, dtype=np.int64)
    dst = np.asarray(dst, dtype=np.int64)
    keep = src != dst
    src, dst = src[keep], dst[keep]
    g = np.asarray(groups, dtype=np.int64)
    k = int(g.max()) + 1 if n else 1
    pred = np.bincount(dst * k + g[src], minlength=n * k).reshape(n, k)  # predecessors of b by group
    succ = np.bincount(src * k + g[dst], minlength=n * k).reshape(n, k)  # successors of b by group
    rows = np.arange(n)
    ib, ob = pred[rows, g], succ[rows, g]
    itot, otot = pred.sum(axis=1), succ.sum(axis=1)
    diag = (pred * succ).sum(axis=1)
    counts = np.zeros((n, 5), dtype=np.int64)
    counts[:, 0] = ib * ob  # coordinator: A -> A -> A
    counts[:, 4] = diag - ib * ob  # itinerant: A -> B -> A
    counts[:, 2] = ib * (otot - ob)  # representative: A -> A -> B
    counts[:, 1] = (itot - ib) * ob  # gatekeeper: A -> B -> B
    counts[:, 3] = (itot - ib) * (otot - ob) - (diag - ib * ob)  # liaison: A -> B -> C

    def role(ga: Any, gb: Any, gc: Any) -> Any:
        r = np.full(len(ga), 3, dtype=np.int64)  # liaison
        r[(gb == gc) & (ga != gb)] = 1  # gatekeeper
        r[(ga == gb) & (gb != gc)] = 2  # representative
        r[(ga == gc) & (ga != gb)] = 4  # itinerant
        r[(ga == gb) & (gb == gc)] = 0  # coordinator
        return r

    def subtract(b: Any, r: Any) -> None:
        if len(b):
            counts[:] -= np.bincount(b * 5 + r, minlength=n * 5).reshape(n, 5)

    keys = np.unique(src * n + dst)

    def has(a: Any, b: Any) -> Any:
        q = a * n + b
        at = np.searchsorted(keys, q)
        return (at < len(keys)) & (keys[np.minimum(at, len(keys) - 1)] == q)

    if len(keys):
        # a -> b -> a: the same entity on both sides is no brokerage.
        mutual = has(dst, src)
        a, b = src[mutual], dst[mutual]
        subtract(b, role(g[a], g[b], g[a]))
        # a -> b -> c with a -> c: a direct tie makes the broker unnecessary.
        # The distinct undirected pairs, sorted as `np.unique(..., axis=0)` sorts them (lo * n + hi
        # orders pairs as (lo, hi) does), without its row-wise sort.
        pair = np.unique(np.minimum(src, dst) * n + np.maximum(src, dst))
        tri = np.asarray(ig.Graph(n=n, edges=edge_pairs(pair // n, pair % n)).list_triangles(), dtype=np.int64).reshape(-1, 3)
        if len(tri):
            for x, y, z in ((0, 1, 2), (0, 2, 1), (1, 0, 2), (1, 2, 0), (2, 0, 1), (2, 1, 0)):
                a, b, c = tri[:, x], tri[:, y], tri[:, z]
                ok = has(a, b) & has(b, c) & has(a, c)
                subtract(b[ok], role(g[a[ok]], g[b[ok]], g[c[ok]]))
    return counts


def brokers(
    G: nx.MultiDiGraph,
    source_spheres: Sequence[str] = ("elite",),
    target_spheres: Sequence[str] = ("london_finance", "offshore"),
    exclude: Iterable[str] = CHANNEL_EXCLUDE,
    engine: str = "auto",
    views: Views | None = None,
    max_sources: int = SUBSET_SOURCES_MAX,
    seed: int = SEED,
    include_meta: bool = False,
) -> pd.DataFrame:
    """Who connects the elite to the City and offshore: subset betweenness and brokerage roles.

    Only ties between actors count (`tie_kinds`); `include_meta` counts every kind, the ones
    the schema marks ``tie: false`` included even where `exclude` names them.

    Both run on the channel relations only (`Views.channels`): claims, reports, rankings,
    lawsuits and registrations are not channels.

    - ``subset_betweenness``: for every pair (elite entity, City or offshore entity), the share of
      its shortest paths that run through the entity, summed over pairs
      (`nx.betweenness_centrality_subset` on the collapsed undirected graph, unnormalised and
      doubled back, because networkx halves undirected values and the two sphere sets never
      overlap, so each pair is counted once). 1.0 = one pair depends entirely on the entity.
      Above `max_sources` elite entities, a fixed-seed sample of them is used and the sums are
      scaled by (elite entities / sample), an unbiased estimate; the notes say so.
    - Gould-Fernandez role counts over the spheres on the collapsed directed graph
      (`brokerage_roles` with networkx, `brokerage_counts` with igraph: exact either way), and
      ``brokerage``, their sum.

    Returns
    -------
    pd.DataFrame
        Indexed by entity id; sorted by subset betweenness, then brokerage (both descending),
        then id. `attrs["notes"]` says how it was computed.

    Examples
    --------
    >>> G = nx.MultiDiGraph()
    >>> G.add_node("ruler", name="Ruler", sphere="elite"); G.add_node("bank", name="Bank", sphere="london_finance")
    >>> G.add_node("co", name="Co", sphere="company")
    >>> G.add_edge("ruler", "co", key="r1", kind="owns", directed=True)
    'r1'
    >>> G.add_edge("bank", "co", key="r2", kind="financed", directed=True)
    'r2'
    >>> df = brokers(G)
    >>> float(df.loc["co", "subset_betweenness"]), int(df.loc["co", "brokerage"])
    (1.0, 0)
    """
    import numpy as np

    from tracker import engine as fast

    chosen = resolve_engine(engine, G.number_of_nodes())
    base = views if views is not None and views.engine == chosen else Views(G, chosen, views.table if views is not None else None)
    from tracker.model import load_model

    model = load_model()
    exclude = set(exclude) - (set(model.relation_kinds) - tie_kinds(model)) if include_meta else set(exclude)
    cv = base.ties(model, include_meta).channels(exclude)
    ids, n = cv.ids, cv.n
    column = _node_columns(G, ids)
    nodes = G.nodes
    sphere = [str(x or "") for x in column("sphere")] if column is not None else [str(nodes[x].get("sphere", "") or "") for x in ids]
    src_set, tgt_set = set(source_spheres), set(target_spheres)
    sources = [i for i, s in enumerate(sphere) if s in src_set]
    targets = [i for i, s in enumerate(sphere) if s in tgt_set and s not in src_set]
    used = sources if len(sources) <= max_sources else sorted(random.Random(seed).sample(sources, max_sources))
    scale = len(sources) / len(used) if used else 1.0
    sb = np.zeros(n)
    if used and targets:
        if chosen == "networkx":
            raw = nx.betweenness_centrality_subset(cv.undirected, [ids[i] for i in used], [ids[i] for i in targets], normalized=False)
            sb = np.array([2.0 * raw[x] for x in ids]) * scale
        else:
            raw = fast.subset_betweenness(cv.fast_undirected, used, targets)
            sb = np.array([raw[x] for x in ids]) * scale
    columns: dict[str, Any] = {"subset_betweenness": sb}
    if chosen == "networkx":
        roles = brokerage_roles(cv.directed, dict(zip(ids, sphere)))
        for role in BROKERAGE_ROLES:
            columns[role] = np.array([roles[x][role] for x in ids], dtype=np.int64)
    else:
        codes = {s: i for i, s in enumerate(sorted(set(sphere)))}
        a, b, _ = cv.directed_pairs
        counts = brokerage_counts(n, a, b, np.array([codes[s] for s in sphere], dtype=np.int64))
        for j, role in enumerate(BROKERAGE_ROLES):
            columns[role] = counts[:, j]
    columns["brokerage"] = sum(columns[role] for role in BROKERAGE_ROLES)
    df: pd.DataFrame = _frame(G, columns, ids)
    df = df.iloc[_order(df, [("subset_betweenness", False), ("brokerage", False)])]
    sampled = (
        f"; a fixed-seed ({seed}) sample of {len(used)} of {len(sources)} source entities, sums scaled by {scale:.3g}"
        if len(used) < len(sources)
        else ""
    )
    df.attrs = {
        "engine": chosen,
        "notes": {
            "subset_betweenness": (
                f"shortest paths from the {'/'.join(source_spheres)} sphere to {'/'.join(target_spheres)}, "
                "summed over pairs, on the collapsed undirected graph of channel relations "
                f"(excluded: {', '.join(sorted(set(exclude)))}){sampled}"
            ),
            "brokerage": "Gould & Fernandez (1989) roles over spheres on the collapsed directed graph of channel relations (exact counts)",
            "engine": _engine_note(chosen, G.number_of_nodes(), engine),
            "ties": meta_note(model, include_meta),
        },
    }
    return df
