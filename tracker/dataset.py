"""Dataset folders: the on-disk format, reading it as text, and the typed records it becomes.

A dataset is a folder with `entities.csv`, `relations.csv`, `sources.csv` and a
`datapackage.yaml` descriptor (fields, keys, provenance, count assertions) in the spirit of a
Frictionless data package. The field list below is the one definition of the format: the
validator checks files against it and `write_descriptor` writes it for new datasets.

Reading keeps every cell as text, exactly as written (an empty cell stays ""), with the line
where each record starts, so that the validator can point at file, line and field. Typed
records (`Entity`, `Relation`, `Source`) are made only from rows that validated.
"""

from __future__ import annotations

import contextlib
import csv
import gc
import hashlib
import io
import operator
import sys
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from tracker.exc import InvalidData, RowError

__all__ = [
    "FORMAT",
    "RESOURCES",
    "columns",
    "FieldSpec",
    "Row",
    "Table",
    "RawDataset",
    "Entity",
    "Relation",
    "Source",
    "Dataset",
    "default_data_dir",
    "shipped_data_dir",
    "local_data_dir",
    "describe_default",
    "read_raw",
    "load",
    "split_list",
    "write_descriptor",
    "descriptor_text",
    "descriptor_dict",
    "content_hash",
    "gc_paused",
]

FORMAT = "tracker-dataset/1"
# The one CSV field-size limit of the process, set here once for every CSV the tool reads
# (datasets and bulk imports alike; tracker.importers.readers imports this module): cells up to
# 2 MB parse, so that the validator reports a long cell with its line and field, and a larger one
# fails with its line named. The standard library's default is 128 KB.
CSV_FIELD_LIMIT = 2 * 1024 * 1024
csv.field_size_limit(CSV_FIELD_LIMIT)
LIST_SEP = ";"


@dataclass(frozen=True)
class FieldSpec:
    """One column of a dataset file: its name, type, whether it is required, and what it means."""

    name: str
    type: str
    required: bool
    description: str


def _f(name: str, type_: str, required: bool, description: str) -> FieldSpec:
    return FieldSpec(name, type_, required, description)


# Types: id (a stable id), ref/refs (id(s) of another file), enum:<vocabulary>, text, list
# (";"-separated text), date (partial YYYY[-MM[-DD]]), number, boolean (true/false), url.
RESOURCES: dict[str, tuple[FieldSpec, ...]] = {
    "entities": (
        _f("id", "id", True, "Stable readable id, e.g. timur-kulibayev; lower case, digits, . _ : -"),
        _f("kind", "enum:entity_kind", True, "Entity kind from the schema (tracker schema)."),
        _f("name", "text", True, "The name most sources use."),
        _f("aliases", "list", False, "Other spellings: transliterations, Cyrillic forms, short forms; ';'-separated."),
        _f("sphere", "enum:sphere", True, "elite, company, london_finance, offshore or other."),
        _f("country", "country", False, "ISO 3166-1 alpha-2 code: nationality, seat, or the jurisdiction itself."),
        _f("topics", "list", False, "FollowTheMoney topic codes, e.g. role.pep;corp.offshore."),
        _f("offshore", "boolean", False, "For jurisdictions: true for a secrecy/offshore jurisdiction."),
        _f("placeholder", "boolean", False, "true for an unnamed or grouped entity standing in for unknown ones."),
        _f("birth_date", "date", False, "Date of birth or incorporation, partial allowed."),
        _f("identifiers", "list", False, "scheme:value identifiers, e.g. gb-coh:01234567; ';'-separated."),
        _f("sources", "refs:sources", False, "Sources for the entity itself (names, identifiers)."),
        _f("record_id", "text", False, "Id of the record in the dataset it was imported from."),
        _f("notes", "text", False, "A neutral note."),
    ),
    "relations": (
        _f("id", "id", True, "Stable relation id."),
        _f("kind", "enum:relation_kind", True, "Relation kind from the schema."),
        _f("source", "ref:entities", True, "Entity id at the start of the relation."),
        _f("target", "ref:entities", True, "Entity id at the end of the relation."),
        _f("role", "text", False, "Role, e.g. spouse, director, bookrunner, claimant."),
        _f("share", "number", False, "Exact percentage, 0-100."),
        _f("share_min", "number", False, "Lower bound of a share range, 0-100."),
        _f("share_max", "number", False, "Upper bound of a share range, 0-100."),
        _f("direct", "enum:direct", False, "direct or indirect."),
        _f("amount", "number", False, "Amount of money, plain decimal."),
        _f("currency", "currency", False, "ISO 4217 code, e.g. GBP."),
        _f("rank", "number", False, "Rank in an index."),
        _f("score", "number", False, "Score in an index."),
        _f("start", "date", False, "When the relation began (or the event's date), partial allowed."),
        _f("end", "date", False, "When it ended, partial allowed."),
        _f("evidence", "enum:evidence", False, "Evidence status of this claim; empty means the strongest of its sources."),
        _f("outcome", "text", False, "How a claim or case ended: discharged, dismissed, no charges, ..."),
        _f("refers_to", "refs:relations", False, "Relations this one answers or updates (a denial, a discharge)."),
        _f("sources", "refs:sources", True, "Source ids, ';'-separated: at least one."),
        _f("record_id", "text", False, "Id of the record in the dataset it was imported from."),
        _f("note", "text", False, "A neutral note: what the source says, paraphrased."),
    ),
    "sources": (
        _f("id", "id", True, "Stable source id."),
        _f("url", "url", True, "http(s) address of the page read."),
        _f("title", "text", True, "Title of the page or document."),
        _f("publisher", "text", True, "Who published it."),
        _f("date", "date", False, "Publication date, partial allowed."),
        _f(
            "date_precision",
            "enum:date_precision",
            False,
            "How the date is known: exact (a day shown), month, year (as shown), approximate (the page gives it "
            "only roughly) or not_shown (the page shows no date; the date is an estimate). Empty: as written.",
        ),
        _f("evidence", "enum:evidence", True, "Evidence status of the source."),
        _f("archived_url", "url", False, "An archived copy."),
        _f("mirror", "boolean", False, "true when the url is a mirror or republication, not the publisher's page."),
        _f("canonical_url", "url", False, "The publisher's own address, when the url is a mirror."),
        _f("language", "text", False, "Language code of the source, e.g. en, ru, kk."),
        _f("licence", "text", False, "Licence of imported data."),
        _f("retrieved", "date", False, "When the source was read or downloaded."),
        _f("notes", "text", False, "Caveats about the source."),
    ),
}

FILES = {name: f"{name}.csv" for name in RESOURCES}
DESCRIPTOR = "datapackage.yaml"


@dataclass(frozen=True, slots=True)
class Row:
    """One record of a data file as read: text cells and the line it starts on.

    Cells are a tuple beside a column index shared by every row of the file, which keeps a
    multi-million-row import within memory (a dict per row costs several times more).
    """

    file: str
    line: int
    cells: tuple[str, ...]
    columns: dict[str, int]

    def get(self, name: str) -> str:
        i = self.columns.get(name)
        return "" if i is None else self.cells[i]

    @property
    def values(self) -> dict[str, str]:
        return {name: self.cells[i] for name, i in self.columns.items()}


@dataclass
class Table:
    """A data file as read: its header and rows, or the errors that stopped it being read."""

    name: str
    path: Path
    header: list[str] = field(default_factory=list)
    rows: list[Row] = field(default_factory=list)


@dataclass
class RawDataset:
    """One dataset folder as text, before validation."""

    root: Path
    descriptor: dict[str, Any]
    tables: dict[str, Table]
    errors: list[RowError]

    @property
    def name(self) -> str:
        name = self.descriptor.get("name")
        return name if isinstance(name, str) and name else self.root.name


@dataclass(frozen=True, slots=True)
class Source:
    """Where a claim was read: the page, its publisher and date, and its evidence status."""

    id: str
    url: str
    title: str
    publisher: str
    date: str
    evidence: str
    archived_url: str = ""
    date_precision: str = ""
    mirror: bool = False
    canonical_url: str = ""
    language: str = ""
    licence: str = ""
    retrieved: str = ""
    notes: str = ""
    dataset: str = ""


@dataclass(frozen=True, slots=True)
class Entity:
    """A real-world person, company, firm, asset, jurisdiction or body."""

    id: str
    kind: str
    name: str
    sphere: str
    aliases: tuple[str, ...] = ()
    country: str = ""
    topics: tuple[str, ...] = ()
    offshore: bool | None = None
    placeholder: bool = False
    birth_date: str = ""
    identifiers: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()
    record_id: str = ""
    notes: str = ""
    dataset: str = ""

    @property
    def names(self) -> tuple[str, ...]:
        """The name followed by every alias."""
        return (self.name, *self.aliases)


@dataclass(frozen=True, slots=True)
class Relation:
    """A sourced claim that links two entities."""

    id: str
    kind: str
    source: str
    target: str
    sources: tuple[str, ...]
    evidence: str
    role: str = ""
    share: float | None = None
    share_min: float | None = None
    share_max: float | None = None
    direct: str = ""
    amount: float | None = None
    currency: str = ""
    rank: float | None = None
    score: float | None = None
    start: str = ""
    end: str = ""
    outcome: str = ""
    refers_to: tuple[str, ...] = ()
    record_id: str = ""
    note: str = ""
    dataset: str = ""


@dataclass
class Dataset:
    """One or more validated dataset folders combined, with lookups by id."""

    roots: list[Path]
    names: list[str]
    entities: dict[str, Entity]
    relations: dict[str, Relation]
    sources: dict[str, Source]
    content_hash: str
    warnings: list[RowError] = field(default_factory=list)

    @property
    def data_date(self) -> str:
        """The newest source date: the date the data speaks for (never the clock)."""
        dates = [s.date for s in self.sources.values() if s.date]
        return max(dates) if dates else ""


def load_yaml(text: str) -> Any:
    """Safe YAML through libyaml's C parser when PyYAML has it (ten times faster than the Python one:
    a second off every command's start on the shipped descriptor and schema), else the Python one.

    Examples
    --------
    >>> load_yaml("a: [1, two]")
    {'a': [1, 'two']}
    """
    import yaml  # here, not at the top: a query on the store reads no YAML (`tracker.model.load_model`)

    return yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))  # noqa: S506 - a safe loader


def shipped_data_dir() -> Path:
    """The curated dataset that ships with the tool: `datasets/` of a checkout, or the installed copy.

    A plain `pip install .` carries a copy inside the package (see pyproject's force-include).
    """
    here = Path(__file__).resolve().parent
    for candidate in (here.parent / "datasets", here / "datasets"):
        if (candidate / FILES["entities"]).is_file():
            return candidate
    raise InvalidData(f"the shipped dataset is missing: looked in {here.parent / 'datasets'} and {here / 'datasets'}")


def local_data_dir(cwd: Path | None = None) -> Path | None:
    """The dataset folder the user is working in: the current folder, or its `datasets/`, if either
    holds a `datapackage.yaml`; None elsewhere."""
    here = Path.cwd() if cwd is None else Path(cwd)
    for candidate in (here, here / "datasets"):
        if (candidate / DESCRIPTOR).is_file():
            return candidate
    return None


def default_data_dir(cwd: Path | None = None) -> Path:
    """The folder read when no `--data` is given: the dataset being edited here, else the shipped one.

    Inside a folder that holds a dataset (a `datapackage.yaml` in it or in its `datasets/`) the
    tool reads that folder, so that a fact added to `datasets/entities.csv` is seen after a plain
    `pip install .` (whose package carries its own, older copy). Elsewhere the shipped copy.
    """
    return local_data_dir(cwd) or shipped_data_dir()


def describe_default(cwd: Path | None = None) -> str:
    """One line saying which folder is read without `--data`, and why.

    Examples
    --------
    >>> import tempfile
    >>> d = Path(tempfile.mkdtemp())
    >>> _ = (d / "datapackage.yaml").write_text("name: x")
    >>> describe_default(d)
    'reading . (the dataset in the current folder; give --data to read another)'
    """
    local = local_data_dir(cwd)
    if local is not None:
        here = Path.cwd() if cwd is None else Path(cwd)
        shown = "." if local == here else str(local.relative_to(here))
        return f"reading {shown} (the dataset in the current folder; give --data to read another)"
    return f"reading {shipped_data_dir()} (the shipped dataset: no {DESCRIPTOR} here or in ./datasets)"


def split_list(text: str) -> tuple[str, ...]:
    """Split a ';'-separated cell into its non-empty, stripped parts, keeping order.

    Examples
    --------
    >>> split_list(" a; ;b "), split_list(""), split_list("one")
    (('a', 'b'), (), ('one',))
    """
    if not text:
        return ()
    if LIST_SEP not in text:
        part = text.strip()
        return (part,) if part else ()
    return tuple(p.strip() for p in text.split(LIST_SEP) if p.strip())


# Columns whose values are (nearly) unique per row: interning them would cost, not save.
_UNIQUE_COLUMNS = frozenset({"id", "name", "title", "url", "record_id", "aliases", "identifiers", "archived_url", "canonical_url"})


def _read_csv(table: Table, errors: list[RowError]) -> None:
    """Read one CSV file as text into `table`, recording (not raising) what is wrong with it."""
    fname = table.path.name
    try:
        raw = table.path.read_bytes()
    except OSError as exc:
        errors.append(RowError(fname, 0, "", "unreadable", f"cannot read file: {exc.strerror or exc}"))
        return
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]  # a UTF-8 byte-order mark, as Excel writes: harmless, drop it
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        errors.append(RowError(fname, line, "", "encoding", f"not valid UTF-8 (byte 0x{raw[exc.start]:02x} at offset {exc.start})"))
        return
    if "\x00" in text:
        line = text.count("\n", 0, text.index("\x00")) + 1
        errors.append(RowError(fname, line, "", "encoding", "contains a NUL byte: not a text CSV file"))
        return
    if not text or text.isspace():
        errors.append(RowError(fname, 1, "", "empty-file", "file is empty: expected a header row"))
        return
    del text  # the rows are parsed from the bytes as a stream: no second (four bytes a character) copy
    reader = csv.reader(io.TextIOWrapper(io.BytesIO(raw), encoding="utf-8", newline=""), strict=True)
    try:
        header = next(reader)
    except csv.Error as exc:
        errors.append(RowError(fname, 1, "", "malformed-csv", f"cannot parse header: {exc}"))
        return
    table.header = [h.strip() for h in header]
    seen: set[str] = set()
    for col in table.header:
        if col in seen:
            errors.append(RowError(fname, 1, col, "duplicate-column", f"column {col!r} appears more than once"))
        seen.add(col)
    if len(seen) != len(table.header):
        return
    start = reader.line_num + 1
    width = len(table.header)
    columns = {name: i for i, name in enumerate(table.header)}
    # Cells that repeat from row to row (kinds, roles, dates, the ids relations name, sources,
    # notes) are interned: one string object per distinct value. At millions of rows this is
    # most of the memory a table takes as text; columns unique per row are left alone.
    pooled = [i for i, name in enumerate(table.header) if name not in _UNIQUE_COLUMNS]
    intern = sys.intern
    try:
        for cells in reader:
            line = start
            start = reader.line_num + 1
            if not cells or (len(cells) == 1 and not cells[0].strip()):
                continue  # a blank line
            if len(cells) != width:
                errors.append(RowError(fname, line, "", "row-width", f"has {len(cells)} cells, the header has {width}"))
                continue
            values = list(map(str.strip, cells))
            for i in pooled:
                v = values[i]
                if v and len(v) < 300:
                    values[i] = intern(v)
            table.rows.append(Row(fname, line, tuple(values), columns))
    except csv.Error as exc:
        errors.append(RowError(fname, start, "", "malformed-csv", f"cannot parse CSV: {exc}"))


@contextlib.contextmanager
def gc_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector while millions of records are made.

    Reading, typing and building a large dataset allocate millions of small objects that live
    on, none of them in a reference cycle; each allocation burst triggers collections that
    rescan every older object, which measured about half the build time at 100k relations.
    Reference counting still frees everything as usual; the collector is resumed afterwards
    (if it was running).

    Examples
    --------
    >>> import gc
    >>> with gc_paused():
    ...     gc.isenabled()
    False
    >>> gc.isenabled()
    True
    """
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


def read_raw(root: Path) -> RawDataset:
    """Read a dataset folder as text. Never raises for bad content: problems become `errors`."""
    errors: list[RowError] = []
    descriptor: dict[str, Any] = {}
    if not root.is_dir():
        raise InvalidData(f"{root}: not a dataset folder (it does not exist or is not a folder)")
    dpath = root / DESCRIPTOR
    if dpath.is_file():
        import yaml

        try:
            loaded = load_yaml(dpath.read_text(encoding="utf-8-sig"))
        except (yaml.YAMLError, UnicodeDecodeError, OSError) as exc:
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            errors.append(RowError(DESCRIPTOR, 0, "", "bad-descriptor", f"cannot read descriptor: {first}"))
            loaded = {}
        if loaded is None:
            loaded = {}
        if not isinstance(loaded, dict):
            errors.append(RowError(DESCRIPTOR, 1, "", "bad-descriptor", "descriptor must be a YAML mapping"))
            loaded = {}
        descriptor = loaded
    tables: dict[str, Table] = {}
    for name, fname in FILES.items():
        table = Table(name, root / fname)
        if table.path.is_file():
            _read_csv(table, errors)
        else:
            errors.append(RowError(fname, 0, "", "missing-file", f"missing: a dataset folder needs {', '.join(FILES.values())}"))
        tables[name] = table
    return RawDataset(root, descriptor, tables, errors)


def _num(text: str) -> float | None:
    return float(text) if text else None


def _bool(text: str) -> bool | None:
    if not text:
        return None
    return text.lower() == "true"


# Values that repeat across millions of rows (kinds, spheres, countries, evidence, roles, dates,
# ids that relations name) are interned: one string object each instead of one per row.
_intern = sys.intern


def _refs(text: str) -> tuple[str, ...]:
    if LIST_SEP not in text:  # the common case, one id: no split, no generator
        part = text.strip()
        return (_intern(part),) if part else ()
    return tuple(map(_intern, split_list(text)))


_PAD = ("",)


def _getter(row: Row, names: tuple[str, ...]) -> Any:
    """A function from a row's cells (plus `_PAD`) to the cells of `names`, "" for absent columns."""
    width = len(row.cells)
    return operator.itemgetter(*(row.columns.get(n, width) for n in names))


def columns(resource: str, after: Mapping[str, Sequence[str]] | None = None, end: Sequence[str] = ()) -> tuple[str, ...]:
    """The columns of a resource in `RESOURCES` order, the one definition of a dataset's fields.

    Other tables that show a resource (the export's nodes, edges and sources) derive their
    columns from it: `after` inserts derived columns after a field, `end` appends some.

    Examples
    --------
    >>> columns("sources")[:6]
    ('id', 'url', 'title', 'publisher', 'date', 'date_precision')
    >>> columns("entities", after={"sources": ["citations"]}, end=["dataset"])[-5:]
    ('sources', 'citations', 'record_id', 'notes', 'dataset')
    """
    out: list[str] = []
    for spec in RESOURCES[resource]:
        out.append(spec.name)
        out.extend((after or {}).get(spec.name, ()))
    return (*out, *end)


def _record_columns(cls: type, resource: str) -> tuple[str, ...]:
    """A record class's fields (in its order, which its constructor takes), checked against `RESOURCES`."""
    names = tuple(f.name for f in fields(cls) if f.name != "dataset")
    if set(names) != set(columns(resource)):
        raise AssertionError(f"{cls.__name__} fields and RESOURCES[{resource!r}] differ: {sorted(set(names) ^ set(columns(resource)))}")
    return names


_ENTITY_COLS = _record_columns(Entity, "entities")
_SOURCE_COLS = _record_columns(Source, "sources")
_RELATION_COLS = _record_columns(Relation, "relations")


def _to_entities(rows: Sequence[Row], dataset: str) -> Iterable[Entity]:
    if not rows:
        return
    get = _getter(rows[0], _ENTITY_COLS)
    intern = _intern
    for row in rows:
        (ident, kind, name, sphere, aliases, country, topics, offshore, placeholder, birth_date, identifiers, cited, record_id, notes) = (
            get(row.cells + _PAD)
        )
        yield Entity(
            ident,
            intern(kind),
            name,
            intern(sphere),
            split_list(aliases),
            intern(country.lower()),
            _refs(topics),
            _bool(offshore),
            bool(_bool(placeholder)),
            intern(birth_date),
            split_list(identifiers),
            _refs(cited),
            record_id,
            notes,
            dataset,
        )


def _to_sources(rows: Sequence[Row], dataset: str) -> Iterable[Source]:
    if not rows:
        return
    get = _getter(rows[0], _SOURCE_COLS)
    intern = _intern
    for row in rows:
        (
            ident,
            url,
            title,
            publisher,
            date,
            evidence,
            archived_url,
            date_precision,
            mirror,
            canonical_url,
            language,
            licence,
            retrieved,
            notes,
        ) = get(row.cells + _PAD)
        yield Source(
            intern(ident),
            url,
            title,
            intern(publisher),
            intern(date),
            intern(evidence),
            archived_url,
            intern(date_precision),
            bool(_bool(mirror)),
            canonical_url,
            intern(language),
            intern(licence),
            intern(retrieved),
            intern(notes) if len(notes) < 1000 else notes,
            dataset,
        )


def _to_relations(rows: Sequence[Row], dataset: str, sources: dict[str, Source], ranks: dict[str, int]) -> Iterable[Relation]:
    if not rows:
        return
    get = _getter(rows[0], _RELATION_COLS)
    intern = _intern
    for row in rows:
        (
            ident,
            kind,
            source,
            target,
            cited_text,
            evidence,
            role,
            share,
            share_min,
            share_max,
            direct,
            amount,
            currency,
            rank,
            score,
            start,
            end,
            outcome,
            refers_to,
            record_id,
            note,
        ) = get(row.cells + _PAD)
        cited = _refs(cited_text)
        if not evidence:
            # The claim is as strong as the strongest source that carries it.
            if len(cited) == 1:
                evidence = sources[cited[0]].evidence
            else:
                evidence = max((sources[s].evidence for s in cited), key=lambda e: ranks.get(e, 0))
        yield Relation(
            ident,
            intern(kind),
            intern(source),
            intern(target),
            cited,
            intern(evidence),
            intern(role),
            float(share) if share else None,
            float(share_min) if share_min else None,
            float(share_max) if share_max else None,
            intern(direct),
            float(amount) if amount else None,
            intern(currency.upper()),
            float(rank) if rank else None,
            float(score) if score else None,
            intern(start),
            intern(end),
            outcome,
            _refs(refers_to) if refers_to else (),
            record_id,
            intern(note) if len(note) < 200 else note,
            dataset,
        )


def content_hash(roots: Iterable[Path]) -> str:
    """SHA-256 over the data files of the given folders (names and bytes), in a stable order."""
    h = hashlib.sha256()
    for root in roots:
        for fname in (*FILES.values(), DESCRIPTOR, "decisions.csv"):
            path = root / fname
            if path.is_file():
                h.update(fname.encode())
                h.update(b"\0")
                with path.open("rb") as fh:  # in blocks: an imported file can be gigabytes
                    for block in iter(lambda: fh.read(1 << 20), b""):
                        h.update(block)
                h.update(b"\0")
    return h.hexdigest()


def load(roots: Sequence[Path] | None = None) -> Dataset:
    """Read, validate and combine dataset folders into one typed `Dataset`.

    With no folders, the shipped curated dataset is used. Raises `InvalidData` carrying every
    error found when any folder fails validation; warnings travel on the result.
    """
    with gc_paused():
        return _load(roots)


def _load(roots: Sequence[Path] | None) -> Dataset:
    from tracker.model import load_model
    from tracker.validate import validate_raw

    folders = list(roots) if roots else [default_data_dir()]
    raws = [read_raw(Path(r)) for r in folders]
    report = validate_raw(raws)
    if not report.ok:
        n = len(report.errors)
        # Quote the cause: a file that cannot be read also fails the count assertions and leaves
        # references dangling, and those derived errors would otherwise come first.
        derived = {"assertion-failed", "dangling-reference"}
        first = next((e for e in report.errors if e.code not in derived), report.errors[0])
        raise InvalidData(f"{n} error{'s' if n != 1 else ''} in the data; first: {first}", report.errors)
    ranks = {name: s.rank for name, s in load_model().evidence_statuses.items()}
    entities: dict[str, Entity] = {}
    relations: dict[str, Relation] = {}
    sources: dict[str, Source] = {}
    # Each table's rows are dropped once converted, so that the text and the typed records of a
    # multi-million-row dataset are never both whole in memory.
    for raw in raws:
        for src in _to_sources(raw.tables["sources"].rows, raw.name):
            sources[src.id] = src
        raw.tables["sources"].rows = []
    for raw in raws:
        for ent in _to_entities(raw.tables["entities"].rows, raw.name):
            if ent.id in entities and ent.kind == "jurisdiction":
                continue  # a jurisdiction defined by several folders: the first definition wins
            entities[ent.id] = ent
        raw.tables["entities"].rows = []
        for rel in _to_relations(raw.tables["relations"].rows, raw.name, sources, ranks):
            relations[rel.id] = rel
        raw.tables["relations"].rows = []
    dataset = Dataset(
        roots=[r.root for r in raws],
        names=[r.name for r in raws],
        entities=entities,
        relations=relations,
        sources=sources,
        content_hash=content_hash(r.root for r in raws),
        warnings=report.warnings,
    )
    # Reviewed entity-resolution decisions (decisions.csv in a folder): merges only rows marked same.
    from tracker.match import apply_folder_decisions

    return apply_folder_decisions(dataset)


def descriptor_dict(
    name: str,
    title: str,
    description: str = "",
    licenses: list[dict[str, str]] | None = None,
    sources: list[dict[str, str]] | None = None,
    assertions: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """A complete descriptor for a dataset folder, with the field list of this format."""
    resources = []
    for res, specs in RESOURCES.items():
        fks = []
        for spec in specs:
            if spec.type.startswith(("ref:", "refs:")):
                fks.append({"fields": spec.name, "reference": {"resource": spec.type.split(":", 1)[1], "fields": "id"}})
        resources.append(
            {
                "name": res,
                "path": FILES[res],
                "format": "csv",
                "encoding": "utf-8",
                "schema": {
                    "fields": [{"name": s.name, "type": s.type, "required": s.required, "description": s.description} for s in specs],
                    "primaryKey": "id",
                    "foreignKeys": fks,
                },
            }
        )
    out: dict[str, Any] = {"name": name, "title": title, "format": FORMAT}
    if description:
        out["description"] = description
    out["licenses"] = licenses or []
    out["sources"] = sources or []
    out["resources"] = resources
    out["assertions"] = assertions or {}
    return out


def descriptor_text(descriptor: dict[str, Any]) -> str:
    """The text of `datapackage.yaml` (what `write_descriptor` writes)."""
    import yaml

    return str(yaml.safe_dump(descriptor, sort_keys=False, allow_unicode=True, width=100))


def write_descriptor(root: Path, descriptor: dict[str, Any]) -> Path:
    """Write `datapackage.yaml` into a dataset folder, atomically."""
    from tracker.output import write_text

    return write_text(root / DESCRIPTOR, descriptor_text(descriptor))
