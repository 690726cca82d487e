"""The column-wise ICIJ import writes what the record path writes, byte for byte.

Each case imports the same files twice, column-wise (the default) and record by record
(`columnar=False`), and compares the four files and the summary. The column-wise run must really
be column-wise (the record path's per-node function is made to fail during it), except where
the data is of the rare kinds it leaves to the record path, which is checked too.
"""

from __future__ import annotations

import csv
import errno
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.conftest import FIXTURES_PATH
from tracker.importers import DatasetWriter, Meta, Summary, icij, icij_columnar, run_import
from tracker.synthetic import generate_icij

ICIJ = FIXTURES_PATH / "import" / "icij"
FILES = ("entities.csv", "relations.csv", "sources.csv", "datapackage.yaml")


def _no_record_path(monkeypatch: pytest.MonkeyPatch) -> None:
    def fail(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("the record path ran")

    monkeypatch.setattr(icij, "_node", fail)
    monkeypatch.setattr(icij, "_relationship", fail)


def both(
    files: list[Path], out: Path, monkeypatch: pytest.MonkeyPatch | None = None, meta: Meta | None = None, **kwargs: Any
) -> tuple[Summary, Summary]:
    """Import column-wise and record by record; assert the same bytes; return both summaries."""
    meta = meta or Meta(name="x")
    with pytest.MonkeyPatch.context() as mp:
        if monkeypatch is not None:
            _no_record_path(mp)
        col = run_import("icij", files, out / "col", meta, **kwargs)
    rec = run_import("icij", files, out / "rec", meta, columnar=False, **kwargs)
    for name in FILES:
        assert (out / "col" / name).read_bytes() == (out / "rec" / name).read_bytes(), name
    assert col.lines() == rec.lines()
    assert dict(col.outcomes) == dict(rec.outcomes)
    assert col.written == rec.written
    return col, rec


def refusal(files: list[Path]) -> str:
    """Why the column-wise path leaves these files to the record path ("" when it takes them)."""
    writer = DatasetWriter(Summary(format="icij"))
    taken = icij_columnar.read(files, writer, Meta())
    assert taken == (writer.refused == "")
    return writer.refused


@pytest.mark.parametrize(
    "files",
    [
        [ICIJ],
        [ICIJ / "relationships.csv", ICIJ / "nodes-officers.csv", ICIJ / "nodes-entities.csv"],
        [ICIJ / "Addresses_2016.csv"],
    ],
)
def test_fixtures_same_bytes(files: list[Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert refusal(files) == ""
    both(files, tmp_path, monkeypatch)


def test_generated_5k_same_bytes_and_counts(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    raw = tmp_path / "raw"
    counts = generate_icij(raw, 5000, seed=7)
    assert refusal([raw]) == ""
    col, _ = both([raw], tmp_path, monkeypatch)
    # 5,000 nodes and int(5000 * 1.65) = 8,250 links read; every node has a name or an address,
    # so each becomes an entity citing its own page.
    assert (counts.nodes, counts.relationships) == (5000, 8250)
    assert col.read == 13_250
    assert col.written["sources"] == 5000
    # The generator's last 8250 - 4537 - 1650 - 1650 = 413 links are identity or unspecific
    # links (similar, connected_to, same_name_as): the only records skipped.
    assert col.outcomes["skipped"] == 413
    identity = [k for k in col.skipped if k.startswith("identity or unspecific link")]
    assert sum(col.skipped[k] for k in identity) == 413
    assert col.outcomes["mapped"] + col.outcomes["merged"] == 13_250 - 413
    # Entities: the 5,000 nodes and one jurisdiction per country they name: the generator's ten
    # countries, and five more jurisdictions of incorporation (Seychelles, Bahamas, Niue, Samoa,
    # Jersey).
    assert col.written["entities"] == 5000 + 10 + 5


def _write(path: Path, header: list[str], rows: list[list[str]]) -> None:
    with open(path, "w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(header)
        w.writerows(rows)


ENT_COLS = ["node_id", "name", "original_name", "former_name", "jurisdiction", "jurisdiction_description", "company_type"]
ENT_COLS += ["address", "incorporation_date", "inactivation_date", "struck_off_date", "status", "service_provider", "ibcRUC"]
ENT_COLS += ["country_codes", "countries", "sourceID", "valid_until", "note"]


def hostile(root: Path) -> Path:
    """A small ICIJ folder with the cells bulk data has: formulas, commas, quotes, Cyrillic, odd
    Unicode, control characters, spaces at the ends, long text, reversed dates, self links."""
    root.mkdir(parents=True)
    e = ENT_COLS

    def ent(node: str, **kw: str) -> list[str]:
        cells = {"node_id": node, **kw}
        return [cells.get(c, "") for c in e]

    _write(
        root / "nodes-entities.csv",
        e,
        [
            ent(
                "1",
                name="=SUM(A1) Holdings Ltd",
                jurisdiction="BVI",
                jurisdiction_description="British Virgin Islands",
                country_codes="KAZ;KAZ;GBR",
            ),
            ent(
                "2",
                name="  Spaced, Inc.  ",
                original_name="Old; Name",
                former_name="=Former",
                company_type="Private Foundation",
                ibcRUC=" 55;5 ",
            ),
            ent(
                "3",
                name="Cafe\u0301 \u0007 Trust",
                note="line one\r\nline two",
                status="Active",
                service_provider='"Quoted" SP',
                country_codes="XXX",
            ),
            ent("4", name="", country_codes="GBR"),
            ent("5", name="x" * 1200, incorporation_date="31/12/2010", struck_off_date="2012", jurisdiction="JE"),
            ent("6", name="Омега ТОО", original_name="Омега ТОО", country_codes="RUS", jurisdiction_description="Nowhere"),
            ent("7", name="@home Ltd", former_name="-minus", note="\u202eright to left"),
        ],
    )
    _write(
        root / "nodes-officers.csv",
        ["node_id", "name", "countries", "country_codes", "sourceID", "valid_until", "note"],
        [
            ["10", "John Smith", "", "GBR", "Panama Papers", "current  through 2015", ""],
            ["11", "Müller GmbH", "", "DEU;CHE", "Paradise Papers - Appleby", "", "=note"],
            ["12", "Иван Иванов", "", "", "", "", ""],
            ["13", "\t", "", "GBR", "Offshore Leaks", "", ""],
            ["14", "ACME NOMINEES (JERSEY) LIMITED", "", "JEY", "Pandora Papers - Trident", "", ""],
            ["15", "Jane Doe", "", "", "Bahamas Leaks", "", ""],
            ["16", "Ахметов Holdings 1 Ltd.", "", "KAZ", "Panama Papers", "", ""],
            ["17", "Ϲorp \u212aapital Groſs", "", "", "Panama Papers", "", ""],
            ["18", "ТОО Омега", "", "", "Panama Papers", "", ""],
            ["19", "Émile Zola\u00a0Jr", "", "", "Panama Papers", "", ""],
        ],
    )
    _write(
        root / "nodes-intermediaries.csv",
        ["node_id", "name", "status", "internal_id", "address", "countries", "country_codes", "sourceID", "valid_until", "note"],
        [
            ["20", "Sigma Law Chambers", "ACTIVE", "1", "1 Road,\nGeneva", "", "CHE", "Panama Papers", "", ""],
            ["21", "DOE, JOHN (MR.)", "", "2", "  ", "", "", "Offshore Leaks", "", ""],
        ],
    )
    _write(
        root / "nodes-addresses.csv",
        ["node_id", "address", "name", "countries", "country_codes", "sourceID", "valid_until", "note"],
        [
            ["30", "1  Abai\tAvenue,\nAlmaty", "", "", "KAZ", "Panama Papers", "", ""],
            ["31", "", "Named only", "", "GBR", "Panama Papers", "", ""],
            ["32", "", "", "", "GBR", "Panama Papers", "", ""],
        ],
    )
    _write(
        root / "relationships.csv",
        ["node_id_start", "node_id_end", "rel_type", "link", "status", "start_date", "end_date", "sourceID"],
        [
            ["10", "1", "officer_of", "director of", "", "2010", "2005", ""],
            ["10", "1", "officer_of", "shareholder of", "", "", "", ""],
            ["10", "1", "officer_of", "director of", "", "", "", ""],
            ["10", "1", "officer_of", "shareholder of", "", "2001", "", ""],
            ["11", "2", "officer_of", 'Custodian, "special"', "", "20-JAN-2004", "2020-02-30", ""],
            ["20", "1", "intermediary_of", "intermediary of", "", "", "", ""],
            ["20", "20", "intermediary_of", "intermediary of", "", "", "", ""],
            ["10", "30", "registered_address", "registered address", "", "", "", ""],
            ["10", "30", "registered_address", "registered address", "", "", "", ""],
            ["1", "32", "registered_address", "registered address", "", "", "", ""],
            ["1", "2", "same_name_as", "same name as", "", "", "", ""],
            ["1", "2", "", "", "", "", "", ""],
            ["x1", "2", "officer_of", "director of", "", "", "", ""],
            ["1", "999", "officer_of", "director of", "", "", "", ""],
            ["4", "1", "officer_of", "director of", "", "", "", ""],
            ["12", "10", "officer_of", "beneficiary of", "", "", "", ""],
            ["14", "3", "officer_of", "Nominee Director of", "", "1999-05", "1999", ""],
            ["1", "2", "Odd Type", "manager", "", "", "", ""],
        ],
    )
    return root


def test_hostile_cells_same_bytes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    raw = hostile(tmp_path / "raw")
    assert refusal([raw]) == ""
    col, _ = both([raw], tmp_path, monkeypatch)
    # By hand: 7 + 10 + 2 + 3 node rows and 18 links. Skipped: entity 4 and officer 13 (no name),
    # address 32 (no text), the links same_name_as, no rel_type, "x1" and 1 -> 32 (not an
    # address of the import: 32 was skipped): 7.
    assert col.read == 40
    assert col.outcomes["skipped"] == 7
    assert col.skipped["relationship without numeric node ids"] == 1
    assert col.skipped["registered_address to an address not in the import"] == 1
    # 2010 -> 2005 is reversed; 1999-05 -> 1999 is not (May is within 1999); 2020-02-30 is no date.
    assert col.skipped["end before start (dropped the end)"] == 1
    assert col.skipped["relation from an entity to itself"] == 1
    assert col.examples["relation to an entity not in the import (dangling reference)"] == ["icij:999", "icij:4"]
    rows = list(csv.DictReader(open(tmp_path / "col" / "entities.csv", encoding="utf-8", newline="")))
    names = {r["id"]: r["name"] for r in rows}
    assert names["icij:1"] == "'=SUM(A1) Holdings Ltd"
    assert names["icij:2"] == "Spaced, Inc."
    assert names["icij:3"] == "Caf\u00e9   Trust"
    assert len(names["icij:5"]) == 1000 and names["icij:5"].endswith("\u2026")


def test_user_meta_same_bytes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # What the user says about the source lands in every source row: a formula, a comma and a
    # quote in it are guarded and quoted as the record path does (publisher and licence are
    # free text: a leading = + - @ gets a quote mark, so no spreadsheet runs it).
    meta = Meta(name="y", publisher='=Leaks, "Desk"', licence="-CC, BY", retrieved="2024-05", evidence="news_report")
    col, _ = both([ICIJ], tmp_path, monkeypatch, meta=meta)
    sources = (tmp_path / "col" / "sources.csv").read_text(encoding="utf-8")
    assert '"\'=Leaks, ""Desk""",2016,,news_report,,,,,"\'-CC, BY",2024-05,' in sources


def test_simple_characters_are_left_as_they_are() -> None:
    # The column-wise test of a clean cell trusts these characters to be printable, not space,
    # not combining, and NFC in any pair; this Python's Unicode tables must agree.
    import unicodedata

    chars = [chr(c) for a, b in icij_columnar.SIMPLE_RANGES for c in range(a, b + 1)]
    for c in chars:
        assert c.isprintable() and not c.isspace() and unicodedata.combining(c) == 0, hex(ord(c))
    step = 7  # every character meets a spread of the others (all pairs: a million, about 2 s)
    for i, c in enumerate(chars):
        for d in chars[i % step :: step]:
            assert unicodedata.is_normalized("NFC", c + d), (hex(ord(c)), hex(ord(d)))


def test_simple_test_of_ascii_cells_is_the_patterns() -> None:
    # A column of ASCII cells only is tested without the pattern (printable, no space at either
    # end); it must answer as the pattern's definition does for every ASCII character alone,
    # inside a cell and at either end, and as the pattern itself does on a column with one
    # cell that is not ASCII.
    import pyarrow as pa

    def simple(cell: str) -> bool:
        inside = all(c == " " or any(a <= ord(c) <= b for a, b in icij_columnar.SIMPLE_RANGES) for c in cell)
        return inside and not cell.startswith(" ") and not cell.endswith(" ")

    ascii_chars = [chr(c) for c in range(128)]
    cells = ["", " ", "a b", "a  b", " a", "a ", *ascii_chars]
    cells += [f"x{c}y" for c in ascii_chars] + [f"{c}x" for c in ascii_chars] + [f"x{c}" for c in ascii_chars]
    expected = [simple(c) for c in cells]
    assert expected.count(True) > 200 and expected.count(False) > 100  # both kinds of cell are tested
    icij_columnar._SIMPLE_SEEN.clear()
    assert icij_columnar._simple(pa.array(cells)).to_pylist() == expected
    icij_columnar._SIMPLE_SEEN.clear()
    assert icij_columnar._simple(pa.array([*cells, "Ахметов"])).to_pylist() == [*expected, True]
    icij_columnar._SIMPLE_SEEN.clear()


def test_two_links_files_same_bytes_and_skip_examples(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # The first links file is mapped by the second thread while the nodes are, the second by
    # this one after them: a skip reason both files give is exemplified from the first file
    # first, as the record path does, and the relations are the same.
    raw = hostile(tmp_path / "raw")
    header, *rows = (raw / "relationships.csv").read_text(encoding="utf-8").splitlines(keepends=True)
    assert rows[10] == "1,2,same_name_as,same name as,,,,\n"  # (the hostile file's 12th line)
    # relationships.csv: 9 rows, then an identity link at line 11; relationships_b.csv: the
    # other 9 rows, the identity link at its line 3. (sorted by name: "." before "_")
    (raw / "relationships.csv").write_text(header + "".join(rows[:9]) + "2,3,same_name_as,same name as,,,,\n", encoding="utf-8")
    (raw / "relationships_b.csv").write_text(header + "".join(rows[9:]), encoding="utf-8")
    col, _ = both([raw], tmp_path, monkeypatch)
    assert (
        "skipped 2: identity or unspecific link (same_name_as), not a relation (e.g. relationships.csv:11, relationships_b.csv:3)"
        in col.lines()
    )


def test_base_jurisdictions_same_bytes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    base = tmp_path / "base"
    run_import("icij", [ICIJ], base)
    both([hostile(tmp_path / "raw")], tmp_path, monkeypatch, base=[base])


@pytest.mark.parametrize(
    ("case", "reason"),
    [
        ("duplicate", "a node_id given twice"),
        ("quote", "a quote inside an unquoted field"),
        ("multiline-link", "a record over several lines, or a blank line"),
        ("blank-line", "a record over several lines, or a blank line"),
        ("ragged", "pyarrow cannot read it"),
        ("spaced-id", "a node_id that is not plain digits"),
        # Both a nodes file and the links file (read ahead by a second thread) refused: the
        # nodes' reason, as when the files were read in turn.
        ("quote-and-ragged", "nodes-officers.csv: a quote inside an unquoted field"),
        # The first nodes file refused while mapped, a later one (read ahead by the second
        # thread, after the links file) refused as it is read: the first file's reason.
        ("entity-id-and-quote", "nodes-entities.csv: a node_id that is not plain digits"),
    ],
)
def test_rare_data_goes_to_the_record_path(case: str, reason: str, tmp_path: Path) -> None:
    raw = hostile(tmp_path / "raw")
    officers = raw / "nodes-officers.csv"
    links = raw / "relationships.csv"
    if case == "duplicate":  # a second record of node 10 merges into the first
        with open(officers, "a", encoding="utf-8") as fh:
            fh.write("10,John Smith Jr,,USA,Panama Papers,,\n")
    elif case == "quote":
        with open(officers, "a", encoding="utf-8") as fh:
            fh.write('16,Bad "quote" here,,GBR,Panama Papers,,\n')
    elif case == "multiline-link":
        with open(links, "a", encoding="utf-8") as fh:
            fh.write('10,2,officer_of,"director\nof",,,,\n')
    elif case == "blank-line":
        with open(links, "a", encoding="utf-8") as fh:
            fh.write("\n10,2,officer_of,director of,,,,\n")
    elif case == "ragged":
        with open(links, "a", encoding="utf-8") as fh:
            fh.write("10,2,officer_of\n")
    elif case == "quote-and-ragged":
        with open(officers, "a", encoding="utf-8") as fh:
            fh.write('16,Bad "quote" here,,GBR,Panama Papers,,\n')
        with open(links, "a", encoding="utf-8") as fh:
            fh.write("10,2,officer_of\n")
    elif case == "spaced-id":
        with open(officers, "a", encoding="utf-8") as fh:
            fh.write(" 17 ,Spaced Id,,GBR,Panama Papers,,\n")
    elif case == "entity-id-and-quote":
        with open(raw / "nodes-entities.csv", "a", encoding="utf-8") as fh:
            fh.write(",".join(["1x", "Lettered Id Ltd"] + [""] * (len(ENT_COLS) - 2)) + "\n")
        with open(officers, "a", encoding="utf-8") as fh:
            fh.write('16,Bad "quote" here,,GBR,Panama Papers,,\n')
    assert reason in refusal([raw])
    if case in ("quote-and-ragged", "entity-id-and-quote"):
        return  # (the reason is what is tested: the record path refuses the ragged line as below)
    if case == "ragged":
        from tracker.exc import InvalidData

        with pytest.raises(InvalidData, match=r"^relationships.csv:20: has 3 cells, the header has 8$"):
            run_import("icij", [raw], tmp_path / "o")
        return
    both([raw], tmp_path)


def test_cli_import_compiles_the_store(tmp_path: Path, cli_runner: Any) -> None:
    from tracker.cli import cli
    from tracker.store import MANIFEST, store_dir

    out = tmp_path / "imp"
    res = cli_runner.invoke(cli, ["import", "icij", str(ICIJ), "--out", str(out)])
    assert res.exit_code == 0, res.output
    assert (store_dir([out]) / MANIFEST).is_file()
    assert "store: 16 entities, 18 relations" in res.stderr
    out2 = tmp_path / "imp2"
    res = cli_runner.invoke(cli, ["import", "icij", str(ICIJ), "--out", str(out2), "--no-store"])
    assert res.exit_code == 0, res.output
    assert not (store_dir([out2]) / MANIFEST).exists()
    assert "store:" not in res.stderr


@pytest.mark.parametrize("rows", [1, 2, 7])
def test_tiny_batches_same_bytes(rows: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Tables are written a batch of rows at a time, relation ids compared a slice at a time and
    # a jurisdiction's citing nodes read a few at a time: with one, two or seven rows every
    # boundary falls somewhere in the hostile and generated sets, and the bytes must not move.
    monkeypatch.setattr(icij_columnar, "_WRITE_ROWS", rows)
    monkeypatch.setattr(icij_columnar, "_CHECK_ROWS", rows)
    monkeypatch.setattr(icij_columnar, "_CALL_ROWS", rows)
    monkeypatch.setattr(icij_columnar, "_ORDER_ROWS", rows)
    both([hostile(tmp_path / "raw")], tmp_path / "hostile", monkeypatch)
    raw = tmp_path / "gen"
    generate_icij(raw, 300, seed=3)
    both([raw], tmp_path / "gen-out", monkeypatch)


@pytest.mark.parametrize("rows", [1, 2, 1 << 20])
def test_one_id_in_two_link_files_goes_to_the_record_path(rows: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # A second relationships file that repeats one link of the first: the two rows have one
    # relation id, found as neighbours in id order whatever the slices compared.
    monkeypatch.setattr(icij_columnar, "_CHECK_ROWS", rows)
    raw = hostile(tmp_path / "raw")
    _write(
        raw / "relationships-more.csv",
        ["node_id_start", "node_id_end", "rel_type", "link", "status", "start_date", "end_date", "sourceID"],
        [["15", "2", "officer_of", "director of", "", "", "", ""], ["12", "10", "officer_of", "beneficiary of", "", "", "", ""]],
    )
    assert refusal([raw]) == "two relations with one id"
    # Without the repeated link, the second file is taken column-wise.
    _write(
        raw / "relationships-more.csv",
        ["node_id_start", "node_id_end", "rel_type", "link", "status", "start_date", "end_date", "sourceID"],
        [["15", "2", "officer_of", "director of", "", "", "", ""]],
    )
    assert refusal([raw]) == ""
    both([raw], tmp_path, monkeypatch)


def test_first_index_by_hand() -> None:
    import pyarrow as pa

    uniq, first, codes = icij_columnar._first_index(pa.array(["b", "a", "b", "c", "a", "c", "d"]))
    assert uniq.to_pylist() == ["b", "a", "c", "d"]
    assert first.to_pylist() == [0, 1, 3, 6]
    assert codes.tolist() == [0, 1, 0, 2, 1, 2, 3]
    uniq, first, codes = icij_columnar._first_index(pa.array([], pa.string()))
    assert (uniq.to_pylist(), first.to_pylist(), codes.tolist()) == ([], [], [])


@pytest.mark.parametrize(("rows", "bits"), [(1, 63), (3, 63), (1 << 20, 63), (1 << 20, 4), (3, 4)])
def test_text_order_is_the_bytes_order(rows: int, bits: int, monkeypatch: pytest.MonkeyPatch) -> None:
    # The relation ids are sorted on 8-byte words, then on the text where the words tie. The
    # expected order is Python's own sort of the UTF-8 bytes (stable: equal ids keep their rows'
    # order), over the cases where words and text could disagree: a prefix of another id, a
    # zero byte (which ties with the padding), non-ASCII bytes (above 0x7f: unsigned), ids that
    # differ only past the three words, equal ids, the empty id; cut into words `rows` at a time.
    import pyarrow as pa

    # With `bits` 4 the words' ranks do not fit in the key: pyarrow sorts the words.
    monkeypatch.setattr(icij_columnar, "_ORDER_ROWS", rows)
    monkeypatch.setattr(icij_columnar, "_KEY_BITS", bits)
    long = "icij:12345678:officer_of:87654321"
    values = [
        long + ":b",
        "icij:1:x",
        long,
        "icij:1",
        "icij:1\x00",
        "icij:1\x00a",
        "icij:10",
        "icij:é",
        "icij:e",
        "icij:1:x",
        long + ":a",
        "icij:\x7f",
        "icij:",
        "icij:1:x",
        "icij:Я",
    ]
    expected = sorted(range(len(values)), key=lambda i: values[i].encode("utf-8"))
    assert icij_columnar._text_order(pa.array(values)).tolist() == expected
    # A hand-checked corner: the shared prefix is all of one id.
    assert icij_columnar._text_order(pa.array(["ab", "a", "ab\x00", "a"])).tolist() == [1, 3, 0, 2]
    # Ids that share no prefix, and the trivial sizes.
    assert icij_columnar._text_order(pa.array(["b", "", "a"])).tolist() == [1, 2, 0]
    assert icij_columnar._text_order(pa.array(["x"])).tolist() == [0]
    assert icij_columnar._text_order(pa.array([], pa.string())).tolist() == []


@given(
    base=st.lists(st.sampled_from("abcde"), min_size=1, max_size=30),
    picks=st.lists(st.tuples(st.integers(0, 29), st.sampled_from(["a", "x", "y", "xy"])), max_size=10),
)
@settings(max_examples=300, deadline=None)
def test_first_index_with_some_ids_replaced_is_the_first_index(base: list[str], picks: list[tuple[int, str]]) -> None:
    # Some rows that are not a first appearance get other ids, new ("x", "y", "xy") or an old
    # one ("a": the ids are hashed again): the first appearances merged must be those of the
    # ids as they are, found by hashing them all.
    import numpy as np
    import pyarrow as pa

    first = icij_columnar._first_index(pa.array(base))
    is_first = set(first[1].to_pylist())
    chosen = {i: v for i, v in picks if i < len(base) and i not in is_first}
    if not chosen:
        return
    at = np.array(sorted(chosen), dtype=np.int64)
    ids = list(base)
    for i, v in chosen.items():
        ids[i] = v
    got = icij_columnar._first_index_replaced(first, pa.array(ids), at, pa.array([chosen[i] for i in at.tolist()]))
    want = icij_columnar._first_index(pa.array(ids))
    assert got[0].to_pylist() == want[0].to_pylist()
    assert got[1].to_pylist() == want[1].to_pylist()
    assert np.asarray(got[2]).tolist() == np.asarray(want[2]).tolist()


def test_first_index_with_some_ids_replaced_by_hand() -> None:
    import numpy as np
    import pyarrow as pa

    base = ["p", "q", "p", "r", "q", "p"]
    first = icij_columnar._first_index(pa.array(base))
    # Rows 2 and 5 (both "p" after row 0) get "s" and "t"; row 4 ("q") gets "s".
    at = np.array([2, 4, 5])
    ids = ["p", "q", "s", "r", "s", "t"]
    uniq, rows, codes = icij_columnar._first_index_replaced(first, pa.array(ids), at, pa.array(["s", "s", "t"]))
    assert uniq.to_pylist() == ["p", "q", "s", "r", "t"]
    assert rows.to_pylist() == [0, 1, 2, 3, 5]
    assert np.asarray(codes).tolist() == [0, 1, 2, 3, 2, 4]


def test_sources_share_the_entities_ids_and_names(tmp_path: Path) -> None:
    # A node's source row has the node's id, and its title starts with the node's name (held
    # once for both tables); a name over 1000 characters is cut in the entity, not the title.
    raw = hostile(tmp_path / "raw")
    writer = DatasetWriter(Summary(format="icij"))
    assert icij_columnar.read([raw], writer, Meta())
    src, ent = writer.pending.sources.columns, writer.pending.entities.columns
    nodes = len(src["id"])
    # 7 + 10 + 2 + 3 node rows, 3 without a name or address: 19 nodes, then the jurisdictions.
    assert nodes == 19 and len(ent["id"]) > nodes
    assert src["id"].buffers()[2].address == ent["id"].buffers()[2].address
    run_import("icij", [raw], tmp_path / "out", Meta(name="x"))
    titles = {r["id"]: r["title"] for r in csv.DictReader(open(tmp_path / "out" / "sources.csv", encoding="utf-8", newline=""))}
    # (No sourceID: the leak is named "Offshore Leaks", as `icij._leak` has it.)
    assert titles["icij:5"] == "x" * 1200 + " - ICIJ Offshore Leaks Database (Offshore Leaks)"
    assert titles["icij:10"] == "John Smith - ICIJ Offshore Leaks Database (Panama Papers)"


_CELLS = [
    "",
    "BVI",
    "KAZ",
    "GBR;KAZ",
    "KAZ;KAZ",
    "British Virgin Islands",
    "12-MAR-2006",
    "2001",
    "1999-05",
    "Panama Papers",
    'Ltd, "Quoted"',
    "=SUM(A1)",
    "  Spaced Trust  ",
    "Ахметов ТОО",
    "Cafe\u0301",
    "line\nbreak",
]
_IDS = ["1", "2", "3", "4", "5"]
_LINK_TYPES = ["officer_of", "intermediary_of", "registered_address", "same_name_as", "", "Odd Type"]
_LINK_CELLS = ["", "director of", "shareholder of", "registered address", "2001", "1999-05", "12-MAR-2006", 'a, "b"', "=x"]


@st.composite
def _folders(draw: Any) -> tuple[list[list[str]], list[list[str]]]:
    """Entities with ids 1-5 (each once) and links between ids 1-6 and 01 (6 and 01 are no node:
    01 is not 1, though its number is)."""
    ids = draw(st.lists(st.sampled_from(_IDS), unique=True, max_size=5))
    nodes = [[i, *draw(st.lists(st.sampled_from(_CELLS), min_size=7, max_size=7))] for i in ids]
    link = st.tuples(
        st.sampled_from([*_IDS, "6", "01"]),
        st.sampled_from([*_IDS, "6", "01"]),
        st.sampled_from(_LINK_TYPES),
        st.sampled_from(_LINK_CELLS),
        st.sampled_from(_LINK_CELLS),
        st.sampled_from(_LINK_CELLS),
    )
    return nodes, [list(x) for x in draw(st.lists(link, max_size=8))]


@given(tables=_folders(), batch=st.integers(1, 4))
@settings(max_examples=30, deadline=None)
def test_generated_cells_same_bytes_at_any_batch_size(tables: tuple[list[list[str]], list[list[str]]], batch: int) -> None:
    # Random small folders of the cells bulk data has (links that meet, repeat or dangle,
    # repeated codes, dates, quotes, formulas, Cyrillic, combining marks, line breaks), written a
    # batch of one to four rows at a time: the column-wise path takes them, with the record
    # path's bytes.
    import tempfile

    nodes, links = tables
    with tempfile.TemporaryDirectory() as tmp, pytest.MonkeyPatch.context() as mp:
        root = Path(tmp) / "raw"
        root.mkdir()
        node_cols = [
            "node_id",
            "name",
            "jurisdiction",
            "jurisdiction_description",
            "country_codes",
            "incorporation_date",
            "sourceID",
            "note",
        ]
        _write(root / "nodes-entities.csv", node_cols, nodes)
        _write(root / "relationships.csv", ["node_id_start", "node_id_end", "rel_type", "link", "start_date", "end_date"], links)
        mp.setattr(icij_columnar, "_WRITE_ROWS", batch)
        mp.setattr(icij_columnar, "_CHECK_ROWS", batch)
        mp.setattr(icij_columnar, "_CALL_ROWS", batch)
        assert refusal([root]) == ""
        both([root], Path(tmp) / "out", mp)


def test_no_links_same_bytes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # A folder whose link file has only its header, then one with no node either: both
    # imported column-wise (the empty relation table crashed with an AttributeError before).
    raw = tmp_path / "raw"
    raw.mkdir()
    _write(raw / "nodes-entities.csv", ENT_COLS, [["1", "Acme Ltd", *[""] * (len(ENT_COLS) - 2)]])
    _write(raw / "relationships.csv", ["node_id_start", "node_id_end", "rel_type", "link", "start_date", "end_date"], [])
    col, _ = both([raw], tmp_path / "one", monkeypatch)
    assert col.written == {"entities": 1, "relations": 0, "sources": 1}
    _write(raw / "nodes-entities.csv", ENT_COLS, [])
    col, _ = both([raw], tmp_path / "none", monkeypatch)
    assert col.written == {"entities": 0, "relations": 0, "sources": 0}


def test_self_links_of_several_kinds_exemplified_in_id_order(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Self links whose candidate kinds differ (a director, a shareholder) are one skip reason:
    # its examples are in id order over all of them, as the record path gives them (they were
    # listed kind by kind before; found by the random folders above).
    raw = tmp_path / "raw"
    raw.mkdir()
    _write(raw / "nodes-entities.csv", ENT_COLS, [[n, "Acme Ltd", *[""] * (len(ENT_COLS) - 2)] for n in ("1", "4")])
    links = [["1", "1", "officer_of", "", "", ""], ["1", "1", "officer_of", "shareholder of", "", ""], ["4", "4", "officer_of", "", "", ""]]
    _write(raw / "relationships.csv", ["node_id_start", "node_id_end", "rel_type", "link", "start_date", "end_date"], links)
    col, _ = both([raw], tmp_path, monkeypatch)
    assert col.examples["relation from an entity to itself"] == [
        "icij:1:officer_of:1",
        "icij:1:officer_of:1:shareholder",
        "icij:4:officer_of:4",
    ]


@given(
    cells=st.lists(
        st.text(alphabet=["a", ",", '"', "\n", "\r", "=", "+", "-", "@", " ", "\u00e9", "'", ";", "\t"], max_size=4), max_size=40
    ),
    cut=st.integers(0, 5),
    text=st.booleans(),
)
@settings(max_examples=200, deadline=None)
def test_cells_are_what_the_csv_module_writes(cells: list[str], cut: int, text: bool) -> None:
    # Each cell as the CSV module writes it (after the formula guard of text fields), from a
    # column sliced at `cut` (its bytes read in place start at an offset): the byte scans that
    # find the cells to quote and to guard answer as csv.writer does.
    import io

    import pyarrow as pa

    from tracker.importers.cleaning import guard_formula

    col = pa.array(["x"] * cut + cells, pa.string()).slice(cut)
    expected = []
    for cell in cells:
        out = io.StringIO()
        csv.writer(out, lineterminator="\n").writerow([guard_formula(cell) if text else cell, "z"])
        expected.append(out.getvalue()[: -len(",z\n")])
    assert icij_columnar._cells(col, text, False).to_pylist() == expected


_NUMBER_CELLS = [
    "",
    "0",
    "00",
    "01",
    "7",
    "10",
    "9" * 18,
    "1" + "0" * 18,
    "1a",
    " 1",
    "1 ",
    "12\n",
    "\u0661",
    "-1",
    "+1",
    "1.0",
    "1:",
    "/1",
]


@given(cells=st.lists(st.sampled_from(_NUMBER_CELLS), max_size=20), cut=st.integers(0, 3))
@settings(max_examples=100, deadline=None)
def test_numbers_are_the_digits_written_as_numbers(cells: list[str], cut: int) -> None:
    # A cell's number is the int of its digits when they are ASCII digits written as a number
    # is (no leading zero, 18 digits at most), else -1; `_digits` is RE2's ^[0-9]+$.
    import re

    import pyarrow as pa

    col = pa.array(["5"] * cut + cells, pa.string()).slice(cut)
    digits = [re.fullmatch(r"[0-9]+", c) is not None for c in cells]
    numbers = [int(c) if d and len(c) <= 18 and (c == "0" or not c.startswith("0")) else -1 for c, d in zip(cells, digits)]
    assert icij_columnar._digits(col).tolist() == digits
    assert icij_columnar._numbers(col).tolist() == numbers


@given(
    runs=st.lists(st.tuples(st.integers(0, 10**12), st.integers(1, 300)), min_size=1, max_size=4),
    scattered=st.lists(st.integers(0, 10**18), max_size=30),
    extra=st.lists(st.integers(-3, 10**18), max_size=30),
    rows=st.integers(1, 50),
)
@settings(max_examples=100, deadline=None)
def test_find_numbers_is_a_lookup_of_the_keys(runs: list[tuple[int, int]], scattered: list[int], extra: list[int], rows: int) -> None:
    # Keys in runs (the tables of blocks) and, when scattered keys are many, spread up to 10**18
    # (the hash lookup); the queries are every key, numbers near them and others, looked up
    # `rows` at a time: each finds the row of its key or -1, as a dict says.
    import numpy as np

    keys = list(dict.fromkeys([k for a, n in runs for k in range(a, a + n)] + scattered))
    where = {k: i for i, k in enumerate(keys)}
    queries = [*keys, *(k + 1 for k in keys), *(k - 1 for k in keys), *extra, -1, 1 << 62]
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(icij_columnar, "_FIND_ROWS", rows)
        found = icij_columnar._find_numbers(np.array(queries, dtype=np.int64), np.array(keys, dtype=np.int64))
    assert found.tolist() == [where.get(q, -1) for q in queries]


def test_find_numbers_takes_both_ways() -> None:
    # Keys in a run are found through the block tables, keys spread far apart by the hash
    # lookup (which pyarrow's index_in is then called for): both are used on these data.
    import numpy as np
    import pyarrow.compute as pc

    calls = []
    real = pc.index_in

    def counted(*args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        return real(*args, **kwargs)

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(pc, "index_in", counted)
        dense = icij_columnar._find_numbers(np.array([5, 3, 9], np.int64), np.arange(10_000_000, dtype=np.int64))
        assert calls == [] and dense.tolist() == [5, 3, 9]
        spread = np.arange(0, 10**17, 10**11, dtype=np.int64)
        assert icij_columnar._find_numbers(np.array([10**11, 7], np.int64), spread).tolist() == [1, -1]
        assert calls == [1]


def test_ends_written_with_a_leading_zero_are_not_the_nodes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # icij:01 is not icij:1, though 01 and 1 are one number: links to 01 and 002 dangle, as in
    # the record path (the ends are found among the nodes by their numbers); examples in the
    # order of the relations' ids (icij:01:... before icij:2:...).
    root = tmp_path / "raw"
    root.mkdir()
    cols = ["node_id", "name", "jurisdiction", "jurisdiction_description", "country_codes", "incorporation_date", "sourceID", "note"]
    _write(root / "nodes-entities.csv", cols, [["1", "One Ltd", "", "", "", "", "", ""], ["2", "Two Ltd", "", "", "", "", "", ""]])
    links = [["1", "2", "officer_of", "director of", "", ""], ["01", "2", "officer_of", "director of", "", ""]]
    links += [["2", "002", "officer_of", "director of", "", ""]]
    _write(root / "relationships.csv", ["node_id_start", "node_id_end", "rel_type", "link", "start_date", "end_date"], links)
    col, _ = both([root], tmp_path, monkeypatch)
    assert col.skipped["relation to an entity not in the import (dangling reference)"] == 2
    assert col.examples["relation to an entity not in the import (dangling reference)"] == ["icij:01", "icij:002"]


# Bytes around UTF-8's edges: ASCII, continuation bytes, the leading bytes of 2-, 3- and 4-byte
# characters (E0/ED/F0/F4: overlong forms, surrogates and code points past U+10FFFF), and bytes
# that never occur in UTF-8.
_UTF8_BYTES = [0x61, 0x2C, 0x0A, 0x80, 0x8F, 0x90, 0x9F, 0xA0, 0xBF, 0xC0, 0xC2, 0xDF, 0xE0, 0xE1, 0xED, 0xEF, 0xF0, 0xF4, 0xF5, 0xFF]


@given(
    body=st.one_of(
        st.lists(st.sampled_from(_UTF8_BYTES), max_size=24).map(bytes),
        st.text(max_size=12).map(lambda t: t.replace('"', "").replace("\r", "").replace("\x00", "").encode("utf-8")),
        st.tuples(st.text(max_size=6), st.integers(1, 3)).map(
            lambda x: x[0].replace('"', "").replace("\r", "").replace("\x00", "").encode("utf-8") + "€".encode()[: x[1]]
        ),
    ),
    chunk=st.sampled_from([1, 2, 3, 4, 5, 7, 1 << 20]),
)
@settings(max_examples=400, deadline=None)
def test_scan_checks_utf8_as_python_decodes(body: bytes, chunk: int, tmp_path_factory: pytest.TempPathFactory) -> None:
    # compile._scan checks the encoding with pyarrow, a chunk at a time, carrying a character cut
    # by a chunk's end into the next: it refuses exactly what Python's strict decoder refuses
    # (a cut character, a truncated one at the end, overlong forms, surrogates), with the
    # UnicodeDecodeError that decoding the same chunks in turn raises (as _scan did before).
    import codecs

    import tracker.compile as compile_mod

    path = tmp_path_factory.mktemp("scan") / "f.csv"
    data = b"a\n" + body
    path.write_bytes(data)
    valid = True
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        valid = False
    decoder = codecs.getincrementaldecoder("utf-8")("strict")
    expected = ""
    try:
        for lo in range(0, len(data), chunk):  # the chunks read, then the empty read at the end
            decoder.decode(data[lo : lo + chunk])
        decoder.decode(b"", final=True)
    except UnicodeDecodeError as exc:
        expected = str(exc)
    assert valid == (expected == "")
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(compile_mod, "CHUNK", chunk)
        if valid:
            compile_mod._scan(path)
        else:
            with pytest.raises(UnicodeDecodeError) as raised:
                compile_mod._scan(path)
            assert str(raised.value) == expected


@given(
    links=st.lists(
        st.tuples(
            st.sampled_from(["1", "2", "10", "01", "001", "0", "999999999999999999", "1000000000000000000", "12"]),
            st.sampled_from(["officer_of", "officer-of", "a:b", "shareholder_of"]),
            st.sampled_from(["1", "2", "21", "07", "007", "0", "4611686018427387904"]),
        ),
        max_size=30,
    ),
    odd=st.booleans(),
)
@settings(max_examples=300, deadline=None)
def test_link_first_index_is_the_first_index_of_the_ids(links: list[tuple[str, str, str]], odd: bool) -> None:
    # Links' ids grouped on the ends' node numbers and the slug's number give what hashing the
    # ids' text gives: the distinct ids in order of first appearance, the rows of those, each
    # row's id number. Ends with a leading zero (no number), numbers too wide to pack and ids
    # flagged odd take the text's grouping.
    import numpy as np
    import pyarrow as pa

    from tracker.importers.icij_columnar import _first_index, _link_first_index, _numbers

    base = pa.array([f"icij:{s}:{k}:{e}" for s, k, e in links], pa.string())
    start = _numbers(pa.array([s for s, _, _ in links], pa.string()))
    end = _numbers(pa.array([e for _, _, e in links], pa.string()))
    slug = np.unique(np.array([k for _, k, _ in links], dtype=str), return_inverse=True)[1] if links else np.zeros(0, np.int64)
    got = _link_first_index(base, start, end, slug, odd)
    want = _first_index(base)
    assert got[0].to_pylist() == want[0].to_pylist()
    assert np.asarray(got[1]).tolist() == np.asarray(want[1]).tolist()
    assert np.asarray(got[2]).tolist() == np.asarray(want[2]).tolist()


def test_link_first_index_by_hand() -> None:
    # Three distinct ids over five links: the repeats of 1:a:2 and 3:a:2 take their numbers.
    import numpy as np
    import pyarrow as pa

    from tracker.importers.icij_columnar import _link_first_index

    ids = ["icij:1:a:2", "icij:3:a:2", "icij:1:b:2", "icij:1:a:2", "icij:3:a:2"]
    uniq, first, codes = _link_first_index(
        pa.array(ids), np.array([1, 3, 1, 1, 3]), np.array([2, 2, 2, 2, 2]), np.array([0, 0, 1, 0, 0]), False
    )
    assert uniq.to_pylist() == ["icij:1:a:2", "icij:3:a:2", "icij:1:b:2"]
    assert np.asarray(first).tolist() == [0, 1, 2]
    assert np.asarray(codes).tolist() == [0, 1, 2, 0, 1]
    # Numbers too wide to pack (2 and 0 shifted 63 bits are both 0): the text decides.
    wide = _link_first_index(
        pa.array(["icij:0:a:1", "icij:2:a:1", "icij:5:a:4611686018427387904"]),
        np.array([0, 2, 5]),
        np.array([1, 1, 1 << 62]),
        np.array([0, 0, 0]),
        False,
    )
    assert np.asarray(wide[2]).tolist() == [0, 1, 2]
    # Keys that differ in their top bits only (the start shifted to bit 62) stay apart once mixed.
    top = _link_first_index(
        pa.array(["icij:1099511627776:a:2097152", "icij:0:a:2097152"]),
        np.array([1 << 40, 0]),
        np.array([1 << 21, 1 << 21]),
        np.array([0, 0]),
        False,
    )
    assert np.asarray(top[2]).tolist() == [0, 1]
    # Ends written with leading zeros have no number (-1): the text tells 01 from 001.
    for zeros in ((np.array([-1, -1]), np.array([2, 2])), (np.array([2, 2]), np.array([-1, -1]))):
        ids = ["icij:01:a:2", "icij:001:a:2"] if zeros[0][0] < 0 else ["icij:2:a:01", "icij:2:a:001"]
        assert np.asarray(_link_first_index(pa.array(ids), *zeros, np.array([0, 0]), False)[2]).tolist() == [0, 1]
    # Ids made by make_id (odd): equal numbers and slugs, yet other ids (two link types whose
    # slugs make_id spells out): the text decides.
    made = _link_first_index(pa.array(["icij:x-1", "icij:x-2"]), np.array([1, 1]), np.array([2, 2]), np.array([0, 0]), True)
    assert np.asarray(made[2]).tolist() == [0, 1]


@pytest.mark.parametrize(
    ("extra", "refused"),
    [
        (["10"], True),  # node 10 twice: found by number
        (["010", "0010"], False),  # no number (leading zeros): other ids than 10, told apart as text
        (["010", "10"], True),  # found as text (an id without a number among them)
    ],
)
def test_node_ids_given_twice_by_number_or_text(extra: list[str], refused: bool, tmp_path: Path) -> None:
    raw = hostile(tmp_path / "raw")
    with open(raw / "nodes-officers.csv", "a", encoding="utf-8") as fh:
        for node in extra:
            fh.write(f"{node},John Smith Jr,,USA,Panama Papers,,\n")
    assert ("a node_id given twice" in refusal([raw])) == refused


_CSV_CELLS = ["", "a", "b,c", 'say "x"', "two\nlines", "é", "ab"]


@st.composite
def _tables(draw: Any) -> tuple[list[tuple[str, Any]], int, list[int]]:
    """Columns of a table to write: text, dictionary (values, row indices) or constant."""
    n = draw(st.integers(0, 6))
    specs = []
    # (Two columns at least: csv.writer writes a row of one empty cell as '""'; no table has one column.)
    for _ in range(draw(st.integers(2, 7))):
        what = draw(st.sampled_from(["text", "dict", "const"]))
        if what == "text":
            specs.append(("text", draw(st.lists(st.sampled_from(_CSV_CELLS), min_size=n, max_size=n))))
        elif what == "dict":
            values = draw(st.lists(st.sampled_from(_CSV_CELLS), min_size=1, max_size=4, unique=True))
            specs.append(("dict", (values, draw(st.lists(st.integers(0, len(values) - 1), min_size=n, max_size=n)))))
        else:
            specs.append(("const", draw(st.sampled_from(_CSV_CELLS))))
    return specs, n, draw(st.permutations(list(range(n))))


@given(table=_tables(), batch=st.integers(1, 3), merged=st.sampled_from([0, 1, 2, 1 << 18]), pre=st.sets(st.integers(0, 6)))
@settings(max_examples=300, deadline=None)
def test_write_csv_is_what_the_csv_module_writes(
    table: tuple[list[tuple[str, Any]], int, list[int]], batch: int, merged: int, pre: set[int]
) -> None:
    # Tables of text, dictionary and constant columns in any order, written in a given row order
    # a batch of one to three rows at a time, with neighbouring dictionaries and constants made
    # one cell (or not, when their combinations pass `merged`), some columns given already in
    # that order (`in_order`): the bytes csv.writer writes.
    import io
    import tempfile

    import numpy as np
    import pyarrow as pa

    specs, n, order = table
    names = [f"c{i}" for i in range(len(specs))]
    columns: dict[str, Any] = {}
    rows: list[list[str]] = [[] for _ in range(n)]
    for name, (what, spec) in zip(names, specs):
        if what == "text":
            columns[name] = pa.array(spec, pa.string())
            cells = spec
        elif what == "dict":
            values, idx = spec
            columns[name] = pa.DictionaryArray.from_arrays(pa.array(idx, pa.int32()), pa.array(values, pa.string()))
            cells = [values[i] for i in idx]
        else:
            columns[name] = spec
            cells = [spec] * n
        for row, cell in zip(rows, cells):
            row.append(cell)
    expected = io.StringIO()
    writer = csv.writer(expected, lineterminator="\n")
    writer.writerow(names)
    writer.writerows(rows[i] for i in order)
    with tempfile.TemporaryDirectory() as tmp, pytest.MonkeyPatch.context() as mp:
        mp.setattr(icij_columnar, "_WRITE_ROWS", batch)
        mp.setattr(icij_columnar, "_MERGED_VALUES", merged)
        path = Path(tmp) / "t.csv"
        given_in_order = {names[i] for i in pre if i < len(names) and not isinstance(columns[names[i]], str)}
        for name in given_in_order:
            columns[name] = columns[name].take(pa.array(order, pa.int64()))
        table_ = icij_columnar._Table(columns, np.array(order, dtype=np.int64), frozenset(given_in_order))
        icij_columnar._write_csv(path, names, table_)
        assert path.read_bytes() == expected.getvalue().encode("utf-8")


@given(cells=st.lists(st.text(alphabet=["a", "1", ":", "é", "Ж", "€", "\U0001f600"], max_size=12), max_size=8), cut=st.integers(0, 6))
@settings(max_examples=200, deadline=None)
def test_cut_is_the_cells_without_their_first_characters(cells: list[str], cut: int) -> None:
    # A source's web address is its id without its first characters: sliced as bytes where the
    # cells are ASCII, as characters where not; either way Python's slice of each cell.
    import pyarrow as pa

    from tracker.importers.icij_columnar import _cut

    col = pa.array(["x" * 3, *cells], pa.string()).slice(1)  # (a sliced column: its bytes start at an offset)
    assert _cut(col, cut).to_pylist() == [c[cut:] for c in cells]
    assert _cut(pa.array(["icij:12345678901234", "icij:1"]), 5).to_pylist() == ["12345678901234", "1"]


@given(cells=st.lists(st.text(alphabet=["a", " ", "\t", "\n", "\u00a0", "\u2003", "\x1c", "\x85", "é", "Ж"], max_size=8), max_size=8))
@settings(max_examples=300, deadline=None)
def test_collapse_spaces_is_pythons_split_and_join(cells: list[str]) -> None:
    # Cleaned cells (as the addresses are when collapsed) with every kind of Python white space,
    # single and in runs: each becomes " ".join(cell.split()), whether the column is all simple
    # cells without two spaces in a row (returned as it is) or not.
    import pyarrow as pa

    from tracker.importers.cleaning import clean_text
    from tracker.importers.icij_columnar import _collapse_spaces

    cleaned = [clean_text(c) for c in cells]
    assert _collapse_spaces(pa.array(cleaned, pa.string())).to_pylist() == [" ".join(c.split()) for c in cleaned]
    assert _collapse_spaces(pa.array(["a  b", "c"], pa.string())).to_pylist() == ["a b", "c"]


@pytest.mark.parametrize("name", ["relations.csv", "entities.csv", "sources.csv", "datapackage.yaml"])
def test_a_table_that_cannot_be_written_fails_the_import_before_any_is_replaced(name: str, tmp_path: Path) -> None:
    """The relations are written by a second thread beside the entities and sources: a table
    that cannot be written (here a folder in its place) is an error before any file is written."""
    from tracker.exc import OutputError

    out = tmp_path / "out"
    (out / name).mkdir(parents=True)
    assert refusal([ICIJ]) == ""
    with pytest.raises(OutputError) as failed:
        run_import("icij", [ICIJ], out, Meta(name="x"))
    assert str(failed.value) == f"{out / name}: is a folder, expected a file path"
    assert sorted(p.name for p in out.iterdir()) == [name]


def test_an_error_in_the_relations_thread_is_the_imports(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from tracker.exc import OutputError

    write = icij_columnar._write_csv

    def fail_relations(path: Path, *args: Any, **kwargs: Any) -> None:
        if path.name.startswith(".relations.csv."):  # (its temporary name)
            raise OSError(errno.ENOSPC, "No space left on device")
        write(path, *args, **kwargs)

    monkeypatch.setattr(icij_columnar, "_write_csv", fail_relations)
    out = tmp_path / "out"
    with pytest.raises(OutputError) as failed:
        run_import("icij", [ICIJ], out, Meta(name="x"))
    assert str(failed.value) == f"{out / 'relations.csv'}: cannot write: No space left on device"


@pytest.mark.parametrize("name", ["relations.csv", "entities.csv", "sources.csv", "datapackage.yaml"])
def test_a_write_that_fails_leaves_the_folder_as_it_was(name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A full disk while one file is written: the others, written or not, replace nothing (the
    four are renamed into place together), and no temporary file is left behind."""
    import tracker.dataset
    from tracker.exc import OutputError

    out = tmp_path / "out"
    out.mkdir()
    old = {f: f"old {f}\n" for f in FILES}
    for f, text in old.items():
        (out / f).write_text(text, encoding="utf-8")
    write = icij_columnar._write_csv

    def full(path: Path, *args: Any, **kwargs: Any) -> None:
        write(path, *args, **kwargs)  # (written whole, then the disk is full)
        if path.name.startswith(f".{name}."):
            raise OSError(errno.ENOSPC, "No space left on device")

    def no_room(*_: Any) -> str:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(icij_columnar, "_write_csv", full)
    if name == "datapackage.yaml":  # (the last file written)
        monkeypatch.setattr(tracker.dataset, "descriptor_text", no_room)
    with pytest.raises(OutputError) as failed:
        run_import("icij", [ICIJ], out, Meta(name="x"))
    assert str(failed.value) == f"{out / name}: cannot write: No space left on device"
    assert {p.name: p.read_text(encoding="utf-8") for p in out.iterdir()} == old
