"""The whole stored graph as the few read-only graph calls the build's reports make, without networkx.

`tracker build` on large data writes its reports (`tracker.report.write_build_reports`) from the
compiled store: the metrics read the relations as numpy arrays (`tracker.store.edge_table`), and
what they and the report page ask of "the graph" is small: its size and name, each entity's
name, kind, sphere, country and offshore flag, the sources of the few relations cited, and
for the jurisdiction table the relations read by their end (rankings, constitutional ties, an
entity's statements about its own owner). `StoreGraph` answers exactly those: the entity
columns as Python lists (tens of bytes an entity, against about a kilobyte in a networkx
graph), and the relations read by their end as a real networkx graph of those relations only.
Anything else a networkx graph offers is not here, by design: a new reader of the build's
graph must be added to it, with its store query.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from functools import cached_property
from typing import Any

import networkx as nx

__all__ = ["StoreGraph", "EDGE_KINDS_BY_END"]

# The relation kinds read by their end (`out_edges`, `in_edges`) by the build's reports:
# `tracker.jurisdictions` reads a jurisdiction's ranking and the ties to the controlling state.
# Self-loops (statements about an entity's own owner) are always there too.
EDGE_KINDS_BY_END = ("ranked", "constitutional_tie")
_NODE_COLUMNS = ("name", "kind", "sphere", "country", "offshore")  # name, kind, sphere always in `attrs`


def _shared(column: Any) -> list[Any]:
    """`column.to_pylist()` with one Python object per distinct value (the same values and order)."""
    import numpy as np

    encoded = column.combine_chunks().dictionary_encode()
    values = np.asarray(encoded.dictionary.to_pylist() + [None], dtype=object)
    at = encoded.indices.fill_null(len(encoded.dictionary)).to_numpy(zero_copy_only=False)
    out: list[Any] = values[at].tolist()
    return out


class _Sources(Mapping[str, dict[str, Any]]):
    """The sources table, read from the store one id at a time (millions at ICIJ scale; few are cited)."""

    def __init__(self, store: Any) -> None:
        self._store = store
        self._cache: dict[str, dict[str, Any] | None] = {}
        self._count: int | None = None

    def _get(self, sid: str) -> dict[str, Any] | None:
        if sid not in self._cache:
            from tracker.store import table_schema

            names = [f.name for f in table_schema("sources")]
            select = ", ".join(f'"{n}"' for n in names)
            row = self._store.sql.execute(f"SELECT {select} FROM sources WHERE id = ?", [sid]).fetchone()
            self._cache[sid] = None if row is None else dict(zip(names, row, strict=True))
        return self._cache[sid]

    def __getitem__(self, sid: str) -> dict[str, Any]:
        found = self._get(sid) if isinstance(sid, str) else None
        if found is None:
            raise KeyError(sid)
        return found

    def __contains__(self, sid: object) -> bool:
        return isinstance(sid, str) and self._get(sid) is not None

    def __len__(self) -> int:
        if self._count is None:
            recorded = self._store.manifest.get("sources")
            self._count = (
                int(recorded) if recorded is not None else int(self._store.sql.execute("SELECT count(*) FROM sources").fetchone()[0])
            )
        return self._count

    def __iter__(self) -> Iterator[str]:
        for (sid,) in self._store.sql.execute("SELECT id FROM sources ORDER BY id").fetchall():
            yield str(sid)


class _Nodes:
    """`G.nodes` of a networkx graph: iterable, indexable by id, callable with ``data=True``."""

    def __init__(self, graph: StoreGraph) -> None:
        self._g = graph

    def __call__(self, data: bool = False) -> Iterator[Any]:
        if not data:
            return iter(self._g.ids)
        return ((n, self._g.attrs(i)) for i, n in enumerate(self._g.ids))

    def __getitem__(self, node: str) -> dict[str, Any]:
        i = self._g.position(node)
        if i is None:
            raise KeyError(node)
        return self._g.attrs(i)

    def __iter__(self) -> Iterator[str]:
        return iter(self._g.ids)

    def __len__(self) -> int:
        return len(self._g.ids)

    def __contains__(self, node: object) -> bool:
        return self._g.position(node) is not None


class StoreGraph:
    """A compiled store as the read-only graph the build's reports read (see the module docstring).

    `G.nodes[n]` holds the entity's name, kind and sphere, and its country and offshore flag
    when it has one (as a compact graph leaves empty attributes out); `G.graph` its name,
    content hash, data date and sources (read on demand). `out_edges`, `in_edges`, `G[n]` and
    `nx.nodes_with_selfloops(G)` see the relations of `EDGE_KINDS_BY_END` and every self-loop,
    with all their attributes, and no other relation.
    """

    def __init__(self, store: Any) -> None:
        from tracker.graph import build

        self.store = store
        m = store.manifest
        self.ids: list[str] = store.ids()
        self.graph: dict[str, Any] = {
            "name": m.get("name", ""),
            "content_hash": m.get("content_hash", ""),
            "data_date": m.get("data_date", ""),
            "sources": _Sources(store),
            "compact": True,
        }
        rels = store.sql.execute(
            "SELECT ridx FROM relations WHERE src = dst OR list_contains(?, kind) ORDER BY ridx", [list(EDGE_KINDS_BY_END)]
        ).fetchnumpy()["ridx"]
        ends = store.sql.execute(
            "SELECT DISTINCT unnest([src, dst]) AS idx FROM relations WHERE src = dst OR list_contains(?, kind)", [list(EDGE_KINDS_BY_END)]
        ).fetchnumpy()["idx"]
        self._by_end: nx.MultiDiGraph = build(store.dataset(ends, rels), compact=True)
        raw: Any = self._by_end
        self._adj = raw._adj
        self.nodes = _Nodes(self)

    @cached_property
    def _cols(self) -> dict[str, list[Any]]:
        """The entity columns (`_NODE_COLUMNS`) as Python lists in `ids` order, read when first asked.

        About 500 MB at 2M entities, which the build's metrics (run first) never read: read at
        the start, they sat beside the metrics' graphs through the build's peak.
        """
        import pyarrow.parquet as pq

        table = pq.read_table(self.store.path("entities"), columns=list(_NODE_COLUMNS))
        # A column of few distinct values (kind, sphere, country, offshore) holds one object per
        # value, not one per entity (about 55 bytes an entity and column: 2 GB at 10M entities).
        return {c: _shared(table.column(c)) if c != "name" else table.column(c).to_pylist() for c in _NODE_COLUMNS}

    @cached_property
    def pos(self) -> dict[str, int]:
        """Each entity's position in `ids` as a dict (half a gigabyte at 10M entities): made only
        when `ids` is not in Python's order (`position`), which a store's always is."""
        return {e: i for i, e in enumerate(self.ids)}

    @cached_property
    def _ids_sorted(self) -> bool:
        from itertools import islice

        ids = self.ids
        return all(a < b for a, b in zip(ids, islice(ids, 1, None)))

    def position(self, node: object) -> int | None:
        """The entity's position in `ids` (None if it is not one): a binary search of the sorted ids.

        The build looks up a few hundred entities by id (jurisdictions, the report's names);
        a dict of every id for those took about a gigabyte at 10M entities.
        """
        if not isinstance(node, str):
            return None
        ids = self.ids
        if not self._ids_sorted:
            return self.pos.get(node)
        from bisect import bisect_left

        i = bisect_left(ids, node)
        return i if i < len(ids) and ids[i] == node else None

    def attrs(self, i: int) -> dict[str, Any]:
        # Spelt out for the five columns (`_NODE_COLUMNS`, in order): called for millions of
        # entities by the jurisdiction table; a loop over the columns took twice as long.
        cols = self._cols
        out = {"name": cols["name"][i], "kind": cols["kind"][i], "sphere": cols["sphere"][i]}
        country = cols["country"][i]
        if country is not None and country != "":
            out["country"] = country
        offshore = cols["offshore"][i]
        if offshore is not None and offshore != "":
            out["offshore"] = offshore
        return out

    def node_column(self, name: str) -> list[Any]:
        """One of the entity columns (name, kind, sphere, country, offshore) in `ids` order, as stored.

        `G.nodes[n][name]` for every entity at once, where the entity has the attribute (name,
        kind and sphere always; the others None or "" where `G.nodes[n]` has none). The
        metrics' tables read these instead of one dict per entity (`tracker.metrics._frame`).
        """
        return self._cols[name]

    def node_codes(self, name: str) -> tuple[Any, list[Any]]:
        """`node_column(name)` as (numpy array of value numbers, values): each distinct value once,
        None for an empty cell. Read again from the store's column (not kept: tens of megabytes).

        The jurisdiction table tests each distinct value once and selects entities with numpy,
        instead of a Python dict or set of every entity (`tracker.jurisdictions`).
        """
        import pyarrow.parquet as pq

        column = pq.read_table(self.store.path("entities"), columns=[name]).column(name).combine_chunks()
        encoded = column.dictionary_encode()
        values: list[Any] = encoded.dictionary.to_pylist() + [None]
        at = encoded.indices.fill_null(len(values) - 1).to_numpy(zero_copy_only=False)
        return at, values

    def number_of_nodes(self) -> int:
        return len(self.ids)

    def number_of_edges(self) -> int:
        return int(self.store.relation_count)

    def __len__(self) -> int:
        return len(self.ids)

    def __contains__(self, node: object) -> bool:
        return self.position(node) is not None

    def __iter__(self) -> Iterator[str]:
        return iter(self.ids)

    def __getitem__(self, node: str) -> Any:
        return self._by_end[node] if node in self._by_end else {}

    def out_edges(self, node: str, keys: bool = False, data: bool = False) -> Any:
        by_end: Any = self._by_end  # networkx's overloads want literal flags
        return by_end.out_edges(node, keys=keys, data=data) if node in by_end else []

    def in_edges(self, node: str, keys: bool = False, data: bool = False) -> Any:
        by_end: Any = self._by_end
        return by_end.in_edges(node, keys=keys, data=data) if node in by_end else []

    def counts(self) -> tuple[dict[str, int], dict[str, int], dict[str, int]]:
        """Entities by kind, entities by sphere, relations by kind (for the build's summary)."""
        sql = self.store.sql

        def tally(q: str) -> dict[str, int]:
            return {str(k): int(n) for k, n in sql.execute(q).fetchall()}

        return (
            tally("SELECT kind, count(*) FROM entities GROUP BY kind"),
            tally("SELECT sphere, count(*) FROM entities GROUP BY sphere"),
            tally("SELECT kind, count(*) FROM relations GROUP BY kind"),
        )

    def most_owned(self, top: int = 5) -> list[str]:
        """`tracker.chains.most_owned` of the whole graph, as one query: most ownership relations in, then owners, then id."""
        rows = self.store.sql.execute(
            "SELECT dst, count(*) AS n, count(DISTINCT src) AS owners FROM relations WHERE ownership "
            "GROUP BY dst ORDER BY n DESC, owners DESC, dst LIMIT ?",
            [int(top)],
        ).fetchall()
        return [self.ids[int(i)] for i, _, _ in rows]
