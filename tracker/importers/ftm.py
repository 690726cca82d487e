"""FollowTheMoney entity JSON lines (Aleph, OpenSanctions), read through followthemoney's model.

Each line becomes a proxy (`model.get_proxy`), so property names and values are checked by the
library that defines the format. Thing schemata map to entity kinds (`SCHEMATA`), edge
schemata to relation kinds (`EDGES`); Sanction entities become `sanctioned_by` relations to a
public body named after the sanction's authority. Entities are `ftm:<id>`.

Records are read as the library reads them, and one bad record never stops the import: a scalar
property value counts as one value, a property the schema does not define is left out and
counted by name, a value its property's type rejects is left out and counted with its line, and
a record with no usable id, schema or source (or a line that is not JSON) is skipped with its
reason (`tolerant_record`). Only a file with no usable record at all is an error.

Address entities become address entities, and an entity's `addressEntity` a located_in relation
to it. References to entities that are not in the files (OpenSanctions exports leave Address
entities out) are reported, not fatal: the summary counts them with the first few ids. Sources: the
OpenSanctions dataset pages of the entity's `datasets`, else its `sourceUrl`, else `--url`.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

from tracker.exc import InvalidData
from tracker.importers import DatasetWriter, Meta, Summary, clean_date, clean_text, country_code, iter_json_records, make_id, slug

__all__ = ["SCHEMATA", "EDGES", "thing_kind", "read", "tolerant_record"]

# FtM schema -> entity kind; the most specific listed ancestor wins (see thing_kind).
SCHEMATA: dict[str, str] = {
    "Person": "person",
    "Company": "company",
    "Organization": "organisation",
    "LegalEntity": "company",
    "PublicBody": "public_body",
    "RealEstate": "property",
    "Vessel": "property",
    "Airplane": "property",
    "Vehicle": "property",
    "Address": "address",
}

# Edge schema -> (relation kinds to try, FtM source property, FtM target property, role property).
# Debt runs from the creditor (the financer) to the debtor, reversing FtM's edge.
EDGES: dict[str, tuple[tuple[str, ...], str, str, str]] = {
    "Ownership": (("owns", "registered_owner_of"), "owner", "asset", "role"),
    "Directorship": (("officer_of",), "director", "organization", "role"),
    "Family": (("family",), "person", "relative", "relationship"),
    "Associate": (("associate",), "person", "associate", "relationship"),
    "Payment": (("transaction",), "payer", "beneficiary", "purpose"),
    "Representation": (("advised",), "agent", "client", "role"),
    "Employment": (("employed_by",), "employee", "employer", "role"),
    "Debt": (("financed",), "creditor", "debtor", "description"),
}
# Edge schemata with no relation kind in the schema: skipped with this reason.
UNMAPPED = {
    "Membership": "Membership: the schema has no membership relation",
    "UnknownLink": "UnknownLink: the link's nature is unknown",
    "Succession": "Succession: the schema has no succession relation",
    "Similar": "Similar: a matching hint, not a relation (see tracker match)",
}
# Evidence status of an OpenSanctions dataset by words in its name; first match wins.
DATASET_EVIDENCE: tuple[tuple[str, str], ...] = (
    ("egrul", "official_register"),
    ("_coh", "official_register"),
    ("register", "official_register"),
    ("sanction", "government_statement"),
    ("sdn", "government_statement"),
    ("fsf", "government_statement"),
    ("seco", "government_statement"),
    ("nsdc", "government_statement"),
    ("travel_ban", "government_statement"),
)
_IDENTIFIERS = {
    "registrationNumber": "reg",
    "innCode": "ru-inn",
    "ogrnCode": "ru-ogrn",
    "leiCode": "lei",
    "taxNumber": "tax",
    "idNumber": "id",
    "imoNumber": "imo",
    "swiftBic": "bic",
    "vatCode": "vat",
    "okpoCode": "ru-okpo",
}


def _get(proxy: Any, prop: str) -> list[str]:
    """Values of a property, or [] when the schema has no such property (FtM raises)."""
    return list(proxy.get(prop, quiet=True))


def _first(proxy: Any, prop: str) -> str | None:
    values = _get(proxy, prop)
    return values[0] if values else None


def thing_kind(schema: Any, topics: list[str]) -> str | None:
    """The entity kind for an FtM thing schema (banks become financial institutions).

    Examples
    --------
    >>> from followthemoney import model
    >>> thing_kind(model.get("Company"), []), thing_kind(model.get("Company"), ["fin.bank"]), thing_kind(model.get("Passport"), [])
    ('company', 'financial_institution', None)
    """
    kind: str | None
    if schema.name in SCHEMATA:
        kind = SCHEMATA[schema.name]
    else:
        kind = next((SCHEMATA[s.name] for s in schema.schemata if s.name in SCHEMATA and s.name != "LegalEntity"), None)
        if kind is None and schema.is_a("LegalEntity"):
            kind = "company"
    if kind in {"company", "organisation"} and any(t in {"fin.bank", "fin.fund", "fin"} for t in topics):
        return "financial_institution"
    return kind


# Why a record is skipped, by the field at fault: (reason in the summary, message of the first).
_RECORD_FAULTS: dict[str, tuple[str, str]] = {
    "object": ("not an FtM entity (no object with id and schema)", "schema: not an FtM entity (expected an object with id and schema)"),
    "schema-type": ("schema is not a schema name", "schema: expected a schema name (text), got {got}"),
    "schema": ("schema unknown to followthemoney", "schema: {got} is not a followthemoney schema"),
    "id": ("id is not a non-empty text", "id: expected a non-empty text id, got {got}"),
    "properties": ("properties is not an object", "properties: expected an object, got {got}"),
}


def tolerant_record(data: Any, where: str, summary: Summary) -> tuple[dict[str, Any] | None, str]:
    """The record as followthemoney reads it, with every value it cannot use left out and counted.

    A scalar property value counts as one value (as the library reads it); a property the schema
    does not define is left out and counted by name (`Summary.leave_out`); a value its property's
    type rejects (a date that is no date, a country that is none, an entity reference that is no
    id) is left out and counted with its line (`Summary.reject`). A record whose id, schema or
    properties are unusable is not an entity: it comes back as None with the message saying why.

    Examples
    --------
    >>> from tracker.importers import Summary
    >>> s = Summary()
    >>> rec, why = tolerant_record(
    ...     {"id": "a", "schema": "Person", "properties": {"name": "A", "birthDate": ["n/a", "1961"], "shoeSize": ["x"]}}, "f:1", s
    ... )
    >>> rec["properties"], why, dict(s.left_out), dict(s.rejected)
    ({'name': ['A'], 'birthDate': ['1961']}, '', {'shoeSize': 1}, {'birthDate': 1})
    >>> tolerant_record({"id": "a", "schema": ["Person"]}, "f:1", s)
    (None, 'f:1: schema: expected a schema name (text), got list')
    """
    from followthemoney import model

    def fault(key: str, got: Any = "") -> tuple[None, str]:
        reason, message = _RECORD_FAULTS[key]
        summary.skip(reason, where)
        return None, f"{where}: {message.format(got=got)}"

    if not isinstance(data, dict) or "schema" not in data or "id" not in data:
        return fault("object")
    if not isinstance(data["schema"], str):
        return fault("schema-type", type(data["schema"]).__name__)
    schema = model.get(data["schema"])
    if schema is None:
        return fault("schema", repr(data["schema"][:40]))
    if not isinstance(data["id"], str) or not data["id"].strip():
        return fault("id", f"{data['id']!r:.40}")
    props = data.get("properties") or {}
    if not isinstance(props, dict):
        return fault("properties", type(props).__name__)
    kept: dict[str, list[str]] = {}
    for name, raw in props.items():
        values = _as_values(raw)
        prop = schema.get(name) if isinstance(name, str) else None
        if prop is None:
            summary.leave_out(str(name)[:60], max(len(values), 1))
            continue
        for value in values:
            if not isinstance(value, str):
                summary.reject(prop.name, where, json_text(value))
            elif value.strip():
                if prop.type.clean(value, proxy=None) is None:
                    summary.reject(prop.name, where, value)
                else:
                    kept.setdefault(prop.name, []).append(value)
    out: dict[str, Any] = {"id": data["id"], "schema": schema.name, "properties": kept}
    for key in ("datasets", "referents"):
        values = _as_values(data.get(key) or [])
        out[key] = [v for v in values if isinstance(v, str) and v.strip()]
        for v in values:
            if not isinstance(v, str):
                summary.reject(key, where, json_text(v))
    if isinstance(data.get("caption"), str):
        out["caption"] = data["caption"]
    return out, ""


def _as_values(raw: Any) -> list[Any]:
    # The library reads a scalar as one value; numbers in the wild are text that lost its quotes.
    if isinstance(raw, list):
        return [str(v) if isinstance(v, (int, float)) and not isinstance(v, bool) else v for v in raw]
    if isinstance(raw, str):
        return [raw]
    if isinstance(raw, (int, float)) and not isinstance(raw, bool):
        return [str(raw)]
    return [] if raw is None else [raw]


def json_text(value: Any) -> str:
    import json

    try:
        return json.dumps(value, ensure_ascii=False)[:60]
    except (TypeError, ValueError):
        return type(value).__name__


def read(paths: list[Path], writer: DatasetWriter, meta: Meta) -> dict[str, Any]:
    from followthemoney import model
    from followthemoney.exc import FollowTheMoneyException

    seen: set[str] = set()
    refs: list[tuple[str, str]] = []  # (referencing id, referenced id)
    occupancies: list[tuple[str, Any, list[str]]] = []
    positions: dict[str, Any] = {}
    first_problem = ""
    summary = writer.summary
    for path in paths:
        for line, raw in iter_json_records(path, tolerant=True):
            writer.tick()
            where = f"{path.name}:{line}"
            if isinstance(raw, InvalidData):
                summary.skip("not valid JSON", where)
                first_problem = first_problem or str(raw)
                continue
            data, problem = tolerant_record(raw, where, summary)
            if data is None:
                first_problem = first_problem or problem
                continue
            try:
                proxy = model.get_proxy(data, cleaned=False)
            except (FollowTheMoneyException, TypeError, ValueError, AttributeError) as exc:
                summary.skip("rejected by followthemoney", where)
                first_problem = first_problem or f"{where}: schema: {str(exc).splitlines()[0] if str(exc) else type(exc).__name__}"
                continue
            if proxy.id is None:
                summary.skip("id is not a non-empty text", where)
                first_problem = first_problem or f"{where}: id: missing"
                continue
            seen.add(proxy.id)
            for prop, value in proxy.itervalues():
                if prop.type.name == "entity":
                    refs.append((proxy.id, value))
            schema = proxy.schema
            if schema.name == "Position":
                positions[proxy.id] = proxy
                writer.used()
                continue
            topics = _get(proxy, "topics")
            special = schema.name in {"Sanction", "Occupancy"} or schema.edge
            if not special and thing_kind(schema, topics) is None:
                summary.skip(f"{schema.name} entities are not modelled", where)
                continue
            srcs = _sources(proxy, data, writer, meta)
            if not srcs:
                summary.skip("names no dataset or sourceUrl (pass --url)", where)
                first_problem = first_problem or (
                    f"{where}: datasets: the entity names no dataset or sourceUrl; pass --url (and --title, --publisher)"
                )
                continue
            if schema.name == "Sanction":
                _sanction(proxy, srcs, writer, where)
            elif schema.name == "Occupancy":
                writer.defer()
                occupancies.append((where, proxy, srcs))
            elif schema.edge:
                _edge(proxy, srcs, writer, where)
            else:
                _thing(proxy, data, thing_kind(schema, topics) or "company", topics, srcs, writer)
    writer.settle()
    for where, proxy, srcs in occupancies:
        with writer.record():
            _occupancy(where, proxy, srcs, positions, writer)
    if not writer.entities and not writer.relations:
        names = ", ".join(p.name for p in paths)
        raise InvalidData(
            f"no usable record in {names} ({summary.read} read, every one left out); the first problem: {first_problem or 'none mapped'}"
        )
    dangling = sorted({ref for _, ref in refs if ref not in seen})
    if dangling:
        n_refs = sum(1 for _, ref in refs if ref not in seen)
        summary.skip(f"reference to an entity not in the files ({len(dangling)} distinct ids)", "", count=n_refs)
        summary.examples[f"reference to an entity not in the files ({len(dangling)} distinct ids)"] = dangling[:5]
    return {"title": "FollowTheMoney entities", "description": "FollowTheMoney entities, read with the followthemoney model."}


def _occupancy(where: str, proxy: Any, srcs: list[str], positions: dict[str, Any], writer: DatasetWriter) -> None:
    post = positions.get(_first(proxy, "post") or "")
    org = _first(post, "organization") if post is not None else None
    holder = _first(proxy, "holder")
    if post is None or org is None or holder is None:
        writer.summary.skip("Occupancy whose position names no organisation", where)
        return
    writer.relation(
        make_id("ftm", proxy.id or ""),
        "employed_by",
        make_id("ftm", holder),
        make_id("ftm", org),
        proxy.id or "",
        role=post.caption,
        start=clean_date(_first(proxy, "startDate")),
        end=clean_date(_first(proxy, "endDate")),
        sources=srcs,
    )


def _sources(proxy: Any, data: dict[str, Any], writer: DatasetWriter, meta: Meta) -> list[str]:
    out = []
    for name in data.get("datasets") or []:
        name = clean_text(name, 200)
        if not name:
            continue
        evidence = meta.evidence or next((e for key, e in DATASET_EVIDENCE if key in name), "investigative_report")
        out.append(
            writer.source(
                make_id("ftm", "dataset", name),
                f"https://www.opensanctions.org/datasets/{slug(name).replace(':', '-')}/",
                meta.title or f"OpenSanctions dataset {name}",
                meta.publisher or "OpenSanctions",
                evidence,
                licence=meta.licence or "CC-BY-NC-4.0",
                retrieved=meta.retrieved,
            )
        )
    if out:
        return out
    urls = [u for u in _get(proxy, "sourceUrl") if u.lower().startswith(("http://", "https://"))]
    for url in urls[:3]:
        out.append(
            writer.source(
                make_id("ftm", "url", hashlib.sha1(url.encode()).hexdigest()[:10]),
                url,
                meta.title or clean_text(url, 200),
                meta.publisher or "unknown publisher (FtM sourceUrl)",
                meta.evidence or "investigative_report",
                licence=meta.licence,
                retrieved=meta.retrieved,
            )
        )
    if out:
        return out
    if not meta.url:
        return []
    return [
        writer.source(
            "ftm:source",
            meta.url,
            meta.title or "FollowTheMoney entities",
            meta.publisher or "unknown publisher",
            meta.evidence or "investigative_report",
            licence=meta.licence,
            retrieved=meta.retrieved,
        )
    ]


def _thing(proxy: Any, data: dict[str, Any], kind: str, topics: list[str], srcs: list[str], writer: DatasetWriter) -> None:
    names = [clean_text(n, 1000) for n in _get(proxy, "name")]
    caption = clean_text(data.get("caption")) or (names[0] if names else "") or clean_text(proxy.caption)
    aliases = [n for n in [*names, *_get(proxy, "alias"), *_get(proxy, "previousName"), *_get(proxy, "weakAlias")] if n and n != caption]
    country = next(
        (c for c in (country_code(x) for x in [*_get(proxy, "jurisdiction"), *_get(proxy, "country"), *_get(proxy, "nationality")]) if c),
        "",
    )
    birth = ""
    for prop in ("birthDate", "incorporationDate"):
        if proxy.schema.get(prop) is not None:
            birth = next((d for d in (clean_date(x) for x in sorted(_get(proxy, prop))) if d), "")
            if birth:
                break
    idents = []
    for prop, scheme in _IDENTIFIERS.items():
        if proxy.schema.get(prop) is None:
            continue
        for value in _get(proxy, prop):
            s = "gb-coh" if scheme == "reg" and country == "gb" and kind == "company" else scheme
            idents.append(f"{s}:{clean_text(value, 100).replace(';', ',')}")
    notes = "; ".join(clean_text(n, 500) for n in _get(proxy, "notes")[:3] if proxy.schema.get("notes") is not None)
    if kind == "address":
        caption = (
            caption
            or clean_text(_first(proxy, "full"))
            or ", ".join(clean_text(v) for p in ("street", "city", "postalCode") for v in _get(proxy, p)[:1])
        )
    ident = make_id("ftm", proxy.id)
    # An entity's addresses (`addressEntity`) are where it is registered or lives: located_in them.
    for address in _get(proxy, "addressEntity") if proxy.schema.get("addressEntity") is not None else []:
        writer.relation(
            f"{ident}:address:{make_id('ftm', address)[4:]}",
            "located_in",
            ident,
            make_id("ftm", address),
            proxy.id,
            role="address",
            sources=srcs,
        )
    writer.entity(
        make_id("ftm", proxy.id),
        kind,
        caption or proxy.id,
        proxy.id,
        aliases=aliases,
        country=country,
        topics=topics,
        birth_date=birth,
        identifiers=idents,
        sources=srcs,
        notes=notes,
    )


def _edge(proxy: Any, srcs: list[str], writer: DatasetWriter, where: str) -> None:
    name = proxy.schema.name
    if name not in EDGES:
        writer.summary.skip(UNMAPPED.get(name, f"{name}: no relation kind for this edge schema"), where)
        return
    kinds, src_prop, dst_prop, role_prop = EDGES[name]
    source, target = _first(proxy, src_prop), _first(proxy, dst_prop)
    if not source or not target:
        writer.summary.skip(f"{name} without both ends", where)
        return
    values: dict[str, Any] = {
        "role": clean_text(_first(proxy, role_prop) if proxy.schema.get(role_prop) is not None else "", 500),
        "start": clean_date(
            _first(proxy, "startDate") or _first(proxy, "date") if proxy.schema.get("date") is not None else _first(proxy, "startDate")
        ),
        "end": clean_date(_first(proxy, "endDate")),
    }
    if name == "Ownership":
        pct = _first(proxy, "percentage")
        try:
            values["share"] = float(str(pct).strip().rstrip("%")) if pct else None
        except ValueError:
            values["share"] = None
    if name in {"Payment", "Debt"}:
        amount, currency = _first(proxy, "amount"), _first(proxy, "currency")
        if amount is None and proxy.schema.get("amountEur") is not None and _first(proxy, "amountEur"):
            amount, currency = _first(proxy, "amountEur"), "EUR"
        try:
            values["amount"] = float(str(amount)) if amount else None
            values["currency"] = str(currency).upper() if currency and values["amount"] is not None else ""
        except ValueError:
            values["amount"] = None
        if name == "Payment" and not values["role"]:
            values["role"] = "paid"
    writer.relation(make_id("ftm", proxy.id), kinds, make_id("ftm", source), make_id("ftm", target), proxy.id, sources=srcs, **values)


def _sanction(proxy: Any, srcs: list[str], writer: DatasetWriter, where: str) -> None:
    target = _first(proxy, "entity")
    authority = clean_text(_first(proxy, "authority"), 300)
    if not target:
        writer.summary.skip("Sanction without an entity", where)
        return
    if not authority:
        writer.summary.skip("Sanction without an authority (no body to link to)", where)
        return
    country = country_code(_first(proxy, "country") or "")
    body = make_id("ftm", "authority", slug(authority)[:120] or "unknown")
    urls = [u for u in _get(proxy, "sourceUrl") if u.lower().startswith(("http://", "https://"))]
    if urls:
        srcs = [
            writer.source(
                make_id("ftm", "url", hashlib.sha1(urls[0].encode()).hexdigest()[:10]),
                urls[0],
                f"{authority}: sanctions",
                authority,
                "government_statement",
            ),
            *srcs,
        ]
    writer.entity(body, "public_body", authority, "", country=country, sources=srcs[:1])
    program = clean_text(_first(proxy, "program") or _first(proxy, "programId") or "", 300)
    start = next((d for d in (clean_date(x) for x in sorted([*_get(proxy, "startDate"), *_get(proxy, "listingDate")])) if d), "")
    writer.relation(
        make_id("ftm", proxy.id),
        "sanctioned_by",
        make_id("ftm", target),
        body,
        proxy.id,
        role=program or "sanction",
        start=start,
        end=clean_date(_first(proxy, "endDate")),
        sources=srcs,
        note="; ".join(clean_text(r, 500) for r in _get(proxy, "reason")[:2]),
    )
