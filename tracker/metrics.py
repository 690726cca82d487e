"""Centrality, communities and brokerage over the canonical graph.

Written the way networkx writes algorithms: `G` first, numpydoc docstrings whose examples run as
doctests. Every metric runs on a graph *derived* from the canonical `nx.MultiDiGraph` (see
`tracker.graph.collapse`): one edge per linked pair, `weight` = number of relations. The derived
graphs are built once per call in `Views`, and each metric is a small function of those views, so
a faster engine (igraph) can later replace one metric without touching the others.

Edge direction, once for all metrics: a relation points from the actor (owner, officer,
adviser, lender, claimant) to its object. Undirected relations (family, associate) count both
ways in the directed graph.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import networkx as nx
import pandas as pd

from tracker.graph import collapse

__all__ = [
    "METRICS",
    "Metric",
    "Views",
    "BROKERAGE_ROLES",
    "CHANNEL_EXCLUDE",
    "BETWEENNESS_EXACT_MAX",
    "centrality",
    "channel_graph",
    "communities",
    "eigenvector_by_component",
    "brokerage_roles",
    "brokers",
]

#: Above this many nodes betweenness is estimated from `k` sampled sources (fixed seed).
BETWEENNESS_EXACT_MAX = 2000
#: Number of sampled sources for estimated betweenness.
BETWEENNESS_K = 500
SEED = 42

#: Relation kinds that record what someone said or did *about* an entity (claims, answers,
#: reports, index rankings, investigations, sanctions, lawsuits) or where it is registered,
#: rather than a channel through which money or influence passes. A newspaper reporting on two
#: people does not broker between them, and a registry country is not an intermediary, so the
#: broker and jurisdiction-path measures leave these out. Centrality keeps every relation.
CHANNEL_EXCLUDE = frozenset(
    {"alleged", "response", "reported_on", "ranked", "investigated_by", "sanctioned_by", "litigation", "registered_in", "located_in"}
)

#: Gould & Fernandez (1989) roles, keyed by (same group as a?, same group as c?, a and c same?).
BROKERAGE_ROLES = ("coordinator", "gatekeeper", "representative", "liaison", "itinerant")

PAGERANK_NOTE = (
    "edges point from the actor (owner, officer, adviser, lender) to its object; PageRank "
    "(alpha 0.85, tol 1e-10) on the collapsed directed graph weighted by number of relations, "
    "undirected relations (family, associate) both ways"
)


class Views:
    """The derived graphs metrics run on, built once from a canonical graph and cached."""

    def __init__(self, G: nx.MultiDiGraph) -> None:
        self.G = G

    @cached_property
    def directed(self) -> nx.DiGraph:
        return collapse(self.G, directed=True)

    @cached_property
    def undirected(self) -> nx.Graph:
        return collapse(self.G, directed=False)


Columns = dict[str, dict[Any, Any]]
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
    G, U = v.G, v.undirected
    n = U.number_of_nodes()
    scale = 1.0 / (n - 1) if n > 1 else 0.0
    cols: Columns = {"degree": {}, "in_degree": {}, "out_degree": {}, "neighbours": {}, "degree_centrality": {}}
    for node in G:
        ins = sum(1 for _, _, d in G.in_edges(node, data=True) if d.get("directed", True) is not False)
        outs = sum(1 for _, _, d in G.out_edges(node, data=True) if d.get("directed", True) is not False)
        cols["degree"][node] = G.degree(node)
        cols["in_degree"][node] = ins
        cols["out_degree"][node] = outs
        cols["neighbours"][node] = U.degree(node)
        cols["degree_centrality"][node] = U.degree(node) * scale
    note = "degree = number of relations; in/out count directed relations only; neighbours = distinct linked entities"
    return cols, {"degree": note}


def _betweenness(v: Views, opts: dict[str, Any]) -> tuple[Columns, dict[str, Any]]:
    U = v.undirected
    n = U.number_of_nodes()
    exact_max = int(opts.get("betweenness_exact_max", BETWEENNESS_EXACT_MAX))
    if n <= exact_max:
        values = nx.betweenness_centrality(U, normalized=True)
        note = f"exact, unweighted, normalised, on the collapsed undirected graph ({n} nodes)"
        meta = {"betweenness_method": "exact", "betweenness_k": None}
    else:
        k = min(int(opts.get("betweenness_k", BETWEENNESS_K)), n)
        seed = int(opts.get("seed", SEED))
        values = nx.betweenness_centrality(U, k=k, normalized=True, seed=seed)
        note = f"sampled from k={k} of {n} source nodes (seed {seed}), unweighted, normalised, collapsed undirected graph"
        meta = {"betweenness_method": "sampled", "betweenness_k": k}
    return {"betweenness": values}, {"betweenness": note, **meta}


def _pagerank(v: Views, opts: dict[str, Any]) -> tuple[Columns, dict[str, Any]]:
    D = v.directed
    values = nx.pagerank(D, alpha=0.85, weight="weight", tol=1e-10, max_iter=1000) if D.number_of_nodes() else {}
    return {"pagerank": values}, {"pagerank": PAGERANK_NOTE}


def _eigenvector(v: Views, opts: dict[str, Any]) -> tuple[Columns, dict[str, Any]]:
    note = (
        "eigenvector on the collapsed undirected graph weighted by number of relations, per connected "
        "component (unit norm within a component, then scaled by sqrt(component size / nodes)); isolated nodes 0"
    )
    return {"eigenvector": eigenvector_by_component(v.undirected)}, {"eigenvector": note}


def _harmonic(v: Views, opts: dict[str, Any]) -> tuple[Columns, dict[str, Any]]:
    U = v.undirected
    n = U.number_of_nodes()
    raw = nx.harmonic_centrality(U)
    scale = 1.0 / (n - 1) if n > 1 else 0.0
    note = "harmonic closeness (sum of 1/distance) divided by nodes - 1, collapsed undirected graph; works on disconnected graphs"
    return {"harmonic": {k: val * scale for k, val in raw.items()}}, {"harmonic": note}


def _closeness(v: Views, opts: dict[str, Any]) -> tuple[Columns, dict[str, Any]]:
    note = "closeness with the Wasserman-Faust correction for disconnected graphs, collapsed undirected graph"
    return {"closeness": nx.closeness_centrality(v.undirected, wf_improved=True)}, {"closeness": note}


def _community(v: Views, opts: dict[str, Any]) -> tuple[Columns, dict[str, Any]]:
    seed = int(opts.get("seed", SEED))
    parts = communities(v.undirected, seed=seed)
    label: dict[Any, int] = {}
    size: dict[Any, int] = {}
    for i, part in enumerate(parts, start=1):
        for node in part:
            label[node] = i
            size[node] = len(part)
    U = v.undirected
    modularity = nx.community.modularity(U, parts, weight="weight") if U.number_of_edges() else 0.0
    note = (
        f"Louvain (seed {seed}) on the collapsed undirected graph weighted by number of relations: "
        f"{len(parts)} communities, modularity {modularity:.3f}; numbered by size, then smallest id"
    )
    return {"community": label, "community_size": size}, {"community": note, "modularity": modularity}


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
    )
}


def _frame(G: nx.Graph | nx.MultiDiGraph, columns: Mapping[str, Mapping[Any, Any]]) -> pd.DataFrame:
    ids = sorted(G.nodes)
    data: dict[str, list[Any]] = {
        "name": [G.nodes[n].get("name", n) for n in ids],
        "kind": [G.nodes[n].get("kind", "") for n in ids],
        "sphere": [G.nodes[n].get("sphere", "") for n in ids],
    }
    for col, values in columns.items():
        data[col] = [values.get(n, 0) for n in ids]
    df = pd.DataFrame(data, index=pd.Index(ids, name="id"))
    return df


def _sort(df: pd.DataFrame, column: str, ascending: bool = False) -> pd.DataFrame:
    key = df[column] if ascending else -df[column].astype(float)
    order = sorted(range(len(df)), key=lambda i: (key.iloc[i], df.index[i]))
    out = df.iloc[order]
    out.attrs = dict(df.attrs)
    return out


def centrality(G: nx.MultiDiGraph, metrics: Sequence[str] | None = None, **options: Any) -> pd.DataFrame:
    """Per-entity centrality table, one row per entity, sorted by the first metric's score.

    Parameters
    ----------
    G : nx.MultiDiGraph
        The canonical graph (not changed).
    metrics : sequence of str, optional
        Names from `METRICS` (default: all, in registry order). The first one sets the order:
        score descending (community: ascending), then id.
    **options
        `betweenness_exact_max` (default 2000), `betweenness_k` (500) and `seed` (42).

    Returns
    -------
    pd.DataFrame
        Indexed by entity id, with `name`, `kind`, `sphere` and the metrics' columns. `attrs`
        holds `notes` (metric -> how it was computed: method, sample size, edge direction) and
        `betweenness_method` / `betweenness_k`.

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
    >>> df.attrs["betweenness_method"]
    'exact'
    """
    names = list(METRICS) if not metrics else list(dict.fromkeys(metrics))
    unknown = [m for m in names if m not in METRICS]
    if unknown:
        raise ValueError(f"unknown metric {unknown[0]!r}; choose from {', '.join(METRICS)}")
    views = Views(G)
    columns: dict[str, dict[Any, Any]] = {}
    notes: dict[str, str] = {}
    attrs: dict[str, Any] = {}
    for name in names:
        cols, meta = METRICS[name].compute(views, dict(options))
        columns.update(cols)
        for key, val in meta.items():
            if key in METRICS:
                notes[key] = val
            else:
                attrs[key] = val
    df = _frame(G, columns)
    attrs["notes"] = notes
    attrs["metrics"] = names
    df.attrs = attrs
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

            A = nx.to_scipy_sparse_array(H, nodelist=nodes, weight=weight, dtype=float)
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


def channel_graph(G: nx.MultiDiGraph, exclude: Iterable[str] = CHANNEL_EXCLUDE) -> nx.MultiDiGraph:
    """A copy of `G` without the relations that are not channels (see `CHANNEL_EXCLUDE`).

    Examples
    --------
    >>> G = nx.MultiDiGraph()
    >>> G.add_edge("a", "b", key="r1", kind="owns")
    'r1'
    >>> G.add_edge("c", "a", key="r2", kind="reported_on")
    'r2'
    >>> sorted(channel_graph(G).edges(keys=True))
    [('a', 'b', 'r1')]
    """
    drop = set(exclude)
    H = nx.MultiDiGraph()
    H.graph.update(G.graph)
    H.add_nodes_from(G.nodes(data=True))
    H.add_edges_from((u, v, k, d) for u, v, k, d in G.edges(keys=True, data=True) if d.get("kind") not in drop)
    return H


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


def brokers(
    G: nx.MultiDiGraph,
    source_spheres: Sequence[str] = ("elite",),
    target_spheres: Sequence[str] = ("london_finance", "offshore"),
    exclude: Iterable[str] = CHANNEL_EXCLUDE,
) -> pd.DataFrame:
    """Who connects the elite to the City and offshore: subset betweenness and brokerage roles.

    Both run on the channel relations only (`channel_graph`): claims, reports, rankings,
    lawsuits and registrations are not channels.

    - ``subset_betweenness``: for every pair (elite entity, City or offshore entity), the share of
      its shortest paths that run through the entity, summed over pairs
      (`nx.betweenness_centrality_subset` on the collapsed undirected graph, unnormalised and
      doubled back, because networkx halves undirected values and the two sphere sets never
      overlap, so each pair is counted once). 1.0 = one pair depends entirely on the entity.
    - Gould-Fernandez role counts over the spheres on the collapsed directed graph
      (`brokerage_roles`), and ``brokerage``, their sum.

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
    H = channel_graph(G, exclude)
    views = Views(H)
    sphere = {n: d.get("sphere", "") for n, d in H.nodes(data=True)}
    sources = sorted(n for n, s in sphere.items() if s in set(source_spheres))
    targets = sorted(n for n, s in sphere.items() if s in set(target_spheres) and s not in set(source_spheres))
    U = views.undirected
    if sources and targets:
        sb = nx.betweenness_centrality_subset(U, sources, targets, normalized=False)
        sb = {k: 2.0 * val for k, val in sb.items()}
    else:
        sb = {n: 0.0 for n in U}
    roles = brokerage_roles(views.directed, sphere)
    columns: dict[str, dict[Any, Any]] = {"subset_betweenness": sb}
    for role in BROKERAGE_ROLES:
        columns[role] = {n: roles[n][role] for n in roles}
    columns["brokerage"] = {n: sum(roles[n].values()) for n in roles}
    df = _frame(G, columns)
    order = sorted(range(len(df)), key=lambda i: (-float(df["subset_betweenness"].iloc[i]), -int(df["brokerage"].iloc[i]), df.index[i]))
    df = df.iloc[order]
    df.attrs = {
        "notes": {
            "subset_betweenness": (
                f"shortest paths from the {'/'.join(source_spheres)} sphere to {'/'.join(target_spheres)}, "
                "summed over pairs, on the collapsed undirected graph of channel relations "
                f"(excluded: {', '.join(sorted(set(exclude)))})"
            ),
            "brokerage": "Gould & Fernandez (1989) roles over spheres on the collapsed directed graph of channel relations",
        }
    }
    return df
