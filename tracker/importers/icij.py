"""ICIJ Offshore Leaks bulk CSV: the folder, or any of its files given one by one.

Files are recognised by their header (so renamed files work, and the older 2016-2018 node
layout, whose columns are the same names in another order, reads too); the node files are read
before `relationships.csv`, so that links find their ends. Every node gets a source: its own
page, https://offshoreleaks.icij.org/nodes/<node_id>, with ICIJ's caveat that appearing in the
leak data is not evidence of wrongdoing. Evidence: investigative_report.

- entities -> company (trust_or_foundation when the company type says so), registered_in its
  jurisdiction; officers -> person, or company when the name carries a legal form;
  intermediaries -> professional_firm, or person when the name has no legal form and no firm
  word; others -> company; addresses -> address entities, located_in their countries, and a
  `registered_address` link -> located_in the address (role "registered address"), so that the
  registered-agent address shared by hundreds of companies stays one entity. Walks and focus
  views do not pass through an address with more than `tracker.graph.HUB_RELATIONS` relations.
- ';'-joined alpha-3 country codes -> jurisdiction entities (alpha-2 ids) and located_in links.
- `rel_type` + free-text `link` -> relation kind and role through `LINKS`; identity links
  (same_as, similar, ...) are not relations and are skipped (`tracker match` is for those).

Rows stream through the csv module (quoted fields may span lines); only small lookups (address
countries) stay in memory besides the records to write, and those are kept lean for the 2
million nodes and 3.3 million links of the full download: one interned string per node id
(shared by the entity, its source and every link naming it), cached mappings of the few
distinct values (countries, link types, dates, leak notes), relations as compact records. The
output streams to the files in id order (`DatasetWriter.write`); the bytes are those of the
row-by-row version this replaced (tests/test_scale_icij.py holds its golden files).
"""

from __future__ import annotations

import functools
import re
import sys
from pathlib import Path
from typing import Any

from tracker.exc import InvalidData
from tracker.importers import DatasetWriter, Meta, clean_date, clean_text, country_code, make_id, open_csv

__all__ = ["LINKS", "LAYOUTS", "link_kind", "read", "LEAKS"]

PUBLISHER = "International Consortium of Investigative Journalists (ICIJ)"
LICENCE = "ODbL-1.0 (database); CC BY-SA 3.0 (contents)"
NODE_URL = "https://offshoreleaks.icij.org/nodes/{id}"
CAVEAT = "ICIJ: there are legitimate uses for offshore companies and trusts; appearing in the leak data is not evidence of wrongdoing."

# Columns that identify each file of the bulk download (current layout; the 2016 layout has
# the same names, in another order, and addresses without `name`).
LAYOUTS: dict[str, frozenset[str]] = {
    "relationships": frozenset({"node_id_start", "node_id_end", "rel_type"}),
    "entities": frozenset({"node_id", "name", "jurisdiction", "incorporation_date"}),
    "others": frozenset({"node_id", "name", "type"}),
    "intermediaries": frozenset({"node_id", "name", "status", "address"}),
    "addresses": frozenset({"node_id", "address", "country_codes"}),
    "officers": frozenset({"node_id", "name", "country_codes"}),
}
_ORDER = ["entities", "others", "intermediaries", "officers", "addresses", "relationships"]
OLD_EDGES = frozenset({"node_1", "rel_type", "node_2"})

# Year each leak was first published by ICIJ (icij.org investigation pages), used as the
# source date; the `valid_until` text says how current the data is.
LEAKS: tuple[tuple[str, str], ...] = (
    ("offshore leaks", "2013"),
    ("panama papers", "2016"),
    ("bahamas leaks", "2016"),
    ("paradise papers", "2017"),
    ("pandora papers", "2021"),
)

# (words in the normalised `link`, relation kinds to try in order, role). First match wins, so
# specific phrases come before general ones. Roles keep ICIJ's wording.
LINKS: tuple[tuple[str, tuple[str, ...], str], ...] = (
    ("nominee shareholder", ("registered_owner_of",), "nominee shareholder"),
    ("nominee beneficial owner", ("registered_owner_of",), "nominee beneficial owner"),
    ("nominee beneficiary", ("registered_owner_of",), "nominee beneficiary"),
    ("nominee director", ("officer_of",), "nominee director"),
    ("nominee protector", ("controls",), "nominee protector"),
    ("nominee trustee", ("controls",), "nominee trustee"),
    ("nominee", ("officer_of",), "nominee"),
    ("beneficial owner", ("beneficial_owner_of", "owns"), "beneficial owner"),
    ("ultimate beneficial", ("beneficial_owner_of", "owns"), "ultimate beneficial owner"),
    ("beneficiary", ("beneficial_owner_of", "owns"), "beneficiary"),
    ("shareholder", ("owns",), "shareholder"),
    ("owner", ("owns",), "owner"),
    ("member", ("owns",), "member"),
    ("partner", ("owns",), "partner"),
    ("trustee", ("controls",), "trustee"),
    ("protector", ("controls",), "protector"),
    ("settlor", ("founder_of",), "settlor"),
    ("founder", ("founder_of",), "founder"),
    ("director", ("officer_of",), "director"),
    ("secretary", ("officer_of",), "secretary"),
    ("president", ("officer_of",), "president"),
    ("treasurer", ("officer_of",), "treasurer"),
    ("chairman", ("officer_of",), "chairman"),
    ("officer", ("officer_of",), "officer"),
    ("signatory", ("officer_of",), "signatory"),
    ("power of attorney", ("officer_of",), "power of attorney"),
    ("attorney", ("officer_of",), "attorney"),
    ("authorised person", ("officer_of",), "authorised person"),
    ("authorized person", ("officer_of",), "authorised person"),
    ("manager", ("officer_of",), "manager"),
    ("auditor", ("advised",), "auditor"),
    ("legal advisor", ("advised",), "legal adviser"),
    ("adviser", ("advised",), "adviser"),
    ("advisor", ("advised",), "adviser"),
    ("accountant", ("advised",), "accountant"),
    ("intermediary", ("advised",), "intermediary"),
    ("registered agent", ("advised",), "registered agent"),
    ("agent", ("advised",), "agent"),
    ("registered address", ("located_in",), "registered address"),
)
# rel_type values that say two nodes may be the same, not that they are linked.
IDENTITY = frozenset(
    {
        "same_as",
        "same_name_as",
        "same_company_as",
        "same_id_as",
        "similar",
        "similar_company_as",
        "probably_same_officer_as",
        "same_address_as",
        "same_intermediary_as",
    }
)
_DEFAULTS: dict[str, tuple[tuple[str, ...], str]] = {
    "officer_of": (("officer_of",), "officer"),
    "intermediary_of": (("advised",), "intermediary"),
    "registered_address": (("located_in",), "registered address"),
}
_FIRM_WORDS = re.compile(
    r"\b(limited|ltd|llp|llc|inc|corp|corporation|company|co\b|s\.?a\.?|ag|gmbh|bank|trust|trustees|law|legal|"
    r"associates|partners|services|management|consult\w*|fiduciair\w*|anstalt|group|holdings?|advocates|"
    r"solicitors|chambers|capital|securities|finance|financial|international|offshore|agency|&)\b",
    re.IGNORECASE,
)


def link_kind(rel_type: str, link: str) -> tuple[tuple[str, ...], str] | None:
    """Relation kinds (in order of preference) and role for an ICIJ link; None for identity links.

    Examples
    --------
    >>> link_kind("officer_of", "Nominee Shareholder of")
    (('registered_owner_of',), 'nominee shareholder')
    >>> link_kind("officer_of", "beneficiary of")
    (('beneficial_owner_of', 'owns'), 'beneficiary')
    >>> link_kind("same_name_as", "same name as") is None
    True
    """
    return _link_kind(rel_type, link)


@functools.lru_cache(maxsize=1 << 14)
def _link_kind(rel_type: str, link: str) -> tuple[tuple[str, ...], str] | None:
    # Millions of relationships use a few hundred (rel_type, link) pairs.
    rel = rel_type.strip().lower()
    if rel in IDENTITY:
        return None
    text = " ".join(re.sub(r"[^a-z ]+", " ", link.lower()).split())
    for words, kinds, role in LINKS:
        if re.search(rf"\b{words}\b", text):
            return kinds, role
    if rel in _DEFAULTS:
        kinds, role = _DEFAULTS[rel]
        return kinds, clean_text(link).lower() or role
    if rel in {"connected_to", "underlying"} or not rel:
        return None
    return None


def _layout(header: list[str], name: str) -> str:
    cols = set(header)
    if OLD_EDGES <= cols:
        raise InvalidData(f"{name}:1: ICIJ 2016 edge layout (node_1,rel_type,node_2) is not supported; use the current relationships.csv")
    for layout, needed in LAYOUTS.items():
        if needed <= cols:
            return layout
    raise InvalidData(
        f"{name}:1: not an ICIJ Offshore Leaks file: the header has none of the known layouts "
        "(nodes-entities, -officers, -intermediaries, -addresses, -others, relationships)"
    )


def _files(paths: list[Path]) -> list[tuple[str, Path, list[str], Any]]:
    files: list[Path] = []
    for p in paths:
        if p.is_dir():
            files.extend(sorted(q for q in p.iterdir() if q.suffix.lower() == ".csv"))
        else:
            files.append(p)
    opened = []
    for f in files:
        header, rows = open_csv(f)
        opened.append((_layout(header, f.name), f, header, rows))
    opened.sort(key=lambda x: (_ORDER.index(x[0]), x[1].name))
    return opened


def read(paths: list[Path], writer: DatasetWriter, meta: Meta) -> dict[str, Any]:
    info = {
        "title": "ICIJ Offshore Leaks Database",
        "licence": LICENCE,
        "url": "https://offshoreleaks.icij.org/pages/database",
        "description": CAVEAT,
    }
    # The column-wise path (icij_columnar) writes the same bytes; it leaves rare data to this one.
    if writer.columnar:
        from tracker.importers import icij_columnar

        if icij_columnar.read(paths, writer, meta):
            return info
    addresses: set[str] = set()
    for layout, path, header, rows in _files(paths):
        if layout in {"addresses"} and "name" not in header:
            writer.summary.info.append(f"{path.name}: older (2016) address layout recognised")
        for line, row in rows:
            writer.tick()
            where = f"{path.name}:{line}"
            if layout == "relationships":
                _relationship(row, where, writer, addresses)
                continue
            node = clean_text(row.get("node_id"))
            if not node.isdigit():
                writer.summary.skip("node without a numeric node_id", where)
                continue
            codes = [c for c in (country_code(x) for x in row.get("country_codes", "").split(";")) if c]
            src = _source(node, row, writer, meta)
            if layout == "addresses":
                if _address(node, row, codes, src, writer):
                    addresses.add(node)
                continue
            _node(layout, node, row, codes, src, writer)
    return info


@functools.lru_cache(maxsize=1 << 12)
def _leak(source_id: str, valid_until: str) -> tuple[str, str, str]:
    # (leak, year, notes): a handful of distinct values over millions of nodes, so each is
    # made (and held in memory) once.
    leak = clean_text(source_id) or "Offshore Leaks"
    year = next((y for key, y in LEAKS if leak.lower().startswith(key)), "")
    valid = " ".join(clean_text(valid_until).split())
    return leak, year, f"{leak}. {valid + '. ' if valid else ''}{CAVEAT}"


def _source(node: str, row: dict[str, str], writer: DatasetWriter, meta: Meta) -> str:
    leak, year, notes = _leak(row.get("sourceID") or "", row.get("valid_until") or "")
    name = clean_text(row.get("name")) or clean_text(row.get("address"), 120)
    return writer.source(
        _node_id(node),
        NODE_URL.format(id=node),
        f"{name} - ICIJ Offshore Leaks Database ({leak})",
        meta.publisher or PUBLISHER,
        meta.evidence or "investigative_report",
        date=year,
        licence=meta.licence or LICENCE,
        retrieved=meta.retrieved,
        notes=notes,
    )


def _node_id(node: str) -> str:
    # One string object per node, shared by the entity, its source and every relation naming
    # it: at 2 million nodes and 3 million links this saves gigabytes of duplicate strings.
    if node.isdigit() and node.isascii() and len(node) < 195:
        return sys.intern("icij:" + node)  # what make_id gives for a numeric id, without its checks
    return sys.intern(make_id("icij", node))


def _link_id(start: str, rel_type: str, end: str) -> str:
    """`make_id("icij", start, slug_rel(rel_type), end)`, without its checks when they cannot matter.

    Node ids are numeric (checked by the caller) and the slug of a relation type is usually
    already an id part, so the parts clean to themselves and the id is their join.

    Examples
    --------
    >>> _link_id("12", "officer_of", "34") == make_id("icij", "12", "officer_of", "34")
    True
    >>> _link_id("12", "Odd Type", "34") == make_id("icij", "12", slug_rel("Odd Type"), "34")
    True
    """
    slug = _clean_slug(rel_type)
    if slug is not None and start.isascii() and end.isascii():
        ident = f"icij:{start}:{slug}:{end}"
        if len(ident) <= 200:
            return ident
    return make_id("icij", start, slug_rel(rel_type), end)


@functools.lru_cache(maxsize=1 << 10)
def _clean_slug(rel_type: str) -> str | None:
    # The slug when make_id would keep it as it is (a lower-case id part), else None.
    slug = slug_rel(rel_type)
    return slug if slug and re.fullmatch(r"[a-z0-9._:-]+", slug) and slug.strip("-") == slug else None


def _is_firm(name: str) -> bool:
    from rigour.names.org_types import extract_org_types

    return bool(extract_org_types(name.lower())) or bool(_FIRM_WORDS.search(name))


def _node(layout: str, node: str, row: dict[str, str], codes: list[str], src: str, writer: DatasetWriter) -> None:
    name = clean_text(row.get("name"), 1000)
    if not name:
        writer.summary.skip(f"{layout} node without a name", node)
        return
    ident = _node_id(node)
    notes = [clean_text(row.get("note"))]
    country = codes[0] if codes else ""
    extra: dict[str, Any] = {}
    if layout in {"entities", "others"}:
        ctype = clean_text(row.get("company_type") or row.get("type"))
        kind = "trust_or_foundation" if re.search(r"trust|foundation|stiftung|anstalt", ctype, re.IGNORECASE) else "company"
        jur = country_code(row.get("jurisdiction_description", "")) or country_code(row.get("jurisdiction", ""))
        country = jur or country
        extra["birth_date"] = clean_date(row.get("incorporation_date"))
        aliases = [clean_text(row.get(k)) for k in ("original_name", "former_name")]
        extra["aliases"] = [a for a in aliases if a and a != name]
        status = clean_text(row.get("status"))
        for label, key in (
            ("status", "status"),
            ("company type", "company_type"),
            ("struck off", "struck_off_date"),
            ("inactivated", "inactivation_date"),
            ("closed", "closed_date"),
            ("service provider", "service_provider"),
        ):
            value = clean_text(row.get(key))
            if value and not (key == "status" and not status):
                notes.append(f"{label}: {value}")
        if row.get("ibcRUC"):
            extra["identifiers"] = [f"ibc:{clean_text(row['ibcRUC'])}"]
    elif layout == "intermediaries":
        kind = "professional_firm" if _is_firm(name) else "person"
        if clean_text(row.get("address")):
            notes.append(f"address: {clean_text(row.get('address'), 500)}")
    else:
        kind = "company" if _is_firm(name) else "person"
    writer.entity(ident, kind, name, node, country=country, sources=[src], notes="; ".join(n for n in notes if n), **extra)
    if layout in {"entities", "others"} and country:
        writer.relation(f"{ident}:registered-in", "registered_in", ident, writer.jurisdiction(country, src), node, sources=[src])
        others = codes
    else:
        others = codes
    for code in others:
        if layout in {"entities", "others"} and code == country:
            continue
        writer.relation(
            f"{ident}:located-in:{code}", "located_in", ident, writer.jurisdiction(code, src), node, role="address country", sources=[src]
        )


def _address(node: str, row: dict[str, str], codes: list[str], src: str, writer: DatasetWriter) -> bool:
    # The address text is the name (the 2016 layout has no `name`; the current one repeats it).
    text = " ".join(clean_text(row.get("address"), 1000).split()) or clean_text(row.get("name"), 1000)
    if not text:
        writer.summary.skip("addresses node without an address", node)
        return False
    ident = _node_id(node)
    writer.entity(ident, "address", text, node, country=codes[0] if codes else "", sphere="other", sources=[src])
    for code in codes:
        writer.relation(
            f"{ident}:located-in:{code}", "located_in", ident, writer.jurisdiction(code, src), node, role="address country", sources=[src]
        )
    return True


def _relationship(row: dict[str, str], where: str, writer: DatasetWriter, addresses: set[str]) -> None:
    start, end = clean_text(row.get("node_id_start")), clean_text(row.get("node_id_end"))
    rel_type, link = clean_text(row.get("rel_type")), clean_text(row.get("link"))
    if not (start.isdigit() and end.isdigit()):
        writer.summary.skip("relationship without numeric node ids", where)
        return
    found = link_kind(rel_type, link)
    if found is None:
        writer.summary.skip(f"identity or unspecific link ({rel_type or 'no rel_type'}), not a relation", where)
        return
    kinds, role = found
    src = _node_id(start)
    record = f"{start}-{rel_type}-{end}"
    dates = {"start": clean_date(row.get("start_date")), "end": clean_date(row.get("end_date"))}
    if kinds == ("located_in",):
        if end not in addresses:
            writer.summary.skip("registered_address to an address not in the import", where)
            return
        writer.relation(make_id("icij", start, "address", end), "located_in", src, _node_id(end), record, role=role, sources=[src], **dates)
        return
    ident = _link_id(start, rel_type, end)
    if ident in writer.relations and writer.relations[ident].values.get("role") != role:
        ident = make_id("icij", start, slug_rel(rel_type), end, re.sub(r"[^a-z]+", "-", role))
    writer.relation(
        ident,
        kinds,
        src,
        _node_id(end),
        record,
        role=role,
        sources=[src],
        note=_link_note(link),
        **dates,
    )


@functools.lru_cache(maxsize=1 << 12)
def _link_note(link: str) -> str:
    return f"ICIJ link: {link}." if link else ""


@functools.lru_cache(maxsize=1 << 10)
def slug_rel(rel_type: str) -> str:
    return re.sub(r"[^a-z0-9_]+", "-", rel_type.lower()) or "link"
