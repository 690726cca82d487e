"""Entity resolution: known pairs and non-pairs, the decisions file, and merges on load."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.conftest import FIXTURES_PATH
from tracker.dataset import Entity, load
from tracker.exc import InvalidData
from tracker.match import compare, name_key, propose, read_decisions, write_decisions

MATCH = FIXTURES_PATH / "match"


@pytest.mark.parametrize(
    ("a", "b", "org"),
    [
        ("Назарбаева Дарига", "Dariga Nazarbayeva", False),
        ("Құлыбаев Тимур", "Timur Kulibayev", False),
        ("Mr Marc Feldman", "Marc Feldman", False),
        ("ТОО Казмунайгаз", "KazMunayGaz LLP", True),
        ("АО Самрук-Казына", "Samruk-Kazyna JSC", True),
        ("Delta Holdings Ltd", "DELTA HOLDINGS LIMITED", True),
        ("Acme Inc", "ACME", True),
    ],
)
def test_name_keys_meet(a: str, b: str, org: bool) -> None:
    assert name_key(a, org) == name_key(b, org)


@pytest.mark.parametrize(("a", "b"), [("Dariga Nazarbayeva", "Dinara Nazarbayeva"), ("Alpha Ruler", "Beta Ruler")])
def test_name_keys_differ(a: str, b: str) -> None:
    assert name_key(a, False) != name_key(b, False)


def test_compare_birth_dates() -> None:
    a = Entity("a", "person", "Alpha Ruler", "elite", birth_date="1940")
    b = Entity("b", "person", "Alpha Ruler", "other", birth_date="1955-01-02")
    score, why, conflict = compare(a, b)
    assert conflict and score == 50.0 and "birth dates differ (1940 vs 1955-01-02)" in why


def test_propose_known_pairs_and_non_pairs() -> None:
    rows = propose([MATCH / "left", MATCH / "right"])
    got = {(r.left_id, r.right_id): r for r in rows}
    assert set(got) == {("dariga", "r:dariga"), ("kmg", "r:kmg"), ("delta", "r:delta"), ("alpha", "r:alpha")}
    assert got[("dariga", "r:dariga")].decision == "pending" and got[("dariga", "r:dariga")].score == 100.0
    assert "birth dates agree (1963-05-07, 1963)" in got[("dariga", "r:dariga")].explanation
    assert got[("kmg", "r:kmg")].decision == "pending"
    assert "same identifier gb-coh:00000001" in got[("delta", "r:delta")].explanation
    assert got[("alpha", "r:alpha")].decision == "not_same"  # Alfa Ruler born 1955 is someone else
    assert all(r.decision != "same" for r in rows)  # nothing is decided for the reviewer


def test_threshold_filters() -> None:
    rows = propose([MATCH / "left", MATCH / "right"], threshold=95)
    # Alpha and Alfa are one spelling of one name (100), so the pair stays, as not_same: the
    # birth dates differ.
    assert sorted((r.left_id, r.decision) for r in rows) == [
        ("alpha", "not_same"),
        ("dariga", "pending"),
        ("delta", "pending"),
        ("kmg", "pending"),
    ]


def _combined(tmp_path: Path, decisions: str) -> list[Path]:
    left, right = tmp_path / "left", tmp_path / "right"
    shutil.copytree(MATCH / "left", left)
    shutil.copytree(MATCH / "right", right)
    (right / "decisions.csv").write_text(decisions, encoding="utf-8")
    return [left, right]


HEADER = "left_id,right_id,decision,score,explanation,left_name,right_name,left_dataset,right_dataset,reviewer,date,note\n"


def test_apply_only_same(tmp_path: Path) -> None:
    roots = _combined(
        tmp_path,
        HEADER + "dariga,r:dariga,same,100,,,,,,jane,2026-01-05,\nkmg,r:kmg,pending,100,,,,,,,,\nalpha,r:alpha,not_same,50,,,,,,,,\n",
    )
    ds = load(roots)
    assert "r:dariga" not in ds.entities and "r:kmg" in ds.entities and "r:alpha" in ds.entities
    dariga = ds.entities["dariga"]
    assert "Dariga Nazarbayeva" in dariga.aliases
    assert dariga.sources == ("src-left", "src-right")
    assert "merged r:dariga (right: Dariga Nazarbayeva) by jane per decisions.csv:2" in dariga.notes
    assert ds.relations["r2"].source == "dariga"  # re-pointed
    assert ds.relations["l1"].source == "dariga"


def test_undo_is_changing_the_row(tmp_path: Path) -> None:
    roots = _combined(tmp_path, HEADER + "dariga,r:dariga,not_same,100,,,,,,jane,2026-01-06,changed my mind\n")
    ds = load(roots)
    assert "r:dariga" in ds.entities and ds.relations["r2"].source == "r:dariga"


def test_decision_for_absent_entity_is_a_warning(tmp_path: Path) -> None:
    roots = _combined(tmp_path, HEADER + "dariga,r:dariga,same,100,,,,,,,,\n")
    ds = load([roots[1]])  # the left folder is not loaded
    assert "r:dariga" in ds.entities
    assert any(w.code == "decision-skipped" and w.line == 2 for w in ds.warnings)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (HEADER + "dariga,r:dariga,maybe,1,,,,,,,,\n", "decisions.csv:2: decision: 'maybe' is not one of: same, not_same, pending"),
        (HEADER + ",r:dariga,same,1,,,,,,,,\n", "decisions.csv:2: left_id: is empty"),
        ("left_id,decision\nx,same\n", "decisions.csv:1: right_id: required column is missing"),
        (HEADER + "a,b,same,x,,,,,,,,\n", "decisions.csv:2: score: 'x' is not a number"),
        (HEADER + "a,b,same\n", "decisions.csv:2: has 3 cells, the header has 12"),
    ],
)
def test_malformed_decisions(tmp_path: Path, text: str, message: str) -> None:
    roots = _combined(tmp_path, text)
    with pytest.raises(InvalidData) as err:
        load(roots)
    assert str(err.value) == message


def test_decisions_round_trip_and_kept_on_rerun(tmp_path: Path) -> None:
    roots = _combined(tmp_path, HEADER + "kmg,r:kmg,same,100,,,,,,jane,2026-01-05,checked register\n")
    rows = propose(roots)
    kept = next(r for r in rows if r.left_id == "kmg")
    assert (kept.decision, kept.reviewer, kept.note) == ("same", "jane", "checked register")
    path = tmp_path / "out.csv"
    write_decisions(rows, path)
    again = [c for _, c in read_decisions(path)]
    assert again == rows
