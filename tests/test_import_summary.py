"""Every import's summary accounts for every record read: mapped, merged, used or skipped with a reason."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import FIXTURES_PATH
from tracker.importers import Meta, Summary, run_import

IMPORTS = FIXTURES_PATH / "import"

# (format, files, outcomes), each worked out from the fixture by hand.
CASES: dict[str, tuple[str, list[Path], dict[str, int]]] = {
    # 13 lines: five persons and companies, the address (its source is --url), four edges and a
    # sanction map; the Membership (no such relation) and the sanction without an authority are
    # skipped. A mapped relation whose end is missing is dropped at writing, counted apart.
    "ftm-clean": ("ftm", [IMPORTS / "ftm" / "entities.ftm.json"], {"mapped": 11, "skipped": 2}),
    # ent-kappa, Per-Gamma, the later rel-1 and rel-unspecified (a declared-unknown owner) map;
    # the earlier rel-1 statement is replaced by the later one.
    "bods-array": ("bods", [IMPORTS / "bods" / "bods-array.json"], {"mapped": 4, "skipped": 1}),
    "bods-lines": ("bods", [IMPORTS / "bods" / "bods-lines.jsonl"], {"mapped": 2, "skipped": 1}),
    # Six snapshot lines map, the totals line is read for its counts; the company-data file's
    # records name companies (used), one of them twice (merged into the first).
    "psc": ("psc", sorted((IMPORTS / "psc").iterdir()), {"mapped": 6, "merged": 1, "used": 1}),
    # 16 records over six files; the same_name_as link is an identity link, not a relation.
    "icij": ("icij", [IMPORTS / "icij"], {"mapped": 15, "skipped": 1}),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_summary_accounts_for_every_record(case: str, tmp_path: Path) -> None:
    fmt, files, outcomes = CASES[case]
    summary = run_import(fmt, files, tmp_path / "out", Meta(url="https://example.org/data"))
    assert dict(summary.outcomes) == outcomes
    assert summary.read == sum(outcomes.values())
    assert summary.adds_up()
    assert summary.lines()[0].startswith(f"{fmt}: read {summary.read} records from {len(files)} file(s): ")


def test_unsettled_records_are_shown_not_hidden() -> None:
    summary = Summary(format="x", files=["f"], read=3)
    summary.outcomes.update({"mapped": 2, "unaccounted": 1})
    assert not summary.adds_up()
    assert summary.lines()[0] == "x: read 3 records from 1 file(s): 2 mapped, 0 skipped, 1 unaccounted"


def _samples(shared: Path) -> list[tuple[str, list[Path]]]:
    root = shared / "samples"
    cases = [("ftm", [p]) for p in sorted((root / "ftm_opensanctions_yente").glob("*.json"))]
    cases += [("bods", [p]) for p in sorted((root / "bods_data_standard_examples" / "examples").glob("*.json"))]
    cases += [("psc", sorted((root / "ch_psc_bods_uk_psc_pipeline").glob("psc-data-*.json")))]
    cases += [("icij", [root / "icij_oldb_intermediaries"])]
    return cases


def test_every_shared_sample_adds_up(shared_path: Path, tmp_path: Path) -> None:
    cases = _samples(shared_path)
    if not cases:
        pytest.skip("no samples")
    for i, (fmt, files) in enumerate(cases):
        summary = run_import(fmt, files, tmp_path / str(i), Meta(url="https://example.org/data"))
        assert summary.adds_up(), (fmt, files[0].name, dict(summary.outcomes), summary.read)
