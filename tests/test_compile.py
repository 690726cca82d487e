"""The columnar compile (tracker/compile.py) writes the record path's tables, or steps aside.

Clean folders (the curated data, the fixtures, a generated ICIJ import) compile to Parquet tables
equal, column by column, to `compile_store(load(...))`'s. Every broken dataset of test_errors.py,
and every warning, makes the fast path refuse, so that `open_store` raises exactly `load`'s error
(or keeps `load`'s warnings).
"""

from __future__ import annotations

import os
import re
import shutil
import sys
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from conftest import FIXTURES_PATH, MINI_PATH
from test_errors import ACCEPTED, BROKEN, set_cell

import tracker.compile as compile_mod
from tracker.compile import _scan, _space, compile_columnar
from tracker.dataset import default_data_dir, load
from tracker.exc import InvalidData
from tracker.store import TABLES, compile_store, open_store

ROOT = Path(__file__).resolve().parents[1]
GOLDEN = FIXTURES_PATH / "scale" / "golden"


def compile_both(roots: list[Path], tmp: Path) -> tuple[Path, Path]:
    """The store folders of the fast path and of the record path for the same folders."""
    reasons: list[str] = []
    fast = compile_columnar(roots, tmp / "fast", reasons)
    assert fast is not None, reasons
    assert reasons == []
    compile_store(load(roots), tmp / "slow", roots)
    return tmp / "fast", tmp / "slow"


def assert_same_tables(fast: Path, slow: Path) -> dict[str, int]:
    """Every table equal in schema and in each column (values, types, order); returns row counts."""
    rows = {}
    for name in TABLES:
        a = pq.read_table(fast / f"{name}.parquet")
        b = pq.read_table(slow / f"{name}.parquet")
        assert a.schema == b.schema, name
        assert a.column_names == b.column_names, name
        for col in b.column_names:
            assert a.column(col).to_pylist() == b.column(col).to_pylist(), f"{name}.{col}"
        rows[name] = a.num_rows
    return rows


def manifest_without_paths(store: Path) -> dict[str, object]:
    import json

    m = json.loads((store / "manifest.json").read_text(encoding="utf-8"))
    return m  # type: ignore[no-any-return]


def test_mini_compiles_to_the_record_paths_tables(tmp_path: Path) -> None:
    fast, slow = compile_both([MINI_PATH], tmp_path)
    rows = assert_same_tables(fast, slow)
    # 14 entity rows, 18 relation rows (one answers another: r10 refers_to r09), 5 sources.
    assert {k: rows[k] for k in ("entities", "relations", "adjacency", "refs", "sources")} == {
        "entities": 14,
        "relations": 18,
        "adjacency": 36,
        "refs": 1,
        "sources": 5,
    }
    assert manifest_without_paths(fast) == manifest_without_paths(slow)


@pytest.mark.parametrize(
    "folders",
    [
        ["analysis/ownership"],
        ["scale/golden/icij"],
        ["scale/golden/icij-partial"],
    ],
)
def test_fixtures_compile_to_the_record_paths_tables(folders: list[str], tmp_path: Path) -> None:
    roots = [FIXTURES_PATH / f for f in folders]
    fast, slow = compile_both(roots, tmp_path)
    assert_same_tables(fast, slow)
    assert manifest_without_paths(fast) == manifest_without_paths(slow)


def test_curated_data_compiles_to_the_record_paths_tables(tmp_path: Path) -> None:
    fast = compile_columnar(None, tmp_path / "fast")
    assert fast is not None
    compile_store(load(None), tmp_path / "slow")
    assert_same_tables(tmp_path / "fast", tmp_path / "slow")
    assert fast.manifest == manifest_without_paths(tmp_path / "slow")


def test_jurisdictions_defined_twice_keep_the_first_folders(tmp_path: Path) -> None:
    curated = default_data_dir()
    roots = [curated, GOLDEN / "icij"]
    fast, slow = compile_both(roots, tmp_path)
    assert_same_tables(fast, slow)
    ents = pq.read_table(fast / "entities.parquet", columns=["id", "kind", "dataset"]).to_pylist()
    twice = {e["id"] for e in ents if e["kind"] == "jurisdiction"} & {
        line.split(",", 1)[0] for line in (GOLDEN / "icij" / "entities.csv").read_text(encoding="utf-8").splitlines()
    }
    assert "kz" in twice  # both folders define Kazakhstan
    assert {e["dataset"] for e in ents if e["id"] in twice} == {load([curated]).names[0]}


@pytest.fixture(scope="module")
def icij_import(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from tracker.importers import Meta, run_import
    from tracker.synthetic import generate_icij

    root = tmp_path_factory.mktemp("icij")
    generate_icij(root / "bulk", 1500, seed=11)
    run_import("icij", [root / "bulk"], root / "data", Meta(url="https://example.org/icij"))
    return root / "data"


def test_a_generated_icij_import_compiles_to_the_record_paths_tables(icij_import: Path, tmp_path: Path) -> None:
    fast, slow = compile_both([icij_import], tmp_path)
    rows = assert_same_tables(fast, slow)
    assert rows["adjacency"] == 2 * rows["relations"]
    assert manifest_without_paths(fast) == manifest_without_paths(slow)


def test_an_import_beside_the_curated_data(icij_import: Path, tmp_path: Path) -> None:
    fast, slow = compile_both([default_data_dir(), icij_import], tmp_path)
    assert_same_tables(fast, slow)


# --- refusals: every broken dataset and every warning goes to the record path -----------------


def _broken(case: str, tmp: Path) -> Path:
    folder = tmp / case
    shutil.copytree(MINI_PATH, folder)
    BROKEN[case][0](folder)
    return folder


@pytest.mark.parametrize("case", sorted(BROKEN))
def test_broken_data_falls_back_and_raises_loads_error(case: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = _broken(case, tmp_path)
    reasons: list[str] = []
    assert compile_columnar([folder], tmp_path / "fast", reasons) is None
    assert len(reasons) == 1 and reasons[0]
    assert not (tmp_path / "fast").exists()
    with pytest.raises(InvalidData) as expected:
        load([folder])
    monkeypatch.setenv("TRACKER_STORE", str(tmp_path / "stores"))
    monkeypatch.setattr(compile_mod, "MIN_BYTES", 0)
    with pytest.raises(InvalidData) as got:
        open_store([folder])
    assert str(got.value) == str(expected.value)
    assert got.value.errors == expected.value.errors


@pytest.mark.parametrize("case", sorted(ACCEPTED))
def test_harmless_variants_give_the_record_paths_tables(case: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = tmp_path / case
    shutil.copytree(MINI_PATH, folder)
    ACCEPTED[case](folder)
    monkeypatch.setenv("TRACKER_STORE", str(tmp_path / "stores"))
    monkeypatch.setattr(compile_mod, "MIN_BYTES", 0)
    store = open_store([folder])
    compile_store(load([folder]), tmp_path / "slow", [folder])
    assert_same_tables(store.root, tmp_path / "slow")


def test_a_long_list_of_ids_compiles_on_the_fast_path(tmp_path: Path) -> None:
    # An entity citing 1,000 sources (14,999 characters, as a PSC import writes for a UK parent
    # company) is no warning, so the fast path takes it: it refused it as a long cell, and a PSC
    # import of a million lines then compiled record by record (6.3 GB, six minutes).
    from test_validate import cited_by_many

    root = cited_by_many(tmp_path, 1000)
    fast, slow = compile_both([root], tmp_path)
    rows = assert_same_tables(fast, slow)
    assert rows["sources"] == 1005
    ruler = pq.read_table(fast / "entities.parquet").to_pylist()
    assert len(next(e for e in ruler if e["id"] == "alpha-ruler")["sources"]) == 1000


WARNED = {
    # Each is a warning only: load succeeds, the store keeps the warning, the fast path refuses.
    "long-cell": (set_cell("entities.csv", 3, "notes", "x" * 10_001), "long-cell"),
    "bidi-control": (set_cell("entities.csv", 3, "notes", "a\u202eb"), "bidi-control"),
    "offshore-not-jurisdiction": (set_cell("entities.csv", 3, "offshore", "true"), "offshore-not-jurisdiction"),
}


@pytest.mark.parametrize("case", sorted(WARNED))
def test_a_warning_sends_the_data_to_the_record_path(case: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = tmp_path / case
    shutil.copytree(MINI_PATH, folder)
    WARNED[case][0](folder)
    assert compile_columnar([folder], tmp_path / "fast") is None
    monkeypatch.setenv("TRACKER_STORE", str(tmp_path / "stores"))
    monkeypatch.setattr(compile_mod, "MIN_BYTES", 0)
    warnings = open_store([folder]).manifest["warnings"]
    assert len(warnings) == 1 and f"[{WARNED[case][1]}]" in warnings[0]


def test_direct_shares_past_100_percent_send_the_data_to_the_record_path(tmp_path: Path) -> None:
    folder = tmp_path / "over"
    shutil.copytree(FIXTURES_PATH / "analysis" / "ownership", folder)
    rel = folder / "relations.csv"
    text = rel.read_text(encoding="utf-8")
    # o01 gives p-direct 60% of co-direct; a second direct 50% owner takes it to 110%.
    rel.write_text(text + "o99,owns,hold-d,co-direct,shareholder,50,,,direct,,,,,2016,,,,,register-2020,,\n", encoding="utf-8")
    assert [w.code for w in load([folder]).warnings] == ["shares-over-100"]
    reasons: list[str] = []
    assert compile_columnar([folder], tmp_path / "fast", reasons) is None
    assert reasons == ["relations.csv: direct shares in one asset past 100%"]


def test_decisions_send_the_data_to_the_record_path(tmp_path: Path) -> None:
    folder = tmp_path / "mini"
    shutil.copytree(MINI_PATH, folder)
    (folder / "decisions.csv").write_text("left_id,right_id,decision\n", encoding="utf-8")
    reasons: list[str] = []
    assert compile_columnar([folder], tmp_path / "fast", reasons) is None
    assert reasons == ["mini/decisions.csv: merges need the record path"]


def test_a_relation_whose_sources_cell_names_none_is_refused(tmp_path: Path) -> None:
    folder = tmp_path / "mini"
    shutil.copytree(MINI_PATH, folder)
    set_cell("relations.csv", 3, "sources", " ; ")(folder)
    reasons: list[str] = []
    assert compile_columnar([folder], tmp_path / "fast", reasons) is None
    assert reasons == ["relations.csv: a relation without a source"]


def test_open_store_takes_the_fast_path_without_load(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import tracker.dataset

    def no_load(*args: object) -> None:
        raise AssertionError("load() was called")

    monkeypatch.setenv("TRACKER_STORE", str(tmp_path / "stores"))
    monkeypatch.setattr(compile_mod, "MIN_BYTES", 0)
    monkeypatch.setattr(tracker.dataset, "load", no_load)
    said: list[str] = []
    store = open_store([MINI_PATH], say=said.append)
    assert store.entity_count == 14 and store.relation_count == 18
    assert said[1] == f"store: 14 entities, 18 relations in {store.root}"
    assert open_store([MINI_PATH]).manifest == store.manifest  # current now: no recompile


def test_small_folders_keep_the_record_path(tmp_path: Path) -> None:
    assert compile_mod.fast_store([MINI_PATH], tmp_path / "fast") is None
    assert not (tmp_path / "fast").exists()


# --- the reader's agreement with pyarrow -------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "lines"),
    [
        (b'a,b\n"x, y","he said ""no"""\n', 2),
        (b'a,b\r\n"multi\nline",2\r\n', 3),  # the line feed inside a value counts: lines, not records
        (b"\xef\xbb\xbfa,b\n1,2", 2),  # a last line without its line feed
        (b'a,b\n"",""\n', 2),
        (b"a,b\n\n", 2),
        (b"", 0),
    ],
)
def test_scan_accepts_standard_quoting(data: bytes, lines: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "f.csv"
    path.write_bytes(data)
    for chunk in (1 << 20, 1, 2, 3):  # quotes and line ends across every chunk boundary
        monkeypatch.setattr(compile_mod, "CHUNK", chunk)
        assert _scan(path) == lines, chunk


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b'a,b\n"x"y,2\n', "a quote inside an unquoted field or after a closing quote"),
        (b'a,b\nx"y,2\n', "a quote inside an unquoted field or after a closing quote"),
        (b'a,b\n "x",2\n', "a quote inside an unquoted field or after a closing quote"),
        (b'a,b\n"x,2\n', "an unclosed quote"),
        (b"a,b\r1,2\r", "a carriage return outside CRLF"),
        (b"a,b\n1,2\r", "a carriage return outside CRLF"),
        (b"a,b\n1,\x002\n", "a NUL byte"),
    ],
)
def test_scan_refuses_what_the_readers_could_read_differently(
    data: bytes, reason: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "f.csv"
    path.write_bytes(data)
    for chunk in (1 << 20, 1, 2, 3):
        monkeypatch.setattr(compile_mod, "CHUNK", chunk)
        with pytest.raises(compile_mod._Refused, match=re.escape(reason)):
            _scan(path)


def test_scan_refuses_bad_utf8(tmp_path: Path) -> None:
    path = tmp_path / "f.csv"
    path.write_bytes(b"a,b\n\xff,2\n")
    with pytest.raises(UnicodeDecodeError):
        _scan(path)


def test_the_stripped_characters_are_all_of_pythons_whitespace() -> None:
    every = "".join(c for c in map(chr, range(sys.maxunicode + 1)) if c.isspace())
    assert _space() == every
    assert len(every) == 29


# --- a tripwire: a new validation rule needs its column check here too ------------------------

KNOWN_CODES = {
    # tracker/dataset.py's reader
    "unreadable", "encoding", "empty-file", "malformed-csv", "duplicate-column", "row-width", "missing-file", "bad-descriptor",
    # tracker/validate.py
    "unknown-format", "unknown-resource", "descriptor-fields", "missing-column", "unknown-column", "assertion-failed",
    "too-long", "long-cell", "bidi-control", "control-character", "required", "bad-id", "bad-url", "bad-date",
    "bad-number", "bad-boolean", "bad-currency", "unknown-country", "duplicate-id", "duplicate-row",
    "precision-without-date", "precision-mismatch", "dangling-reference", "offshore-not-jurisdiction", "self-loop",
    "statement-target", "wrong-range", "field-not-allowed", "self-reference", "reversed-dates", "share-out-of-range",
    "share-range", "share-and-range", "shares-over-100",
}  # fmt: skip


def test_every_validation_code_has_a_check_in_the_fast_path() -> None:
    found: set[str] = set()
    for module in ("tracker/dataset.py", "tracker/validate.py"):
        text = (ROOT / module).read_text(encoding="utf-8")
        # A code is the string just before its message (text with a space, or str(exc)).
        found |= set(re.findall(r'"([a-z]+(?:-[a-z0-9]+)*)",\s*(?:f?"[^"\n]* |str\()', text))
    assert {"bad-date", "wrong-range", "required", "encoding"} <= found  # the patterns read them
    # `unknown-<vocabulary>` codes come from the enum check, which the fast path runs as it is.
    assert found - KNOWN_CODES == set(), "a new rule: add its check to tracker/compile.py"


def test_names_folded_in_worker_processes_give_the_same_table(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(compile_mod, "PARALLEL_NAMES", 0)
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {0, 1}, raising=False)
    calls: list[int] = []

    def in_process(names: list[str]) -> list[tuple[str, str]]:
        calls.append(len(names))
        return []

    monkeypatch.setattr(compile_mod, "_name_keys", in_process)  # the workers must do all of it
    fast = compile_columnar([MINI_PATH], tmp_path / "fast")
    assert fast is not None and calls == []
    monkeypatch.undo()
    compile_store(load([MINI_PATH]), tmp_path / "slow")
    assert_same_tables(tmp_path / "fast", tmp_path / "slow")


def test_the_fold_worker_reads_json_names_and_writes_skeleton_and_fold() -> None:
    import subprocess

    done = subprocess.run(
        [sys.executable, "-c", "from tracker.compile import _fold_worker; _fold_worker()"],
        input='["Құлыбаев Тимур", "--"]'.encode(),
        capture_output=True,
        check=True,
    )
    assert done.stdout == b'[["kulibaev timur", "qulybaev timur"], ["", ""]]'


def test_a_worker_that_cannot_start_leaves_the_folding_to_this_process(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(compile_mod, "PARALLEL_NAMES", 0)
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {0, 1}, raising=False)
    monkeypatch.setattr(sys, "executable", "/nonexistent/python")
    assert compile_mod._name_keys_all(["Timur", "Dariga Nazarbayeva"]) == [("timur", "timur"), ("dariga nazarbaeva", "dariga nazarbayeva")]


def test_cells_are_stripped_as_the_reader_strips_them(tmp_path: Path) -> None:
    folder = tmp_path / "padded"
    shutil.copytree(MINI_PATH, folder)
    set_cell("entities.csv", 2, "name", "\u00a0 Alpha Ruler\u3000")(folder)
    set_cell("entities.csv", 3, "aliases", " Beta ;\u2003B. Rulerova ; ")(folder)
    set_cell("relations.csv", 2, "kind", " family ")(folder)
    fast, slow = compile_both([folder], tmp_path)
    assert_same_tables(fast, slow)
    names = pq.read_table(fast / "entities.parquet", columns=["name", "aliases"]).to_pylist()
    assert {"name": "Alpha Ruler", "aliases": ["Альфа Правитель", "Alfa Pravitel"]} in names
    assert {"name": "Beta Rulerova", "aliases": ["Beta", "B. Rulerova"]} in names


def test_the_content_hash_read_in_blocks_is_the_whole_files_digest(icij_import: Path) -> None:
    """content_hash (one definition, read in blocks) equals a digest of the whole files, spelt out here."""
    import hashlib

    from tracker.dataset import content_hash

    roots = [MINI_PATH, icij_import]
    h = hashlib.sha256()
    for root in roots:
        for name in ("entities.csv", "relations.csv", "sources.csv", "datapackage.yaml", "decisions.csv"):
            if (root / name).is_file():
                h.update(name.encode() + b"\0" + (root / name).read_bytes() + b"\0")
    assert content_hash(roots) == h.hexdigest()


# --- memory: one table at a time, read in blocks, written in slices -----------------------------


def _reorder(folder: Path, seed: int) -> None:
    """Shuffle the data rows of each CSV of `folder` (the header stays first)."""
    import csv
    import random

    for name in ("entities.csv", "relations.csv", "sources.csv"):
        path = folder / name
        with path.open(encoding="utf-8", newline="") as fh:
            header, *rows = list(csv.reader(fh))
        random.Random(seed).shuffle(rows)
        with path.open("w", encoding="utf-8", newline="") as fh:
            writer = csv.writer(fh, lineterminator="\n")
            writer.writerow(header)
            writer.writerows(rows)


def test_rows_out_of_id_order_compile_to_the_record_paths_tables(icij_import: Path, tmp_path: Path) -> None:
    folder = tmp_path / "shuffled"
    shutil.copytree(icij_import, folder)
    _reorder(folder, seed=5)
    ids = [line.split(",", 1)[0] for line in (folder / "relations.csv").read_text(encoding="utf-8").splitlines()[1:]]
    assert ids != sorted(ids)  # the sort, and the take of every table, are really needed
    fast, slow = compile_both([folder], tmp_path)
    rows = assert_same_tables(fast, slow)
    assert rows["relations"] == len(ids)


def test_a_shuffled_mini_set_keeps_its_answers_and_positions(tmp_path: Path) -> None:
    folder = tmp_path / "mini"
    shutil.copytree(MINI_PATH, folder)
    _reorder(folder, seed=3)
    fast, slow = compile_both([folder], tmp_path)
    assert_same_tables(fast, slow)
    rel = pq.read_table(fast / "relations.parquet", columns=["ridx", "id"]).to_pylist()
    assert [r["id"] for r in rel] == [f"r{i:02d}" for i in range(1, 19)]
    # r13 (the 13th relation, ridx 12) answers r12 (ridx 11).
    assert pq.read_table(fast / "refs.parquet").to_pylist() == [{"ridx": 12, "ref": 11}]
    # alpha-ruler (idx 0) and gamma-soninlaw: r12 runs gamma -> alpha, r13 alpha -> gamma; both
    # are alpha's entries towards gamma, in relation order.
    ents = [e["id"] for e in pq.read_table(fast / "entities.parquet", columns=["id"]).to_pylist()]
    gamma = ents.index("gamma-soninlaw")
    adj = pq.read_table(fast / "adjacency.parquet").to_pylist()
    assert [a["ridx"] for a in adj if a["node"] == ents.index("alpha-ruler") and a["nbr"] == gamma] == [11, 12]


@pytest.mark.parametrize(
    "knobs",
    [
        {"SLICE_ROWS": 5, "FOLD_NAMES": 7},  # every table written in many slices, names folded 7 at a time
        {"BLOCK": 4096},  # each file read in many blocks
        {"BLOCK": 4096, "CODED": 10**9, "CODE_MAX": 3},  # every column coded, turned back to text in a later block
        {"CODED": 0},  # no column coded
        {"BLOCK": 4096, "CODED": 10**9, "CODE8": 2},  # one-byte codes widened to two bytes in a later block
    ],
)
def test_slices_blocks_and_codes_give_the_record_paths_tables(
    knobs: dict[str, int], icij_import: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for knob, value in knobs.items():
        monkeypatch.setattr(compile_mod, knob, value)
    types: dict[str, set[str]] = {}
    read = compile_mod._read_csv

    def spy(path: Path, name: str, ck: object) -> object:
        got = read(path, name, ck)
        for field in got[0].schema:
            types.setdefault(field.name, set()).add(str(field.type))
        return got

    monkeypatch.setattr(compile_mod, "_read_csv", spy)
    # Two folders: the curated data (unsorted, small) beside the import; a jurisdiction in both.
    fast, slow = compile_both([default_data_dir(), icij_import], tmp_path)
    assert_same_tables(fast, slow)
    coded = {name for name, seen in types.items() if any(t.startswith("dictionary<values=string") for t in seen)}
    wide = {name for name, seen in types.items() if "dictionary<values=string, indices=int16, ordered=0>" in seen}
    if "CODE8" in knobs:
        assert {"kind", "role"} <= wide
    else:
        assert "kind" not in wide  # a handful of kinds: one byte a row
    if knobs.get("CODED") == 0:
        assert coded == set()
    elif "CODE_MAX" in knobs:
        assert "refers_to" in coded and "kind" not in coded  # more than 3 kinds in a block: text again
        assert types["kind"] == {"string"}
    else:
        assert {"kind", "evidence", "refers_to"} <= coded


def test_duplicate_rows_in_different_blocks_are_found(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = tmp_path / "mini"
    shutil.copytree(MINI_PATH, folder)
    rel = folder / "relations.csv"
    text = rel.read_text(encoding="utf-8")
    rel.write_text(text + "r99" + text.splitlines()[1][3:] + "\n", encoding="utf-8")  # r01 again as r99
    monkeypatch.setattr(compile_mod, "BLOCK", 1024)
    reasons: list[str] = []
    assert compile_columnar([folder], tmp_path / "fast", reasons) is None
    assert reasons == ["relations.csv: a duplicate row"]


def test_equal_row_hashes_are_compared_in_full() -> None:
    import numpy as np
    import pyarrow as pa

    names = pa.DictionaryArray.from_arrays(pa.array([0, 1, 0], pa.int16()), pa.array(["x", "y"]))
    table = pa.table({"id": ["a", "b", "c"], "name": names, "notes": ["", "", ""]})
    # Rows a and b share a hash but differ (a collision): no duplicate.
    compile_mod._duplicate_rows("entities", table, np.array([5, 5, 6], dtype=np.uint64))
    # Rows a and c are equal but for their ids.
    with pytest.raises(compile_mod._Refused, match="^entities.csv: a duplicate row$"):
        compile_mod._duplicate_rows("entities", table, np.array([5, 6, 5], dtype=np.uint64))


def test_folders_with_other_column_types_are_brought_to_one() -> None:
    import pyarrow as pa

    def coded(values: list[str], codes: list[int], width: pa.DataType) -> pa.DictionaryArray:
        return pa.DictionaryArray.from_arrays(pa.array(codes, width), pa.array(values))

    small = pa.table({"x": coded(["a", "b"], [1, 0], pa.int8()), "y": coded(["p"], [0, 0], pa.int8())})
    large = pa.table({"x": coded(["c"], [0], pa.int16()), "y": pa.array(["q"])})
    one, two = compile_mod._same_types([small, large])
    # x: coded everywhere, the widest codes win; y: text in one folder, so text in both.
    assert [str(one.schema.field(c).type) for c in ("x", "y")] == ["dictionary<values=string, indices=int16, ordered=0>", "string"]
    assert one.schema == two.schema
    assert pa.concat_tables([one, two]).to_pydict() == {"x": ["b", "a", "c"], "y": ["p", "p", "q"]}


@pytest.mark.parametrize(
    "cells",
    [
        ["s1", "s2", "s3"],  # one source a row: the column itself is the list values
        ["s1;s2", "s3", " s4 ; ;s5"],  # separators, padding and an empty part
        ["s1", "", "s3"],  # an empty cell: an empty list
    ],
)
def test_lists_split_as_the_reader_splits_them(cells: list[str]) -> None:
    import pyarrow as pa

    from tracker.dataset import split_list

    col = pa.chunked_array([pa.array(["x", *cells, "y"])]).slice(1, len(cells))  # a slice, as the writers pass
    assert compile_mod._split(col).to_pylist() == [list(split_list(c)) for c in cells]
