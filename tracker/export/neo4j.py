"""Neo4j import files: node and relationship CSVs, a LOAD CSV script, and how to run them.

The CSV headers are those of `neo4j-admin database import` (`id:ID`, `:LABEL`, `:START_ID`,
`:END_ID`, `:TYPE`, typed columns such as `share:double` and `aliases:string[]` with ";" as
the array delimiter, Neo4j's default). The same files load with `import.cypher` through
`LOAD CSV` on a running server, without APOC: nodes are MERGEd by id and labelled one kind at
a time, relationships are MERGEd by relation id, one block per relationship type (Cypher cannot
take a type from a variable without APOC), so running the script twice changes nothing.

Each node has the label `Entity` plus one for its kind (`Person`, `FinancialInstitution`...);
each relationship type is the relation kind in upper case (`OWNS`, `BENEFICIAL_OWNER_OF`...).
Every relationship carries its source ids, source URLs and a readable `citations` text.
Text cells are made inert for spreadsheets like the plain CSV export (`safe_cell`), so a file
opened in Excel by mistake cannot run a formula; such a value keeps its leading quote in Neo4j.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any, TextIO

import networkx as nx

from tracker.export.common import (
    citation_text,
    declared_unknown_owner,
    edge_source_ids,
    format_number,
    ordered_edges,
    ordered_nodes,
    safe_cell,
    source_urls,
    write_csv_rows,
)
from tracker.output import atomic_path, safe_child, write_text

__all__ = ["NODE_HEADER", "RELATIONSHIP_HEADER", "node_label", "relationship_type", "write_neo4j"]

ARRAY_SEP = ";"

# (header, attribute, type); types: string, string[], double, boolean.
NODE_HEADER: tuple[tuple[str, str, str], ...] = (
    ("id:ID", "id", "string"),
    (":LABEL", ":LABEL", "string"),
    ("name", "name", "string"),
    ("kind", "kind", "string"),
    ("sphere", "sphere", "string"),
    ("aliases:string[]", "aliases", "string[]"),
    ("country", "country", "string"),
    ("topics:string[]", "topics", "string[]"),
    ("offshore:boolean", "offshore", "boolean"),
    ("placeholder:boolean", "placeholder", "boolean"),
    ("birth_date", "birth_date", "string"),
    ("identifiers:string[]", "identifiers", "string[]"),
    ("sources:string[]", "sources", "string[]"),
    ("citations", "citations", "string"),
    ("record_id", "record_id", "string"),
    ("notes", "notes", "string"),
    ("dataset", "dataset", "string"),
    ("declared_unknown_owner:string[]", "declared_unknown_owner", "string[]"),
)
RELATIONSHIP_HEADER: tuple[tuple[str, str, str], ...] = (
    (":START_ID", ":START_ID", "string"),
    (":END_ID", ":END_ID", "string"),
    (":TYPE", ":TYPE", "string"),
    ("id", "id", "string"),
    ("kind", "kind", "string"),
    ("label", "label", "string"),
    ("directed:boolean", "directed", "boolean"),
    ("role", "role", "string"),
    ("share:double", "share", "double"),
    ("share_min:double", "share_min", "double"),
    ("share_max:double", "share_max", "double"),
    ("direct", "direct", "string"),
    ("amount:double", "amount", "double"),
    ("currency", "currency", "string"),
    ("rank:double", "rank", "double"),
    ("score:double", "score", "double"),
    ("start", "start", "string"),
    ("end", "end", "string"),
    ("evidence", "evidence", "string"),
    ("outcome", "outcome", "string"),
    ("refers_to:string[]", "refers_to", "string[]"),
    ("referred_by:string[]", "referred_by", "string[]"),
    ("sources:string[]", "sources", "string[]"),
    ("source_urls:string[]", "source_urls", "string[]"),
    ("citations", "citations", "string"),
    ("ownership:boolean", "ownership", "boolean"),
    ("record_id", "record_id", "string"),
    ("note", "note", "string"),
    ("dataset", "dataset", "string"),
)

README = """\
Neo4j import files written by `tracker export --format neo4j`.

  nodes.csv          one row per entity (labels Entity + its kind, e.g. Person, Company)
  relationships.csv  one row per relation (type = the relation kind in upper case, e.g. OWNS),
                     with its sources (ids, URLs and a readable citations text)
  import.cypher      the same data through LOAD CSV, for a running server (no APOC needed)

Text values that a spreadsheet would run as a formula (starting with = + - @) are stored with
a leading single quote.

1. Offline bulk import into a new, empty database (Neo4j 5; stop the database first):

     neo4j-admin database import full neo4j \\
         --nodes=nodes.csv --relationships=relationships.csv \\
         --array-delimiter=';' --multiline-fields=true --overwrite-destination

   (Neo4j 4: `neo4j-admin import --database=neo4j --nodes=... --relationships=...`.)

2. Into a running server with LOAD CSV: copy nodes.csv and relationships.csv into the
   server's import folder (the `server.directories.import` setting, usually <neo4j>/import),
   then run:

     cypher-shell -u neo4j -p <password> -f import.cypher

   The script MERGEs nodes and relationships by id, so it can be run again safely.
"""


def node_label(kind: str) -> str:
    """A Neo4j label for an entity kind: "financial_institution" -> "FinancialInstitution"."""
    return "".join(part[:1].upper() + part[1:] for part in re.split(r"[^0-9A-Za-z]+", kind) if part) or "Unknown"


def relationship_type(kind: str) -> str:
    """A Neo4j relationship type for a relation kind: "owns" -> "OWNS"."""
    return re.sub(r"[^0-9A-Z]+", "_", kind.upper()).strip("_") or "RELATED"


def _cell(value: Any, type_: str) -> str:
    if value is None or value == "" or value == []:
        return ""
    if type_ == "boolean":
        return "true" if value else "false"
    if type_ == "double":
        return format_number(value)
    if type_ == "string[]":
        items = value if isinstance(value, (list, tuple)) else [value]
        return ARRAY_SEP.join(safe_cell(str(v)) for v in items if str(v) != "")
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return format_number(value)
    return safe_cell(str(value))


def _write(stream: TextIO, header: Sequence[tuple[str, str, str]], rows: Iterable[dict[str, Any]]) -> None:
    write_csv_rows(stream, [h for h, _, _ in header], ([_cell(row.get(attr), type_) for _, attr, type_ in header] for row in rows))


def _stream_to(path: Path, header: Sequence[tuple[str, str, str]], rows: Iterable[dict[str, Any]]) -> Path:
    """Write a table row by row to the atomic temporary file of `path`."""
    with atomic_path(path) as tmp, open(tmp, "w", encoding="utf-8", newline="") as stream:
        _write(stream, header, rows)
    return Path(path)


def _node_rows(G: nx.MultiDiGraph) -> Iterator[dict[str, Any]]:
    # One row at a time: at ICIJ scale a list of row dicts would hold a second copy of the graph.
    for node, data in ordered_nodes(G):
        row = dict(data)
        row["id"] = node
        row[":LABEL"] = f"Entity{ARRAY_SEP}{node_label(str(data.get('kind') or ''))}"
        row["citations"] = citation_text(G, [str(s) for s in data.get("sources") or []])
        row["declared_unknown_owner"] = declared_unknown_owner(G, node)
        yield row


def _relationship_rows(G: nx.MultiDiGraph) -> Iterator[dict[str, Any]]:
    for u, v, key, data in ordered_edges(G):
        sources = edge_source_ids(data)
        row = dict(data)
        row.update(
            {
                ":START_ID": u,
                ":END_ID": v,
                ":TYPE": relationship_type(str(data.get("kind") or "")),
                "id": key,
                "source_urls": source_urls(G, sources),
                "citations": citation_text(G, sources),
            }
        )
        yield row


def _cypher_value(header: str, type_: str) -> str:
    column = f"row.`{header}`"
    if type_ == "double":
        return f"toFloat({column})"
    if type_ == "boolean":
        return f"CASE {column} WHEN 'true' THEN true WHEN 'false' THEN false ELSE null END"
    if type_ == "string[]":
        return f"CASE WHEN {column} IS NULL THEN null ELSE split({column}, '{ARRAY_SEP}') END"
    return column


def _quote(text: str) -> str:
    return text.replace("\\", "\\\\").replace("'", "\\'")


def _set_clause(var: str, header: Sequence[tuple[str, str, str]], skip: set[str]) -> str:
    parts = [f"{var}.`{attr}` = {_cypher_value(h, t)}" for h, attr, t in header if attr not in skip]
    return "SET " + ",\n    ".join(parts)


def import_cypher(G: nx.MultiDiGraph) -> str:
    """A LOAD CSV script for nodes.csv and relationships.csv (no APOC), in a fixed order."""
    kinds = sorted({str(d.get("kind") or "") for _, d in G.nodes(data=True)})
    types = sorted({relationship_type(str(d.get("kind") or "")) for _, _, d in G.edges(data=True)})
    out = [
        "// Load nodes.csv and relationships.csv (written by `tracker export --format neo4j`).",
        "// Copy both files into the server's import folder, then: cypher-shell -f import.cypher",
        "// Idempotent: nodes and relationships are MERGEd by id. No APOC needed.",
        "",
        "CREATE CONSTRAINT tracker_entity_id IF NOT EXISTS FOR (n:Entity) REQUIRE n.id IS UNIQUE;",
        "",
        "LOAD CSV WITH HEADERS FROM 'file:///nodes.csv' AS row",
        "MERGE (n:Entity {id: row.`id:ID`})",
        _set_clause("n", NODE_HEADER, {"id", ":LABEL"}) + ";",
        "",
    ]
    for kind in kinds:
        label = node_label(kind)
        out += [
            "LOAD CSV WITH HEADERS FROM 'file:///nodes.csv' AS row",
            f"WITH row WHERE row.kind = '{_quote(kind)}'",
            f"MATCH (n:Entity {{id: row.`id:ID`}}) SET n:{label};",
            "",
        ]
    for rel_type in types:
        out += [
            "LOAD CSV WITH HEADERS FROM 'file:///relationships.csv' AS row",
            f"WITH row WHERE row.`:TYPE` = '{rel_type}'",
            "MATCH (a:Entity {id: row.`:START_ID`}), (b:Entity {id: row.`:END_ID`})",
            f"MERGE (a)-[r:{rel_type} {{id: row.id}}]->(b)",
            _set_clause("r", RELATIONSHIP_HEADER, {":START_ID", ":END_ID", ":TYPE", "id"}) + ";",
            "",
        ]
    return "\n".join(out)


def write_neo4j(G: nx.MultiDiGraph, folder: Path) -> list[Path]:
    """Write nodes.csv, relationships.csv, import.cypher and README.txt into `folder` (atomically)."""
    folder = Path(folder)
    return [
        _stream_to(safe_child(folder, "nodes.csv"), NODE_HEADER, _node_rows(G)),
        _stream_to(safe_child(folder, "relationships.csv"), RELATIONSHIP_HEADER, _relationship_rows(G)),
        write_text(safe_child(folder, "import.cypher"), import_cypher(G)),
        write_text(safe_child(folder, "README.txt"), README),
    ]
