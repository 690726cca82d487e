"""Importers: bulk public data (FtM, ICIJ, BODS, UK PSC) into a dataset folder of this project's format.

Each format has one module (`ftm`, `icij`, `bods`, `psc`) that reads its files as a stream and
hands records to a `DatasetWriter`. The writer is where the guarantees live, so that every
importer gets them the same way: ids match the id pattern and never collide, every record cites
a source that exists, relations whose ends are missing or whose kinds the schema does not allow
are skipped (and counted, with the reason), cells are cleaned (control characters, spreadsheet
formulas, over-long text), and the folder is written atomically in a sorted, byte-stable order.
A folder written here passes `tracker validate` on its own.

Provenance decisions (documented in the README):

- Every record carries its original id in `record_id` and cites a source row describing where it
  came from (the record's own page where the format gives one: an ICIJ node page, a Companies
  House PSC page; otherwise the dataset's).
- `retrieved` is `--retrieved DATE` if given, else the file's own date (PSC `ContentDate`, BODS
  `publicationDate`), else empty. Never the clock and never the file's modification time: both
  would make two imports of the same bytes differ.
"""

from __future__ import annotations

import csv
import functools
import hashlib
import json
import operator
import re
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from tracker.exc import InvalidData

__all__ = [
    "FORMATS",
    "OFFSHORE",
    "Meta",
    "Summary",
    "DatasetWriter",
    "run_import",
    "make_id",
    "slug",
    "clean_text",
    "clean_date",
    "country_code",
    "iter_json_records",
    "not_utf8",
    "open_csv",
]

# Format name -> module under tracker.importers that defines `read(paths, writer, meta)`.
FORMATS: dict[str, str] = {
    "bods": "tracker.importers.bods",
    "ftm": "tracker.importers.ftm",
    "icij": "tracker.importers.icij",
    "psc": "tracker.importers.psc",
}

# Offshore financial centres, ISO 3166-1 alpha-2 (lower case). Derived from: IMF, "Offshore
# Financial Centers", IMF Background Paper, 23 June 2000, Table 1 (the 46 jurisdictions assessed
# as OFCs); Labuan appears there as part of Malaysia and is left out, as is the dissolved
# Netherlands Antilles (an) kept for old records. Used only for importers' defaults (the
# jurisdiction's `offshore` flag and the `offshore` sphere of vehicles registered there); a
# curated jurisdiction row given with --base wins.
OFFSHORE: frozenset[str] = frozenset(
    """ad ag ai an aw bb bh bm bs bz cr ck cy dm gd gg gi hk ie im je kn ky lb lc li lu mc mh
    mo ms mt mu nr nu pa pw sc sg ch tc vc vg vu ws""".split()
)

# Entity kinds that are vehicles: registered in an offshore jurisdiction, they are in the
# offshore sphere rather than their kind's usual one.
VEHICLE_KINDS = frozenset({"company", "trust_or_foundation"})

_ID_BAD = re.compile(r"[^a-z0-9._:-]+")
_FORMULA_START = ("=", "+", "-", "@")
_TEXT_FIELDS = {"name", "aliases", "notes", "note", "title", "publisher", "role", "outcome"}
MAX_CELL = 10_000
MONTHS = {m: i for i, m in enumerate("jan feb mar apr may jun jul aug sep oct nov dec".split(), 1)}


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


@dataclass
class Summary:
    """What an import did: records read, mapped and skipped (with the reason per class)."""

    format: str = ""
    files: list[str] = field(default_factory=list)
    read: int = 0
    mapped: int = 0
    skipped: Counter[str] = field(default_factory=Counter)
    examples: dict[str, list[str]] = field(default_factory=dict)
    info: list[str] = field(default_factory=list)
    written: dict[str, int] = field(default_factory=dict)

    def skip(self, reason: str, example: str = "", count: int = 1) -> None:
        """Count a skipped record (or reference) under `reason`, keeping the first few ids."""
        self.skipped[reason] += count
        if example:
            seen = self.examples.setdefault(reason, [])
            if len(seen) < 5 and example not in seen:
                seen.append(example)

    def lines(self) -> list[str]:
        """The summary as lines for stderr, stable in order."""
        out = [f"{self.format}: read {self.read} records from {len(self.files)} file(s); mapped {self.mapped}"]
        if self.written:
            out.append("wrote " + ", ".join(f"{n} {k}" for k, n in self.written.items()))
        for reason in sorted(self.skipped):
            ex = self.examples.get(reason)
            tail = f" (e.g. {', '.join(ex)})" if ex else ""
            out.append(f"skipped {self.skipped[reason]}: {reason}{tail}")
        out.extend(self.info)
        return out


def slug(text: str) -> str:
    """A lower-case id fragment of `text`: ASCII, runs of other characters become '-'.

    Examples
    --------
    >>> slug("Federal Public Service Finance")
    'federal-public-service-finance'
    >>> slug("Қазақстан")
    'qazaqstan'
    """
    from rigour.text import ascii_text

    ascii_form = ascii_text(unicodedata.normalize("NFKC", text)) or ""
    return _ID_BAD.sub("-", ascii_form.lower()).strip("-._:")


def make_id(prefix: str, *parts: str) -> str:
    """A readable, collision-free id: `prefix:part:part`, lower-cased and sanitised.

    When sanitising loses information (upper case, other characters) a short hash of the
    original parts is appended, so that two original ids that differ only in case
    ("NK-Ab" and "NK-aB") never meet, and the id depends on the original alone (re-imports give
    the same ids, which a decisions file relies on).

    Examples
    --------
    >>> make_id("icij", "12000001")
    'icij:12000001'
    >>> make_id("ftm", "NK-2Tbri")
    'ftm:nk-2tbri-47150734'
    """
    raw = ":".join(parts)
    if all(p.isdigit() and p.isascii() for p in parts) and len(raw) + len(prefix) < 200:
        return f"{prefix}:{raw}"  # the common case of bulk data (numeric ids): nothing to clean
    clean = ":".join(_ID_BAD.sub("-", p.lower()).strip("-") or "x" for p in parts)
    ident = f"{prefix}:{clean}"
    lossy = clean != raw
    if lossy or len(ident) > 200:
        digest = hashlib.sha1(raw.encode("utf-8")).hexdigest()[:8]
        ident = f"{ident[:190]}-{digest}"
    return ident


def clean_text(value: Any, limit: int = MAX_CELL) -> str:
    """Text fit for a cell: NFC, no control characters but tab and newline, trimmed, bounded.

    Examples
    --------
    >>> clean_text(" Omega" + chr(0) + "Ltd" + chr(13) + chr(10)), clean_text("Cafe" + chr(0x301)) == "Caf" + chr(0xE9)
    ('Omega Ltd', True)
    """
    if value is None:
        return ""
    text = value if type(value) is str else str(value)
    # Most cells are printable (no control, format or line-separator characters) and already
    # NFC: for them cleaning is only a strip. This check runs in C and is what keeps a
    # multi-million-row import from spending most of its time here; the slow path is the rule.
    if text.isprintable() and (text.isascii() or unicodedata.is_normalized("NFC", text)):
        text = text.strip()
    else:
        text = unicodedata.normalize("NFC", text).replace("\r\n", "\n").replace("\r", "\n")
        text = "".join(c if (c >= " " or c in "\n\t") else " " for c in text).strip()
    if len(text) > limit:
        text = text[: limit - 1].rstrip() + "…"
    return text


def _guard_formula(text: str) -> str:
    # A cell starting with = + - @ runs as a formula in a spreadsheet (CSV injection); a leading
    # apostrophe is what spreadsheets themselves use to mark text.
    return "'" + text if text.startswith(_FORMULA_START) else text


def clean_date(value: Any) -> str:
    """A partial date (YYYY, YYYY-MM, YYYY-MM-DD) from the date forms bulk data uses, or "".

    Examples
    --------
    >>> clean_date("2019-09-11T11:17:23Z"), clean_date("20-JAN-2004"), clean_date("1961-12"), clean_date("n/a")
    ('2019-09-11', '2004-01-20', '1961-12', '')
    >>> clean_date("31/12/2010"), clean_date("2020-02-30")
    ('2010-12-31', '')
    """
    if type(value) is str:
        return _clean_date_cached(value)
    return _clean_date(value)


@functools.lru_cache(maxsize=1 << 16)
def _clean_date_cached(value: str) -> str:
    # Bulk data repeats the same few thousand dates millions of times.
    return _clean_date(value)


def _clean_date(value: Any) -> str:
    from tracker.dates import parse_partial

    text = clean_text(value, 64)
    if not text:
        return ""
    m = re.match(r"^(\d{4})(?:-(\d{1,2})(?:-(\d{1,2}))?)?(?:[T ].*)?$", text)
    if m:
        y, mo, d = m.groups()
        out = y + (f"-{int(mo):02d}" if mo else "") + (f"-{int(d):02d}" if d else "")
    else:
        m = re.match(r"^(\d{1,2})[-/. ]([A-Za-z]{3})[A-Za-z]*[-/. ](\d{4})$", text)
        if m and m.group(2).lower() in MONTHS:
            out = f"{m.group(3)}-{MONTHS[m.group(2).lower()]:02d}-{int(m.group(1)):02d}"
        else:
            m = re.match(r"^(\d{1,2})[/.](\d{1,2})[/.](\d{4})$", text)
            if not m:
                return ""
            out = f"{m.group(3)}-{int(m.group(2)):02d}-{int(m.group(1)):02d}"
    try:
        parse_partial(out)
    except ValueError:
        return ""
    return out


_COUNTRIES: frozenset[str] | None = None


def country_code(value: str) -> str:
    """An ISO 3166-1 alpha-2 code (lower case) for a code or name in any usual form, or "".

    Alpha-3 (ICIJ's "KAZ"), alpha-2, sub-national codes ("US-DE" -> "us") and names
    ("England" -> "gb") go through rigour's territory table.

    Examples
    --------
    >>> country_code("KAZ"), country_code("VGB"), country_code("US-DE"), country_code("England"), country_code("XXX")
    ('kz', 'vg', 'us', 'gb', '')
    """
    if value is None:
        return ""
    return _country_code(value) if type(value) is str else _country_code(str(value))


@functools.lru_cache(maxsize=1 << 14)
def _country_code(value: str) -> str:
    # Millions of rows name a few hundred countries; the territory lookup is the slow part.
    global _COUNTRIES
    from rigour.territories import get_territories, get_territory, lookup_territory

    if _COUNTRIES is None:
        _COUNTRIES = frozenset(t.code for t in get_territories() if len(t.code) == 2)
    text = clean_text(value, 200)
    if not text:
        return ""
    low = text.lower()
    if low in _COUNTRIES:
        return low
    terr = get_territory(low) if len(low) <= 3 else None
    if terr is None and "-" in low and low.split("-")[0] in _COUNTRIES:
        return low.split("-")[0]
    if terr is None:
        terr = lookup_territory(text)
    while terr is not None and terr.code not in _COUNTRIES:
        parent = terr.parent
        terr = parent if parent is not None and parent is not terr else None
    if terr is None:
        return ""
    return terr.code if terr.code in _COUNTRIES else ""


def country_name(code: str) -> str:
    from rigour.territories import get_territory

    terr = get_territory(code)
    return terr.name if terr is not None else code.upper()


def iter_json_records(path: Path, summary: Summary | None = None) -> Iterator[tuple[int, Any]]:
    """Yield (line, object) from a JSON-lines file or a JSON array file.

    JSON lines stream one line at a time. A JSON array (a file whose first character is '[')
    has to be read whole, then is walked one element at a time so that each keeps its line
    number. Bad JSON raises `InvalidData` naming the file and line.
    """
    try:
        yield from _json_records(path)
    except UnicodeDecodeError:
        raise not_utf8(path) from None


def _json_records(path: Path) -> Iterator[tuple[int, Any]]:
    name = path.name
    with _open_text(path) as fh:
        first = ""
        while True:
            ch = fh.read(1)
            if not ch or not ch.isspace():
                first = ch
                break
        if first == "[":
            text = "[" + fh.read()
            yield from _iter_array(text, name)
            return
        fh.seek(0)
        for lineno, line in enumerate(_lines(fh, name), 1):
            line = line.strip().rstrip(",")
            if not line or line in {"[", "]"}:
                continue
            try:
                yield lineno, json.loads(line)
            except json.JSONDecodeError as exc:
                raise InvalidData(f"{name}:{lineno}: not valid JSON: {exc.msg} (column {exc.colno})") from None


def _lines(fh: IO[str], name: str) -> Iterator[str]:
    while line := fh.readline():
        yield line


def utf8_error_line(path: Path) -> tuple[int, int]:
    """Line and byte value of the first invalid UTF-8 byte of a file.

    A text reader decodes in blocks, so the line it is on when decoding fails is not the line
    of the bad byte; this reads the bytes again (on the error path only) to find it.
    """
    import codecs

    decoder = codecs.getincrementaldecoder("utf-8")()
    line = 1
    with path.open("rb") as fh:
        while block := fh.read(1 << 16):
            try:
                decoder.decode(block)
            except UnicodeDecodeError as exc:
                return line + block.count(b"\n", 0, max(exc.start, 0)), block[exc.start] if exc.start < len(block) else 0
            line += block.count(b"\n")
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            pass
    return line, 0


def not_utf8(path: Path) -> InvalidData:
    """The one-line error for a file that is not UTF-8, naming the line of the first bad byte."""
    line, byte = utf8_error_line(path)
    return InvalidData(f"{path.name}:{line}: not valid UTF-8 (byte 0x{byte:02x}); save the file as UTF-8")


def _iter_array(text: str, name: str) -> Iterator[tuple[int, Any]]:
    decoder = json.JSONDecoder()
    pos = 1
    n = len(text)
    while True:
        while pos < n and (text[pos].isspace() or text[pos] == ","):
            pos += 1
        if pos >= n:
            raise InvalidData(f"{name}:{text.count(chr(10), 0, n) + 1}: not valid JSON: the array is not closed")
        if text[pos] == "]":
            return
        try:
            obj, end = decoder.raw_decode(text, pos)
        except json.JSONDecodeError as exc:
            raise InvalidData(f"{name}:{exc.lineno}: not valid JSON: {exc.msg} (column {exc.colno})") from None
        yield text.count("\n", 0, pos) + 1, obj
        pos = end


def _open_text(path: Path) -> IO[str]:
    try:
        return open(path, encoding="utf-8-sig", newline="")
    except OSError as exc:
        raise InvalidData(f"{path.name}: cannot read: {exc.strerror or exc}") from None


def open_csv(path: Path) -> tuple[list[str], Iterator[tuple[int, dict[str, str]]]]:
    """Open a CSV file for streaming: its header and an iterator of (line, row as dict).

    Quoted fields may span lines (ICIJ addresses do); the line is the one the record starts on.
    """
    csv.field_size_limit(1 << 24)
    fh = _open_text(path)
    reader = csv.reader(fh)
    name = path.name
    try:
        header = [h.strip().lstrip("\ufeff") for h in next(reader, [])]
    except csv.Error as exc:
        fh.close()
        raise InvalidData(f"{name}:1: cannot read the header: {exc}") from None
    except UnicodeDecodeError:
        fh.close()
        raise not_utf8(path) from None

    def rows() -> Iterator[tuple[int, dict[str, str]]]:
        start = reader.line_num + 1
        try:
            for cells in reader:
                line = start
                start = reader.line_num + 1
                if not cells or (len(cells) == 1 and not cells[0].strip()):
                    continue
                if len(cells) != len(header):
                    raise InvalidData(f"{name}:{line}: has {len(cells)} cells, the header has {len(header)}")
                yield line, dict(zip(header, cells))
        except csv.Error as exc:
            raise InvalidData(f"{name}:{start}: malformed CSV: {exc}") from None
        except UnicodeDecodeError:
            raise not_utf8(path) from None
        finally:
            fh.close()

    return header, rows()


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
        self.base_jurisdictions: dict[str, bool | None] = {}
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
        """Count records read (and let the caller show progress)."""
        self.summary.read += n
        if self._progress is not None:
            self._progress(self.summary.read)

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
            if provisional:
                self._provisional.add(ident)
            return ident
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
                return
            self.summary.skip("duplicate relation id", ident)
            return
        self.relations[ident] = _Rel(ident, cands, source, target, vals, clean_text(record, 500))

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
            if source == target:
                self.summary.skip("relation from an entity to itself", rid)
                continue
            sk = self._kind(source)
            tk = self._kind(target)
            chosen = next((k for k in rel.kinds if k in relation_kinds and relation_kinds[k].allows(sk, tk)), None)
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
                    if v and (v.startswith(_FORMULA_START) or c == "aliases"):
                        cells[i] = _cell(c, v)
                w.writerow(cells)
                n += 1
        self.summary.written[name] = n


def _cell(column: str, value: str) -> str:
    if column in _TEXT_FIELDS:
        if not value:
            return value
        return ";".join(_guard_formula(p) for p in value.split(";")) if column == "aliases" else _guard_formula(value)
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


def run_import(
    fmt: str,
    paths: Sequence[Path],
    out: Path,
    meta: Meta | None = None,
    base: Sequence[Path] = (),
    progress: Callable[[int], None] | None = None,
) -> Summary:
    """Import `paths` in format `fmt` into the dataset folder `out`; returns the summary.

    Raises `InvalidData` (one line, naming file and line) when a file is not in the format.
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
        return _run(module, fmt, paths, out, meta, base, progress, summary)


def _run(
    module: Any,
    fmt: str,
    paths: Sequence[Path],
    out: Path,
    meta: Meta,
    base: Sequence[Path],
    progress: Callable[[int], None] | None,
    summary: Summary,
) -> Summary:
    from tracker.dataset import descriptor_dict

    writer = DatasetWriter(summary, base=base, progress=progress)
    info: dict[str, Any] = module.read([Path(p) for p in paths], writer, meta)
    summary.mapped = len(writer.entities) + len(writer.relations)
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


def first(values: Iterable[Any]) -> str:
    """The first non-empty value as cleaned text, or ""."""
    for v in values:
        text = clean_text(v)
        if text:
            return text
    return ""
