"""Beneficial Ownership Data Standard (BODS) 0.4: JSON arrays or JSON lines of statements.

Statements describe records over time: several statements with the same `recordId` are one
record, and the one with the latest `statementDate` (then the last in the file) gives its state.
A closed record (`recordStatus: closed`) ends its relations on the interest's `endDate`, else
on the closing statement's date. Persons and entities become entities `bods:<recordId>`; each
interest of a relationship becomes one relation `bods:<recordId>:<n>` whose kind comes from
`INTERESTS` (beneficial ownership by a person -> beneficial_owner_of, shares -> owns, control ->
controls, board seats -> officer_of, ...). The publication details and the statement's source
become the citation; `EVIDENCE` maps BODS source types to evidence statuses. A relationship whose
interested party is unspecified (`{"reason": ..., "description": ...}`) becomes a
`declared_unknown_owner` statement on its subject, with the reason code verbatim and the
description in the note: a declared-unknown owner is a finding, and no placeholder person
stands in for the owner.

BODS 0.2 and 0.3 (statements with `statementType` and no `recordId`) are recognised and
rejected with a one-line message: their shape differs and they are better converted with
Open Ownership's own tools first.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tracker.exc import InvalidData
from tracker.importers import DatasetWriter, Meta, clean_date, clean_text, country_code, iter_json_records, make_id, slug

__all__ = ["INTERESTS", "EVIDENCE", "ENTITY_TYPES", "interest_kinds", "unspecified_reason", "read"]

# BODS interest type -> (relation kinds to try in order, role). "{beneficial}" kinds: when the
# interest is beneficial (beneficialOwnershipOrControl: true) the first kind is tried, else it
# is dropped. Codes from the standard's codelist schema/codelists/interestType.csv (0.4).
INTERESTS: dict[str, tuple[tuple[str, ...], str]] = {
    "shareholding": (("beneficial_owner_of", "owns"), "shareholding"),
    "votingRights": (("controls",), "voting rights"),
    "appointmentOfBoard": (("controls",), "appointment of board"),
    "otherInfluenceOrControl": (("controls",), "other influence or control"),
    "seniorManagingOfficial": (("officer_of", "employed_by"), "senior managing official"),
    "settlor": (("founder_of",), "settlor"),
    "trustee": (("controls",), "trustee"),
    "protector": (("controls",), "protector"),
    "beneficiaryOfLegalArrangement": (("beneficial_owner_of", "owns"), "beneficiary of a legal arrangement"),
    "rightsToSurplusAssetsOnDissolution": (("beneficial_owner_of", "owns"), "rights to surplus assets on dissolution"),
    "rightsToProfitOrIncome": (("beneficial_owner_of", "owns"), "rights to profit or income"),
    "rightsGrantedByContract": (("controls",), "rights granted by contract"),
    "conditionalRightsGrantedByContract": (("controls",), "conditional rights granted by contract"),
    "controlViaCompanyRulesOrArticles": (("controls",), "control via company rules or articles"),
    "controlByLegalFramework": (("controls",), "control by legal framework"),
    "boardMember": (("officer_of",), "board member"),
    "boardChair": (("officer_of",), "board chair"),
    "unknownInterest": (("controls",), "unknown interest"),
    "unpublishedInterest": (("controls",), "unpublished interest"),
    "enjoymentAndUseOfAssets": (("beneficial_owner_of", "owns"), "enjoyment and use of assets"),
    "rightToProfitOrIncomeFromAssets": (("beneficial_owner_of", "owns"), "right to profit or income from assets"),
    "nominee": (("controls",), "nominee"),
    "nominator": (("controls",), "nominator"),
}
_BENEFICIAL_ONLY = {"beneficial_owner_of"}

# BODS source type (schema/codelists/sourceType.csv) -> evidence status. A statement may list
# several types; the strongest wins. Self-declarations are filings made to a register, so they
# rank as company filings, not as the register's own record.
EVIDENCE: dict[str, str] = {
    "officialRegister": "official_register",
    "verified": "official_register",
    "selfDeclaration": "company_filing",
    "thirdParty": "investigative_report",
    "primaryResearch": "investigative_report",
}
DEFAULT_EVIDENCE = "company_filing"  # no source block: BODS publishers are mostly registers of declarations

# entityType.type (schema/codelists/entityType.csv) -> (entity kind, placeholder).
ENTITY_TYPES: dict[str, tuple[str, bool]] = {
    "registeredEntity": ("company", False),
    "legalEntity": ("company", False),
    "arrangement": ("trust_or_foundation", False),
    "anonymousEntity": ("company", True),
    "unknownEntity": ("company", True),
    "state": ("public_body", False),
    "stateBody": ("public_body", False),
}


def interest_kinds(interest: dict[str, Any]) -> tuple[tuple[str, ...], str]:
    """Relation kinds (in order of preference) and role for one BODS interest.

    Examples
    --------
    >>> interest_kinds({"type": "shareholding", "beneficialOwnershipOrControl": True})
    (('beneficial_owner_of', 'owns'), 'shareholding')
    >>> interest_kinds({"type": "shareholding", "beneficialOwnershipOrControl": False})
    (('owns',), 'shareholding')
    >>> interest_kinds({})
    (('controls',), 'unknown interest')
    """
    kinds, role = INTERESTS.get(str(interest.get("type") or "unknownInterest"), (("controls",), str(interest.get("type"))))
    if interest.get("beneficialOwnershipOrControl") is not True:
        kinds = tuple(k for k in kinds if k not in _BENEFICIAL_ONLY) or ("controls",)
    return kinds, role


def read(paths: list[Path], writer: DatasetWriter, meta: Meta) -> dict[str, Any]:
    records: dict[str, list[tuple[str, int, str, dict[str, Any]]]] = {}
    order = 0
    for path in paths:
        for line, st in iter_json_records(path):
            writer.tick()
            where = f"{path.name}:{line}"
            if not isinstance(st, dict):
                raise InvalidData(f"{where}: not a BODS statement (expected a JSON object)")
            version = str(_obj(st.get("publicationDetails")).get("bodsVersion", ""))
            if "statementType" in st or "recordId" not in st or version.startswith(("0.1", "0.2", "0.3")):
                found = version or ("0.2/0.3" if "statementType" in st else "unknown")
                raise InvalidData(f"{where}: recordId: BODS {found} statement; this importer reads BODS 0.4 (records with recordId)")
            if not isinstance(st["recordId"], str | int) or isinstance(st["recordId"], bool) or not str(st["recordId"]).strip():
                raise InvalidData(f"{where}: recordId: expected a non-empty text id, got {st['recordId']!r:.40}")
            if not isinstance(st.get("recordType"), str) or st["recordType"] not in {"entity", "person", "relationship"}:
                raise InvalidData(f"{where}: recordType: {st.get('recordType')!r} is not entity, person or relationship")
            order += 1
            records.setdefault(str(st["recordId"]), []).append((str(st.get("statementDate", "")), order, where, st))
            writer.defer()  # a statement's outcome is known once its record's latest statement is
    latest: dict[str, tuple[dict[str, Any], dict[str, Any], str, str]] = {}
    for rid, stmts in records.items():
        stmts.sort(key=lambda s: (s[0], s[1]))
        last = stmts[-1][3]
        details: dict[str, Any] = next((s[3]["recordDetails"] for s in reversed(stmts) if isinstance(s[3].get("recordDetails"), dict)), {})
        for older in stmts[:-1]:
            with writer.record():
                writer.summary.skip("older statement of a record (a later one wins)", older[2])
        latest[rid] = (last, details, stmts[-1][2], str(last.get("recordStatus", "")))
    retrieved_dates: set[str] = set()
    srcs: dict[str, str] = {}
    for rid in sorted(latest):
        st, details, where, status = latest[rid]
        src = srcs[rid] = _source(st, writer, meta, where)
        retrieved_dates.add(clean_date(_obj(st.get("publicationDetails")).get("publicationDate")))
        kind = st["recordType"]
        if kind == "person":
            with writer.record():
                _person(rid, st, details, src, status, writer)
        elif kind == "entity":
            with writer.record():
                _entity(rid, st, details, src, status, writer)
    for rid in sorted(latest):
        st, details, where, status = latest[rid]
        if st["recordType"] == "relationship":
            with writer.record():
                _relationship(rid, st, details, srcs[rid], status, where, writer)
    retrieved = meta.retrieved or max(filter(None, retrieved_dates), default="")
    for s in writer.sources.values():
        if retrieved and not s.get("retrieved"):
            s["retrieved"] = retrieved
    return {"title": "Beneficial ownership data (BODS 0.4)", "description": "Beneficial Ownership Data Standard 0.4 statements."}


def _source(st: dict[str, Any], writer: DatasetWriter, meta: Meta, where: str) -> str:
    pub = _obj(st.get("publicationDetails"))
    publisher = _obj(pub.get("publisher"))
    source = _obj(st.get("source"))
    types = source.get("type") or []
    types = [types] if isinstance(types, str) else [t for t in _list(types) if isinstance(t, str)]
    from tracker.model import load_model

    ranks = load_model().evidence_statuses
    found = [EVIDENCE[t] for t in types if t in EVIDENCE]
    evidence = meta.evidence or (max(found, key=lambda e: ranks[e].rank) if found else DEFAULT_EVIDENCE)
    url = next(
        (
            u
            for u in (source.get("url"), publisher.get("url"), meta.url)
            if isinstance(u, str) and u.lower().startswith(("http://", "https://"))
        ),
        "",
    )
    if not url:
        raise InvalidData(f"{where}: publicationDetails.publisher.url: no source URL in the data (publisher.url or source.url); pass --url")
    name = clean_text(publisher.get("name")) or meta.publisher or "unknown publisher"
    day = clean_date(pub.get("publicationDate"))
    import hashlib

    ident = make_id("bods", "src", slug(name)[:60] or "publisher", day or "undated", evidence, hashlib.sha1(url.encode()).hexdigest()[:6])
    notes = clean_text(source.get("description"))
    asserted = ", ".join(clean_text(a.get("name")) for a in _list(source.get("assertedBy")) if isinstance(a, dict) and a.get("name"))
    if asserted:
        notes = f"{notes} Asserted by: {asserted}.".strip()
    return writer.source(
        ident,
        url,
        meta.title or f"{name}: beneficial ownership statements (BODS {pub.get('bodsVersion', '0.4')})",
        name,
        evidence,
        date=day,
        licence=meta.licence or clean_text(pub.get("license")),
        retrieved=meta.retrieved,
        notes=notes,
    )


def _closed_note(status: str, st: dict[str, Any]) -> str:
    return f"Record closed on {clean_date(st.get('statementDate'))}." if status == "closed" else ""


def _person(rid: str, st: dict[str, Any], d: dict[str, Any], src: str, status: str, writer: DatasetWriter) -> None:
    names = [n for n in _list(d.get("names")) if isinstance(n, dict)]
    names.sort(key=lambda n: 0 if n.get("type") == "legal" else 1)
    full = [clean_text(n.get("fullName")) or " ".join(clean_text(n.get(k)) for k in ("givenName", "familyName") if n.get(k)) for n in names]
    full = [f for f in full if f]
    ptype = str(d.get("personType", ""))
    placeholder = ptype in {"anonymousPerson", "unknownPerson"} or not full
    nat = [n for n in _list(d.get("nationalities")) if isinstance(n, dict)]
    country = next((c for c in (country_code(str(n.get("code") or n.get("name") or "")) for n in nat) if c), "")
    pep = _obj(d.get("politicalExposure")).get("status") == "isPep"
    writer.entity(
        make_id("bods", rid),
        "person",
        full[0] if full else "Unnamed person",
        rid,
        aliases=full[1:],
        country=country,
        birth_date=clean_date(d.get("birthDate")),
        topics=["role.pep"] if pep else [],
        placeholder=placeholder or None,
        sources=[src],
        notes=_closed_note(status, st),
    )


def _entity(rid: str, st: dict[str, Any], d: dict[str, Any], src: str, status: str, writer: DatasetWriter) -> None:
    etype = _obj(d.get("entityType")).get("type", "registeredEntity")
    kind, placeholder = ENTITY_TYPES.get(str(etype), ("company", False))
    jur = _obj(d.get("jurisdiction"))
    country = country_code(str(jur.get("code") or jur.get("name") or ""))
    idents = []
    for i in _list(d.get("identifiers")):
        if isinstance(i, dict) and i.get("id"):
            scheme = slug(str(i.get("scheme") or i.get("schemeName") or "id"))
            idents.append(f"{scheme}:{clean_text(i['id']).replace(';', ',')}")
    names = [clean_text(d.get("name"))] + [clean_text(a) for a in _list(d.get("alternateNames"))]
    names = [n for n in names if n]
    ident = writer.entity(
        make_id("bods", rid),
        kind,
        names[0] if names else "Unnamed entity",
        rid,
        aliases=names[1:],
        country=country,
        identifiers=idents,
        birth_date=clean_date(d.get("foundingDate")),
        placeholder=(placeholder or not names) or None,
        sources=[src],
        notes=_closed_note(status, st),
    )
    if country and kind != "public_body":
        writer.relation(f"{ident}:registered-in", "registered_in", ident, writer.jurisdiction(country, src), rid, sources=[src])


def _relationship(rid: str, st: dict[str, Any], d: dict[str, Any], src: str, status: str, where: str, writer: DatasetWriter) -> None:
    subject, party = d.get("subject"), d.get("interestedParty")
    if not isinstance(subject, str):
        writer.summary.skip("subject unspecified", where)
        return
    closed_on = clean_date(st.get("statementDate")) if status == "closed" else ""
    interests = [i for i in _list(d.get("interests")) if isinstance(i, dict)] or [{}]
    if not isinstance(party, str):
        _declared_unknown(rid, subject, party, interests, closed_on, src, where, writer)
        return
    component = " Part of an indirect chain (component record)." if d.get("isComponent") else ""
    for n, interest in enumerate(interests, 1):
        kinds, role = interest_kinds(interest)
        share = _obj(interest.get("share"))
        lo = share.get("minimum", share.get("exclusiveMinimum"))
        hi = share.get("maximum", share.get("exclusiveMaximum"))
        exclusive = [k for k in ("exclusiveMinimum", "exclusiveMaximum") if k in share]
        direct = interest.get("directOrIndirect")
        note = (
            f"BODS interest: {interest.get('type') or 'unknown'}"
            + (f"; exclusive bounds: {', '.join(exclusive)}" if exclusive else "")
            + "."
            + component
        )
        writer.relation(
            make_id("bods", rid, str(n)),
            kinds,
            make_id("bods", party),
            make_id("bods", subject),
            record=rid,
            role=role,
            share=_num(share.get("exact")),
            share_min=_num(lo),
            share_max=_num(hi),
            direct=direct if isinstance(direct, str) and direct in {"direct", "indirect"} else "",
            start=clean_date(interest.get("startDate")),
            end=clean_date(interest.get("endDate")) or closed_on,
            sources=[src],
            note=note,
        )


def unspecified_reason(party: Any) -> tuple[str, str]:
    """(reason code, description) of an unspecified interested party, the code kept verbatim.

    BODS 0.4 gives the object itself (`{"reason": ..., "description": ...}`); older drafts
    nested it under `unspecified`. A party with no reason at all is `unknown`, BODS's own code
    for "the reason is not known".

    Examples
    --------
    >>> unspecified_reason({"reason": "subjectUnableToConfirmOrIdentifyBeneficialOwner", "description": "Tried."})
    ('subjectUnableToConfirmOrIdentifyBeneficialOwner', 'Tried.')
    >>> unspecified_reason({"unspecified": {"reason": "noBeneficialOwners"}}), unspecified_reason(None)
    (('noBeneficialOwners', ''), ('unknown', ''))
    """
    obj = _obj(party)
    inner = _obj(obj.get("unspecified")) or obj
    reason = clean_text(inner.get("reason"), 200) if isinstance(inner.get("reason"), str) else ""
    description = clean_text(inner.get("description"), 2000) if isinstance(inner.get("description"), str) else ""
    return reason or "unknown", description


def _declared_unknown(
    rid: str, subject: str, party: Any, interests: list[dict[str, Any]], closed_on: str, src: str, where: str, writer: DatasetWriter
) -> None:
    # BODS's guidance to consumers: keep the relationship and its reason code verbatim, never a
    # placeholder person. One statement per relationship record, dated by its interests.
    reason, description = unspecified_reason(party)
    types = sorted({str(i.get("type")) for i in interests if isinstance(i.get("type"), str)})
    starts = sorted(d for d in (clean_date(i.get("startDate")) for i in interests) if d)
    ends = [clean_date(i.get("endDate")) for i in interests]
    end = max(ends) if ends and all(ends) else closed_on
    note = " ".join(
        part
        for part in (
            description if not description or description.endswith((".", "!", "?")) else description + ".",
            f"BODS unspecified interested party ({reason}).",
            f"Interests: {', '.join(types)}." if types else "",
        )
        if part
    )
    subject_id = make_id("bods", subject)
    writer.relation(
        make_id("bods", rid),
        "declared_unknown_owner",
        subject_id,
        subject_id,
        record=rid,
        role=reason,
        start=starts[0] if starts else "",
        end=end,
        sources=[src],
        note=note,
    )


def _obj(value: Any) -> dict[str, Any]:
    """`value` if it is a JSON object, else {}: a field of the wrong type counts as absent."""
    return value if isinstance(value, dict) else {}


def _list(value: Any) -> list[Any]:
    """`value` if it is a JSON array, else []."""
    return value if isinstance(value, list) else []


def _num(value: Any) -> float | None:
    if isinstance(value, bool) or value is None:
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        return None
