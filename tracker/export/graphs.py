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

import io
import json
from collections.abc import Iterator
from typing import Any, BinaryIO, TextIO
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

__all__ = [
    "flatten_value",
    "interchange_graph",
    "graphml_bytes",
    "gexf_bytes",
    "node_link_data",
    "node_link_json",
    "write_node_link_json",
    "write_graphml",
]

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
    """`G` as GraphML (UTF-8 bytes): typed, flattened attributes; edge ids are relation ids.

    The bytes are those of networkx's `write_graphml_xml` on `interchange_graph(G)` (a test
    holds them equal), written by `write_graphml` without the copy and the XML tree.
    """
    buffer = io.BytesIO()
    write_graphml(G, buffer)
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


def _node_link_graph_attrs(G: nx.MultiDiGraph, all_sources: bool) -> dict[str, Any]:
    """`G.graph` with the sources table cut to the sources cited, unless `all_sources` (a new dict; `G` untouched)."""
    attrs = dict(G.graph)
    if not all_sources:
        table = attrs.get("sources") or {}
        cited = set(cited_source_ids(G))
        attrs["sources"] = {sid: table[sid] for sid in sorted(table) if sid in cited}
    return attrs


def node_link_data(G: nx.MultiDiGraph, all_sources: bool = False) -> dict[str, Any]:
    """`G` as node-link data (lists kept), nodes and edges in id order, with the sources table.

    `G.graph["sources"]` is cut to the sources the nodes and edges cite, unless `all_sources`.
    The result is new dicts and lists, but the attribute values are `G`'s own: treat it as read-only.
    """
    return {
        "directed": True,
        "edges": [{**d, "source": u, "target": v, "key": k} for u, v, k, d in ordered_edges(G)],
        "graph": _node_link_graph_attrs(G, all_sources),
        "multigraph": True,
        "nodes": [{**d, "id": n} for n, d in ordered_nodes(G)],
    }


def _dumps(value: Any, level: int) -> str:
    text = json.dumps(value, ensure_ascii=False, indent=1, sort_keys=True, default=str)
    return text.replace("\n", "\n" + " " * level)  # JSON strings never hold a raw line break


def write_node_link_json(G: nx.MultiDiGraph, stream: TextIO, all_sources: bool = False) -> None:
    """Write node-link JSON to `stream` one node and one edge at a time.

    The text is exactly `json.dumps(node_link_data(G), indent=1, sort_keys=True)` plus a newline,
    without holding the whole document (gigabytes at ICIJ scale) or a copy of the graph in memory.
    """
    stream.write('{\n "directed": true,\n "edges": ')
    _write_list(stream, ({**d, "source": u, "target": v, "key": k} for u, v, k, d in ordered_edges(G)))
    stream.write(',\n "graph": ' + _dumps(_node_link_graph_attrs(G, all_sources), 1))
    stream.write(',\n "multigraph": true,\n "nodes": ')
    _write_list(stream, ({**d, "id": n} for n, d in ordered_nodes(G)))
    stream.write("\n}\n")


def _write_list(stream: TextIO, items: Iterator[dict[str, Any]]) -> None:
    separator = "[\n  "
    for item in items:
        stream.write(separator)
        stream.write(_dumps(item, 2))
        separator = ",\n  "
    stream.write("[]" if separator == "[\n  " else "\n ]")


def node_link_json(G: nx.MultiDiGraph, all_sources: bool = False) -> str:
    """Node-link JSON text (UTF-8, keys sorted, one trailing newline)."""
    buffer = io.StringIO()
    write_node_link_json(G, buffer, all_sources)
    return buffer.getvalue()


# --- GraphML, streamed ------------------------------------------------------------------------
# `graphml_bytes` builds a flattened copy of the graph and an XML tree of it (about 20 elements
# per relation): at ICIJ scale that is many gigabytes. `write_graphml` writes the same bytes
# with two passes over the canonical graph and nothing kept but the attribute types and the
# edge order, so `tracker export --format graphml` works on millions of relations.


def _node_record(node: Any, data: dict[str, Any]) -> dict[str, Any]:
    record = _flat(data)
    record["label"] = record.get("name", str(node))
    return record


def _edge_record(G: nx.MultiDiGraph, data: dict[str, Any]) -> dict[str, Any]:
    sources = edge_source_ids(data)
    return _flat({**data, "citations": citation_text(G, sources), "source_urls": source_urls(G, sources)})


def _adjacency_order(G: nx.MultiDiGraph) -> Iterator[tuple[str, str, str, dict[str, Any]]]:
    """Edges in the order networkx iterates `interchange_graph`'s copy: by source node (in id
    order), then by target in order of first relation, then by relation id."""
    by_source: dict[str, dict[str, list[tuple[str, dict[str, Any]]]]] = {}
    for u, v, key, data in ordered_edges(G):
        by_source.setdefault(str(u), {}).setdefault(str(v), []).append((str(key), data))
    for node, _ in ordered_nodes(G):
        for v, keyed in by_source.pop(str(node), {}).items():
            for key, data in keyed:
                yield str(node), v, key, data


def _converters(records: Iterator[dict[str, Any]]) -> tuple[dict[str, Any], dict[str, type]]:
    """What `_unify_types` would do, as one converter per mixed attribute, and each attribute's
    type after it, in order of first appearance (GraphML numbers its keys in that order)."""
    kinds: dict[str, set[type]] = {}
    for record in records:
        for key, value in record.items():
            kinds.setdefault(key, set()).add(type(value))
    convert: dict[str, Any] = {}
    final: dict[str, type] = {}
    for key, types in kinds.items():
        if len(types) < 2:
            final[key] = next(iter(types))
        elif types <= {int, float}:
            convert[key] = final[key] = float
        else:
            convert[key] = lambda v: ("true" if v else "false") if isinstance(v, bool) else str(v)  # noqa: E731
            final[key] = str
    return convert, final


def _converted(record: dict[str, Any], convert: dict[str, Any]) -> dict[str, Any]:
    if convert:
        for key in record.keys() & convert.keys():
            record[key] = convert[key](record[key])
    return record


def write_graphml(G: nx.MultiDiGraph, stream: BinaryIO) -> None:
    """Write `G` as GraphML to a binary stream: the bytes of `graphml_bytes`, streamed.

    Pass one collects each attribute's type (and unifies mixed ones as `_unify_types` does);
    pass two writes the elements as networkx's writer lays them out (keys first, newest
    first; nodes; edges; the graph's own data last), escaped by ElementTree's own rules.
    """
    from xml.etree.ElementTree import _escape_attrib, _escape_cdata  # type: ignore[attr-defined]

    from networkx.readwrite.graphml import GraphMLWriter

    xml_type: Any = GraphMLWriter().get_xml_type  # python type -> GraphML type name, as networkx maps it
    graph_data = {}
    for key in _GRAPH_KEYS:
        value = flatten_value(G.graph.get(key))
        if value is not None:
            graph_data[key] = value
    node_convert, node_types = _converters(_node_record(n, d) for n, d in ordered_nodes(G))
    edge_convert, edge_types = _converters(_edge_record(G, d) for *_, d in _adjacency_order(G))
    # Keys: (name, type, scope) -> id, numbered in order of first use: graph, nodes, edges.
    keys: dict[tuple[str, str, str], str] = {}
    for scope, named in (("graph", {k: type(v) for k, v in graph_data.items()}), ("node", node_types), ("edge", edge_types)):
        for name, kind in named.items():
            keys[(name, xml_type(kind), scope)] = f"d{len(keys)}"

    def write(text: str) -> None:
        stream.write(text.encode("utf-8", "xmlcharrefreplace"))

    write("<?xml version='1.0' encoding='utf-8'?>\n")
    write(
        '<graphml xmlns="http://graphml.graphdrawing.org/xmlns" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
        'xsi:schemaLocation="http://graphml.graphdrawing.org/xmlns http://graphml.graphdrawing.org/xmlns/1.0/graphml.xsd">\n'
    )
    for (name, type_name, scope), ident in reversed(keys.items()):
        write(f'  <key id="{ident}" for="{scope}" attr.name="{_escape_attrib(name)}" attr.type="{type_name}" />\n')

    def element(tag: str, attrs: str, record: dict[str, Any], scope: str, indent: str) -> str:
        if not record:
            return f"{indent}<{tag}{attrs} />\n"
        inner = "".join(
            f'{indent}  <data key="{keys[(name, xml_type(type(value)), scope)]}">{_escape_cdata(str(value))}</data>\n'
            for name, value in record.items()
        )
        return f"{indent}<{tag}{attrs}>\n{inner}{indent}</{tag}>\n"

    if not graph_data and not G.number_of_nodes():
        write('  <graph edgedefault="directed" />\n</graphml>\n')
        return
    write('  <graph edgedefault="directed">\n')
    for node, data in ordered_nodes(G):
        write(element("node", f' id="{_escape_attrib(str(node))}"', _converted(_node_record(node, data), node_convert), "node", "    "))
    for u, v, key, data in _adjacency_order(G):
        attrs = f' source="{_escape_attrib(u)}" target="{_escape_attrib(v)}" id="{_escape_attrib(key)}"'
        write(element("edge", attrs, _converted(_edge_record(G, data), edge_convert), "edge", "    "))
    for name, value in graph_data.items():
        write(f'    <data key="{keys[(name, xml_type(type(value)), "graph")]}">{_escape_cdata(str(value))}</data>\n')
    write("  </graph>\n</graphml>\n")
