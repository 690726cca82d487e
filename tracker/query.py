"""Walks, paths, chains and name lookups over a compiled store, on any backend.

Every question is answered in two steps. First the backend cuts out the part of the graph the
answer can lie in, one statement (or Spark job) per hop, with the frontier and visited sets
here in Python. Then that part becomes a networkx graph (`Extract.graph`) and the same library
function that answers on the whole in-memory graph (`tracker.paths`, `tracker.chains`,
`tracker.graph`) answers on it. The cut is exact, not a heuristic, which is what lets the
conformance tests demand identical answers from networkx, DuckDB and Spark:

- a neighbourhood of depth d is every entity within d hops, walking only through entities that
  are neither a jurisdiction nor a hub (more than `HUB_RELATIONS` relations in the whole
  graph; the centres are always walked from), with every relation among them;
- the paths of length at most L between a and b use only entities v with
  dist(a, v) + dist(v, b) <= L, so walks from a and b whose depths add up to L hold all of
  them, whichever end is walked deeper (`path_walks` deepens the smaller side, as a
  bidirectional search does; `OnStore.between` grows L from the shortest distance until k
  paths are found or `max_hops` is reached);
- ownership chains follow only ownership and control relations, in one direction, so the
  closure of those relations is all the chain arithmetic can read.

Each extract also carries the relations that answer an extracted relation (denials,
outcomes: `refers_to`) and their entities, so that no claim is shown without its answer.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from tracker.backends import Backend
from tracker.exc import TooManyEntities, UnknownEntity
from tracker.hubs import HUB_RELATIONS, NOT_TRAVERSED

__all__ = [
    "HUB_RELATIONS",
    "NOT_TRAVERSED",
    "Extract",
    "walk",
    "walk_arrays",
    "neighbourhood",
    "path_region",
    "chain_region",
    "search",
    "search_rows",
    "best_candidates",
    "resolve",
    "public",
]

# The same rule as the in-memory walk (`tracker.graph.reach`), from the same constants: places
# (`NOT_TRAVERSED`) and hubs (more than `HUB_RELATIONS` relations) are end points only.
# The most results `tracker search --limit` shows.
SEARCH_MOST = 1000

# The most entities a neighbourhood (`neighbourhood`: neighbours, view and export --focus) is cut
# out of the store with: its relations become Python records and the entities a networkx graph.
# On a generated PSC register of full size (19.4 million entities) the 2-hop neighbourhood of a company that
# is linked to 56,675 others reached 712,026 entities and took 6 minutes and 18 GB before this.
# The walk that counts them takes seconds; above the cap the question is refused at once.
MAX_EXTRACT = 100_000


@dataclass
class Extract:
    """What a query cut out: its entities and relations, with the answering context.

    `core` holds the entity ids the query selected; the graph holds them, every relation
    among them, and (added for explanations) the relations that answer one of those and their
    entities. `hubs` lists the extracted entities a walk may not pass through, judged on the
    whole graph: a walk over the extract must not take an entity's small local degree for the
    whole one.
    """

    backend: Backend
    core_nodes: Any
    core_relations: Any
    context_relations: Any = field(default_factory=lambda: _no_ids())
    # The walk's distance of each position (named by `distances` when asked: after `graph`,
    # the ids are known and naming them reads nothing).
    at_distance: dict[int, int] = field(default_factory=dict)
    _graph: Any = None

    @property
    def distances(self) -> dict[str, int]:
        """The walk's distance of each extracted entity, by id (empty when the extract is not a walk's)."""
        at = sorted(self.at_distance)
        return dict(zip(_ids(self, at), (self.at_distance[i] for i in at), strict=True))

    @property
    def graph(self) -> Any:
        """The extract as a canonical `nx.MultiDiGraph` (built once)."""
        if self._graph is None:
            from tracker.graph import build

            if isinstance(self.core_nodes, list):  # a plain extract (`_extract_plain`): lists, no numpy
                rels: Any = sorted({*self.core_relations, *self.context_relations})
                nodes: Any = self.core_nodes
                if self.context_relations:
                    nodes = sorted({*nodes, *self.backend.plain("endpoints", self.context_relations)})  # type: ignore[attr-defined]
            else:
                import numpy as np

                rels = _distinct(np.concatenate([self.core_relations, self.context_relations]))
                nodes = self.core_nodes
                if len(self.context_relations):
                    nodes = _distinct(np.concatenate([nodes, self.backend.endpoints(self.context_relations)]))
            read = getattr(self.backend, "extract_dataset", None)
            if read is not None:
                # One read per table gives the records, the ids and which entities are hubs.
                dataset, hubs = read(nodes, rels, HUB_RELATIONS, NOT_TRAVERSED)
            else:
                dataset = self.backend.store.dataset(nodes, rels)
                walkable = self.backend.store.walkable(HUB_RELATIONS, NOT_TRAVERSED)
                hubs = _ids(self, nodes[~walkable[nodes]])
            G = build(dataset, compact=False)
            G.graph["hubs"] = sorted(hubs)  # see `public`
            self._graph = G
        return self._graph

    @property
    def core(self) -> list[str]:
        """The entity ids the query selected, sorted."""
        return sorted(_ids(self, self.core_nodes))

    def core_graph(self) -> Any:
        """The selected entities and the relations among them, without the answering context."""
        return self.graph.subgraph(self.core).copy()


def public(G: Any) -> Any:
    """`G` without the extract's private bookkeeping (``hubs``), for pages and exports."""
    G.graph.pop("hubs", None)
    return G


def _no_ids() -> Any:
    import numpy as np

    return np.zeros(0, dtype=np.int64)


def _ids(ex: Extract, nodes: Iterable[int]) -> list[str]:
    own = getattr(ex.backend, "ids_of", None)  # a backend that remembers the ids it has read
    if own is not None:
        return list(own(nodes))
    import numpy as np

    return ex.backend.store.ids_of(np.asarray(list(nodes), dtype=np.int64))


def walk(
    backend: Backend,
    seeds: Sequence[int],
    depth: int,
    direction: str = "both",
    ownership_only: bool = False,
    hub_relations: int | None = HUB_RELATIONS,
    not_traversed: Iterable[str] = NOT_TRAVERSED,
) -> dict[int, int]:
    """Distance of every entity within `depth` hops of `seeds`, walking only through walkable ones.

    The seeds are always walked from. With `hub_relations` None, every entity is walkable
    (ownership chains: an owner is followed however many it owns). See `walk_arrays`.
    """
    nodes, dist = walk_arrays(backend, seeds, depth, direction, ownership_only, hub_relations, not_traversed)
    return dict(zip(nodes.tolist(), dist.tolist(), strict=True))


def walk_arrays(
    backend: Backend,
    seeds: Sequence[int],
    depth: int,
    direction: str = "both",
    ownership_only: bool = False,
    hub_relations: int | None = HUB_RELATIONS,
    not_traversed: Iterable[str] = NOT_TRAVERSED,
) -> tuple[Any, Any]:
    """`walk` as two arrays, the positions reached (sorted) and their distances.

    A backend with a `walk` of its own keeps the visited set and the frontier inside the
    engine (DuckDB: temporary tables, so a frontier of a million entities never crosses into
    Python); otherwise one backend `hop` per level, with the sets here in numpy.
    """
    import numpy as np

    own = getattr(backend, "walk", None)
    if own is not None:
        nodes, dist = own(
            sorted({int(s) for s in seeds}), max(depth, 0), direction, ownership_only, hub_relations, sorted(set(not_traversed))
        )
        return np.asarray(nodes, dtype=np.int64), np.asarray(dist, dtype=np.int64)
    walkable = None if hub_relations is None else backend.store.walkable(hub_relations, not_traversed)
    seen = np.zeros(backend.store.entity_count, dtype=bool)
    frontier = np.unique(np.asarray(list(seeds), dtype=np.int64))
    seen[frontier] = True
    found, levels = [frontier], [np.zeros(len(frontier), dtype=np.int64)]
    for level in range(1, max(depth, 0) + 1):
        if level > 1 and walkable is not None:
            frontier = frontier[walkable[frontier]]
        if not len(frontier):
            break
        reached = np.unique(np.asarray(backend.hop(frontier, direction, ownership_only), dtype=np.int64))
        frontier = reached[~seen[reached]]
        seen[frontier] = True
        found.append(frontier)
        levels.append(np.full(len(frontier), level, dtype=np.int64))
    nodes, dist = np.concatenate(found), np.concatenate(levels)
    order = np.argsort(nodes, kind="stable")
    return nodes[order], dist[order]


def _extract(backend: Backend, nodes: Iterable[int], distances: dict[int, int] | None = None) -> Extract:
    import numpy as np

    core = np.array(sorted({int(n) for n in nodes}), dtype=np.int64)
    rels = backend.induced(core)
    context = _minus(np.asarray(backend.answers(rels), dtype=np.int64), rels)
    return Extract(backend, core, rels, context, dict(distances or {}))


def neighbourhood(backend: Backend, centers: Sequence[str], depth: int, hub_relations: int = HUB_RELATIONS) -> Extract:
    """The entities within `depth` hops of `centers` (ids) and every relation among them."""
    seeds = _positions(backend, centers)
    if hasattr(backend, "walk_rows"):
        rows = _walk_rows(backend, seeds, depth, "both", False, hub_relations)
        _within_cap(centers, depth, len(rows))
        return _extract_plain(backend, rows)
    dist = walk(backend, seeds, depth, hub_relations=hub_relations)
    _within_cap(centers, depth, len(dist))
    return _extract(backend, dist, dist)


def _within_cap(centers: Sequence[str], depth: int, reached: int) -> None:
    if reached > MAX_EXTRACT:
        one = len(centers) == 1
        fewer = f"ask for --depth {depth - 1}" if depth > 1 else f"start from one of {'its' if one else 'their'} neighbours"
        raise TooManyEntities(
            f"{', '.join(centers)}: {reached:,} entities within {depth} hop{'s' if depth != 1 else ''} "
            f"(counting {'itself' if one else 'themselves'}), "
            f"over the cap of {MAX_EXTRACT:,} a neighbourhood is cut out of the store with; {fewer}"
        )


def _walk_rows(
    backend: Any, seeds: Sequence[int], depth: int, direction: str, ownership_only: bool, hub_relations: int | None
) -> dict[int, int]:
    """`walk` through a backend's `walk_rows` (DuckDB): the same distances, as a dict, without numpy."""
    rows = backend.walk_rows(
        sorted({int(s) for s in seeds}), max(depth, 0), direction, ownership_only, hub_relations, sorted(set(NOT_TRAVERSED))
    )
    return dict(rows)


def _extract_plain(backend: Any, distances: dict[int, int]) -> Extract:
    """`_extract` of a walk's entities with lists for arrays (`walk_rows`, `plain`): a neighbourhood or
    a chain is small, and the commands that cut one out then never import numpy (a sixth of a
    second of each); the extract and its graph are the same."""
    core = sorted(distances)
    rels = backend.plain("induced", core)
    context = sorted(set(backend.plain("answers", rels)) - set(rels))
    return Extract(backend, core, rels, context, dict(distances))


# The two ends' positions and, from each, a walk: (positions reached, their distances, depth walked).
Walks = tuple[int, int, tuple[Any, Any, int], tuple[Any, Any, int]]


def path_walks(backend: Backend, a: str, b: str, max_hops: int, through_hubs: bool = False) -> Walks:
    """Walks from both ends whose depths add up to `max_hops` (for `region_nodes` and `_distance`).

    Like a bidirectional search, each step deepens the walk whose last level is smaller: an
    officer three hops from a registered address reaches 26 entities where the address
    reaches a million, so the officer's side is walked deeper. Any split is exact: on a path
    of at most ha + hb hops every entity is within ha hops of one end or hb of the other.
    """
    pa_, pb_ = _positions(backend, [a, b])
    cap = None if through_hubs else HUB_RELATIONS
    place: Iterable[str] = () if through_hubs else NOT_TRAVERSED
    sides = [[pa_, 0, *walk_arrays(backend, [pa_], 0)], [pb_, 0, *walk_arrays(backend, [pb_], 0)]]
    last = [1, 1]  # entities at each walk's deepest level
    while sides[0][1] + sides[1][1] < max_hops:
        i = 0 if last[0] <= last[1] else 1
        seed, depth = int(sides[i][0]), int(sides[i][1]) + 1
        nodes, dist = walk_arrays(backend, [seed], depth, hub_relations=cap, not_traversed=place)
        sides[i] = [seed, depth, nodes, dist]
        last[i] = int((dist == depth).sum())
        if not last[i]:  # this end's whole component is known: walking deeper finds nothing
            sides[i][1] = max_hops - sides[1 - i][1]
    (_, ha, na, da), (_, hb, nb, db) = sides
    return pa_, pb_, (na, da, int(ha)), (nb, db, int(hb))


def path_region(
    backend: Backend,
    a: str,
    b: str,
    length: int,
    through_hubs: bool = False,
    walks: Walks | None = None,
) -> tuple[Extract, int | None]:
    """The entities on any path of at most `length` hops from `a` to `b`, and their shortest distance.

    Walks from both ends to depths that add up to `length` (or reads `walks` that deep, see
    `path_walks`) and keeps the entities whose two distances add up to at most `length`
    (`region_nodes`). Returns the extract and the shortest distance (None: none within `length`).
    """
    walks = walks if walks is not None else path_walks(backend, a, b, length, through_hubs)
    keep = region_nodes(backend, length, through_hubs, walks)
    return _extract(backend, keep), _distance(backend, walks, length, through_hubs)


def _passable(backend: Backend, nodes: Any, ends: tuple[int, int], through_hubs: bool) -> Any:
    """Which of `nodes` a path may pass through: any, or (not `through_hubs`) no place or hub but the ends."""
    import numpy as np

    if through_hubs:
        return np.ones(len(nodes), dtype=bool)
    return backend.store.walkable(HUB_RELATIONS, NOT_TRAVERSED)[nodes] | np.isin(nodes, ends)


def region_nodes(backend: Backend, length: int, through_hubs: bool, walks: Walks) -> Any:
    """The positions (sorted) of the entities on some path of at most `length` hops between the walks' ends.

    An entity is kept when its two distances add up to at most `length`, a distance beyond a
    walk counted as one more than that walk's depth (a lower bound; the depths must add up to
    `length` or more, so that every entity of such a path has one known distance); entities
    a path may not pass through (places, hubs, unless `through_hubs`) only as an end.
    """
    import numpy as np

    pa_, pb_, (na, da, ha), (nb, db, hb) = walks
    if ha + hb < length:
        raise ValueError(f"walks of {ha} and {hb} hops cannot bound paths of {length}")
    every = _union(na, nb)
    xa = np.full(len(every), ha + 1, dtype=np.int64)
    xa[np.searchsorted(every, na)] = da
    xb = np.full(len(every), hb + 1, dtype=np.int64)
    xb[np.searchsorted(every, nb)] = db
    keep = every[(xa + xb <= length) & _passable(backend, every, (pa_, pb_), through_hubs)]
    return _union(keep, np.array(sorted({pa_, pb_}), dtype=np.int64))


def _distinct(values: Any) -> Any:
    """The distinct values of an int64 array, sorted: `np.unique` without its import of numpy.ma
    (a few hundredths of a second of every command that cuts out an extract)."""
    import numpy as np

    out = np.sort(np.asarray(values, dtype=np.int64), kind="stable")
    return out[np.concatenate([[True], out[1:] != out[:-1]])] if len(out) else out


def _minus(a: Any, b: Any) -> Any:
    """`np.setdiff1d(a, b)` (the distinct values of `a` not in `b`, sorted), by sorting only."""
    import numpy as np

    a, b = _distinct(a), _distinct(b)
    if not len(a) or not len(b):
        return a
    at = np.minimum(np.searchsorted(b, a), len(b) - 1)
    return a[b[at] != a]


def _union(a: Any, b: Any) -> Any:
    """The sorted union of two sorted arrays of distinct positions (`np.union1d` hashes: slower at millions)."""
    import numpy as np

    both = np.concatenate([a, b])
    both.sort(kind="stable")
    return both[np.concatenate([[True], both[1:] != both[:-1]])] if len(both) else both


def _distance(backend: Backend, walks: Walks, max_hops: int, through_hubs: bool) -> int | None:
    """The shortest distance the two walks show, if at most `max_hops`: where they meet.

    They may meet only at an end or at an entity a path can pass through (not a place or a
    hub, unless `through_hubs`), as in `region_nodes`.
    """
    import numpy as np

    pa_, pb_, (na, da, _), (nb, db, _) = walks
    common, ia, ib = np.intersect1d(na, nb, assume_unique=True, return_indices=True)
    total = (da[ia] + db[ib])[_passable(backend, common, (pa_, pb_), through_hubs)]
    if not len(total) or int(total.min()) > max_hops:
        return None
    return int(total.min())


def _region_paths(
    store: Any, nodes: Any, rels: Any, a: int, b: int, k: int, max_hops: int, directed: bool, through_hubs: bool
) -> list[list[int]]:
    """The first `k` paths of at most `max_hops` hops from `a` to `b` that `explained_paths` finds
    on the region's graph, found on its bare edge list.

    `explained_paths` runs networkx's `shortest_simple_paths` on `tracker.graph.collapse` of the
    region's graph, whose adjacency order (and so the order of paths of equal length) follows
    from the order edges were added: entities in id order (= position), each entity's
    relations by the first relation id (= position) to each neighbour. The simple graph here is
    built with the same calls in the same order, on positions instead of ids, without a single
    record or source.
    """
    from itertools import islice

    import networkx as nx
    import numpy as np

    src, dst, undirected = _relation_ends(store, rels)
    nodes = np.asarray(nodes, dtype=np.int64)
    if not through_hubs:
        # Places and hubs (but the ends) left out before the graph is built, not filtered after:
        # the edges kept are added in the same relative order, so the adjacency order is the same.
        ok = store.walkable(HUB_RELATIONS, NOT_TRAVERSED)
        nodes = nodes[ok[nodes] | (nodes == a) | (nodes == b)]
        inside = np.zeros(store.entity_count, dtype=bool)
        inside[nodes] = True
        both = inside[src] & inside[dst]
        src, dst, undirected = src[both], dst[both], undirected[both]
    H: Any = nx.DiGraph() if directed else nx.Graph()
    H.add_nodes_from(nodes.tolist())
    if len(src):
        # G.edges() order: by source entity, then by each neighbour's first relation, then by
        # relation; adding an edge that exists changes no order, so every relation is added.
        pair = src * (int(max(src.max(), dst.max())) + 1) + dst
        _, first_at, inverse = np.unique(pair, return_index=True, return_inverse=True)
        order = np.lexsort((np.arange(len(src)), first_at[inverse], src))
        u, v = src[order], dst[order]
        if directed:
            # collapse(directed=True): an undirected relation adds its reverse right after it.
            pairs = np.empty((2 * len(u), 2), dtype=np.int64)
            pairs[0::2, 0], pairs[0::2, 1] = u, v
            pairs[1::2, 0], pairs[1::2, 1] = v, u
            rows = np.ones(2 * len(u), dtype=bool)
            rows[1::2] = undirected[order]
            H.add_edges_from(map(tuple, pairs[rows].tolist()))
        else:
            H.add_edges_from(zip(u.tolist(), v.tolist(), strict=True))
    found: list[list[int]] = []
    try:
        for path in islice(nx.shortest_simple_paths(H, a, b), max(k, 0)):
            if len(path) - 1 > max_hops:
                break
            found.append([int(n) for n in path])
    except nx.NetworkXNoPath:
        pass
    return found


def _relation_ends(store: Any, relations: Any) -> tuple[Any, Any, Any]:
    """`Store.relation_ends` fetched as numpy columns, not through Arrow.

    Arrow out of DuckDB imports pyarrow and pandas (about a third of a second of CPU, more than
    the rest of the path's region); `fetchnumpy` gives the same three arrays in the same order.
    """
    import numpy as np

    wanted = _distinct(relations).tolist()
    if not wanted:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty, np.zeros(0, dtype=bool)
    con = store.sql
    con.execute("CREATE OR REPLACE TEMP TABLE ends_wanted AS SELECT unnest(?::BIGINT[]) AS idx", [wanted])
    cols = con.execute("SELECT src, dst, directed FROM relations WHERE ridx IN (SELECT idx FROM ends_wanted) ORDER BY ridx").fetchnumpy()
    directed = np.asarray(cols["directed"], dtype=bool)
    return np.asarray(cols["src"], dtype=np.int64), np.asarray(cols["dst"], dtype=np.int64), ~directed


def chain_region(backend: Backend, entity: str, up: bool, max_depth: int) -> Extract:
    """Every entity an ownership chain above (`up`) or below `entity` can reach, with their relations."""
    seeds = _positions(backend, [entity])
    if hasattr(backend, "walk_rows"):
        return _extract_plain(backend, _walk_rows(backend, seeds, max_depth, "in" if up else "out", True, None))
    dist = walk(backend, seeds, max_depth, direction="in" if up else "out", ownership_only=True, hub_relations=None)
    return _extract(backend, dist, dist)


def _positions(backend: Backend, ids: Sequence[str]) -> list[int]:
    found = backend.lookup_ids(list(ids))
    missing = [i for i in ids if i not in found]
    if missing:
        raise UnknownEntity(f"no entity with id {missing[0]!r}")
    return [found[i] for i in ids]


# --- names ------------------------------------------------------------------------------------------


def best_candidates(backend: Backend, query: str, limit: int) -> list[int]:
    """The positions of a few entities among which the best `limit` for `query` are sure to be.

    The close spellings of each query word are looked for among the store's distinct words of
    a compatible length (`tracker.names.length_window`) and confirmed by the name index's own
    rule (`tracker.names.close_words`); the backend then scores every name bearing one in its
    engine and keeps the entities that may rank among the best `limit` (`tracker.words`).
    """
    found = _close(backend, query)
    if found is None or limit < 1:
        return []
    return list(backend.best_names(found[0], found[1], limit))


def _close(backend: Backend, query: str) -> tuple[list[str], dict[tuple[str, str], float]] | None:
    """The query's words and the store's words close to them (None: no word, or none close)."""
    from tracker.names import close_words, length_window, tokens

    words = list(tokens(query))
    if not words:
        return None
    vocabulary: set[str] = set()
    for q in dict.fromkeys(words):
        vocabulary.update(backend.words_like(q, *length_window(q)))
    close = close_words(words, sorted(vocabulary))
    return (words, close) if close else None


def search(backend: Backend, query: str, limit: int = 10) -> list[Any]:
    """Entities whose names resemble `query`: the name index's answer, on the few candidates that can be in it."""
    from tracker.names import NameIndex

    nodes = best_candidates(backend, query, limit)
    records = backend.entity_names(nodes)
    return list(NameIndex(records, keys=_stored_keys(backend, nodes, records)).search(query, limit=limit))


def _stored_keys(backend: Backend, nodes: Any, records: Sequence[tuple[Any, ...]]) -> dict[str, str]:
    """The stored skeletons of the candidates' names, read only if one is not plain ASCII.

    An ASCII name's skeleton is a few string operations (`tracker.names.skeleton`), the same
    function the compile ran, so reading it back from the store would cost more than it saves;
    another script would need the transliteration library (a quarter of a second to import).
    """
    if all(n.isascii() and all(a.isascii() for a in aliases) for _, n, aliases, *_ in records):
        return {}
    return dict(backend.name_keys(nodes))


def search_rows(backend: Backend, query: str, limit: int = 10) -> list[dict[str, Any]]:
    """`tracker.paths.search`'s rows for the store: the same rows, read without building a graph."""
    from tracker.names import NameIndex

    nodes = best_candidates(backend, query, limit)
    records = backend.entity_names(nodes, ("kind", "sphere"))
    index = NameIndex(((i, n, a) for i, n, a, *_ in records), keys=_stored_keys(backend, nodes, records))
    more = {r[0]: (r[3] or "", r[4] or "") for r in records}
    return [
        {"id": m.id, "name": m.name, "matched": m.matched, "score": m.score, "kind": more[m.id][0], "sphere": more[m.id][1]}
        for m in index.search(query, limit=limit)
    ]


def resolve(backend: Backend, query: str, notice: Callable[[str], None] | None = None) -> str:
    """The one entity id `query` names (an id, a name or alias in any script), as the name index decides.

    The index holds only the entities its decision reads (`tracker.words.resolve_sql`): the
    same choice, notice and error as over every entity.
    """
    q = query.strip()
    if backend.lookup_ids([q]):
        return q  # an id: no name index (rapidfuzz) needed
    from tracker.names import NameIndex

    found = _close(backend, query)
    nodes = backend.names_to_resolve(found[0], found[1]) if found is not None else []
    records = backend.entity_names(nodes)
    index = NameIndex(records, keys=_stored_keys(backend, nodes, records))
    if not len(index):
        raise UnknownEntity(f"no entity named {query!r}")
    return str(index.resolve(query, notice))


# --- one interface over the whole in-memory graph and over a store -----------------------------------

ENGINES = ("auto", "networkx", "duckdb", "spark")
# `auto` keeps small data in memory (the curated dataset loads in a fraction of a second, and
# its outputs stay byte-identical) and answers from the store above this many bytes of
# relations.csv (about 10,000 relations), where loading everything starts to cost seconds.
STORE_ABOVE_BYTES = 2_000_000


class Graphs:
    """The graphs a command reads: the whole canonical graph, or what a store query cuts out of it.

    Each method returns a graph on which the in-memory library function (`tracker.paths`,
    `tracker.chains`, `tracker.graph.select`, the view) gives the same answer as it gives on
    the whole graph: the whole graph itself (`InMemory`), or an exact extract (`OnStore`).
    """

    engine: str

    def resolve(self, query: str, notice: Callable[[str], None] | None = None) -> str:
        raise NotImplementedError

    def search_graph(self, query: str, limit: int = SEARCH_MOST) -> Any:
        """A graph holding every entity a search for `query` with at most `limit` results returns."""
        raise NotImplementedError

    def search_rows(self, query: str, limit: int = 10) -> list[dict[str, Any]]:
        """`tracker.paths.search`'s rows (`tracker.names.SEARCH_COLUMNS`) for `query`, best first."""
        from tracker.paths import search

        return search(self.search_graph(query, limit), query, limit=limit)

    def around(self, centers: Sequence[str], depth: int) -> tuple[Any, Any]:
        """(context, neighbourhood): a graph holding the neighbourhood and the relations that answer its relations, and the neighbourhood."""
        raise NotImplementedError

    def between(self, a: str, b: str, max_hops: int, k: int = 1, through_hubs: bool = False, directed: bool = False) -> Any:
        """A graph on which `tracker.paths.explained_paths` with the same arguments finds the same
        `k` paths of at most `max_hops` hops from `a` to `b` as on the whole graph."""
        raise NotImplementedError

    def shortest(self, a: str, b: str, max_hops: int) -> Any:
        """A graph holding every shortest path from `a` to `b` of at most `max_hops` hops (`view --path`)."""
        raise NotImplementedError

    def ownership(self, entity: str, up: bool, max_depth: int) -> Any:
        """A graph holding every ownership chain above (`up`) or below `entity`."""
        raise NotImplementedError

    def whole(self) -> Any:
        """The whole canonical graph (in memory: refuse on a store above the size that fits)."""
        raise NotImplementedError

    def scope(self, focus: Sequence[str], depth: int, ends: Sequence[str] = (), max_hops: int = 6) -> Any:
        """A graph holding the `focus` neighbourhood and the shortest paths between `ends`.

        The whole graph when neither is given (the view's and the export's other filters need
        every entity). On a store, the extracts are joined into one graph.
        """
        parts = []
        if focus:
            parts.append(self.around(focus, depth)[0])
        if len(ends) == 2:
            parts.append(self.shortest(ends[0], ends[1], max_hops))
        if not parts:
            return self.whole()
        if len(parts) == 1:
            return parts[0]
        import networkx as nx

        G = nx.compose_all(parts)
        sources = {k: v for P in parts for k, v in P.graph.get("sources", {}).items()}
        G.graph["sources"] = {k: sources[k] for k in sorted(sources)}
        if any("hubs" in P.graph for P in parts):
            G.graph["hubs"] = sorted({h for P in parts for h in P.graph.get("hubs", [])})
        return G

    def name_keys(self, G: Any) -> dict[str, str]:
        """The skeletons the data already holds for the names and aliases of `G`'s entities.

        In memory, none. A store holds each name's skeleton (`tracker.names.skeleton`, made at
        compile time); the view reads them instead of transliterating a name in another script
        again, which would import the transliteration library (a fifth of a second).
        """
        return {}

    def close(self) -> None:
        return None


class InMemory(Graphs):
    """The whole canonical graph, loaded from the CSV folders: small data, and the reference."""

    engine = "networkx"

    def __init__(self, G: Any) -> None:
        self.G = G

    def resolve(self, query: str, notice: Callable[[str], None] | None = None) -> str:
        from tracker.graph import resolve

        return resolve(self.G, query, notice=notice)

    def search_graph(self, query: str, limit: int = SEARCH_MOST) -> Any:
        return self.G

    def around(self, centers: Sequence[str], depth: int) -> tuple[Any, Any]:
        from tracker.graph import neighbourhood

        return self.G, neighbourhood(self.G, list(centers), depth)

    def between(self, a: str, b: str, max_hops: int, k: int = 1, through_hubs: bool = False, directed: bool = False) -> Any:
        return self.G

    def shortest(self, a: str, b: str, max_hops: int) -> Any:
        return self.G

    def ownership(self, entity: str, up: bool, max_depth: int) -> Any:
        return self.G

    def whole(self) -> Any:
        return self.G

    def scope(self, focus: Sequence[str], depth: int, ends: Sequence[str] = (), max_hops: int = 6) -> Any:
        return self.G


class OnStore(Graphs):
    """A compiled store queried through a backend: each answer reads only its extract."""

    def __init__(self, store: Any, backend: Backend) -> None:
        self.store = store
        self.backend = backend
        self.engine = str(getattr(backend, "name", "duckdb"))

    def resolve(self, query: str, notice: Callable[[str], None] | None = None) -> str:
        return resolve(self.backend, query, notice)

    def search_graph(self, query: str, limit: int = SEARCH_MOST) -> Any:
        # Only the best `limit` become a graph: an entity's score depends on the query and its
        # own names only, so the top n of them are the top n of all.
        from tracker.graph import build

        best = [m.id for m in search(self.backend, query, limit=min(limit, SEARCH_MOST))]
        found = self.backend.lookup_ids(best)
        positions = [found[i] for i in best]
        G = build(self.store.dataset(positions, []), compact=False)
        G.graph["name_keys"] = self.backend.name_keys(positions)  # see `tracker.graph.name_index`
        return G

    def search_rows(self, query: str, limit: int = 10) -> list[dict[str, Any]]:
        # No graph and no networkx: the rows from the candidates' records.
        return search_rows(self.backend, query, min(limit, SEARCH_MOST))

    def around(self, centers: Sequence[str], depth: int) -> tuple[Any, Any]:
        ex = neighbourhood(self.backend, centers, depth)
        return ex.graph, ex.core_graph()

    def between(self, a: str, b: str, max_hops: int, k: int = 1, through_hubs: bool = False, directed: bool = False) -> Any:
        # Walks from both ends whose depths add up to max_hops give the shortest distance d; the
        # region of L hops (every path of at most L hops lies in it) is then cut for L = d,
        # d + 1, ... only until it holds k paths. Paths are counted on the region's bare edge
        # list (`_region_paths`, no records, no sources); the explained graph is built once, of
        # the entities on the paths found, when it gives the same paths, else of the region.
        # No path within max_hops: the two ends alone, and nothing is built.
        import numpy as np

        from tracker.paths import explained_paths

        walks = path_walks(self.backend, a, b, max_hops, through_hubs)
        best = _distance(self.backend, walks, max_hops, through_hubs)
        if best is None:
            return self.around([a, b], 0)[1]
        pa_, pb_ = walks[0], walks[1]
        for length in range(best, max_hops + 1):
            keep = region_nodes(self.backend, length, through_hubs, walks)
            # The region as `Extract.graph` holds it: its relations, those answering them and their ends.
            rels = self.backend.induced(keep)
            # (_minus, _union, _distinct: numpy's set functions without their import of numpy.ma)
            context = _minus(np.asarray(self.backend.answers(rels), dtype=np.int64), rels)
            nodes = _union(keep, np.asarray(self.backend.endpoints(context), dtype=np.int64))
            found = _region_paths(self.store, nodes, _union(rels, context), pa_, pb_, k, max_hops, directed, through_hubs)
            if length == max_hops or sum(1 for p in found if len(p) - 1 <= length) >= k:
                break
        on_paths = _distinct(np.asarray([n for p in found for n in p] + [pa_, pb_], dtype=np.int64))
        G = _extract(self.backend, on_paths).graph
        ids_of = getattr(self.backend, "ids_of", self.store.ids_of)  # DuckDB's: rows, not Arrow (no pandas import)
        want = [list(ids_of(p)) for p in found]
        got = [p["nodes"] for p in explained_paths(G, a, b, k=k, max_hops=max_hops, directed=directed, through_hubs=through_hubs)]
        if got == want:
            return G
        # networkx broke a tie in length another way on the smaller graph: the region itself.
        return _extract(self.backend, keep).graph

    def shortest(self, a: str, b: str, max_hops: int) -> Any:
        # Every shortest path lies in the region of the shortest distance (`view --path` draws
        # them all, `tracker.graph.with_paths`); no path: the two ends alone.
        walks = path_walks(self.backend, a, b, max_hops)
        best = _distance(self.backend, walks, max_hops, False)
        if best is None:
            return self.around([a, b], 0)[1]
        return _extract(self.backend, region_nodes(self.backend, best, False, walks)).graph

    def ownership(self, entity: str, up: bool, max_depth: int) -> Any:
        return chain_region(self.backend, entity, up, max_depth).graph

    def whole(self) -> Any:
        from tracker.graph import build

        return build(self.store.whole())

    def scope(self, focus: Sequence[str], depth: int, ends: Sequence[str] = (), max_hops: int = 6) -> Any:
        # Without a focus the page or export is of the whole graph, as in memory, while that
        # fits a view; above it, only a path's region (with --path) or a refusal.
        from tracker.views import MAX_NODES

        if not focus and self.store.entity_count <= MAX_NODES:
            return self.whole()
        if not focus and len(ends) != 2:
            from tracker.exc import ViewTooLarge

            raise ViewTooLarge(
                f"{self.store.entity_count} entities is over the cap of {MAX_NODES} for a whole view or filter; "
                "narrow it with --focus ENTITY --depth N"
            )
        return super().scope(focus, depth, ends, max_hops)

    def name_keys(self, G: Any) -> dict[str, str]:
        # Only entities with a name in another script: an ASCII name's skeleton needs no
        # transliteration, and each entity read is a row group of the names table decoded.
        other = sorted(
            str(n) for n, d in G.nodes(data=True) if not all(str(t).isascii() for t in (d.get("name") or "", *(d.get("aliases") or ())))
        )
        if not other:
            return {}
        found = self.backend.lookup_ids(other)
        return dict(self.backend.name_keys(sorted(found.values())))

    def close(self) -> None:
        self.backend.close()


def relations_bytes(folders: Sequence[Any]) -> int:
    """The size of the folders' relations files: a stat, to choose an engine without reading."""
    from pathlib import Path

    total = 0
    for folder in folders:
        path = Path(folder) / "relations.csv"
        if path.is_file():
            total += path.stat().st_size
    return total
