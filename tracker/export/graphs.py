"""Graph interchange files: GraphML and GEXF for Gephi, node-link JSON for web tools.

GraphML and GEXF cannot carry lists or empty values, so attributes are flattened first (the
way FollowTheMoney's own graph export does it): lists joined with ";", `None` and empty text
dropped (never written as "None"), numbers and booleans kept typed. Every edge also carries its
`citations` and `source_urls`, so an edge opened in Gephi still says where it comes from.

GEXF adds Gephi's timeline: a relation's partial start and end dates become GEXF 1.2 `start`
and `end` days (a start at the first day it may mean, an end at the last), the graph is marked
`mode="dynamic"` with `timeformat="date"`, and the dates as the sources gave them stay in
`start_text` and `end_text`. Attribute types follow networkx's GEXF writer: floats as
`double`, booleans as `boolean`, integers as `long`, text as `string`. The writer's "last modified" stamp is replaced by the data date,
so the file depends on the data and never on the clock.

Node-link JSON keeps everything as it is (lists stay lists) including the sources table.
"""

from __future__ import annotations

import copy
import io
import json
from typing import Any
from xml.etree.ElementTree import ElementTree, SubElement

import networkx as nx
from networkx.readwrite.gexf import GEXFWriter

from tracker.dates import earliest, latest
from tracker.export.common import (
    citation_text,
    cited_source_ids,
    edge_source_ids,
    ordered_edges,
    ordered_nodes,
    source_urls,
    xml_safe,
)

__all__ = ["flatten_value", "interchange_graph", "graphml_bytes", "gexf_bytes", "node_link_data", "node_link_json"]

LIST_SEP = ";"
_GRAPH_KEYS = ("name", "content_hash", "data_date")


def flatten_value(value: Any) -> str | int | float | bool | None:
    """One attribute value as GraphML/GEXF can hold it; `None` means "leave the attribute out".

    Examples
    --------
    >>> flatten_value(["a", "b"]), flatten_value([]), flatten_value(None), flatten_value(""), flatten_value(2.5)
    ('a;b', None, None, None, 2.5)
    """
    if value is None or isinstance(value, (bool, int, float)):
        return value
    if isinstance(value, (list, tuple, set, frozenset)):
        items = sorted(value) if isinstance(value, (set, frozenset)) else value
        text = LIST_SEP.join(str(v) for v in items if v is not None and str(v) != "")
    elif isinstance(value, dict):
        text = json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)
    else:
        text = str(value)
    text = xml_safe(text)
    return text or None


def _flat(data: dict[str, Any]) -> dict[str, Any]:
    out = {}
    for key in sorted(data):
        value = flatten_value(data[key])
        if value is not None:
            out[str(key)] = value
    return out


def _unify_types(records: list[dict[str, Any]]) -> None:
    """Give every attribute one type across all records (GraphML and GEXF declare one per name).

    Integers mixed with floats become floats; anything else mixed becomes text.
    """
    kinds: dict[str, set[type]] = {}
    for record in records:
        for key, value in record.items():
            kinds.setdefault(key, set()).add(type(value))
    for key, types in kinds.items():
        if len(types) < 2:
            continue
        if types <= {int, float}:
            convert: Any = float
        else:
            convert = lambda v: ("true" if v else "false") if isinstance(v, bool) else str(v)  # noqa: E731
        for record in records:
            if key in record:
                record[key] = convert(record[key])


def interchange_graph(G: nx.MultiDiGraph) -> nx.MultiDiGraph:
    """A flattened, ordered copy of `G` for GraphML and GEXF (the canonical graph is never touched).

    Nodes gain `label` (the name, which Gephi shows); edges gain `citations` and `source_urls`.
    """
    H: nx.MultiDiGraph = nx.MultiDiGraph()
    for key in _GRAPH_KEYS:
        value = flatten_value(G.graph.get(key))
        if value is not None:
            H.graph[key] = value
    node_records = []
    for node, data in ordered_nodes(G):
        record = _flat(data)
        record["label"] = record.get("name", str(node))
        node_records.append((str(node), record))
    edge_records = []
    for u, v, key, data in ordered_edges(G):
        sources = edge_source_ids(data)
        record = _flat({**data, "citations": citation_text(G, sources), "source_urls": source_urls(G, sources)})
        edge_records.append((str(u), str(v), str(key), record))
    _unify_types([r for _, r in node_records])
    _unify_types([r for *_, r in edge_records])
    H.add_nodes_from(node_records)
    for u, v, key, record in edge_records:
        H.add_edge(u, v, key=key, **record)
    return H


def graphml_bytes(G: nx.MultiDiGraph) -> bytes:
    """`G` as GraphML (UTF-8 bytes): typed, flattened attributes; edge ids are relation ids."""
    H = interchange_graph(G)
    buffer = io.BytesIO()
    nx.write_graphml_xml(H, buffer, encoding="utf-8", prettyprint=True)
    return buffer.getvalue()


def _gexf_dates(record: dict[str, Any]) -> None:
    """Turn partial dates into the day range Gephi's timeline needs; keep the given text beside."""
    for end, to_day in (("start", earliest), ("end", latest)):
        text = record.pop(end, None)
        if text is None:
            continue
        record[f"{end}_text"] = text
        try:
            record[end] = to_day(str(text)).isoformat()
        except ValueError:
            pass  # not a partial date: stays as text only, out of the timeline


def gexf_bytes(G: nx.MultiDiGraph) -> bytes:
    """`G` as GEXF 1.2 (UTF-8 bytes) with relation dates on Gephi's timeline.

    Written through networkx's `GEXFWriter`, then three fixes to its tree: the
    `lastmodifieddate` (today, by default) becomes the data date, the creator names this tool,
    and networkx's private `networkx_key` column goes (the edge id already is the relation id).
    """
    from tracker import __version__

    H = interchange_graph(G)
    for _, _, key, data in H.edges(keys=True, data=True):
        data["id"] = key
        _gexf_dates(data)
    writer = GEXFWriter(encoding="utf-8", prettyprint=True, version="1.2draft")
    writer.add_graph(H)
    root = writer.xml
    meta = root.find("meta")
    if meta is not None:
        data_date = str(G.graph.get("data_date") or "")
        try:
            meta.set("lastmodifieddate", latest(data_date).isoformat())
        except ValueError:
            meta.attrib.pop("lastmodifieddate", None)
        creator = meta.find("creator")
        if creator is not None:
            creator.text = f"tracker {__version__}"
        if G.graph.get("content_hash"):
            description = SubElement(meta, "description")
            description.text = xml_safe(f"{G.graph.get('name', '')} content hash {G.graph['content_hash']}".strip())
    graph_element = writer.graph_element
    # GEXF 1.2's schema has no graph name (it is in the meta description above).
    graph_element.attrib.pop("name", None)
    drop_ids = set()
    for attributes in graph_element.findall("attributes"):
        for attribute in list(attributes):
            if attribute.get("title") == "networkx_key":
                drop_ids.add(attribute.get("id"))
                attributes.remove(attribute)
    if drop_ids:
        for edge in graph_element.iter("edge"):
            for attvalues in edge.findall("attvalues"):
                for attvalue in list(attvalues):
                    if attvalue.get("for") in drop_ids:
                        attvalues.remove(attvalue)
    writer.indent(root)
    buffer = io.BytesIO()
    ElementTree(root).write(buffer, encoding="utf-8", xml_declaration=True)
    return buffer.getvalue()


def node_link_data(G: nx.MultiDiGraph, all_sources: bool = False) -> dict[str, Any]:
    """`G` as node-link data (lists kept), nodes and edges in id order, with the sources table.

    `G.graph["sources"]` is cut to the sources the nodes and edges cite, unless `all_sources`.
    """
    H: nx.MultiDiGraph = nx.MultiDiGraph()
    H.graph.update(copy.deepcopy(G.graph))
    table = H.graph.get("sources") or {}
    if not all_sources:
        cited = set(cited_source_ids(G))
        H.graph["sources"] = {sid: table[sid] for sid in sorted(table) if sid in cited}
    H.add_nodes_from((n, copy.deepcopy(d)) for n, d in ordered_nodes(G))
    for u, v, key, attrs in ordered_edges(G):
        H.add_edge(u, v, key=key, **copy.deepcopy(attrs))
    data: dict[str, Any] = nx.node_link_data(H, edges="edges")
    data["edges"] = sorted(data["edges"], key=lambda e: (str(e["key"]), str(e["source"]), str(e["target"])))
    return data


def node_link_json(G: nx.MultiDiGraph, all_sources: bool = False) -> str:
    """Node-link JSON text (UTF-8, keys sorted, one trailing newline)."""
    data = node_link_data(G, all_sources)
    return json.dumps(data, ensure_ascii=False, indent=1, sort_keys=True, default=str) + "\n"
