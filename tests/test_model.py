"""The schema file loads into the model, and a malformed one fails clearly."""

from __future__ import annotations

from importlib import resources

import pytest
import yaml

from tracker.exc import InvalidModel
from tracker.model import load_model, parse_model

REQUIRED_ENTITY_KINDS = {
    "person",
    "company",
    "financial_institution",
    "professional_firm",
    "trust_or_foundation",
    "property",
    "jurisdiction",
    "public_body",
    "organisation",
}
REQUIRED_RELATION_KINDS = {
    "family",
    "associate",
    "owns",
    "beneficial_owner_of",
    "controls",
    "registered_owner_of",
    "officer_of",
    "employed_by",
    "founder_of",
    "advised",
    "financed",
    "underwrote",
    "listed_on",
    "registered_in",
    "located_in",
    "transaction",
    "litigation",
    "investigated_by",
    "sanctioned_by",
    "response",
    "ranked",
}
EVIDENCE = {
    "official_register",
    "court_judgment",
    "company_filing",
    "government_statement",
    "investigative_report",
    "news_report",
    "allegation",
}


def raw_schema() -> dict:
    return yaml.safe_load(resources.files("tracker").joinpath("schema.yaml").read_text(encoding="utf-8"))


def test_schema_has_what_the_mission_needs() -> None:
    m = load_model()
    assert REQUIRED_ENTITY_KINDS <= set(m.entity_kinds)
    assert REQUIRED_RELATION_KINDS <= set(m.relation_kinds)
    assert set(m.evidence_statuses) == EVIDENCE
    assert list(m.spheres) == ["elite", "company", "london_finance", "offshore", "other"]
    assert all(k.ftm for k in m.entity_kinds.values())


def test_relation_ranges() -> None:
    m = load_model()
    assert m.relation_kinds["family"].allows("person", "person")
    assert not m.relation_kinds["family"].allows("person", "company")
    assert m.relation_kinds["advised"].allows("professional_firm", "jurisdiction")  # target: any
    assert m.relation_kinds["family"].directed is False
    assert m.relation_kinds["owns"].ownership and "share_min" in m.relation_kinds["owns"].fields


def test_evidence_ranks_order_court_above_allegation() -> None:
    m = load_model()
    assert m.evidence_rank("court_judgment") > m.evidence_rank("news_report") > m.evidence_rank("allegation") > 0
    assert m.evidence_rank("nonsense") == 0


@pytest.mark.parametrize(
    "mutate,message",
    [
        (lambda d: d.pop("version"), "version must be an integer"),
        (lambda d: d["entity_kinds"]["person"].update(sphere="moon"), "entity_kinds.person.sphere: unknown sphere 'moon'"),
        (lambda d: d["relation_kinds"]["owns"].update(source=["planet"]), "relation_kinds.owns.source: unknown entity kind 'planet'"),
        (lambda d: d["relation_kinds"]["owns"].update(fields=["colour"]), "relation_kinds.owns.fields: unknown relation field 'colour'"),
        (lambda d: d["relation_kinds"]["owns"].update(directed="yes"), "relation_kinds.owns.directed must be true or false"),
        (lambda d: d["evidence_statuses"]["allegation"].update(rank="low"), "evidence_statuses.allegation.rank must be an integer"),
    ],
)
def test_malformed_schema(mutate, message: str) -> None:  # type: ignore[no-untyped-def]
    data = raw_schema()
    mutate(data)
    with pytest.raises(InvalidModel, match=message.replace(".", r"\.").replace("(", r"\(")):
        parse_model(data)


def test_model_round_trips_to_dict() -> None:
    d = load_model().to_dict()
    assert d["relation_kinds"]["owns"]["ftm"] == "Ownership"
    assert d["entity_kinds"]["jurisdiction"]["sphere"] == "offshore"


def test_disclaimer_is_part_of_the_model() -> None:
    text = load_model().disclaimer
    assert text.startswith("Inclusion of a person, company or institution is not an allegation of wrongdoing.")
    assert "\n" not in text and "  " not in text
    data = raw_schema()
    data.pop("disclaimer")
    with pytest.raises(InvalidModel, match="disclaimer must be a non-empty string"):
        parse_model(data)
