"""The embedded engine: DuckDB SQL over the store's Parquet files, one statement per question.

Measured on the project's 2-core machine (shared/research/scale-out.md): one statement per hop
extracts a 3-hop neighbourhood from 2M nodes in 0.5-1.1 s, where one recursive CTE takes 3-8
times longer and 2-3 times the memory; so the walk stays in Python (`tracker.query`) and each
hop is a semi-join of the adjacency table with the frontier, a temporary table of positions.
numpy is imported by the questions that return arrays only: a search never needs it.
"""

from __future__ import annotations

from typing import Any

from tracker.store import Store
from tracker.words import NAMES_AS_WORDS, VOCABULARY, WORDS, candidates_sql, resolve_sql, vocabulary_sql

__all__ = ["DuckDBBackend"]

# Positions read by a filter on literals at most (more: a temporary table, see `_set`).
_LITERALS = 2000


def _ints(values: Any) -> Any:
    import numpy as np

    values = np.asarray(values, dtype=np.int64)
    if len(values) < 2 or bool((values[1:] > values[:-1]).all()):
        return values  # already sorted and distinct (walks and regions are): no hashing of millions
    return np.unique(values)


class DuckDBBackend:
    """A DuckDB connection with the store's tables as views (nothing is copied into DuckDB)."""

    name = "duckdb"

    def __init__(self, store: Store, threads: int | None = None) -> None:
        self.store = store
        # The store's own connection (its tables are views already): one DuckDB start per command.
        self.con = store.sql
        # A command reads the same few files a dozen times: their footers are parsed once.
        self.con.execute("SET parquet_metadata_cache = true")
        if threads:
            self.con.execute(f"SET threads TO {int(threads)}")
        # Ids and positions already read: an entity is looked up once however many times the
        # command names it (resolving an argument, then walking from it, then naming the extract).
        self._idx: dict[str, int] = {}
        self._id: dict[int, str] = {}
        # Relation rows read whole by `plain("induced")`, by position, with their column names:
        # the extract's records are then not read again (`extract_dataset`). At 10M each
        # statement on the relations file costs a fifth of a second whatever it returns.
        self._rel_rows: dict[int, tuple[Any, ...]] = {}
        self._rel_names: list[str] = []

    def _with(self, name: str, values: Any) -> None:

        # A temporary table from a list parameter: registering an Arrow table would make DuckDB
        # import pandas (a second of every command's start), and the lists are small (the hub
        # cap keeps frontiers to thousands).
        plain = sorted({int(v) for v in values}) if isinstance(values, list) else _ints(values).tolist()
        self.con.execute(f"CREATE OR REPLACE TEMP TABLE {name} AS SELECT unnest(?::BIGINT[]) AS idx", [plain])

    def _column(self, sql: str, params: list[Any] | None = None) -> Any:
        import numpy as np

        rows = self.con.execute(sql, params or []).fetchnumpy()
        if not rows:
            return np.zeros(0, dtype=np.int64)
        col = next(iter(rows.values()))
        return np.asarray(col, dtype=np.int64)

    def hop(self, frontier: Any, direction: str = "both", ownership_only: bool = False) -> Any:
        import numpy as np

        if not len(frontier):
            return np.zeros(0, dtype=np.int64)
        self._with("frontier", frontier)
        if direction == "both" and not ownership_only:
            return self._column("SELECT DISTINCT nbr FROM adjacency WHERE node IN (SELECT idx FROM frontier)")
        cond = " AND ownership" if ownership_only else ""
        if direction == "out":
            return self._column(f"SELECT DISTINCT dst FROM relations WHERE src IN (SELECT idx FROM frontier){cond}")
        if direction == "in":
            return self._column(f"SELECT DISTINCT src FROM relations WHERE dst IN (SELECT idx FROM frontier){cond}")
        return self._column(
            f"SELECT dst FROM relations WHERE src IN (SELECT idx FROM frontier){cond} "
            f"UNION SELECT src FROM relations WHERE dst IN (SELECT idx FROM frontier){cond}"
        )

    def walk(
        self,
        seeds: list[int],
        depth: int,
        direction: str,
        ownership_only: bool,
        hub_relations: int | None,
        not_traversed: list[str],
    ) -> tuple[Any, Any]:
        """`tracker.query.walk_arrays` inside DuckDB: the visited set and the frontier are temporary tables.

        Moving a frontier of a million positions between Python and DuckDB costs seconds each
        way (a list parameter is converted value by value; an Arrow table would import
        pandas); kept here, each level is three statements and only the result is fetched.
        """
        import numpy as np

        self._walk(seeds, depth, direction, ownership_only, hub_relations, not_traversed)
        rows = self.con.execute("SELECT idx, d FROM walk_seen ORDER BY idx").fetchnumpy()
        return np.asarray(rows["idx"], dtype=np.int64), np.asarray(rows["d"], dtype=np.int64)

    def walk_rows(
        self,
        seeds: list[int],
        depth: int,
        direction: str,
        ownership_only: bool,
        hub_relations: int | None,
        not_traversed: list[str],
    ) -> list[tuple[int, int]]:
        """`walk` as ``(position, distance)`` rows in position order, fetched without numpy.

        A neighbourhood or an ownership chain is a few hundred entities at most (the hub cap),
        and the commands that ask for one need no array: not importing numpy saves a sixth of a
        second of each (`tracker.query.neighbourhood`).
        """
        self._walk(seeds, depth, direction, ownership_only, hub_relations, not_traversed)
        return [(int(i), int(d)) for i, d in self.con.execute("SELECT idx, d FROM walk_seen ORDER BY idx").fetchall()]

    def _walk(
        self,
        seeds: list[int],
        depth: int,
        direction: str,
        ownership_only: bool,
        hub_relations: int | None,
        not_traversed: list[str],
    ) -> None:
        """The walk's levels, left in the temporary table ``walk_seen(idx, d)``."""
        con = self.con
        con.execute("CREATE OR REPLACE TEMP TABLE walk_seen AS SELECT unnest(?::BIGINT[]) AS idx, 0::BIGINT AS d", [seeds])
        con.execute("CREATE OR REPLACE TEMP TABLE walk_frontier AS SELECT idx FROM walk_seen")
        by_relation = not (direction == "both" and not ownership_only)
        cond = " AND ownership" if ownership_only else ""

        def over(rel: str) -> str:
            out = f"SELECT dst AS n FROM {rel} WHERE src IN (SELECT idx FROM walk_frontier){cond}"
            into = f"SELECT src AS n FROM {rel} WHERE dst IN (SELECT idx FROM walk_frontier){cond}"
            return {"out": out, "in": into}.get(direction, f"{out} UNION ALL {into}")

        reach = over("relations") if by_relation else "SELECT nbr AS n FROM adjacency WHERE node IN (SELECT idx FROM walk_frontier)"
        for level in range(1, depth + 1):
            if level > 1 and hub_relations is not None:
                # Only entities a walk may pass through go on (`Store.walkable`'s rule).
                con.execute(
                    "CREATE OR REPLACE TEMP TABLE walk_frontier AS SELECT e.idx FROM entities e "
                    "WHERE e.idx IN (SELECT idx FROM walk_frontier) AND e.degree <= ? AND NOT list_contains(?::VARCHAR[], e.kind)",
                    [int(hub_relations), not_traversed],
                )
            step = reach
            if by_relation:
                # A relation walk (ownership chains) reads, per level, the relations touching the
                # frontier from the adjacency table (sorted by entity: few row groups), then only
                # those rows of the relations table, named by literals so that the Parquet reader
                # skips the row groups they are not in: not a scan of every relation per level.
                touching = con.execute(
                    "SELECT DISTINCT ridx FROM adjacency WHERE node IN (SELECT idx FROM walk_frontier) LIMIT ?", [_LITERALS + 1]
                ).fetchall()
                if len(touching) <= _LITERALS:
                    rows = ", ".join(str(int(r)) for (r,) in touching) or "NULL"
                    step = over(f"(SELECT src, dst, ownership FROM relations WHERE ridx IN ({rows}))")
            con.execute(
                f"CREATE OR REPLACE TEMP TABLE walk_frontier AS SELECT DISTINCT n AS idx FROM ({step}) "
                "WHERE n NOT IN (SELECT idx FROM walk_seen)"
            )
            count = con.execute("SELECT count(*) FROM walk_frontier").fetchone()
            if not count or not count[0]:
                break
            con.execute("INSERT INTO walk_seen SELECT idx, ? FROM walk_frontier", [level])

    def plain(self, question: str, values: list[int]) -> list[int]:
        """`induced`, `answers` or `endpoints` of a list of positions, as a sorted list: no numpy
        (see `walk_rows`)."""
        if not values:
            return []
        if question in ("induced", "endpoints"):
            # The records themselves, in the one statement that finds them (`_rel_rows`).
            self._with("qset", values)
            where = (
                "src IN (SELECT idx FROM qset) AND dst IN (SELECT idx FROM qset)"
                if question == "induced"
                else "ridx IN (SELECT idx FROM qset)"
            )
            cursor = self.con.execute(f"SELECT * FROM relations WHERE {where} ORDER BY ridx")
            names = [d[0] for d in cursor.description]
            at, src, dst = (names.index(c) for c in ("ridx", "src", "dst"))
            rows = cursor.fetchall()
            self._rel_names = names
            self._rel_rows.update((int(r[at]), r) for r in rows)
            if question == "endpoints":
                return sorted({int(r[src]) for r in rows} | {int(r[dst]) for r in rows})
            return sorted({int(r[at]) for r in rows})
        sql = {
            "answers": "SELECT ridx FROM refs WHERE ref IN (SELECT idx FROM qset) UNION SELECT ref FROM refs WHERE ridx IN (SELECT idx FROM qset)",
        }[question]
        self._with("qset", values)
        return sorted({int(r[0]) for r in self.con.execute(sql).fetchall()})

    def induced(self, nodes: Any) -> Any:
        import numpy as np

        if not len(nodes):
            return np.zeros(0, dtype=np.int64)
        self._with("nodeset", nodes)
        return self._column(
            "SELECT ridx FROM relations WHERE src IN (SELECT idx FROM nodeset) AND dst IN (SELECT idx FROM nodeset) ORDER BY ridx"
        )

    def answers(self, relations: Any) -> Any:
        import numpy as np

        if not len(relations):
            return np.zeros(0, dtype=np.int64)
        self._with("relset", relations)
        return self._column(
            "SELECT ridx FROM refs WHERE ref IN (SELECT idx FROM relset) UNION SELECT ref FROM refs WHERE ridx IN (SELECT idx FROM relset)"
        )

    def endpoints(self, relations: Any) -> Any:
        import numpy as np

        if not len(relations):
            return np.zeros(0, dtype=np.int64)
        self._with("relset", relations)
        return self._column(
            "SELECT src FROM relations WHERE ridx IN (SELECT idx FROM relset) UNION SELECT dst FROM relations WHERE ridx IN (SELECT idx FROM relset)"
        )

    def lookup_ids(self, ids: list[str]) -> dict[str, int]:
        missing = sorted({i for i in ids if i not in self._idx})
        if missing:
            rows = self.con.execute("SELECT id, idx FROM entities WHERE id IN (SELECT unnest(?))", [missing]).fetchall()
            self._remember((int(x), str(i)) for i, x in rows)
        return {i: self._idx[i] for i in ids if i in self._idx}

    def _remember(self, pairs: Any) -> None:
        for idx, ident in pairs:
            self._id[idx] = ident
            self._idx[ident] = idx

    def ids_of(self, positions: Any) -> list[str]:
        """The ids of the entities at these positions, in the order given (`Store.ids_of`, remembered here)."""
        wanted = [int(i) for i in positions]
        missing = sorted({i for i in wanted if i not in self._id})
        if missing:
            self._with("idset", missing)
            rows = self.con.execute("SELECT idx, id FROM entities WHERE idx IN (SELECT idx FROM idset)").fetchall()
            self._remember((int(x), str(i)) for x, i in rows)
        return [self._id[i] for i in wanted]

    def extract_dataset(self, entities: Any, relations: Any, hub_relations: int, not_traversed: Any) -> tuple[Any, list[str]]:
        """`Store.dataset(entities, relations)` and the ids of those entities a walk may not pass through.

        The same records, read in one statement per table and fetched as Python rows: Arrow
        would import pyarrow (a tenth of a second of every command), and an extract is small.
        Each entity row also gives its id (remembered for `ids_of`) and its degree and kind,
        so neither the id column nor the whole table's walkability is read again (at 2M
        entities each of those is a scan of its own).
        """
        from tracker.dataset import Entity, Relation, Source

        places = set(not_traversed)
        ents: list[Any] = []
        hubs: list[str] = []
        if len(entities):
            self._with("wanted", entities)
            cursor = self.con.execute("SELECT * FROM entities WHERE idx IN (SELECT idx FROM wanted) ORDER BY idx")
            names = [d[0] for d in cursor.description]
            rows = cursor.fetchall()
            ents = _records(names, rows, Entity)
            at = {n: names.index(n) for n in ("id", "idx", "degree", "kind")}
            self._remember((r[at["idx"]], r[at["id"]]) for r in rows)
            hubs = [r[at["id"]] for r in rows if r[at["degree"]] > hub_relations or r[at["kind"]] in places]
        rels: list[Any] = []
        if len(relations):
            wanted_rels = sorted({int(r) for r in relations})
            missing = [r for r in wanted_rels if r not in self._rel_rows]
            if missing:
                self._with("wanted", missing)
                cursor = self.con.execute("SELECT * FROM relations WHERE ridx IN (SELECT idx FROM wanted) ORDER BY ridx")
                names = [d[0] for d in cursor.description]
                rat = names.index("ridx")
                self._rel_names = names
                self._rel_rows.update((int(r[rat]), r) for r in cursor.fetchall())
            rels = _records(self._rel_names, [self._rel_rows[r] for r in wanted_rels if r in self._rel_rows], Relation)
        wanted = sorted({s for r in rels for s in r.sources} | {s for e in ents for s in e.sources})
        srcs: list[Any] = []
        if wanted:
            cursor = self.con.execute("SELECT * FROM sources WHERE id IN (SELECT unnest(?::VARCHAR[])) ORDER BY id", [wanted])
            srcs = _records([d[0] for d in cursor.description], cursor.fetchall(), Source)
        return self.store._as_dataset(ents, rels, srcs), hubs

    def _has_words(self) -> bool:
        return bool(self.store.path(WORDS).is_file() and self.store.path(VOCABULARY).is_file())

    def words_like(self, word: str, shortest: int, longest: int) -> list[str]:
        table = VOCABULARY if self._has_words() else "names"
        rows = self.con.execute(vocabulary_sql(table), [int(shortest), int(longest), word, len(word)]).fetchall()
        return [str(r[0]) for r in rows]

    def close_table(self, query: list[str], close: dict[tuple[str, str], float]) -> tuple[str, str, list[str]]:
        """The close words as the temporary table ``search_close`` (`tracker.words.bounds_sql`'s
        `close`); returns the word rows' source, that table and its words."""
        distinct = list(dict.fromkeys(query))
        words = sorted({w for _, w in close})
        cols = ", ".join(f"unnest(?::DOUBLE[]) AS s{j}" for j in range(len(distinct)))
        self.con.execute(
            f"CREATE OR REPLACE TEMP TABLE search_close AS SELECT unnest(?::VARCHAR[]) AS w, {cols}",
            [words, *([close.get((q, w), 0.0) for w in words] for q in distinct)],
        )
        return WORDS if self._has_words() else NAMES_AS_WORDS, "search_close", words

    def best_names(self, query: list[str], close: dict[tuple[str, str], float], limit: int) -> list[int]:
        source, table, words = self.close_table(query, close)
        return [int(r[0]) for r in self.con.execute(candidates_sql(source, table, query, words, limit)).fetchall()]

    def names_to_resolve(self, query: list[str], close: dict[tuple[str, str], float]) -> list[int]:
        source, table, words = self.close_table(query, close)
        return [int(r[0]) for r in self.con.execute(resolve_sql(source, table, query, words)).fetchall()]

    def _set(self, name: str, nodes: Any) -> str:
        """A filter on ``idx`` for these positions: literals for a few (the Parquet reader skips
        the row groups they are not in), else a temporary table. Plain Python: a search's few
        candidates need no numpy (a fifth of a second to import)."""
        values = sorted({int(v) for v in nodes})
        if len(values) <= _LITERALS:
            return f"idx IN ({', '.join(map(str, values))})"
        self.con.execute(f"CREATE OR REPLACE TEMP TABLE {name} AS SELECT unnest(?::BIGINT[]) AS idx", [values])
        return f"idx IN (SELECT idx FROM {name})"

    def entity_names(self, nodes: Any, extra: tuple[str, ...] = ()) -> list[tuple[Any, ...]]:
        if not len(nodes):
            return []
        more = "".join(f", {c}" for c in extra)
        rows = self.con.execute(f"SELECT id, name, aliases{more} FROM entities WHERE {self._set('nameset', nodes)} ORDER BY idx").fetchall()
        return [(str(r[0]), str(r[1]), list(r[2] or []), *r[3:]) for r in rows]

    def name_keys(self, nodes: Any) -> dict[str, str]:
        if not len(nodes):
            return {}
        return dict(self.con.execute(f"SELECT DISTINCT name, key FROM names WHERE {self._set('nameset', nodes)}").fetchall())

    def edge_arrays(self) -> dict[str, Any]:
        import numpy as np
        import pyarrow.parquet as pq

        t = pq.read_table(self.store.path("relations"), columns=["src", "dst", "directed", "kind"])
        return {
            "src": t.column("src").to_numpy(),
            "dst": t.column("dst").to_numpy(),
            "directed": t.column("directed").to_numpy(zero_copy_only=False),
            "kind": np.asarray(t.column("kind").to_pylist(), dtype=object),
        }

    def close(self) -> None:
        self.store.close()


def _records(names: list[str], rows: list[tuple[Any, ...]], cls: type) -> list[Any]:
    """Records of a record type from fetched rows, as `tracker.store._records` makes them from
    Arrow (list columns back to tuples, an empty list for a null one), without importing pyarrow."""
    import typing
    from dataclasses import fields

    hints = typing.get_type_hints(cls)
    wanted = [(f.name, names.index(f.name), str(hints[f.name]).startswith("tuple")) for f in fields(cls)]
    return [cls(**{n: (tuple(r[i] or ()) if listed else r[i]) for n, i, listed in wanted}) for r in rows]
