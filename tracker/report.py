"""Rendering analysis tables, and the build's report files.

`render` turns any analysis DataFrame into a plain aligned table (for a terminal), CSV, JSON or
Markdown, the same bytes for the same input. The notes a metric leaves in `df.attrs["notes"]`
(how betweenness was computed, which way PageRank's edges point) travel with the table: below
it in table and Markdown form, under `"notes"` in JSON. CSV carries data only.

`write_build_reports` is what `tracker build` calls: the centrality, broker and jurisdiction
tables as CSV and a self-contained `report.html` (inline SVG charts, inline CSS, no script, a
Content-Security-Policy that forbids any request), so the report opens offline and anywhere.
Data is hostile: every text is escaped, only http(s) addresses become links, and CSV cells that
a spreadsheet would run as a formula are neutralised.
"""

from __future__ import annotations

import csv
import html
import io
import re
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

import networkx as nx
import pandas as pd

from tracker.export.common import safe_cell
from tracker.output import write_text
from tracker.render import FORMATS, cell_text, cell_value, csv_cell, render_rows

__all__ = [
    "FORMATS",
    "safe_cell",
    "cell_value",
    "render",
    "write_csv",
    "write_csv_rows",
    "write_build_reports",
    "report_html",
    "svg_chart",
]


# One definition of a cell's text, shared with the quick commands (tracker.render).
_text = cell_text
_csv_cell = csv_cell


def _csv_column(values: pd.Series | pd.Index) -> list[str]:
    """One column as CSV text, column at a time (a 1M-row table in seconds, not minutes).

    The same text as `_csv_cell` per cell: floats rounded to 6 places (``repr``), NaN empty.
    """
    kind = values.dtype.kind
    if kind == "f":
        import numpy as np

        array = np.asarray(values, dtype=float)
        if len(array) > 1000:
            # Each distinct value written once: most columns at scale repeat a few values
            # (degree shares, zero betweenness, the sampled metrics' empty cells).
            distinct, at = np.unique(array, return_inverse=True)
            if 2 * len(distinct) < len(array):
                texts = _float_texts(distinct.tolist())
                return [texts[i] for i in at.ravel().tolist()]
        return _float_texts(array.tolist())
    if kind in "iu":
        return [str(x) for x in values.tolist()]
    if kind == "b":
        return ["true" if x else "false" for x in values.tolist()]
    return [safe_cell(x) if type(x) is str else _csv_cell(x) for x in values.tolist()]


def _float_texts(values: list[float]) -> list[str]:
    """Floats as CSV text: rounded to 6 places (``repr``), NaN empty, -0.0 as 0.0."""
    out = []
    for x in values:
        if x != x:
            out.append("")
        else:
            r = round(x, 6)
            out.append(repr(0.0 if r == 0 else r))
    return out


def _records(df: pd.DataFrame) -> tuple[list[str], list[list[Any]]]:
    index_name = df.index.name or "id"
    columns = [str(index_name), *(str(c) for c in df.columns)]
    rows = [[cell_value(i), *(cell_value(v) for v in row)] for i, row in zip(df.index, df.itertuples(index=False, name=None))]
    return columns, rows


def _notes(df: pd.DataFrame) -> dict[str, str]:
    notes = df.attrs.get("notes", {}) if isinstance(df.attrs, dict) else {}
    return {str(k): str(v) for k, v in notes.items()}


def render(df: pd.DataFrame, fmt: str) -> str:
    """Render a DataFrame (index first) as ``table``, ``csv``, ``json`` or ``md`` text.

    Missing values are empty (JSON null); floats are rounded to 6 places (4 in a table); CSV
    text cells are neutralised with `safe_cell`. JSON is ``{"notes": {...}, "rows": [...]}``.

    Examples
    --------
    >>> df = pd.DataFrame({"name": ["=cmd", "Б"], "score": [0.5, None]}, index=pd.Index(["a", "b"], name="id"))
    >>> print(render(df, "csv"), end="")
    id,name,score
    a,'=cmd,0.5
    b,Б,
    >>> print(render(df, "table"), end="")
    id  name  score
    --  ----  -----
    a   =cmd    0.5
    b   Б
    """
    if fmt == "csv":
        buf = io.StringIO()
        write_csv_rows(df, buf)
        return buf.getvalue()
    columns, rows = _records(df)
    return render_rows(columns, rows, fmt, _notes(df))


#: Rows made into CSV text at a time by `write_csv_rows`.
CSV_SLICE_ROWS = 200_000


def write_csv_rows(df: pd.DataFrame, fh: Any) -> None:
    """`render(df, "csv")` written to the text file `fh` a slice of rows at a time.

    The same text; but a table of 10 million rows as one string, with every column's cells
    made at once, takes several times its 1.5 GB of CSV (a name outside Latin-1 makes each
    character of the string 2 or 4 bytes). Slice by slice it is the cells of 200,000 rows.
    """
    writer = csv.writer(fh, lineterminator="\n")
    writer.writerow([safe_cell(str(c)) for c in [df.index.name or "id", *df.columns]])
    for start in range(0, len(df), CSV_SLICE_ROWS):
        part = df.iloc[start : start + CSV_SLICE_ROWS]
        writer.writerows(zip(_csv_column(part.index), *(_csv_column(part[c]) for c in part.columns)))


def write_csv(path: Path, df: pd.DataFrame) -> Path:
    """`render(df, "csv")` into `path` as UTF-8, atomically, without the whole text in memory (`write_csv_rows`)."""
    from tracker.output import atomic_path

    with atomic_path(Path(path)) as tmp, open(tmp, "w", encoding="utf-8", newline="") as fh:
        write_csv_rows(df, fh)
    return Path(path)


# --- the build's files ------------------------------------------------------------------


def write_build_reports(
    G: nx.MultiDiGraph,
    out: Path,
    views: Any = None,
    owned: Sequence[tuple[str, nx.MultiDiGraph]] | None = None,
    say: Callable[[str], None] | None = None,
    outside: Any = None,
    view: bool = True,
    no_view: str = "",
) -> list[Path]:
    """Write centrality.csv, brokers.csv, jurisdictions.csv and report.html into `out`.

    Every file is written atomically and is byte-identical for the same graph. brokers.csv
    keeps only entities with some brokerage (subset betweenness or a role count above 0). The
    tables share one `tracker.metrics.Views` (edge table, engine graphs built once); how each
    figure was computed, sampled or exact, is in the tables' notes and the report.

    The build on large data passes a `tracker.storegraph.StoreGraph` as `G`, with `views` over
    the store's relation table and `owned`: the most-owned assets, each with a graph of its
    ownership chains (`tracker.query.chain_region`), so that no graph of the whole data is built.
    `say` is told when each table is done (the build logs its stages); `outside` gives the
    metrics computed in another process (`tracker.metrics.centrality`); `view` says whether the
    build writes network.html beside the report (its names link into it only then), and
    `no_view` why it does not when the view itself refused the graph (the page says it).
    """
    from tracker.jurisdictions import jurisdiction_exposure
    from tracker.metrics import Views, brokers, centrality, resolve_engine

    out = Path(out)
    # One edge table and one set of engine graphs, shared by every table of the build.
    if views is None:
        views = Views(G, resolve_engine("auto", G.number_of_nodes()))
    tell = say or (lambda _: None)
    cen = centrality(G, views=views, outside=outside)
    tell("centrality")
    brk = brokers(G, views=views)
    active = brk[(brk["subset_betweenness"] > 0) | (brk["brokerage"] > 0)]
    active.attrs = brk.attrs
    del brk  # a row per entity (about a gigabyte at 10M): only the active ones are written
    tell("brokers")
    jur = jurisdiction_exposure(G, views=views)
    tell("jurisdictions")
    files = [
        write_csv(out / "centrality.csv", cen),
        write_csv(out / "brokers.csv", active),
        write_csv(out / "jurisdictions.csv", jur),
        write_text(out / "report.html", report_html(G, cen, active, jur, owned=owned, view=view, no_view=no_view)),
    ]
    tell("report files")
    return files


def _esc(value: Any) -> str:
    return html.escape(_text(value, table=True), quote=True)


def _link(url: Any, text: Any) -> str:
    """An <a> only for http(s) addresses; anything else is shown as escaped text."""
    label = html.escape(str(text or url or ""), quote=True)
    if isinstance(url, str) and re.match(r"^https?://", url.strip(), re.IGNORECASE):
        return f'<a href="{html.escape(url.strip(), quote=True)}" rel="noopener noreferrer">{label}</a>'
    return label


def _source_html(src: dict[str, Any]) -> str:
    bits = [_link(src.get("url"), src.get("title") or src.get("url") or src.get("id"))]
    meta = ", ".join(html.escape(str(x)) for x in (src.get("publisher"), src.get("date")) if x)
    if meta:
        bits.append(meta)
    if src.get("evidence"):
        bits.append(f'<span class="ev">{html.escape(str(src["evidence"]))}</span>')
    return " · ".join(bits)


#: The network view `tracker build` writes next to the report; names link into it.
VIEW_FILE = "network.html"


def _view_href(ident: Any) -> str:
    """The address of an entity in the network view: ``network.html#focus=<id>`` (id %-encoded).

    Examples
    --------
    >>> _view_href("timur-kulibayev"), _view_href('x"&<y>')
    ('network.html#focus=timur-kulibayev', 'network.html#focus=x%22%26%3Cy%3E')
    """
    from urllib.parse import quote

    return f"{VIEW_FILE}#focus={quote(str(ident), safe='')}"


def _entity(ident: Any, name: Any, linked: bool = True) -> str:
    """An entity's name as a link to it in the network view (escaped); the name alone when no view is written beside the report."""
    label = html.escape(_text(name, table=True) or str(ident), quote=True)
    if not linked:
        return label
    return f'<a class="ent" href="{html.escape(_view_href(ident), quote=True)}">{label}</a>'


class _Citations:
    """Footnotes: each source is written out once, at the end, and cited by number.

    The first version repeated one long citation in every row that used it (28 rows of the
    jurisdiction table cite the same index); numbers in the text and one list keep it short.
    """

    def __init__(self, G: nx.MultiDiGraph) -> None:
        self.table: dict[str, Any] = G.graph.get("sources", {}) or {}
        self.number: dict[str, int] = {}

    def cite(self, ids: Iterable[str]) -> str:
        marks = []
        for sid in ids:
            if sid not in self.number:
                self.number[sid] = len(self.number) + 1
            n = self.number[sid]
            marks.append(f'<a class="fn" href="#src-{n}">{n}</a>')
        return f"<sup>[{', '.join(marks)}]</sup>" if marks else ""

    def html(self) -> str:
        if not self.number:
            return ""
        items = []
        for sid, n in sorted(self.number.items(), key=lambda kv: kv[1]):
            src = dict(self.table.get(sid, {})) | {"id": sid}
            items.append(f'<li id="src-{n}" value="{n}">{_source_html(src)} <span class="note">({html.escape(sid)})</span></li>')
        return '<h2 id="sources">Sources cited</h2><ol class="sources">' + "".join(items) + "</ol>"


def _table(
    df: pd.DataFrame, columns: Sequence[str], headers: Sequence[str] | None = None, top: int | None = None, link: bool = True
) -> str:
    rows = df.head(top) if top else df
    head = "".join(f"<th>{html.escape(h)}</th>" for h in (headers or columns))
    body = []
    for ident, row in rows.iterrows():
        cells = []
        for c in columns:
            value = ident if c == "id" else row[c]
            v = cell_value(value)
            if c == "name":
                cells.append(f"<td>{_entity(ident, value, link)}</td>")
                continue
            cls = ' class="n"' if isinstance(v, (int, float)) and not isinstance(v, bool) else ""
            cells.append(f"<td{cls}>{_esc(value)}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def svg_chart(
    kind: str, labels: Sequence[str], values: Sequence[float], title: str, xlabel: str, ylabel: str, prefix: str, width: float = 7.0
) -> str:
    """A bar chart as inline SVG, drawn by matplotlib: deterministic (fixed hash salt, no date), self-contained.

    matplotlib is imported here, on first use, and through its object API (no pyplot), so that
    commands that draw no chart do not pay for it.

    `kind` is ``bar`` (vertical) or ``barh`` (horizontal, labels on the y axis). Text is kept as
    SVG text (browser fonts, so Cyrillic works), math parsing is off (a ``$`` in a name stays a
    ``$``), the RDF metadata block is dropped, and element ids are prefixed with `prefix` so two
    charts in one page never share an id.
    """
    import matplotlib

    matplotlib.use("Agg", force=False)
    from matplotlib.figure import Figure

    with matplotlib.rc_context({"svg.hashsalt": "tracker", "svg.fonttype": "none", "text.parse_math": False, "font.size": 9}):
        height = 3.0 if kind == "bar" else max(2.0, 0.3 * len(labels) + 1.0)
        fig = Figure(figsize=(width, height))
        ax = fig.add_subplot()
        positions = list(range(len(labels)))
        if kind == "barh":
            ax.barh(positions, values, color="#3b6ea5")
            ax.set_yticks(positions, labels)
            ax.invert_yaxis()
        else:
            ax.bar(positions, values, color="#3b6ea5")
            step = max(1, len(labels) // 20)
            ax.set_xticks(positions[::step], labels[::step])
        ax.set_title(title)
        ax.set_xlabel(xlabel)
        ax.set_ylabel(ylabel)
        ax.spines[["top", "right"]].set_visible(False)
        fig.tight_layout()
        buf = io.StringIO()
        fig.savefig(buf, format="svg", metadata={"Date": None, "Creator": None})
    svg = buf.getvalue()
    svg = svg[svg.index("<svg") :]
    svg = re.sub(r"\s*<metadata>.*?</metadata>", "", svg, flags=re.DOTALL)
    svg = svg.replace('id="', f'id="{prefix}-').replace("url(#", f"url(#{prefix}-").replace('xlink:href="#', f'xlink:href="#{prefix}-')
    return _presentational(svg.strip())


def _presentational(svg: str) -> str:
    """`style="a: b"` attributes as SVG presentation attributes, and no <style> element.

    The report's Content-Security-Policy allows its one stylesheet by hash and nothing else
    ('unsafe-inline' would let injected markup style itself), so the chart must not depend on
    inline styles. Every declaration matplotlib writes (fill, stroke, stroke-width, font-size,
    font-family, text-anchor, ...) exists as an attribute of the same name.

    Examples
    --------
    >>> _presentational('<svg><style type="text/css">*{x: y}</style><path style="fill: #fff; stroke-width: 0.8"/></svg>')
    '<svg stroke-linejoin="round" stroke-linecap="butt"><path fill="#fff" stroke-width="0.8"/></svg>'
    """

    def attrs(m: re.Match[str]) -> str:
        pairs = []
        for decl in m.group(1).split(";"):
            if ":" not in decl:
                continue
            key, value = decl.split(":", 1)
            key = key.strip()
            if re.fullmatch(r"[a-z-]+", key):
                pairs.append(f'{key}="{html.escape(value.strip(), quote=True)}"')
        return " ".join(pairs)

    svg = re.sub(r'style="([^"]*)"', attrs, svg)
    svg = re.sub(r"\s*<style[^>]*>.*?</style>", "", svg, flags=re.DOTALL)
    return svg.replace("<svg", '<svg stroke-linejoin="round" stroke-linecap="butt"', 1)


_CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,"Noto Sans",sans-serif;margin:2rem auto;max-width:70rem;padding:0 1rem;color:#222;line-height:1.4}
h1{font-size:1.6rem}h2{font-size:1.25rem;margin-top:2.2rem;border-bottom:1px solid #ccc}h3{font-size:1.05rem}
table{border-collapse:collapse;margin:.5rem 0 1rem;font-size:.88rem}th,td{border:1px solid #ddd;padding:.2rem .45rem;text-align:left;vertical-align:top}
th{background:#f3f3f3}td.n{text-align:right;font-variant-numeric:tabular-nums}
.note{color:#555;font-size:.85rem}.ev{color:#555;font-size:.8rem}.hop{margin:.15rem 0 .15rem 1.2rem}.src{margin-left:2.4rem;font-size:.85rem}
a.ent{color:inherit;text-decoration:underline dotted}a.fn{text-decoration:none}sup{font-size:.7rem}
.grid{display:grid;grid-template-columns:repeat(auto-fit,minmax(30rem,1fr));gap:.5rem 2rem}.grid>*{min-width:0}.grid table{width:100%}
.metric{break-inside:avoid}ol.sources{font-size:.85rem}ol.sources li{margin:.2rem 0}
nav{position:sticky;top:0;background:#fff;padding:.3rem 0;border-bottom:1px solid #eee}
footer{margin-top:3rem;border-top:1px solid #ccc;font-size:.85rem;color:#444}svg{max-width:100%;height:auto}
@media print{
body{margin:0;max-width:none;font-size:10pt;color:#000}nav{display:none}
h2{break-after:avoid;page-break-after:avoid}h3{break-after:avoid}table,tr,svg,.metric{break-inside:avoid;page-break-inside:avoid}
a{color:#000;text-decoration:none}ol.sources a[href^="http"]::after{content:" <" attr(href) ">";font-size:8pt;word-break:break-all}
.grid{display:block}footer{break-before:avoid}
}
""".strip()


def _notes_html(df: pd.DataFrame, keys: Iterable[str] | None = None) -> str:
    notes = _notes(df)
    items = [(k, v) for k, v in notes.items() if keys is None or k in set(keys)]
    if not items:
        return ""
    return '<ul class="note">' + "".join(f"<li><b>{html.escape(k)}</b>: {html.escape(v)}</li>" for k, v in items) + "</ul>"


#: Bounds on the report's chains section: a heavy-tailed graph has assets with thousands of owners.
CHAIN_SEARCH_MAX = 2000
CHAIN_OWNERS_MAX = 25
#: How deep the report follows ownership chains (`tracker.chains.ownership_chains`' default).
CHAIN_MAX_DEPTH = 12


def _chains_html(
    G: nx.MultiDiGraph,
    cites: _Citations | None = None,
    top_assets: int = 5,
    max_paths: int = 12,
    owned: Sequence[tuple[str, nx.MultiDiGraph]] | None = None,
    linked: bool = True,
) -> str:
    """The chains of the `top_assets` most-owned assets; `owned` gives them with their chains' graphs; names link into the view when `linked`."""
    from tracker.chains import _share_text, most_owned, ownership_chains
    from tracker.paths import format_relation

    if owned is None:
        owned = [(asset, G) for asset in most_owned(G, top_assets)]
    if not owned:
        return "<p>No ownership or control relations recorded.</p>"
    parts = []
    for asset, H in owned:
        ch = ownership_chains(H, asset, "up", max_depth=CHAIN_MAX_DEPTH, max_paths=CHAIN_SEARCH_MAX)
        owners = ch.owners[:CHAIN_OWNERS_MAX]
        data = H.nodes[asset]
        parts.append(
            f'<h3>{_entity(asset, data.get("name", asset), linked)} <span class="note">({html.escape(asset)}, {html.escape(str(data.get("kind", "")))})</span></h3>'
        )
        rows = "".join(
            f"<tr><td>{_entity(o['id'], o['name'], linked) if 'id' in o else html.escape(str(o['name']))}</td><td>{html.escape(_share_text((o['share_min'], o['share_max'])))}</td>"
            f"<td>{html.escape(o['basis'])}</td><td>{html.escape(o['psc'] or '-')}</td><td>{html.escape(o['psc_possible'] or '-')}</td>"
            f'<td class="n">{o["paths"]}</td><td>{"yes" if o["ultimate"] else "no"}</td></tr>'
            for o in owners
        )
        parts.append(
            "<table><thead><tr><th>owner / controller</th><th>effective share</th><th>basis</th><th>PSC band</th>"
            f"<th>could exceed</th><th>paths</th><th>ultimate</th></tr></thead><tbody>{rows}</tbody></table>"
        )
        if len(ch.owners) > len(owners) or ch.truncated:
            more = f"{len(ch.owners) - len(owners)} more owners" if len(ch.owners) > len(owners) else "More owners may exist"
            cut = f" (search stopped at {CHAIN_SEARCH_MAX} paths)" if ch.truncated else ""
            parts.append(f'<p class="note">{more}{cut}: run <code>tracker chains {html.escape(asset)}</code>.</p>')
        for i, p in enumerate(ch.paths[:max_paths], start=1):
            route = " ← ".join(str(H.nodes[n].get("name", n)) for n in p.nodes)
            parts.append(f"<p><b>{i}.</b> {html.escape(route)} — effective share {html.escape(_share_text(p.share))}</p>")
            for h in p.hops:
                for r in h["relations"]:
                    if cites is None:
                        parts.append(f'<div class="hop">{html.escape(format_relation(H, r))}</div>')
                        for src in r["sources"]:
                            parts.append(f'<div class="src">source: {_source_html(src)}</div>')
                    else:
                        marks = cites.cite(src["id"] for src in r["sources"])
                        parts.append(f'<div class="hop">{html.escape(format_relation(H, r))}{marks}</div>')
        if len(ch.paths) > max_paths:
            parts.append(
                f'<p class="note">{len(ch.paths) - max_paths} more paths: run <code>tracker chains {html.escape(asset)}</code>.</p>'
            )
        if ch.cycles:
            cyc = "; ".join(" owns ".join(str(H.nodes[n].get("name", n)) for n in c) for c in ch.cycles)
            parts.append(f'<p class="note">Cycles (reported, not followed): {html.escape(cyc)}</p>')
    return "\n".join(parts)


def degree_bins(degrees: pd.Series, max_bars: int = 40) -> tuple[list[str], list[float], str]:
    """Degree distribution as bars: one per degree when few, else powers-of-two bins.

    A heavy-tailed graph has thousands of distinct degrees; the chart shows aggregated data.

    Examples
    --------
    >>> degree_bins(pd.Series([1, 1, 2, 5]))
    (['1', '2', '5'], [2.0, 1.0, 1.0], 'relations per entity')
    >>> degree_bins(pd.Series(range(0, 100)), max_bars=5)[0]
    ['0', '1', '2-3', '4-7', '8-15', '16-31', '32-63', '64-127']
    """
    import numpy as np

    counts = degrees.value_counts().sort_index()
    if len(counts) <= max_bars:
        return [str(int(k)) for k in counts.index], [float(v) for v in counts.values], "relations per entity"
    d = degrees.to_numpy(dtype=np.int64)
    bins = np.where(d <= 0, 0, np.floor(np.log2(np.maximum(d, 1))).astype(np.int64) + 1)
    tally = np.bincount(bins)
    labels = []
    for b in range(len(tally)):
        lo, hi = (0, 0) if b == 0 else (2 ** (b - 1), 2**b - 1)
        labels.append(str(lo) if lo == hi else f"{lo}-{hi}")
    return labels, [float(x) for x in tally], "relations per entity (bins doubling in width)"


def _bar_chart(labels: Sequence[str], values: Sequence[float], title: str, xlabel: str, prefix: str) -> str:
    """A horizontal bar chart of named entities (names cut to 45 characters)."""
    names = [n if len(n) <= 45 else n[:44] + "…" for n in labels]
    return svg_chart("barh", names, values, title, xlabel, "", prefix, width=5.6)


def report_html(
    G: nx.MultiDiGraph,
    cen: pd.DataFrame,
    brk: pd.DataFrame,
    jur: pd.DataFrame,
    top: int = 10,
    owned: Sequence[tuple[str, nx.MultiDiGraph]] | None = None,
    view: bool = True,
    no_view: str = "",
) -> str:
    """The human-readable build report as one self-contained HTML page.

    Every entity name links into the network view (``network.html#focus=<id>``, written by
    the same build); with `view` False (the build writes no view: `--no-view`, or more
    entities than a view can draw, or a view that refused the graph: `no_view`, its reason, is
    then shown) names are plain text, and the page says how to draw a neighbourhood instead:
    a link to a file that is not there helps no one. Every source is listed once, at the end, and cited by number; charts show
    the top entities by each metric, the brokers and the jurisdictions' exposure; a print
    stylesheet lays it out on paper. The page loads nothing and runs no script; its one
    stylesheet is allowed by hash.
    """
    from tracker.metrics import BROKERAGE_ROLES, METRICS, _order
    from tracker.model import load_model
    from tracker.views import _csp_hash

    model = load_model()
    cites = _Citations(G)
    name = str(G.graph.get("name", "") or "")
    chash = str(G.graph.get("content_hash", "") or "")
    ddate = str(G.graph.get("data_date", "") or "")
    csp = f"default-src 'none'; style-src {_csp_hash(_CSS)}; img-src data:; base-uri 'none'; form-action 'none'"
    parts: list[str] = []
    parts.append(
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f'<meta http-equiv="Content-Security-Policy" content="{csp}">'
        '<meta name="viewport" content="width=device-width, initial-scale=1"><meta name="referrer" content="no-referrer">'
        f"<title>tracker report: {html.escape(name)}</title><style>{_CSS}</style></head><body>"
    )
    parts.append(f"<h1>tracker report: {html.escape(name)}</h1>")
    why = html.escape(no_view) if no_view else "see the build's summary"  # why no view is written
    parts.append(
        f"<p>{G.number_of_nodes()} entities, {G.number_of_edges()} relations, {len(G.graph.get('sources', {}))} sources. "
        f"Data as of {html.escape(ddate or 'unknown')} (newest source date); content hash <code>{html.escape(chash)}</code>. "
        + (
            f"Names link to the entity in the network view (<code>{VIEW_FILE}</code>, written beside this file).</p>"
            if view
            else f"No network view is written beside this file (<code>{VIEW_FILE}</code>: {why}); draw an "
            "entity's neighbourhood with <code>tracker view --focus ENTITY --depth 2 -o view.html</code>.</p>"
        )
    )
    parts.append(f"<p><b>{html.escape(model.disclaimer)}</b></p>")
    parts.append(
        '<nav><a href="#central">Central entities</a> · <a href="#brokers">Brokers</a> · '
        '<a href="#jurisdictions">Jurisdictions</a> · <a href="#chains">Ownership chains</a> · '
        '<a href="#communities">Communities</a> · <a href="#sources">Sources</a> · <a href="#about">About</a></nav>'
    )

    # Central entities: a chart and a table per metric.
    parts.append('<h2 id="central">Central entities</h2>')
    charts = []
    tables = []
    for metric in ("degree", "betweenness", "pagerank", "eigenvector", "harmonic"):
        col = METRICS[metric].columns[0]
        if col not in cen.columns:
            continue
        # Only the top rows: the whole table reordered was a copy of every entity's row.
        order = _order(cen, [(col, False)])
        ranked = cen.iloc[order[:top] if top > 0 else order]
        head = ranked.head(top)
        values = [float(x) if x == x else 0.0 for x in head[col]]
        if metric in ("degree", "betweenness", "pagerank") and len(head) and any(values):
            charts.append(
                '<div class="metric">'
                + _bar_chart([str(x) for x in head["name"]], values, f"Top {len(head)} by {metric}", col, f"top-{metric}")
                + "</div>"
            )
        tables.append(
            f'<div class="metric"><h3>{html.escape(metric)}</h3>{_notes_html(cen, [metric])}'
            f"{_table(ranked, ['name', 'sphere', col], ['entity', 'sphere', col], top, link=view)}</div>"
        )
    if charts:
        parts.append('<div class="grid">' + "".join(charts) + "</div>")
    parts.append('<div class="grid">' + "".join(tables) + "</div>")
    if "degree" in cen.columns and len(cen):
        labels, values, xlabel = degree_bins(cen["degree"])
        parts.append(svg_chart("bar", labels, values, "Degree distribution", xlabel, "entities", "deg"))

    # Brokers.
    parts.append('<h2 id="brokers">Brokers between the elite, the City and offshore</h2>')
    parts.append(_notes_html(brk))
    if len(brk):
        ranked = brk.iloc[_order(brk, [("subset_betweenness", False)])].head(top)
        ranked = ranked[ranked["subset_betweenness"] > 0]
        if len(ranked):
            parts.append(
                _bar_chart(
                    [str(x) for x in ranked["name"]],
                    [float(x) for x in ranked["subset_betweenness"]],
                    "Brokers: share of elite–City–offshore shortest paths through them",
                    "subset betweenness",
                    "brk",
                )
            )
        parts.append(_table(brk, ["name", "kind", "sphere", "subset_betweenness", *BROKERAGE_ROLES, "brokerage"], None, top * 2, link=view))
    else:
        parts.append("<p>No entity lies between the spheres in the recorded channel relations.</p>")

    # Jurisdictions: the index that scores them is cited once, by number.
    parts.append('<h2 id="jurisdictions">Jurisdiction exposure</h2>')
    parts.append(_notes_html(jur))
    if len(jur):
        sources = G.graph.get("sources", {})
        has_tie = "uk_tie" in jur.columns
        scored = jur[jur["exposure"].notna()].head(15)
        if len(scored):
            parts.append(
                _bar_chart(
                    [str(n) for n in scored["name"]],
                    [float(v) for v in scored["exposure"]],
                    "Jurisdiction exposure (secrecy score / 100 × relations)",
                    "exposure",
                    "jur",
                )
            )
        rows = []
        for ident, row in jur.iterrows():
            sids = [x for x in str(row["secrecy_sources"] or "").split(";") if x in sources]
            cells = [
                _entity(ident, row["name"], view),
                _esc(row["offshore"]),
                *(
                    f'<td class="n">{_esc(row[c])}</td>'
                    for c in ("entities", "relations", "paths_through", "secrecy_score", "secrecy_rank", "exposure")
                ),
                html.escape(str(row["secrecy_index"] or "")) + cites.cite(sids),
            ]
            tie = ""
            if has_tie:
                tie_ids = [x for x in str(row.get("uk_tie_sources") or "").split(";") if x in sources]
                tie = f"<td>{_esc(row['uk_tie'])}{cites.cite(tie_ids)}</td>"
            rows.append(f"<tr><td>{cells[0]}</td><td>{cells[1]}</td>{''.join(cells[2:8])}<td>{cells[8]}</td>{tie}</tr>")
        parts.append(
            "<table><thead><tr><th>jurisdiction</th><th>offshore</th><th>entities</th><th>relations</th><th>paths through</th>"
            "<th>secrecy score</th><th>rank</th><th>exposure</th><th>index (source)</th>"
            + ("<th>tie to the UK</th>" if has_tie else "")
            + f"</tr></thead><tbody>{''.join(rows)}</tbody></table>"
        )

    # Chains.
    parts.append('<h2 id="chains">Ownership chains of the most-owned assets</h2>')
    parts.append(
        '<p class="note">Effective share = product of the shares along a path, summed over parallel paths; '
        "ranges are carried as minimum and maximum; an unknown share stays unknown, never zero. "
        "PSC bands as in the UK register (more than 25%, 50%, 75%). Numbers in brackets are the sources listed at the end.</p>"
    )
    parts.append(_chains_html(G, cites, owned=owned, linked=view))

    # Communities.
    parts.append('<h2 id="communities">Communities</h2>')
    if "community" in cen.columns:
        parts.append(_notes_html(cen, ["community"]))
        # Top communities only, and their best-linked members: sorted once, vectorised.
        by = [("community", True)] + ([("degree", False)] if "degree" in cen.columns else [])
        order = _order(cen, by)
        numbers = cen["community"].to_numpy()[order]
        items = []
        for number in sorted(set(numbers.tolist()))[:top]:
            start, hi = int(numbers.searchsorted(number, side="left")), int(numbers.searchsorted(number, side="right"))
            members = [str(x) for x in cen.index[order[start : min(hi, start + 12)]]]
            size = hi - start
            names = ", ".join(_entity(n, G.nodes[n].get("name", n), view) for n in members)
            more = f" and {size - 12} more" if size > 12 else ""
            items.append(f"<li><b>{number}</b> ({size}): {names}{more}</li>")
        parts.append("<ul>" + "".join(items) + "</ul>")

    parts.append(cites.html())

    # Footer.
    statuses = sorted(model.evidence_statuses.values(), key=lambda e: -e.rank)
    ev = "".join(f"<li><b>{html.escape(e.label)}</b> ({html.escape(e.name)}): {html.escape(e.description)}</li>" for e in statuses)
    parts.append(
        f'<footer id="about"><p><b>{html.escape(load_model().disclaimer)}</b></p>'
        f"<p>Dataset {html.escape(name)}; content hash <code>{html.escape(chash)}</code>; data as of {html.escape(ddate or 'unknown')}. "
        "Generated by tracker from the cited sources only; the same data gives the same file.</p>"
        f"<p>Evidence statuses (strongest first) describe the kind of source, not how true a claim is:</p><ul>{ev}</ul></footer>"
    )
    parts.append("</body></html>")
    return "\n".join(p for p in parts if p) + "\n"
