"""UK Companies House "persons with significant control" (PSC) snapshot, JSON lines.

Each snapshot line is `{"company_number", "data": {...}, "ContentDate"}`; the last line is a
totals record, read for its counts and not imported. A PSC becomes a person, company, public
body or organisation linked to the company it controls, one relation per nature of control:
ownership of shares and rights to surplus assets become `owns` with the band as share_min /
share_max, voting rights and rights to appoint become `controls`. Register of Overseas
Entities owners (`*-beneficial-owner`) are read the same way. A ceased PSC's relations end on
`ceased_on`. A statement that names no owner (a PSC statement such as
no-individual-or-entity-with-signficant-control, a super-secure PSC, an exemption) becomes a
`declared_unknown_owner` statement on the company, its code verbatim and its dates kept (a
ceased statement ends on `ceased_on`). Companies are `psc:<number>` with the identifier `gb-coh:<number>`; a corporate
PSC registered at Companies House is the same `psc:<number>` entity, so ownership chains join.

The snapshot carries no company names: give Companies House "BasicCompanyData" files (JSON or
CSV with `CompanyName`, `CompanyNumber`) among the files to name them; otherwise a company is
named "UK company <number>" until a record names it.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from tracker.exc import InvalidData
from tracker.importers import DatasetWriter, Meta, clean_date, clean_text, country_code, iter_json_records, make_id, open_csv

__all__ = ["NATURES", "nature_of_control", "read", "PSC_KINDS"]

PUBLISHER = "Companies House"
LICENCE = "OGL-3.0"
REGISTER_URL = "https://find-and-update.company-information.service.gov.uk/company/{number}/persons-with-significant-control"
DATASET_URL = "https://download.companieshouse.gov.uk/en_pscdata.html"

# `data.kind` -> entity kind of the PSC; UNKNOWN for the records that name no owner (a statement,
# a super-secure PSC, an exemption), which become declared_unknown_owner statements on the company.
UNKNOWN = "declared_unknown_owner"
PSC_KINDS: dict[str, tuple[str, str]] = {
    "individual-person-with-significant-control": ("person", ""),
    "individual-beneficial-owner": ("person", ""),
    "corporate-entity-person-with-significant-control": ("company", ""),
    "corporate-entity-beneficial-owner": ("company", ""),
    "legal-person-person-with-significant-control": ("legal", ""),
    "legal-person-beneficial-owner": ("legal", ""),
    "super-secure-person-with-significant-control": (UNKNOWN, "super-secure PSC (details withheld by Companies House)"),
    "super-secure-beneficial-owner": (UNKNOWN, "super-secure PSC (details withheld by Companies House)"),
    "persons-with-significant-control-statement": (UNKNOWN, "PSC statement (names no person)"),
    "exemptions": (UNKNOWN, "PSC exemption (names no person)"),
}

# Nature-of-control codes, by prefix: (relation kind, role). The band and the qualifiers
# (as trustee, as firm, overseas entity) are parsed from the rest of the code. Codes from the
# Companies House API enumeration `psc_descriptions.yml` (natures of control).
NATURES: tuple[tuple[str, str, str], ...] = (
    ("ownership-of-shares", "owns", "ownership of shares"),
    ("part-right-to-share-surplus-assets", "owns", "right to share surplus assets"),
    ("right-to-share-surplus-assets", "owns", "right to share surplus assets"),
    ("voting-rights", "controls", "voting rights"),
    ("right-to-appoint-and-remove-directors", "controls", "right to appoint and remove directors"),
    ("right-to-appoint-and-remove-members", "controls", "right to appoint and remove members"),
    ("right-to-appoint-and-remove-person", "controls", "right to appoint and remove the person"),
    ("significant-influence-or-control", "controls", "significant influence or control"),
)
_QUALIFIERS = (
    ("as-trust", "as trustee"),
    ("as-firm", "as member of a firm"),
    ("as-control-over-trust", "through control over a trust"),
    ("as-control-over-firm", "through control over a firm"),
    ("registered-overseas-entity", "overseas entity"),
)


def nature_of_control(code: str) -> dict[str, Any] | None:
    """The relation a nature-of-control code stands for, or None for an unknown code.

    Examples
    --------
    >>> nature_of_control("ownership-of-shares-25-to-50-percent")
    {'kind': 'owns', 'role': 'ownership of shares', 'share_min': 25.0, 'share_max': 50.0}
    >>> nature_of_control("voting-rights-more-than-25-percent-registered-overseas-entity")["share_min"]
    25.0
    >>> nature_of_control("significant-influence-or-control-as-trust")["role"]
    'significant influence or control (as trustee)'
    """
    code = code.strip().lower()
    for prefix, kind, role in NATURES:
        if code == prefix or code.startswith(prefix + "-"):
            out: dict[str, Any] = {"kind": kind, "role": role}
            quals = [text for key, text in _QUALIFIERS if f"-{key}" in code[len(prefix) :] or code.endswith(key)]
            if quals:
                out["role"] = f"{role} ({', '.join(quals)})"
            m = re.search(r"(\d+)-to-(\d+)-percent", code)
            if m:
                out["share_min"], out["share_max"] = float(m.group(1)), float(m.group(2))
            m = re.search(r"more-than-(\d+)-percent", code)
            if m:
                out["share_min"], out["share_max"] = float(m.group(1)), 100.0
            return out
    return None


def company_number(text: str) -> str:
    """A Companies House number as registered: upper case, digits padded to 8."""
    number = re.sub(r"\s+", "", clean_text(text, 50)).upper()
    return number.zfill(8) if number.isdigit() else number


def _uk_number(ident: dict[str, Any]) -> str:
    # A corporate PSC is a Companies House company when its registration says so.
    number = clean_text(ident.get("registration_number"), 50)
    where = " ".join(clean_text(ident.get(k), 200).lower() for k in ("place_registered", "country_registered", "legal_authority"))
    if (
        number
        and re.fullmatch(r"[A-Za-z]{0,2}\d{5,8}", number.replace(" ", ""))
        and ("companies house" in where or "england" in where or "wales" in where or "scotland" in where or "united kingdom" in where)
    ):
        return company_number(number)
    return ""


INFO = {
    "title": "UK Companies House persons with significant control",
    "licence": LICENCE,
    "url": DATASET_URL,
    "description": "Companies House PSC snapshot (Open Government Licence v3.0).",
}


def read(paths: list[Path], writer: DatasetWriter, meta: Meta) -> dict[str, Any]:
    # The column-wise path (psc_columnar) writes the same bytes; it leaves rare data to this one.
    if writer.columnar:
        from tracker.importers import psc_columnar

        if psc_columnar.read(paths, writer, meta):
            return dict(INFO)
    names: dict[str, tuple[str, str]] = {}
    snapshot_files = []
    for path in paths:
        if _is_company_data(path):
            names.update(_company_names(path, writer))
        else:
            snapshot_files.append(path)
    content_dates: set[str] = set()
    totals: dict[str, list[str]] = {}
    for path in snapshot_files:
        for line, rec in iter_json_records(path):
            writer.tick()
            where = f"{path.name}:{line}"
            if not isinstance(rec, dict) or not isinstance(rec.get("data"), dict):
                raise InvalidData(f"{where}: data: not a PSC snapshot line (expected an object with 'data')")
            data = rec["data"]
            kind = str(data.get("kind", ""))
            if kind.startswith("totals#"):
                counts = ", ".join(f"{k}={v}" for k, v in sorted(data.items()) if k != "kind")
                totals.setdefault(counts, []).append(f"{path.name}:{line}")
                writer.used()  # read for its counts, shown in the summary
                continue
            if "company_number" not in rec:
                raise InvalidData(f"{where}: company_number: missing")
            _one(rec, data, kind, where, writer, meta, content_dates, names)
    for counts, places in sorted(totals.items()):
        more = f" and {len(places) - 1} more" if len(places) > 1 else ""
        writer.summary.info.append(f"totals line (read, not imported) at {places[0]}{more}: {counts}")
    for number, (name, inc) in sorted(names.items()):
        ident = make_id("psc", number)
        if ident in writer.entities:
            writer.entity(ident, "company", name, number, birth_date=inc)
    retrieved = meta.retrieved or (max(content_dates) if content_dates else "")
    for src in writer.sources.values():
        if retrieved and not src.get("retrieved"):
            src["retrieved"] = retrieved
    return dict(INFO)


def _one(
    rec: dict[str, Any],
    data: dict[str, Any],
    kind: str,
    where: str,
    writer: DatasetWriter,
    meta: Meta,
    content_dates: set[str],
    names: dict[str, tuple[str, str]],
) -> None:
    number = company_number(str(rec.get("company_number", "")))
    mapped = PSC_KINDS.get(kind)
    if mapped is None:
        writer.summary.skip(f"unknown PSC kind {kind!r}", where)
        return
    ekind, reason = mapped
    day = clean_date(rec.get("ContentDate"))
    if day:
        content_dates.add(day)
    src = writer.source(
        make_id("psc", "src", number),
        REGISTER_URL.format(number=number),
        f"Persons with significant control of company {number}",
        meta.publisher or PUBLISHER,
        meta.evidence or "official_register",
        date=day,
        licence=meta.licence or LICENCE,
        retrieved=meta.retrieved,
        notes="Companies House PSC snapshot",
    )
    company = add_company(writer, number, src, names)
    link = str((data.get("links") or {}).get("self", ""))
    psc_key = link.rstrip("/").rsplit("/", 1)[-1] if link else str(data.get("etag", ""))
    if not psc_key:
        writer.summary.skip("PSC without links.self or etag (no stable id)", where)
        return
    if ekind == UNKNOWN:
        _declared_unknown(company, kind, data, make_id("psc", number, psc_key), link or psc_key, src, writer)
        return
    name = clean_text(data.get("name"), 500)
    ident_block = data.get("identification") or {}
    address = data.get("address") or data.get("principal_office_address") or {}
    if ekind == "person":
        elements = data.get("name_elements") or {}
        plain = " ".join(clean_text(elements.get(k)) for k in ("forename", "middle_name", "surname") if elements.get(k))
        birth = birth_date(data.get("date_of_birth") or {})
        country = country_code(str(data.get("country_of_residence", ""))) or country_code(str(address.get("country", "")))
        psc = writer.entity(
            make_id("psc", number, psc_key),
            "person",
            name or plain,
            link or psc_key,
            aliases=[plain] if plain and plain != name else [],
            birth_date=birth,
            country=country,
            sources=[src],
            notes=f"Nationality: {clean_text(data.get('nationality'))}." if data.get("nationality") else "",
        )
    else:
        uk = _uk_number(ident_block) if ekind == "company" else ""
        country = country_code(str(ident_block.get("country_registered", ""))) or country_code(str(address.get("country", "")))
        if ekind == "legal":
            ekind = legal_kind(ident_block, name)
        notes = "; ".join(f"{k.replace('_', ' ')}: {clean_text(v)}" for k, v in sorted(ident_block.items()) if clean_text(v))
        if uk:
            psc = add_uk_parent(writer, uk, name, notes, src)
        else:
            psc = writer.entity(make_id("psc", number, psc_key), ekind, name, link or psc_key, country=country, sources=[src], notes=notes)
    if data.get("is_sanctioned") is True:
        mark_sanctioned(writer, psc)
    start = clean_date(data.get("notified_on"))
    end = clean_date(data.get("ceased_on"))
    natures = data.get("natures_of_control") or []
    if not natures:
        writer.summary.skip("PSC without natures_of_control", where)
        return
    # Relation ids come from the PSC record, not the PSC entity: a UK parent company is one entity
    # for all its subsidiaries, and ids made from it would collide (all but the first dropped).
    record_id = make_id("psc", number, psc_key)
    for i, code in enumerate(natures, 1):
        found = nature_of_control(str(code))
        if found is None:
            writer.summary.skip(f"unknown nature of control {code!r}", where)
            continue
        kind_name = found.pop("kind")
        writer.relation(
            f"{record_id}:{i}",
            kind_name,
            psc,
            company,
            record=f"{link or psc_key}#{code}",
            start=start,
            end=end,
            sources=[src],
            note=f"Nature of control: {code}.",
            **found,
        )


def birth_date(dob: dict[str, Any]) -> str:
    """A PSC's date of birth: year and month (the public snapshot gives no day)."""
    if dob.get("year") and dob.get("month"):
        return clean_date(f"{dob.get('year', '')}-{dob.get('month', '')}")
    return clean_date(str(dob.get("year", "")))


def legal_kind(ident_block: dict[str, Any], name: str) -> str:
    """public_body for a legal-person PSC that is a state body, else organisation."""
    form = " ".join(clean_text(ident_block.get(k)).lower() for k in ("legal_form", "legal_authority"))
    return (
        "public_body"
        if re.search(r"govern|state|department|ministry|crown|authority|council", form + " " + name.lower())
        else "organisation"
    )


def add_company(writer: DatasetWriter, number: str, src: str, names: dict[str, tuple[str, str]]) -> str:
    """The company a snapshot line is about: added on its first line, its source added after.

    Shared with the column-wise path (`psc_columnar`), which replays these calls for the
    companies that are also a UK parent's entity, so that both merge them the same way.
    """
    company = make_id("psc", number)
    if company not in writer.entities:
        name, inc = names.get(number, ("", ""))
        writer.entity(
            company,
            "company",
            name or f"UK company {number}",
            number,
            provisional=not name,
            identifiers=[f"gb-coh:{number}"],
            sources=[src],
            birth_date=inc,
            # Overseas entities (OE...) are foreign; every other number is a UK-registered company.
            country="" if number.startswith("OE") else "gb",
            notes="" if name else "Named only by number in the PSC snapshot.",
        )
    else:
        writer.entities[company]["sources"] = ";".join(dict.fromkeys([*writer.entities[company].get("sources", "").split(";"), src])).strip(
            ";"
        )
    return company


def add_uk_parent(writer: DatasetWriter, uk: str, name: str, notes: str, src: str) -> str:
    """A corporate PSC registered at Companies House: the company entity of its number."""
    return writer.entity(make_id("psc", uk), "company", name, uk, identifiers=[f"gb-coh:{uk}"], country="gb", sources=[src], notes=notes)


def mark_sanctioned(writer: DatasetWriter, ident: str) -> None:
    writer.entities[ident]["topics"] = ";".join(filter(None, [writer.entities[ident].get("topics", ""), "sanction"]))


def declared_unknown_reasons(kind: str, data: dict[str, Any]) -> list[tuple[str, str, str, str]]:
    """(reason code, description, start, end) of each statement a no-owner record makes.

    The code is kept verbatim, Companies House's spelling included
    ("no-individual-or-entity-with-signficant-control"): a statement's `statement`, the record
    kind of a super-secure PSC, each exemption's `exemption_type`.

    Examples
    --------
    >>> declared_unknown_reasons("persons-with-significant-control-statement",
    ...     {"statement": "psc-details-not-confirmed", "linked_psc_name": "A Person", "notified_on": "2017-01-02"})
    [('psc-details-not-confirmed', 'Linked PSC: A Person.', '2017-01-02', '')]
    >>> declared_unknown_reasons("super-secure-person-with-significant-control", {"ceased": False})
    [('super-secure-person-with-significant-control', 'Details withheld by Companies House (super-secure PSC).', '', '')]
    """
    start, end = clean_date(data.get("notified_on")), clean_date(data.get("ceased_on"))
    if kind.startswith("super-secure"):
        return [(kind, "Details withheld by Companies House (super-secure PSC).", start, end)]
    if kind == "exemptions":
        out = []
        for key, value in sorted((data.get("exemptions") or {}).items()):
            if not isinstance(value, dict):
                continue
            items = [i for i in value.get("items") or [] if isinstance(i, dict)]
            froms = sorted(d for d in (clean_date(i.get("exempt_from")) for i in items) if d)
            tos = [clean_date(i.get("exempt_to")) for i in items]
            code = clean_text(value.get("exemption_type"), 200) or clean_text(key, 200)
            out.append((code, f"PSC exemption: {clean_text(key, 200)}.", froms[0] if froms else "", max(tos) if tos and all(tos) else ""))
        return out or [("exemptions", "PSC exemption.", start, end)]
    code = clean_text(data.get("statement"), 200) or "persons-with-significant-control-statement"
    linked = clean_text(data.get("linked_psc_name"), 500)
    return [(code, f"Linked PSC: {linked}." if linked else "", start, end)]


def _declared_unknown(company: str, kind: str, data: dict[str, Any], ident: str, record: str, src: str, writer: DatasetWriter) -> None:
    # A statement that the company has no registrable owner, or that its owner is withheld, is a
    # finding in its own right: kept on the company with its code verbatim, no placeholder person.
    for i, (code, description, start, end) in enumerate(declared_unknown_reasons(kind, data), 1):
        writer.relation(
            ident if i == 1 else f"{ident}:{i}",
            UNKNOWN,
            company,
            company,
            record=record,
            role=code,
            start=start,
            end=end,
            sources=[src],
            note=" ".join(p for p in (description, f"Companies House {kind.replace('-', ' ')}.") if p),
        )


def _is_company_data(path: Path) -> bool:
    with open(path, "rb") as fh:
        head = fh.read(4096)
    return b"CompanyNumber" in head or b"CompanyName" in head


def _company_names(path: Path, writer: DatasetWriter) -> dict[str, tuple[str, str]]:
    """CompanyNumber -> (CompanyName, IncorporationDate) from BasicCompanyData JSON or CSV."""
    out: dict[str, tuple[str, str]] = {}
    with open(path, "rb") as fh:
        first = fh.read(64).lstrip()
    if first.startswith((b"[", b"{")):
        records = ((line, rec) for line, rec in iter_json_records(path))
    else:
        _, rows = open_csv(path)
        records = ((line, {k.strip(): v for k, v in row.items()}) for line, row in rows)
    for line, rec in records:
        writer.tick()
        if not isinstance(rec, dict) or not rec.get("CompanyNumber"):
            writer.summary.skip("company data record without CompanyNumber", f"{path.name}:{line}")
            continue
        number = company_number(str(rec["CompanyNumber"]))
        out[number] = (clean_text(rec.get("CompanyName"), 500), clean_date(rec.get("IncorporationDate")))
        writer.used()  # names the company if the snapshot has it
    return out
