"""FollowTheMoney import: schema tables, edges, sanctions, dangling references, id collisions."""

from __future__ import annotations

from pathlib import Path

import pytest
from followthemoney import model as ftm_model

from tests.conftest import FIXTURES_PATH
from tracker.dataset import load
from tracker.exc import InvalidData
from tracker.graph import build
from tracker.importers import Summary, run_import
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
        ("Address", "address"),
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


def test_ftm_bad_json_line_is_counted_and_the_rest_imports(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text('{"id": "a", "schema": "Person", "properties": {"name": ["A"]}, "datasets": ["x"]}\n{oops\n', encoding="utf-8")
    summary = run_import("ftm", [bad], tmp_path / "o")
    assert (summary.read, dict(summary.outcomes), summary.skipped["not valid JSON"]) == (2, {"mapped": 1, "skipped": 1}, 1)
    assert summary.examples["not valid JSON"] == ["bad.json:2"]


def test_ftm_file_with_no_usable_record_is_an_error(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text('{"id": "a", "schema": "NoSuchSchema", "properties": {}}\n{"id": "b", "schema": "Passport"}\n', encoding="utf-8")
    with pytest.raises(
        InvalidData, match=r"^no usable record in bad.json \(2 read, every one left out\); the first problem: bad.json:1: schema: "
    ):
        run_import("ftm", [bad], tmp_path / "o")
    assert not (tmp_path / "o").exists()


MESSY = FTM / "messy.ftm.json"


@pytest.fixture(scope="module")
def messy(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Summary]:
    out = tmp_path_factory.mktemp("messy") / "o"
    return out, run_import("ftm", [MESSY], out)


def test_messy_ftm_records_add_up(messy: tuple[Path, Summary]) -> None:
    # 13 lines, worked out by hand: p1, p2, the address a1, fam1, c1, own1 and occ1 map; the
    # second p1 merges; pos1 names occ1's post; {oops, a list schema, a record with no source and
    # a numeric id are skipped.
    _, summary = messy
    assert summary.read == 13
    assert dict(summary.outcomes) == {"mapped": 7, "merged": 1, "used": 1, "skipped": 4}
    assert summary.adds_up()
    assert summary.skipped == {
        "not valid JSON": 1,
        "schema is not a schema name": 1,
        "names no dataset or sourceUrl (pass --url)": 1,
        "id is not a non-empty text": 1,
    }


def test_messy_ftm_values_left_out_are_counted(messy: tuple[Path, Summary]) -> None:
    _, summary = messy
    assert dict(summary.left_out) == {"shoeSize": 3, "hairColour": 1}
    assert dict(summary.rejected) == {"birthDate": 1, "nationality": 1, "incorporationDate": 1}
    assert summary.rejected_examples["birthDate"] == ["messy.ftm.json:2 'n/a'"]
    lines = summary.lines()
    assert lines[0] == "ftm: read 13 records from 1 file(s): 7 mapped, 1 merged, 1 used, 4 skipped"
    assert "left out 4 values of 2 properties the schema does not define: shoeSize 3, hairColour 1" in lines


def test_messy_ftm_keeps_scalars_and_everything_usable(messy: tuple[Path, Summary]) -> None:
    out, _ = messy
    assert validate_paths([out]).ok
    ds = load([out])
    p1, p2 = ds.entities["ftm:p1"], ds.entities["ftm:p2"]
    assert (p1.name, p1.aliases, p1.birth_date) == ("Aigul Testova", ("A. Testova",), "1970-02-03")
    assert (p2.birth_date, p2.country) == ("1965", "kz")  # 'n/a' left out, the scalar 1965 kept
    assert ds.relations["ftm:own1"].share == 50.0  # a number where FtM has text
    assert (ds.entities["ftm:a1"].kind, ds.entities["ftm:a1"].name) == ("address", "1 Main St")
    assert sorted((r.kind, r.source, r.target) for r in ds.relations.values()) == [
        ("employed_by", "ftm:p1", "ftm:c1"),
        ("family", "ftm:p1", "ftm:p2"),
        ("located_in", "ftm:c1", "ftm:a1"),
        ("owns", "ftm:p2", "ftm:c1"),
    ]
