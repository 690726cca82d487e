"""The synthetic ICIJ-layout generator: right files and columns, seeded, heavy-tailed."""

from __future__ import annotations

import csv
from collections import Counter
from pathlib import Path

import pytest

from tracker.synthetic import ICIJ_COLUMNS, _id_bases, generate_icij, parse_size


def test_generates_every_file_with_icij_columns(tmp_path: Path) -> None:
    counts = generate_icij(tmp_path, 3000, seed=5)
    assert counts.nodes == 3000 and counts.relationships == int(3000 * 1.65)
    for fname, columns in ICIJ_COLUMNS.items():
        with (tmp_path / fname).open(encoding="utf-8", newline="") as fh:
            rows = list(csv.reader(fh))
        assert rows[0] == columns
        assert len(rows) - 1 == counts.per_file[fname]


def test_same_seed_same_bytes(tmp_path: Path) -> None:
    generate_icij(tmp_path / "a", 2000, seed=9)
    generate_icij(tmp_path / "b", 2000, seed=9)
    generate_icij(tmp_path / "c", 2000, seed=10)
    for fname in ICIJ_COLUMNS:
        assert (tmp_path / "a" / fname).read_bytes() == (tmp_path / "b" / fname).read_bytes()
    assert (tmp_path / "a" / "relationships.csv").read_bytes() != (tmp_path / "c" / "relationships.csv").read_bytes()


def test_node_numbers_never_meet_across_files() -> None:
    # Up to 2M nodes the numbering is ICIJ's (entities from 10,000,000, intermediaries from
    # 11,000,000...): the benchmark sets generated before stay the same bytes.
    small = {"entities": 800_000, "officers": 760_000, "addresses": 400_000, "intermediaries": 28_000, "others": 12_000}
    assert _id_bases(small) == {
        "entities": 10_000_000,
        "intermediaries": 11_000_000,
        "officers": 12_000_000,
        "addresses": 14_000_000,
        "others": 80_000_000,
    }
    # At 10M there are 4,000,000 entities: numbered from 10,000,000 they would run into the
    # intermediaries' 11,000,000 (the 10M set gave 3,940,000 numbers to two files).
    big = {"entities": 4_000_000, "officers": 3_800_000, "addresses": 2_000_000, "intermediaries": 140_000, "others": 60_000}
    assert _id_bases(big) == {
        "entities": 100_000_000,
        "intermediaries": 110_000_000,
        "officers": 120_000_000,
        "addresses": 140_000_000,
        "others": 800_000_000,
    }


def test_heavy_tail_and_references(tmp_path: Path) -> None:
    generate_icij(tmp_path, 20_000, seed=1)
    ids: set[str] = set()
    for fname in ICIJ_COLUMNS:
        if fname.startswith("nodes-"):
            with (tmp_path / fname).open(encoding="utf-8", newline="") as fh:
                ids.update(r["node_id"] for r in csv.DictReader(fh))
    with (tmp_path / "relationships.csv").open(encoding="utf-8", newline="") as fh:
        rels = list(csv.DictReader(fh))
    assert all(r["node_id_start"] in ids and r["node_id_end"] in ids for r in rels)
    top = Counter(r["node_id_start"] for r in rels if r["rel_type"] == "intermediary_of").most_common(1)[0][1]
    assert top > 1000  # a few intermediaries carry thousands of links
    text = (tmp_path / "nodes-addresses.csv").read_text(encoding="utf-8")
    assert '"' in text and any("\n" in r["address"] for r in csv.DictReader(text.splitlines(keepends=True)))


@pytest.mark.parametrize("text,value", [("10k", 10_000), ("2M", 2_000_000), ("250k", 250_000), ("5000", 5000)])
def test_parse_size(text: str, value: int) -> None:
    assert parse_size(text) == value


def test_psc_snapshot_mix_is_seeded_and_heavy_tailed(tmp_path: Path) -> None:
    import json

    from tracker.synthetic import PSC_SNAPSHOT, generate_psc

    counts = generate_psc(tmp_path / "a", 5000, seed=3)
    generate_psc(tmp_path / "b", 5000, seed=3)
    generate_psc(tmp_path / "c", 5000, seed=4)
    a = (tmp_path / "a" / PSC_SNAPSHOT).read_bytes()
    assert a == (tmp_path / "b" / PSC_SNAPSHOT).read_bytes()
    assert a != (tmp_path / "c" / PSC_SNAPSHOT).read_bytes()
    lines = [json.loads(line) for line in a.decode("utf-8").splitlines()]
    assert len(lines) == 5001 and counts.nodes == 5000
    totals = lines[-1]["data"]
    assert totals["kind"] == "totals#persons-of-significant-control-snapshot"
    records = lines[:-1]
    kinds = Counter(r["data"]["kind"] for r in records)
    assert totals["statements_count"] == kinds["persons-with-significant-control-statement"] > 0
    assert totals["persons_of_significant_control_count"] + totals["statements_count"] + totals["exemptions_count"] == 5000
    assert 0.75 < kinds["individual-person-with-significant-control"] / 5000 < 0.9
    for kind in ("corporate-entity-person-with-significant-control", "legal-person-person-with-significant-control"):
        assert kinds[kind] > 0
    assert {r["company_number"][:2] for r in records if r["data"]["kind"].endswith("beneficial-owner")} == {"OE"}
    # Heavy tail: most companies have one or two records, a few many more.
    sizes = Counter(r["company_number"] for r in records)
    assert max(sizes.values()) >= 25 and Counter(sizes.values())[1] > len(sizes) / 2
    # Ceased records, and corporate PSCs registered under a number that is a company of the set.
    assert sum(1 for r in records if "ceased_on" in r["data"]) > 500
    numbers = set(sizes)
    parents = [
        r["data"]["identification"].get("registration_number") for r in records if r["data"]["kind"].startswith("corporate-entity-p")
    ]
    assert sum(1 for p in parents if p in numbers) > 10


def test_psc_snapshot_hostile_cells(tmp_path: Path) -> None:
    from tracker.synthetic import PSC_SNAPSHOT, generate_psc

    generate_psc(tmp_path, 3000, seed=5, hostile=0.05)
    text = (tmp_path / PSC_SNAPSHOT).read_text(encoding="utf-8")
    for needle in ('"=HYPERLINK', "<script>", "Тимур", "x" * 12_000, "\\u0000", "\\n"):
        assert needle in text, needle
