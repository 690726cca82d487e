"""Importers: bulk public data (FtM, ICIJ, BODS, UK PSC) into a dataset folder of this project's format.

Each format has one module (`ftm`, `icij`, `bods`, `psc`) that reads its files as a stream and
hands records to a `DatasetWriter` (`writer`), which checks them and writes the folder. The
other concerns have a module each: `cleaning` (ids, cells, dates, countries), `readers` (JSON
and CSV streams with line numbers) and `offshore` (the curated offshore list). This module is
the registry of formats and `run_import`; the public names of all of them import from here.

Provenance decisions (documented in the README):

- Every record carries its original id in `record_id` and cites a source row describing where it
  came from (the record's own page where the format gives one: an ICIJ node page, a Companies
  House PSC page; otherwise the dataset's).
- `retrieved` is `--retrieved DATE` if given, else the file's own date (PSC `ContentDate`, BODS
  `publicationDate`), else empty. Never the clock and never the file's modification time: both
  would make two imports of the same bytes differ.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tracker.exc import InvalidData
from tracker.importers.cleaning import clean_date, clean_text, country_code, country_name, first, make_id, slug
from tracker.importers.offshore import OFFSHORE, VEHICLE_KINDS
from tracker.importers.readers import iter_json_records, not_utf8, open_csv, utf8_error_line
from tracker.importers.writer import DatasetWriter, Summary

__all__ = [
    "FORMATS",
    "OFFSHORE",
    "VEHICLE_KINDS",
    "Meta",
    "Summary",
    "DatasetWriter",
    "run_import",
    "make_id",
    "slug",
    "clean_text",
    "clean_date",
    "country_code",
    "country_name",
    "first",
    "iter_json_records",
    "not_utf8",
    "open_csv",
    "utf8_error_line",
]

# Format name -> module under tracker.importers that defines `read(paths, writer, meta)`.
FORMATS: dict[str, str] = {
    "bods": "tracker.importers.bods",
    "ftm": "tracker.importers.ftm",
    "icij": "tracker.importers.icij",
    "psc": "tracker.importers.psc",
}


@dataclass
class Meta:
    """What the user tells the importer about the source dataset (each may be empty)."""

    url: str = ""
    title: str = ""
    publisher: str = ""
    licence: str = ""
    retrieved: str = ""
    evidence: str = ""
    name: str = ""


def run_import(
    fmt: str,
    paths: Sequence[Path],
    out: Path,
    meta: Meta | None = None,
    base: Sequence[Path] = (),
    progress: Callable[[int], None] | None = None,
    columnar: bool = True,
    notice: Callable[[str], None] | None = None,
) -> Summary:
    """Import `paths` in format `fmt` into the dataset folder `out`; returns the summary.

    `notice` hears, as it happens, that the column-wise path left the import to the record path
    (at millions of records that costs several times the time and memory: the user should know).

    Raises `InvalidData` (one line, naming file and line) when a file is not in the format.
    `columnar` False makes a format with a column-wise path (ICIJ, PSC) take its record path, which
    writes the same bytes (kept for the rare data the column-wise path leaves to it, and for tests).
    """
    import importlib

    from tracker.dataset import gc_paused

    if fmt not in FORMATS:
        raise InvalidData(f"unknown import format {fmt!r}; expected one of: {', '.join(sorted(FORMATS))}")
    meta = meta or Meta()
    if meta.retrieved and clean_date(meta.retrieved) != meta.retrieved:
        raise InvalidData(f"--retrieved: {meta.retrieved!r} is not a date in the form YYYY, YYYY-MM or YYYY-MM-DD")
    module = importlib.import_module(FORMATS[fmt])
    summary = Summary(format=fmt, files=sorted(Path(p).name for p in paths))
    with gc_paused():  # millions of acyclic records: see tracker.dataset.gc_paused
        return _run(module, fmt, paths, out, meta, base, progress, summary, columnar, notice)


def _run(
    module: Any,
    fmt: str,
    paths: Sequence[Path],
    out: Path,
    meta: Meta,
    base: Sequence[Path],
    progress: Callable[[int], None] | None,
    summary: Summary,
    columnar: bool = True,
    notice: Callable[[str], None] | None = None,
) -> Summary:
    from tracker.dataset import descriptor_dict

    writer = DatasetWriter(summary, base=base, progress=progress)
    writer.columnar = columnar
    writer.notice = notice
    info: dict[str, Any] = module.read([Path(p) for p in paths], writer, meta)
    writer.finish()
    summary.mapped = summary.outcomes["mapped"]
    name = slug(meta.name or out.name) or f"{fmt}-import"
    title = meta.title or info.get("title") or f"{fmt.upper()} import"
    desc = (
        f"Imported with `tracker import {fmt}` from {', '.join(summary.files)}. "
        "Each record keeps its original id in record_id and cites its source."
    )
    if info.get("description"):
        desc += " " + str(info["description"])
    licence = meta.licence or info.get("licence", "")
    src = {"title": info.get("source_title", title), "path": meta.url or info.get("url", "")}
    descriptor = descriptor_dict(
        name,
        title,
        description=desc,
        licenses=[{"name": licence}] if licence else [],
        sources=[{k: v for k, v in src.items() if v}],
    )
    writer.write(out, descriptor)
    return summary
