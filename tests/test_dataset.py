"""Reading dataset folders: text stays text, empty stays empty, types come from validated rows."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from conftest import MINI_PATH

from tracker.dataset import RESOURCES, Dataset, default_data_dir, descriptor_dict, load, read_raw
from tracker.exc import InvalidData


def test_empty_cells_stay_empty_strings() -> None:
    raw = read_raw(MINI_PATH)
    row = raw.tables["entities"].rows[0]
    assert row.line == 2
    assert row.get("offshore") == "" and row.get("notes") == "Fictional head of state for tests."
    assert all(isinstance(v, str) for t in raw.tables.values() for r in t.rows for v in r.values.values())


def test_typed_records(mini_dataset: Dataset) -> None:
    e = mini_dataset.entities["beta-daughter"]
    assert e.aliases == ("Бета Правителева", "Beta Pravitelyeva")
    assert e.country == "kz" and e.offshore is None and e.placeholder is False
    assert mini_dataset.entities["vg"].offshore is True
    assert mini_dataset.entities["mu-vehicles"].placeholder is True
    r = mini_dataset.relations["r05"]
    assert (r.share, r.share_min, r.share_max, r.direct) == (None, 25.0, 50.0, "direct")
    assert r.sources == ("news-2007",)


def test_relation_evidence_defaults_to_the_strongest_source(mini_dataset: Dataset) -> None:
    assert mini_dataset.relations["r01"].evidence == "court_judgment"
    assert mini_dataset.relations["r12"].evidence == "allegation"  # set explicitly


def test_data_date_is_the_newest_source_date(mini_dataset: Dataset) -> None:
    assert mini_dataset.data_date == "2022"


def test_content_hash_changes_with_the_data(tmp_path: Path, mini_dataset: Dataset) -> None:
    root = tmp_path / "d"
    shutil.copytree(MINI_PATH, root)
    assert load([root]).content_hash == mini_dataset.content_hash
    p = root / "entities.csv"
    p.write_text(p.read_text(encoding="utf-8").replace("Fictional", "Invented"), encoding="utf-8")
    assert load([root]).content_hash != mini_dataset.content_hash


def test_load_refuses_invalid_data_with_every_error(tmp_path: Path) -> None:
    root = tmp_path / "d"
    shutil.copytree(MINI_PATH, root)
    p = root / "relations.csv"
    p.write_text(p.read_text(encoding="utf-8").replace("r02,family", "r02,cousin").replace("r03,beneficial", "r03,bogus"), encoding="utf-8")
    with pytest.raises(InvalidData) as info:
        load([root])
    assert str(info.value).startswith("2 errors in the data; first: relations.csv:3: kind: error [unknown-relation-kind]")
    assert len(info.value.errors) == 2


def test_missing_folder_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(InvalidData, match="not a dataset folder"):
        load([tmp_path / "nope"])


def test_inputs_are_not_modified(tmp_path: Path) -> None:
    root = tmp_path / "d"
    shutil.copytree(MINI_PATH, root)
    before = {p.name: (p.read_bytes(), p.stat().st_mtime_ns) for p in root.iterdir()}
    load([root])
    assert {p.name: (p.read_bytes(), p.stat().st_mtime_ns) for p in root.iterdir()} == before


def test_descriptor_declares_every_field() -> None:
    d = descriptor_dict("x", "X")
    for res in d["resources"]:
        assert [f["name"] for f in res["schema"]["fields"]] == [s.name for s in RESOURCES[res["name"]]]
    rel = next(r for r in d["resources"] if r["name"] == "relations")
    assert {"fields": "source", "reference": {"resource": "entities", "fields": "id"}} in rel["schema"]["foreignKeys"]


def test_shipped_dataset_is_found() -> None:
    assert (default_data_dir() / "entities.csv").is_file()


def test_every_dataset_field_has_one_definition() -> None:
    from dataclasses import fields

    from tracker.dataset import Entity, Relation, Source, columns
    from tracker.export.tables import EDGE_COLUMNS, NODE_COLUMNS, SOURCE_COLUMNS

    assert columns("sources")[:6] == ("id", "url", "title", "publisher", "date", "date_precision")
    for resource, record, exported in (
        ("entities", Entity, NODE_COLUMNS),
        ("relations", Relation, EDGE_COLUMNS),
        ("sources", Source, SOURCE_COLUMNS),
    ):
        assert {f.name for f in fields(record)} - {"dataset"} == set(columns(resource))
        assert set(columns(resource)) <= set(exported), resource  # the export shows every field
    assert SOURCE_COLUMNS[-2:] == ("dataset", "date_precision")
