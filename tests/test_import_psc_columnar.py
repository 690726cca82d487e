"""The column-wise PSC import writes what the record path writes, byte for byte.

Each case imports the same files twice, column-wise (the default) and record by record
(`columnar=False`), and compares the four files and the summary. Where the column-wise path must
take the data, the record path's per-record function is made to fail during that run; where the
data is of the rare kinds it leaves to the record path, the refusal and its reason are checked.
"""

from __future__ import annotations

import errno
import json
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from click.testing import CliRunner

from tests.conftest import FIXTURES_PATH
from tracker.cli import cli
from tracker.dataset import load
from tracker.exc import InvalidData, OutputError
from tracker.importers import DatasetWriter, Meta, Summary, psc, psc_columnar, run_import
from tracker.synthetic import PSC_SNAPSHOT, generate_psc

IMPORTS = FIXTURES_PATH / "import"
FILES = ("entities.csv", "relations.csv", "sources.csv", "datapackage.yaml")


def both(files: list[Path], out: Path, columnar: bool = True, meta: Meta | None = None) -> tuple[Summary, Summary]:
    """Import column-wise and record by record; assert the same bytes; return both summaries.

    `columnar` True asserts that the first run really was column-wise (the record path's
    per-record function fails if called).
    """
    meta = meta or Meta(name="x")
    with pytest.MonkeyPatch.context() as mp:
        if columnar:

            def fail(*args: Any, **kwargs: Any) -> None:
                raise AssertionError("the record path ran")

            mp.setattr(psc, "_one", fail)
        col = run_import("psc", files, out / "col", meta)
    rec = run_import("psc", files, out / "rec", meta, columnar=False)
    for name in FILES:
        assert (out / "col" / name).read_bytes() == (out / "rec" / name).read_bytes(), name
    assert col.lines() == rec.lines()
    assert dict(col.outcomes) == dict(rec.outcomes)
    assert col.written == rec.written
    return col, rec


def refusal(files: list[Path]) -> str:
    """Why the column-wise path leaves these files to the record path ("" when it takes them)."""
    writer = DatasetWriter(Summary(format="psc"))
    taken = psc_columnar.read(files, writer, Meta())
    assert taken == (writer.refused == "")
    assert taken or (writer.summary.read == 0 and not writer.summary.outcomes)  # nothing told before refusing
    return writer.refused


def lines(path: Path, records: list[dict[str, Any]]) -> Path:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")
    return path


def person(number: str, key: str, **data: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "kind": "individual-person-with-significant-control",
        "links": {"self": f"/company/{number}/persons-with-significant-control/individual/{key}"},
        "name": "Mr Alpha Beta",
        "name_elements": {"forename": "Alpha", "surname": "Beta", "title": "Mr"},
        "natures_of_control": ["ownership-of-shares-25-to-50-percent"],
        "notified_on": "2016-04-06",
    }
    base.update(data)
    return {"company_number": number, "data": base, "ContentDate": "2024-12-19"}


def corporate(number: str, key: str, registration: str, name: str = "Parent Holdings Limited", **data: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "kind": "corporate-entity-person-with-significant-control",
        "links": {"self": f"/company/{number}/persons-with-significant-control/corporate-entity/{key}"},
        "name": name,
        "identification": {
            "country_registered": "England And Wales",
            "legal_authority": "Companies Act 2006",
            "legal_form": "Private Limited Company",
            "place_registered": "Companies House",
            "registration_number": registration,
        },
        "natures_of_control": ["ownership-of-shares-75-to-100-percent", "voting-rights-75-to-100-percent"],
        "notified_on": "2017-01-01",
    }
    base.update(data)
    return {"company_number": number, "data": base, "ContentDate": "2024-12-19"}


TOTALS = {"data": {"kind": "totals#persons-of-significant-control-snapshot", "persons_of_significant_control_count": 3}}


@pytest.mark.parametrize("fixture", ["psc/psc-snapshot.txt", "declared/psc-statements.txt"])
def test_fixtures_same_bytes_column_wise(fixture: str, tmp_path: Path) -> None:
    assert refusal([IMPORTS / fixture]) == ""
    col, _ = both([IMPORTS / fixture], tmp_path)
    assert col.adds_up()


def test_fixture_folder_with_company_data_goes_to_the_record_path(tmp_path: Path) -> None:
    files = sorted((IMPORTS / "psc").iterdir())
    assert refusal(files) == "company-data.json: company data (names) given alongside"
    col, _ = both(files, tmp_path, columnar=False)
    assert dict(col.outcomes) == {"mapped": 6, "merged": 1, "used": 1}  # the record path's, by hand in test_import_summary


def test_both_snapshot_fixtures_at_once(tmp_path: Path) -> None:
    files = [IMPORTS / "psc" / "psc-snapshot.txt", IMPORTS / "declared" / "psc-statements.txt"]
    col, _ = both(files, tmp_path, meta=Meta(name="x", retrieved="2025-01-02", publisher="=cmd", licence="+x"))
    # Two totals lines, each with its own counts; 11 PSC lines mapped.
    assert dict(col.outcomes) == {"mapped": 11, "used": 2}
    assert sum(1 for line in col.lines() if line.startswith("totals line")) == 2


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_generated_snapshots_with_hostile_cells(seed: int, tmp_path: Path) -> None:
    generate_psc(tmp_path / "gen", 3000, seed=seed, hostile=0.05)
    files = [tmp_path / "gen" / PSC_SNAPSHOT]
    assert refusal(files) == ""
    col, _ = both(files, tmp_path)
    assert col.read == 3001 and col.adds_up()
    text = (tmp_path / "col" / "entities.csv").read_text(encoding="utf-8")
    assert "'=HYPERLINK" in text and "Тимур" in text and "<script>" in text  # guarded, kept, kept


def test_generated_snapshot_without_hostile_cells(tmp_path: Path) -> None:
    generate_psc(tmp_path / "gen", 4000, seed=11, hostile=0.0)
    col, _ = both([tmp_path / "gen" / PSC_SNAPSHOT], tmp_path)
    # UK parents inside the set merge into the companies' entities: some PSC records merge.
    assert col.written["relations"] > 4000 and col.adds_up()


def test_hostile_records_by_hand(tmp_path: Path) -> None:
    long = "Ω" * 700 + " tail"
    records = [
        person("09990001", "AbC1", name="=SUM(A1)", name_elements={"forename": "@x", "middle_name": " ", "surname": "Бета;Гамма"}),
        person("09990001", "AbC2", name="", name_elements={"forename": "Only", "surname": "Elements"}, nationality="  "),
        person("09990001", "AbC3", name='<b>Bold</b> & "Co"', date_of_birth={"year": 1963}, country_of_residence="Kazakhstan"),
        person("09990002", "x" * 300, name=long, date_of_birth={"year": 1970, "month": 13}, address={"country": "Cyprus"}),
        person("1", "Lower-Case_key", name="tab\there line\nbreak", ceased_on="2015-01-01"),
        person("sc 123456", "K1", natures_of_control=["no-such-nature", "voting-rights-25-to-50-percent"]),
        person("09990003", "K2", natures_of_control=[]),
        person("09990003", "K3", kind="no-such-kind"),
        person("09990004", "K4", links={"self": "/"}, etag=""),
        person("09990004", "K5", links=None, etag="EtAg5"),
        # A UK parent: first the company itself, then twice as a PSC (aliases from another name).
        person("00000007", "P0"),
        corporate("09990005", "C1", "00000007"),
        corporate("09990006", "C2", "7", name="Parent; Holdings =Ltd", is_sanctioned=True),
        corporate("09990005", "C6", "00000007", name="Parent Holdings Ltd", natures_of_control=[]),  # merged only
        corporate("09990008", "C3", "00000009", name="Early Parent Ltd"),  # parent before its company
        person("00000009", "P9"),
        corporate("00000010", "C4", "00000010", name="Owns Itself Ltd"),
        corporate(
            "OE000001", "R1", "12345", name="Offshore Trust Co", kind="corporate-entity-beneficial-owner", address={"country": "BVI"}
        ),
        {
            "company_number": "09990011",
            "data": {
                "kind": "legal-person-person-with-significant-control",
                "links": {"self": "/company/09990011/persons-with-significant-control/legal-person/L1"},
                "name": "Ministry Of Testing",
                "identification": {"legal_authority": "Republic Of Kazakhstan", "legal_form": "Government Ministry", "extra_field": "=x"},
                "natures_of_control": ["ownership-of-shares-75-to-100-percent"],
            },
            "ContentDate": "2024-12-18",
        },
        {
            "company_number": "09990012",
            "data": {
                "kind": "persons-with-significant-control-statement",
                "links": {"self": "/company/09990012/persons-with-significant-control-statements/S1"},
                "statement": "psc-details-not-confirmed",
                "linked_psc_name": "-A Person",
                "notified_on": "2017-04-06",
                "ceased_on": "2018-01-02",
            },
        },
        {
            "company_number": "09990013",
            "data": {
                "kind": "exemptions",
                "links": {"self": "/company/09990013/exemptions"},
                "exemptions": {
                    "b_exempt": {
                        "exemption_type": "psc-exempt-as-shares-admitted-on-market",
                        "items": [{"exempt_from": "2017-01-01", "exempt_to": "2018-01-01"}],
                    },
                    "a_exempt": {"items": [{"exempt_from": "2016-06-30"}, {"exempt_from": "2016-01-30"}]},
                },
            },
            "ContentDate": "2024-12-19",
        },
        {"company_number": "09990014", "data": {"kind": "super-secure-beneficial-owner", "links": {"self": "/company/09990014/x/Ss1"}}},
        TOTALS,
        TOTALS,
    ]
    snap = lines(tmp_path / "snap.txt", records)
    assert refusal([snap]) == ""
    col, _ = both([snap], tmp_path)
    # By hand: 24 lines; two totals lines used; one unknown kind skipped; the second PSC record of
    # the UK parent at 09990005 names no nature and adds nothing but a merge; the rest map.
    assert dict(col.outcomes) == {"mapped": 20, "merged": 1, "used": 2, "skipped": 1}
    assert dict(col.skipped) == {
        "relation from an entity to itself": 2,  # 00000010 owns itself, two natures
        "unknown PSC kind 'no-such-kind'": 1,
        "PSC without links.self or etag (no stable id)": 1,
        "PSC without natures_of_control": 2,
        "unknown nature of control 'no-such-nature'": 1,
        "end before start (dropped the end)": 1,
    }
    rels = (tmp_path / "col" / "relations.csv").read_text(encoding="utf-8")
    assert "psc:09990005:c1-" in rels and "psc:09990006:c2-" in rels  # the parent's two subsidiaries, both kept


def test_malformed_line_falls_back_with_todays_error(tmp_path: Path) -> None:
    bad = tmp_path / "snap.txt"
    bad.write_text(json.dumps(person("09990001", "A")) + '\n{"company_number": \n', encoding="utf-8")
    assert refusal([bad]).startswith("snap.txt: pyarrow cannot read it")
    with pytest.raises(InvalidData, match=r"^snap\.txt:2: not valid JSON: Expecting value \(column 19\)$"):
        run_import("psc", [bad], tmp_path / "out")


def test_missing_data_falls_back_with_todays_error(tmp_path: Path) -> None:
    bad = lines(tmp_path / "snap.txt", [person("09990001", "A"), {"company_number": "1"}])
    assert refusal([bad]) == "snap.txt: a line without a 'data' object"
    with pytest.raises(InvalidData, match=r"^snap\.txt:2: data: not a PSC snapshot line"):
        run_import("psc", [bad], tmp_path / "out")


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        # A blank line: the record path skips it and counts lines; pyarrow would not see it.
        (json.dumps(person("09990001", "A")) + "\n\n" + json.dumps(person("09990001", "B")) + "\n", "a blank line"),
        # A JSON array (the shared samples' form) is read whole by the record path.
        ("[\n" + json.dumps(person("09990001", "A")) + "\n]\n", "a blank line, a JSON array"),
        # null where the json module sees None: the record path makes the text "None" of it.
        (json.dumps({**person("09990001", "A"), "company_number": None}) + "\n", "without company_number"),
        (json.dumps(person("09990001", "A", links={"self": None})) + "\n", "links object without self"),
        (json.dumps(person("09990001", "A", address={})) + "\n", "an empty address object"),
        # A year as text or a float: the json module keeps the type, which the schema would not.
        (json.dumps(person("09990001", "A", date_of_birth={"year": "1963", "month": 5})) + "\n", "pyarrow cannot read it"),
        (json.dumps(person("09990001", "A", date_of_birth={"year": 1963.0, "month": 5})) + "\n", "pyarrow cannot read it"),
        # A code twice in one record.
        (
            json.dumps(person("09990001", "A", natures_of_control=["voting-rights-25-to-50-percent"] * 2)) + "\n",
            "given twice in one record",
        ),
        (json.dumps(person("09990001", "A", natures_of_control=["ownership-of-shares-50-to-700-percent"])) + "\n", "outside 0-100"),
    ],
)
def test_rare_data_goes_to_the_record_path_with_the_same_result(text: str, reason: str, tmp_path: Path) -> None:
    snap = tmp_path / "snap.txt"
    snap.write_text(text, encoding="utf-8")
    assert reason in refusal([snap])
    try:
        run_import("psc", [snap], tmp_path / "rec", columnar=False)
    except InvalidData as exc:
        with pytest.raises(InvalidData, match=json.dumps(str(exc))[1:-1].replace("(", r"\(").replace(")", r"\)")):
            run_import("psc", [snap], tmp_path / "col")
        return
    both([snap], tmp_path, columnar=False)


def test_shared_psc_samples_as_json_lines(shared_path: Path, tmp_path: Path) -> None:
    # The real records (ContentDate 2024-12-19) come as JSON arrays; written as the snapshot's
    # JSON lines, the column-wise path takes them and writes what the record path writes.
    folder = shared_path / "samples" / "ch_psc_bods_uk_psc_pipeline"
    records = [r for f in sorted(folder.glob("psc-data-*.json")) for r in json.loads(f.read_text(encoding="utf-8"))]
    if not records:
        pytest.skip("no PSC samples")
    snap = lines(tmp_path / "snap.txt", records)
    assert refusal([snap]) == ""
    col, _ = both([snap], tmp_path)
    assert col.read == len(records) and col.adds_up()


def test_empty_snapshot_goes_to_the_record_path(tmp_path: Path) -> None:
    snap = tmp_path / "snap.txt"
    snap.write_text("", encoding="utf-8")
    assert refusal([snap]) == "no records"
    col, _ = both([snap], tmp_path, columnar=False)
    assert col.read == 0


def test_charity_psc_keeps_its_control(tmp_path: Path) -> None:
    # A legal person that is no state body (a charity) is an organisation; its right to appoint the
    # board is a `controls` relation like anyone's (it was dropped while the schema allowed
    # `controls` only from persons, companies, banks, trusts and public bodies).
    charity = {
        "company_number": "09990031",
        "data": {
            "kind": "legal-person-person-with-significant-control",
            "links": {"self": "/company/09990031/persons-with-significant-control/legal-person/c1"},
            "name": "The Example Relief Trust",
            "identification": {"legal_authority": "Charities Act 2011", "legal_form": "Charitable Incorporated Organisation"},
            "natures_of_control": ["right-to-appoint-and-remove-directors", "ownership-of-shares-25-to-50-percent"],
            "notified_on": "2019-05-01",
        },
        "ContentDate": "2024-12-19",
    }
    col, _ = both([lines(tmp_path / "snap.txt", [charity])], tmp_path)
    assert not col.skipped
    ds = load([tmp_path / "col"])
    assert ds.entities["psc:09990031:c1"].kind == "organisation"
    got = sorted((r.id, r.kind, r.source, r.target, r.role) for r in ds.relations.values())
    assert got == [
        ("psc:09990031:c1:1", "controls", "psc:09990031:c1", "psc:09990031", "right to appoint and remove directors"),
        ("psc:09990031:c1:2", "owns", "psc:09990031:c1", "psc:09990031", "ownership of shares"),
    ]


# --- batches: the snapshot is read and mapped a batch of lines at a time -----------------------


def hand_records() -> list[dict[str, Any]]:
    """Records whose cross-batch parts are all met when each line is a batch of its own: a
    company over several lines, a UK parent first seen as a company and later as a PSC (and the
    reverse), a parent named twice, skips in several records, ends before starts whose ids sort
    against the record order, the totals line."""
    return [
        person("09990002", "b2", ceased_on="2015-01-01"),  # end before start; sorts after A1's id
        person("00000007", "p0"),  # a company, later a UK parent of two others
        person("09990001", "a1", ceased_on="2014-01-01"),  # end before start; the first id in id order
        person("09990001", "a2", natures_of_control=["no-such-nature"]),
        corporate("09990005", "c1", "00000007"),
        person("09990001", "a3", kind="no-such-kind"),
        corporate("09990008", "c3", "00000009", name="Early Parent Ltd"),  # parent before its company
        corporate("09990006", "c2", "00007", name="Parent Two Ltd", is_sanctioned=True),
        person("00000009", "p9"),
        person("09990001", "a4", natures_of_control=[]),
        corporate("00000010", "c4", "00000010", name="Owns Itself Ltd"),
        corporate("00000011", "c5", "00000011", name="Owns Itself Too Ltd"),
        {
            "company_number": "09990012",
            "data": {
                "kind": "persons-with-significant-control-statement",
                "links": {"self": "/company/09990012/persons-with-significant-control-statements/S1"},
                "statement": "psc-details-not-confirmed",
            },
            "ContentDate": "2024-12-20",
        },
        person("09990002", "b3"),
        TOTALS,
    ]


@pytest.fixture
def batch_bytes(request: pytest.FixtureRequest) -> Any:
    """Batches of `request.param` bytes of lines; below 1,000 bytes, spilled in chunks of two rows
    and every range of ids (a chunk's) written on its own."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(psc_columnar, "_BATCH_BYTES", request.param)
        if request.param < 1000:
            mp.setattr(psc_columnar, "_WRITE_UNIT", 1)
            mp.setattr(psc_columnar, "_CHUNK", 2)
        yield request.param


@pytest.mark.parametrize("batch_bytes", [1, 700, 1 << 27], indirect=True)
def test_batches_write_what_one_batch_and_the_record_path_write(batch_bytes: int, tmp_path: Path) -> None:
    snap = lines(tmp_path / "snap.txt", hand_records())
    calls: list[int] = []
    original = psc_columnar._map

    def spy(rows: Any, *args: Any) -> None:
        calls.append(rows.n)
        original(rows, *args)

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(psc_columnar, "_map", spy)
        col, _ = both([snap], tmp_path)
    # Each line alone at one byte a batch; several lines a batch at 700; one batch for the file.
    if batch_bytes == 1:
        assert calls == [1] * 15
    elif batch_bytes == 700:
        assert 2 < len(calls) < 15
        assert sum(calls) == 15
    else:
        assert calls == [15]
    # By hand: 15 lines; the totals line used; the unknown kind skipped; A2 and A4 (no known
    # nature) still make their person, C4 and C5 their relations (dropped at writing): mapped.
    assert dict(col.outcomes) == {"mapped": 13, "used": 1, "skipped": 1}
    # 10 companies (one source each) and 7 persons; 16 relations made, the 4 from a company to itself dropped.
    assert col.written == {"entities": 17, "relations": 12, "sources": 10}
    assert dict(col.skipped) == {
        "unknown PSC kind 'no-such-kind'": 1,
        "unknown nature of control 'no-such-nature'": 1,
        "PSC without natures_of_control": 1,
        "relation from an entity to itself": 4,
        "end before start (dropped the end)": 2,
    }
    # Examples of the relations' skips in id order over all batches, as the record path checks them.
    assert col.examples["end before start (dropped the end)"] == ["psc:09990001:a1:1", "psc:09990002:b2:1"]
    assert col.examples["relation from an entity to itself"] == [
        "psc:00000010:c4:1",
        "psc:00000010:c4:2",
        "psc:00000011:c5:1",
        "psc:00000011:c5:2",
    ]
    entities = {e.split(",", 1)[0]: e for e in (tmp_path / "col" / "entities.csv").read_text(encoding="utf-8").splitlines()}
    # A parent's sources in record order: its own first line's, then each subsidiary's record.
    assert ",psc:src:00000007;psc:src:09990005;psc:src:09990006," in entities["psc:00000007"]
    assert ",sanction," in entities["psc:00000007"]
    assert ",psc:src:09990008;psc:src:00000009," in entities["psc:00000009"]  # named as a parent before its own line
    sources = (tmp_path / "col" / "sources.csv").read_text(encoding="utf-8")
    # retrieved: the latest ContentDate (of the statement's line, in a late batch), on every source.
    assert sources.count(",OGL-3.0,2024-12-20,Companies House PSC snapshot\n") == 10


def twice_records() -> list[dict[str, Any]]:
    """PSC ids given more than once, each way the record path merges a later record of a PSC."""
    loner = person("09990004", "d4", is_sanctioned=True)
    uk = corporate("09990005", "c1", "00000007")
    statement = {
        "company_number": "09990012",
        "data": {
            "kind": "persons-with-significant-control-statement",
            "links": {"self": "/company/09990012/persons-with-significant-control-statements/S1"},
            "statement": "psc-details-not-confirmed",
        },
        "ContentDate": "2024-12-19",
    }
    itself = corporate("00000010", "c4", "00000010", name="Owns Itself Ltd")
    flipped = person("09990009", "d9", ceased_on="2015-01-01")
    legal = {
        "company_number": "09990011",
        "data": {
            "kind": "legal-person-person-with-significant-control",
            "links": {"self": "/company/09990011/persons-with-significant-control/legal-person/L1"},
            "name": "Ministry Of Testing",
            "identification": {"legal_authority": "Republic Of Kazakhstan", "legal_form": "Government Ministry"},
            "natures_of_control": ["ownership-of-shares-75-to-100-percent"],
        },
        "ContentDate": "2024-12-19",
    }
    return [
        person("09990001", "d1"),
        person("09990002", "d2"),
        person("09990003", "d3"),
        loner,
        uk,
        statement,
        person("00000007", "p7"),
        itself,
        flipped,
        legal,
        person("09990013", "d13", natures_of_control=[]),
        person("09990014", "d14"),
        person("09990001", "d1"),  # the same record again: merged
        # Another name and nationality, the same first nature and a second one: merged entity, a new relation.
        person(
            "09990002",
            "d2",
            name="Mr Alpha Gamma",
            nationality="British",
            natures_of_control=["ownership-of-shares-25-to-50-percent", "voting-rights-25-to-50-percent"],
        ),
        # Another kind of relation under the first one's id: the writer's duplicate relation id.
        person("09990003", "d3", natures_of_control=["voting-rights-25-to-50-percent"]),
        loner,  # sanctioned twice: "sanction" told twice, as mark_sanctioned tells it
        uk,  # a UK parent's record twice: the parent merged, its relations merged
        statement,
        itself,  # its relations were dropped (to itself): merged into them all the same, counted once
        flipped,  # an end before its start: counted once
        legal,
        person("09990013", "d13"),  # no natures before, one now: a new relation
        corporate("09990014", "d14", "X1", name="Other Kind Ltd", address={"country": "Cyprus"}),  # same id, another kind
        person("09990002", "d2", name="Mr Alpha Delta", natures_of_control=["no-such-nature"]),  # a third time: merged, skipped nature
        TOTALS,
    ]


@pytest.mark.parametrize("batch_bytes", [1, 700, 1 << 27], indirect=True)
def test_a_psc_given_twice_is_merged_column_wise(batch_bytes: int, tmp_path: Path) -> None:
    snap = lines(tmp_path / "snap.txt", twice_records())
    assert refusal([snap]) == ""
    col, _ = both([snap], tmp_path)  # (the record path's per-record function fails if called)
    # By hand: 25 lines, the totals line used; 12 first records mapped; of the 12 later ones,
    # d2 (a second nature), d13 (its first) and d14 (the company's second nature) mapped by a
    # new relation, the rest merged.
    assert dict(col.outcomes) == {"mapped": 15, "merged": 9, "used": 1}
    assert dict(col.skipped) == {
        "duplicate relation id": 1,
        "same id, different kind (person vs company); kept the first": 1,
        "relation from an entity to itself": 2,
        "end before start (dropped the end)": 1,
        "PSC without natures_of_control": 1,
        "unknown nature of control 'no-such-nature'": 1,
    }
    assert col.examples["duplicate relation id"] == ["psc:09990003:d3:1"]
    entities = {e.split(",", 1)[0]: e for e in (tmp_path / "col" / "entities.csv").read_text(encoding="utf-8").splitlines()}
    assert ",Mr Alpha Beta,Alpha Beta;Mr Alpha Gamma;Mr Alpha Delta," in entities["psc:09990002:d2"]
    assert ",sanction;sanction," in entities["psc:09990004:d4"]


@pytest.mark.parametrize("batch_bytes", [1, 1 << 27], indirect=True)
def test_every_psc_id_taken_for_met_gives_the_same_bytes(batch_bytes: int, tmp_path: Path) -> None:
    # Every id's hash made one: each record after the first is settled as a later record, whose
    # merge must then find that its id is new (the ids, not their hashes, decide).
    records = [*hand_records(), *twice_records()]
    snap = lines(tmp_path / "snap.txt", records)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(psc_columnar, "_hash64", lambda ids: np.zeros(len(ids), dtype=np.uint64))
        col, _ = both([snap], tmp_path)
    assert col.adds_up()


@pytest.mark.parametrize("batch_bytes", [1 << 27, 100_000], indirect=True)
def test_generated_snapshot_with_records_given_again(batch_bytes: int, tmp_path: Path) -> None:
    # A snapshot's lines with a few hundred of them given again further on (an overlap of two
    # snapshots): every later one is merged column-wise, as the record path merges it.
    generate_psc(tmp_path / "gen", 3000, seed=5, hostile=0.05)
    text = (tmp_path / "gen" / PSC_SNAPSHOT).read_text(encoding="utf-8").splitlines(keepends=True)
    again = [text[i] for i in range(0, 3000, 7)]
    snap = tmp_path / "snap.txt"
    snap.write_text("".join(text[:1500] + again + text[1500:]), encoding="utf-8")
    col, _ = both([snap], tmp_path)
    assert col.read == 3001 + len(again) and col.adds_up()
    assert col.outcomes["merged"] >= len(again)


@pytest.mark.parametrize("batch_bytes", [1], indirect=True)
def test_companies_over_batches_by_any_number(batch_bytes: int, tmp_path: Path) -> None:
    # A number longer than 8 characters, and one written two ways ("sc 123456" is SC123456): each
    # company's first line is in an earlier batch than its next.
    records = [
        person("AB1234567890", "l1"),
        person("09990001", "a1"),
        person("sc 123456", "s1"),
        person("AB1234567890", "l2"),
        person("SC123456", "s2"),
    ]
    col, _ = both([lines(tmp_path / "snap.txt", records)], tmp_path)
    # Three companies (a source each) and five persons, one relation each.
    assert col.written == {"entities": 8, "relations": 5, "sources": 3}


# --- a spill that cannot be written (TMPDIR full): an error, not the record path ------------------


def no_record_path(mp: pytest.MonkeyPatch, tmp: Path) -> None:
    """The record path fails if called; the spill goes to `tmp` (TMPDIR)."""
    tmp.mkdir()
    mp.setattr(tempfile, "tempdir", str(tmp))

    def fail(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("the record path ran")

    mp.setattr(psc, "_one", fail)


def enospc(*args: Any, **kwargs: Any) -> None:
    raise OSError(errno.ENOSPC, "No space left on device")


@pytest.mark.parametrize("batch_bytes", [1, 1 << 27], indirect=True)
def test_a_full_tmpdir_while_spilling_is_an_error_naming_it(batch_bytes: int, tmp_path: Path) -> None:
    snap = lines(tmp_path / "snap.txt", hand_records())
    with pytest.MonkeyPatch.context() as mp:
        no_record_path(mp, tmp_path / "tmp")
        mp.setattr(psc_columnar, "_write_ipc", enospc)
        with pytest.raises(
            OutputError, match=r"^PSC import: the spill in TMPDIR \(.+\) cannot be written: No space left on device; it needs about "
        ):
            run_import("psc", [snap], tmp_path / "out")
    assert not (tmp_path / "out").exists()
    assert not list((tmp_path / "tmp").iterdir())  # the spill removed


def test_a_full_tmpdir_while_writing_leaves_the_output_folder_as_it_was(tmp_path: Path) -> None:
    # The tables' part files are written in the spill folder too: the second table's fails.
    snap = lines(tmp_path / "snap.txt", hand_records())
    out = tmp_path / "out"
    out.mkdir()
    (out / "relations.csv").write_text("old\n", encoding="utf-8")
    calls: list[str] = []
    original = psc_columnar._write_csv

    def second_fails(path: Path, *args: Any) -> None:
        calls.append(path.name)
        if len(calls) > 1:
            enospc()
        original(path, *args)

    with pytest.MonkeyPatch.context() as mp:
        no_record_path(mp, tmp_path / "tmp")
        mp.setattr(psc_columnar, "_write_csv", second_fails)
        with pytest.raises(OutputError, match=r"^PSC import: the spill in TMPDIR .* No space left on device; after spilling "):
            run_import("psc", [snap], out)
    assert calls == ["relations.part.csv", "entities.part.csv"]
    assert sorted(p.name for p in out.iterdir()) == ["relations.csv"]  # no table written, no temporary file left
    assert (out / "relations.csv").read_text(encoding="utf-8") == "old\n"
    assert not list((tmp_path / "tmp").iterdir())  # the spill removed


def test_too_little_room_in_tmpdir_is_told_before_reading(cli_runner: CliRunner, tmp_path: Path) -> None:
    snap = lines(tmp_path / "snap.txt", hand_records())
    need = int(snap.stat().st_size * psc_columnar._SPILL_SHARE)
    with pytest.MonkeyPatch.context() as mp:
        no_record_path(mp, tmp_path / "tmp")
        mp.setattr(psc_columnar, "_free", lambda folder: need - 1)
        mp.setattr(psc_columnar, "_map", enospc)  # nothing is read
        result = cli_runner.invoke(cli, ["import", "psc", str(snap), "--out", str(tmp_path / "out")])
    assert result.exit_code == 1
    lines_ = [line for line in result.output.splitlines() if line.strip()]
    assert lines_ == [
        f"Error: PSC import: the spill in TMPDIR ({tmp_path / 'tmp'}) cannot be written: it needs about {need / 1e6:.0f} MB there and {(need - 1) / 1e6:.0f} MB is free; point TMPDIR to a folder with room (nothing was written to the output)"
    ]
    assert not (tmp_path / "out").exists()


# --- ranges of ids whatever the company numbers look like ----------------------------------------


@pytest.mark.parametrize("batch_bytes", [1 << 27, 20_000], indirect=True)
def test_skewed_company_numbers_are_written_in_even_ranges(batch_bytes: int, tmp_path: Path) -> None:
    # Nearly every company number begins "OC0" (an LLP-heavy extract): the ranges of ids that are
    # read and written at once are cut by the rows spilled, not by how the ids begin.
    records = [person(f"OC0{i % 700:05d}", f"k{i}") for i in range(1400)]
    records += [person("SC123456", "s1"), person("09990001", "a1"), TOTALS]
    snap = lines(tmp_path / "snap.txt", records)
    sizes: list[int] = []
    original = psc_columnar._write_csv

    def spy(path: Path, cols: list[str], table: Any) -> None:
        sizes.append(len(table.order))
        original(path, cols, table)

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(psc_columnar, "_WRITE_UNIT", 100)
        mp.setattr(psc_columnar, "_CHUNK", 10)
        mp.setattr(psc_columnar, "_write_csv", spy)
        col, _ = both([snap], tmp_path)
    assert col.written == {"entities": 1402 + 702, "relations": 1402, "sources": 702}
    files = 1 if batch_bytes > len(snap.read_bytes()) else -(-len(snap.read_bytes()) // batch_bytes) + 1
    # Each range: about 100 rows (up to a chunk of 10 more) and at most a chunk from each file before it.
    assert max(sizes) <= 100 + 10 + files * 10
    assert sum(sizes) == (1402 + 702) + 1402 + 702  # every row written once
    assert len(sizes) >= (1402 + 702) // 120


@pytest.mark.parametrize("batch_bytes", [1, 1 << 27], indirect=True)
def test_a_later_records_new_relation_starts_from_the_entity_as_kept(
    batch_bytes: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """d14 is first a person, later a company ("same id, different kind": the person is kept);
    the later record's voting rights are a new `controls` relation, checked from a person, as
    the record path checks it. Today's schema lets a company control too, so a schema where
    only a person may is what tells the kinds apart."""
    from dataclasses import replace

    import tracker.model as model_mod
    from tracker.model import load_model

    real = load_model()
    controls = real.relation_kinds["controls"]
    narrowed = replace(real, relation_kinds={**real.relation_kinds, "controls": replace(controls, source=controls.source - {"company"})})
    monkeypatch.setattr(model_mod, "load_model", lambda: narrowed)  # (the writer's model)
    records = [
        person("09990014", "d14"),
        corporate("09990014", "d14", "X1", name="Other Kind Ltd", address={"country": "Cyprus"}),
        TOTALS,
    ]
    snap = lines(tmp_path / "snap.txt", records)
    assert refusal([snap]) == ""
    col, _ = both([snap], tmp_path)
    relations = (tmp_path / "col" / "relations.csv").read_text(encoding="utf-8").splitlines()
    # By hand: the person's shares (owns) and, from the later record, the voting rights (controls).
    assert sorted(line.split(",")[1] for line in relations[1:]) == ["controls", "owns"]
    assert all(line.split(",")[2] == "psc:09990014:d14" for line in relations[1:])
    assert "controls cannot run from a company to a company" not in col.skipped
