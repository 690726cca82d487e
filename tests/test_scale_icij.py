"""The data path at scale: streaming ICIJ import, fast validation, compact canonical graph.

The timed targets live in benchmarks/; these tests pin what the speed-ups must not change:
the importer writes the same bytes as the row-by-row version it replaced (golden files made
with that version), the column-wise validator reports exactly the errors of the cell-by-cell
rule, and a compact graph (empty optional attributes absent) reads the same to every consumer.
"""

from __future__ import annotations

import csv
import hashlib
import shutil
from pathlib import Path

import pytest

from tests.conftest import FIXTURES_PATH, MINI_PATH
from tracker.dataset import load, read_raw
from tracker.graph import build
from tracker.importers import Meta, run_import
from tracker.synthetic import generate_icij
from tracker.validate import _Checker, validate_paths, validate_raw

ICIJ = FIXTURES_PATH / "import" / "icij"
GOLDEN = FIXTURES_PATH / "scale" / "golden"
DANGLING = "relation to an entity not in the import (dangling reference)"


# -- the streaming importer writes what the row-by-row one wrote ---------------------------


@pytest.mark.parametrize(
    ("name", "files"),
    [
        ("icij", [ICIJ]),
        ("icij-partial", [ICIJ / "relationships.csv", ICIJ / "nodes-officers.csv", ICIJ / "nodes-entities.csv"]),
    ],
)
def test_icij_import_bytes_equal_golden(name: str, files: list[Path], tmp_path: Path) -> None:
    out = tmp_path / name
    summary = run_import("icij", files, out, Meta(name=name))
    for fname in ("entities.csv", "relations.csv", "sources.csv", "datapackage.yaml"):
        assert (out / fname).read_bytes() == (GOLDEN / name / fname).read_bytes(), fname
    assert "\n".join(summary.lines()) + "\n" == (GOLDEN / name / "summary.txt").read_text(encoding="utf-8")


# sha256 of the files the row-by-row importer (commit 2104b47) wrote from generate_icij(2000, seed=42),
# made again when ICIJ addresses became address entities (issue 15): 400 addresses, each located_in
# its country, and registered_address links to the address instead of its country.
SYNTHETIC_2K = {
    "entities.csv": "bed5263c6a604f3704e544ae09a39462cb530ec022ad26dfcc2313998d192a53",
    "relations.csv": "8631c9d7f5eb3dbbb50d269289810f25aa39c6ef2b15de8d0ab48da2bcd551eb",
    "sources.csv": "2d9ac53d61062a346a12d4d725f74bc8e1ad62232e25fe47ccaf34eda0b7f898",
}


def test_synthetic_import_bytes_equal_golden(tmp_path: Path) -> None:
    generate_icij(tmp_path / "raw", 2000, seed=42)
    summary = run_import("icij", [tmp_path / "raw"], tmp_path / "out")
    got = {f: hashlib.sha256((tmp_path / "out" / f).read_bytes()).hexdigest() for f in SYNTHETIC_2K}
    assert got == SYNTHETIC_2K
    assert summary.written == {"entities": 2015, "relations": 5892, "sources": 2000}
    assert (summary.read, dict(summary.outcomes)) == (5300, {"mapped": 5037, "merged": 98, "skipped": 165})
    assert summary.skipped["identity or unspecific link (similar), not a relation"] == 56


def test_import_is_byte_stable(tmp_path: Path) -> None:
    run_import("icij", [ICIJ], tmp_path / "a", Meta(name="x"))
    run_import("icij", [ICIJ], tmp_path / "b", Meta(name="x"))
    for fname in ("entities.csv", "relations.csv", "sources.csv", "datapackage.yaml"):
        assert (tmp_path / "a" / fname).read_bytes() == (tmp_path / "b" / fname).read_bytes()
    assert not list((tmp_path / "a").glob(".*.tmp"))  # no temporary file left behind


# -- a scale smoke test: generate, import, load, build ----------------------------------------


@pytest.fixture(scope="module")
def synthetic_20k(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("scale")
    generate_icij(root / "raw", 20_000, seed=42)
    return root


def test_scale_smoke_20k(synthetic_20k: Path) -> None:
    raw = synthetic_20k / "raw"
    # Leave the intermediaries out: their links must be reported as dangling, not written.
    files = sorted(p for p in raw.glob("*.csv") if p.name != "nodes-intermediaries.csv")
    with open(raw / "relationships.csv", encoding="utf-8", newline="") as fh:
        links = list(csv.DictReader(fh))
    # A repeated link (same ends, same type) is one relation, so count distinct pairs.
    to_intermediaries = len({(r["node_id_start"], r["node_id_end"]) for r in links if r["rel_type"] == "intermediary_of"})
    with open(raw / "nodes-intermediaries.csv", encoding="utf-8", newline="") as fh:
        intermediary_ids = {f"icij:{r['node_id']}" for r in csv.DictReader(fh)}
    out = synthetic_20k / "out"
    summary = run_import("icij", files, out)
    assert to_intermediaries > 1000
    assert summary.skipped[DANGLING] == to_intermediaries
    assert all(e in intermediary_ids for e in summary.examples[DANGLING])
    assert summary.read == 20_000 - 280 + len(links)  # every node row but the intermediaries', every link
    report = validate_paths([out])
    assert report.ok, report.errors[:3]
    assert report.counts == {
        "entities": summary.written["entities"],
        "relations": summary.written["relations"],
        "sources": summary.written["sources"],
    }
    ds = load([out])
    G = build(ds)
    assert G.number_of_nodes() == len(ds.entities) == summary.written["entities"]
    assert G.number_of_edges() == len(ds.relations) == summary.written["relations"]
    assert not any(e in G for e in intermediary_ids)
    assert {d["kind"] for _, _, d in G.edges(data=True)} >= {"owns", "officer_of", "located_in", "registered_in"}


# -- the column-wise validator agrees with the cell-by-cell rule -------------------------------


def _slow_column(self: _Checker, rows: list, spec: object) -> None:
    for row in rows:
        self.cell(row, spec)  # type: ignore[arg-type]


HOSTILE_CELLS = [
    "",
    "Alpha Ruler",
    "x\x01y",
    "a\u202eb",
    "\u200eq",
    "2019-02-30",
    "twenty",
    "nan",
    "inf",
    "-5",
    "120",
    "yes",
    "javascript:alert(1)",
    "xx",
    "gbp",
    "owns",
    "person",
    "r01",
    "alpha-ruler",
    "r99",
    "a;b;;Bad Id",
    "x" * 10_001,
    "1963-13",
    "indirect",
    "true",
    "jurisdiction",
    "vg",
    "\t",
    "line\nbreak",
]


@pytest.mark.parametrize("seed", range(6))
def test_column_checks_equal_cell_checks(seed: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import random

    rng = random.Random(seed)
    root = tmp_path / "data"
    shutil.copytree(MINI_PATH, root)
    for _ in range(12):
        path = root / rng.choice(["entities.csv", "relations.csv", "sources.csv"])
        with open(path, encoding="utf-8", newline="") as fh:
            rows = list(csv.reader(fh))
        r, c = rng.randrange(1, len(rows)), rng.randrange(len(rows[0]))
        if rng.random() < 0.2:
            rows.append(list(rows[r]))  # a duplicate row (or id)
            if rng.random() < 0.5:
                rows[-1][0] += "-copy"
        else:
            rows[r][c] = rng.choice(HOSTILE_CELLS)
        with open(path, "w", encoding="utf-8", newline="") as fh:
            csv.writer(fh, lineterminator="\n").writerows(rows)
    fast = validate_raw([read_raw(root), read_raw(FIXTURES_PATH / "hostile")])
    monkeypatch.setattr(_Checker, "column", _slow_column)
    slow = validate_raw([read_raw(root), read_raw(FIXTURES_PATH / "hostile")])
    assert fast.as_dict() == slow.as_dict()
    assert fast.errors  # the mutations did break something


def test_duplicate_rows_and_ids_across_folders(tmp_path: Path) -> None:
    a, b = tmp_path / "a", tmp_path / "b"
    shutil.copytree(MINI_PATH, a)
    shutil.copytree(MINI_PATH, b)
    report = validate_paths([a, b])
    dup = [e for e in report.errors if e.code == "duplicate-id" and e.file == f"{b}/sources.csv"]
    assert len(dup) == 5
    assert dup[0].line == 2 and dup[0].message.endswith(f"is already used at {a}/sources.csv:2")
    # Jurisdictions may be defined by both folders; nothing else may.
    assert not any(e.file.endswith("entities.csv") and "'vg'" in e.message for e in report.errors)


# -- the compact graph -----------------------------------------------------------------------


def test_compact_graph_drops_only_empty_optional_attributes() -> None:
    ds = load([MINI_PATH])
    full, compact = build(ds, compact=False), build(ds, compact=True)
    assert "compact" not in full.graph and compact.graph["compact"] is True
    assert list(full.nodes) == list(compact.nodes)
    assert [k for *_, k in full.edges(keys=True)] == [k for *_, k in compact.edges(keys=True)]
    for n, d in full.nodes(data=True):
        c = compact.nodes[n]
        assert {k: v for k, v in d.items() if v not in ("", None, [])} == {k: v for k, v in c.items() if v not in ("", None, [])}
        assert {"kind", "name", "sphere", "placeholder", "sources", "dataset"} <= set(c)
    for u, v, k, d in full.edges(keys=True, data=True):
        c = compact.edges[u, v, k]
        assert {a: x for a, x in d.items() if x not in ("", None, [])} == {a: x for a, x in c.items() if x not in ("", None, [])}
        assert {"kind", "label", "directed", "ownership", "sources", "evidence", "dataset"} <= set(c)
    assert sum(len(d) for *_, d in compact.edges(data=True)) < 0.7 * sum(len(d) for *_, d in full.edges(data=True))


def test_compact_graph_reads_the_same_to_consumers(tmp_path: Path) -> None:
    from tracker.chains import ownership_chains
    from tracker.export import export_bytes, export_graph
    from tracker.jurisdictions import jurisdiction_exposure
    from tracker.views import write_view

    ds = load([MINI_PATH])
    full, compact = build(ds, compact=False), build(ds, compact=True)
    for fmt in ("graphml", "gexf", "ftm"):
        assert export_bytes(compact, fmt) == export_bytes(full, fmt), fmt
    for G, name in ((full, "full"), (compact, "compact")):
        export_graph(G, "csv", tmp_path / name / "csv")
        export_graph(G, "neo4j", tmp_path / name / "neo4j")
    for sub in ("csv", "neo4j"):
        for path in sorted((tmp_path / "full" / sub).iterdir()):
            assert path.read_bytes() == (tmp_path / "compact" / sub / path.name).read_bytes(), path.name
    assert export_bytes(compact, "json")  # node-link JSON lists the attributes present
    owned = next(v for _, v, d in full.edges(data=True) if d["ownership"])
    assert repr(ownership_chains(compact, owned)) == repr(ownership_chains(full, owned))
    assert jurisdiction_exposure(compact).equals(jurisdiction_exposure(full))
    write_view(compact, tmp_path / "view.html")
    assert (tmp_path / "view.html").stat().st_size > 1000
