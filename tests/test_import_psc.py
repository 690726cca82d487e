"""UK PSC snapshot import: natures of control row by row, entities, relations, totals line."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import FIXTURES_PATH
from tracker.dataset import load
from tracker.exc import InvalidData
from tracker.graph import build
from tracker.importers import Meta, run_import
from tracker.importers.psc import company_number, nature_of_control
from tracker.validate import validate_paths

PSC = FIXTURES_PATH / "import" / "psc"


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("ownership-of-shares-25-to-50-percent", {"kind": "owns", "role": "ownership of shares", "share_min": 25.0, "share_max": 50.0}),
        ("ownership-of-shares-50-to-75-percent", {"kind": "owns", "role": "ownership of shares", "share_min": 50.0, "share_max": 75.0}),
        ("ownership-of-shares-75-to-100-percent", {"kind": "owns", "role": "ownership of shares", "share_min": 75.0, "share_max": 100.0}),
        (
            "ownership-of-shares-25-to-50-percent-as-trust",
            {"kind": "owns", "role": "ownership of shares (as trustee)", "share_min": 25.0, "share_max": 50.0},
        ),
        (
            "ownership-of-shares-75-to-100-percent-as-firm",
            {"kind": "owns", "role": "ownership of shares (as member of a firm)", "share_min": 75.0, "share_max": 100.0},
        ),
        (
            "ownership-of-shares-more-than-25-percent-registered-overseas-entity",
            {"kind": "owns", "role": "ownership of shares (overseas entity)", "share_min": 25.0, "share_max": 100.0},
        ),
        ("voting-rights-25-to-50-percent", {"kind": "controls", "role": "voting rights", "share_min": 25.0, "share_max": 50.0}),
        ("voting-rights-50-to-75-percent", {"kind": "controls", "role": "voting rights", "share_min": 50.0, "share_max": 75.0}),
        ("voting-rights-75-to-100-percent", {"kind": "controls", "role": "voting rights", "share_min": 75.0, "share_max": 100.0}),
        ("right-to-appoint-and-remove-directors", {"kind": "controls", "role": "right to appoint and remove directors"}),
        (
            "right-to-appoint-and-remove-members-limited-liability-partnership",
            {"kind": "controls", "role": "right to appoint and remove members"},
        ),
        ("significant-influence-or-control", {"kind": "controls", "role": "significant influence or control"}),
        (
            "significant-influence-or-control-as-trust-registered-overseas-entity",
            {"kind": "controls", "role": "significant influence or control (as trustee, overseas entity)"},
        ),
        (
            "right-to-share-surplus-assets-50-to-75-percent-limited-liability-partnership",
            {"kind": "owns", "role": "right to share surplus assets", "share_min": 50.0, "share_max": 75.0},
        ),
        ("no-such-nature", None),
    ],
)
def test_nature_of_control_table(code: str, expected: dict[str, object] | None) -> None:
    assert nature_of_control(code) == expected


def test_company_number_pads_digits() -> None:
    assert company_number("1") == "00000001"
    assert company_number(" oe099001 ") == "OE099001"


@pytest.fixture(scope="module")
def psc_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("psc")
    run_import("psc", sorted(PSC.iterdir()), out)
    return out


def test_psc_import_validates_and_builds(psc_dir: Path) -> None:
    report = validate_paths([psc_dir])
    assert report.ok, report.errors
    G = build(load([psc_dir]))
    company = "psc:09990001"
    assert G.nodes[company]["name"] == "EXAMPLE SQUARE PROPERTIES LTD"  # from the company data file
    assert G.nodes[company]["identifiers"] == ["gb-coh:09990001"]
    assert G.nodes[company]["birth_date"] == "2012-09-11"
    person = next(n for n, d in G.nodes(data=True) if d["name"] == "Ms Beta Rulerova")
    assert G.nodes[person]["birth_date"] == "1963-05"
    assert G.nodes[person]["aliases"] == ["Beta Rulerova"]
    edges = {(d["kind"], d["role"], d["share_min"], d["share_max"]) for _, _, d in G.out_edges(person, data=True)}
    assert edges == {("owns", "ownership of shares", 25.0, 50.0), ("controls", "voting rights", 25.0, 50.0)}


def test_corporate_psc_is_the_uk_company_and_ceased_ends(psc_dir: Path) -> None:
    G = build(load([psc_dir]))
    delta = "psc:00000001"  # registration number 00000001 at Companies House -> the same company entity
    assert G.nodes[delta]["name"] == "Delta Holdings Limited"
    ends = sorted(d["end"] for _, _, d in G.out_edges(delta, data=True))
    assert ends == ["2019-02-28", "2019-02-28"]


def test_roe_legal_person_and_sources(psc_dir: Path) -> None:
    ds = load([psc_dir])
    ministry = next(e for e in ds.entities.values() if e.name.startswith("Ministry Of Finance"))
    assert ministry.kind == "public_body"
    roe = [r for r in ds.relations.values() if r.target == "psc:oe099001-1a9ea1f8" or r.target.startswith("psc:oe099001")]
    assert {r.role for r in roe} == {
        "ownership of shares (overseas entity)",
        "significant influence or control (as trustee, overseas entity)",
    }
    src = ds.sources["psc:src:09990001"]
    assert src.url == "https://find-and-update.company-information.service.gov.uk/company/09990001/persons-with-significant-control"
    assert (src.evidence, src.date, src.retrieved, src.licence) == ("official_register", "2024-12-19", "2024-12-19", "OGL-3.0")
    assert all(e.record_id for e in ds.entities.values())


def test_psc_summary_counts_skips_and_totals(tmp_path: Path) -> None:
    summary = run_import("psc", [PSC / "psc-snapshot.txt"], tmp_path / "out", Meta(retrieved="2025-01-02"))
    assert summary.read == 7
    # Six PSC lines map (the super-secure PSC and the statement as declared-unknown owners); the
    # totals line is read for its counts.
    assert dict(summary.outcomes) == {"mapped": 6, "used": 1}
    assert summary.adds_up() and not summary.skipped
    assert any("totals line" in line and "persons_of_significant_control_count=5" in line for line in summary.lines())
    assert load([tmp_path / "out"]).sources["psc:src:09990001"].retrieved == "2025-01-02"


def test_psc_import_is_byte_stable(tmp_path: Path) -> None:
    run_import("psc", sorted(PSC.iterdir()), tmp_path / "a", Meta(name="psc"))
    run_import("psc", sorted(PSC.iterdir()), tmp_path / "b", Meta(name="psc"))
    for name in ("entities.csv", "relations.csv", "sources.csv", "datapackage.yaml"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()


def test_psc_malformed_line(tmp_path: Path) -> None:
    bad = tmp_path / "snap.txt"
    bad.write_text('{"company_number": "1", "data": {"kind": "x"}}\n{"company_number": \n', encoding="utf-8")
    with pytest.raises(InvalidData, match=r"^snap.txt:2: not valid JSON"):
        run_import("psc", [bad], tmp_path / "out")


def test_uk_parent_of_two_companies_keeps_both_relations(tmp_path: Path) -> None:
    # One UK holding company (registered at Companies House as 00000007) is the PSC of two
    # companies: one entity, and one relation per subsidiary (ids from each PSC record).
    ident = (
        '"identification":{"country_registered":"England And Wales","place_registered":"Companies House","registration_number":"00000007"}'
    )
    lines = [
        '{"company_number":"09990101","data":{"kind":"corporate-entity-person-with-significant-control",'
        f'"links":{{"self":"/company/09990101/persons-with-significant-control/corporate-entity/a1"}},"name":"Parent Ltd",{ident},'
        '"natures_of_control":["ownership-of-shares-75-to-100-percent"]}}',
        '{"company_number":"09990102","data":{"kind":"corporate-entity-person-with-significant-control",'
        f'"links":{{"self":"/company/09990102/persons-with-significant-control/corporate-entity/b2"}},"name":"Parent Ltd",{ident},'
        '"natures_of_control":["ownership-of-shares-75-to-100-percent"]}}',
    ]
    snap = tmp_path / "snap.txt"
    snap.write_text("\n".join(lines) + "\n", encoding="utf-8")
    summary = run_import("psc", [snap], tmp_path / "out", columnar=False)
    assert not summary.skipped
    ds = load([tmp_path / "out"])
    owned = sorted((r.id, r.target) for r in ds.relations.values() if r.source == "psc:00000007")
    assert owned == [("psc:09990101:a1:1", "psc:09990101"), ("psc:09990102:b2:1", "psc:09990102")]
