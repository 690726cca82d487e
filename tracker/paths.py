"""How two entities are linked, hop by hop, with every relation and its sources.

A path is found on the collapsed graph (one edge per linked pair) and then *explained* on the
canonical graph: each hop lists every relation between its two entities, with kind, role,
dates, evidence, outcome, the relations that answer it (denials, discharges) and the sources
(title, publisher, date, url). A path never shows a link without the sources behind it.
"""

from __future__ import annotations

from itertools import islice
from typing import Any

import networkx as nx

from tracker.exc import TrackerError
from tracker.graph import collapse, name_index, reach, walkable
from tracker.render import share_text


def __getattr__(name: str) -> Any:
    # SEARCH_COLUMNS is defined with the names and kept here for old imports, on demand:
    # importing tracker.names (rapidfuzz) at import would cost every command that explains a path.
    if name == "SEARCH_COLUMNS":
        from tracker.names import SEARCH_COLUMNS

        return SEARCH_COLUMNS
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "relation_detail",
    "relations_between",
    "explained_paths",
    "neighbours",
    "search",
    "format_relation",
    "format_source",
]

_NUMBERS = ("share", "share_min", "share_max", "amount", "rank", "score")


def relation_detail(G: nx.MultiDiGraph, u: str, v: str, key: str) -> dict[str, Any]:
    """One relation as plain data, with its sources resolved to citations.

    Examples
    --------
    >>> G = nx.MultiDiGraph(sources={"s1": {"title": "T", "publisher": "P", "date": "2020", "url": "https://x.org", "evidence": "news_report"}})
    >>> G.add_edge("a", "b", key="r1", kind="owns", label="owns", sources=["s1"], share=20.0)
    'r1'
    >>> d = relation_detail(G, "a", "b", "r1")
    >>> d["id"], d["share"], d["sources"][0]["title"]
    ('r1', 20.0, 'T')
    """
    d = G.edges[u, v, key]
    out: dict[str, Any] = {
        "id": key,
        "kind": d.get("kind", ""),
        "label": d.get("label", d.get("kind", "")),
        "source": u,
        "target": v,
        "directed": d.get("directed", True) is not False,
        "role": d.get("role", "") or "",
        "start": d.get("start", "") or "",
        "end": d.get("end", "") or "",
        "evidence": d.get("evidence", "") or "",
    }
    for name in _NUMBERS:
        if d.get(name) is not None:
            out[name] = d[name]
    for name in ("direct", "currency", "outcome", "note"):
        if d.get(name):
            out[name] = d[name]
    if d.get("refers_to"):
        out["refers_to"] = list(d["refers_to"])
    if d.get("referred_by"):
        out["referred_by"] = list(d["referred_by"])
    sources = []
    table = G.graph.get("sources", {})
    for sid in d.get("sources", []) or []:
        src = table.get(sid, {})
        sources.append(
            {
                "id": sid,
                "title": src.get("title", ""),
                "publisher": src.get("publisher", ""),
                "date": src.get("date", ""),
                "url": src.get("url", ""),
                "evidence": src.get("evidence", ""),
            }
        )
    out["sources"] = sources
    return out


def relations_between(G: nx.MultiDiGraph, u: str, v: str, directed: bool = False) -> list[dict[str, Any]]:
    """Every relation between `u` and `v`, sorted by id.

    Undirected: both directions. Directed: relations from `u` to `v`, plus undirected relations
    (family, associate) stored the other way.
    """
    found: list[dict[str, Any]] = []
    forward: dict[Any, dict[str, Any]] = G.get_edge_data(u, v, default={})
    for key in sorted(forward):
        found.append(relation_detail(G, u, v, key))
    if u != v:
        backward: dict[Any, dict[str, Any]] = G.get_edge_data(v, u, default={})
        for key, d in sorted(backward.items()):
            if not directed or d.get("directed", True) is False:
                found.append(relation_detail(G, v, u, key))
    return sorted(found, key=lambda r: r["id"])


def _hop(G: nx.MultiDiGraph, u: str, v: str, directed: bool) -> dict[str, Any]:
    return {
        "from": u,
        "from_name": G.nodes[u].get("name", u),
        "to": v,
        "to_name": G.nodes[v].get("name", v),
        "relations": relations_between(G, u, v, directed),
    }


def explained_paths(
    G: nx.MultiDiGraph,
    a: str,
    b: str,
    k: int = 3,
    max_hops: int | None = None,
    directed: bool = False,
    through_hubs: bool = False,
) -> list[dict[str, Any]]:
    """The `k` shortest simple paths from `a` to `b`, each hop explained.

    Paths are counted in hops on the collapsed graph (`nx.shortest_simple_paths`), undirected
    by default; with `directed`, every hop follows a relation's direction (undirected relations
    go both ways). Ties in length come out in networkx's order on the id-sorted graph, which is
    deterministic. Returns ``[]`` when there is no path within `max_hops`.

    Like every walk (`tracker.graph.reach`), a path does not pass through a jurisdiction or a
    hub (`tracker.graph.walkable`) unless `through_hubs`: "officer - United Kingdom - company"
    links nobody. Either end may be one.

    Examples
    --------
    >>> G = nx.MultiDiGraph()
    >>> for u, v, key in [("a", "b", "r1"), ("b", "c", "r2"), ("a", "c", "r3"), ("c", "d", "r4")]:
    ...     _ = G.add_edge(u, v, key=key, kind="owns", directed=True)
    >>> [p["nodes"] for p in explained_paths(G, "a", "d", k=2)]
    [['a', 'c', 'd'], ['a', 'b', 'c', 'd']]
    >>> explained_paths(G, "d", "a", directed=True)
    []
    """
    for node in (a, b):
        if node not in G:
            raise TrackerError(f"no entity with id {node!r}")
    if a == b:
        raise TrackerError("the two entities are the same; give two different entities")
    H = collapse(G, directed=directed)
    if not through_hubs:
        blocked = {n for n in H if n not in (a, b) and not walkable(G, n)}
        if blocked:
            H = H.subgraph([n for n in H if n not in blocked])
    found: list[dict[str, Any]] = []
    try:
        for nodes in islice(nx.shortest_simple_paths(H, a, b), max(k, 0)):
            if max_hops is not None and len(nodes) - 1 > max_hops:
                break
            hops = [_hop(G, u, v, directed) for u, v in zip(nodes, nodes[1:])]
            found.append({"nodes": list(nodes), "length": len(nodes) - 1, "hops": hops})
    except nx.NetworkXNoPath:
        return found
    return found


def neighbours(G: nx.MultiDiGraph, center: str, depth: int = 1) -> list[dict[str, Any]]:
    """The entities within `depth` hops of `center` (any direction), each with how it is reached.

    The walk is `tracker.graph.reach`'s: jurisdictions and hubs are listed but not walked
    through. Each entry has the entity, its distance, and `via`: every relation linking it to
    an entity one hop nearer the centre. Sorted by distance, then id.

    Examples
    --------
    >>> G = nx.MultiDiGraph()
    >>> _ = G.add_edge("a", "b", key="r1", kind="owns"); _ = G.add_edge("c", "b", key="r2", kind="owns")
    >>> [(n["id"], n["distance"], [r["id"] for r in n["via"]]) for n in neighbours(G, "a", 2)]
    [('b', 1, ['r1']), ('c', 2, ['r2'])]
    """
    dist = reach(G, [center], depth)
    out: list[dict[str, Any]] = []
    for node in sorted((n for n in dist if n != center), key=lambda n: (dist[n], n)):
        around = set(G.successors(node)) | set(G.predecessors(node))
        nearer = sorted(m for m in around if dist.get(m) == dist[node] - 1 and (m == center or walkable(G, m)))
        via: list[dict[str, Any]] = []
        for m in nearer:
            via.extend(relations_between(G, m, node))
        data = G.nodes[node]
        out.append(
            {
                "id": node,
                "name": data.get("name", node),
                "kind": data.get("kind", ""),
                "sphere": data.get("sphere", ""),
                "distance": dist[node],
                "via": sorted(via, key=lambda r: r["id"]),
            }
        )
    return out


def search(G: nx.MultiDiGraph, query: str, limit: int = 10) -> list[dict[str, Any]]:
    """Entities whose name or alias resembles `query` (Latin or Cyrillic), with a 0-100 score.

    Rows of `SEARCH_COLUMNS`, best first (see `tracker.names.NameIndex.search`); plain rows,
    so that `tracker search` never imports pandas.

    Examples
    --------
    >>> G = nx.MultiDiGraph()
    >>> G.add_node("nn", name="Nursultan Nazarbayev", aliases=["Нурсултан Назарбаев"], kind="person", sphere="elite")
    >>> [(r["id"], r["score"]) for r in search(G, "Назарбаев")]
    [('nn', 93.3)]
    """
    return [
        {
            "id": m.id,
            "name": m.name,
            "matched": m.matched,
            "score": m.score,
            "kind": G.nodes[m.id].get("kind", ""),
            "sphere": G.nodes[m.id].get("sphere", ""),
        }
        for m in name_index(G).search(query, limit=limit)
    ]


def format_source(src: dict[str, Any]) -> str:
    """A citation on one line: title, publisher, date, url (evidence status)."""
    parts = [p for p in (src.get("title"), src.get("publisher"), src.get("date"), src.get("url")) if p]
    ev = f" ({src['evidence']})" if src.get("evidence") else ""
    return ", ".join(str(p) for p in parts) + ev


def format_relation(G: nx.MultiDiGraph, rel: dict[str, Any]) -> str:
    """A relation on one line: "A -[label (role)]-> B, share 20%, 2007-12..2012, evidence"."""
    u, v = rel["source"], rel["target"]
    role = f" ({rel['role']})" if rel.get("role") else ""
    arrow = "->" if rel.get("directed", True) else "--"
    text = f"{G.nodes[u].get('name', u)} -[{rel['label']}{role}]{arrow} {G.nodes[v].get('name', v)}"
    bits = []
    share = share_text(rel)
    if share:
        bits.append(f"share {share}")
    if rel.get("amount") is not None:
        bits.append(f"amount {rel['amount']:,.0f} {rel.get('currency', '')}".rstrip())
    if rel.get("start") or rel.get("end"):
        bits.append(f"{rel.get('start') or '?'}..{rel.get('end') or ''}")
    if rel.get("evidence"):
        bits.append(rel["evidence"])
    if rel.get("outcome"):
        bits.append(f"outcome: {rel['outcome']}")
    if rel.get("referred_by"):
        bits.append("answered by " + ", ".join(rel["referred_by"]))
    return f"{rel['id']}: {text}" + (f" [{'; '.join(bits)}]" if bits else "")
