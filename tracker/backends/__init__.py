"""Query engines over a compiled store: DuckDB embedded (the default) and Spark (a cluster).

A backend answers a handful of set questions over the store's Parquet tables, each in one
statement (DuckDB) or one job (Spark): the neighbours of a frontier, the relations among a set
of entities, the relations that answer others, names that share a word with a query (and the
few entities that can be a search's best, scored in the engine), and the whole relation table
as arrays. Walks, paths and chains are written once, over these
questions, in `tracker.query`, with the frontier and visited sets in Python: the hub cap keeps
them small, and each hop costs one scan of the adjacency table whatever the engine.

`open_backend` picks one by name; Spark is imported only when asked for, so a plain command
never starts a JVM (15 s before the first answer).
"""

from __future__ import annotations

from typing import Any, Protocol

from tracker.store import Store

__all__ = ["Backend", "BACKENDS", "open_backend"]

BACKENDS = ("duckdb", "spark")


class Backend(Protocol):
    """The questions `tracker.query` asks of an engine; every array is of int64 positions."""

    store: Store

    def hop(self, frontier: Any, direction: str = "both", ownership_only: bool = False) -> Any:
        """Distinct neighbours of the `frontier` entities: ``both`` ways, ``out`` (targets) or ``in`` (sources)."""

    def induced(self, nodes: Any) -> Any:
        """The relations (``ridx``) whose two entities are both in `nodes`."""

    def answers(self, relations: Any) -> Any:
        """Relations that answer one of `relations`, or that one of them answers (one step)."""

    def endpoints(self, relations: Any) -> Any:
        """The entities at either end of `relations`."""

    def lookup_ids(self, ids: list[str]) -> dict[str, int]:
        """Positions of these entity ids (missing ids left out)."""

    def words_like(self, word: str, shortest: int, longest: int) -> list[str]:
        """The store's distinct name words of `shortest` to `longest` letters that may be close to
        `word` (edit distance; `tracker.words.vocabulary_sql`): a superset, confirmed in Python."""

    def best_names(self, query: list[str], close: dict[tuple[str, str], float], limit: int) -> list[int]:
        """The entities that may rank among the best `limit` for the query's words, given the close
        words and their similarities (`tracker.words.candidates_sql`), in position order."""

    def names_to_resolve(self, query: list[str], close: dict[tuple[str, str], float]) -> list[int]:
        """The entities `tracker.names.NameIndex.lookup` may read for the query's words, given the
        close words (`tracker.words.resolve_sql`), in position order."""

    def entity_names(self, nodes: Any, extra: tuple[str, ...] = ()) -> list[tuple[Any, ...]]:
        """``(id, name, aliases, *extra)`` of these entities in position order, for a name index
        over them; `extra` names more entity columns (``kind``, ``sphere``)."""

    def name_keys(self, nodes: Any) -> dict[str, str]:
        """Each name and alias of these entities with its stored skeleton (`tracker.names.skeleton`)."""

    def edge_arrays(self) -> dict[str, Any]:
        """The whole relation table as arrays: ``src``, ``dst``, ``directed``, ``kind``."""

    def close(self) -> None:
        """Release the engine (a Spark session is stopped only if this backend started it)."""


def open_backend(name: str, store: Store, **options: Any) -> Backend:
    """A backend by name over `store`: ``duckdb`` or ``spark`` (options: ``master``)."""
    if name == "duckdb":
        from tracker.backends.duckdb import DuckDBBackend

        return DuckDBBackend(store)
    if name == "spark":
        from tracker.backends.spark import SparkBackend

        return SparkBackend(store, **options)
    raise ValueError(f"unknown backend {name!r}; choose from {', '.join(BACKENDS)}")
