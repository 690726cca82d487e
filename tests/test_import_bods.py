"""BODS 0.4 import: interest and evidence tables row by row, records over time, 0.2 rejected."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import FIXTURES_PATH
from tracker.dataset import load
from tracker.exc import InvalidData
from tracker.graph import build
from tracker.importers import run_import
from tracker.importers.bods import ENTITY_TYPES, EVIDENCE, INTERESTS, interest_kinds
from tracker.model import load_model
from tracker.validate import validate_paths

BODS = FIXTURES_PATH / "import" / "bods"


@pytest.mark.parametrize("code", sorted(INTERESTS))
def test_every_interest_maps_to_known_kinds(code: str) -> None:
    model = load_model()
    for beneficial in (True, False):
        kinds, role = interest_kinds({"type": code, "beneficialOwnershipOrControl": beneficial})
        assert kinds and all(k in model.relation_kinds for k in kinds)
        assert role
        assert ("beneficial_owner_of" in kinds) == (beneficial and INTERESTS[code][0][0] == "beneficial_owner_of")


@pytest.mark.parametrize(
    ("source_type", "evidence"),
    [
        ("officialRegister", "official_register"),
        ("verified", "official_register"),
        ("selfDeclaration", "company_filing"),
        ("thirdParty", "investigative_report"),
        ("primaryResearch", "investigative_report"),
    ],
)
def test_evidence_table(source_type: str, evidence: str) -> None:
    assert EVIDENCE[source_type] == evidence


def test_entity_types_table() -> None:
    kinds = load_model().entity_kinds
    assert all(kind in kinds for kind, _ in ENTITY_TYPES.values())
    assert ENTITY_TYPES["arrangement"] == ("trust_or_foundation", False)
    assert ENTITY_TYPES["anonymousEntity"] == ("company", True)


@pytest.fixture(scope="module")
def bods_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("bods")
    run_import("bods", sorted(BODS.iterdir()), out)
    return out


def test_bods_validates_builds_and_keeps_latest_state(bods_dir: Path) -> None:
    assert validate_paths([bods_dir]).ok
    ds = load([bods_dir])
    G = build(ds)
    gamma = next(e for e in ds.entities.values() if e.record_id == "Per-Gamma")
    assert gamma.name == "Гамма Құлыбаев" and gamma.aliases == ("Gamma Kulibayev",)
    assert gamma.topics == ("role.pep",) and gamma.country == "kz" and gamma.birth_date == "1966"
    # rel-1 was updated: the later statement (exact 60%, no board seat) wins; one record, no duplicate ids
    rels = [r for r in ds.relations.values() if r.record_id == "rel-1"]
    assert [(r.kind, r.share, r.share_min, r.direct, r.start) for r in rels] == [
        ("beneficial_owner_of", 60.0, None, "indirect", "2018-06-01")
    ]
    assert ds.sources[rels[0].sources[0]].date == "2021-03-02"
    assert G.number_of_edges() == len(ds.relations)


def test_bods_closed_record_ends_relation(bods_dir: Path) -> None:
    ds = load([bods_dir])
    (rel,) = [r for r in ds.relations.values() if r.record_id == "rel-epsilon"]
    assert (rel.kind, rel.share, rel.start, rel.end) == ("controls", 30.0, "2019", "2022-07-01")


def test_bods_entity_and_sources(bods_dir: Path) -> None:
    ds = load([bods_dir])
    kappa = ds.entities["bods:ent-kappa"]
    assert (kappa.kind, kappa.sphere, kappa.country, kappa.identifiers, kappa.birth_date) == (
        "company",
        "offshore",
        "vg",
        ("vg-fsc:555123",),
        "2006-03",
    )
    assert ds.entities["vg"].offshore is True
    evidences = {s.evidence for s in ds.sources.values()}
    assert evidences == {"official_register", "company_filing"}
    assert all(s.url == "https://register.example.org/" for s in ds.sources.values())


def test_bods_share_range_with_exclusive_bounds(tmp_path: Path) -> None:
    statements = json.loads((BODS / "bods-array.json").read_text(encoding="utf-8"))
    only_first = [s for s in statements if s["statementId"] != "s-rel-2"]
    path = tmp_path / "first.json"
    path.write_text(json.dumps(only_first), encoding="utf-8")
    run_import("bods", [path], tmp_path / "out")
    ds = load([tmp_path / "out"])
    rels = sorted((r.kind, r.share_min, r.share_max, r.role) for r in ds.relations.values() if r.record_id == "rel-1")
    assert rels == [("beneficial_owner_of", 25.0, 50.0, "shareholding"), ("officer_of", None, None, "board member")]


def test_bods_02_rejected(tmp_path: Path) -> None:
    old = tmp_path / "old.json"
    old.write_text(
        '[\n  {"statementID": "x", "statementType": "personStatement", "publicationDetails": {"bodsVersion": "0.2"}}\n]\n', encoding="utf-8"
    )
    with pytest.raises(InvalidData) as err:
        run_import("bods", [old], tmp_path / "out")
    assert str(err.value) == "old.json:2: recordId: BODS 0.2 statement; this importer reads BODS 0.4 (records with recordId)"


def test_bods_without_url_asks_for_one(tmp_path: Path) -> None:
    line = json.loads((BODS / "bods-lines.jsonl").read_text(encoding="utf-8").splitlines()[0])
    del line["publicationDetails"]["publisher"]["url"]
    path = tmp_path / "no-url.jsonl"
    path.write_text(json.dumps(line) + "\n", encoding="utf-8")
    with pytest.raises(InvalidData, match="pass --url"):
        run_import("bods", [path], tmp_path / "out")
