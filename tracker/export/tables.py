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

import csv
import io
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import networkx as nx

from tracker.export.common import (
    citation_text,
    cited_source_ids,
    edge_source_ids,
    format_number,
    ordered_edges,
    ordered_nodes,
    safe_cell,
    source_urls,
)
from tracker.output import safe_child, write_text

__all__ = [
    "NODE_COLUMNS",
    "EDGE_COLUMNS",
    "SOURCE_COLUMNS",
    "NUMERIC_COLUMNS",
    "cell",
    "nodes_csv",
    "edges_csv",
    "sources_csv",
    "write_csv",
]

BOM = "\ufeff"
LIST_SEP = ";"

NODE_COLUMNS = (
    "id", "kind", "name", "aliases", "sphere", "country", "topics", "offshore", "placeholder", "birth_date",
    "identifiers", "sources", "citations", "record_id", "notes", "dataset",
)  # fmt: skip
EDGE_COLUMNS = (
    "id", "kind", "label", "source", "source_name", "target", "target_name", "directed", "role",
    "share", "share_min", "share_max", "direct", "amount", "currency", "rank", "score", "start", "end",
    "evidence", "outcome", "refers_to", "referred_by", "sources", "source_urls", "citations", "ownership",
    "record_id", "note", "dataset",
)  # fmt: skip
SOURCE_COLUMNS = (
    "id", "url", "title", "publisher", "date", "evidence", "archived_url", "mirror", "canonical_url",
    "language", "licence", "retrieved", "notes", "dataset",
)  # fmt: skip
NUMERIC_COLUMNS = frozenset({"share", "share_min", "share_max", "amount", "rank", "score"})

# Attributes the tables show under another name or not at all.
_NODE_DERIVED = {"id", "citations"}
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
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return format_number(value)
    if isinstance(value, (list, tuple, set, frozenset)):
        items = sorted(value) if isinstance(value, (set, frozenset)) else value
        return safe_cell(LIST_SEP.join(str(v) for v in items))
    return safe_cell(str(value))


def _extra_columns(rows: Sequence[dict[str, Any]], known: Sequence[str], skip: set[str]) -> list[str]:
    """Attributes outside the canonical contract (e.g. added by a metric), sorted, after the known ones."""
    extra: set[str] = set()
    for row in rows:
        extra.update(k for k in row if k not in known and k not in skip)
    return sorted(extra)


def _render(header: Sequence[str], rows: Sequence[Sequence[str]], bom: bool) -> str:
    buffer = io.StringIO()
    if bom:
        buffer.write(BOM)
    # "\r\n" (RFC 4180, what Excel writes) also makes the writer quote any cell holding a bare "\r".
    writer = csv.writer(buffer, lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL)
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue()


def nodes_csv(G: nx.MultiDiGraph, bom: bool = False) -> str:
    """The entities of `G`, one row each, sorted by id, with a readable citations column."""
    nodes = ordered_nodes(G)
    extra = _extra_columns([d for _, d in nodes], NODE_COLUMNS, _NODE_DERIVED)
    header = [*NODE_COLUMNS, *extra]
    rows = []
    for node, data in nodes:
        values = dict(data)
        values["id"] = node
        values["citations"] = citation_text(G, [str(s) for s in data.get("sources") or []])
        rows.append([cell(values.get(c)) for c in header])
    return _render(header, rows, bom)


def edges_csv(G: nx.MultiDiGraph, bom: bool = False) -> str:
    """The relations of `G`, one row each, sorted by id; every row carries its citations."""
    edges = ordered_edges(G)
    extra = _extra_columns([d for *_, d in edges], EDGE_COLUMNS, _EDGE_DERIVED)
    header = [*EDGE_COLUMNS, *extra]
    rows = []
    for u, v, key, data in edges:
        values = dict(data)
        sources = edge_source_ids(data)
        values.update(
            id=key,
            source=u,
            target=v,
            source_name=G.nodes[u].get("name", u),
            target_name=G.nodes[v].get("name", v),
            source_urls=source_urls(G, sources),
            citations=citation_text(G, sources),
        )
        rows.append([cell(values.get(c)) for c in header])
    return _render(header, rows, bom)


def sources_csv(G: nx.MultiDiGraph, bom: bool = False, all_sources: bool = False) -> str:
    """The sources table: those cited by the exported nodes and edges, or all of `G.graph["sources"]`."""
    table: dict[str, dict[str, Any]] = G.graph.get("sources") or {}
    ids = sorted(table) if all_sources else [s for s in cited_source_ids(G) if s in table]
    records = [table[s] for s in ids]
    extra = _extra_columns(records, SOURCE_COLUMNS, {"id"})
    header = [*SOURCE_COLUMNS, *extra]
    rows = [[cell({**record, "id": sid}.get(c)) for c in header] for sid, record in zip(ids, records)]
    return _render(header, rows, bom)


def write_csv(G: nx.MultiDiGraph, folder: Path, bom: bool = False, all_sources: bool = False) -> list[Path]:
    """Write nodes.csv, edges.csv and sources.csv into `folder` (atomically); return their paths.

    `bom` starts each file with a UTF-8 byte-order mark, which Excel needs to read Cyrillic.
    """
    folder = Path(folder)
    return [
        write_text(safe_child(folder, "nodes.csv"), nodes_csv(G, bom)),
        write_text(safe_child(folder, "edges.csv"), edges_csv(G, bom)),
        write_text(safe_child(folder, "sources.csv"), sources_csv(G, bom, all_sources)),
    ]
