"""Exports of the canonical graph for the tools people already use.

Spreadsheets (CSV), Gephi (GraphML, GEXF), web tools (node-link JSON), Aleph and OpenSanctions
tooling (FollowTheMoney JSON lines) and Neo4j (import CSVs and a LOAD CSV script). Every format
carries the sources of each relation, is written atomically, and is byte-identical for the same
input: rows are sorted by id and nothing depends on the clock. The graph given is never changed.

Files stream: the CSV tables (both sets), GraphML and node-link JSON are written one row or
element at a time to the atomic temporary file, never held whole in memory and without a copy
of the graph, so they work at ICIJ scale (millions of relations). GEXF and FollowTheMoney are
still built in memory, and so is any format written to standard output.

Modules: `tables` (CSV), `graphs` (GraphML, GEXF, JSON), `ftm` (FollowTheMoney), `neo4j`,
`common` (ordering, `safe_cell`, numbers, citations).
"""

from __future__ import annotations

from pathlib import Path

import networkx as nx

from tracker.exc import OutputError
from tracker.export.common import citation_text, format_number, safe_cell
from tracker.export.graphs import gexf_bytes, graphml_bytes, node_link_json, write_graphml, write_node_link_json
from tracker.export.neo4j import write_neo4j
from tracker.export.tables import write_csv
from tracker.output import atomic_path, safe_child, write_bytes

__all__ = [
    "FORMATS",
    "FOLDER_FORMATS",
    "safe_cell",
    "format_number",
    "citation_text",
    "export_bytes",
    "export_graph",
    "write_build_exports",
    "build_export_skips",
    "graph_file_skips",
    "write_graph_files",
    "BUILD_GRAPH_FILES_MAX_RELATIONS",
    "write_csv",
    "write_neo4j",
    "graphml_bytes",
    "gexf_bytes",
    "node_link_json",
    "ftm_lines",
]

# Format name -> what it is; csv and neo4j write a folder of files, the others one file.
FORMATS: dict[str, str] = {
    "csv": "nodes.csv, edges.csv and sources.csv for spreadsheets, citations on every edge",
    "graphml": "GraphML for Gephi, yEd and networkx",
    "gexf": "GEXF 1.2 for Gephi, with relation dates on the timeline",
    "json": "node-link JSON for web tools (networkx node_link_data), with the sources table",
    "ftm": "FollowTheMoney JSON lines for Aleph and OpenSanctions tooling",
    "neo4j": "nodes.csv, relationships.csv and import.cypher for Neo4j",
}
FOLDER_FORMATS = frozenset({"csv", "neo4j"})


def ftm_lines(G: nx.MultiDiGraph) -> str:
    """FollowTheMoney JSON lines (see `tracker.export.ftm`).

    Imported on first use: followthemoney loads its whole model (half a second), which
    `tracker build` and the other formats do not need.
    """
    from tracker.export.ftm import ftm_lines as lines

    return lines(G)


def export_bytes(G: nx.MultiDiGraph, fmt: str, all_sources: bool = False) -> bytes:
    """One of the single-file formats (graphml, gexf, json, ftm) as UTF-8 bytes."""
    if fmt == "graphml":
        return graphml_bytes(G)
    if fmt == "gexf":
        return gexf_bytes(G)
    if fmt == "json":
        return node_link_json(G, all_sources).encode("utf-8")
    if fmt == "ftm":
        return ftm_lines(G).encode("utf-8")
    raise OutputError(f"{fmt!r} is not a single-file export format ({', '.join(sorted(set(FORMATS) - FOLDER_FORMATS))})")


def export_graph(G: nx.MultiDiGraph, fmt: str, out: Path, bom: bool = False, all_sources: bool = False) -> list[Path]:
    """Write `G` in format `fmt` to `out` (a folder for csv and neo4j, else a file); return the paths.

    `bom` (csv only) starts each table with a UTF-8 byte-order mark for Excel. `all_sources`
    keeps the whole sources table in csv and json instead of only the sources cited.
    """
    if fmt not in FORMATS:
        raise OutputError(f"unknown export format {fmt!r}: use one of {', '.join(FORMATS)}")
    out = Path(out)
    if fmt in FOLDER_FORMATS:
        if out.exists() and not out.is_dir():
            raise OutputError(f"{out}: is a file, expected a folder for --format {fmt}")
        if fmt == "csv":
            return write_csv(G, out, bom=bom, all_sources=all_sources)
        return write_neo4j(G, out)
    if fmt == "json":
        return [_stream_json(G, out, all_sources)]
    if fmt == "graphml":
        return [_stream_graphml(G, out)]
    return [write_bytes(out, export_bytes(G, fmt, all_sources))]


def _stream_graphml(G: nx.MultiDiGraph, path: Path) -> Path:
    """GraphML written one element at a time to the atomic temporary file of `path`."""
    with atomic_path(path) as tmp, open(tmp, "wb") as stream:
        write_graphml(G, stream)
    return Path(path)


def _stream_json(G: nx.MultiDiGraph, path: Path, all_sources: bool) -> Path:
    """Node-link JSON written one record at a time to the atomic temporary file of `path`."""
    with atomic_path(path) as tmp, open(tmp, "w", encoding="utf-8", newline="") as stream:
        write_node_link_json(G, stream, all_sources)
    return Path(path)


# Above this many relations `tracker build` leaves out graph.graphml and graph.json: Gephi and
# web tools do not open a graph of that size usefully, and the two files cost time (at 275,000
# relations about 18 s and 9 s, minutes at millions) and gigabytes of disk. They used to cost
# memory too (the build ran out of 23 GB inside them at 2.75 million relations); they stream now.
# The CSV tables stream row by row and are always written; `tracker export` writes any format.
BUILD_GRAPH_FILES_MAX_RELATIONS = 200_000


def build_export_skips(G: nx.MultiDiGraph) -> list[str]:
    """The "skipped" lines of the build summary for the graph files left out at this size.

    Examples
    --------
    >>> build_export_skips(nx.MultiDiGraph())
    []
    """
    return graph_file_skips(G.number_of_edges())


def graph_file_skips(n: int) -> list[str]:
    """`build_export_skips` of a graph of `n` relations (the build on the store has no networkx graph)."""
    if n <= BUILD_GRAPH_FILES_MAX_RELATIONS:
        return []
    return [
        f"{name}: {n} relations is over the {BUILD_GRAPH_FILES_MAX_RELATIONS} relations written by build; "
        f"write it anyway with: tracker export --format {fmt} -o {name}"
        for name, fmt in (("graph.graphml", "graphml"), ("graph.json", "json"))
    ]


def write_build_exports(G: nx.MultiDiGraph, out: Path) -> list[Path]:
    """The exports `tracker build` writes: graph.graphml, graph.json, nodes.csv, edges.csv, sources.csv.

    The sources tables keep every source of the dataset (the build graph is the whole dataset).
    Byte-identical for the same input. Above `BUILD_GRAPH_FILES_MAX_RELATIONS` relations only
    the CSV tables are written (see `build_export_skips`); they stream, so memory stays bounded
    by the graph itself.
    """
    out = Path(out)
    paths = write_graph_files(G, out) if not build_export_skips(G) else []
    paths += write_csv(G, out, all_sources=True)
    return paths


def write_graph_files(G: nx.MultiDiGraph, out: Path) -> list[Path]:
    """graph.graphml and graph.json (with every source) of the build, streamed."""
    out = Path(out)
    return [
        _stream_graphml(G, safe_child(out, "graph.graphml")),
        _stream_json(G, safe_child(out, "graph.json"), all_sources=True),
    ]
