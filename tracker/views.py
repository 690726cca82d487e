"""The interactive network view: one offline HTML file in which every line cites its sources.

pyvis 0.3.2 provides what it does well, vis-network's script and style and the vis options its
`Network` sets up, and is kept away from what it does badly: its own page links Bootstrap and
vis-network from CDNs and may write a `lib/` folder into the current directory, `from_nx` mutates
the graph it is given, and `add_node`/`add_edge` are quadratic on large graphs. So the vis nodes
and edges are built here as plain dicts, the page is the project's own template
(`tracker/templates/view.html`, filled as Jinja fills it: `render_template`), the options are pyvis's written out
(`_pyvis_options`, checked against pyvis by the tests), and vis-network's files are read from the
installed pyvis package, without importing it (its import pulls in IPython), and inlined, so the
file opens with no network request at all and a strict Content-Security-Policy.

Everything the page shows comes from one JSON block, escaped so that no data can end the script
element; the page's script sets all text with `textContent` and links only http(s) URLs.
"""

from __future__ import annotations

import base64
import hashlib
import json
import math
import os
import re
import sys
import unicodedata
from collections import defaultdict
from collections.abc import Mapping, Sequence
from datetime import datetime, timezone
from importlib import resources
from pathlib import Path
from typing import Any

import networkx as nx

from tracker.exc import TrackerError, UnknownEntity, ViewTooLarge
from tracker.model import load_model
from tracker.output import write_text

__all__ = [
    "write_view",
    "render_view",
    "with_answers",
    "centrality",
    "layout",
    "js_skeleton",
    "share_text",
    "sphere_layout",
    "describe",
    "SIZE_BY",
    "LAYOUTS",
    "SPHERE_ORDER",
    "MAX_NODES",
    "LAYOUT_THRESHOLD",
]

#: Past this many entities a view is refused: the page would take minutes to open (issue 4).
MAX_NODES = 5000
#: Above this many entities the layout is computed in Python and shipped with physics off;
#: vis-network's own physics showed only a progress bar for 110 s at 1,000 nodes (issue 4).
LAYOUT_THRESHOLD = 300
SIZE_BY = ("pagerank", "betweenness", "degree")
#: "force": a force-directed map (vis physics in the page, or igraph above LAYOUT_THRESHOLD);
#: "spheres": the mission's picture, the four spheres as bands from left to right.
LAYOUTS = ("force", "spheres")
#: The bands of the sphere layout, left to right; every other sphere goes in a strip below.
SPHERE_ORDER = ("elite", "company", "london_finance", "offshore")
#: Labels drawn at the opening zoom at least (the most central entities first).
TOP_LABELS = 12

# The vis-network build that ships inside pyvis 0.3.2 (pinned in pyproject.toml).
VIS_DIR = "templates/lib/vis-9.1.2"
VIS_VERSION = "9.1.2"
LAYOUT_SEED = 20240601


# Colour per sphere (the mission's four spheres plus "other"); colour-blind-safe-ish and distinct
# from the edge colours below.
SPHERE_COLOURS = {
    "elite": "#d1495b",
    "company": "#2e86de",
    "london_finance": "#e0a100",
    "offshore": "#1b998b",
    "other": "#8d99ae",
}
UNKNOWN_COLOUR = "#bbbbbb"

# Shape per entity kind: only vis shapes whose size follows `value` (label below the shape);
# two kinds share a shape and differ by a dashed border.
KIND_SHAPES: dict[str, tuple[str, bool]] = {
    "person": ("dot", False),
    "company": ("square", False),
    "financial_institution": ("diamond", False),
    "professional_firm": ("triangle", False),
    "trust_or_foundation": ("hexagon", False),
    "property": ("triangleDown", False),
    "jurisdiction": ("star", False),
    "public_body": ("square", True),
    "organisation": ("dot", True),
}

# Colour per relation kind, by family of kinds.
_RELATION_GROUPS: dict[str, tuple[str, ...]] = {
    "#1f3b73": ("owns", "beneficial_owner_of", "controls", "registered_owner_of"),
    "#b5179e": ("family", "associate"),
    "#0f7173": ("officer_of", "employed_by", "founder_of"),
    "#e76f51": ("advised", "financed", "underwrote", "listed_on"),
    "#6c757d": ("registered_in", "located_in"),
    "#8a5a44": ("transaction",),
    "#c1121f": ("litigation", "investigated_by", "sanctioned_by"),
    "#7b2cbf": ("alleged", "response", "reported_on"),
    "#a8b0b8": ("ranked",),
}
RELATION_COLOURS = {kind: colour for colour, kinds in _RELATION_GROUPS.items() for kind in kinds}
DEFAULT_EDGE_COLOUR = "#555555"
ALLEGATION_COLOUR = "#9e9e9e"

# Line style per evidence status: findings and registers solid and strong, allegations dashed
# and grey, so that a claim never looks like a finding.
EVIDENCE_STYLES: dict[str, tuple[float, list[int] | bool]] = {
    "official_register": (4.0, False),
    "court_judgment": (4.0, False),
    "company_filing": (2.5, False),
    "government_statement": (2.5, False),
    "investigative_report": (2.0, False),
    "news_report": (1.5, False),
    "allegation": (1.5, [8, 6]),
}
UNKNOWN_EVIDENCE_STYLE: tuple[float, list[int] | bool] = (1.5, [2, 4])
HIGHLIGHT_COLOUR = "#ff7f0e"

# Unicode blocks whose letters get an explicit transliteration in the page's search (Latin-1 and
# Latin Extended, Greek, Cyrillic with the Kazakh letters); the rest is NFKD plus mark stripping.
_FOLD_RANGES = ((0x00C0, 0x024F), (0x0370, 0x03FF), (0x0400, 0x052F))


def write_view(
    G: nx.MultiDiGraph,
    path: Path,
    *,
    title: str | None = None,
    size_by: str = "pagerank",
    highlight: list[list[str]] | None = None,
    focus: str | None = None,
    layout: str = "force",
    made_with: Mapping[str, Any] | None = None,
) -> Path:
    """Write the interactive view of `G` to `path` (atomically) and return the path.

    Parameters
    ----------
    G : nx.MultiDiGraph
        A canonical graph (or a filtered copy); it is not changed.
    path : Path
        The HTML file to write; folders are created.
    title : str, optional
        The page title; default "tracker: <dataset name>".
    size_by : {"pagerank", "betweenness", "degree"}
        The centrality that sizes the nodes.
    highlight : list of list of str, optional
        Paths (lists of entity ids) to draw highlighted, e.g. the shortest paths of `--path`.
    focus : str, optional
        An entity id to select and centre when the page opens.
    layout : {"force", "spheres"}
        The layout the page opens with; the page can switch to the other.
    made_with : mapping, optional
        The narrowing that made `G` (keys ``focus``, ``depth``, ``path``, ``spheres``, ``kinds``,
        ``as_of``, ``min_degree``), so that the page's title and caption say what it shows.

    Returns
    -------
    Path
        `path`.

    Raises
    ------
    ViewTooLarge
        When `G` has more than `MAX_NODES` entities.
    """
    html = render_view(G, title=title, size_by=size_by, highlight=highlight, focus=focus, layout=layout, made_with=made_with)
    return write_text(Path(path), html)


def render_view(
    G: nx.MultiDiGraph,
    *,
    title: str | None = None,
    size_by: str = "pagerank",
    highlight: list[list[str]] | None = None,
    focus: str | None = None,
    layout: str = "force",
    made_with: Mapping[str, Any] | None = None,
    name_keys: Mapping[str, str] | None = None,
) -> str:
    """The HTML text of the view (see `write_view`); byte-identical for the same input.

    `name_keys` maps names and aliases to their skeletons (`tracker.names.skeleton`) where a
    store holds them already: the page is the same, and a name in another script is not
    transliterated again (which would import the transliteration library, a fifth of a second).
    """
    n = G.number_of_nodes()
    if n > MAX_NODES:
        raise ViewTooLarge(
            f"{n} entities is too many for one view (the cap is {MAX_NODES}); "
            "narrow it with --focus ENTITY --depth N, --sphere, --kind or --min-degree"
        )
    if size_by not in SIZE_BY:
        raise ValueError(f"size_by must be one of {', '.join(SIZE_BY)}, not {size_by!r}")
    if layout not in LAYOUTS:
        raise ValueError(f"layout must be one of {', '.join(LAYOUTS)}, not {layout!r}")
    paths = [list(p) for p in (highlight or []) if p]
    for ident in [focus] if focus else []:
        if ident not in G:
            raise UnknownEntity(f"no entity with id {ident!r} in the view")
    for p in paths:
        for ident in p:
            if ident not in G:
                raise UnknownEntity(f"no entity with id {ident!r} in the view")
    name = str(G.graph.get("name") or "")
    caption = describe(G, made_with or {})
    if not title:
        title = f"tracker: {name}" if name else "tracker network"
        if caption:
            title = f"{title} — {caption}"

    scores = centrality(G, size_by)
    force = force_layout(G) if n > LAYOUT_THRESHOLD else None
    spheres, bands = sphere_layout(G, base=force)
    positions = spheres if layout == "spheres" else force
    nodes, edges = _vis_items(G, scores, positions, paths, focus)
    payload = _payload(G, nodes, edges, paths, focus, title, size_by, fixed=positions is not None, name_keys=name_keys)
    payload["meta"].update(
        {
            "layout": layout,
            "caption": caption,
            "made_with": _clean(dict(made_with or {})),
            "bands": bands,
            "disclaimer": load_model().disclaimer,
        }
    )
    payload["positions"] = {"force": _xy(force), "spheres": _xy(spheres)}
    payload["top_labels"] = _top(scores, TOP_LABELS)
    return _render_page(G, title, nodes, edges, payload, fixed=positions is not None)


def with_answers(full: nx.MultiDiGraph, H: nx.MultiDiGraph) -> nx.MultiDiGraph:
    """`H` plus, from `full`, every relation that answers or is answered by one of its relations.

    A filter (a date, a focus) must not show a claim without its denial or outcome: the
    relations named by `referred_by` and `refers_to` come back, with their two entities.
    Returns a new graph; neither input is changed.

    Examples
    --------
    >>> full = nx.MultiDiGraph()
    >>> full.add_edge("a", "b", key="claim", referred_by=["denial"], refers_to=[])
    'claim'
    >>> full.add_edge("b", "c", key="denial", referred_by=[], refers_to=["claim"])
    'denial'
    >>> H = full.edge_subgraph([("a", "b", "claim")]).copy()
    >>> sorted(k for _, _, k in with_answers(full, H).edges(keys=True))
    ['claim', 'denial']
    """
    out = H.copy()
    where = {k: (u, v) for u, v, k in full.edges(keys=True)}
    todo = [k for _, _, k in H.edges(keys=True)]
    seen = set(todo)
    while todo:
        key = todo.pop()
        u, v = where.get(key, (None, None))
        if u is None:
            continue
        d = full.edges[u, v, key]
        for ref in [*d.get("referred_by", []), *d.get("refers_to", [])]:
            if ref in seen or ref not in where:
                continue
            seen.add(ref)
            todo.append(ref)
            a, b = where[ref]
            for x in (a, b):
                if x not in out:
                    out.add_node(x, **full.nodes[x])
            out.add_edge(a, b, key=ref, **full.edges[a, b, ref])
    return out


def centrality(G: nx.MultiDiGraph, size_by: str = "pagerank") -> dict[str, float]:
    """Centrality per entity, for sizing nodes: the same figures as `tracker centrality`.

    It comes from `tracker.metrics.centrality` (PageRank on the directed collapse weighted by
    number of relations; betweenness on the undirected collapse, sampled with a fixed seed on
    large graphs; degree = number of relations), so a node's size matches the report.

    Examples
    --------
    >>> G = nx.MultiDiGraph([("a", "b"), ("c", "b"), ("b", "d")])
    >>> c = centrality(G, "degree")
    >>> max(c, key=c.get)
    'b'
    """
    from tracker.metrics import scores

    if G.number_of_nodes() == 0:
        return {}
    try:
        column = scores(G, size_by)
    except nx.PowerIterationFailedConvergence:
        column = scores(G, "degree")
    return {str(k): float(v) for k, v in column.items()}


def force_layout(G: nx.MultiDiGraph, seed: int = LAYOUT_SEED) -> dict[str, tuple[int, int]]:
    """Fixed x/y per entity: `tracker.engine.layout` (igraph Fruchterman-Reingold, seeded, ids sorted)."""
    from tracker.engine import layout as engine_layout

    return engine_layout(G, seed=seed)  # type: ignore[return-value]


layout = force_layout  # the older name


# Spacing of the sphere layout, in canvas units (the page fits the whole to the screen).
_COL_GAP, _ROW_GAP, _BAND_GAP = 190, 56, 80


def sphere_layout(
    G: nx.MultiDiGraph, seed: int = LAYOUT_SEED, base: dict[str, tuple[int, int]] | None = None
) -> tuple[dict[str, tuple[int, int]], list[dict[str, Any]]]:
    """The four spheres as bands from left to right, every other entity in a strip below.

    Elite, companies, City of London finance and offshore (`SPHERE_ORDER`) each get a band;
    the lines that cross the bands, from the elite through companies and the City to offshore,
    are then the picture. Inside a band the entities sit on a staggered grid (so no two
    overlap), ordered top to bottom by a few barycentre sweeps that start from the seeded force
    layout: an entity moves towards the height of the entities it is linked to, which keeps
    lines short and crossings few (`base` is that force layout when the caller has it). Returns the positions and the bands (name, label, box) for
    the page to draw behind them. Deterministic: the same graph gives the same numbers.

    Examples
    --------
    >>> G = nx.MultiDiGraph()
    >>> G.add_nodes_from([("p", {"sphere": "elite"}), ("c", {"sphere": "company"}), ("o", {"sphere": "offshore"}), ("x", {"sphere": "other"})])
    >>> _ = G.add_edge("p", "c"), G.add_edge("c", "o"), G.add_edge("x", "c")
    >>> pos, bands = sphere_layout(G)
    >>> pos["p"][0] < pos["c"][0] < pos["o"][0], pos["x"][1] > pos["c"][1]
    (True, True)
    >>> [b["name"] for b in bands]
    ['elite', 'company', 'offshore', 'other']
    """
    from tracker.model import load_model

    if G.number_of_nodes() == 0:
        return {}, []
    model = load_model()
    if base is None:
        base = force_layout(G, seed)
    groups: dict[str, list[str]] = {s: [] for s in (*SPHERE_ORDER, "other")}
    for ident in sorted(G.nodes):
        sphere = str(G.nodes[ident].get("sphere", ""))
        groups[sphere if sphere in SPHERE_ORDER else "other"].append(ident)
    n = G.number_of_nodes()
    rows_cap = max(6, math.ceil(1.6 * math.sqrt(n)))
    # Rank inside a band: start from the force layout's height, then pull towards neighbours.
    rank: dict[str, float] = {}
    for members in groups.values():
        for i, ident in enumerate(sorted(members, key=lambda m: (base[m][1], base[m][0], m))):
            rank[ident] = i / max(len(members) - 1, 1)
    U: nx.Graph = nx.Graph()
    U.add_nodes_from(sorted(G.nodes))
    U.add_edges_from(sorted((u, v) for u, v in G.edges() if u != v))
    for _ in range(6):
        target = {}
        for ident in U:
            nbrs = [rank[m] for m in sorted(U.neighbors(ident))]
            target[ident] = (sum(nbrs) + rank[ident]) / (len(nbrs) + 1)
        for members in groups.values():
            for i, ident in enumerate(sorted(members, key=lambda m: (target[m], rank[m], m))):
                rank[ident] = i / max(len(members) - 1, 1)
    pos: dict[str, tuple[int, int]] = {}
    bands: list[dict[str, Any]] = []
    x = 0
    height = (rows_cap - 1) * _ROW_GAP
    for sphere in SPHERE_ORDER:
        members = sorted(groups[sphere], key=lambda m: (rank[m], m))
        if not members:
            continue
        cols = math.ceil(len(members) / rows_cap)
        rows = math.ceil(len(members) / cols)
        dy = height / max(rows - 1, 1) if rows > 1 else 0
        for i, ident in enumerate(members):
            row, col = divmod(i, cols)
            # Staggered columns: alternate rows shift half a column, so lines do not run along a row.
            shift = (_COL_GAP / 2) * (row % 2) if cols > 1 else (_COL_GAP / 5) * (row % 2)
            pos[ident] = (round(x + col * _COL_GAP + shift), round(row * dy if rows > 1 else height / 2))
        width = (cols - 1) * _COL_GAP + (_COL_GAP / 2 if cols > 1 else _COL_GAP / 5)
        label = model.spheres[sphere].label if sphere in model.spheres else sphere
        bands.append({"name": sphere, "label": label, "x0": x - 70, "x1": round(x + width + 70), "y0": -80, "y1": round(height + 50)})
        x = round(x + width + _BAND_GAP + 140)
    others = sorted(groups["other"], key=lambda m: (base[m][0], base[m][1], m))
    if others:
        right = max(bands[-1]["x1"] - 70 if bands else 0, 0)
        per_row = max(1, math.floor(right / _COL_GAP) + 1) if right else max(1, math.ceil(math.sqrt(len(others))))
        top = height + 230
        for i, ident in enumerate(others):
            row, col = divmod(i, per_row)
            pos[ident] = (round(col * _COL_GAP + (_COL_GAP / 2) * (row % 2)), round(top + row * _ROW_GAP * 1.4))
        rows = math.ceil(len(others) / per_row)
        label = model.spheres["other"].label if "other" in model.spheres else "Other"
        bands.append(
            {
                "name": "other",
                "label": label,
                "x0": -70,
                "x1": round(max(right, (per_row - 1) * _COL_GAP) + _COL_GAP / 2 + 70),
                "y0": top - 80,
                "y1": round(top + (rows - 1) * _ROW_GAP * 1.4 + 50),
            }
        )
    return pos, bands


def _xy(pos: dict[str, tuple[int, int]] | None) -> dict[str, list[int]] | None:
    return None if pos is None else {k: [int(x), int(y)] for k, (x, y) in sorted(pos.items())}


def _top(scores: dict[str, float], k: int) -> list[str]:
    """The `k` most central ids (highest score first, ties by id): labelled at any zoom."""
    return [i for i, _ in sorted(scores.items(), key=lambda kv: (-kv[1], kv[0]))[:k]]


def describe(G: nx.MultiDiGraph, made_with: Mapping[str, Any]) -> str:
    """What a page shows, in words: focus and depth, path, spheres, kinds, as-of, minimum degree.

    The page's title and caption carry it, so a saved or shared page says how it was made.

    Examples
    --------
    >>> G = nx.MultiDiGraph()
    >>> G.add_node("tk", name="Timur Kulibayev")
    >>> describe(G, {"focus": "tk", "depth": 2, "as_of": "2012", "spheres": ["elite", "offshore"]})
    'around Timur Kulibayev (2 hops) · spheres: Elite, Offshore · in force on 2012'
    >>> describe(G, {})
    ''
    """
    from tracker.model import load_model

    model = load_model()

    def name(ident: Any) -> str:
        ident = str(ident)
        return str(G.nodes[ident].get("name") or ident) if ident in G else ident

    bits: list[str] = []
    if made_with.get("focus"):
        depth = made_with.get("depth")
        hops = f" ({depth} hop{'s' if depth != 1 else ''})" if depth is not None else ""
        bits.append(f"around {name(made_with['focus'])}{hops}")
    path = made_with.get("path") or []
    if len(path) == 2:
        bits.append(f"shortest paths {name(path[0])} ↔ {name(path[1])}")
    if made_with.get("spheres"):
        labels = [model.spheres[s].label if s in model.spheres else str(s) for s in made_with["spheres"]]
        bits.append("spheres: " + ", ".join(labels))
    if made_with.get("kinds"):
        labels = [model.entity_kinds[k].label if k in model.entity_kinds else str(k) for k in made_with["kinds"]]
        bits.append("kinds: " + ", ".join(labels))
    if made_with.get("as_of"):
        bits.append(f"in force on {made_with['as_of']}")
    if made_with.get("min_degree"):
        bits.append(f"at least {made_with['min_degree']} relations each")
    return _label_text(" · ".join(bits), 400)


def share_text(d: dict[str, Any]) -> str:
    """An ownership share as short text (`tracker.render.share_text`, the one formatter)."""
    from tracker.render import share_text as text

    return text(d)


# --- names: the search keys the page compares a typed query with -------------------------------


#: `_fold_map_from_rigour`, written out: the page needs the whole table, and importing rigour to
#: make it costs a fifth of a second of every view (tests/test_startup.py checks the file against
#: rigour; after upgrading rigour, rewrite it with `write_fold_map`).
FOLD_MAP_FILE = "templates/fold_map.json"


def _fold_map() -> dict[str, str]:
    """Per-letter transliteration for the page's search (`FOLD_MAP_FILE`)."""
    table: dict[str, str] = json.loads(_asset("tracker", FOLD_MAP_FILE))
    return table


def write_fold_map(path: Path | None = None) -> Path:
    """Write `_fold_map_from_rigour()` to `FOLD_MAP_FILE` (or `path`); returns the path written."""
    target = path or Path(__file__).resolve().parent / FOLD_MAP_FILE
    target.write_text(json.dumps(_fold_map_from_rigour(), ensure_ascii=True, sort_keys=True, indent=0) + "\n", encoding="utf-8")
    return target


def _fold_map_from_rigour() -> dict[str, str]:
    """Per-letter transliteration for the page's search, taken from rigour (as names.fold is)."""
    from rigour.text import ascii_text

    table: dict[str, str] = {}
    for lo, hi in _FOLD_RANGES:
        for code in range(lo, hi + 1):
            ch = chr(code)
            if not unicodedata.category(ch).startswith("L"):
                continue
            out = "".join(c for c in (ascii_text(ch) or "").lower() if c.isascii() and c.isalnum())
            table[ch] = out
    return table


_FOLD_MAP: dict[str, str] | None = None


def _folds() -> tuple[dict[str, str], tuple[tuple[str, str], ...]]:
    global _FOLD_MAP
    from tracker.names import _FOLDS

    if _FOLD_MAP is None:
        _FOLD_MAP = _fold_map()
    return _FOLD_MAP, _FOLDS


def js_skeleton(text: str) -> str:
    """The skeleton the page's script computes for `text`, letter by letter.

    `tracker.names.skeleton` transliterates whole words (rigour knows that "ий" ends a word as
    "y"); the page cannot carry rigour, so it maps letter by letter with a table made from
    rigour and then applies the same folds. Both forms of every name are search keys, so a name
    typed as it is written is always found.

    Examples
    --------
    >>> js_skeleton("Құлыбаев") == js_skeleton("Kulibayev") == js_skeleton("QULYBAEV")
    True
    >>> js_skeleton("Ёлка")
    'olka'
    """
    table, folds = _folds()
    text = unicodedata.normalize("NFC", text)
    text = "".join(table.get(ch, ch) for ch in text)
    text = "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c)).lower()
    words = "".join(c if (c.isascii() and c.isalnum()) else " " for c in text).split()
    out = []
    for word in words:
        for a, b in folds:
            word = word.replace(a, b)
        out.append(_undouble(word))
    return " ".join(out)


def _undouble(word: str) -> str:
    res: list[str] = []
    for c in word:
        if not res or res[-1] != c:
            res.append(c)
    return "".join(res)


def _search_keys(ident: str, name: str, aliases: Sequence[str], known: Mapping[str, str] | None = None) -> list[str]:
    from tracker.names import skeleton

    known = known or {}
    keys: dict[str, None] = {}
    for text in (name, *aliases, ident.replace("-", " ").replace("_", " ")):
        for key in (known.get(text) or skeleton(text), js_skeleton(text)):
            if key:
                keys[key] = None
    return sorted(keys)


# --- building the vis data ---------------------------------------------------------------------


def _clean(value: Any) -> Any:
    """JSON-safe copy: NaN and infinities become null, tuples lists, sets sorted lists."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {str(k): _clean(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_clean(v) for v in value]
    if isinstance(value, (set, frozenset)):
        return sorted(_clean(v) for v in value)
    if value is None or isinstance(value, (str, int, bool)):
        return value
    return str(value)


def _http(url: Any) -> str:
    """`url` if it is an http(s) URL, else "": only those may become links."""
    if not isinstance(url, str):
        return ""
    u = url.strip()
    low = u.lower()
    if (low.startswith("http://") or low.startswith("https://")) and not any(c in u for c in '"<>\\ \t\n\r'):
        return u
    return ""


_BIDI_CONTROLS = dict.fromkeys([*range(0x202A, 0x202F), *range(0x2066, 0x206A)])
LABEL_MAX = 60


def _label_text(text: str, limit: int) -> str:
    text = " ".join(text.translate(_BIDI_CONTROLS).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _label(text: str) -> str:
    r"""A canvas label: no direction overrides (they can disguise a name), one line, at most 60 characters.

    Examples
    --------
    >>> _label("Invoice \u202egnp.exe"), len(_label("A" * 1000))
    ('Invoice gnp.exe', 60)
    """
    text = " ".join(text.translate(_BIDI_CONTROLS).split())
    return text if len(text) <= LABEL_MAX else text[: LABEL_MAX - 1] + "…"


def _darker(hex_colour: str, factor: float = 0.7) -> str:
    r, g, b = (int(hex_colour[i : i + 2], 16) for i in (1, 3, 5))
    return "#{:02x}{:02x}{:02x}".format(*(round(c * factor) for c in (r, g, b)))


def _vis_items(
    G: nx.MultiDiGraph,
    scores: dict[str, float],
    positions: dict[str, tuple[int, int]] | None,
    paths: list[list[str]],
    focus: str | None,
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """vis-network node and edge dicts, built directly (pyvis's add_node/add_edge are quadratic)."""
    model = load_model()
    top = max(scores.values(), default=0.0) or 1.0
    path_nodes = {x for p in paths for x in p}
    path_pairs = {frozenset((a, b)) for p in paths for a, b in zip(p, p[1:], strict=False)}

    nodes: list[dict[str, Any]] = []
    for ident in sorted(G.nodes):
        d = G.nodes[ident]
        kind = str(d.get("kind", ""))
        colour = SPHERE_COLOURS.get(str(d.get("sphere", "")), UNKNOWN_COLOUR)
        shape, dashed = KIND_SHAPES.get(kind, ("dot", False))
        label = _label(str(d.get("name") or ident))
        kind_label = model.entity_kinds[kind].label if kind in model.entity_kinds else kind
        node: dict[str, Any] = {
            "id": ident,
            "label": label,
            "title": f"{label} ({kind_label})",
            "shape": shape,
            "value": round(math.sqrt(max(scores.get(ident, 0.0), 0.0) / top), 4),
            "color": {
                "background": colour,
                "border": _darker(colour),
                "highlight": {"background": colour, "border": "#000000"},
                "hover": {"background": colour, "border": "#000000"},
            },
            "borderWidth": 1.5,
        }
        if dashed:
            node["shapeProperties"] = {"borderDashes": [4, 3]}
            node["borderWidth"] = 2.5
        if ident in path_nodes:
            node["borderWidth"] = 5
            node["color"]["border"] = HIGHLIGHT_COLOUR
        if ident == focus:
            node["borderWidth"] = 5
            node["color"]["border"] = "#000000"
        if positions is not None:
            node["x"], node["y"] = positions[ident]
        nodes.append(node)

    edges: list[dict[str, Any]] = []
    parallel: dict[frozenset[str], int] = defaultdict(int)
    for u, v, key, d in sorted(G.edges(keys=True, data=True), key=lambda e: str(e[2])):
        kind = str(d.get("kind", ""))
        evidence = str(d.get("evidence", ""))
        width, dashes = EVIDENCE_STYLES.get(evidence, UNKNOWN_EVIDENCE_STYLE)
        colour = ALLEGATION_COLOUR if evidence == "allegation" else RELATION_COLOURS.get(kind, DEFAULT_EDGE_COLOUR)
        pair = frozenset((u, v))
        edge: dict[str, Any] = {
            "id": str(key),
            "from": u,
            "to": v,
            "title": _edge_title(G, u, v, d),
            "width": width,
            "dashes": dashes,
            "color": {"color": colour, "highlight": "#000000", "hover": "#000000", "inherit": False},
        }
        if d.get("directed", True):
            edge["arrows"] = "to"
        if d.get("ownership"):
            text = share_text(d)
            if text:
                edge["label"] = text
        k = parallel[pair]
        parallel[pair] += 1
        if u == v or k:
            edge["smooth"] = {"enabled": True, "type": "curvedCW" if k % 2 else "curvedCCW", "roundness": 0.2 * ((k + 1) // 2 or 1)}
        if pair in path_pairs:
            edge["width"] = max(width, 5.0)
            edge["color"] = {"color": HIGHLIGHT_COLOUR, "highlight": "#000000", "hover": "#000000", "inherit": False}
        edges.append(edge)
    return nodes, edges


def _edge_title(G: nx.MultiDiGraph, u: str, v: str, d: dict[str, Any]) -> str:
    """Plain-text hover hint (vis shows a string title with innerText, never as HTML)."""
    role = f" ({d['role']})" if d.get("role") else ""
    share = share_text(d) if d.get("ownership") else ""
    share = f" {share}" if share else ""
    text = f"{G.nodes[u].get('name', u)} {d.get('label', d.get('kind', ''))}{role}{share} {G.nodes[v].get('name', v)}"
    return " ".join(text.translate(_BIDI_CONTROLS).split())[:300]


def _payload(
    G: nx.MultiDiGraph,
    nodes: list[dict[str, Any]],
    edges: list[dict[str, Any]],
    paths: list[list[str]],
    focus: str | None,
    title: str,
    size_by: str,
    fixed: bool,
    name_keys: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """Everything the page's script reads: records, sources, styles and search tables."""
    model = load_model()
    entities: dict[str, Any] = {}
    cited: set[str] = set()
    for ident in sorted(G.nodes):
        d = dict(G.nodes[ident])
        d["keys"] = _search_keys(ident, str(d.get("name") or ident), [str(a) for a in d.get("aliases") or []], name_keys)
        cited.update(d.get("sources") or [])
        entities[ident] = d
    relations: dict[str, Any] = {}
    for u, v, key, d in G.edges(keys=True, data=True):
        rec = dict(d)
        rec["source"], rec["target"] = u, v
        rec["share_text"] = share_text(d)
        cited.update(d.get("sources") or [])
        relations[str(key)] = rec
    table = G.graph.get("sources", {}) or {}
    sources: dict[str, Any] = {}
    for sid in sorted(cited):
        if sid not in table:
            continue
        s = dict(table[sid])
        s["href"] = _http(s.get("url"))
        s["archived_href"] = _http(s.get("archived_url"))
        s["canonical_href"] = _http(s.get("canonical_url"))
        sources[sid] = s
    fold_map, folds = _folds()
    present_spheres = {str(G.nodes[n].get("sphere", "")) for n in G}
    present_kinds = {str(G.nodes[n].get("kind", "")) for n in G}
    present_rel = {str(d.get("kind", "")) for _, _, d in G.edges(data=True)}
    present_ev = {str(d.get("evidence", "")) for _, _, d in G.edges(data=True)}
    style: dict[str, Any] = {
        "spheres": [
            {"name": s, "label": m.label, "description": m.description, "colour": SPHERE_COLOURS.get(s, UNKNOWN_COLOUR)}
            for s, m in model.spheres.items()
            if s in present_spheres
        ],
        "kinds": [
            {"name": k, "label": m.label, "shape": KIND_SHAPES.get(k, ("dot", False))[0], "dashed": KIND_SHAPES.get(k, ("dot", False))[1]}
            for k, m in model.entity_kinds.items()
            if k in present_kinds
        ],
        "relation_kinds": [
            {"name": k, "label": m.label, "colour": RELATION_COLOURS.get(k, DEFAULT_EDGE_COLOUR), "directed": m.directed}
            for k, m in model.relation_kinds.items()
            if k in present_rel
        ],
        "evidence": [
            {
                "name": e,
                "label": m.label,
                "description": m.description,
                "width": EVIDENCE_STYLES.get(e, UNKNOWN_EVIDENCE_STYLE)[0],
                "dashes": EVIDENCE_STYLES.get(e, UNKNOWN_EVIDENCE_STYLE)[1],
                "colour": ALLEGATION_COLOUR if e == "allegation" else DEFAULT_EDGE_COLOUR,
            }
            for e, m in model.evidence_statuses.items()
            if e in present_ev
        ],
        "labels": {
            "spheres": {s: m.label for s, m in model.spheres.items()},
            "kinds": {k: m.label for k, m in model.entity_kinds.items()},
            "evidence": {e: m.label for e, m in model.evidence_statuses.items()},
            "evidence_descriptions": {e: m.description for e, m in model.evidence_statuses.items()},
        },
    }
    # Unknown values present in the data still get a filter box, so nothing is unfilterable.
    known = {x["name"] for x in style["spheres"]}
    style["spheres"] += [
        {"name": s, "label": s or "(none)", "description": "", "colour": UNKNOWN_COLOUR} for s in sorted(present_spheres - known)
    ]
    known = {x["name"] for x in style["kinds"]}
    style["kinds"] += [{"name": k, "label": k or "(none)", "shape": "dot", "dashed": False} for k in sorted(present_kinds - known)]
    known = {x["name"] for x in style["relation_kinds"]}
    style["relation_kinds"] += [
        {"name": k, "label": k or "(none)", "colour": DEFAULT_EDGE_COLOUR, "directed": True} for k in sorted(present_rel - known)
    ]
    known = {x["name"] for x in style["evidence"]}
    w, dsh = UNKNOWN_EVIDENCE_STYLE
    style["evidence"] += [
        {"name": e, "label": e or "(none)", "description": "", "width": w, "dashes": dsh, "colour": DEFAULT_EDGE_COLOUR}
        for e in sorted(present_ev - known)
    ]
    return {
        "meta": {
            "title": title,
            "dataset": str(G.graph.get("name") or ""),
            "content_hash": str(G.graph.get("content_hash") or ""),
            "data_date": str(G.graph.get("data_date") or ""),
            "size_by": size_by,
            "fixed_layout": fixed,
            "counts": {"entities": G.number_of_nodes(), "relations": G.number_of_edges(), "sources": len(sources)},
        },
        "nodes": nodes,
        "edges": edges,
        "entities": entities,
        "relations": relations,
        "sources": sources,
        "style": style,
        "highlight": paths,
        "focus": focus,
        "search": {"map": fold_map, "folds": [list(f) for f in folds]},
    }


# --- the page ----------------------------------------------------------------------------------


def _script_json(data: Any) -> str:
    """JSON that is safe inside <script type="application/json">: no "</script>", no "<!--".

    Examples
    --------
    >>> _script_json({"name": "</script><!--"})
    '{"name":"\\\\u003c/script\\\\u003e\\\\u003c!--"}'
    """
    text = json.dumps(_clean(data), ensure_ascii=False, sort_keys=True, separators=(",", ":"), allow_nan=False)
    for ch, esc in (("&", "\\u0026"), ("<", "\\u003c"), (">", "\\u003e"), ("\u2028", "\\u2028"), ("\u2029", "\\u2029")):
        text = text.replace(ch, esc)
    return text


def _csp_hash(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode("ascii") + "'"


def _asset(package: str, name: str) -> str:
    if package in sys.modules or package == "tracker":
        return resources.files(package).joinpath(name).read_text(encoding="utf-8")
    # Found, not imported: importing pyvis imports IPython and jsonpickle (about 0.2 s of every
    # view) for two files the page inlines.
    from importlib.util import find_spec

    spec = find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise TrackerError(f"the {package} package is not installed")
    return Path(next(iter(spec.submodule_search_locations)), name).read_text(encoding="utf-8")


def _pyvis_options(physics: bool) -> dict[str, Any]:
    """The options pyvis 0.3.2's `Network(directed=True)` gives after `barnes_hut(gravity=-9000,
    central_gravity=0.35, spring_length=170, spring_strength=0.03, damping=0.35, overlap=0.4)` and
    `toggle_physics(physics)`: the base `_render_page` starts from, written out so that a view does
    not import pyvis (tests/test_views.py checks them against pyvis itself)."""
    return {
        "configure": {"enabled": False},
        "edges": {"color": {"inherit": True}, "smooth": {"enabled": True, "type": "dynamic"}},
        "interaction": {"dragNodes": True, "hideEdgesOnDrag": False, "hideNodesOnDrag": False},
        "physics": {
            "barnesHut": {
                "avoidOverlap": 0.4,
                "centralGravity": 0.35,
                "damping": 0.35,
                "gravitationalConstant": -9000,
                "springConstant": 0.03,
                "springLength": 170,
            },
            "enabled": physics,
            "stabilization": {"enabled": True, "fit": True, "iterations": 1000, "onlyDynamicEdges": False, "updateInterval": 50},
        },
    }


def _vendor() -> tuple[str, str]:
    """vis-network's script and style from the installed pyvis, checked to be safe to inline."""
    js = _asset("pyvis", f"{VIS_DIR}/vis-network.min.js")
    css = _asset("pyvis", f"{VIS_DIR}/vis-network.css")
    if "</script" in js.lower() or "<!--" in js or "</style" in css.lower():
        raise TrackerError("the installed pyvis ships a vis-network that cannot be inlined safely")
    return js, css


def _built_date() -> str:
    """SOURCE_DATE_EPOCH as a UTC date, or "" (the clock is never read)."""
    raw = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if not raw:
        return ""
    try:
        return datetime.fromtimestamp(int(raw), tz=timezone.utc).strftime("%Y-%m-%d")
    except (ValueError, OverflowError, OSError):
        return ""


def _render_page(
    G: nx.MultiDiGraph,
    title: str,
    nodes: list[dict[str, Any]],
    edges: list[dict[str, Any]],
    payload: dict[str, Any],
    fixed: bool,
) -> str:
    """Render the project's template (`render_template`, as Jinja would), on pyvis's vis options (`_pyvis_options`)."""
    options = _pyvis_options(not fixed)
    options["physics"]["stabilization"].update({"iterations": 400, "updateInterval": 50, "fit": True})
    options["edges"] = {
        "smooth": {"enabled": False},
        "color": {"inherit": False},
        "font": {"size": 11, "face": "DejaVu Sans, Arial, sans-serif", "strokeWidth": 3, "align": "middle"},
        "arrows": {"to": {"scaleFactor": 0.6}},
        "selectionWidth": 2,
    }
    options["nodes"] = {
        "font": {"size": 13, "face": "DejaVu Sans, Noto Sans, Arial, sans-serif", "strokeWidth": 3, "strokeColor": "#ffffff"},
        "scaling": {"min": 8, "max": 40, "label": {"enabled": True, "min": 11, "max": 22, "drawThreshold": 6, "maxVisible": 30}},
    }
    options["layout"] = {"improvedLayout": False, "randomSeed": LAYOUT_SEED}
    options["interaction"].update(
        {
            "hover": True,
            "tooltipDelay": 250,
            "hideEdgesOnDrag": fixed,
            "hideEdgesOnZoom": fixed,
            "multiselect": False,
            "navigationButtons": False,
        }
    )
    # As pyvis's `get_network_data` handed them to the page: the options through JSON and back.
    payload = {**payload, "nodes": nodes, "edges": edges, "options": json.loads(json.dumps(options))}

    vis_js, vis_css = _vendor()
    view_js = _asset("tracker", "templates/view.js")
    view_css = _asset("tracker", "templates/view.css")
    csp = "; ".join(
        [
            "default-src 'none'",
            f"script-src {_csp_hash(vis_js)} {_csp_hash(view_js)}",
            f"style-src {_csp_hash(vis_css)} {_csp_hash(view_css)}",
            "img-src data:",
            "base-uri 'none'",
            "form-action 'none'",
        ]
    )
    model = load_model()
    meta = payload["meta"]
    return str(
        render_template(
            _asset("tracker", "templates/view.html"),
            title=title,
            caption=meta.get("caption") or "",
            csp=csp,
            vis_js=vis_js,
            vis_css=vis_css,
            view_js=view_js,
            view_css=view_css,
            data_json=_script_json(payload),
            dataset=meta["dataset"],
            content_hash=meta["content_hash"],
            data_date=meta["data_date"] or "unknown",
            built_date=_built_date(),
            counts=meta["counts"],
            size_by=meta["size_by"],
            disclaimer=model.disclaimer + " Click any line to read its sources.",
            evidence=[(m.label, m.description) for m in sorted(model.evidence_statuses.values(), key=lambda m: -m.rank)],
            vis_version=VIS_VERSION,
        )
    )


# The page template's constructs (`render_template`): {{ name }}, {{ name.key }}, {{ name|safe }},
# {{ name or "text" }}, {% if name %}...{% endif %} and {% for a, b in name %}...{% endfor %}.
_TAG = re.compile(r"({{.*?}}|{%.*?%})", re.S)
_EXPR = re.compile(r'^\s*([A-Za-z_][A-Za-z_0-9]*(?:\.[A-Za-z_][A-Za-z_0-9]*)?)\s*(?:or\s+"([^"]*)"\s*)?(\|\s*safe\s*)?$')
_IF = re.compile(r"^\s*if\s+([A-Za-z_][A-Za-z_0-9]*)\s*$")
_FOR = re.compile(r"^\s*for\s+([A-Za-z_][A-Za-z_0-9]*(?:\s*,\s*[A-Za-z_][A-Za-z_0-9]*)*)\s+in\s+([A-Za-z_][A-Za-z_0-9]*)\s*$")
_ESCAPES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&#34;", "'": "&#39;"})


def render_template(source: str, **context: Any) -> str:
    """The page template filled as Jinja's ``Environment(autoescape=True)`` fills it, for the few
    constructs it uses (listed above `_TAG`); any other raises.

    Importing Jinja and compiling the template cost a tenth of a second of every `view`, more than
    the rest of drawing a neighbourhood's page; tests/test_startup.py checks this against Jinja on
    the template with values that need escaping. As Jinja: values are escaped as markupsafe does
    (``& < > " '``) unless ``|safe``, ``a.b`` reads an attribute or else a key, and the template's
    one final newline is dropped.
    """
    parts = _TAG.split(source[:-1] if source.endswith("\n") else source)
    out: list[str] = []
    _fill(parts, 0, len(parts), context, out)
    return "".join(out)


def _value(name: str, context: Mapping[str, Any]) -> Any:
    head, _, key = name.partition(".")
    value = context[head]
    if key:
        value = getattr(value, key) if hasattr(value, key) else value[key]
    return value


def _fill(parts: list[str], start: int, end: int, context: Mapping[str, Any], out: list[str]) -> None:
    i = start
    while i < end:
        part = parts[i]
        if i % 2 == 0:  # text between tags
            out.append(part)
            i += 1
            continue
        if part.startswith("{{"):
            m = _EXPR.match(part[2:-2])
            if m is None:
                raise TrackerError(f"the page template uses {part!r}, which tracker.views.render_template does not know")
            value = _value(m.group(1), context)
            if m.group(2) is not None and not value:
                value = m.group(2)
            out.append(str(value) if m.group(3) else str(value).translate(_ESCAPES))
            i += 1
            continue
        inner = part[2:-2]
        close = _closing(parts, i, end, "if" if _IF.match(inner) else "for")
        if (m := _IF.match(inner)) is not None:
            if _value(m.group(1), context):
                _fill(parts, i + 1, close, context, out)
        elif (m := _FOR.match(inner)) is not None:
            names = [n.strip() for n in m.group(1).split(",")]
            for item in _value(m.group(2), context):
                values = dict(zip(names, item, strict=True)) if len(names) > 1 else {names[0]: item}
                _fill(parts, i + 1, close, {**context, **values}, out)
        else:
            raise TrackerError(f"the page template uses {part!r}, which tracker.views.render_template does not know")
        i = close + 1


def _closing(parts: list[str], at: int, end: int, kind: str) -> int:
    """The position of the tag that closes the block opened at `at` (blocks may nest)."""
    depth = 0
    for j in range(at, end, 2):
        word = parts[j][2:-2].split()
        if not word or not parts[j].startswith("{%"):
            continue
        if word[0] in ("if", "for"):
            depth += 1
        elif word[0] in ("endif", "endfor"):
            depth -= 1
            if depth == 0:
                if word[0] != "end" + kind:
                    break
                return j
    raise TrackerError(f"the page template's {parts[at]!r} is not closed as tracker.views.render_template expects")
