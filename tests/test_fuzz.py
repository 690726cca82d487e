"""Property-based tests: any bytes either load or raise the project's own error, never anything else.

Hypothesis feeds random CSV bytes to the dataset reader and validator, random JSON lines to the
FtM, BODS and PSC importers and random CSV to the ICIJ importer. The examples are bounded and
derandomized so that CI is fast and reproducible; a failure prints the input that caused it.
"""

from __future__ import annotations

import csv
import io
import json
import shutil
import tempfile
from pathlib import Path
from typing import Any

from conftest import MINI_PATH
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tracker.dataset import RESOURCES, load, read_raw
from tracker.exc import InvalidData, TrackerError
from tracker.importers import Meta, run_import
from tracker.validate import validate_raw

SETTINGS = settings(
    max_examples=60,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)

# Text that is most likely to break a parser: quotes, separators, line ends, BOMs, NULs,
# Cyrillic, bidi controls, formula starts, and numbers and dates that are almost valid.
NASTY = ['"', ",", ";", "\n", "\r\n", "\r", "\ufeff", "\x00", "\u202e", "=", "-", "Ж", "é", "1e309", "nan", "-5", "2020-02-30", "9999-99"]
cell_text = st.one_of(st.text(max_size=20), st.sampled_from(NASTY), st.sampled_from(["person", "company", "owns", "elite", "kz", "true"]))


def _csv_bytes(header: list[str], rows: list[list[str]]) -> bytes:
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow(header)
    w.writerows(rows)
    return out.getvalue().encode("utf-8", "surrogatepass")


@st.composite
def csv_files(draw: Any, resource: str) -> bytes:
    """A CSV file for `resource`: mostly its real columns, sometimes mangled, or raw bytes."""
    names = [s.name for s in RESOURCES[resource]]
    mode = draw(st.sampled_from(["structured", "structured", "structured", "bytes", "mutated"]))
    if mode == "bytes":
        return draw(st.binary(max_size=300))
    header = draw(st.lists(st.sampled_from([*names, "extra", ""]), min_size=0, max_size=len(names) + 2)) if draw(st.booleans()) else names
    rows = draw(st.lists(st.lists(cell_text, min_size=len(header), max_size=len(header)), max_size=5))
    data = _csv_bytes(header, rows)
    if mode == "mutated":
        pos = draw(st.integers(0, max(len(data) - 1, 0)))
        junk = draw(st.binary(min_size=1, max_size=6))
        data = data[:pos] + junk + data[pos + 1 :]
    return data


def _folder_with(resource: str, data: bytes) -> Path:
    root = Path(tempfile.mkdtemp(prefix="fuzz-"))
    folder = root / "ds"
    shutil.copytree(MINI_PATH, folder)
    (folder / f"{resource}.csv").write_bytes(data)
    return folder


@SETTINGS
@given(resource=st.sampled_from(sorted(RESOURCES)), data=st.data())
def test_reader_and_validator_never_raise_anything_else(resource: str, data: Any) -> None:
    content = data.draw(csv_files(resource))
    folder = _folder_with(resource, content)
    try:
        raw = read_raw(folder)  # never raises for bad content: problems become row errors
        report = validate_raw([raw])
        for e in report.errors + report.warnings:
            assert e.file and "\n" not in str(e).strip(), e  # every problem is one located line
        try:
            ds = load([folder])
        except InvalidData as exc:
            assert not report.ok and exc.errors == report.errors
            assert "\n" not in str(exc)
        else:
            assert report.ok and len(ds.entities) == len(raw.tables["entities"].rows)
    finally:
        shutil.rmtree(folder.parent)


json_scalar = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), st.text(max_size=12))
json_value = st.recursive(
    json_scalar, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=4), max_leaves=12
)

# Records shaped like each format's, with any field possibly of the wrong type.
_any = json_value
ftm_record = st.fixed_dictionaries(
    {
        "id": st.one_of(st.text(max_size=8), _any),
        "schema": st.one_of(st.sampled_from(["Person", "Company", "Ownership", "Directorship", "Address", "Thing", "Nope"]), _any),
    },
    optional={
        "properties": st.one_of(
            st.dictionaries(
                st.sampled_from(["name", "owner", "asset", "country", "birthDate", "percentage", "sourceUrl", "startDate"]),
                st.one_of(st.lists(st.text(max_size=10), max_size=2), _any),
                max_size=4,
            ),
            _any,
        ),
        "datasets": st.one_of(st.lists(st.text(max_size=6), max_size=2), _any),
    },
)
bods_record = st.fixed_dictionaries(
    {
        "recordId": st.one_of(st.text(max_size=6), _any),
        "recordType": st.one_of(st.sampled_from(["entity", "person", "relationship"]), _any),
        "publicationDetails": st.one_of(
            st.fixed_dictionaries(
                {
                    "bodsVersion": st.just("0.4"),
                    "publisher": st.fixed_dictionaries({"name": st.text(max_size=5), "url": st.just("https://x.example/")}),
                }
            ),
            _any,
        ),
    },
    optional={
        "statementDate": st.one_of(st.text(max_size=10), _any),
        "recordDetails": st.one_of(
            st.dictionaries(
                st.sampled_from(
                    ["subject", "interestedParty", "interests", "names", "name", "entityType", "personType", "jurisdiction", "birthDate"]
                ),
                _any,
                max_size=5,
            ),
            _any,
        ),
        "recordStatus": st.one_of(st.sampled_from(["new", "updated", "closed"]), _any),
        "source": _any,
    },
)
psc_record = st.fixed_dictionaries(
    {"company_number": st.one_of(st.text(max_size=8), _any)},
    optional={
        "data": st.one_of(
            st.dictionaries(
                st.sampled_from(
                    [
                        "kind",
                        "name",
                        "natures_of_control",
                        "notified_on",
                        "ceased_on",
                        "date_of_birth",
                        "identification",
                        "name_elements",
                        "nationality",
                        "links",
                    ]
                ),
                _any,
                max_size=6,
            ),
            _any,
        )
    },
)


@st.composite
def json_lines(draw: Any, record: Any) -> bytes:
    mode = draw(st.sampled_from(["records", "records", "records", "text", "bytes"]))
    if mode == "bytes":
        return draw(st.binary(max_size=200))
    if mode == "text":
        return draw(st.text(max_size=200)).encode("utf-8", "surrogatepass")
    recs = draw(st.lists(st.one_of(record, json_value), min_size=1, max_size=4))
    if draw(st.booleans()):
        return json.dumps(recs).encode()
    return "\n".join(json.dumps(r) for r in recs).encode()


def _import_never_crashes(fmt: str, files: dict[str, bytes]) -> None:
    root = Path(tempfile.mkdtemp(prefix="fuzz-"))
    try:
        paths = []
        for name, content in files.items():
            p = root / name
            p.write_bytes(content)
            paths.append(p)
        try:
            run_import(fmt, paths, root / "out", Meta(url="https://example.org/data"))
        except TrackerError as exc:
            assert str(exc) and "\n" not in str(exc)
        else:
            # A folder the importer wrote must pass validation on its own.
            report = validate_raw([read_raw(root / "out")])
            assert report.ok, report.errors[:3]
    finally:
        shutil.rmtree(root)


@SETTINGS
@given(content=json_lines(ftm_record))
def test_ftm_importer_loads_or_raises_tracker_error(content: bytes) -> None:
    _import_never_crashes("ftm", {"in.json": content})


@SETTINGS
@given(content=json_lines(bods_record))
def test_bods_importer_loads_or_raises_tracker_error(content: bytes) -> None:
    _import_never_crashes("bods", {"in.json": content})


@SETTINGS
@given(content=json_lines(psc_record))
def test_psc_importer_loads_or_raises_tracker_error(content: bytes) -> None:
    _import_never_crashes("psc", {"psc.txt": content})


ICIJ_HEADERS = {
    "nodes-entities.csv": [
        "node_id",
        "name",
        "jurisdiction",
        "jurisdiction_description",
        "incorporation_date",
        "country_codes",
        "sourceID",
    ],
    "nodes-officers.csv": ["node_id", "name", "countries", "country_codes", "sourceID"],
    "relationships.csv": ["node_id_start", "node_id_end", "rel_type", "link", "status", "start_date", "end_date", "sourceID"],
}
icij_cell = st.one_of(
    cell_text, st.sampled_from(["1", "2", "3", "officer_of", "shareholder of", "BVI", "KAZ", "12-MAR-2006", "Panama Papers"])
)


@st.composite
def icij_files(draw: Any) -> dict[str, bytes]:
    files = {}
    for name, header in ICIJ_HEADERS.items():
        if draw(st.integers(0, 5)) == 0:
            files[name] = draw(st.binary(max_size=120))
            continue
        rows = draw(st.lists(st.lists(icij_cell, min_size=len(header), max_size=len(header)), max_size=4))
        files[name] = _csv_bytes(header, rows)
    return files


@SETTINGS
@given(files=icij_files())
def test_icij_importer_loads_or_raises_tracker_error(files: dict[str, bytes]) -> None:
    _import_never_crashes("icij", files)
