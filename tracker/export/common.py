"""Helpers every export format shares: ordering, cell safety, numbers, citations.

Each format is a view of the canonical graph; these helpers make sure that all of them order
rows the same way (so the same input gives byte-identical files), write numbers the same way,
and carry the same readable citation next to every relation.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable, Iterator, Sequence
from typing import Any, TextIO

import networkx as nx

__all__ = [
    "declared_unknown_owner",
    "safe_cell",
    "format_number",
    "ordered_nodes",
    "ordered_edges",
    "edge_source_ids",
    "cited_source_ids",
    "citation_text",
    "source_urls",
    "publishers",
    "is_web_url",
    "xml_safe",
]

# OWASP "CSV injection": a spreadsheet treats a cell starting with one of these as a formula
# (https://owasp.org/www-community/attacks/CSV_Injection). The full-width forms are added
# because some spreadsheet locales normalise them to their ASCII twins.
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r", "\uff1d", "\uff0b", "\uff0d", "\uff20")

# A cell whose first character is none of these is inert as it is (the fast path of `safe_cell`).
_SUSPECT_START = frozenset(FORMULA_TRIGGERS) | frozenset(" \n\r\t")

# Characters XML 1.0 cannot carry at all; the validator rejects control characters, this is
# the second line of defence for graphs built by other code.
_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def write_csv_rows(stream: TextIO, header: Sequence[str], rows: Iterable[Sequence[Any]], crlf: bool = True, bom: bool = False) -> None:
    r"""The one CSV writer: a header and rows of cells already made text, written to `stream`.

    Files for spreadsheets (the exports) end lines with "\r\n" (RFC 4180, what Excel writes),
    which also makes the writer quote any cell holding a bare "\r"; text printed by a command
    ends lines with "\n" (`crlf=False`). `bom` starts with the UTF-8 byte-order mark Excel
    needs to read Cyrillic.

    Examples
    --------
    >>> import io
    >>> buf = io.StringIO()
    >>> write_csv_rows(buf, ["id", "name"], [["a", "x,y"]], crlf=False)
    >>> buf.getvalue()
    'id,name\na,"x,y"\n'
    """
    if bom:
        stream.write("\ufeff")
    writer = csv.writer(stream, lineterminator="\r\n" if crlf else "\n", quoting=csv.QUOTE_MINIMAL)
    writer.writerow(header)
    writer.writerows(rows)


def safe_cell(value: str) -> str:
    """Make a text cell inert in a spreadsheet: prefix a single quote to a would-be formula.

    A cell is neutralised when its first character, or its first one after leading spaces and
    line breaks (which some spreadsheets skip), starts a formula: ``= + - @``, tab or carriage
    return. Anything else is returned unchanged, so ordinary text round-trips exactly.

    Examples
    --------
    >>> safe_cell("=HYPERLINK(\\"http://evil\\")")
    '\\'=HYPERLINK("http://evil")'
    >>> safe_cell("-5 bribes"), safe_cell("  @SUM(A1)"), safe_cell("Альфа")
    ("'-5 bribes", "'  @SUM(A1)", 'Альфа')
    >>> safe_cell("")
    ''
    """
    if not value or value[0] not in _SUSPECT_START:
        return value  # the common case, decided on the first character (millions of cells at scale)
    if value.startswith(FORMULA_TRIGGERS) or value.lstrip(" \n\r\t").startswith(FORMULA_TRIGGERS):
        return "'" + value
    return value


def format_number(value: float | int | None) -> str:
    """A number as plain decimal text: integral values without ".0", never exponent notation.

    Examples
    --------
    >>> format_number(20.0), format_number(70.5), format_number(15000000.0), format_number(None)
    ('20', '70.5', '15000000', '')
    >>> format_number(-5.0), format_number(1e-7)
    ('-5', '0.0000001')
    """
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    number = float(value)
    if number != number or number in (float("inf"), float("-inf")):
        return ""
    if number.is_integer():
        return str(int(number))
    text = repr(number)
    if "e" in text or "E" in text:
        text = format(number, "f").rstrip("0").rstrip(".") if abs(number) >= 1 else f"{number:.20f}".rstrip("0")
    return text


def xml_safe(text: str) -> str:
    """Drop the characters that XML 1.0 cannot carry (a GraphML or GEXF reader would refuse the file)."""
    return _XML_ILLEGAL.sub("", text)


def is_web_url(url: str) -> bool:
    """Only http(s) addresses become links; anything else is data, not a link."""
    return url.lower().startswith(("http://", "https://"))


def ordered_nodes(G: nx.MultiDiGraph) -> list[tuple[str, dict[str, Any]]]:
    """Nodes sorted by id: every export lists entities in this order."""
    return sorted(G.nodes(data=True), key=lambda item: str(item[0]))


def ordered_edges(G: nx.MultiDiGraph) -> list[tuple[str, str, str, dict[str, Any]]]:
    """Edges sorted by relation id (then ends): every export lists relations in this order."""
    return sorted(G.edges(keys=True, data=True), key=lambda e: (str(e[2]), str(e[0]), str(e[1])))


def edge_source_ids(data: dict[str, Any]) -> list[str]:
    return [str(s) for s in data.get("sources") or []]


def cited_source_ids(G: nx.MultiDiGraph) -> list[str]:
    """The ids of the sources cited by any node or edge of `G`, sorted."""
    cited: set[str] = set()
    for _, data in G.nodes(data=True):
        cited.update(str(s) for s in data.get("sources") or [])
    for _, _, data in G.edges(data=True):
        cited.update(edge_source_ids(data))
    return sorted(cited)


def _records(G: nx.MultiDiGraph, source_ids: Iterable[str]) -> Iterator[tuple[str, dict[str, Any]]]:
    table: dict[str, dict[str, Any]] = G.graph.get("sources") or {}
    for sid in source_ids:
        record = table.get(sid)
        if record is not None:
            yield sid, record


def _dated(record: dict[str, Any]) -> str:
    """A source's date as a citation shows it: qualified unless the page shows it (issue 16)."""
    date, precision = str(record.get("date") or ""), record.get("date_precision")
    if precision == "approximate":
        return f"c. {date}" if date else "date approximate"
    if precision == "not_shown":
        return f"{date} (date not shown; estimated)" if date else "undated"
    return date


def citation_text(G: nx.MultiDiGraph, source_ids: Iterable[str]) -> str:
    """Readable citations: "title — publisher, date <url>", joined with "; ".

    A source id missing from the sources table is kept as "[id]" so a citation never
    silently disappears.

    Examples
    --------
    >>> G = nx.MultiDiGraph(sources={"s1": {"title": "T", "publisher": "P", "date": "2020", "url": "https://x.org/a"}})
    >>> citation_text(G, ["s1", "gone"])
    'T — P, 2020 <https://x.org/a>; [gone]'

    A date the page gives only roughly or not at all (`date_precision`) is never shown as exact:

    >>> G.graph["sources"]["s1"]["date_precision"] = "not_shown"
    >>> citation_text(G, ["s1"])
    'T — P, 2020 (date not shown; estimated) <https://x.org/a>'
    """
    table: dict[str, dict[str, Any]] = G.graph.get("sources") or {}
    parts = []
    for sid in source_ids:
        record = table.get(sid)
        if record is None:
            parts.append(f"[{sid}]")
            continue
        text = str(record.get("title") or sid)
        by = ", ".join(str(x) for x in (record.get("publisher"), _dated(record)) if x)
        if by:
            text = f"{text} — {by}"
        url = str(record.get("url") or "")
        if is_web_url(url):
            text = f"{text} <{url}>"
        parts.append(text)
    return "; ".join(parts)


def source_urls(G: nx.MultiDiGraph, source_ids: Iterable[str]) -> list[str]:
    """The http(s) URLs of the given sources, in citation order, without duplicates."""
    urls: list[str] = []
    for _, record in _records(G, source_ids):
        url = str(record.get("url") or "")
        if is_web_url(url) and url not in urls:
            urls.append(url)
    return urls


def publishers(G: nx.MultiDiGraph, source_ids: Iterable[str]) -> list[str]:
    """The publishers of the given sources, in citation order, without duplicates."""
    names: list[str] = []
    for _, record in _records(G, source_ids):
        name = str(record.get("publisher") or "")
        if name and name not in names:
            names.append(name)
    return names


def declared_unknown_owner(G: nx.MultiDiGraph, node: str) -> list[str]:
    """The entity's statements that its owner is unknown, as "reason (dates)" cells, oldest first.

    A statement relation runs from the entity to itself (`declared_unknown_owner`); exports
    show it on the entity too, so a table of companies says which declare their owner unknown.
    The reason is the code as the source gives it; an end date means the statement has ceased.

    Examples
    --------
    >>> G = nx.MultiDiGraph()
    >>> _ = G.add_edge("co", "co", key="u1", kind="declared_unknown_owner", role="noBeneficialOwners", start="2019", end="2020")
    >>> declared_unknown_owner(G, "co"), declared_unknown_owner(G, "other")
    (['noBeneficialOwners (2019..2020, ceased)'], [])
    """
    from tracker.model import load_model

    loops = G.succ[node].get(node) if node in G else None
    if not loops:
        return []
    kinds = load_model().relation_kinds
    out = []
    for _key, d in sorted(loops.items(), key=lambda kv: (str(kv[1].get("start") or ""), str(kv[0]))):
        kind = kinds.get(str(d.get("kind", "")))
        if kind is None or not kind.statement:
            continue
        start, end = str(d.get("start") or ""), str(d.get("end") or "")
        when = f"{start or '?'}..{end}, ceased" if end else f"since {start}" if start else "undated"
        out.append(f"{d.get('role') or 'no reason given'} ({when})")
    return out
