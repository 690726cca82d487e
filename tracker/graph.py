"""The canonical graph, and the derived graphs that views and metrics need.

`build` turns a validated `Dataset` into one `nx.MultiDiGraph`: a node per entity id, an edge per
relation keyed by relation id, every field kept as an attribute, and the sources table on the
graph itself (`G.graph["sources"]`), so that any edge can be followed to its citations. Views,
reports and exports derive from this graph; none of them changes it.

On a large dataset (more than `COMPACT_ABOVE` relations, or `build(..., compact=True)`) the
graph is *compact*: an optional attribute whose value is empty ("", None, an empty list) is
absent rather than stored, because at ICIJ scale (millions of edges) those empty entries are
most of the graph's memory. Always present: on nodes `kind`, `name`, `sphere`, `placeholder`,
`sources`, `dataset`; on edges `kind`, `label`, `directed`, `ownership`, `sources`, `evidence`,
`dataset`. Consumers read every other attribute with `d.get(name)` (and treat a missing one as
empty), which reads a compact and a full graph alike. `G.graph["compact"]` is True on a compact
graph (and absent on a full one).
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Iterable
from dataclasses import fields
from itertools import compress
from typing import TYPE_CHECKING, Any

import networkx as nx

from tracker.dataset import Dataset, Entity, Relation, Source, gc_paused
from tracker.dates import in_force
from tracker.exc import TrackerError, UnknownEntity
from tracker.hubs import HUB_RELATIONS, NOT_TRAVERSED  # the walk rule, defined without networkx
from tracker.model import load_model

if TYPE_CHECKING:  # imported where an index is built: rapidfuzz is not needed to walk or explain
    from tracker.names import NameIndex

__all__ = [
    "build",
    "collapse",
    "reach",
    "walkable",
    "neighbourhood",
    "NOT_TRAVERSED",
    "HUB_RELATIONS",
    "filter_graph",
    "select",
    "with_paths",
    "name_index",
    "citations",
    "resolve",
    "edge_summary",
]

_NODE_FIELDS = tuple(f.name for f in fields(Entity) if f.name != "id")
_EDGE_FIELDS = tuple(f.name for f in fields(Relation) if f.name not in {"id", "source", "target"})
_SOURCE_FIELDS = tuple(f.name for f in fields(Source))
# Relations above which `build` makes a compact graph (see the module docstring). The curated
# dataset and the test fixtures are far below it, so their graphs (and every output made from
# them) keep every attribute.
COMPACT_ABOVE = 100_000
_NODE_ALWAYS = frozenset({"kind", "name", "sphere", "placeholder", "sources", "dataset"})
_EDGE_ALWAYS = frozenset({"kind", "label", "directed", "ownership", "sources", "evidence", "dataset"})


_GETTERS: dict[tuple[str, ...], Any] = {}
_SPLITS: dict[tuple[tuple[str, ...], frozenset[str]], tuple[tuple[str, ...], tuple[str, ...]]] = {}


def _getter(names: tuple[str, ...]) -> Any:
    get = _GETTERS.get(names)
    if get is None:
        get = _GETTERS[names] = operator.attrgetter(*names) if len(names) > 1 else (lambda o, n=names[0]: (getattr(o, n),))
    return get


def _plain(obj: object, names: tuple[str, ...], always: frozenset[str] | None = None) -> dict[str, Any]:
    # dataclasses.asdict deep-copies recursively; this is the same for flat records, and fast
    # (an attrgetter reads every field in one call; tuples become lists). With `always`, empty
    # values ("", None, ()) of the other fields are left out: a compact graph.
    if always is None:
        return {n: list(v) if type(v) is tuple else v for n, v in zip(names, _getter(names)(obj))}
    split = _SPLITS.get((names, always))
    if split is None:
        split = _SPLITS[names, always] = (tuple(n for n in names if n in always), tuple(n for n in names if n not in always))
    kept, optional = split
    out = {n: list(v) if type(v) is tuple else v for n, v in zip(kept, _getter(kept)(obj))}
    for n, v in zip(optional, _getter(optional)(obj)):
        if v:
            out[n] = list(v) if type(v) is tuple else v
        elif v is not None and v != "" and v != ():
            out[n] = v  # 0, 0.0 and False are values, not empties
    return out


def build(dataset: Dataset, compact: bool | None = None) -> nx.MultiDiGraph:
    """Build the canonical graph of a dataset.

    Node attributes are the entity's fields (lists stay lists); edge attributes are the
    relation's fields plus `label`, `directed`, `ownership` from the schema and `referred_by`:
    the ids of relations that answer or update this one (denials, discharges, appeals), so that
    an outcome is never more than one lookup away from the claim it concerns.

    `compact` (default: when the dataset has more than `COMPACT_ABOVE` relations) leaves empty
    optional attributes out, which roughly halves the memory of a multi-million-edge graph.

    Examples
    --------
    >>> from tracker.dataset import Dataset, Entity, Relation, Source
    >>> ds = Dataset([], [], {"a": Entity("a", "person", "A", "elite"), "b": Entity("b", "company", "B", "company")},
    ...     {"r1": Relation("r1", "owns", "a", "b", ("s1",), "news_report", share=50.0)},
    ...     {"s1": Source("s1", "https://example.org", "T", "P", "2020", "news_report")}, "hash")
    >>> G = build(ds)
    >>> G.number_of_nodes(), G.number_of_edges(), G.edges["a", "b", "r1"]["share"]
    (2, 1, 50.0)
    >>> C = build(ds, compact=True)
    >>> C.edges["a", "b", "r1"]["share"], "amount" in C.edges["a", "b", "r1"], C.graph.get("compact"), G.graph.get("compact")
    (50.0, False, True, None)
    """
    with gc_paused():
        return _build(dataset, compact)


def _build(dataset: Dataset, compact: bool | None) -> nx.MultiDiGraph:
    model = load_model()
    if compact is None:
        compact = len(dataset.relations) > COMPACT_ABOVE
    node_always = _NODE_ALWAYS if compact else None
    G: nx.MultiDiGraph = nx.MultiDiGraph()
    G.graph["name"] = "+".join(dataset.names)
    G.graph["content_hash"] = dataset.content_hash
    G.graph["data_date"] = dataset.data_date
    if compact:
        G.graph["compact"] = True  # absent on a full graph, so that exports of small graphs keep their bytes
    # Source records are flat (no tuple fields): one zip per record builds the same dict as _plain.
    src_get = _getter(_SOURCE_FIELDS)
    G.graph["sources"] = {sid: dict(zip(_SOURCE_FIELDS, src_get(src))) for sid, src in sorted(dataset.sources.items())}
    entities = dataset.entities
    G.add_nodes_from((eid, _plain(entities[eid], _NODE_FIELDS, node_always)) for eid in sorted(entities))
    referred_by: dict[str, list[str]] = {}
    relations = dataset.relations
    rids = sorted(relations)
    for rid in rids:
        for ref in relations[rid].refers_to:
            referred_by.setdefault(ref, []).append(rid)
    schema = {name: (k.label, k.directed, k.ownership) for name, k in model.relation_kinds.items()}
    raw: Any = G  # networkx's own adjacency dicts, which the stubs do not declare
    succ, pred = raw._succ, raw._pred
    new_keydict = raw.edge_key_dict_factory
    edge_attrs = _compact_edge if compact else _full_edge
    for rid in rids:
        rel = relations[rid]
        attrs = edge_attrs(rel)
        attrs["label"], attrs["directed"], attrs["ownership"] = schema[rel.kind]
        answered = referred_by.get(rid)
        if answered or not compact:
            attrs["referred_by"] = answered or []
        u, v = rel.source, rel.target
        # The adjacency is filled directly, as MultiDiGraph.add_edge fills it but without its
        # per-call checks, keyword dict and cache clearing (millions of calls at ICIJ scale). An
        # end that is not an entity (validation rules it out) goes through add_edge, which adds it.
        out = succ.get(u)
        if out is None or v not in succ:
            G.add_edge(u, v, key=rid, **attrs)
            continue
        keydict = out.get(v)
        if keydict is None:
            keydict = out[v] = pred[v][u] = new_keydict()
        elif rid in keydict:
            G.add_edge(u, v, key=rid, **attrs)  # a repeated relation id: add_edge's update semantics
            continue
        keydict[rid] = attrs
    return G


_EDGE_TUPLES = frozenset(f.name for f in fields(Relation) if f.name in _EDGE_FIELDS and "tuple" in str(f.type))
_EMPTY_VALUES = frozenset({"", None, ()})  # what a compact graph leaves out; 0, 0.0 and False stay
_EDGE_KEPT = tuple(n for n in _EDGE_FIELDS if n in _EDGE_ALWAYS)
_EDGE_OPTIONAL = tuple(n for n in _EDGE_FIELDS if n not in _EDGE_ALWAYS)


def _full_edge(rel: Relation) -> dict[str, Any]:
    out = dict(zip(_EDGE_FIELDS, _getter(_EDGE_FIELDS)(rel)))
    for n in _EDGE_TUPLES:
        if type(out[n]) is tuple:
            out[n] = list(out[n])
    return out


def _compact_edge(rel: Relation) -> dict[str, Any]:
    """`_plain(rel, _EDGE_FIELDS, _EDGE_ALWAYS)` with the loop over fields done in C."""
    out = dict(zip(_EDGE_KEPT, _getter(_EDGE_KEPT)(rel)))
    values = _getter(_EDGE_OPTIONAL)(rel)
    try:
        out.update(compress(zip(_EDGE_OPTIONAL, values), map(operator.not_, map(_EMPTY_VALUES.__contains__, values))))
    except TypeError:  # an unhashable value (a list where a tuple belongs): the general path
        return _plain(rel, _EDGE_FIELDS, _EDGE_ALWAYS)
    for n in _EDGE_TUPLES:
        if type(out.get(n)) is tuple:
            out[n] = list(out[n])
    return out


def citations(G: nx.MultiDiGraph, source_ids: Iterable[str]) -> list[dict[str, Any]]:
    """The source records behind a list of source ids, in the order given."""
    table: dict[str, dict[str, Any]] = G.graph.get("sources", {})
    return [table[s] for s in source_ids if s in table]


def edge_summary(G: nx.MultiDiGraph, u: str, v: str, key: str) -> str:
    """One line for a relation: "A -[label (role)]-> B", used by paths and reports."""
    d = G.edges[u, v, key]
    role = f" ({d['role']})" if d.get("role") else ""
    arrow = "->" if d.get("directed", True) else "--"
    return f"{G.nodes[u].get('name', u)} -[{d.get('label', d.get('kind'))}{role}]{arrow} {G.nodes[v].get('name', v)}"


def collapse(G: nx.MultiDiGraph, directed: bool = True) -> nx.DiGraph | nx.Graph:
    """A simple graph with one edge per linked pair, `weight` = number of relations.

    Some metrics (eigenvector, Katz) refuse multigraphs; this is what they run on. Undirected
    relations (family, associate) count in both directions of the directed result.

    Examples
    --------
    >>> M = nx.MultiDiGraph()
    >>> _ = M.add_edge("a", "b", key="r1"); _ = M.add_edge("a", "b", key="r2"); _ = M.add_edge("b", "a", key="r3")
    >>> collapse(M)["a"]["b"]["weight"], collapse(M, directed=False)["a"]["b"]["weight"]
    (2, 3)
    """
    H: nx.DiGraph | nx.Graph = nx.DiGraph() if directed else nx.Graph()
    H.add_nodes_from(G.nodes(data=True))
    for u, v, d in G.edges(data=True):
        pairs = [(u, v)]
        if directed and d.get("directed") is False:
            pairs.append((v, u))
        for a, b in pairs:
            if H.has_edge(a, b):
                H[a][b]["weight"] += 1
            else:
                H.add_edge(a, b, weight=1)
    return H


def walkable(
    G: nx.MultiDiGraph, node: str, hub_relations: int | None = HUB_RELATIONS, not_traversed: Iterable[str] = NOT_TRAVERSED
) -> bool:
    """Whether a walk may pass through `node`: not a place (`not_traversed`) and not a hub.

    An extract from the store (`tracker.query`) lists its hubs in ``G.graph["hubs"]``, judged
    on the whole graph: its own partial degrees would let a walk through a hub.
    """
    known = G.graph.get("hubs")
    if known is not None and hub_relations == HUB_RELATIONS and frozenset(not_traversed) == NOT_TRAVERSED:
        return node not in known
    if G.nodes[node].get("kind") in frozenset(not_traversed):
        return False
    return hub_relations is None or G.degree(node) <= hub_relations


def reach(
    G: nx.MultiDiGraph,
    centers: Iterable[str],
    depth: int,
    hub_relations: int | None = HUB_RELATIONS,
    not_traversed: Iterable[str] = NOT_TRAVERSED,
) -> dict[str, int]:
    """The hop distance of every entity within `depth` hops of `centers`, ignoring direction.

    The one walk of the library (`neighbourhood`, `tracker.paths.neighbours`, `--focus`). An
    entity of a kind in `not_traversed`, or with more than `hub_relations` relations (in and
    out, in `G`), is reached as an end point but not walked through; the centres are always
    walked from. `hub_relations=None` and `not_traversed=()` walk everything.

    Examples
    --------
    >>> G = nx.MultiDiGraph()
    >>> G.add_nodes_from([("a", {"kind": "company"}), ("b", {"kind": "company"}), ("vg", {"kind": "jurisdiction"})])
    >>> _ = G.add_edge("a", "vg"), G.add_edge("b", "vg")
    >>> reach(G, ["a"], 2), reach(G, ["a"], 2, not_traversed=())
    ({'a': 0, 'vg': 1}, {'a': 0, 'vg': 1, 'b': 2})
    """
    centers = list(dict.fromkeys(centers))
    for center in centers:
        if center not in G:
            raise UnknownEntity(f"no entity with id {center!r}")
    places = frozenset(not_traversed)
    start = set(centers)
    dist = {c: 0 for c in centers}
    frontier = sorted(start)
    for level in range(1, max(depth, 0) + 1):
        reached: set[str] = set()
        for n in frontier:
            if n not in start and not walkable(G, n, hub_relations, places):
                continue
            reached.update(G.successors(n))
            reached.update(G.predecessors(n))
        new = sorted(reached.difference(dist))
        for n in new:
            dist[n] = level
        frontier = new
    return dist


def neighbourhood(
    G: nx.MultiDiGraph,
    centers: Iterable[str],
    depth: int,
    hub_relations: int | None = HUB_RELATIONS,
    not_traversed: Iterable[str] = NOT_TRAVERSED,
) -> nx.MultiDiGraph:
    """The sub-graph induced by `reach`: the reached entities and every relation among them.

    Returns a copy; `G` is not changed. `--focus "British Virgin Islands" --depth 1` still
    lists what is registered there (the centre is walked), but `--focus` on a BVI company
    does not reach every other BVI company through the jurisdiction.

    Examples
    --------
    >>> G = nx.MultiDiGraph()
    >>> G.add_nodes_from([("a", {"kind": "company"}), ("b", {"kind": "company"}), ("vg", {"kind": "jurisdiction"})])
    >>> _ = G.add_edge("a", "vg"), G.add_edge("b", "vg")
    >>> sorted(neighbourhood(G, ["a"], 2)), sorted(neighbourhood(G, ["vg"], 1))
    (['a', 'vg'], ['a', 'b', 'vg'])
    """
    return G.subgraph(reach(G, centers, depth, hub_relations, not_traversed)).copy()


def filter_graph(
    G: nx.MultiDiGraph,
    spheres: Iterable[str] = (),
    kinds: Iterable[str] = (),
    relation_kinds: Iterable[str] = (),
    evidence: Iterable[str] = (),
    as_of: str = "",
    min_degree: int = 0,
) -> nx.MultiDiGraph:
    """A copy of `G` keeping only what matches every given filter (an empty filter keeps all).

    `as_of` drops relations not in force on that (partial) date; `min_degree` then drops
    entities with fewer relations left.
    """
    spheres, kinds = set(spheres), set(kinds)
    relation_kinds, evidence = set(relation_kinds), set(evidence)
    keep = [n for n, d in G.nodes(data=True) if (not spheres or d.get("sphere") in spheres) and (not kinds or d.get("kind") in kinds)]
    H = G.subgraph(keep).copy()
    drop = []
    for u, v, k, d in H.edges(keys=True, data=True):
        if relation_kinds and d.get("kind") not in relation_kinds:
            drop.append((u, v, k))
        elif evidence and d.get("evidence") not in evidence:
            drop.append((u, v, k))
        elif as_of and not in_force(d.get("start", ""), d.get("end", ""), as_of):
            drop.append((u, v, k))
    H.remove_edges_from(drop)
    if min_degree > 0:
        H.remove_nodes_from([n for n, deg in list(H.degree()) if deg < min_degree])
    return H


def name_index(G: nx.MultiDiGraph) -> NameIndex:
    """A search index over the names and aliases of the graph's entities.

    A graph cut from a store for a search carries its names' stored skeletons
    (``G.graph["name_keys"]``), so that they are not transliterated again.
    """
    from tracker.names import NameIndex

    keys = G.graph.get("name_keys")
    return NameIndex(((n, d.get("name", n), d.get("aliases", [])) for n, d in G.nodes(data=True)), keys=keys)


def resolve(
    G: nx.MultiDiGraph,
    query: str,
    notice: Callable[[str], None] | None = None,
    index: NameIndex | None = None,
) -> str:
    """The id of the entity that `query` names (an id, a name or an alias, in any script).

    An id needs no index (building one costs seconds on a large graph). Anything else is
    decided by `NameIndex.lookup`: a close but inexact name is taken only with a `notice`
    callback to tell the user whom it chose (the CLI prints it on stderr).

    Examples
    --------
    >>> G = nx.MultiDiGraph()
    >>> G.add_node("timur-kulibayev", name="Timur Kulibayev", aliases=["Тимур Кулибаев"])
    >>> resolve(G, "Тимур Кулибаев"), resolve(G, "Timur Kulbayev", notice=print)
    resolved "Timur Kulbayev" to Timur Kulibayev (timur-kulibayev), score 96
    ('timur-kulibayev', 'timur-kulibayev')
    """
    q = query.strip()
    if q in G:
        return q
    return (index or name_index(G)).resolve(query, notice)


def select(
    G: nx.MultiDiGraph,
    focus: Iterable[str] = (),
    depth: int = 2,
    spheres: Iterable[str] = (),
    kinds: Iterable[str] = (),
    as_of: str = "",
    min_degree: int = 0,
) -> nx.MultiDiGraph:
    """The part of `G` that `--focus`, `--depth`, `--sphere`, `--kind`, `--as-of` and `--min-degree` keep.

    The neighbourhood of the `focus` ids (see `reach`) is taken first, then the entity and
    relation filters, so that "the companies around X" includes the companies X reaches through
    a trust or a person. With no filter at all `G` itself is returned, not a copy (at ICIJ scale
    a copy of the whole graph costs gigabytes): callers treat the result as read-only.
    """
    focus = list(focus)
    spheres, kinds = list(spheres), list(kinds)
    H = neighbourhood(G, focus, depth) if focus else G
    if not (spheres or kinds or as_of or min_degree):
        return H
    return filter_graph(H, spheres=spheres, kinds=kinds, as_of=as_of, min_degree=min_degree)


def with_paths(
    G: nx.MultiDiGraph, H: nx.MultiDiGraph, a: str, b: str, most: int = 20, through_hubs: bool = False
) -> tuple[nx.MultiDiGraph, list[list[str]]]:
    """`H` plus the shortest paths from `a` to `b` in `G` (undirected), and those paths.

    At most `most` paths (sorted), each with every relation between its consecutive entities,
    are added to `H`'s entities and relations; the result is a new graph with `G`'s graph
    attributes. Raises `TrackerError` when `a` and `b` are not connected. As in
    `tracker.paths.explained_paths`, no path passes through a jurisdiction or a hub unless
    `through_hubs` (either end may be one).

    Examples
    --------
    >>> G = nx.MultiDiGraph()
    >>> _ = G.add_edge("a", "b", key="r1"), G.add_edge("c", "b", key="r2"), G.add_edge("c", "d", key="r3")
    >>> K, paths = with_paths(G, G.subgraph(["d"]), "a", "c")
    >>> paths, sorted(K.edges(keys=True))
    ([['a', 'b', 'c']], [('a', 'b', 'r1'), ('c', 'b', 'r2')])
    """
    for end in (a, b):
        if end not in G:
            raise UnknownEntity(f"no entity with id {end!r}")
    try:
        U = G.to_undirected(as_view=True)
        if not through_hubs:
            U = U.subgraph([n for n in U if n in (a, b) or walkable(G, n)])
        paths = sorted(nx.all_shortest_paths(U, a, b))[:most]
    except nx.NetworkXNoPath:
        name_a, name_b = G.nodes[a].get("name", a), G.nodes[b].get("name", b)
        raise TrackerError(f"no path between {name_a} ({a}) and {name_b} ({b})") from None
    keep_nodes = set(H) | {n for p in paths for n in p}
    pairs = {frozenset(pair) for p in paths for pair in zip(p, p[1:], strict=False)}
    keep_edges = set(H.edges(keys=True)) | {(u, v, k) for u, v, k in G.edges(keys=True) if frozenset((u, v)) in pairs}
    K: nx.MultiDiGraph = nx.MultiDiGraph(**G.graph)
    K.add_nodes_from((n, G.nodes[n]) for n in sorted(keep_nodes))
    for u, v, k in sorted(keep_edges):
        K.add_edge(u, v, key=k, **G.edges[u, v, k])
    return K, paths
