"""FollowTheMoney entities, built with the followthemoney library's own model.

Aleph, OpenSanctions tooling and `ftm` read FtM JSON lines; building every entity through
`followthemoney.model.make_entity` and `proxy.add` means every value is cleaned and checked by
the same library that will read it back.

Mapping (the `ftm` field of each kind in tracker/schema.yaml decides the schema):

- Entities become the schema of their kind (Person, Company, Organization, PublicBody,
  RealEstate). FtM has no jurisdiction entity: a jurisdiction becomes an Address (name, full
  name, country), and a `registered_in` relation also sets `jurisdiction` on the registered
  entity (`country` where the schema has no `jurisdiction`), a `located_in` relation sets
  `country`, so Aleph's country facets work.
- Relations become the relation schema of their kind (Ownership, Directorship, Family,
  Associate, Employment, Representation, Debt, Payment, Sanction...) with the FtM edge
  properties filled from the relation's ends. Where an end does not fit the FtM property's
  range (an Ownership asset must be an Asset, so a trust, an FtM Organization, cannot be one;
  a jurisdiction cannot be an owner), and for kinds without an FtM schema (`ftm: null`), the
  relation becomes an UnknownLink (subject, object) whose role names the relation kind.
  Sanction has no entity for the authority: the target's name goes in `authority`.
- Every relation entity carries `sourceUrl` and `publisher` (both Interval properties), its
  dates, role, percentage, amount and currency where the schema has them, and a `summary`
  with the evidence status, outcome, and the relations it answers or is answered by.
- `transaction` becomes a Payment from the source to the target, unless its role (written
  from the source's side) says the money came in: "sold ...", "received ...", "paid by ...".
- Ids: "trk-e-" + entity id and "trk-r-" + relation id (two prefixes, so an entity and a
  relation with the same id never collide). FtM ids allow only letters, digits, "." and "-":
  an id with other characters is slugged and suffixed with a hash of the original.
"""

from __future__ import annotations

import hashlib
import json
import re
from typing import Any

import networkx as nx
from followthemoney import model as ftm_model
from followthemoney.proxy import EntityProxy

from tracker.export.common import edge_source_ids, format_number, ordered_edges, ordered_nodes, publishers, source_urls
from tracker.model import load_model

__all__ = ["ENTITY_PREFIX", "RELATION_PREFIX", "ftm_id", "entity_proxies", "ftm_proxies", "ftm_lines"]

ENTITY_PREFIX = "trk-e-"
RELATION_PREFIX = "trk-r-"
FALLBACK_ENTITY = "LegalEntity"
FALLBACK_RELATION = "UnknownLink"
_FTM_ID = re.compile(r"^[0-9a-zA-Z]([0-9a-zA-Z.\-]*[0-9a-zA-Z])?$")
_MAX_ID = 200  # followthemoney.util.ENTITY_ID_LEN

# Roles of a `transaction` (from the source's side) that mean the money went to the source.
_MONEY_IN = ("sold", "received", "paid by", "was paid")

# How each ownership-like relation kind reads in FtM's `ownershipType` (its examples:
# beneficial, direct, indirect, ultimate).
_OWNERSHIP_TYPE = {"beneficial_owner_of": "beneficial", "controls": "control", "registered_owner_of": "registered"}


def ftm_id(prefix: str, our_id: str) -> str:
    """A valid, stable FtM id for one of our ids.

    Examples
    --------
    >>> ftm_id("trk-e-", "alpha-ruler")
    'trk-e-alpha-ruler'
    >>> ftm_id("trk-e-", "gb-coh:0001_x")
    'trk-e-gb-coh-0001-x-b2b17d08799c'
    """
    candidate = f"{prefix}{our_id}"
    if _FTM_ID.match(candidate) and len(candidate) <= _MAX_ID:
        return candidate
    slug = re.sub(r"[^0-9a-zA-Z.\-]+", "-", our_id).strip(".-")[:120].strip(".-")
    digest = hashlib.sha1(our_id.encode("utf-8")).hexdigest()[:12]
    return f"{prefix}{slug}-{digest}" if slug else f"{prefix}{digest}"


def _has(proxy: EntityProxy, prop: str) -> bool:
    return prop in proxy.schema.properties


def _add(proxy: EntityProxy, prop: str, values: Any) -> None:
    """Add cleaned values if the schema has the property; empty values are skipped."""
    if not _has(proxy, prop):
        return
    if isinstance(values, (list, tuple)):
        values = [str(v) for v in values if v is not None and str(v) != ""]
    elif values is None or str(values) == "":
        return
    else:
        values = str(values)
    proxy.add(prop, values, quiet=True)


def _entity(G: nx.MultiDiGraph, node: str, data: dict[str, Any]) -> EntityProxy:
    model = load_model()
    kind = model.entity_kinds.get(str(data.get("kind", "")))
    schema = ftm_model.get(kind.ftm) if kind is not None else None
    proxy = ftm_model.make_entity(FALLBACK_ENTITY if schema is None or schema.abstract else schema)
    proxy.id = ftm_id(ENTITY_PREFIX, str(node))
    name = str(data.get("name") or node)
    _add(proxy, "name", name)
    _add(proxy, "full", name)  # Address: the jurisdiction's name is its "full address"
    _add(proxy, "alias", list(data.get("aliases") or []))
    _add(proxy, "country", data.get("country"))
    _add(proxy, "topics", list(data.get("topics") or []))
    _add(proxy, "notes", data.get("notes"))
    birth = data.get("birth_date")
    _add(proxy, "birthDate" if _has(proxy, "birthDate") else "incorporationDate", birth)
    for identifier in data.get("identifiers") or []:
        scheme, _, value = str(identifier).partition(":")
        if not value:
            scheme, value = "", scheme
        prop = {"wikidata": "wikidataId", "lei": "leiCode"}.get(scheme.lower(), "registrationNumber")
        _add(proxy, prop, value)
    keywords = []
    if kind is not None:
        keywords.append(kind.label)
    sphere = model.spheres.get(str(data.get("sphere", "")))
    if sphere is not None:
        keywords.append(sphere.label)
    _add(proxy, "keywords", keywords)
    summary = []
    if data.get("kind") == "jurisdiction":
        summary.append("Offshore jurisdiction" if data.get("offshore") else "Jurisdiction")
    if data.get("placeholder"):
        summary.append("Placeholder for entities the sources do not name one by one")
    _add(proxy, "summary", "; ".join(summary))
    sources = [str(s) for s in data.get("sources") or []]
    _add(proxy, "sourceUrl", source_urls(G, sources))
    _add(proxy, "publisher", publishers(G, sources))
    return proxy


def entity_proxies(G: nx.MultiDiGraph) -> dict[str, EntityProxy]:
    """One FtM entity per node of `G`, keyed by our entity id, in id order."""
    return {str(n): _entity(G, str(n), d) for n, d in ordered_nodes(G)}


def _fits(prop_name: str, schema_name: str, entity: EntityProxy) -> bool:
    prop = ftm_model[schema_name].properties.get(prop_name)
    return prop is not None and prop.range is not None and entity.schema.is_a(prop.range)


def _ends(schema_name: str, role: str) -> tuple[str, str, bool]:
    """The FtM properties for our source and target ends, and whether they are swapped."""
    schema = ftm_model[schema_name]
    if schema_name == "Debt":  # "financed": the source lent, so it is the creditor
        return "debtor", "creditor", True
    if schema_name == "Payment" and role.lower().startswith(_MONEY_IN):
        return "payer", "beneficiary", True
    return str(schema.edge_source), str(schema.edge_target), False


def _share_text(data: dict[str, Any]) -> str:
    if data.get("share") is not None:
        return format_number(data["share"])
    low, high = data.get("share_min"), data.get("share_max")
    if low is not None and high is not None:
        return f"{format_number(low)}-{format_number(high)}"
    if low is not None:
        return f">{format_number(low)}"
    if high is not None:
        return f"<{format_number(high)}"
    return ""


def _relation(G: nx.MultiDiGraph, u: str, v: str, key: str, data: dict[str, Any], entities: dict[str, EntityProxy]) -> EntityProxy:
    model = load_model()
    kind_name = str(data.get("kind", ""))
    kind = model.relation_kinds.get(kind_name)
    label = kind.label if kind is not None else str(data.get("label") or kind_name)
    role = str(data.get("role") or "")
    source, target = entities[u], entities[v]

    schema_name = kind.ftm if kind is not None and kind.ftm and ftm_model.get(kind.ftm) is not None else FALLBACK_RELATION
    if schema_name == "Sanction":
        source_prop, target_prop, swapped = "entity", "", False
    else:
        source_prop, target_prop, swapped = _ends(schema_name, role)
        first, second = (target, source) if swapped else (source, target)
        if not (_fits(source_prop, schema_name, first) and _fits(target_prop, schema_name, second)):
            schema_name, swapped = FALLBACK_RELATION, False
            source_prop, target_prop = _ends(schema_name, role)[:2]

    proxy = ftm_model.make_entity(schema_name)
    proxy.id = ftm_id(RELATION_PREFIX, key)
    first, second = (target, source) if swapped else (source, target)
    _add(proxy, source_prop, first.id)
    if target_prop:
        _add(proxy, target_prop, second.id)
    else:  # Sanction: the authority is a name, not an entity
        _add(proxy, "authority", G.nodes[v].get("name", v))

    if schema_name == FALLBACK_RELATION:
        _add(proxy, "role", f"{label}: {role}" if role else label)
    elif _has(proxy, "relationship"):
        _add(proxy, "relationship", role)
    elif _has(proxy, "role"):
        _add(proxy, "role", role)
    elif _has(proxy, "purpose"):
        _add(proxy, "purpose", role)
    elif _has(proxy, "provisions"):
        _add(proxy, "provisions", role)

    summary: list[str] = []
    share = _share_text(data)
    if share and _has(proxy, "percentage"):
        _add(proxy, "percentage", share)
    elif share:
        summary.append(f"share: {share}%")
    if _has(proxy, "ownershipType"):
        _add(proxy, "ownershipType", [_OWNERSHIP_TYPE.get(kind_name, ""), str(data.get("direct") or "")])
    amount = format_number(data.get("amount"))
    currency = str(data.get("currency") or "")
    if amount and _has(proxy, "amount"):
        _add(proxy, "amount", amount)
        _add(proxy, "currency", currency)
    elif amount:
        summary.append(f"amount: {amount} {currency}".strip())
    for field in ("rank", "score"):
        if data.get(field) is not None:
            summary.append(f"{field}: {format_number(data[field])}")
    evidence = model.evidence_statuses.get(str(data.get("evidence") or ""))
    if evidence is not None:
        summary.insert(0, f"evidence: {evidence.label}")
    if data.get("outcome"):
        summary.append(f"outcome: {data['outcome']}")
    refers = [ftm_id(RELATION_PREFIX, str(r)) for r in data.get("refers_to") or []]
    if refers:
        summary.append(f"answers: {', '.join(refers)}")
    answered = [ftm_id(RELATION_PREFIX, str(r)) for r in data.get("referred_by") or []]
    if answered:
        summary.append(f"answered by: {', '.join(answered)}")
    _add(proxy, "summary", "; ".join(summary))
    _add(proxy, "description", data.get("note"))
    _add(proxy, "startDate", data.get("start"))
    _add(proxy, "endDate", data.get("end"))
    _add(proxy, "recordId", [key, str(data.get("record_id") or "")])
    sources = edge_source_ids(data)
    _add(proxy, "sourceUrl", source_urls(G, sources))
    _add(proxy, "publisher", publishers(G, sources))
    return proxy


def _set_places(G: nx.MultiDiGraph, entities: dict[str, EntityProxy]) -> None:
    """registered_in sets `jurisdiction`, located_in sets `country` on the entity (FtM's way)."""
    for u, v, _, data in ordered_edges(G):
        kind = data.get("kind")
        if kind not in ("registered_in", "located_in") or G.nodes[v].get("kind") != "jurisdiction":
            continue
        code = str(G.nodes[v].get("country") or v)
        proxy = entities[str(u)]
        prop = "jurisdiction" if kind == "registered_in" and _has(proxy, "jurisdiction") else "country"
        _add(proxy, prop, code)


def ftm_proxies(G: nx.MultiDiGraph) -> list[EntityProxy]:
    """Every entity (id order) then every relation entity (id order) of `G`."""
    entities = entity_proxies(G)
    _set_places(G, entities)
    # A statement about an entity itself (a declared-unknown owner) is no FtM relation: it goes in
    # the entity's notes, its source with the entity's.
    statements = {k for k, kind in load_model().relation_kinds.items() if kind.statement}
    relations = []
    for u, v, k, d in ordered_edges(G):
        if d.get("kind") in statements and u == v:
            _statement_note(G, entities[str(u)], d)
        else:
            relations.append(_relation(G, str(u), str(v), str(k), d, entities))
    return [*entities.values(), *relations]


def _statement_note(G: nx.MultiDiGraph, proxy: EntityProxy, data: dict[str, Any]) -> None:
    start, end = str(data.get("start") or ""), str(data.get("end") or "")
    when = f"{start or '?'}..{end}, ceased" if end else f"since {start}" if start else "undated"
    label = load_model().relation_kinds[str(data["kind"])].label
    note = f"{label[0].upper()}{label[1:]}: {data.get('role') or 'no reason given'} ({when})."
    if data.get("note"):
        note += f" {data['note']}"
    _add(proxy, "notes", note)
    sources = edge_source_ids(data)
    _add(proxy, "sourceUrl", source_urls(G, sources))
    _add(proxy, "publisher", publishers(G, sources))


def ftm_lines(G: nx.MultiDiGraph) -> str:
    """`G` as FtM JSON lines: one entity per line, id first, property names sorted."""
    lines = []
    for proxy in ftm_proxies(G):
        props = proxy.properties
        record = {"id": proxy.id, "schema": proxy.schema.name, "properties": {p: props[p] for p in sorted(props)}}
        lines.append(json.dumps(record, ensure_ascii=False, separators=(",", ":")))
    return "".join(f"{line}\n" for line in lines)
