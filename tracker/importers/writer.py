"""The dataset writer every importer hands its records to, and the summary of what it did.

The writer is where the guarantees live, so that every importer gets them the same way: ids
match the id pattern and never collide, every record cites a source that exists, relations whose
ends are missing or whose kinds the schema does not allow are skipped (and counted, with the
reason), cells are cleaned (control characters, spreadsheet formulas, over-long text), and the
folder is written atomically in a sorted, byte-stable order. A folder written here passes
`tracker validate` on its own.
"""

from __future__ import annotations

import contextlib
import csv
import hashlib
import operator
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tracker.importers.cleaning import FORMULA_START, clean_text, country_name, guard_formula
from tracker.importers.offshore import OFFSHORE, VEHICLE_KINDS

__all__ = ["Summary", "DatasetWriter"]

_TEXT_FIELDS = {"name", "aliases", "notes", "note", "title", "publisher", "role", "outcome", "licence"}  # free text: formula-guarded


# What became of each record read; every record ends in exactly one, so that they add up to
# the records read. "mapped": it became at least one new entity or relation. "merged": it added
# to an earlier record with the same id. "used": it completed other records (a name for a
# company known by number, the post of an occupancy) and is not a row of its own. "skipped":
# nothing of it was kept, for a reason counted below. "unaccounted" is a bug, and is shown.
OUTCOMES = ("mapped", "merged", "used", "skipped", "unaccounted")


@dataclass
class Summary:
    """What an import did: records read and what became of each, and the values left out.

    `outcomes` counts every record read under one of `OUTCOMES`, so `read` is their sum;
    `skipped` counts the reasons (per record, or per reference or field where the reason says
    so); `left_out` counts values of properties the format's schema does not define, and
    `rejected` values that the property's type rejects, each with the first few lines.
    """

    format: str = ""
    files: list[str] = field(default_factory=list)
    read: int = 0
    mapped: int = 0
    skipped: Counter[str] = field(default_factory=Counter)
    examples: dict[str, list[str]] = field(default_factory=dict)
    info: list[str] = field(default_factory=list)
    written: dict[str, int] = field(default_factory=dict)
    outcomes: Counter[str] = field(default_factory=Counter)
    left_out: Counter[str] = field(default_factory=Counter)
    rejected: Counter[str] = field(default_factory=Counter)
    rejected_examples: dict[str, list[str]] = field(default_factory=dict)
    skip_calls: int = 0

    def skip(self, reason: str, example: str = "", count: int = 1) -> None:
        """Count a skipped record (or reference) under `reason`, keeping the first few ids."""
        self.skipped[reason] += count
        self.skip_calls += 1
        if example:
            seen = self.examples.setdefault(reason, [])
            if len(seen) < 5 and example not in seen:
                seen.append(example)

    def leave_out(self, prop: str, count: int = 1) -> None:
        """Count values of a property the schema does not define (left out, the record kept)."""
        self.left_out[prop] += count

    def reject(self, prop: str, where: str, value: str) -> None:
        """Count a value its property's type rejects, keeping the first few places."""
        self.rejected[prop] += 1
        seen = self.rejected_examples.setdefault(prop, [])
        if len(seen) < 3:
            seen.append(f"{where} {value[:40]!r}")

    def adds_up(self) -> bool:
        """Whether every record read has exactly one outcome and none is unaccounted."""
        return sum(self.outcomes.values()) == self.read and not self.outcomes["unaccounted"]

    def lines(self) -> list[str]:
        """The summary as lines for stderr, stable in order."""
        out = [f"{self.format}: read {self.read} records from {len(self.files)} file(s)"]
        if self.outcomes:
            parts = [f"{self.outcomes[k]} {k}" for k in OUTCOMES if self.outcomes[k] or k in ("mapped", "skipped")]
            out[0] += ": " + ", ".join(parts)
        if self.written:
            out.append("wrote " + ", ".join(f"{n} {k}" for k, n in self.written.items()))
        for reason in sorted(self.skipped):
            ex = self.examples.get(reason)
            tail = f" (e.g. {', '.join(ex)})" if ex else ""
            out.append(f"skipped {self.skipped[reason]}: {reason}{tail}")
        if self.left_out:
            out.append(
                f"left out {sum(self.left_out.values())} values of {len(self.left_out)} properties the schema does not define: "
                + _top(self.left_out)
            )
        if self.rejected:
            worst = sorted(self.rejected, key=lambda k: (-self.rejected[k], k))
            shown = ", ".join(f"{k} {self.rejected[k]} (e.g. {'; '.join(self.rejected_examples.get(k, []))})" for k in worst[:10])
            more = ", ..." if len(worst) > 10 else ""
            out.append(f"left out {sum(self.rejected.values())} values their property's type rejects: {shown}{more}")
        out.extend(self.info)
        return out


def _top(counts: Counter[str], n: int = 10) -> str:
    worst = sorted(counts, key=lambda k: (-counts[k], k))
    return ", ".join(f"{k} {counts[k]}" for k in worst[:n]) + (", ..." if len(worst) > n else "")


class _Rel:
    """A relation waiting for the end of the import: compact, since there may be millions.

    Its values are kept as a flat (key, value, key, value, ...) tuple, which costs a third of a
    dict; `values` gives them as a dict when they are needed.
    """

    __slots__ = ("id", "kinds", "source", "target", "flat", "record")

    def __init__(self, ident: str, kinds: tuple[str, ...], source: str, target: str, values: dict[str, str], record: str) -> None:
        self.id = ident
        self.kinds = kinds
        self.source = source
        self.target = target
        self.flat: tuple[str, ...] = tuple(x for kv in values.items() for x in kv)
        self.record = record

    @property
    def values(self) -> dict[str, str]:
        flat = self.flat
        return dict(zip(flat[::2], flat[1::2]))

    @values.setter
    def values(self, values: dict[str, str]) -> None:
        self.flat = tuple(x for kv in values.items() for x in kv)


class DatasetWriter:
    """Collects entities, relations and sources, checks them, and writes a dataset folder.

    Relations are checked when the folder is written, once every entity is known: a relation
    may name entities that a later file defines (ICIJ's relationships), and a relation kind is
    chosen from its candidates by the kinds at its two ends. Relations wait as compact `_Rel`
    records and rows stream to the files, so that a multi-million-row import stays within a
    few gigabytes (see benchmarks/).
    """

    def __init__(self, summary: Summary, base: Sequence[Path] = (), progress: Callable[[int], None] | None = None) -> None:
        from tracker.model import load_model

        self.model = load_model()
        self.summary = summary
        self.entities: dict[str, dict[str, str]] = {}
        self.sources: dict[str, dict[str, str]] = {}
        self.relations: dict[str, _Rel] = {}
        self._provisional: set[str] = set()
        self._progress = progress
        # Record accounting (see `tick`): rows added, merges, uses, and the open record's marks.
        self._new = self._merged = self._used = 0
        self._open = self._deferred = 0
        self._mark = (0, 0, 0, 0)
        self.base_jurisdictions: dict[str, bool | None] = {}
        # A column-wise importer (icij_columnar) may hand over finished tables instead of
        # records: `pending` writes them. `columnar` False asks for the record path; `refused`
        # says why the column-wise path left an import to the record path, and `notice`
        # (if given) is told so at once.
        self.columnar = True
        self.pending: Any = None
        self.refused = ""
        self.notice: Callable[[str], None] | None = None
        for root in base:
            self._read_base(Path(root))

    def _read_base(self, root: Path) -> None:
        from tracker.dataset import read_raw

        raw = read_raw(root)
        for row in raw.tables["entities"].rows:
            if row.get("kind") == "jurisdiction":
                off = row.get("offshore").lower()
                self.base_jurisdictions[row.get("id")] = True if off == "true" else False if off == "false" else None

    def tick(self, n: int = 1) -> None:
        """Count a record read (and let the caller show progress); it is open until the next.

        What the open record adds (new rows, merges, a use, a skip) decides its outcome when the
        next record starts or `finish` is called.
        """
        self._close()
        self.summary.read += n
        self._open = n
        self._mark = (self._new, self._merged, self._used, self.summary.skip_calls)
        if self._progress is not None:
            self._progress(self.summary.read)

    def defer(self) -> None:
        """Leave the open record's outcome to a later `record()` block (BODS, FtM occupancies)."""
        self._deferred += self._open
        self._open = 0

    @contextlib.contextmanager
    def record(self) -> Iterator[None]:
        """Settle the outcome of one deferred record by what the block adds."""
        self._close()
        self._deferred -= 1
        self._open = 1
        self._mark = (self._new, self._merged, self._used, self.summary.skip_calls)
        yield
        self._close()

    def used(self) -> None:
        """Mark the open record as used to complete other records (not a row of its own)."""
        self._used += 1

    def finish(self) -> None:
        """Settle the last open record; deferred records never settled count as unaccounted."""
        self._close()
        if self._deferred:
            self.summary.outcomes["unaccounted"] += self._deferred
            self._deferred = 0

    def settle(self) -> None:
        """Settle the open record now (before work that belongs to no record, such as write checks)."""
        self._close()

    def _close(self) -> None:
        if not self._open:
            return
        new, merged, used, skips = self._mark
        if self._new > new:
            outcome = "mapped"
        elif self._merged > merged:
            outcome = "merged"
        elif self._used > used:
            outcome = "used"
        elif self.summary.skip_calls > skips:
            outcome = "skipped"
        else:
            outcome = "unaccounted"
        self.summary.outcomes[outcome] += self._open
        self._open = 0

    # -- records -------------------------------------------------------------------------

    def source(self, ident: str, url: str, title: str, publisher: str, evidence: str, **extra: str) -> str:
        """Add a source row (once per id) and return its id."""
        if ident not in self.sources:
            row = {"id": ident, "url": url, "title": title, "publisher": publisher, "evidence": evidence}
            row.update({k: v for k, v in extra.items() if v})
            self.sources[ident] = row
        return ident

    def entity(self, ident: str, kind: str, name: str, record: str = "", provisional: bool = False, **values: Any) -> str:
        """Add an entity or merge into the one with the same id; returns the id.

        A second record with the same id fills the first's empty fields and adds its aliases,
        identifiers, topics and sources. `provisional` marks a name made up for an entity the
        data names only by number (a PSC company): a real name met later replaces it.
        """
        row = {"id": ident, "kind": kind, "name": clean_text(name, 1000), "record_id": clean_text(record, 500)}
        for k, v in values.items():
            if isinstance(v, (list, tuple, set)):
                row[k] = ";".join(dict.fromkeys(clean_text(x, 1000).replace(";", ",") for x in v if clean_text(x)))
            elif isinstance(v, bool):
                row[k] = "true" if v else "false"
            elif v is not None:
                row[k] = clean_text(v)
        if not row["name"]:
            row["name"] = ident
        if "sphere" not in row or not row["sphere"]:
            row["sphere"] = self.default_sphere(kind, row.get("country", ""))
        old = self.entities.get(ident)
        if old is None:
            self.entities[ident] = row
            self._new += 1
            if provisional:
                self._provisional.add(ident)
            return ident
        self._merged += 1
        if old["kind"] != kind and old["kind"] != "jurisdiction":
            if ident in self._provisional and not provisional:
                old["kind"] = kind
            elif not provisional:
                self.summary.skip(f"same id, different kind ({old['kind']} vs {kind}); kept the first", ident)
        if ident in self._provisional and not provisional and row["name"] != ident:
            old["name"] = row["name"]
            old["record_id"] = row["record_id"] or old.get("record_id", "")
            old["sphere"] = row["sphere"]
            self._provisional.discard(ident)
        for k, v in row.items():
            if not v or k in {"id", "kind", "name"}:
                continue
            if k in {"aliases", "identifiers", "topics", "sources"}:
                old[k] = ";".join(dict.fromkeys([*filter(None, old.get(k, "").split(";")), *v.split(";")]))
            elif not old.get(k):
                old[k] = v
        if row["name"] != old["name"] and not provisional and row["name"] != ident:
            aliases = [*filter(None, old.get("aliases", "").split(";")), row["name"]]
            old["aliases"] = ";".join(dict.fromkeys(a for a in aliases if a != old["name"]))
        return ident

    def default_sphere(self, kind: str, country: str) -> str:
        if kind in VEHICLE_KINDS and country and self.is_offshore(country):
            return "offshore"
        found = self.model.entity_kinds.get(kind)
        return found.sphere if found is not None else "other"

    def is_offshore(self, code: str) -> bool:
        if code in self.base_jurisdictions and self.base_jurisdictions[code] is not None:
            return bool(self.base_jurisdictions[code])
        return code in OFFSHORE

    def jurisdiction(self, code: str, source: str) -> str:
        """The id of the jurisdiction entity for an alpha-2 code (adding it unless --base has it)."""
        if code in self.base_jurisdictions:
            return code
        if code not in self.entities:
            self.entities[code] = {
                "id": code,
                "kind": "jurisdiction",
                "name": country_name(code),
                "sphere": "offshore" if code in OFFSHORE else "other",
                "country": code,
                "offshore": "true" if code in OFFSHORE else "false",
                "sources": source,
            }
        else:
            row = self.entities[code]
            if source and source not in row.get("sources", "").split(";") and row.get("sources", "").count(";") < 2:
                row["sources"] = ";".join(filter(None, [row.get("sources", ""), source]))
        return code

    def relation(self, ident: str, kinds: str | Sequence[str], source: str, target: str, record: str = "", **values: Any) -> None:
        """Add a relation; the first of `kinds` the schema allows between its ends is used."""
        cands = (kinds,) if isinstance(kinds, str) else tuple(kinds)
        vals: dict[str, str] = {}
        for k, v in values.items():
            if v is None or v == "" or v == ():
                continue
            if type(v) is list and len(v) == 1:  # the usual `sources=[one]`: what the join below gives
                vals[k] = str(v[0]) if v[0] else ""
            elif isinstance(v, (list, tuple)):
                vals[k] = ";".join(dict.fromkeys(str(x) for x in v if x))
            elif isinstance(v, float):
                vals[k] = str(int(v)) if v.is_integer() and abs(v) < 1e15 else repr(v)
            else:
                vals[k] = clean_text(v)
        if ident in self.relations:
            old = self.relations[ident]
            if (old.source, old.target, old.kinds) == (source, target, cands):
                old_vals = old.values
                merged = ";".join(dict.fromkeys([*old_vals.get("sources", "").split(";"), *vals.get("sources", "").split(";")]))
                old_vals["sources"] = merged.strip(";")
                old.values = old_vals
                self._merged += 1
                return
            self.summary.skip("duplicate relation id", ident)
            return
        self.relations[ident] = _Rel(ident, cands, source, target, vals, clean_text(record, 500))
        self._new += 1

    # -- writing -------------------------------------------------------------------------

    def _check_relations(self) -> Iterator[dict[str, str]]:
        """Yield the relations that pass, as rows in id order (one at a time: there may be millions)."""
        from tracker.dates import parse_partial

        relation_kinds = self.model.relation_kinds
        relation_fields = self.model.relation_fields
        entities, base, sources, relations = self.entities, self.base_jurisdictions, self.sources, self.relations
        for rid in sorted(relations):
            rel = relations[rid]
            source, target = rel.source, rel.target
            if source not in entities and source not in base:
                self.summary.skip("relation to an entity not in the import (dangling reference)", source)
                continue
            if target not in entities and target not in base:
                self.summary.skip("relation to an entity not in the import (dangling reference)", target)
                continue
            sk = self._kind(source)
            tk = self._kind(target)
            # A statement kind runs from an entity to itself (a declared-unknown owner); no other does.
            same = source == target
            chosen = next(
                (k for k in rel.kinds if k in relation_kinds and relation_kinds[k].allows(sk, tk) and relation_kinds[k].statement == same),
                None,
            )
            if chosen is None and same:
                self.summary.skip("relation from an entity to itself", rid)
                continue
            if chosen is None:
                self.summary.skip(f"{'/'.join(rel.kinds)} cannot run from a {sk} to a {tk}", rid)
                continue
            kind = relation_kinds[chosen]
            vals = rel.values
            cited_text = vals.get("sources", "")
            if ";" not in cited_text:  # one source, the usual case
                cited = [cited_text] if cited_text in sources else []
            else:
                cited = [s for s in cited_text.split(";") if s in sources]
            if not cited:
                self.summary.skip("relation without a known source", rid)
                continue
            vals["sources"] = ";".join(dict.fromkeys(cited))
            kind_fields = kind.fields
            for fname in [f for f in vals if f in relation_fields and f not in kind_fields]:
                del vals[fname]
            for fname in ("share", "share_min", "share_max"):
                if fname in vals:
                    try:
                        number = float(vals[fname])
                    except ValueError:
                        number = -1.0
                    if not 0 <= number <= 100:
                        self.summary.skip(f"{fname} outside 0-100 (dropped the field)", rid)
                        del vals[fname]
            if "share" in vals and ("share_min" in vals or "share_max" in vals):
                vals.pop("share_min", None)
                vals.pop("share_max", None)
            if "share_min" in vals and "share_max" in vals and float(vals["share_min"]) > float(vals["share_max"]):
                del vals["share_max"]
            if vals.get("start") and vals.get("end"):
                if parse_partial(vals["start"])[0] > parse_partial(vals["end"])[1]:
                    self.summary.skip("end before start (dropped the end)", rid)
                    del vals["end"]
            row = {"id": rid, "kind": chosen, "source": rel.source, "target": rel.target, "record_id": rel.record}
            row.update(vals)
            yield row

    def _kind(self, ident: str) -> str:
        row = self.entities.get(ident)
        return row["kind"] if row is not None else "jurisdiction"

    def write(self, out: Path, descriptor: dict[str, Any]) -> None:
        """Check the relations and write the four files of a dataset folder, atomically.

        Rows stream to each file as they are checked, in id order; nothing holds a second copy
        of the tables (at ICIJ scale, millions of rows).
        """
        from tracker.dataset import FILES, write_descriptor

        if self.pending is not None:
            self.pending.write(out, descriptor, self.summary)
            return
        used_sources: set[str] = set()

        def relations() -> Iterator[dict[str, str]]:
            for row in self._check_relations():
                used_sources.update(row["sources"].split(";"))
                yield row

        self._write_table(out / FILES["relations"], "relations", relations())
        known = self.sources
        for e in self.entities.values():
            cited = e.get("sources", "")
            if cited:
                kept = ";".join(s for s in cited.split(";") if s in known)
                if kept != cited:
                    e["sources"] = kept
                used_sources.update(filter(None, kept.split(";")))
            elif "sources" in e:
                e["sources"] = ""
        self._write_table(out / FILES["entities"], "entities", (self.entities[k] for k in sorted(self.entities)))
        self._write_table(out / FILES["sources"], "sources", (known[k] for k in sorted(known) if k in used_sources))
        # The summary lists the tables in the order the validator reads them.
        self.summary.written = {k: self.summary.written[k] for k in ("entities", "relations", "sources")}
        write_descriptor(out, descriptor)

    def _write_table(self, path: Path, name: str, rows: Iterable[dict[str, str]]) -> None:
        from tracker.dataset import RESOURCES
        from tracker.output import atomic_path

        cols = [s.name for s in RESOURCES[name]]
        text_at = [(i, c) for i, c in enumerate(cols) if c in _TEXT_FIELDS]
        blanks = [""] * len(cols)
        n = 0
        with atomic_path(path) as tmp, open(tmp, "w", encoding="utf-8", newline="") as fh:
            w = csv.writer(fh, lineterminator="\n")
            w.writerow(cols)
            for row in _dedupe(name, rows, self.summary):
                cells = list(map(row.get, cols, blanks))  # one C-level pass; text cells are then guarded
                for i, c in text_at:
                    v = cells[i]
                    # Only a cell that could start a formula is rewritten (aliases: any part).
                    if v and (v.startswith(FORMULA_START) or c == "aliases"):
                        cells[i] = _cell(c, v)
                w.writerow(cells)
                n += 1
        self.summary.written[name] = n


def _cell(column: str, value: str) -> str:
    if column in _TEXT_FIELDS:
        if not value:
            return value
        return ";".join(guard_formula(p) for p in value.split(";")) if column == "aliases" else guard_formula(value)
    return value


_VALUE = operator.itemgetter(1)


def _dedupe(name: str, rows: Iterable[dict[str, str]], summary: Summary) -> Iterator[dict[str, str]]:
    # The validator rejects two rows that differ only in their id; keep the first of such.
    # A 16-byte digest of each row's content stands for the row, so the set stays small.
    seen: set[bytes] = set()
    for row in rows:
        content = row.copy()
        content.pop("id", None)
        key = tuple(sorted(filter(_VALUE, content.items())))  # the non-empty (field, value) pairs but the id
        digest = hashlib.blake2b(repr(key).encode("utf-8", "surrogatepass"), digest_size=16).digest()
        if digest in seen:
            summary.skip(f"{name}: same content as another row", row["id"])
            continue
        seen.add(digest)
        yield row
