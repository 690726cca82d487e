"""Integrity checks over dataset folders read as text.

Every check runs and every problem is collected with its file, line and field before anything
fails, so that one run of `tracker validate` lists all there is to fix (as csvkit and
frictionless do). Errors stop a build; warnings are printed and let it go on.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tracker.dataset import FILES, FORMAT, RESOURCES, FieldSpec, RawDataset, Row, read_raw, split_list
from tracker.dates import parse_partial
from tracker.exc import RowError
from tracker.model import Model, load_model

__all__ = ["Report", "validate_raw", "validate_paths", "ID_PATTERN"]

ID_PATTERN = re.compile(r"^[a-z0-9][a-z0-9._:-]{0,199}$")
CURRENCY = re.compile(r"^[A-Z]{3}$")
URL = re.compile(r"^https?://[^\s/$.?#][^\s]*$", re.IGNORECASE)
LONG_CELL = 10_000  # characters: a warning; a real name or note is never this long
MAX_CELL = 1_000_000  # characters: an error; almost surely a broken quote or hostile input
BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f")


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

    def cell(self, row: Row, spec: FieldSpec) -> None:
        value = row.get(spec.name)
        if len(value) > MAX_CELL:
            self.err(row.file, row.line, spec.name, "too-long", f"{len(value)} characters (at most {MAX_CELL})")
            return
        if len(value) > LONG_CELL:
            self.err(row.file, row.line, spec.name, "long-cell", f"{len(value)} characters; check for a broken quote", "warning")
        if any(c in BIDI_CONTROLS for c in value):
            self.err(row.file, row.line, spec.name, "bidi-control", "contains a right-to-left or other direction override character", "warning")
        if any(ord(c) < 32 and c not in "\n\t" for c in value):
            self.err(row.file, row.line, spec.name, "control-character", "contains a control character")
            return
        if not value:
            if spec.required:
                self.err(row.file, row.line, spec.name, "required", "is empty; it is required")
            return
        t = spec.type
        m = self.model
        if t == "id" and not ID_PATTERN.match(value):
            self.err(row.file, row.line, spec.name, "bad-id", f"{value!r} is not an id (lower-case letters, digits, . _ : -; at most 200)")
        elif t.startswith("enum:"):
            vocab = t.split(":", 1)[1]
            allowed: Any = {
                "entity_kind": m.entity_kinds,
                "relation_kind": m.relation_kinds,
                "sphere": m.spheres,
                "evidence": m.evidence_statuses,
                "direct": {"direct", "indirect"},
            }[vocab]
            if value not in allowed:
                self.err(row.file, row.line, spec.name, f"unknown-{vocab.replace('_', '-')}", f"{value!r} is not one of: {', '.join(sorted(allowed))}")
        elif t == "country":
            if value.lower() not in self.countries():
                self.err(row.file, row.line, spec.name, "unknown-country", f"{value!r} is not an ISO 3166-1 alpha-2 code")
        elif t == "currency":
            if not CURRENCY.match(value.upper()):
                self.err(row.file, row.line, spec.name, "bad-currency", f"{value!r} is not an ISO 4217 code such as GBP")
        elif t == "date":
            try:
                parse_partial(value)
            except ValueError as exc:
                self.err(row.file, row.line, spec.name, "bad-date", str(exc))
        elif t == "number":
            try:
                number = float(value)
            except ValueError:
                self.err(row.file, row.line, spec.name, "bad-number", f"{value!r} is not a number")
                return
            if number != number or number in (float("inf"), float("-inf")):
                self.err(row.file, row.line, spec.name, "bad-number", f"{value!r} is not a finite number")
        elif t == "boolean":
            if value.lower() not in {"true", "false"}:
                self.err(row.file, row.line, spec.name, "bad-boolean", f"{value!r} is not true or false")
        elif t == "url":
            if not URL.match(value):
                self.err(row.file, row.line, spec.name, "bad-url", f"{value!r} is not an http(s) URL")
        elif t.startswith("refs:") or t.startswith("ref:"):
            for ref in split_list(value) if t.startswith("refs:") else [value]:
                if not ID_PATTERN.match(ref):
                    self.err(row.file, row.line, spec.name, "bad-id", f"{ref!r} is not an id")


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
                ck.err(FILES[name], 1, col, "unknown-column", f"unknown column; expected some of: {', '.join(s.name for s in RESOURCES[name])}")
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
        if declared and declared != expected:
            ck.err("datapackage.yaml", 0, f"resources.{name}", "descriptor-fields", "declared fields differ from the format's; regenerate them with tracker.dataset.descriptor_dict")


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
            ck.err("datapackage.yaml", 0, f"assertions.{key}", "bad-descriptor", "unknown assertion; use entities, relations, sources or kind:<kind>")
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
    # ids across every folder: id -> (checker, file, line)
    ids: dict[str, dict[str, tuple[_Checker, Row]]] = {name: {} for name in RESOURCES}
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
            seen_rows: dict[tuple[str, ...], int] = {}
            for row in table.rows:
                for spec in specs:
                    ck.cell(row, spec)
                rid = row.get("id")
                if rid:
                    if rid in ids[name]:
                        other_ck, other = ids[name][rid]
                        if name == "entities" and other_ck is not ck and row.get("kind") == other.get("kind") == "jurisdiction":
                            continue  # folders may each define a jurisdiction; the first definition is used
                        ck.err(row.file, row.line, "id", "duplicate-id", f"{rid!r} is already used at {other_ck.prefix}{other.file}:{other.line}")
                    else:
                        ids[name][rid] = (ck, row)
                key = tuple(v for k, v in zip(table.header, row.cells) if k != "id")
                if key in seen_rows:
                    ck.err(row.file, row.line, "", "duplicate-row", f"same content as line {seen_rows[key]} (only the id differs)")
                else:
                    seen_rows[key] = row.line

    entity_rows = ids["entities"]
    relation_rows = ids["relations"]
    source_rows = ids["sources"]
    owned: dict[str, list[tuple[float, Row, _Checker]]] = defaultdict(list)
    for i, raw in enumerate(raws):
        ck = checkers[i]
        usable = usable_by[i]
        if usable["entities"]:
            for row in raw.tables["entities"].rows:
                for ref in split_list(row.get("sources")):
                    if ref not in source_rows and ID_PATTERN.match(ref):
                        ck.err(row.file, row.line, "sources", "dangling-reference", f"no source with id {ref!r}")
                if row.get("offshore") and row.get("kind") != "jurisdiction":
                    ck.err(row.file, row.line, "offshore", "offshore-not-jurisdiction", "the offshore flag is for jurisdictions; use the offshore sphere for vehicles", "warning")
        if not usable["relations"]:
            continue
        for row in raw.tables["relations"].rows:
            g = row.get
            kind = model.relation_kinds.get(g("kind"))
            ends = {}
            for end in ("source", "target"):
                ref = g(end)
                if ref and ID_PATTERN.match(ref):
                    if ref in entity_rows:
                        ends[end] = entity_rows[ref][1].get("kind")
                    else:
                        ck.err(row.file, row.line, end, "dangling-reference", f"no entity with id {ref!r}")
            if g("source") and g("source") == g("target"):
                ck.err(row.file, row.line, "target", "self-loop", "a relation cannot link an entity to itself")
            if kind is not None and len(ends) == 2 and not kind.allows(ends["source"], ends["target"]):
                ck.err(
                    row.file, row.line, "kind", "wrong-range",
                    f"{kind.name} cannot run from a {ends['source']} to a {ends['target']} "
                    f"(allowed: {', '.join(sorted(kind.source))} -> {', '.join(sorted(kind.target))})",
                )
            if kind is not None:
                for fname in model.relation_fields:
                    if g(fname) and fname not in kind.fields:
                        ck.err(row.file, row.line, fname, "field-not-allowed", f"{kind.name} relations do not take {fname}")
            for ref in split_list(g("sources")):
                if ref not in source_rows and ID_PATTERN.match(ref):
                    ck.err(row.file, row.line, "sources", "dangling-reference", f"no source with id {ref!r}")
            for ref in split_list(g("refers_to")):
                if ref == g("id"):
                    ck.err(row.file, row.line, "refers_to", "self-reference", "a relation cannot refer to itself")
                elif ref not in relation_rows and ID_PATTERN.match(ref):
                    ck.err(row.file, row.line, "refers_to", "dangling-reference", f"no relation with id {ref!r}")
            _check_dates_and_shares(row, ck, owned, model)

    for target, shares in owned.items():
        total = sum(s for s, _, _ in shares)
        if total > 100.0001:
            _, row, ck = shares[-1]
            ck.err(row.file, row.line, "share", "shares-over-100", f"direct shares in {target!r} in force together add up to {total:g}%", "warning")

    for i, raw in enumerate(raws):
        counts = {name: len(t.rows) for name, t in raw.tables.items()}
        kinds: dict[str, int] = defaultdict(int)
        for row in raw.tables["entities"].rows:
            kinds[row.get("kind")] += 1
        _check_assertions(raw, checkers[i], counts, kinds)
    report.counts = {name: sum(len(r.tables[name].rows) for r in raws) for name in RESOURCES}
    report.sort()
    return report


def _number(text: str) -> float | None:
    try:
        value = float(text)
    except ValueError:
        return None
    return value if value == value else None


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
    return validate_raw([read_raw(Path(p)) for p in paths])
