"""The synthetic ICIJ-layout generator: right files and columns, seeded, heavy-tailed."""

from __future__ import annotations

import csv
from collections import Counter
from pathlib import Path

import pytest

from tracker.synthetic import ICIJ_COLUMNS, generate_icij, parse_size


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
