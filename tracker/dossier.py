"""A dossier: one page about one entity, to read, print, cite or paste into a newsroom's editor.

`build_dossier` gathers everything the graph says about an entity as plain data: its names in
every script and its identifiers; every relation, grouped by kind, with its evidence status,
outcome, the relations that answer it (denials, discharges) and its sources; the ownership
chains above and below it (`tracker.chains`); the shortest explained paths to the City of
London and to offshore jurisdictions (`tracker.paths`); its rank by each centrality; and its
immediate neighbourhood. `dossier_html` renders that as one offline HTML page (a small static
drawing of the neighbourhood, no script, a Content-Security-Policy that allows only its own
stylesheet, by hash) and `dossier_markdown` as Markdown. Both end with the disclaimer.

Data is hostile: every text is escaped (HTML entities, or Markdown's punctuation), and only
http(s) addresses become links. The same graph gives the same bytes.
"""

from __future__ import annotations

import html
import math
import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import networkx as nx
import pandas as pd

from tracker.exc import UnknownEntity
from tracker.output import write_text

__all__ = ["FORMATS", "build_dossier", "dossier_html", "dossier_markdown", "write_dossier", "scripts_of"]

FORMATS = ("html", "md")
#: Targets tried for the explained paths to the City of London and to offshore jurisdictions.
NEAREST = 3
#: Ownership paths listed per direction; the owners' table is always complete.
CHAIN_PATHS = 15
#: Neighbours drawn in the small focus view; the rest are listed.
DRAWN = 36


# --- the data ------------------------------------------------------------------------------------


def scripts_of(text: str) -> str:
    """The script a name is written in, from its letters: Latin, Cyrillic, Greek, Arabic, ... or Mixed.

    Examples
    --------
    >>> scripts_of("Timur Kulibayev"), scripts_of("Тимур Құлыбаев"), scripts_of("Kaspi.kz Қазақстан")
    ('Latin', 'Cyrillic', 'Mixed')
    """
    found: set[str] = set()
    for ch in text:
        if ch.isalpha():
            name = unicodedata.name(ch, "")
            found.add(name.split(" ")[0].capitalize() if name else "Other")
    if not found:
        return "Other"
    return found.pop() if len(found) == 1 else "Mixed"


def _sources(G: nx.MultiDiGraph, ids: Iterable[str]) -> list[dict[str, Any]]:
    table = G.graph.get("sources", {}) or {}
    return [dict(table.get(sid, {})) | {"id": sid} for sid in ids]


def _relation(G: nx.MultiDiGraph, ident: str, u: str, v: str, key: str, where: dict[str, tuple[str, str]]) -> dict[str, Any]:
    from tracker.paths import relation_detail

    rel = relation_detail(G, u, v, key)
    rel["other"] = v if u == ident else u
    rel["other_name"] = str(G.nodes[rel["other"]].get("name") or rel["other"])
    rel["outgoing"] = u == ident
    answers = []
    for ref in [*rel.get("referred_by", []), *rel.get("refers_to", [])]:
        if ref in where:
            a, b = where[ref]
            answer = relation_detail(G, a, b, ref)
            answer["role_in_claim"] = "answers this" if ref in rel.get("referred_by", []) else "this answers it"
            answers.append(answer)
    rel["answers"] = answers
    return rel


def _ranks(G: nx.MultiDiGraph, ident: str, table: pd.DataFrame | None) -> list[dict[str, Any]]:
    from tracker.metrics import METRICS, centrality

    if table is None:
        table = centrality(G)
    out = []
    for metric, spec in METRICS.items():
        col = spec.columns[0]
        if col not in table.columns or metric in ("community", "component") or ident not in table.index:
            continue
        values = pd.to_numeric(table[col], errors="coerce")
        value = values.get(ident)
        if value is None or (isinstance(value, float) and math.isnan(value)):
            continue
        rank = int((values > value).sum()) + 1
        out.append({"metric": metric, "value": float(value), "rank": rank, "of": int(values.notna().sum())})
    return out


def _nearest(G: nx.MultiDiGraph, ident: str, targets: set[str]) -> list[str]:
    """The `NEAREST` targets fewest hops away (ties by id), walking only where `tracker path` walks."""
    from tracker.graph import walkable

    if not targets:
        return []
    dist = {ident: 0}
    frontier = [ident]
    found: list[tuple[int, str]] = []
    while frontier and len(found) < NEAREST:
        nxt: list[str] = []
        for n in frontier:
            if n != ident and not walkable(G, n):
                continue
            for m in sorted(set(G.successors(n)) | set(G.predecessors(n))):
                if m not in dist:
                    dist[m] = dist[n] + 1
                    nxt.append(m)
                    if m in targets:
                        found.append((dist[m], m))
        frontier = sorted(set(nxt))
    return [m for _, m in sorted(found)[:NEAREST]]


def _paths_to(G: nx.MultiDiGraph, ident: str, targets: set[str]) -> list[dict[str, Any]]:
    from tracker.paths import explained_paths

    out = []
    for target in _nearest(G, ident, targets - {ident}):
        found = explained_paths(G, ident, target, k=1)
        if found:
            out.append(found[0] | {"target": target, "target_name": str(G.nodes[target].get("name") or target)})
    return out


def _chains(G: nx.MultiDiGraph, ident: str, direction: str) -> dict[str, Any]:
    from tracker.chains import ownership_chains

    ch = ownership_chains(G, ident, direction, max_paths=500)
    paths = []
    for p in ch.paths[:CHAIN_PATHS]:
        paths.append({"nodes": p.nodes, "names": [str(G.nodes[n].get("name") or n) for n in p.nodes], "share": p.share, "hops": p.hops})
    return {
        "owners": ch.owners,
        "paths": paths,
        "more": max(0, len(ch.paths) - CHAIN_PATHS),
        "cycles": ch.cycles,
        "truncated": ch.truncated,
    }


def build_dossier(G: nx.MultiDiGraph, ident: str, centrality_table: pd.DataFrame | None = None) -> dict[str, Any]:
    """Everything the graph says about entity `ident`, as plain data (see the module docstring).

    `centrality_table` is `tracker.metrics.centrality(G)` when the caller already has it (a run
    over many entities computes it once).

    Examples
    --------
    >>> G = nx.MultiDiGraph(name="t", sources={"s": {"title": "T", "url": "https://x.org", "evidence": "news_report"}})
    >>> G.add_node("a", name="Alpha", aliases=["Альфа"], kind="person", sphere="elite")
    >>> G.add_node("b", name="Bank", kind="financial_institution", sphere="london_finance")
    >>> _ = G.add_edge("a", "b", key="r1", kind="advised", label="advised", sources=["s"], evidence="news_report")
    >>> d = build_dossier(G, "a")
    >>> d["names"], [r["id"] for g in d["relations"] for r in g["relations"]], d["to_city"][0]["target"]
    ({'Latin': ['Alpha'], 'Cyrillic': ['Альфа']}, ['r1'], 'b')
    """
    from tracker.model import load_model

    if ident not in G:
        raise UnknownEntity(f"no entity with id {ident!r}")
    model = load_model()
    data = dict(G.nodes[ident])
    names: dict[str, list[str]] = {}
    for text in [str(data.get("name") or ident), *(str(a) for a in data.get("aliases") or [])]:
        bucket = names.setdefault(scripts_of(text), [])
        if text not in bucket:
            bucket.append(text)
    where = {str(k): (u, v) for u, v, k in G.edges(keys=True)}
    groups: dict[str, list[dict[str, Any]]] = defaultdict(list)
    edges = sorted(
        [*G.out_edges(ident, keys=True), *((u, v, k) for u, v, k in G.in_edges(ident, keys=True) if u != ident)], key=lambda e: str(e[2])
    )
    for u, v, key in edges:
        rel = _relation(G, ident, u, v, key, where)
        groups[rel["kind"]].append(rel)
    order = list(model.relation_kinds)
    relations = [
        {"kind": kind, "label": model.relation_kinds[kind].label if kind in model.relation_kinds else kind, "relations": groups[kind]}
        for kind in sorted(groups, key=lambda k: (order.index(k) if k in order else len(order), k))
    ]
    # A jurisdiction's constitutional tie (Crown Dependency, Overseas Territory) is who it is.
    ties = [
        f"{G.edges[u, v, k].get('role') or 'tied'} of {G.nodes[v].get('name') or v}"
        for u, v, k in edges
        if u == ident and G.edges[u, v, k].get("kind") == "constitutional_tie"
    ]
    attributes = {"country": data.get("country"), "constitutional_tie": ties}
    attributes |= {k: data.get(k) for k in ("birth_date", "topics", "offshore", "placeholder", "notes", "dataset", "record_id")}
    # Paths follow ties between actors only: a report about both ends, an index ranking a
    # jurisdiction or a denial is not a channel to the City or offshore (schema `tie: false`).
    from tracker.metrics import tie_kinds

    ties_only = tie_kinds(model)
    T: nx.MultiDiGraph = nx.MultiDiGraph(**G.graph)
    T.add_nodes_from(G.nodes(data=True))
    for u, v, k, e in G.edges(keys=True, data=True):
        if e.get("kind") in ties_only:
            T.add_edge(u, v, key=k, **e)
    city = {n for n, d in G.nodes(data=True) if d.get("sphere") == "london_finance"}
    offshore = {n for n, d in G.nodes(data=True) if d.get("kind") == "jurisdiction" and d.get("offshore") is True}
    # Grouped by sphere in the mission's order (the drawing's ring reads elite → offshore), then by links.
    band = {"elite": 0, "company": 1, "london_finance": 2, "offshore": 3}
    neighbours = sorted(
        {m for u, v, _ in edges for m in (u, v) if m != ident},
        key=lambda m: (band.get(str(G.nodes[m].get("sphere", "")), 4), -G.degree(m), m),
    )
    return {
        "id": ident,
        "name": str(data.get("name") or ident),
        "kind": str(data.get("kind", "")),
        "kind_label": model.entity_kinds[data["kind"]].label if data.get("kind") in model.entity_kinds else str(data.get("kind", "")),
        "sphere": str(data.get("sphere", "")),
        "sphere_label": model.spheres[data["sphere"]].label if data.get("sphere") in model.spheres else str(data.get("sphere", "")),
        "attributes": {k: v for k, v in attributes.items() if v not in (None, "", [], False)},
        "names": names,
        "identifiers": list(data.get("identifiers") or []),
        "sources": _sources(G, data.get("sources") or []),
        "relations": relations,
        "up": _chains(G, ident, "up"),
        "down": _chains(G, ident, "down"),
        "to_city": [] if ident in city else _paths_to(T, ident, city),
        "to_offshore": [] if ident in offshore else _paths_to(T, ident, offshore),
        "ranks": _ranks(G, ident, centrality_table),
        "neighbours": [
            {"id": m, "name": str(G.nodes[m].get("name") or m), "sphere": str(G.nodes[m].get("sphere", ""))} for m in neighbours
        ],
        "dataset": str(G.graph.get("name") or ""),
        "content_hash": str(G.graph.get("content_hash") or ""),
        "data_date": str(G.graph.get("data_date") or ""),
        "disclaimer": model.disclaimer,
        "evidence_labels": {e: m.label for e, m in model.evidence_statuses.items()},
    }


# --- shared text -------------------------------------------------------------------------------

_BIDI = dict.fromkeys([*range(0x202A, 0x202F), *range(0x2066, 0x206A)])


def _plain(value: Any) -> str:
    """One line of text: lists joined, direction overrides shown as codes (they can disguise a name)."""
    if isinstance(value, (list, tuple)):
        value = "; ".join(str(v) for v in value)
    text = " ".join(str(value).split())
    return "".join(f"[U+{ord(c):04X}]" if ord(c) in _BIDI else c for c in text)


def _share(share: tuple[float | None, float | None]) -> str:
    from tracker.chains import _share_text

    return _share_text(share)


def _http(url: Any) -> str:
    from tracker.views import _http as http

    return http(url)


def _sentence(rel: dict[str, Any], name: str) -> str:
    role = f" ({rel['role']})" if rel.get("role") else ""
    a, b = (name, rel["other_name"]) if rel["outgoing"] else (rel["other_name"], name)
    return f"{a} {rel['label']}{role} {b}"


def _facts(rel: dict[str, Any], labels: dict[str, str]) -> list[str]:
    from tracker.views import share_text

    bits = []
    share = share_text(rel)
    if share:
        bits.append(f"share {share}")
    if rel.get("amount") is not None:
        bits.append(f"amount {rel['amount']:,.0f} {rel.get('currency', '')}".rstrip())
    if rel.get("start") or rel.get("end"):
        bits.append(f"{rel.get('start') or '?'} – {rel.get('end') or ''}".rstrip())
    bits.append(labels.get(rel.get("evidence", ""), rel.get("evidence") or "evidence not given"))
    if rel.get("outcome"):
        bits.append(f"outcome: {rel['outcome']}")
    return bits


class _Notes:
    """Sources numbered in order of first citation, listed once at the end."""

    def __init__(self) -> None:
        self.number: dict[str, int] = {}
        self.record: dict[str, dict[str, Any]] = {}

    def cite(self, sources: Iterable[dict[str, Any]]) -> list[int]:
        out = []
        for src in sources:
            sid = str(src["id"])
            if sid not in self.number:
                self.number[sid] = len(self.number) + 1
                self.record[sid] = src
            out.append(self.number[sid])
        return out

    def items(self) -> list[tuple[int, dict[str, Any]]]:
        return [(n, self.record[sid]) for sid, n in sorted(self.number.items(), key=lambda kv: kv[1])]


# --- HTML --------------------------------------------------------------------------------------

_CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,"Noto Sans",sans-serif;margin:2rem auto;max-width:60rem;padding:0 1rem;color:#222;line-height:1.45}
h1{font-size:1.7rem;margin-bottom:.2rem}h2{font-size:1.2rem;margin-top:2rem;border-bottom:1px solid #ccc}h3{font-size:1rem;margin:1.2rem 0 .3rem}
.sub{color:#555;margin-top:0}.disclaimer{font-weight:bold;border-left:4px solid #d1495b;padding:.4rem .7rem;background:#fbf3f4}
dl{display:grid;grid-template-columns:max-content 1fr;gap:.15rem .8rem}dt{color:#555}dd{margin:0}
ul.rels{padding-left:1.1rem}ul.rels>li{margin:.35rem 0}.facts{color:#444;font-size:.9rem}.answer{margin:.2rem 0 .2rem 1rem;font-size:.9rem;border-left:3px solid #ccc;padding-left:.5rem}
.allegation{font-style:italic}table{border-collapse:collapse;font-size:.9rem;margin:.4rem 0}th,td{border:1px solid #ddd;padding:.2rem .45rem;text-align:left;vertical-align:top}
th{background:#f3f3f3}td.n{text-align:right}.hop{margin-left:1.2rem;font-size:.9rem}ol.sources{font-size:.88rem}.note{color:#555;font-size:.88rem}
svg{max-width:100%;height:auto;border:1px solid #e3e3e3}footer{margin-top:2.5rem;border-top:1px solid #ccc;font-size:.85rem;color:#444}
@media print{body{margin:0;max-width:none;font-size:10pt}h2,h3{break-after:avoid}li,tr,svg{break-inside:avoid}a{color:#000;text-decoration:none}
ol.sources a[href^="http"]::after{content:" <" attr(href) ">";font-size:8pt;word-break:break-all}}
""".strip()


def _e(value: Any) -> str:
    return html.escape(_plain(value), quote=True)


def _a(url: Any, text: Any) -> str:
    href = _http(url)
    label = _e(text or url or "")
    return f'<a href="{html.escape(href, quote=True)}" rel="noopener noreferrer">{label}</a>' if href else label


def _marks(numbers: Sequence[int]) -> str:
    if not numbers:
        return ' <span class="note">(no source)</span>'
    return "<sup>[" + ", ".join(f'<a href="#s{n}">{n}</a>' for n in numbers) + "]</sup>"


def _source_line(src: dict[str, Any], labels: dict[str, str]) -> str:
    bits = [_a(src.get("url"), src.get("title") or src.get("url") or src["id"])]
    meta = [_e(x) for x in (src.get("publisher"), src.get("date")) if x]
    if src.get("date_precision") in ("approximate", "not_shown"):
        meta.append("date approximate" if src["date_precision"] == "approximate" else "date not shown on the page")
    if src.get("evidence"):
        meta.append(_e(labels.get(src["evidence"], src["evidence"])))
    if src.get("mirror"):
        meta.append("mirror" + (f" of {_a(src.get('canonical_url'), src.get('canonical_url'))}" if src.get("canonical_url") else ""))
    if src.get("archived_url"):
        meta.append(f"archived: {_a(src['archived_url'], src['archived_url'])}")
    return bits[0] + (" — " + ", ".join(meta) if meta else "")


_SPHERE_COLOURS = {"elite": "#d1495b", "company": "#2e86de", "london_finance": "#e0a100", "offshore": "#1b998b", "other": "#8d99ae"}


def focus_svg(d: dict[str, Any]) -> str:
    """The entity and its neighbours on a circle, coloured by sphere: a static drawing, no script."""
    drawn = d["neighbours"][:DRAWN]
    width, height, cx, cy = 760, 520, 380, 260
    radius = 200 if drawn else 0
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" viewBox="0 0 {width} {height}" '
        'font-family="DejaVu Sans, Arial, sans-serif" role="img" aria-label="The entity and its neighbours">',
        f'<rect x="0" y="0" width="{width}" height="{height}" fill="#ffffff"/>',
    ]
    spots = []
    for i, n in enumerate(drawn):
        angle = -math.pi / 2 + 2 * math.pi * i / max(len(drawn), 1)
        spots.append((n, cx + radius * math.cos(angle), cy + radius * math.sin(angle), angle))
    for _, x, y, _ in spots:
        parts.append(f'<line x1="{cx}" y1="{cy}" x2="{x:.1f}" y2="{y:.1f}" stroke="#9aa1ad" stroke-width="1.2"/>')
    for n, x, y, angle in spots:
        colour = _SPHERE_COLOURS.get(n["sphere"], "#bbbbbb")
        name = n["name"] if len(n["name"]) <= 28 else n["name"][:27] + "…"
        anchor = "start" if math.cos(angle) > 0.2 else "end" if math.cos(angle) < -0.2 else "middle"
        dx = 9 if anchor == "start" else -9 if anchor == "end" else 0
        dy = 4 if anchor != "middle" else (-10 if math.sin(angle) < 0 else 18)
        parts.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="6" fill="{colour}" stroke="#333" stroke-width="0.8"/>')
        parts.append(f'<text x="{x + dx:.1f}" y="{y + dy:.1f}" font-size="11" text-anchor="{anchor}" fill="#1d2430">{_e(name)}</text>')
    colour = _SPHERE_COLOURS.get(d["sphere"], "#bbbbbb")
    parts.append(f'<circle cx="{cx}" cy="{cy}" r="13" fill="{colour}" stroke="#000" stroke-width="2"/>')
    parts.append(
        f'<text x="{cx}" y="{cy + 30}" font-size="13" font-weight="bold" text-anchor="middle" fill="#1d2430" '
        f'stroke="#ffffff" stroke-width="3" paint-order="stroke">{_e(d["name"][:60])}</text>'
    )
    more = len(d["neighbours"]) - len(drawn)
    if more > 0:
        parts.append(f'<text x="10" y="{height - 10}" font-size="11" fill="#555">and {more} more (listed below)</text>')
    parts.append("</svg>")
    return "".join(parts)


def _chain_html(G_names: dict[str, Any], ch: dict[str, Any], direction: str, notes: _Notes) -> list[str]:
    out = []
    who = "Owners and controllers" if direction == "up" else "Holdings"
    if not ch["owners"]:
        out.append(f'<p class="note">No {"owner or controller" if direction == "up" else "holding"} recorded.</p>')
        return out
    rows = "".join(
        f"<tr><td>{_e(o['name'])}</td><td>{_e(_share((o['share_min'], o['share_max'])))}</td><td>{_e(o['basis'])}</td>"
        f'<td>{_e(o["psc"] or "-")}</td><td class="n">{o["paths"]}</td><td>{"yes" if o["ultimate"] else "no"}</td></tr>'
        for o in ch["owners"]
    )
    out.append(
        f"<table><thead><tr><th>{who}</th><th>effective share</th><th>basis</th><th>PSC band</th><th>paths</th><th>ultimate</th></tr></thead>"
        f"<tbody>{rows}</tbody></table>"
    )
    arrow = " ← " if direction == "up" else " → "
    for i, p in enumerate(ch["paths"], start=1):
        out.append(f"<p><b>{i}.</b> {_e(arrow.join(p['names']))} — effective share {_e(_share(p['share']))}</p>")
        for h in p["hops"]:
            for r in h["relations"]:
                a, b = G_names.get(r["source"], r["source"]), G_names.get(r["target"], r["target"])
                role = f" ({r['role']})" if r.get("role") else ""
                out.append(f'<div class="hop">{_e(a + " " + r["label"] + role + " " + b)}{_marks(notes.cite(r["sources"]))}</div>')
    if ch["more"]:
        out.append(f'<p class="note">{ch["more"]} more paths: run <code>tracker chains</code>.</p>')
    if ch["cycles"]:
        out.append(f'<p class="note">Ownership cycles (listed, not followed): {len(ch["cycles"])}.</p>')
    return out


def _paths_html(G_names: dict[str, Any], paths: list[dict[str, Any]], labels: dict[str, str], notes: _Notes) -> list[str]:
    out = []
    for p in paths:
        route = " → ".join(G_names.get(n, n) for n in p["nodes"])
        out.append(f"<h3>To {_e(p['target_name'])} ({p['length']} hop{'s' if p['length'] != 1 else ''})</h3><p>{_e(route)}</p>")
        for h in p["hops"]:
            for r in h["relations"]:
                a, b = G_names.get(r["source"], r["source"]), G_names.get(r["target"], r["target"])
                role = f" ({r['role']})" if r.get("role") else ""
                ev = labels.get(r.get("evidence", ""), r.get("evidence", ""))
                outcome = f"; outcome: {r['outcome']}" if r.get("outcome") else ""
                out.append(
                    f'<div class="hop">{_e(a + " " + r["label"] + role + " " + b)} <span class="facts">({_e(ev + outcome)})</span>{_marks(notes.cite(r["sources"]))}</div>'
                )
    return out


def dossier_html(
    G: nx.MultiDiGraph, ident: str, centrality_table: pd.DataFrame | None = None, dossier: dict[str, Any] | None = None
) -> str:
    """The dossier of entity `ident` as one offline HTML page (see the module docstring).

    `dossier` is `build_dossier(G, ident)` when the caller already has it (to write both formats).
    """
    from tracker.views import _csp_hash

    d = dossier if dossier is not None else build_dossier(G, ident, centrality_table)
    labels = d["evidence_labels"]
    names = {n: str(G.nodes[n].get("name") or n) for n in G}
    notes = _Notes()
    csp = f"default-src 'none'; style-src {_csp_hash(_CSS)}; img-src data:; base-uri 'none'; form-action 'none'"
    p: list[str] = [
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f'<meta http-equiv="Content-Security-Policy" content="{csp}">'
        '<meta name="viewport" content="width=device-width, initial-scale=1"><meta name="referrer" content="no-referrer">'
        f"<title>Dossier: {_e(d['name'])}</title><style>{_CSS}</style></head><body>",
        f"<h1>{_e(d['name'])}</h1>",
        f'<p class="sub">{_e(d["kind_label"])} · {_e(d["sphere_label"])} · id <code>{_e(d["id"])}</code> · dossier from '
        f"{_e(d['dataset'] or 'the data')}, data as of {_e(d['data_date'] or 'unknown')}</p>",
        f'<p class="disclaimer">{_e(d["disclaimer"])}</p>',
        "<h2>Who it is</h2><dl>",
    ]
    for script, texts in d["names"].items():
        p.append(f"<dt>Names ({_e(script)})</dt><dd>{_e('; '.join(texts))}</dd>")
    if d["identifiers"]:
        p.append(f"<dt>Identifiers</dt><dd>{_e(d['identifiers'])}</dd>")
    for key, value in d["attributes"].items():
        p.append(f"<dt>{_e(key.replace('_', ' ').capitalize())}</dt><dd>{_e('yes' if value is True else value)}</dd>")
    own = notes.cite(d["sources"])
    p.append(f"<dt>Sources for the entity</dt><dd>{_marks(own) if own else 'none of its own; see its relations'}</dd></dl>")

    p.append("<h2>Its neighbourhood</h2>")
    p.append(focus_svg(d))
    p.append(
        f'<p class="note">{len(d["neighbours"])} linked entities, coloured by sphere: elite red, companies blue, City of London amber, offshore green, other grey.</p>'
    )

    count = sum(len(g["relations"]) for g in d["relations"])
    p.append(f"<h2>Relations ({count})</h2>")
    for group in d["relations"]:
        p.append(f'<h3>{_e(group["label"])} ({len(group["relations"])})</h3><ul class="rels">')
        for r in group["relations"]:
            cls = ' class="allegation"' if r.get("evidence") == "allegation" else ""
            p.append(f"<li{cls}>{_e(_sentence(r, d['name']))}{_marks(notes.cite(r['sources']))}")
            p.append(f'<div class="facts">{_e(" · ".join(_facts(r, labels)))}</div>')
            if r.get("note"):
                p.append(f'<div class="facts">{_e(r["note"])}</div>')
            for a in r["answers"]:
                who_a, who_b = names.get(a["source"], a["source"]), names.get(a["target"], a["target"])
                text = f"{a['role_in_claim'].capitalize()}: {who_a} {a['label']} {who_b} ({labels.get(a['evidence'], a['evidence'])}"
                text += f"; outcome: {a['outcome']})" if a.get("outcome") else ")"
                p.append(f'<div class="answer">{_e(text)}{_marks(notes.cite(a["sources"]))}</div>')
            p.append("</li>")
        p.append("</ul>")

    p.append("<h2>Ownership and control chains</h2><h3>Above it: who owns or controls it</h3>")
    p += _chain_html(names, d["up"], "up", notes)
    p.append("<h3>Below it: what it holds</h3>")
    p += _chain_html(names, d["down"], "down", notes)

    p.append("<h2>Shortest explained paths to the City of London</h2>")
    if d["sphere"] == "london_finance":
        p.append('<p class="note">It is itself in the City of London sphere.</p>')
    elif not d["to_city"]:
        p.append('<p class="note">No path to a City of London entity in the data.</p>')
    p += _paths_html(names, d["to_city"], labels, notes)
    p.append("<h2>Shortest explained paths to offshore jurisdictions</h2>")
    if d["kind"] == "jurisdiction" and d["attributes"].get("offshore") is True:
        p.append('<p class="note">It is itself an offshore jurisdiction.</p>')
    elif not d["to_offshore"]:
        p.append('<p class="note">No path to an offshore jurisdiction in the data.</p>')
    p += _paths_html(names, d["to_offshore"], labels, notes)
    p.append(
        '<p class="note">As <code>tracker path</code>, over the ties between actors (not reports, rankings or responses): '
        "paths do not pass through a jurisdiction or a hub; each hop lists every such relation between its two entities.</p>"
    )

    p.append("<h2>Centrality ranks</h2>")
    if d["ranks"]:
        rows = "".join(
            f'<tr><td>{_e(r["metric"])}</td><td class="n">{r["value"]:.4g}</td><td class="n">{r["rank"]} of {r["of"]}</td></tr>'
            for r in d["ranks"]
        )
        p.append(f"<table><thead><tr><th>metric</th><th>value</th><th>rank</th></tr></thead><tbody>{rows}</tbody></table>")
        p.append('<p class="note">Scores describe its position in the recorded network, not its conduct.</p>')

    if d["neighbours"]:
        p.append("<h2>Linked entities</h2><p>" + _e(", ".join(n["name"] for n in d["neighbours"])) + "</p>")

    p.append('<h2 id="sources">Sources</h2><ol class="sources">')
    for n, src in notes.items():
        p.append(f'<li id="s{n}" value="{n}">{_source_line(src, labels)} <span class="note">({_e(src["id"])})</span></li>')
    p.append("</ol>")
    p.append(
        f'<footer><p class="disclaimer">{_e(d["disclaimer"])}</p><p>Dataset {_e(d["dataset"])}; content hash <code>{_e(d["content_hash"])}</code>; '
        "made by tracker from the cited sources only; the same data gives the same file. Check each source before you publish.</p></footer>"
    )
    p.append("</body></html>")
    return "\n".join(p) + "\n"


# --- Markdown ------------------------------------------------------------------------------------

_MD_SPECIAL = re.compile(r"([\\`*_\[\]|~])")


def _m(value: Any) -> str:
    r"""Text safe in Markdown: the characters that make links, emphasis, code and tables escaped,
    "<", ">" and "&" as entities (no inline HTML), one line.

    Examples
    --------
    >>> _m("[x](javascript:alert(1)) <b>*")
    '\\[x\\](javascript:alert(1)) &lt;b&gt;\\*'
    """
    text = _plain(value).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return _MD_SPECIAL.sub(r"\\\1", text)


def _md_link(url: Any, text: Any) -> str:
    href = _http(url)
    if not href:
        return _m(text or url or "")
    href = href.replace("(", "%28").replace(")", "%29").replace(" ", "%20").replace("<", "%3C").replace(">", "%3E")
    return f"[{_m(text or url)}](<{href}>)"


def _md_marks(numbers: Sequence[int]) -> str:
    return "".join(f"[^{n}]" for n in numbers) if numbers else " (no source)"


def dossier_markdown(
    G: nx.MultiDiGraph, ident: str, centrality_table: pd.DataFrame | None = None, dossier: dict[str, Any] | None = None
) -> str:
    """The dossier of entity `ident` as Markdown (footnotes for sources), for a newsroom's editor."""
    d = dossier if dossier is not None else build_dossier(G, ident, centrality_table)
    labels = d["evidence_labels"]
    names = {n: str(G.nodes[n].get("name") or n) for n in G}
    notes = _Notes()
    out = [
        f"# {_m(d['name'])}",
        "",
        f"{_m(d['kind_label'])} · {_m(d['sphere_label'])} · id `{_plain(d['id']).replace('`', '')}` · "
        f"{_m(d['dataset'])}, data as of {_m(d['data_date'] or 'unknown')}",
        "",
        f"**{_m(d['disclaimer'])}**",
        "",
        "## Who it is",
        "",
    ]
    for script, texts in d["names"].items():
        out.append(f"- Names ({_m(script)}): {_m('; '.join(texts))}")
    if d["identifiers"]:
        out.append(f"- Identifiers: {_m(d['identifiers'])}")
    for key, value in d["attributes"].items():
        out.append(f"- {_m(key.replace('_', ' ').capitalize())}: {_m('yes' if value is True else value)}")
    own = notes.cite(d["sources"])
    out.append(f"- Sources for the entity: {_md_marks(own) if own else 'none of its own; see its relations'}")
    count = sum(len(g["relations"]) for g in d["relations"])
    out += ["", f"## Relations ({count})"]
    for group in d["relations"]:
        out += ["", f"### {_m(group['label'])} ({len(group['relations'])})", ""]
        for r in group["relations"]:
            out.append(f"- {_m(_sentence(r, d['name']))}{_md_marks(notes.cite(r['sources']))}  ")
            out.append(f"  {_m(' · '.join(_facts(r, labels)))}")
            if r.get("note"):
                out.append(f"  {_m(r['note'])}")
            for a in r["answers"]:
                who_a, who_b = names.get(a["source"], a["source"]), names.get(a["target"], a["target"])
                text = f"{a['role_in_claim'].capitalize()}: {who_a} {a['label']} {who_b} ({labels.get(a['evidence'], a['evidence'])}"
                text += f"; outcome: {a['outcome']})" if a.get("outcome") else ")"
                out.append(f"  - {_m(text)}{_md_marks(notes.cite(a['sources']))}")
    out += ["", "## Ownership and control chains"]
    for direction, title in (("up", "Above it: who owns or controls it"), ("down", "Below it: what it holds")):
        ch = d[direction]
        out += ["", f"### {title}", ""]
        if not ch["owners"]:
            out.append("None recorded.")
            continue
        out += ["| entity | effective share | basis | PSC band | paths |", "| --- | --- | --- | --- | --- |"]
        for o in ch["owners"]:
            out.append(
                f"| {_m(o['name'])} | {_m(_share((o['share_min'], o['share_max'])))} | {_m(o['basis'])} | {_m(o['psc'] or '-')} | {o['paths']} |"
            )
        arrow = " ← " if direction == "up" else " → "
        out.append("")
        for i, p in enumerate(ch["paths"], start=1):
            marks = "".join(_md_marks(notes.cite(r["sources"])) for h in p["hops"] for r in h["relations"])
            out.append(f"{i}. {_m(arrow.join(p['names']))}, effective share {_m(_share(p['share']))}{marks}")
    for key, title in (
        ("to_city", "Shortest explained paths to the City of London"),
        ("to_offshore", "Shortest explained paths to offshore jurisdictions"),
    ):
        out += ["", f"## {title}", ""]
        if not d[key]:
            out.append(
                "None in the data."
                if not (key == "to_city" and d["sphere"] == "london_finance")
                else "It is itself in the City of London sphere."
            )
        for p in d[key]:
            out.append(f"- To {_m(p['target_name'])}: {_m(' → '.join(names.get(n, n) for n in p['nodes']))}")
            for h in p["hops"]:
                for r in h["relations"]:
                    role = f" ({r['role']})" if r.get("role") else ""
                    ev = labels.get(r.get("evidence", ""), r.get("evidence", ""))
                    text = f"{names.get(r['source'], r['source'])} {r['label']}{role} {names.get(r['target'], r['target'])} ({ev})"
                    out.append(f"  - {_m(text)}{_md_marks(notes.cite(r['sources']))}")
    out += ["", "Paths follow ties between actors (not reports, rankings or responses), as `tracker path` does without them."]
    if d["ranks"]:
        out += ["", "## Centrality ranks", "", "| metric | value | rank |", "| --- | --- | --- |"]
        out += [f"| {r['metric']} | {r['value']:.4g} | {r['rank']} of {r['of']} |" for r in d["ranks"]]
    if d["neighbours"]:
        out += ["", "## Linked entities", "", _m(", ".join(n["name"] for n in d["neighbours"]))]
    out += ["", "## Sources", ""]
    for n, src in notes.items():
        meta = ", ".join(_m(x) for x in (src.get("publisher"), src.get("date"), labels.get(src.get("evidence", ""), "")) if x)
        out.append(f"[^{n}]: {_md_link(src.get('url'), src.get('title') or src.get('url') or src['id'])}{' — ' + meta if meta else ''}")
    out += ["", "---", "", f"**{_m(d['disclaimer'])}** Dataset {_m(d['dataset'])}, content hash `{d['content_hash']}`."]
    return "\n".join(out) + "\n"


def write_dossier(G: nx.MultiDiGraph, ident: str, path: Path, fmt: str = "html") -> Path:
    """Write the dossier of `ident` to `path` (atomically) as ``html`` or ``md``; returns the path."""
    if fmt not in FORMATS:
        raise ValueError(f"format must be one of {', '.join(FORMATS)}, not {fmt!r}")
    text = dossier_html(G, ident) if fmt == "html" else dossier_markdown(G, ident)
    return write_text(Path(path), text)
