"""The --engine option of the query commands and how a command gets its graphs (memory or store)."""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TypeVar

import click

F = TypeVar("F", bound=Callable[..., Any])

# tracker.query.ENGINES, spelled here so that building the option imports nothing heavy.
QUERY_ENGINES = ("auto", "networkx", "duckdb", "spark")
SPARK_ENV = "TRACKER_SPARK"


def engine_option(f: F) -> F:
    """--engine for the commands that answer from an extract: path, neighbours, chains, view, export, search."""
    return click.option(
        "--engine",
        "engine",
        type=click.Choice(QUERY_ENGINES),
        default="auto",
        show_default=True,
        help="Who answers: networkx on the whole graph in memory, or a query on the compiled store through "
        "duckdb (embedded) or spark (pip install 'tracker[spark]'; master from $TRACKER_SPARK: local[N] or "
        "sc://host:port). auto: networkx for small data, duckdb above about 10,000 relations.",
    )(f)


def open_graphs(data: Sequence[Path], engine: str = "auto") -> Any:
    """The `tracker.query.Graphs` a command reads, by engine and data size.

    networkx loads and validates the folders (the in-memory reference, and the fast way on
    small data); duckdb and spark open the folders' store, compiling it first when it is
    missing or stale (said on stderr). A missing Spark install is a usage error (exit 2) that
    names the install line.
    """
    from tracker.cli.common import load_graph, say
    from tracker.query import STORE_ABOVE_BYTES, InMemory, OnStore, relations_bytes

    folders = list(data) or None
    if engine == "auto":
        from tracker.dataset import default_data_dir

        engine = "duckdb" if relations_bytes(folders or [default_data_dir()]) > STORE_ABOVE_BYTES else "networkx"
    if engine == "networkx":
        return InMemory(load_graph(data))
    from tracker.backends import open_backend
    from tracker.exc import EngineUnavailable
    from tracker.store import open_store

    store = open_store(folders, say=say)
    try:
        backend = (
            open_backend(engine, store, master=os.environ.get(SPARK_ENV) or None) if engine == "spark" else open_backend(engine, store)
        )
    except EngineUnavailable as exc:
        raise click.UsageError(str(exc)) from None
    return OnStore(store, backend)


# `tracker report --engine`: who computes the metrics. networkx and igraph read the whole graph in
# memory; duckdb reads the store's relation table straight into the fast engine's arrays (no
# CSV parsing, no validation, no networkx graph); spark computes degree, PageRank and components
# on a cluster. auto: the store above about 10,000 relations, else memory.
REPORT_ENGINES = ("auto", "networkx", "igraph", "duckdb", "spark")


def report_graph(data: Sequence[Path], engine: str) -> tuple[Any, Any, str]:
    """(graph or node table, prepared metric views or None, metrics engine) for `tracker report`."""
    from tracker.cli.common import load_graph, say
    from tracker.query import STORE_ABOVE_BYTES, relations_bytes

    folders = list(data) or None
    if engine == "auto":
        from tracker.dataset import default_data_dir

        engine = "duckdb" if relations_bytes(folders or [default_data_dir()]) > STORE_ABOVE_BYTES else "auto-memory"
    if engine in ("networkx", "igraph", "auto-memory"):
        return load_graph(data), None, "auto" if engine == "auto-memory" else engine
    if engine == "spark":
        return open_graphs(data, "spark"), None, "spark"
    from tracker.metrics import Views, resolve_engine
    from tracker.store import NodeTable, edge_table, open_store

    store = open_store(folders, say=say)
    nodes = NodeTable(store)
    chosen = resolve_engine("auto", nodes.number_of_nodes())
    # The edge table with the node table's very ids (one list of millions, not two), so that
    # the tables read the entities' columns (`tracker.metrics._node_columns`).
    return nodes, Views(None, chosen, dataclasses.replace(edge_table(store), ids=nodes.ids)), "auto"
