"""Integrity checks over dataset folders read as text.

Every check runs and every problem is collected with its file, line and field before anything
fails, so that one run of `tracker validate` lists all there is to fix (as csvkit and
frictionless do). Errors stop a build; warnings are printed and let it go on.
"""

from __future__ import annotations

import operator
import re
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tracker.dataset import CSV_FIELD_LIMIT, FILES, FORMAT, RESOURCES, FieldSpec, RawDataset, Row, gc_paused, read_raw, split_list
from tracker.dates import parse_partial
from tracker.exc import RowError
from tracker.model import Model, load_model

__all__ = ["Report", "validate_raw", "validate_paths", "ID_PATTERN"]

ID_PATTERN = re.compile(r"^[a-z0-9][a-z0-9._:-]{0,199}$")
CURRENCY = re.compile(r"^[A-Z]{3}$")
URL = re.compile(r"^https?://[^\s/$.?#][^\s]*$", re.IGNORECASE)
#: How a source's date is known (sources.csv `date_precision`). exact, month and year say the page
#: shows the date to that precision (and the date must have that form); approximate and not_shown
#: mark a date the page gives only roughly or not at all, so no view or export may present it as exact.
DATE_PRECISIONS = frozenset({"exact", "month", "year", "approximate", "not_shown"})
_PRECISION_PARTS = {"exact": 3, "month": 2, "year": 1}
LONG_CELL = 10_000  # characters: a warning; a real name or note is never this long
MAX_CELL = 1_000_000  # characters: an error; almost surely a broken quote or hostile input
#: A list of ids (a `refs:` column) is exempt from both: each of its ids is checked, so a broken
#: quote in one fails as bad ids, and a long one is real (a UK parent company in the PSC register
#: cites one source per company it controls: 72,866 characters at a million generated lines,
#: 147,945 at two million, about a million projected for the whole snapshot). The warning sent
#: every such import's store compile to the record path, too big to run at scale; its bound is
#: the CSV reader's field limit (`tracker.dataset.CSV_FIELD_LIMIT`), which names the line.
BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f")
# Any character that `_Checker.cell` reports (control characters but tab and newline, direction
# overrides): one search over a whole column finds whether a cell needs the careful path.
_SUSPECT = re.compile("[\x00-\x08\x0b-\x1f" + "".join(sorted(BIDI_CONTROLS)) + "]")
_CELLS = operator.attrgetter("cells")
# Types whose check depends on the value alone and whose columns repeat a few values.
_CACHED_TYPES = ("enum:", "country", "currency", "date", "number", "boolean")


@dataclass
class Report:
    """The result of validation: errors and warnings, each a `RowError`, sorted by place."""

    errors: list[RowError] = field(default_factory=list)
    warnings: list[RowError] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.errors

    def add(self, error: RowError) -> None:
        (self.errors if error.severity == "error" else self.warnings).append(error)

    def sort(self) -> None:
        self.errors.sort(key=lambda e: (e.file, e.line, e.column, e.code, e.message))
        self.warnings.sort(key=lambda e: (e.file, e.line, e.column, e.code, e.message))

    def as_dict(self) -> dict[str, Any]:
        return {
            "valid": self.ok,
            "counts": dict(self.counts),
            "errors": [e.as_dict() for e in self.errors],
            "warnings": [w.as_dict() for w in self.warnings],
        }


def _countries() -> frozenset[str]:
    # ISO 3166-1 alpha-2 and the territories FollowTheMoney knows (rigour ships the list).
    from rigour.territories import get_territories

    return frozenset(t.code for t in get_territories() if len(t.code) == 2)


class _Checker:
    def __init__(self, model: Model, report: Report, prefix: str) -> None:
        self.model = model
        self.report = report
        self.prefix = prefix
        self._countries: frozenset[str] | None = None

    def err(self, file: str, line: int, column: str, code: str, message: str, severity: str = "error") -> None:
        self.report.add(RowError(self.prefix + file, line, column, code, message, severity))

    def countries(self) -> frozenset[str]:
        if self._countries is None:
            self._countries = _countries()
        return self._countries

    def column(self, rows: Sequence[Row], spec: FieldSpec) -> None:
        """Check one column of a table: the same errors as `cell` on each row, much faster.

        Most columns are clean: no control or direction characters, no over-long cells, a few
        distinct values for the typed ones. One regex search over the joined column proves the
        first two; each distinct value is checked once. A column that fails the quick test is
        checked cell by cell with `cell`, the rule this must agree with.
        """
        if not rows:
            return
        idx = rows[0].columns.get(spec.name)
        if idx is None:
            for row in rows:
                self.cell(row, spec)
            return
        values = list(map(operator.itemgetter(idx), map(_CELLS, rows)))
        if _SUSPECT.search("\n".join(values)) or max(map(len, values)) > long_cell(spec.type):
            for row in rows:
                self.cell(row, spec)
            return
        t = spec.type
        if self._column_clean(values, spec):
            return
        cache: dict[str, tuple[str, str] | None] | None = {} if t.startswith(_CACHED_TYPES) else None
        for row, value in zip(rows, values):
            if not value:
                if spec.required:
                    self.err(row.file, row.line, spec.name, "required", "is empty; it is required")
                continue
            if cache is not None:
                if value in cache:
                    found = cache[value]
                else:
                    found = cache[value] = self._type_error(t, value)
                if found is not None:
                    self.err(row.file, row.line, spec.name, *found)
            elif t == "id" or t.startswith("ref:"):
                if not ID_PATTERN.match(value):
                    found = self._type_error(t, value)
                    if found is not None:
                        self.err(row.file, row.line, spec.name, *found)
            elif t.startswith("refs:"):
                for ref in split_list(value):
                    if not ID_PATTERN.match(ref):
                        self.err(row.file, row.line, spec.name, "bad-id", f"{ref!r} is not an id")
            elif t == "url":
                if not URL.match(value):
                    self.err(row.file, row.line, spec.name, "bad-url", f"{value!r} is not an http(s) URL")
            # text and list columns have no check beyond the characters'.

    def _column_clean(self, values: list[str], spec: FieldSpec) -> bool:
        """True when no cell of a column (already free of suspect characters) has an error.

        Proves with whole-column operations (a set of distinct values, a regex mapped over the
        column in C) what the row loop of `column` would find nothing in; a column where this
        fails goes through that loop, which reports each error with its line.
        """
        nonempty = values if all(values) else [v for v in values if v]
        if spec.required and len(nonempty) != len(values):
            return False
        t = spec.type
        if t.startswith(_CACHED_TYPES):
            return all(self._type_error(t, v) is None for v in set(nonempty))
        if t == "id" or t.startswith("ref:"):
            return all(map(ID_PATTERN.match, nonempty))
        if t.startswith("refs:"):
            parts = ";".join(nonempty).split(";") if nonempty else []
            return all(map(ID_PATTERN.match, filter(None, map(str.strip, parts))))
        if t == "url":
            return all(map(URL.match, nonempty))
        return True  # text and list columns have no check beyond the characters'

    def _type_error(self, t: str, value: str) -> tuple[str, str] | None:
        """(code, message) for a non-empty, clean `value` of type `t` that is wrong, else None."""
        m = self.model
        if t == "id":
            if not ID_PATTERN.match(value):
                return "bad-id", f"{value!r} is not an id (lower-case letters, digits, . _ : -; at most 200)"
        elif t.startswith("enum:"):
            vocab = t.split(":", 1)[1]
            allowed: Any = {
                "entity_kind": m.entity_kinds,
                "relation_kind": m.relation_kinds,
                "sphere": m.spheres,
                "evidence": m.evidence_statuses,
                "direct": {"direct", "indirect"},
                "date_precision": DATE_PRECISIONS,
            }[vocab]
            if value not in allowed:
                return f"unknown-{vocab.replace('_', '-')}", f"{value!r} is not one of: {', '.join(sorted(allowed))}"
        elif t == "country":
            if value.lower() not in self.countries():
                return "unknown-country", f"{value!r} is not an ISO 3166-1 alpha-2 code"
        elif t == "currency":
            if not CURRENCY.match(value.upper()):
                return "bad-currency", f"{value!r} is not an ISO 4217 code such as GBP"
        elif t == "date":
            try:
                parse_partial(value)
            except ValueError as exc:
                return "bad-date", str(exc)
        elif t == "number":
            try:
                number = float(value)
            except ValueError:
                return "bad-number", f"{value!r} is not a number"
            if number != number or number in (float("inf"), float("-inf")):
                return "bad-number", f"{value!r} is not a finite number"
        elif t == "boolean":
            if value.lower() not in {"true", "false"}:
                return "bad-boolean", f"{value!r} is not true or false"
        elif t == "url":
            if not URL.match(value):
                return "bad-url", f"{value!r} is not an http(s) URL"
        elif t.startswith("ref:"):
            if not ID_PATTERN.match(value):
                return "bad-id", f"{value!r} is not an id"
        return None

    def cell(self, row: Row, spec: FieldSpec) -> None:
        """Check one cell: the rule (`column` is the fast path that must agree with it)."""
        value = row.get(spec.name)
        if len(value) > max_cell(spec.type):
            self.err(row.file, row.line, spec.name, "too-long", f"{len(value)} characters (at most {max_cell(spec.type)})")
            return
        if len(value) > long_cell(spec.type):
            self.err(row.file, row.line, spec.name, "long-cell", f"{len(value)} characters; check for a broken quote", "warning")
        if any(c in BIDI_CONTROLS for c in value):
            self.err(
                row.file, row.line, spec.name, "bidi-control", "contains a right-to-left or other direction override character", "warning"
            )
        if any(ord(c) < 32 and c not in "\n\t" for c in value):
            self.err(row.file, row.line, spec.name, "control-character", "contains a control character")
            return
        if not value:
            if spec.required:
                self.err(row.file, row.line, spec.name, "required", "is empty; it is required")
            return
        t = spec.type
        if t.startswith("refs:"):
            for ref in split_list(value):
                if not ID_PATTERN.match(ref):
                    self.err(row.file, row.line, spec.name, "bad-id", f"{ref!r} is not an id")
            return
        found = self._type_error(t, value)
        if found is not None:
            self.err(row.file, row.line, spec.name, *found)


def long_cell(type_: str) -> int:
    """Above how many characters a cell of this column type is warned about (`long-cell`).

    >>> long_cell("text"), long_cell("refs:sources")
    (10000, 2097152)
    """
    return CSV_FIELD_LIMIT if type_.startswith("refs:") else LONG_CELL


def max_cell(type_: str) -> int:
    """Above how many characters a cell of this column type is an error (`too-long`).

    >>> max_cell("text"), max_cell("refs:sources")
    (1000000, 2097152)
    """
    return CSV_FIELD_LIMIT if type_.startswith("refs:") else MAX_CELL


def _check_header(raw: RawDataset, ck: _Checker) -> dict[str, bool]:
    """Check each file's columns; returns which tables are usable for row checks."""
    usable: dict[str, bool] = {}
    for name, table in raw.tables.items():
        if not table.header:
            usable[name] = False
            continue
        known = {s.name for s in RESOURCES[name]}
        ok = True
        for spec in RESOURCES[name]:
            if spec.required and spec.name not in table.header:
                ck.err(FILES[name], 1, spec.name, "missing-column", "required column is missing")
                ok = False
        for col in table.header:
            if col not in known:
                ck.err(
                    FILES[name], 1, col, "unknown-column", f"unknown column; expected some of: {', '.join(s.name for s in RESOURCES[name])}"
                )
        usable[name] = ok
    return usable


def _check_descriptor(raw: RawDataset, ck: _Checker) -> None:
    d = raw.descriptor
    if not d:
        return
    fmt = d.get("format")
    if fmt is not None and fmt != FORMAT:
        ck.err("datapackage.yaml", 0, "format", "unknown-format", f"{fmt!r}: this version reads {FORMAT!r}")
    for res in d.get("resources") or []:
        if not isinstance(res, dict):
            continue
        name = res.get("name")
        if name not in RESOURCES:
            ck.err("datapackage.yaml", 0, "resources", "unknown-resource", f"unknown resource {name!r}")
            continue
        declared = [f.get("name") for f in (res.get("schema") or {}).get("fields") or [] if isinstance(f, dict)]
        expected = [s.name for s in RESOURCES[name]]
        # A descriptor written before an optional field was added stays valid: it may leave optional
        # fields out, but not rename, reorder or drop a required one.
        required = [s.name for s in RESOURCES[name] if s.required]
        if declared and ([f for f in expected if f in declared] != declared or not set(required) <= set(declared)):
            ck.err(
                "datapackage.yaml",
                0,
                f"resources.{name}",
                "descriptor-fields",
                "declared fields differ from the format's; regenerate them with tracker.dataset.descriptor_dict",
            )


def _check_assertions(raw: RawDataset, ck: _Checker, counts: dict[str, int], kinds: dict[str, int]) -> None:
    assertions = raw.descriptor.get("assertions") or {}
    if not isinstance(assertions, dict):
        ck.err("datapackage.yaml", 0, "assertions", "bad-descriptor", "assertions must be a mapping")
        return
    for key, bound in assertions.items():
        if not isinstance(bound, dict):
            continue
        if key in counts:
            have = counts[key]
        elif key.startswith("kind:"):
            have = kinds.get(key.split(":", 1)[1], 0)
        else:
            ck.err(
                "datapackage.yaml",
                0,
                f"assertions.{key}",
                "bad-descriptor",
                "unknown assertion; use entities, relations, sources or kind:<kind>",
            )
            continue
        lo, hi = bound.get("min"), bound.get("max")
        if isinstance(lo, int) and have < lo:
            ck.err("datapackage.yaml", 0, f"assertions.{key}", "assertion-failed", f"{have} rows, expected at least {lo}")
        if isinstance(hi, int) and have > hi:
            ck.err("datapackage.yaml", 0, f"assertions.{key}", "assertion-failed", f"{have} rows, expected at most {hi}")


def validate_raw(raws: Sequence[RawDataset], model: Model | None = None) -> Report:
    """Validate one or more dataset folders together (references may cross folders)."""
    model = model or load_model()
    report = Report()
    multi = len(raws) > 1
    checkers: dict[int, _Checker] = {}
    usable_by: dict[int, dict[str, bool]] = {}
    # ids across every folder: id -> the row that first used it. A row's checker (its folder) is
    # found through its table's column index, one object per table, so the map holds no tuples.
    ids: dict[str, dict[str, Row]] = {name: {} for name in RESOURCES}
    checker_of: dict[int, _Checker] = {}
    for i, raw in enumerate(raws):
        ck = _Checker(model, report, f"{raw.root}/" if multi else "")
        checkers[i] = ck
        for e in raw.errors:
            report.add(RowError(ck.prefix + e.file, e.line, e.column, e.code, e.message, e.severity))
        _check_descriptor(raw, ck)
        usable_by[i] = usable = _check_header(raw, ck)
        for name, table in raw.tables.items():
            if not usable[name]:
                continue
            specs = [s for s in RESOURCES[name] if s.name in table.header or s.required]
            for spec in specs:
                ck.column(table.rows, spec)
            last_columns: dict[str, int] | None = None
            seen = ids[name]
            id_at = table.header.index("id") if "id" in table.header else None
            kind_at = table.header.index("kind") if "kind" in table.header else None
            # Rows by a hash of their content but the id; equal hashes are compared in full.
            seen_rows: dict[int, Row | list[Row]] = {}
            for row in table.rows:
                if row.columns is not last_columns:
                    last_columns = row.columns
                    checker_of[id(last_columns)] = ck
                cells = row.cells
                rid = cells[id_at] if id_at is not None else ""
                if rid:
                    other = seen.get(rid)
                    if other is not None:
                        other_ck = checker_of[id(other.columns)]
                        if (
                            name == "entities"
                            and other_ck is not ck
                            and kind_at is not None
                            and cells[kind_at] == other.get("kind") == "jurisdiction"
                        ):
                            continue  # folders may each define a jurisdiction; the first definition is used
                        ck.err(
                            row.file,
                            row.line,
                            "id",
                            "duplicate-id",
                            f"{rid!r} is already used at {other_ck.prefix}{other.file}:{other.line}",
                        )
                    else:
                        seen[rid] = row
                key = cells[:id_at] + cells[id_at + 1 :] if id_at is not None else cells
                h = hash(key)
                prev = seen_rows.get(h)
                if prev is None:
                    seen_rows[h] = row
                    continue
                candidates = prev if isinstance(prev, list) else [prev]
                same = next((c for c in candidates if _content(c, id_at) == key), None)
                if same is not None:
                    ck.err(row.file, row.line, "", "duplicate-row", f"same content as line {same.line} (only the id differs)")
                else:
                    seen_rows[h] = [*candidates, row]

    for i, raw in enumerate(raws):
        if usable_by[i]["sources"]:
            for row in raw.tables["sources"].rows:
                _check_date_precision(row, checkers[i])

    entity_rows = ids["entities"]
    relation_rows = ids["relations"]
    source_rows = ids["sources"]
    owned: dict[str, list[tuple[float, Row, _Checker]]] = defaultdict(list)
    entity_kind: dict[str, str] | None = None  # id -> kind of its first row, made once
    for i, raw in enumerate(raws):
        ck = checkers[i]
        usable = usable_by[i]
        if usable["entities"]:
            for row in raw.tables["entities"].rows:
                cited = row.get("sources")
                if cited:
                    for ref in split_list(cited):
                        if ref not in source_rows and ID_PATTERN.match(ref):
                            ck.err(row.file, row.line, "sources", "dangling-reference", f"no source with id {ref!r}")
                if row.get("offshore") and row.get("kind") != "jurisdiction":
                    ck.err(
                        row.file,
                        row.line,
                        "offshore",
                        "offshore-not-jurisdiction",
                        "the offshore flag is for jurisdictions; use the offshore sphere for vehicles",
                        "warning",
                    )
        if not usable["relations"]:
            continue
        table = raw.tables["relations"]
        col = {name: table.header.index(name) for name in table.header}
        # Per relation kind, the fields present in this file that the kind does not take.
        not_allowed = {
            k.name: [(f, col[f]) for f in model.relation_fields if f in col and f not in k.fields] for k in model.relation_kinds.values()
        }
        # Any of these cells set (`_any_of`: one C call per row) sends the row to the careful checks.
        any_not_allowed = {name: _any_of([at for _, at in fields_]) for name, fields_ in not_allowed.items()}
        numeric = [c for c in ("start", "end", "share", "share_min", "share_max") if c in col]
        any_numeric = _any_of([col[c] for c in numeric])
        at_source, at_target, at_kind, at_id = col["source"], col["target"], col["kind"], col.get("id")
        at_sources, at_refers = col.get("sources"), col.get("refers_to")
        if entity_kind is None:
            entity_kind = {rid: other.get("kind") for rid, other in entity_rows.items()}
        for row in table.rows:
            cells = row.cells
            kind = model.relation_kinds.get(cells[at_kind])
            ends = {}
            for end, at in (("source", at_source), ("target", at_target)):
                ref = cells[at]
                if ref and ID_PATTERN.match(ref):
                    other_kind = entity_kind.get(ref)
                    if other_kind is not None:
                        ends[end] = other_kind
                    else:
                        ck.err(row.file, row.line, end, "dangling-reference", f"no entity with id {ref!r}")
            if kind is not None and kind.statement:
                if cells[at_source] != cells[at_target]:
                    ck.err(row.file, row.line, "target", "statement-target", f"a {kind.name} statement runs from an entity to itself")
            elif cells[at_source] and cells[at_source] == cells[at_target]:
                ck.err(row.file, row.line, "target", "self-loop", "a relation cannot link an entity to itself")
            if kind is not None and len(ends) == 2 and not kind.allows(ends["source"], ends["target"]):
                ck.err(
                    row.file,
                    row.line,
                    "kind",
                    "wrong-range",
                    f"{kind.name} cannot run from a {ends['source']} to a {ends['target']} "
                    f"(allowed: {', '.join(sorted(kind.source))} -> {', '.join(sorted(kind.target))})",
                )
            if kind is not None and any_not_allowed[kind.name](cells):
                for fname, at in not_allowed[kind.name]:
                    if cells[at]:
                        ck.err(row.file, row.line, fname, "field-not-allowed", f"{kind.name} relations do not take {fname}")
            if at_sources is not None and cells[at_sources]:
                refs = split_list(cells[at_sources])
                if not refs:  # only separators (" ; "): a relation must cite a source
                    ck.err(row.file, row.line, "sources", "required", "names no source (only separators); it is required")
                for ref in refs:
                    if ref not in source_rows and ID_PATTERN.match(ref):
                        ck.err(row.file, row.line, "sources", "dangling-reference", f"no source with id {ref!r}")
            if at_refers is not None and cells[at_refers]:
                own = cells[at_id] if at_id is not None else ""
                for ref in split_list(cells[at_refers]):
                    if ref == own:
                        ck.err(row.file, row.line, "refers_to", "self-reference", "a relation cannot refer to itself")
                    elif ref not in relation_rows and ID_PATTERN.match(ref):
                        ck.err(row.file, row.line, "refers_to", "dangling-reference", f"no relation with id {ref!r}")
            if any_numeric(cells):
                _check_dates_and_shares(row, ck, owned, model)

    for target, shares in owned.items():
        total = sum(s for s, _, _ in shares)
        if total > 100.0001:
            _, row, ck = shares[-1]
            ck.err(
                row.file,
                row.line,
                "share",
                "shares-over-100",
                f"direct shares in {target!r} in force together add up to {total:g}%",
                "warning",
            )

    for i, raw in enumerate(raws):
        counts = {name: len(t.rows) for name, t in raw.tables.items()}
        kinds: dict[str, int] = defaultdict(int)
        for row in raw.tables["entities"].rows:
            kinds[row.get("kind")] += 1
        _check_assertions(raw, checkers[i], counts, kinds)
    report.counts = {name: sum(len(r.tables[name].rows) for r in raws) for name in RESOURCES}
    report.sort()
    return report


def _any_of(positions: list[int]) -> Any:
    """A function telling whether any of the cells at `positions` of a row is non-empty.

    Examples
    --------
    >>> bool(_any_of([0, 2])(("", "x", ""))), bool(_any_of([1])(("", "x"))), bool(_any_of([])(("a",)))
    (False, True, False)
    """
    if not positions:
        return lambda cells: False
    if len(positions) == 1:
        return operator.itemgetter(positions[0])
    get = operator.itemgetter(*positions)
    return lambda cells: any(get(cells))


def _content(row: Row, id_at: int | None) -> tuple[str, ...]:
    cells = row.cells
    return cells[:id_at] + cells[id_at + 1 :] if id_at is not None else cells


def _number(text: str) -> float | None:
    try:
        value = float(text)
    except ValueError:
        return None
    return value if value == value else None


def _check_date_precision(row: Row, ck: _Checker) -> None:
    """A source's date agrees with its stated precision, and a precision has a date to qualify.

    Examples
    --------
    >>> from tracker.exc import RowError
    >>> r = Report()
    >>> ck = _Checker(load_model(), r, "")
    >>> cols = {"date": 0, "date_precision": 1}
    >>> for cells in [("2020", "month"), ("2020-05", "month"), ("", "year"), ("", "not_shown")]:
    ...     _check_date_precision(Row("sources.csv", 2, cells, cols), ck)
    >>> [(e.code, e.message) for e in r.errors]
    [('precision-mismatch', "date '2020' is not a month date (YYYY-MM)"), ('precision-without-date', 'year needs a date')]
    """
    precision, date = row.get("date_precision"), row.get("date")
    if precision not in DATE_PRECISIONS:
        return  # empty, or already reported as unknown
    parts = _PRECISION_PARTS.get(precision)
    if parts is None:
        return  # approximate / not_shown qualify any date, or stand for a missing one
    if not date:
        ck.err(row.file, row.line, "date_precision", "precision-without-date", f"{precision} needs a date")
    elif date.count("-") + 1 != parts:
        form = {3: "an exact date (YYYY-MM-DD)", 2: "a month date (YYYY-MM)", 1: "a year date (YYYY)"}[parts]
        ck.err(row.file, row.line, "date_precision", "precision-mismatch", f"date {date!r} is not {form}")


def _check_dates_and_shares(row: Row, ck: _Checker, owned: dict[str, list[tuple[float, Row, _Checker]]], model: Model) -> None:
    g = row.get
    start, end = g("start"), g("end")
    if start and end:
        try:
            if parse_partial(start)[0] > parse_partial(end)[1]:
                ck.err(row.file, row.line, "end", "reversed-dates", f"end {end} is before start {start}")
        except ValueError:
            pass  # already reported as bad-date
    shares = {name: _number(g(name)) for name in ("share", "share_min", "share_max") if g(name)}
    for name, value in shares.items():
        if value is not None and not 0 <= value <= 100:
            ck.err(row.file, row.line, name, "share-out-of-range", f"{g(name)} is outside 0-100")
    lo, hi = shares.get("share_min"), shares.get("share_max")
    if lo is not None and hi is not None and lo > hi:
        ck.err(row.file, row.line, "share_min", "share-range", f"share_min {g('share_min')} is above share_max {g('share_max')}")
    if "share" in shares and ("share_min" in shares or "share_max" in shares):
        ck.err(row.file, row.line, "share", "share-and-range", "give an exact share or a range, not both")
    kind = model.relation_kinds.get(g("kind"))
    exact = shares.get("share")
    if kind is not None and kind.name == "owns" and exact is not None and 0 <= exact <= 100 and g("direct") != "indirect" and not end:
        owned[g("target")].append((exact, row, ck))


def validate_paths(paths: Sequence[Path]) -> Report:
    """Read and validate dataset folders; a folder that cannot be read is an error in the report."""
    with gc_paused():
        return validate_raw([read_raw(Path(p)) for p in paths])
