"""FollowTheMoney import: schema tables, edges, sanctions, dangling references, id collisions."""

from __future__ import annotations

from pathlib import Path

import pytest
from followthemoney import model as ftm_model

from tests.conftest import FIXTURES_PATH
from tracker.dataset import load
from tracker.exc import InvalidData
from tracker.graph import build
from tracker.importers import run_import
from tracker.importers.ftm import EDGES, SCHEMATA, thing_kind
from tracker.model import load_model
from tracker.validate import validate_paths

FTM = FIXTURES_PATH / "import" / "ftm"


@pytest.mark.parametrize(
    ("schema", "kind"),
    [
        ("Person", "person"),
        ("Company", "company"),
        ("Organization", "organisation"),
        ("LegalEntity", "company"),
        ("PublicBody", "public_body"),
        ("RealEstate", "property"),
        ("Vessel", "property"),
        ("Address", None),
        ("Passport", None),
    ],
)
def test_schema_table(schema: str, kind: str | None) -> None:
    assert thing_kind(ftm_model.get(schema), []) == kind


def test_tables_name_real_schemata_and_kinds() -> None:
    model = load_model()
    for name in [*SCHEMATA, *EDGES]:
        assert ftm_model.get(name) is not None, name
    for name, (kinds, src, dst, _) in EDGES.items():
        schema = ftm_model.get(name)
        assert all(k in model.relation_kinds for k in kinds)
        assert schema.get(src) is not None and schema.get(dst) is not None


@pytest.fixture(scope="module")
def ftm_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("ftm")
    run_import("ftm", [FTM / "entities.ftm.json"], out)
    return out


def test_ftm_validates_and_builds(ftm_dir: Path) -> None:
    assert validate_paths([ftm_dir]).ok
    ds = load([ftm_dir])
    G = build(ds)
    beta = ds.entities["ftm:kz-person-1"]
    assert (beta.name, beta.aliases, beta.birth_date, beta.topics) == ("Beta Rulerova", ("Бета Правителева",), "1963-05-07", ("role.pep",))
    assert ds.entities["ftm:bank-zeta"].kind == "financial_institution"
    assert ds.entities["ftm:co-kappa"].sphere == "offshore"
    kinds = sorted((d["kind"], u, v) for u, v, d in G.edges(data=True))
    gamma = "ftm:nk-gamma-6f4a9a47"
    authority = "ftm:authority:office-of-financial-sanctions-implementation"
    assert kinds == [
        ("family", "ftm:kz-person-1", gamma),
        ("owns", "ftm:kz-person-1", "ftm:co-kappa"),
        ("sanctioned_by", gamma, authority),
        ("transaction", "ftm:co-kappa", "ftm:bank-zeta"),
    ]
    pay = ds.relations["ftm:pay-1"]
    assert (pay.amount, pay.currency, pay.start) == (100000.5, "EUR", "2011-12-29")
    assert ds.entities[authority].kind == "public_body"


def test_ftm_ids_differing_in_case_do_not_collide(ftm_dir: Path) -> None:
    ds = load([ftm_dir])
    assert ds.entities["ftm:nk-gamma"].record_id == "nk-gamma"
    assert ds.entities["ftm:nk-gamma-6f4a9a47"].record_id == "NK-Gamma"
    assert ds.entities["ftm:nk-gamma"].identifiers == ("gb-coh:OC999001",)


def test_ftm_dangling_references_reported(tmp_path: Path) -> None:
    summary = run_import("ftm", [FTM / "entities.ftm.json"], tmp_path / "o")
    key = "reference to an entity not in the files (2 distinct ids)"
    assert summary.skipped[key] == 2
    assert summary.examples[key] == ["addr-missing-1", "co-missing"]
    assert summary.skipped["Sanction without an authority (no body to link to)"] == 1
    assert summary.skipped["Membership: the schema has no membership relation"] == 1


def test_ftm_bad_schema_and_json(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text('{"id": "a", "schema": "NoSuchSchema", "properties": {}}\n', encoding="utf-8")
    with pytest.raises(InvalidData, match=r"^bad.json:1: schema: "):
        run_import("ftm", [bad], tmp_path / "o")
    bad.write_text('{"id": "a", "schema": "Person", "properties": {"name": ["A"]}, "datasets": ["x"]}\n{oops\n', encoding="utf-8")
    with pytest.raises(InvalidData, match=r"^bad.json:2: not valid JSON"):
        run_import("ftm", [bad], tmp_path / "o")
