"""Spreadsheet tables: nodes.csv, edges.csv and sources.csv.

Every edge row carries its sources twice: as ids (to join with sources.csv) and as a readable
`citations` cell, next to its evidence status, outcome and the relations that answer it, so a
row copied out of the spreadsheet still says where the claim comes from.

Cells are made inert for spreadsheets (`safe_cell`): a text cell that would start a formula gets
a leading single quote. Numeric columns (share, amount, rank, score...) hold numbers the tool
parsed itself, so they are written as plain numbers ("-5", "70.5"), never quoted: a spreadsheet
reads them as numbers and no formula can hide in them.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any, TextIO

import networkx as nx

from tracker.dataset import columns
from tracker.export.common import (
    citation_text,
    cited_source_ids,
    declared_unknown_owner,
    edge_source_ids,
    format_number,
    ordered_edges,
    ordered_nodes,
    safe_cell,
    source_urls,
    write_csv_rows,
)
from tracker.output import atomic_path, safe_child

__all__ = [
    "NODE_COLUMNS",
    "EDGE_COLUMNS",
    "SOURCE_COLUMNS",
    "NUMERIC_COLUMNS",
    "cell",
    "node_table",
    "edge_table",
    "source_table",
    "nodes_csv",
    "edges_csv",
    "sources_csv",
    "write_csv",
]

BOM = "\ufeff"
LIST_SEP = ";"

# The dataset's fields (tracker.dataset.RESOURCES, their one definition) in their order, with the
# columns the export derives from the graph inserted beside the field they explain.
NODE_COLUMNS = columns("entities", after={"sources": ("citations",)}, end=("dataset", "declared_unknown_owner"))
EDGE_COLUMNS = columns(
    "relations",
    after={
        "kind": ("label",),
        "source": ("source_name",),
        "target": ("target_name", "directed"),
        "refers_to": ("referred_by",),
        "sources": ("source_urls", "citations", "ownership"),
    },
    end=("dataset",),
)
# date_precision came after the export's columns were fixed: it goes last, so that the columns
# spreadsheets and scripts already read keep their positions.
SOURCE_COLUMNS = (*(c for c in columns("sources") if c != "date_precision"), "dataset", "date_precision")
NUMERIC_COLUMNS = frozenset({"share", "share_min", "share_max", "amount", "rank", "score"})

# Attributes the tables show under another name or not at all.
_NODE_DERIVED = {"id", "citations", "declared_unknown_owner"}
_EDGE_DERIVED = {"id", "source", "target", "source_name", "target_name", "source_urls", "citations"}


def cell(value: Any) -> str:
    """One value as a CSV cell: lists joined with ";", numbers plain, text made inert.

    Examples
    --------
    >>> cell(["a", "b"]), cell(None), cell(False), cell(20.0), cell("=1+1"), cell(["=x", "y"])
    ('a;b', '', 'false', '20', "'=1+1", "'=x;y")
    """
    if value is None:
        return ""
    if value.__class__ is str:  # the common case first
        return safe_cell(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return format_number(value)
    if isinstance(value, (list, tuple, set, frozenset)):
        items = sorted(value) if isinstance(value, (set, frozenset)) else value
        return safe_cell(LIST_SEP.join(str(v) for v in items))
    return safe_cell(str(value))


def _extra_columns(rows: Iterable[dict[str, Any]], known: Sequence[str], skip: set[str]) -> list[str]:
    """Attributes outside the canonical contract (e.g. added by a metric), sorted, after the known ones."""
    extra: set[str] = set()
    known_set = set(known) | skip
    for row in rows:
        if not known_set.issuperset(row):
            extra.update(k for k in row if k not in known_set)
    return sorted(extra)


# A table is its header and an iterator of rows (lists of cells), so that it can be written to a
# file one row at a time: at ICIJ scale (millions of relations) the whole text would take gigabytes.
Table = tuple[list[str], Iterator[list[str]]]


def _write_table(stream: TextIO, table: Table, bom: bool) -> None:
    header, rows = table
    write_csv_rows(stream, header, rows, bom=bom)


def _render(table: Table, bom: bool) -> str:
    buffer = io.StringIO()
    _write_table(buffer, table, bom)
    return buffer.getvalue()


def _stream_to(path: Path, table: Table, bom: bool) -> Path:
    """Write a table row by row to the atomic temporary file of `path` (same bytes as `_render`)."""
    with atomic_path(path) as tmp, open(tmp, "w", encoding="utf-8", newline="") as stream:
        _write_table(stream, table, bom)
    return Path(path)


def node_table(G: nx.MultiDiGraph) -> Table:
    """Header and rows of nodes.csv: the entities of `G`, sorted by id, with a citations column."""
    extra = _extra_columns((d for _, d in G.nodes(data=True)), NODE_COLUMNS, _NODE_DERIVED)
    header = [*NODE_COLUMNS, *extra]

    def rows() -> Iterator[list[str]]:
        for node, data in ordered_nodes(G):
            derived = {
                "id": node,
                "citations": citation_text(G, [str(s) for s in data.get("sources") or []]),
                "declared_unknown_owner": declared_unknown_owner(G, node),
            }
            yield [cell(derived[c] if c in derived else data.get(c)) for c in header]

    return header, rows()


def edge_table(G: nx.MultiDiGraph) -> Table:
    """Header and rows of edges.csv: the relations of `G`, sorted by id; every row carries its citations."""
    extra = _extra_columns((d for *_, d in G.edges(data=True)), EDGE_COLUMNS, _EDGE_DERIVED)
    header = [*EDGE_COLUMNS, *extra]
    names = G.nodes

    def rows() -> Iterator[list[str]]:
        for u, v, key, data in ordered_edges(G):
            sources = edge_source_ids(data)
            derived = {
                "id": key,
                "source": u,
                "target": v,
                "source_name": names[u].get("name", u),
                "target_name": names[v].get("name", v),
                "source_urls": source_urls(G, sources),
                "citations": citation_text(G, sources),
            }
            yield [cell(derived[c] if c in derived else data.get(c)) for c in header]

    return header, rows()


def source_table(G: nx.MultiDiGraph, all_sources: bool = False) -> Table:
    """Header and rows of sources.csv: the sources cited by `G`'s nodes and edges, or all of them."""
    table: dict[str, dict[str, Any]] = G.graph.get("sources") or {}
    ids = sorted(table) if all_sources else [s for s in cited_source_ids(G) if s in table]
    extra = _extra_columns((table[s] for s in ids), SOURCE_COLUMNS, {"id"})
    header = [*SOURCE_COLUMNS, *extra]
    rows = ([cell(sid if c == "id" else table[sid].get(c)) for c in header] for sid in ids)
    return header, rows


def nodes_csv(G: nx.MultiDiGraph, bom: bool = False) -> str:
    """The entities of `G`, one row each, sorted by id, with a readable citations column."""
    return _render(node_table(G), bom)


def edges_csv(G: nx.MultiDiGraph, bom: bool = False) -> str:
    """The relations of `G`, one row each, sorted by id; every row carries its citations."""
    return _render(edge_table(G), bom)


def sources_csv(G: nx.MultiDiGraph, bom: bool = False, all_sources: bool = False) -> str:
    """The sources table: those cited by the exported nodes and edges, or all of `G.graph["sources"]`."""
    return _render(source_table(G, all_sources), bom)


def write_csv(G: nx.MultiDiGraph, folder: Path, bom: bool = False, all_sources: bool = False) -> list[Path]:
    """Write nodes.csv, edges.csv and sources.csv into `folder` (atomically); return their paths.

    `bom` starts each file with a UTF-8 byte-order mark, which Excel needs to read Cyrillic.
    """
    folder = Path(folder)
    return [
        _stream_to(safe_child(folder, "nodes.csv"), node_table(G), bom),
        _stream_to(safe_child(folder, "edges.csv"), edge_table(G), bom),
        _stream_to(safe_child(folder, "sources.csv"), source_table(G, all_sources), bom),
    ]
