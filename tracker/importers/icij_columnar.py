"""The ICIJ import column by column: pyarrow reads, maps and writes whole columns at a time.

The record path (`tracker.importers.icij`) makes a Python dict per node and a `_Rel` per link:
at 2 million generator nodes that cost about 240 s against pyarrow's 4 s bare read of the same
files. This path reads each file with pyarrow and maps the records column-wise: a value that
bulk data repeats (a country code, a date, a link type, a leak) is mapped once per distinct
value by the record path's own functions, a text cell goes through `clean_text` only when a
vectorised test cannot prove it already clean (printable Latin or Cyrillic without spaces at
the ends: `SIMPLE_RANGES`), and the
relations are checked (dangling ends, kinds allowed between the kinds at their ends, dates) on
whole columns. The rows are then written in id order, as the CSV module would write them
(each column put in that order once, by one gather, then written in slices), so that the folder and the summary are byte for byte the record path's
(tests/test_import_columnar.py compares the two on the fixtures and on generated data).

Memory is what bounds the size this path can take (10 million nodes in a 16 GB machine), so
each text is held once: the sources' ids and the nodes' citations are slices of the entities'
ids, a node's name is its source title's head, text columns stay the chunks they were made in,
repeated values are dictionaries, a link's end ids and record id are made only for the rows
kept, the files' columns are let go once mapped, a column put in id order replaces the
unordered one, and each table is let go once written (in batches of `_WRITE_ROWS` rows).

CPU, besides pyarrow's parse: gathers from columns of millions of rows and hashing or
sorting millions of ids, whose cost per row grows with the data once it leaves the caches.
Two things keep it near linear: no gather from a column of several chunks batch by batch
(pyarrow joins the chunks for each call), and the relation ids sorted mostly on integers
(`_text_order`).

The record path still handles what is rare and record-shaped, by falling back for the whole
import before anything is written (`read` returns False): a file the CSV module and pyarrow
could read differently (`tracker.compile`'s scan), a blank or unparsable line, a link row over
several lines (its line number could not be told), a node id that is not plain digits, a node
id given twice (entities merge field by field), a link type whose ids could meet another
link's, two relationship files whose links share ids. `DatasetWriter.refused` says which.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tracker.importers.cleaning import FORMULA_START, MAX_CELL, clean_date, clean_text, country_code, country_name, make_id
from tracker.importers.offshore import OFFSHORE

__all__ = ["read", "Refused"]

# Characters that are printable, not white space, not combining and NFC whatever follows them:
# printable ASCII, Latin-1 but the no-break space and soft hyphen, Latin Extended-A and -B, and
# Cyrillic but its combining marks (tests/test_import_columnar.py checks every one, and every pair).
# A cell of these, and inner spaces, without a space at either end, is what `clean_text` leaves
# as it is (Kazakh and Russian names included): the common case, tested in C.
SIMPLE_RANGES = ((0x21, 0x7E), (0xA1, 0xAC), (0xAE, 0x24F), (0x400, 0x482), (0x48A, 0x52F))
_CLASS = "".join(f"\\x{{{a:x}}}-\\x{{{b:x}}}" for a, b in SIMPLE_RANGES)
_SIMPLE = f"^(?:[{_CLASS}](?:[ {_CLASS}]*[{_CLASS}])?)?$"
_DIGITS = r"^[0-9]+$"
# Node ids longer than this would make some link ids pass 200 characters (make_id then hashes).
_MAX_NODE = 60
# Rows per batch when writing a table: the batch's cells and lines are the writer's memory
# (a source row is about 500 bytes of CSV; 64k rows, some 30 MB a copy).
_WRITE_ROWS = 1 << 16
# Relation ids in id order compared a slice of this many rows at a time (two with one id are
# neighbours; the slices overlap by one row).
_CHECK_ROWS = 1 << 20
# A jurisdiction's calls read this many at a time until it has its three sources.
_CALL_ROWS = 64
# Entity columns of a few distinct values (kinds, spheres, countries, dates): kept as dictionaries.
_ENCODED = frozenset({"kind", "sphere", "country", "birth_date"})
# A cell the CSV module quotes: the delimiter, the quote or the line terminator inside.
_NEEDS_QUOTE = b',"\n'


class Refused(Exception):  # noqa: N818 - control flow: the record path takes the import
    """The data needs the record path (the message says why)."""


# --- small column helpers ----------------------------------------------------------------------


def _pa() -> tuple[Any, Any]:
    import pyarrow as pa
    import pyarrow.compute as pc

    return pa, pc


def _flat(arr: Any) -> Any:
    pa, _ = _pa()
    if isinstance(arr, pa.ChunkedArray):
        return arr.combine_chunks() if arr.num_chunks != 1 else arr.chunk(0)
    return arr


def _const(value: str, n: int) -> Any:
    pa, _ = _pa()
    return pa.array([value] * n, type=pa.string()) if n < 16 else pa.repeat(pa.scalar(value), n)


# Columns already tested against `_SIMPLE` in this import, by id: (a weak reference to the
# column, its cells' test). A column is cleaned at several limits and again once mapped (a name
# three times); the character test, the costly part, is run once per column. The reference
# tells a live column from a new one that got a dead one's id.
_SIMPLE_SEEN: dict[int, tuple[Any, Any]] = {}


def _simple(col: Any) -> Any:
    import weakref

    _, pc = _pa()
    seen = _SIMPLE_SEEN.get(id(col))
    if seen is not None and seen[0]() is col:
        return seen[1]
    if pc.all(pc.string_is_ascii(col)).as_py():
        # ASCII only (ids, dates, notes, most names): printable, spaces inside only. The same
        # test as the pattern's, a quarter of its CPU.
        ends = pc.or_(pc.starts_with(col, " "), pc.ends_with(col, " "))
        test = pc.and_(pc.ascii_is_printable(col), pc.invert(ends))
    else:
        test = pc.match_substring_regex(col, _SIMPLE)
    _SIMPLE_SEEN[id(col)] = (weakref.ref(col), test)
    return test


def _clean(col: Any, limit: int = MAX_CELL) -> Any:
    """`clean_text(cell, limit)` of every cell; Python only for cells not provably clean."""
    pa, pc = _pa()
    col = _flat(col)
    # A cell of at most `limit` bytes has at most `limit` characters: the characters are counted
    # (a pass over every byte) only when some cell has more bytes than that.
    longest = pc.max(pc.binary_length(col)).as_py()
    ok = _simple(col) if longest is None or longest <= limit else pc.and_(_simple(col), pc.less_equal(pc.utf8_length(col), limit))
    bad = pc.invert(ok)
    if not pc.any(bad).as_py():
        return col
    values = pc.filter(col, bad).to_pylist()
    fixed = pa.array([clean_text(v, limit) for v in values], type=pa.string())
    return _flat(pc.replace_with_mask(col, bad, fixed))


def _dict(indices: Any, values: list[str]) -> Any:
    """A dictionary array of `values[i]` for each index, with each distinct value once.

    Columns that repeat a few values over millions of rows (kinds, roles, dates, leak notes)
    are kept this way, 4 bytes a row, and become text only a batch at a time when written.
    """
    import numpy as np

    pa, _ = _pa()
    uniq, inverse = (
        np.unique(np.asarray(values, dtype=object).astype(str), return_inverse=True)
        if values
        else (np.array([], str), np.array([], np.int32))
    )
    remap = np.asarray(inverse, dtype=np.int32)
    idx = remap[np.asarray(indices)] if len(values) else np.zeros(0, np.int32)
    return pa.DictionaryArray.from_arrays(pa.array(idx, pa.int32()), pa.array(list(uniq), pa.string()))


def _dconst(value: str, n: int) -> Any:
    import numpy as np

    return _dict(np.zeros(n, dtype=np.int64), [value])


def _mapped_dict(col: Any, fn: Callable[[str], str]) -> Any:
    """`fn` of every cell as a dictionary array, called once per distinct value."""
    pa, pc = _pa()
    col = _flat(col)
    uniq = pc.unique(col)
    return _dict(pc.index_in(col, value_set=uniq).to_numpy(zero_copy_only=False), [fn(v) for v in uniq.to_pylist()])


def _concat(arrays: list[Any], dictionary: bool = False) -> Any:
    """The parts as one column: dictionary parts (and any part beside one, and all parts of a
    `dictionary` column, even none) get one dictionary; text parts stay separate chunks of one
    column, not copied (a part may be another column's too, as a node's name is its source's
    title)."""
    import numpy as np

    pa, pc = _pa()
    arrays = [_flat(a) for a in arrays]
    if dictionary or any(pa.types.is_dictionary(a.type) for a in arrays):
        values: dict[str, int] = {}
        idx = []
        for a in arrays:
            if not pa.types.is_dictionary(a.type):
                a = pc.dictionary_encode(a)
            remap = np.array([values.setdefault(v, len(values)) for v in a.dictionary.to_pylist()] or [0], dtype=np.int32)
            idx.append(remap[np.asarray(a.indices)])
        return _dict(np.concatenate(idx) if idx else np.zeros(0, np.int32), list(values))
    return pa.chunked_array(arrays, type=pa.string())


def _mapped(col: Any, fn: Callable[[str], str]) -> Any:
    """`fn` of every cell, called once per distinct value."""
    pa, pc = _pa()
    col = _flat(col)
    uniq = pc.unique(col)
    out = pa.array([fn(v) for v in uniq.to_pylist()], type=pa.string())
    return _flat(out.take(pc.index_in(col, value_set=uniq)))


def _mapped2(a: Any, b: Any, fn: Callable[[str, str], str]) -> Any:
    """`fn` of every pair of cells, called once per distinct pair (cells hold no NUL: scanned)."""
    _, pc = _pa()
    key = pc.binary_join_element_wise(a, b, "\x00")
    return _mapped(key, lambda k: fn(*k.split("\x00", 1)))


class _Countries:
    """`country_code` and `country_name` with their answers kept on disk between imports.

    The first lookup of a country *name* ("British Virgin Islands") makes rigour build its
    table of territory names: 2 to 30 seconds by the machine's load, more than the rest of a
    100k-node import. The answers depend only on the value, rigour's version and the cleaning
    code, so they are kept in the store folder (a cache, deleted with it) under those three.
    """

    def __init__(self) -> None:
        import hashlib
        import json
        from importlib.metadata import version

        from tracker.store import store_root

        self.path = store_root() / "country-lookups.json"
        cleaning = (Path(__file__).parent / "cleaning.py").read_bytes()
        self.key = f"rigour {version('rigour')}; cleaning {hashlib.sha256(cleaning).hexdigest()[:16]}"
        self.codes: dict[str, str] = {}
        self.names: dict[str, str] = {}
        self.added = False
        try:
            kept = json.loads(self.path.read_text(encoding="utf-8"))
            if kept.get("key") == self.key:
                self.codes, self.names = dict(kept["codes"]), dict(kept["names"])
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            pass

    def code(self, value: str) -> str:
        found = self.codes.get(value)
        if found is None:
            found = self.codes[value] = country_code(value)
            self.added = True
        return found

    def name(self, code: str) -> str:
        found = self.names.get(code)
        if found is None:
            found = self.names[code] = country_name(code)
            self.added = True
        return found

    def save(self) -> None:
        import json
        import os

        if not self.added:
            return
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            tmp = self.path.with_name(f".{self.path.name}.{os.getpid()}.tmp")
            tmp.write_text(json.dumps({"key": self.key, "codes": self.codes, "names": self.names}, ensure_ascii=False), encoding="utf-8")
            tmp.replace(self.path)
        except OSError:
            pass  # a cache: the next import looks the values up again


def _nonempty(col: Any) -> Any:
    _, pc = _pa()
    return pc.greater(pc.binary_length(col), 0)  # (bytes, read from the offsets: characters are counted)


def _first_of(*cols: Any) -> Any:
    """Cell-wise the first non-empty of the columns (`a or b`)."""
    _, pc = _pa()
    out = cols[-1]
    for col in reversed(cols[:-1]):
        out = pc.if_else(_nonempty(col), col, out)
    return _flat(out)


def _join_parts(parts: list[Any], sep: str) -> Any:
    """Cell-wise `sep.join(p for p in parts if p)`."""
    _, pc = _pa()
    # (binary_join_element_wise's null_handling="skip" miscounts rows when a column is all null.)
    out = parts[0]
    for part in parts[1:]:
        joined = pc.binary_join_element_wise(out, part, sep)
        out = pc.if_else(_nonempty(part), pc.if_else(_nonempty(out), joined, part), out)
    return _flat(out)


def _labelled(label: str, col: Any) -> Any:
    """Cell-wise f"{label}: {value}" where the value is not empty, else ""."""
    _, pc = _pa()
    return _flat(pc.if_else(_nonempty(col), pc.binary_join_element_wise(label + ":", col, " "), col))


# --- reading -------------------------------------------------------------------------------------


@dataclass
class _File:
    layout: str
    path: Path
    header: list[str]


def _files(paths: Sequence[Path]) -> list[_File]:
    import csv

    from tracker.importers.icij import _ORDER, _layout

    files: list[Path] = []
    for p in paths:
        if p.is_dir():
            files.extend(sorted(q for q in p.iterdir() if q.suffix.lower() == ".csv"))
        else:
            files.append(p)
    found = []
    for f in files:
        with open(f, encoding="utf-8-sig", newline="") as fh:
            header = [h.strip().lstrip("\ufeff") for h in next(csv.reader(fh), [])]
        if len(set(header)) != len(header):
            raise Refused(f"{f.name}: a column named twice")
        found.append(_File(_layout(header, f.name), f, header))
    found.sort(key=lambda x: (_ORDER.index(x.layout), x.path.name))
    return found


def _table(f: _File, wanted: Iterable[str]) -> dict[str, Any]:
    """The file's columns that the import reads, as text ("" for a column the file lacks)."""
    import csv

    import pyarrow as pa

    from tracker.compile import _Refused, _scan

    try:
        lines = _scan(f.path)
    except _Refused as exc:
        raise Refused(str(exc)) from None
    except UnicodeDecodeError:
        raise Refused(f"{f.path.name}: not UTF-8") from None
    with open(f.path, encoding="utf-8-sig", newline="") as fh:
        raw = next(csv.reader(fh), [])
    present = [c for c in wanted if c in f.header]
    include = [raw[f.header.index(c)] for c in present]
    try:
        table = _read(f.path, raw, include)
    except pa.ArrowException as exc:
        raise Refused(f"{f.path.name}: pyarrow cannot read it as the CSV module does: {exc}") from None
    n = table.num_rows
    cols = {c: _flat(table.column(r)) for c, r in zip(present, include)}
    for c in wanted:
        if c not in cols:
            cols[c] = None
    cols["__rows__"] = n
    cols["__lines__"] = lines
    return cols


def _read(path: Path, raw: list[str], include: list[str]) -> Any:
    import pyarrow as pa
    import pyarrow.csv as pv

    return pv.read_csv(
        path,
        read_options=pv.ReadOptions(block_size=1 << 24),
        parse_options=pv.ParseOptions(newlines_in_values=True, ignore_empty_lines=True),
        convert_options=pv.ConvertOptions(column_types=dict.fromkeys(raw, pa.string()), strings_can_be_null=False, include_columns=include),
    )


def _col(cols: dict[str, Any], name: str) -> Any:
    value = cols[name]
    return value if value is not None else _const("", cols["__rows__"])


def _lines(f: _File, rows: int, lines: int) -> Callable[[int], str]:
    """`file:line` of row i: refused unless every record is one line (the usual case): the
    file's `lines` (`compile._scan`'s count) are its rows and the header."""
    if lines != rows + 1:
        raise Refused(f"{f.path.name}: a record over several lines, or a blank line")
    return lambda i: f"{f.path.name}:{i + 2}"


# --- the import ----------------------------------------------------------------------------------


class _Skips:
    """Skips in the record path's order: each reason's count and its first five distinct examples."""

    def __init__(self) -> None:
        self.items: list[tuple[str, list[str], int]] = []

    def add(self, reason: str, examples: Iterable[str], count: int) -> None:
        if count:
            seen: list[str] = []
            for ex in examples:
                if ex not in seen:
                    seen.append(ex)
                    if len(seen) == 5:
                        break
            self.items.append((reason, seen, count))

    def masked(self, reason: str, mask: Any, example: Callable[[Any], list[str]]) -> None:
        """A skip for every true cell of `mask`; `example(indices)` names the first few."""
        import numpy as np

        idx = np.flatnonzero(np.asarray(mask))
        if idx.size:
            self.add(reason, example(idx[:64]), int(idx.size))

    def apply(self, summary: Any) -> None:
        for reason, examples, count in self.items:
            for ex in examples:
                summary.skip(reason, ex, 0)
            summary.skipped[reason] += count


@dataclass
class _Parts:
    """Columns gathered over the files, concatenated at the end."""

    entities: list[dict[str, Any]]
    sources: list[dict[str, Any]]
    relations: list[dict[str, Any]]
    calls: list[tuple[Any, Any]]  # (jurisdiction code, citing source) in the record path's call order
    # Node numbers as integers, beside the chunks above (`_numbers`): each kept node's, and each
    # relation's ends' (-1 for an end that is no node number, such as a jurisdiction's code).
    # None once a node id is not one: the ends are then looked up as text.
    node_numbers: list[Any] | None = field(default_factory=list)
    end_numbers: list[tuple[Any, Any]] = field(default_factory=list)
    # Whether every node's source title begins with the node's name itself (the same array).
    titles_are_names: bool = True


def read(paths: Sequence[Path], writer: Any, meta: Any) -> bool:
    """Import column-wise into `writer` (its `pending` tables); False when the record path must."""
    return attempt(_import, paths, writer, meta)


def attempt(run: Callable[[list[Path], Any, Any], _Pending], paths: Sequence[Path], writer: Any, meta: Any) -> bool:
    """Run a column-wise import into `writer`: its tables become `writer.pending`, or, when it
    refuses (rare data, bytes it cannot read), `writer.refused` says why and False tells the
    caller to take the record path. Shared by the ICIJ and PSC column-wise imports."""
    try:
        pending = run(list(paths), writer, meta)
    except (Refused, UnicodeDecodeError, OSError) as exc:
        writer.refused = str(exc)
        if writer.notice is not None and _bytes(paths) > NOTICE_ABOVE_BYTES:
            writer.notice(
                f"{writer.summary.format}: read record by record, not column-wise ({writer.refused}): "
                "slower and several times the memory on bulk data"
            )
        return False
    writer.pending = pending
    return True


# Above this many bytes of input, taking the record path is said at once (`DatasetWriter.notice`):
# bulk data then takes several times the time and memory. Below it nobody waits, and bad input
# gets the record path's one-line error alone.
NOTICE_ABOVE_BYTES = 50_000_000


def _bytes(paths: Sequence[Path]) -> int:
    files = [q for p in paths for q in (p.iterdir() if p.is_dir() else [p])]
    return sum(q.stat().st_size for q in files if q.is_file())


def _import(paths: list[Path], writer: Any, meta: Any) -> _Pending:
    from concurrent.futures import ThreadPoolExecutor

    _SIMPLE_SEEN.clear()
    ahead = ThreadPoolExecutor(1, thread_name_prefix="icij-links-read")
    try:
        return _import_files(paths, writer, meta, ahead)
    finally:
        # (On a refusal the record path starts once a read or mapping ahead still running has
        # ended: it cannot be stopped midway, and it holds its file's columns until then.)
        ahead.shutdown(wait=True, cancel_futures=True)
        _SIMPLE_SEEN.clear()


#: The node files' columns the import reads.
_NODE_COLUMNS = [
    "node_id",
    "name",
    "address",
    "country_codes",
    "sourceID",
    "valid_until",
    "note",
    "company_type",
    "type",
    "jurisdiction",
    "jurisdiction_description",
    "incorporation_date",
    "original_name",
    "former_name",
    "status",
    "struck_off_date",
    "inactivation_date",
    "closed_date",
    "service_provider",
    "ibcRUC",
]

#: The links files' columns the import reads.
_LINK_COLUMNS = ["node_id_start", "node_id_end", "rel_type", "link", "start_date", "end_date"]


def _import_files(paths: list[Path], writer: Any, meta: Any, ahead: Any) -> _Pending:
    """The import; `ahead` (an executor of one thread) reads the first links file (checked and
    parsed: `_table`), then the node files after the first, then maps that links file but for
    what needs the nodes (`_links_map`), while this thread maps the nodes. The 2M bench's links
    file is half of the input: mapped after the nodes, on this thread, it left the other core
    idle. A refusal is raised in turn, each file's when this thread takes its columns or its
    mapping: the nodes' in file order, then the links' (the record path is told the same
    reason as before)."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    from tracker.importers.icij import _leak

    files = _files(paths)
    links = [f for f in files if f.layout == "relationships"]
    countries = _Countries()
    skips = _Skips()
    info: list[str] = []
    parts = _Parts([], [], [], [])
    read_count = mapped = merged = skipped = 0
    node_ids: list[Any] = []
    node_numbers: list[Any] = []  # (every node's, named or not)
    address_ids: list[Any] = []

    first_read = ahead.submit(_table, links[0], _LINK_COLUMNS) if links else None
    node_files = [f for f in files if f.layout != "relationships"]
    # The node files after the first are read by the same thread, after the links file, while
    # this one maps the first (the 2M bench's entities file: about 3 s): their reads leave this
    # thread's path. Each is held until mapped (at 2M, the columns of 150 MB of files).
    read_ahead = [ahead.submit(_table, f, _NODE_COLUMNS) for f in node_files[1:]]
    # Then it maps the first links file, but for what needs the nodes (`_links_map`).
    first_mapped = ahead.submit(lambda: _read_links(links[0], first_read.result())) if first_read is not None else None
    for i, f in enumerate(node_files):
        layout = f.layout
        if layout == "addresses" and "name" not in f.header:
            info.append(f"{f.path.name}: older (2016) address layout recognised")
        cols = read_ahead.pop(0).result() if i else _table(f, _NODE_COLUMNS)  # (popped: its columns go once mapped)
        n = cols["__rows__"]
        read_count += n
        if not n:
            continue
        node = _col(cols, "node_id")
        node_digits = _digits(node)
        if not node_digits.all() or pc.max(pc.utf8_length(node)).as_py() > _MAX_NODE:
            raise Refused(f"{f.path.name}: a node_id that is not plain digits")
        ident = _flat(pc.binary_join_element_wise("icij", node, ":"))
        node_ids.append(ident)
        number = _numbers(node, node_digits)
        node_numbers.append(number)
        if not bool((number >= 0).all()):
            parts.node_numbers = None
        # The source row, made for every node (cited only by those that become entities).
        leak_key = pc.dictionary_encode(pc.binary_join_element_wise(_col(cols, "sourceID"), _col(cols, "valid_until"), "\x00"))
        leak_idx = np.asarray(leak_key.indices)
        leaks = [_leak(*k.split("\x00", 1)) for k in leak_key.dictionary.to_pylist()]
        del leak_key
        # The title's tail names the leak: one text per leak, joined to the name when written.
        title_tail = _dict(leak_idx, [f" - ICIJ Offshore Leaks Database ({x[0]})" for x in leaks])
        year = _dict(leak_idx, [x[1] for x in leaks])
        leak_notes = _dict(leak_idx, [x[2] for x in leaks])
        name_full = _clean(_col(cols, "name"))
        title_name = _first_of(name_full, _clean(_col(cols, "address"), 120))
        # Countries: each ';'-part of country_codes, kept in order where it names one.
        cc = _col(cols, "country_codes")
        split = pc.split_pattern(cc, ";")
        parent = pc.list_parent_indices(split).to_numpy()
        code_all = _mapped(_flat(pc.list_flatten(split)), countries.code)
        keep = _nonempty(code_all).to_numpy(zero_copy_only=False)
        code_parent = parent[keep]
        codes = _flat(pc.filter(code_all, pa.array(keep)))
        first_code = np.full(n, -1, dtype=np.int64)
        if len(code_parent):
            starts = np.flatnonzero(np.r_[True, code_parent[1:] != code_parent[:-1]])
            first_code[code_parent[starts]] = starts
        codes0 = (
            _flat(pc.if_else(pa.array(first_code >= 0), codes.take(pa.array(np.maximum(first_code, 0))), ""))
            if len(codes)
            else _const("", n)
        )

        ent: dict[str, Any] = {}
        if layout == "addresses":
            text = _clean(_col(cols, "address"), 1000)
            text = _collapse_spaces(text)
            name = _first_of(text, _clean(_col(cols, "name"), 1000))
            kind = _const("address", n)
            country = codes0
            sphere = _const("other", n)
            notes = _const("", n)
            skip_reason = "addresses node without an address"
        else:
            name = _clean(_col(cols, "name"), 1000)
            skip_reason = f"{layout} node without a name"
            note_parts = [_clean(_col(cols, "note"))]
            if layout in {"entities", "others"}:
                ct_raw = _col(cols, "company_type")
                ctype = _clean(pc.if_else(_nonempty(ct_raw), ct_raw, _col(cols, "type")))
                kind = _mapped(ctype, _trust_kind)
                jur = _mapped2(
                    _col(cols, "jurisdiction_description"), _col(cols, "jurisdiction"), lambda d, j: countries.code(d) or countries.code(j)
                )
                country = _first_of(jur, codes0)
                ent["birth_date"] = _mapped(_col(cols, "incorporation_date"), clean_date)
                ent["aliases"] = _aliases(name, _col(cols, "original_name"), _col(cols, "former_name"))
                for label, key in (
                    ("status", "status"),
                    ("company type", "company_type"),
                    ("struck off", "struck_off_date"),
                    ("inactivated", "inactivation_date"),
                    ("closed", "closed_date"),
                    ("service provider", "service_provider"),
                ):
                    note_parts.append(_labelled(label, _clean(_col(cols, key))))
                ibc = _col(cols, "ibcRUC")
                ident_text = _clean(pc.binary_join_element_wise("ibc", _clean(ibc), ":"), 1000)
                ent["identifiers"] = _flat(pc.if_else(_nonempty(ibc), pc.replace_substring(ident_text, ";", ","), ""))
            else:
                kind = _firm_kind(name, "professional_firm" if layout == "intermediaries" else "company")
                country = codes0
                if layout == "intermediaries":
                    address = _col(cols, "address")
                    note_parts.append(_flat(pc.if_else(_nonempty(_clean(address)), _labelled("address", _clean(address, 500)), "")))
            notes = _clean(_join_parts(note_parts, "; "))
            sphere = _spheres(kind, country, writer)
        name = _clean(name, 1000)
        if layout != "addresses" and pc.all(pc.equal(name, title_name)).as_py():
            title_name = name  # the same text (no name over 1000 characters): kept once
        else:
            parts.titles_are_names = False
        named = _nonempty(name)
        named_np = np.asarray(named)
        every = bool(named_np.all())  # (bulk data: every node has a name; nothing to filter)
        missing = ~named_np
        skips.masked(skip_reason, missing, lambda idx: [str(x) for x in node.take(pa.array(idx)).to_pylist()])
        mapped += int(named_np.sum())
        skipped += int(missing.sum())
        if layout == "addresses":
            address_ids.append(ident if every else _flat(pc.filter(ident, named)))
        # (url, publisher, evidence, licence and retrieved are made at writing: see _finish.)
        # The rows kept are each column filtered once: a column named twice (the id, the name
        # that is also the title's head) is one array. Repeated values are dictionaries.
        kept: dict[tuple[int, bool], Any] = {}

        def keep(col: Any, encode: bool = False) -> Any:
            key = (id(col), encode)
            if key not in kept:
                kept[key] = _flat(col) if every else _flat(pc.filter(col, named))
                if encode and not pa.types.is_dictionary(col.type):
                    kept[key] = pc.dictionary_encode(kept[key])
            return kept[key]

        # (A source's id is its entity's, taken from the entities when finished.)
        src_cols = {"title_name": title_name, "title_tail": title_tail, "date": year, "notes": leak_notes}
        parts.sources.append({k: keep(v) for k, v in src_cols.items()})
        ent_cols = {
            "id": ident,
            "kind": kind,
            "name": name,
            "sphere": sphere,
            "country": country,
            "record_id": node,
            "notes": notes,
            **ent,
        }
        parts.entities.append({k: keep(v, encode=k in _ENCODED) for k, v in ent_cols.items()})
        if parts.node_numbers is not None:
            parts.node_numbers.append(number if every else number[named_np])
        kept.clear()
        # Relations to jurisdictions: registered_in (entities, others), then located_in for each
        # country code (but the registered one), in the order the record path adds them.
        row_ids = np.arange(n, dtype=np.int64)
        code_rows = code_parent
        if layout in {"entities", "others"}:
            has_country = named_np & np.asarray(_nonempty(country))
            reg_rows = row_ids[has_country]
            reg_codes = _flat(country.take(pa.array(reg_rows)))
            _add_relations(
                parts,
                ids=pc.binary_join_element_wise(ident.take(pa.array(reg_rows)), "registered-in", ":"),
                kind="registered_in",
                rows=reg_rows,
                order=reg_rows * 2,
                ident=ident,
                node=node,
                number=number,
                target=reg_codes,
                role=None,
            )
            country_of_code = country.take(pa.array(code_rows))
            same = np.asarray(pc.equal(codes, country_of_code))
            sel = named_np[code_rows] & ~same
        else:
            sel = named_np[code_rows]
        loc_rows = code_rows[sel]
        loc_codes = _flat(pc.filter(codes, pa.array(sel)))
        if len(loc_rows) > 1:
            # A code named twice by one node ("KAZ;KAZ") is one relation (the record path merges).
            enc = pc.dictionary_encode(loc_codes)
            key = loc_rows * (len(enc.dictionary) + 1) + np.asarray(enc.indices)
            _, firsts = np.unique(key, return_index=True)
            if len(firsts) != len(key):
                firsts = np.sort(firsts)
                loc_rows = loc_rows[firsts]
                loc_codes = _flat(loc_codes.take(pa.array(firsts)))
        _add_relations(
            parts,
            ids=pc.binary_join_element_wise(ident.take(pa.array(loc_rows)), "located-in", loc_codes, ":"),
            kind="located_in",
            rows=loc_rows,
            order=loc_rows * 2 + 1,
            ident=ident,
            node=node,
            number=number,
            target=loc_codes,
            role="address country",
        )
        # Jurisdiction calls in order: per row, the registered country first, then the codes.
        if layout in {"entities", "others"}:
            keys = np.r_[reg_rows * 2, loc_rows * 2 + 1]
            order = np.argsort(keys, kind="stable")
            jcodes = pa.concat_arrays([reg_codes, loc_codes]).take(pa.array(order))
            jrows = np.r_[reg_rows, loc_rows][order]
        else:
            jcodes, jrows = loc_codes, loc_rows
        parts.calls.append((jcodes, _flat(ident.take(pa.array(jrows)))))

    # Node ids must be unique: a second record with the same id merges field by field. Where
    # every id has a node number (`_numbers`), two ids are equal exactly when their numbers are:
    # those are sorted and neighbours compared (2 million ids' text hashed took 0.6 s of CPU at
    # 2M nodes, their numbers hashed about as much: the hash table is out of the caches).
    all_numbers = np.concatenate([np.zeros(0, np.int64), *node_numbers])
    if len(all_numbers) and bool((all_numbers >= 0).all()):
        all_numbers.sort()
        if bool((all_numbers[1:] == all_numbers[:-1]).any()):
            raise Refused("a node_id given twice")
    else:
        all_ids = pa.chunked_array(node_ids, type=pa.string()) if node_ids else pa.chunked_array([], type=pa.string())
        # (pc.unique: half the CPU of pc.count_distinct on 2 million ids.)
        if len(all_ids) and len(pc.unique(all_ids)) != len(all_ids):
            raise Refused("a node_id given twice")
        del all_ids
    del all_numbers
    node_ids.clear()
    node_numbers.clear()
    addresses = pa.concat_arrays(address_ids) if address_ids else pa.array([], pa.string())

    for i, f in enumerate(links):
        if i == 0 and first_mapped is not None:
            (n, finish), first_mapped = first_mapped.result(), None
        else:
            n, finish = _read_links(f, _table(f, _LINK_COLUMNS))
        read_count += n
        if finish is None:
            continue
        m, g, s = finish(skips, parts, addresses)
        mapped += m
        merged += g
        skipped += s

    del addresses
    pending = _finish(parts, writer, meta, skips, countries, ahead)
    countries.save()
    summary = writer.summary
    summary.read += read_count
    for key, count in (("mapped", mapped), ("merged", merged), ("skipped", skipped)):
        if count:
            summary.outcomes[key] += count
    summary.info.extend(info)
    pending.skips = skips
    return pending


def _collapse_spaces(col: Any) -> Any:
    """Cell-wise `" ".join(cell.split())` (Python's whitespace; cells are already cleaned).

    A cell of `_SIMPLE` holds no white space but single inner spaces unless it has two in a
    row: where every cell is one and none has two spaces in a row, the column is its answer
    (the regex below took 0.7 s of CPU on the addresses at 2M nodes).
    """
    pa, pc = _pa()
    if pc.all(_simple(col)).as_py() and not pc.any(pc.match_substring(col, "  ")).as_py():
        return col
    ascii_ = pc.string_is_ascii(col)
    out = pc.utf8_trim_whitespace(pc.replace_substring_regex(col, r"[ \t\n\r\x0b\x0c\x1c-\x1f]+", " "))
    if pc.all(ascii_).as_py():
        return _flat(out)
    bad = pc.invert(ascii_)
    fixed = pa.array([" ".join(v.split()) for v in pc.filter(col, bad).to_pylist()], type=pa.string())
    return _flat(pc.replace_with_mask(out, bad, fixed))


def _trust_kind(ctype: str) -> str:
    return "trust_or_foundation" if re.search(r"trust|foundation|stiftung|anstalt", ctype, re.IGNORECASE) else "company"


def _aliases(name: Any, original: Any, former: Any) -> Any:
    """`entity(aliases=[...])` of each row: the cleaned original and former names but the name."""
    pa, pc = _pa()
    has = pc.or_(_nonempty(original), _nonempty(former))
    out = _const("", len(name))
    if not pc.any(has).as_py():
        return out
    rows = zip(*(pc.filter(c, has).to_pylist() for c in (name, original, former)))
    values = []
    for nm, a, b in rows:
        cands = [clean_text(x) for x in (a, b)]
        kept = [x for x in cands if x and x != nm]
        values.append(";".join(dict.fromkeys(clean_text(x, 1000).replace(";", ",") for x in kept if clean_text(x))))
    return _flat(pc.replace_with_mask(out, has, pa.array(values, type=pa.string())))


def _firm_kind(name: Any, firm: str) -> Any:
    """`firm` where the name has a legal form or a firm word (`icij._is_firm`), else "person"."""
    import numpy as np
    from rigour.names.org_types import extract_org_types

    pa, pc = _pa()

    from tracker.importers.icij import _FIRM_WORDS

    ascii_ = np.asarray(pc.string_is_ascii(name))
    # RE2's \b and \w are ASCII: on ASCII text the same as Python's. On other text, a name
    # with none of the firm words even without the word boundaries cannot match them.
    words = np.asarray(pc.match_substring_regex(name, "(?i)" + _FIRM_WORDS.pattern))
    maybe = np.asarray(pc.match_substring_regex(name, "(?i)" + _FIRM_WORDS.pattern.replace("\\b", "")))
    firm_mask = ascii_ & words
    todo = np.flatnonzero(~firm_mask)
    values = name.take(pa.array(todo)).to_pylist()
    check_words = (~ascii_ & maybe)[todo].tolist()
    found = [bool(extract_org_types(v.lower())) or (w and bool(_FIRM_WORDS.search(v))) for v, w in zip(values, check_words)]
    firm_mask[todo] = found
    return _flat(pc.if_else(pa.array(firm_mask), firm, "person"))


def _spheres(kind: Any, country: Any, writer: Any) -> Any:
    def sphere(k: str, c: str) -> str:
        return str(writer.default_sphere(k, c))

    return _mapped2(kind, country, sphere)


def _add_relations(
    parts: _Parts, *, ids: Any, kind: str, rows: Any, order: Any, ident: Any, node: Any, number: Any, target: Any, role: str | None
) -> None:
    import numpy as np

    pa, pc = _pa()
    n = len(rows)
    if not n:
        return
    # The source is the node (its number), the target a jurisdiction's code (no number).
    parts.end_numbers.append((number[rows], np.full(n, -1, np.int64)))
    take = pa.array(rows)
    src = _flat(ident.take(take))
    parts.relations.append(
        {
            "id": _flat(ids),
            "kinds": _dconst(kind, n),
            "source": src,
            "target": _flat(target),
            "role": _dconst(role or "", n),
            "note": _dconst("", n),
            "start": _dconst("", n),
            "end": _dconst("", n),
            "record_id": _flat(node.take(take)),
        }
    )


def _read_links(f: _File, cols: dict[str, Any]) -> tuple[int, Callable[[_Skips, _Parts, Any], tuple[int, int, int]] | None]:
    """A relationships file's rows and what finishes its mapping (`_links_map`; None: no rows)."""
    n = cols["__rows__"]
    return n, _links_map(cols, _lines(f, n, cols["__lines__"])) if n else None


def _links_map(cols: dict[str, Any], where: Callable[[int], str]) -> Callable[[_Skips, _Parts, Any], tuple[int, int, int]]:
    """Map one relationships file but for its registered_address links, which need the import's
    addresses (known once every nodes file is mapped): the 2M bench's first links file is
    mapped by the second thread while the nodes are. Returns what finishes it, given the
    import's skips, parts and addresses: the file's skips and relations are its own until then,
    and are added in the order the record path adds them (its skips after the nodes', its
    registered_address links before its other links); a refusal of its other links is raised
    after the registered_address links are mapped, as when they were mapped first."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    from tracker.importers.icij import _clean_slug, _link_note, link_kind, slug_rel

    skips, parts = _Skips(), _Parts([], [], [], [])  # (its own: added when finished)
    raw_start, raw_end = _col(cols, "node_id_start"), _col(cols, "node_id_end")
    start_digits, end_digits = _digits(raw_start), _digits(raw_end)
    numeric_np = start_digits & end_digits
    numeric = pa.array(numeric_np)
    if not numeric_np.all():
        odd = np.flatnonzero(~numeric_np)
        for s, e in zip(raw_start.take(pa.array(odd)).to_pylist(), raw_end.take(pa.array(odd)).to_pylist()):
            if clean_text(s).isdigit() and clean_text(e).isdigit():
                raise Refused("a node id with spaces or other digits")
    if numeric_np.any() and pc.max(pc.utf8_length(pc.filter(raw_start, numeric))).as_py() > _MAX_NODE:
        raise Refused("a long node id")
    if numeric_np.any() and pc.max(pc.utf8_length(pc.filter(raw_end, numeric))).as_py() > _MAX_NODE:
        raise Refused("a long node id")
    rel_type = _clean(_col(cols, "rel_type"))
    link = _clean(_col(cols, "link"))
    # Per distinct (rel_type, link): the kinds and role, or an identity link.
    key = _flat(pc.binary_join_element_wise(rel_type, link, "\x00"))
    uniq = pc.unique(key).to_pylist()
    codes = np.asarray(pc.index_in(key, value_set=pa.array(uniq, pa.string())))
    found = [link_kind(*k.split("\x00", 1)) for k in uniq]
    identity = np.array([f is None for f in found], dtype=bool)[codes]
    located = np.array([f is not None and f[0] == ("located_in",) for f in found], dtype=bool)[codes]
    kinds_text = _dict(codes, ["/".join(f[0]) if f else "" for f in found])
    role = _dict(codes, [clean_text(f[1]) if f else "" for f in found])
    mapped = merged = skipped = 0

    bad = ~numeric_np
    skips.masked("relationship without numeric node ids", bad, lambda idx: [where(int(i)) for i in idx])
    skipped += int(bad.sum())
    ident_skip = numeric_np & identity
    if ident_skip.any():
        # One reason per rel_type, counted and exemplified in file order.
        # (The dictionary's values come in order of first appearance, as the reasons do.)
        at = np.flatnonzero(ident_skip)
        enc = pc.dictionary_encode(rel_type.take(pa.array(at)))
        which = np.asarray(enc.indices)
        reasons: dict[str, list[int]] = {}
        for j, rt_value in enumerate(enc.dictionary.to_pylist()):
            reasons.setdefault(f"identity or unspecific link ({rt_value or 'no rel_type'}), not a relation", []).append(j)
        for reason, js in reasons.items():
            idx = at[np.isin(which, js)]
            skips.add(reason, [where(int(i)) for i in idx[:5]], len(idx))
        skipped += int(ident_skip.sum())
        del at, enc, which
    start = raw_start
    end = raw_end
    start_date = _mapped_dict(_col(cols, "start_date"), clean_date)
    end_date = _mapped_dict(_col(cols, "end_date"), clean_date)
    note = _mapped_dict(link, lambda x: clean_text(_link_note(x)))
    del key, link
    cols.clear()  # the file's columns: what is still needed is held above
    # The ends' ids and the record ids are made for the rows kept only (`_Links`).
    links = _Links(start, end, rel_type, digits=(start_digits, end_digits))
    del start_digits, end_digits

    # registered_address links: to an address of the import, else skipped.
    def registered(into_skips: _Skips, into_parts: _Parts, addresses: Any) -> tuple[int, int, int]:
        mapped = merged = skipped = 0
        loc = numeric_np & located
        if loc.any():
            in_addr = np.zeros(len(loc), dtype=bool)
            loc_rows = np.flatnonzero(loc)
            in_addr[loc_rows] = np.asarray(pc.is_in(_icij(end.take(pa.array(loc_rows))), value_set=addresses))
            not_there = loc & ~in_addr
            into_skips.masked("registered_address to an address not in the import", not_there, lambda idx: [where(int(i)) for i in idx])
            skipped += int(not_there.sum())
            ok = loc & in_addr
            rows = np.flatnonzero(ok)
            if rows.size:
                t = pa.array(rows)
                ids = pc.binary_join_element_wise("icij", start.take(t), "address", end.take(t), ":")
                m, g = _link_rows(into_parts, rows, ids, kinds_text, links, role, note, start_date, end_date, with_note=False)
                mapped += m
                merged += g
        return mapped, merged, skipped

    # Other links: icij:<start>:<rel_type>:<end>, with the role added when a first link of
    # that id has another role.
    other = numeric_np & ~identity & ~located
    rows = np.flatnonzero(other)
    refused: Refused | None = None
    try:
        if rows.size:
            t = pa.array(rows)
            rt = rel_type.take(t)
            slug_key = pc.unique(rt).to_pylist()
            slugs = {r: _clean_slug(r) for r in slug_key}
            if any(s == "address" for s in slugs.values()):
                raise Refused("a link type whose ids could meet a registered address's")
            slug_col = pa.array([slugs[r] for r in slug_key], pa.string()).take(pc.index_in(rt, value_set=pa.array(slug_key, pa.string())))
            base = _flat(pc.binary_join_element_wise("icij", start.take(t), slug_col, end.take(t), ":"))
            del slug_col
            odd = np.asarray(pc.or_(pc.is_null(base), pc.greater(pc.utf8_length(pc.fill_null(base, "")), 200)))
            if odd.any():
                fixed = [
                    make_id("icij", s, slug_rel(r), e)
                    for s, r, e in zip(
                        start.take(pa.array(rows[odd])).to_pylist(),
                        rt.filter(pa.array(odd)).to_pylist(),
                        end.take(pa.array(rows[odd])).to_pylist(),
                    )
                ]
                base = _flat(pc.replace_with_mask(pc.fill_null(base, ""), pa.array(odd), pa.array(fixed, pa.string())))
            # The first row of each base id claims it with its role.
            rl = _flat(role.take(t))
            base_np = base
            slug_code = np.unique(np.array([slugs[r] or "" for r in slug_key], dtype=object).astype(str), return_inverse=True)[1]
            rt_code = np.asarray(pc.index_in(rt, value_set=pa.array(slug_key, pa.string())))
            base_first = _link_first_index(base, *links.end_numbers(rows), slug_code[rt_code], bool(odd.any()))
            del rt_code
            role_idx = np.asarray(rl.indices)
            claimed = role_idx[np.asarray(base_first[1])][base_first[2]]
            other_role = role_idx != claimed
            del claimed
            ids = base
            if other_role.any():
                oi = np.flatnonzero(other_role)
                fixed = [
                    make_id("icij", s, slug_rel(r), e, re.sub(r"[^a-z]+", "-", ro))
                    for s, r, e, ro in zip(
                        start.take(pa.array(rows[oi])).to_pylist(),
                        rt.take(pa.array(oi)).to_pylist(),
                        end.take(pa.array(rows[oi])).to_pylist(),
                        rl.take(pa.array(oi)).to_pylist(),
                    )
                ]
                ids = _flat(pc.replace_with_mask(base, pa.array(other_role), pa.array(fixed, pa.string())))
                firsts = _first_index_replaced(base_first, ids, oi, pa.array(fixed, pa.string()))
            else:
                firsts = base_first
            del base, base_np, base_first, rl, rt
            m, g = _link_rows(parts, rows, ids, kinds_text, links, role, note, start_date, end_date, with_note=True, firsts=firsts)
            mapped += m
            merged += g
    except Refused as exc:
        refused = exc

    def finish(into_skips: _Skips, into_parts: _Parts, addresses: Any) -> tuple[int, int, int]:
        into_skips.items.extend(skips.items)
        m, g, k = registered(into_skips, into_parts, addresses)
        if refused is not None:
            raise refused
        into_parts.relations.extend(parts.relations)
        if into_parts.node_numbers is not None:
            into_parts.end_numbers.extend(parts.end_numbers)
        return mapped + m, merged + g, skipped + k

    return finish


def _first_index(col: Any) -> tuple[Any, Any, Any]:
    """Distinct values of `col` in order of first appearance, the row of each first appearance,
    and each row's value as its number in that order.

    One hash pass (the dictionary's codes are given in order of first appearance): a row is a
    first appearance when its code passes every code before it. No sort.
    """
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    enc = pc.dictionary_encode(_flat(col))
    codes = np.asarray(enc.indices)
    if not len(codes):
        return enc.dictionary, pa.array([], pa.int64()), codes
    seen = np.maximum.accumulate(codes)
    new = np.empty(len(codes), dtype=bool)
    new[0] = True
    np.greater(codes[1:], seen[:-1], out=new[1:])
    del seen
    return enc.dictionary, pa.array(np.flatnonzero(new)), codes


def _link_first_index(base: Any, start: Any, end: Any, slug: Any, odd: bool) -> tuple[Any, Any, Any]:
    """`_first_index(base)` of links' base ids, "icij:<start>:<slug>:<end>", grouped on the
    ends' node numbers and the slug's number instead of hashing the text (the 3.3 million links
    at 2M nodes: 2.2 s of CPU as text, 0.9 s as one integer per row).

    The start and end are digits (no ':'), so two such ids are equal exactly when their start,
    slug and end texts are; and two ends' digits are equal exactly when their numbers are, where
    both have one (`_numbers`: not -1). `slug` numbers the slugs (equal numbers for equal slugs).
    The text is hashed when an end has no number, an id is not of that form (`odd`: made by
    `make_id`) or the three numbers do not fit in one 63-bit integer.
    """
    import numpy as np

    pa, _ = _pa()
    n = len(start)
    if odd or not n or int(start.min()) < 0 or int(end.min()) < 0:
        return _first_index(base)
    s_bits, e_bits = int(start.max()).bit_length(), int(end.max()).bit_length()
    k_bits = int(slug.max()).bit_length()
    if s_bits + k_bits + e_bits > 63:
        return _first_index(base)
    key = start << np.int64(k_bits + e_bits)
    key |= slug.astype(np.int64) << np.int64(e_bits)
    key |= end
    # (Multiplied by an odd constant, modulo 2**64: a bijection, so the same groups in the same
    # order, but keys in runs no longer crowd pyarrow's hash table: about a quarter less CPU.)
    key = (key.view(np.uint64) * np.uint64(0x9E3779B97F4A7C15)).view(np.int64)
    _, first, codes = _first_index(pa.array(key))
    return _flat(base.take(first)), first, codes


def _first_index_replaced(first: tuple[Any, Any, Any], ids: Any, at: Any, values: Any) -> tuple[Any, Any, Any]:
    """`_first_index(ids)`, where `ids` is the column `first` was made from with the cells at
    rows `at` (ascending) replaced by `values`, none of them a first appearance there.

    A link whose id an earlier link with another role claimed gets an id of its own (the role
    added): a few rows out of millions. Their ids are grouped on their own and merged into the
    first appearances already found, instead of hashing every id again (1 to 2 s at 2M nodes).
    When a new id is also one of the old ones (it cannot be from `make_id`, but the rows would
    then meet), or a row replaced was a first appearance, the ids are hashed again.
    """
    import numpy as np

    pa, pc = _pa()
    uniq, rows, codes = first
    rows = np.asarray(rows)
    is_first = np.zeros(len(codes), dtype=bool)
    is_first[rows] = True
    new_uniq, new_rows, new_codes = _first_index(values)
    if is_first[at].any() or pc.any(pc.is_in(uniq, value_set=new_uniq)).as_py():
        return _first_index(ids)
    firsts = np.concatenate([rows, at[np.asarray(new_rows)]])
    order = np.argsort(firsts, kind="stable")
    rank = np.empty(len(firsts), dtype=np.int64)
    rank[order] = np.arange(len(firsts))
    out = rank[codes]
    out[at] = rank[len(rows) + np.asarray(new_codes)]
    every = pa.concat_arrays([_flat(uniq), _flat(new_uniq)]).take(pa.array(order))
    return every, pa.array(firsts[order]), out


# Node numbers of at most this many digits are looked up as integers (int64 holds 18 digits).
_NUMBER_DIGITS = 18


def _numbers(col: Any, digits: Any = None) -> Any:
    """Each cell's node number as an int64 (numpy), -1 where the cell is not the digits of one
    written as a number is (no leading zero, at most `_NUMBER_DIGITS` digits).

    Two ids are equal exactly when their numbers are (the digits are the number's decimal form):
    relation ends are found among the entities as integers, not as text (`_find_numbers`).
    `digits` is `_digits(col)` when the caller has it.
    """
    import numpy as np

    pa, pc = _pa()
    col = _flat(col)
    n = len(col)
    out = np.full(n, -1, dtype=np.int64)
    if not n:
        return out
    length = np.asarray(pc.utf8_length(col))
    ok = (length <= _NUMBER_DIGITS) & (_digits(col) if digits is None else digits)
    ok &= ~(np.asarray(pc.starts_with(col, "0")) & (length > 1))
    if ok.all():
        return np.asarray(pc.cast(col, pa.int64()))
    if ok.any():
        out[ok] = np.asarray(pc.cast(col.filter(pa.array(ok)), pa.int64()))
    return out


# Numbers are found through tables of 2**_BLOCK_BITS slots, one per block of numbers that holds
# a key, while those take at most _DENSE_SLOTS slots per key (and the blocks' own table, indexed
# by the number's high bits, at most 2**_BLOCKS_BITS slots); else by pyarrow's hash lookup.
_BLOCK_BITS = 16
_BLOCKS_BITS = 22
_DENSE_SLOTS = 8
# Numbers looked up this many at a time (the temporary arrays' size).
_FIND_ROWS = 1 << 22


def _find_numbers(queries: Any, keys: Any) -> Any:
    """For each query number, the row of `keys` (distinct, non-negative) that holds it, or -1
    (for a negative query too); int32, as numpy.

    At 2 million nodes, looking 11.8 million relation ends up as text among the entities' ids
    took 3.2 s of CPU. As integers, node numbers come in runs (a leak's, a file's consecutive
    ids), so they are found by two array lookups: the number's block of 2**_BLOCK_BITS, then its
    slot in that block's table. Scattered numbers go through pyarrow's hash of them.
    """
    import numpy as np

    pa, pc = _pa()
    out = np.full(len(queries), -1, dtype=np.int32)
    if not len(keys) or not len(queries):
        return out
    low = (1 << _BLOCK_BITS) - 1
    blocks = np.unique(keys >> _BLOCK_BITS)
    dense = int(blocks[-1]) < (1 << _BLOCKS_BITS) and len(blocks) << _BLOCK_BITS <= _DENSE_SLOTS * len(keys) + (1 << _BLOCK_BITS)
    if dense:
        # (A last slot of each table, -1, takes the numbers outside: no masks to gather through.)
        block_of = np.full(int(blocks[-1]) + 2, -1, dtype=np.int64)
        block_of[blocks] = np.arange(len(blocks), dtype=np.int64) << _BLOCK_BITS
        outside = len(block_of) - 1
        table = np.full((len(blocks) << _BLOCK_BITS) + 1, -1, dtype=np.int32)
        table[block_of[keys >> _BLOCK_BITS] | (keys & low)] = np.arange(len(keys), dtype=np.int32)
    else:
        value_set = pa.array(keys)
    for start in range(0, len(queries), _FIND_ROWS):
        q = queries[start : start + _FIND_ROWS]
        part = out[start : start + _FIND_ROWS]
        if dense:
            block = q >> _BLOCK_BITS
            block[(block < 0) | (block >= outside)] = outside
            slot = block_of[block]
            del block
            slot |= q & low  # (-1 | x is -1: a block without keys reads the table's last slot)
            part[:] = table[slot]
        else:
            sought = np.flatnonzero(q >= 0)
            found = pc.index_in(pa.array(q[sought]), value_set=value_set)
            part[sought] = np.asarray(pc.fill_null(found, -1))
    return out


def _icij(col: Any) -> Any:
    """Node numbers as ids: "icij:" before each."""
    _, pc = _pa()
    return _flat(pc.binary_join_element_wise("icij", col, ":"))


@dataclass
class _Links:
    """A relationships file's node numbers and link types, whose ids and record ids are made
    for the rows kept only, and only when they are kept (not for every row read)."""

    start: Any
    end: Any
    rel_type: Any
    digits: tuple[Any, Any] | None = None  # `_digits` of start and end
    numbers: tuple[Any, Any] | None = None

    def ends(self, rows: Any) -> tuple[Any, Any]:
        return _icij(self.start.take(rows)), _icij(self.end.take(rows))

    def end_numbers(self, rows: Any) -> tuple[Any, Any]:
        """The ends' node numbers (`_numbers`: -1 for digits that are not a number's)."""
        if self.numbers is None:
            s_digits, e_digits = self.digits if self.digits is not None else (None, None)
            self.numbers = (_numbers(self.start, s_digits), _numbers(self.end, e_digits))
        return self.numbers[0][rows], self.numbers[1][rows]

    def record(self, rows: Any) -> Any:
        _, pc = _pa()
        return _clean(pc.binary_join_element_wise(self.start.take(rows), self.rel_type.take(rows), self.end.take(rows), "-"), 500)


def _link_rows(
    parts: _Parts,
    rows: Any,
    ids: Any,
    kinds_text: Any,
    links: _Links,
    role: Any,
    note: Any,
    start_date: Any,
    end_date: Any,
    with_note: bool,
    firsts: tuple[Any, Any, Any] | None = None,
) -> tuple[int, int]:
    """Add link rows (first of each id kept, later ones merged into it); (mapped, merged)."""
    import numpy as np
    import pyarrow as pa

    ids = _flat(ids)
    uniq, first, codes = firsts if firsts is not None else _first_index(ids)
    first_np = np.asarray(first)
    t = pa.array(rows)
    kinds = _flat(kinds_text.take(t))
    # A later row with the same id but other kinds is a "duplicate relation id" in the record
    # path: rare enough to leave to it.
    kind_idx = np.asarray(kinds.indices)
    firsts_kinds = kind_idx[first_np][codes]
    del codes
    if (kind_idx != firsts_kinds).any():
        raise Refused("two links with one id and different kinds")
    # The first appearances are in row order: the distinct ids, in the dictionary's order, are
    # the kept rows' ids (no copy taken).
    every = len(first_np) == len(ids)
    keep = pa.array(first_np)
    rows_kept = pa.array(rows[first_np])
    src, dst = links.ends(rows_kept)
    if parts.node_numbers is not None:
        parts.end_numbers.append(links.end_numbers(rows[first_np]))
    parts.relations.append(
        {
            "id": ids if every else uniq,
            "kinds": kinds if every else _flat(kinds.take(keep)),
            "source": src,
            "target": dst,
            "role": _flat(role.take(rows_kept)),
            "note": _flat(note.take(rows_kept)) if with_note else _dconst("", len(keep)),
            "start": _flat(start_date.take(rows_kept)),
            "end": _flat(end_date.take(rows_kept)),
            "record_id": links.record(rows_kept),
        }
    )
    return len(uniq), len(ids) - len(uniq)


# --- checks at writing, and the tables -----------------------------------------------------------


@dataclass(frozen=True)
class _Prefixed:
    """A column made at writing: `prefix` + `column`'s cell without its first `cut` characters."""

    prefix: str
    column: str
    cut: int = 0


@dataclass(frozen=True)
class _Joined:
    """A column made at writing: the named columns' cells end to end."""

    columns: tuple[str, ...]


@dataclass
class _Table:
    """A table to write: columns (arrays, dictionary arrays, constants or `_Prefixed`) and the
    rows to write, in id order, as indices into them (nothing is copied to sort). The columns
    named in `in_order` are already in that order (the rows written, not the indices)."""

    columns: dict[str, Any]
    order: Any
    in_order: frozenset[str] = field(default_factory=frozenset)


@dataclass
class _Pending:
    """The three tables, checked and in id order, ready to write (`DatasetWriter.write`)."""

    entities: _Table
    relations: _Table
    sources: _Table
    skips: _Skips | None = None
    # The ICIJ tables: the entities' first `nodes` rows are the nodes, each citing its own page
    # (its `sources` cell is its id), and the sources are those pages, in the entities' order;
    # with `titles_are_names`, a source's `title_name` is its entity's `name` (the same array).
    # -1: the tables share nothing (`_share`).
    nodes: int = -1
    titles_are_names: bool = False

    def write(self, out: Path, descriptor: dict[str, Any], summary: Any) -> None:
        import contextlib
        from concurrent.futures import ThreadPoolExecutor

        from tracker.dataset import DESCRIPTOR, FILES, RESOURCES, descriptor_text
        from tracker.exc import OutputError
        from tracker.output import atomic_path

        if self.skips is not None:
            self.skips.apply(summary)
        written: dict[str, int] = {}
        with contextlib.ExitStack() as whole:
            # The four files are written under temporary names (a path that cannot be written,
            # such as a folder in its place, fails here, before any work) and renamed into place
            # together once all are written: a write that fails (a full disk) leaves the folder
            # as it was, not a new relations.csv beside the old entities.
            tmp = {name: whole.enter_context(atomic_path(out / FILES[name])) for name in ("relations", "entities", "sources")}
            tmp["descriptor"] = whole.enter_context(atomic_path(out / DESCRIPTOR))

            def one(name: str, then: Callable[[], None] | None = None) -> None:
                table = getattr(self, name)
                try:
                    _write_csv(tmp[name], [s.name for s in RESOURCES[name]], table, atomic=False)
                except OSError as exc:  # (named here: the renames' contexts would name the last one)
                    raise OutputError(f"{out / FILES[name]}: cannot write: {exc.strerror or exc}") from exc
                if then is not None:
                    then()  # (while the written columns, now in order, are still held)
                written[name] = len(table.order)
                # Written: its columns are let go before the next table's batches are made.
                setattr(self, name, _Table({}, table.order[:0]))

            # The relations are written by a second thread while this one writes the entities and
            # then the sources (which share columns with the entities; the relations share none).
            # The writing is pyarrow's kernels, which let the other thread run: the 2M bench's write
            # used one core of two for about 5 s.
            with ThreadPoolExecutor(1, thread_name_prefix="relations.csv") as pool:
                relations = pool.submit(one, "relations")
                try:
                    if self.nodes >= 0:
                        self._share_ids()
                    one("entities", self._share_names if self.nodes >= 0 and self.titles_are_names else None)
                    one("sources")
                except BaseException:
                    relations.exception()  # (this thread's error is the one raised, once the other stopped)
                    raise
                relations.result()
            try:
                tmp["descriptor"].write_bytes(descriptor_text(descriptor).encode("utf-8"))
            except OSError as exc:
                raise OutputError(f"{out / DESCRIPTOR}: cannot write: {exc.strerror or exc}") from exc
        summary.written = {k: written[k] for k in ("entities", "relations", "sources")}

    # Columns the entities and sources share are put in order once, for the entities, and the
    # sources' taken from them by dropping the jurisdictions' rows (a pass in order), instead of
    # each gathered again from random rows: the ids three times (the entities' ids and citations,
    # the sources' ids), the names twice.

    def _share_ids(self) -> None:
        pa, pc = _pa()
        ent, src = self.entities, self.sources
        order = ent.order
        ids = _in_order(ent.columns["id"], pa.array(order))
        jur = order >= self.nodes
        cited = ids
        if jur.any():
            own = _flat(ent.columns["sources"].slice(self.nodes))
            cited = _flat(pc.replace_with_mask(ids, pa.array(jur), own.take(pa.array(order[jur] - self.nodes))))
        ent.columns["id"], ent.columns["sources"] = ids, cited
        ent.in_order = ent.in_order | {"id", "sources"}
        src.columns["id"] = _flat(ids.filter(pa.array(~jur))) if jur.any() else ids
        src.in_order = src.in_order | {"id"}

    def _share_names(self) -> None:
        pa, _ = _pa()
        ent, src = self.entities, self.sources
        jur = ent.order >= self.nodes
        names = ent.columns["name"]  # (in order: written)
        src.columns["title_name"] = _flat(names.filter(pa.array(~jur))) if jur.any() else names
        src.in_order = src.in_order | {"title_name"}


def _finish(parts: _Parts, writer: Any, meta: Any, skips: _Skips, countries: _Countries, ahead: Any) -> _Pending:
    """The tables checked and ordered as the record path writes them. `ahead` (an executor of
    one thread) puts the relations in id order while this thread makes the jurisdictions, the
    entities' order, each relation end's kind and each relation's kind (at 2M nodes the
    relations' sort is about 2 s of CPU, on one core)."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    from tracker.importers.icij import LICENCE, NODE_URL, PUBLISHER

    model = writer.model
    base = writer.base_jurisdictions

    def concat(chunks: list[dict[str, Any]], names: list[str], dictionaries: Iterable[str] = ()) -> dict[str, Any]:
        out = {}
        sizes = [len(next(iter(ch.values()))) for ch in chunks]
        for c in names:
            out[c] = _concat([ch.pop(c) if c in ch else _const("", size) for ch, size in zip(chunks, sizes)], c in dictionaries)
        chunks.clear()
        return out

    # Relations: the record path's checks at writing, each skip exemplified in id order.
    rel_names = ["id", "kinds", "source", "target", "role", "note", "start", "end", "record_id"]
    rels = concat(parts.relations, rel_names, ("kinds", "role", "note", "start", "end"))
    # Rows in id order (int32: half the memory of the sort's indices); two relations with one id
    # are neighbours there, compared a slice at a time (no hash table of every id).
    # (The ids as one array first: a gather from a column of several chunks joins the chunks
    # each time, once per slice.)
    rid = rels["id"] = _flat(rels["id"])
    n = len(rid)
    ordering = ahead.submit(_in_id_order, rid)

    # Jurisdictions: one per code a kept node names (unless --base has it), citing the first
    # three distinct sources that named it.
    jur_rows: dict[str, list[str]] = {}
    if parts.calls:
        jc = pa.concat_arrays([c for c, _ in parts.calls])
        js = pa.concat_arrays([s for _, s in parts.calls])
        parts.calls.clear()
        # Each code's calls in call order (a stable sort by code); only their first few are
        # read in Python, a few dozen at a time, until three distinct sources are found.
        enc = pc.dictionary_encode(jc)
        code_idx = np.asarray(enc.indices)
        by_code = np.argsort(code_idx, kind="stable")
        ends = np.cumsum(np.bincount(code_idx, minlength=len(enc.dictionary)))
        del code_idx
        for i, code in enumerate(enc.dictionary.to_pylist()):
            if code in base:
                continue
            calls = by_code[(int(ends[i - 1]) if i else 0) : int(ends[i])]
            cited: list[str] = []
            for lo in range(0, len(calls), _CALL_ROWS):
                for src in js.take(pa.array(calls[lo : lo + _CALL_ROWS])).to_pylist():
                    if src not in cited and len(cited) < 3:
                        cited.append(src)
                if len(cited) == 3:
                    break
            jur_rows[code] = cited
        del by_code, jc, js
    jcodes = sorted(jur_rows)
    jur = {
        "id": pa.array(jcodes, pa.string()),
        "kind": _const("jurisdiction", len(jcodes)),
        "name": pa.array([countries.name(c) for c in jcodes], pa.string()),
        "sphere": pa.array(["offshore" if c in OFFSHORE else "other" for c in jcodes], pa.string()),
        "country": pa.array(jcodes, pa.string()),
        "offshore": pa.array(["true" if c in OFFSHORE else "false" for c in jcodes], pa.string()),
        "sources": pa.array([";".join(jur_rows[c]) for c in jcodes], pa.string()),
    }
    ent_names = [
        "id",
        "kind",
        "name",
        "aliases",
        "sphere",
        "country",
        "offshore",
        "birth_date",
        "identifiers",
        "record_id",
        "notes",
    ]
    # The nodes' rows, then the jurisdictions'. A node cites its own page, whose id is its own:
    # the sources' ids and the nodes' citations are slices of the entities' ids, not copies.
    nodes = sum(len(ch["id"]) for ch in parts.entities)
    if nodes != sum(len(ch["date"]) for ch in parts.sources):
        raise Refused("a source for each entity expected")  # (a bug, not data: the record path)
    jur_sources = jur.pop("sources")
    # (offshore too: "" but for jurisdictions; a dictionary, it joins its neighbours' cell when written.)
    entities = concat([*parts.entities, jur], ent_names, _ENCODED | {"offshore"})
    parts.entities.clear()
    entities["id"] = _flat(entities["id"])
    entities["sources"] = pa.chunked_array([entities["id"].slice(0, nodes), jur_sources], type=pa.string())
    ent_order = np.asarray(pc.sort_indices(entities["id"]))

    # Until the relations' order is ready (the other thread), what needs no order: each end's
    # kind and the kind each relation takes. The skips, exemplified in id order, come after.
    # The kind of each end: an entity's, or "jurisdiction" for --base's (and for the missing).
    ent_kind = pc.dictionary_encode(entities["kind"])
    kind_names = [*ent_kind.dictionary.to_pylist(), "jurisdiction"]
    k = len(kind_names)
    ent_kind_idx = np.asarray(ent_kind.indices).astype(np.int32)
    base_ids = pa.array(sorted(base), pa.string())

    ends = pa.chunked_array([*rels["source"].chunks, *rels["target"].chunks], type=pa.string())
    if parts.node_numbers is not None:
        # Every node id is a number's digits (`_numbers`): an end that has a number is found
        # among the nodes by it; one that has none (a jurisdiction's code, a number written
        # with a leading zero) can only be a jurisdiction's id, looked up as text among those.
        numbers = np.concatenate([np.zeros(0, np.int64), *(s for s, _ in parts.end_numbers), *(t for _, t in parts.end_numbers)])
        parts.end_numbers.clear()
        at = _find_numbers(numbers, np.concatenate(parts.node_numbers) if parts.node_numbers else np.zeros(0, np.int64))
        parts.node_numbers.clear()
        jur_ids = entities["id"].slice(nodes)
        lo = 0
        for chunk in ends.chunks:
            part = numbers[lo : lo + len(chunk)]
            texts = np.flatnonzero(part < 0)
            if texts.size:
                sub = chunk if texts.size == len(chunk) else chunk.take(pa.array(texts))
                found = np.asarray(pc.fill_null(pc.index_in(sub, value_set=jur_ids), -1))
                at[lo + texts] = np.where(found >= 0, found + nodes, -1)
            lo += len(chunk)
        del numbers
        valid = at >= 0
        end_kind = np.full(2 * n, k - 1, dtype=np.int32)
        end_kind[valid] = ent_kind_idx[at[valid]]
        del at
    else:
        # Both ends looked up in one pass (one hash table of the entities' ids).
        pos = pc.index_in(ends, value_set=entities["id"])
        valid = np.asarray(pc.is_valid(pos))
        end_kind = np.full(2 * n, k - 1, dtype=np.int32)
        end_kind[valid] = ent_kind_idx[np.asarray(pc.drop_null(pos))]
        del pos
    known = valid | np.asarray(pc.is_in(ends, value_set=base_ids)) if base else valid
    del ends, valid
    s_known, t_known = known[:n], known[n:]
    s_kind, t_kind = end_kind[:n], end_kind[n:]
    del known, end_kind
    bad_s = ~s_known
    dangling = bad_s | ~t_known
    del s_known, t_known
    # The kind: the first candidate the schema allows between the two ends' kinds, decided
    # once per (candidates, kind at each end, same end) that occurs: a few hundred keys at most.
    cand = rels["kinds"]
    cand_names = cand.dictionary.to_pylist()
    key = np.asarray(cand.indices).astype(np.int32)
    key *= k
    key += s_kind
    del s_kind
    key *= k
    key += t_kind
    del t_kind
    key *= 2
    key += np.asarray(pc.equal(rels["source"], rels["target"]))
    present = np.bincount(key, minlength=len(cand_names) * k * k * 2) if n else np.zeros(0, np.int64)
    keys = np.flatnonzero(present)
    lut = np.zeros(len(present), dtype=np.int32)
    lut[keys] = np.arange(len(keys), dtype=np.int32)
    inverse = lut[key]
    del key, lut
    kinds = model.relation_kinds
    chosen_names: list[str] = []
    for value in keys.tolist():
        flag, rest = value % 2, value // 2
        tk, rest = kind_names[rest % k], rest // k
        sk, ci = kind_names[rest % k], rest // k
        cands = cand_names[ci]
        chosen = next((c for c in cands.split("/") if c in kinds and kinds[c].allows(sk, tk) and kinds[c].statement == bool(flag)), None)
        if chosen is None:
            chosen = "\x01relation from an entity to itself" if flag else f"\x01{cands} cannot run from a {sk} to a {tk}"
        chosen_names.append(chosen)

    order, sorted_ids = ordering.result()
    step = _CHECK_ROWS
    for lo in range(0, n - 1, step):
        seg = sorted_ids.slice(lo, step + 1)
        if pc.any(pc.equal(seg.slice(1), seg.slice(0, len(seg) - 1))).as_py():
            raise Refused("two relations with one id")

    def in_order(mask: Any) -> Any:
        return order[mask[order]]

    def ids_at(idx: Any, col: Any = rid) -> list[str]:
        return [str(x) for x in col.take(pa.array(idx[:64])).to_pylist()]

    if dangling.any():
        idx = in_order(dangling)
        missing = pc.if_else(pa.array(bad_s[idx]), rels["source"].take(pa.array(idx)), rels["target"].take(pa.array(idx)))
        skips.add("relation to an entity not in the import (dangling reference)", _distinct_head(missing), int(idx.size))
    del bad_s
    failed_key = np.array([c.startswith("\x01") for c in chosen_names] or [False], dtype=bool)
    alive = ~dangling
    del dangling
    failed = failed_key[inverse] & alive if len(keys) else np.zeros(n, dtype=bool)
    # One skip per reason, exemplified in id order over every key that gives it (several keys
    # give "relation from an entity to itself": the record path's examples mix them).
    by_reason: dict[str, list[int]] = {}
    for j in np.flatnonzero(failed_key[: len(keys)]):
        by_reason.setdefault(chosen_names[j][1:], []).append(int(j))
    for reason, js in by_reason.items():
        rows = failed & np.isin(inverse, js)
        if rows.any():
            skips.add(reason, ids_at(in_order(rows)), int(rows.sum()))
    alive &= ~failed
    del failed
    kind_col = _dict(inverse, chosen_names)
    # Fields the chosen kind does not take would be dropped: none of the ICIJ kinds lacks one.
    used = np.bincount(inverse[alive], minlength=len(keys)) if alive.any() else np.zeros(0, np.int64)
    used_kinds = {chosen_names[j] for j in np.flatnonzero(used)}
    del inverse
    if any(f in model.relation_fields and f not in kinds[c].fields for c in used_kinds for f in ("role", "note", "start", "end")):
        raise Refused("a relation kind that does not take a field its links give")
    # An end before the start: the end is dropped (and counted). Only links with both dates
    # can be reversed; each distinct pair of dates is parsed once.
    start, end = rels["start"], rels["end"]
    s_vals, e_vals = start.dictionary.to_pylist(), end.dictionary.to_pylist()
    s_idx, e_idx = np.asarray(start.indices), np.asarray(end.indices)
    s_dated = np.array([bool(v) for v in s_vals] or [False], dtype=bool)
    e_dated = np.array([bool(v) for v in e_vals] or [False], dtype=bool)
    both = np.flatnonzero(s_dated[s_idx] & e_dated[e_idx] & alive) if len(s_vals) and len(e_vals) else np.zeros(0, np.int64)
    if both.size:
        from tracker.dates import parse_partial

        pair = s_idx[both].astype(np.int64) * len(e_vals) + e_idx[both]
        pairs, pinv = np.unique(pair, return_inverse=True)

        def reversed_pair(p: int) -> bool:
            a, b = s_vals[p // len(e_vals)], e_vals[p % len(e_vals)]
            return bool(parse_partial(a)[0] > parse_partial(b)[1])

        flipped = np.zeros(n, dtype=bool)
        flipped[both[np.array([reversed_pair(p) for p in pairs.tolist()], dtype=bool)[pinv]]] = True
        if flipped.any():
            skips.add("end before start (dropped the end)", ids_at(in_order(flipped)), int(flipped.sum()))
            e_vals2 = [*e_vals, ""]
            rels["end"] = _dict(np.where(flipped, len(e_vals), e_idx), e_vals2)
    rels["kind"] = kind_col
    del rels["kinds"]
    rels["sources"] = _Prefixed("", "source")
    written = alive[order]
    rels["id"] = sorted_ids if written.all() else _flat(sorted_ids.filter(pa.array(written)))
    del sorted_ids
    relations = _Table(rels, order[written], frozenset({"id"}))

    # Every source is a node's page; only nodes that became entities have one here.
    src = concat(parts.sources, ["title_name", "title_tail", "date", "notes"], ("title_tail", "date", "notes"))
    src["id"] = entities["id"].slice(0, nodes)
    src["title"] = _Joined(("title_name", "title_tail"))
    src["url"] = _Prefixed(NODE_URL.split("{id}")[0], "id", len("icij:"))
    src["publisher"] = meta.publisher or PUBLISHER
    src["evidence"] = meta.evidence or "investigative_report"
    src["licence"] = meta.licence or LICENCE
    src["retrieved"] = meta.retrieved
    # Sorted by id as the entities are: their order without the jurisdictions' rows.
    sources = _Table(src, ent_order[ent_order < nodes])
    return _Pending(_Table(entities, ent_order), relations, sources, nodes=nodes, titles_are_names=parts.titles_are_names)


def _in_id_order(rid: Any) -> tuple[Any, Any]:
    """The rows' order by id (int32) and the ids in that order, gathered once: compared as
    neighbours (two relations with one id), then written as they are."""
    import numpy as np

    pa, _ = _pa()
    order = _text_order(rid).astype(np.int32)
    return order, _flat(rid.take(pa.array(order)))


# The text order of relation ids is sorted on this many 8-byte words of the ids first.
_ORDER_WORDS = 3
# The words' ranks are packed into one integer per row up to this many bits (else pyarrow sorts
# the words themselves).
_KEY_BITS = 63
# Rows of ids cut into words at a time (the padded copy of the ids is this many rows).
_ORDER_ROWS = 1 << 20


def _text_order(col: Any) -> Any:
    """`pc.sort_indices(col)` (stable, in the bytes' order), sorted mostly on integers.

    pyarrow compares whole strings: sorting the 5.9 million relation ids at 2M nodes took 5 to
    6 s of CPU, about 3.5 s this way. Here the ids' bytes after the prefix they all share (`icij:`) are cut
    into `_ORDER_WORDS` words of 8 bytes, read as big-endian unsigned integers with zero bytes
    past an id's end, and the rows are sorted on the words, then on the text among rows whose
    words tie. A word compares as the bytes it holds do; a zero past the end sorts a prefix
    before the longer id, as the bytes' order does (and a zero byte in an id only ties, which
    the text decides): the same order as the text's, and the same for equal ids (stable).
    """
    import numpy as np

    pa, pc = _pa()
    col = _flat(col)
    n = len(col)
    if n < 2:
        return np.arange(n, dtype=np.int64)
    lo, hi = (v.as_py().encode("utf-8") for v in pc.min_max(col).values())
    skip = 0
    while skip < min(len(lo), len(hi)) and lo[skip] == hi[skip]:
        skip += 1
    width = 8 * _ORDER_WORDS
    words = [np.empty(n, dtype=np.uint64) for _ in range(_ORDER_WORDS)]
    raw = col.cast(pa.binary())
    pad = pa.scalar(b"\x00" * width, pa.binary())
    for start in range(0, n, _ORDER_ROWS):
        part = pc.binary_join_element_wise(raw.slice(start, _ORDER_ROWS), pad, pa.scalar(b"", pa.binary()))
        cut = pc.binary_slice(part, skip, skip + width)
        first = int(np.frombuffer(cut.buffers()[1], dtype=np.int32, count=1, offset=cut.offset * 4)[0])
        cells = np.frombuffer(cut.buffers()[2], dtype=np.uint8, count=width * len(cut), offset=first)
        for j, w in enumerate(cells.view(">u8").reshape(len(cut), _ORDER_WORDS).T):
            words[j][start : start + len(cut)] = w
    del raw
    # Each word's rank among its distinct values, packed into one integer per row (the first
    # word's rank highest), sorts as the words do: one numpy sort of integers, then the text
    # where whole keys tie. (At 2M nodes the three words hold 2 million, 5 and 6,000 distinct
    # values: 37 bits. pyarrow's sort on the three words and the text took about 3 s of CPU.)
    codes = [pc.dictionary_encode(pa.array(w)) for w in words]
    del words
    bits = [max(1, (len(c.dictionary) - 1).bit_length()) for c in codes]
    if sum(bits) > _KEY_BITS:
        table = pa.table({**{f"w{j}": pc.take(c.dictionary, c.indices) for j, c in enumerate(codes)}, "text": col})
        del codes
        return np.asarray(pc.sort_indices(table, sort_keys=[(c, "ascending") for c in table.column_names]))
    key = np.zeros(n, dtype=np.uint64)
    for c, b in zip(codes, bits):
        values = np.asarray(c.dictionary)
        rank = np.empty(len(values), dtype=np.uint64)
        rank[np.argsort(values)] = np.arange(len(values), dtype=np.uint64)
        key <<= np.uint64(b)
        key |= rank[np.asarray(c.indices)]
    del codes
    order = np.argsort(key, kind="stable")
    ranked = key[order]
    del key
    tie = ranked[1:] == ranked[:-1]
    del ranked
    if tie.any():
        # Runs of equal keys (ids alike in their first three words), each put in text order
        # (pyarrow's sort is stable: equal ids keep their rows' order).
        starts = np.r_[True, ~tie]
        within = np.zeros(n, dtype=bool)
        within[1:] |= tie
        within[:-1] |= tie
        at = np.flatnonzero(within)
        rows = order[at]
        runs = pa.table({"run": np.cumsum(starts[at]), "text": col.take(pa.array(rows))})
        order[at] = rows[np.asarray(pc.sort_indices(runs, sort_keys=[("run", "ascending"), ("text", "ascending")]))]
    return order


def _distinct_head(col: Any, n: int = 5) -> list[str]:
    _, pc = _pa()
    return [str(x) for x in pc.unique(col)[:n].to_pylist()]


def _sorted(cols: dict[str, Any], key: str) -> dict[str, Any]:
    pa, pc = _pa()
    order = pc.sort_indices(cols[key])
    return {k: _flat(v.take(order)) for k, v in cols.items()}


# --- writing CSV as the csv module does ----------------------------------------------------------


def _bytes_of(col: Any) -> tuple[Any, Any]:
    """A text column's offsets (int64, one more than the cells) and its bytes (uint8), read in
    place from its buffers; (None, None) when the column is not plain text."""
    import numpy as np

    pa, _ = _pa()
    if col.type != pa.string():
        return None, None
    bufs = col.buffers()
    offsets = np.frombuffer(bufs[1], dtype=np.int32, count=len(col) + 1, offset=col.offset * 4).astype(np.int64)
    if bufs[2] is None or not len(col) or offsets[-1] == offsets[0]:
        return offsets, np.zeros(0, dtype=np.uint8)
    return offsets, np.frombuffer(bufs[2], dtype=np.uint8, count=int(offsets[-1]))


def _rows_with(col: Any, chars: bytes) -> Any:
    """Whether each cell holds any of `chars` (ASCII bytes), as a numpy array of booleans, or
    None when no cell does (the usual case).

    A scan of the column's bytes, one comparison per character, then the few bytes found are
    placed in their rows: RE2 (`match_substring_regex`) spent about 0.1 microsecond per cell,
    3 to 4 s of CPU at 2M nodes for the quoting tests of a write.
    """
    import numpy as np

    _, pc = _pa()

    def hits(part: Any) -> Any:
        hit = part == chars[0]
        for c in chars[1:]:
            hit |= part == c
        return hit

    found = _rows_where(col, hits)
    if found is None:
        test = pc.match_substring_regex(col, "[" + re.escape(chars.decode("ascii")) + "]")
        return np.asarray(test) if pc.any(test).as_py() else None
    return found if found.any() else None


def _rows_where(col: Any, hits: Callable[[Any], Any]) -> Any:
    """Whether each cell holds a byte for which `hits` (of a uint8 array, elementwise) is true,
    as numpy booleans; None when the column is not plain text."""
    import numpy as np

    offsets, data = _bytes_of(col)
    if offsets is None:
        return None
    rows = np.zeros(len(col), dtype=bool)
    hit = hits(data[int(offsets[0]) :])
    if hit.any():
        at = np.flatnonzero(hit) + int(offsets[0])
        rows[np.searchsorted(offsets, at, side="right") - 1] = True
    return rows


def _digits(col: Any) -> Any:
    """Whether each cell is ASCII digits, at least one (`^[0-9]+$`), as numpy booleans: a scan
    of the bytes, not RE2 per cell."""
    import numpy as np

    _, pc = _pa()
    col = _flat(col)
    other = _rows_where(col, lambda part: (part < 0x30) | (part > 0x39))
    if other is None:
        return np.asarray(pc.match_substring_regex(col, _DIGITS))
    return ~other & (np.asarray(pc.binary_length(col)) > 0)


def _rows_starting(col: Any, marks: Sequence[str]) -> Any:
    """Whether each cell starts with one of `marks`, as numpy booleans (single ASCII characters
    tested on the cells' first bytes; other marks by pyarrow)."""
    import numpy as np

    _, pc = _pa()
    offsets, data = _bytes_of(col)
    if offsets is None or any(len(m) != 1 or not m.isascii() for m in marks):
        starts = pc.starts_with(col, marks[0])
        for mark in marks[1:]:
            starts = pc.or_(starts, pc.starts_with(col, mark))
        return np.asarray(starts)
    begin = offsets[:-1]
    out = np.zeros(len(col), dtype=bool)
    full = np.flatnonzero(offsets[1:] > begin)
    if full.size:
        out[full] = np.isin(data[begin[full]], np.frombuffer("".join(marks).encode("ascii"), dtype=np.uint8))
    return out


def _cells(col: Any, text: bool, aliases: bool) -> Any:
    """A column as CSV cells: formulas guarded (text fields), quoted where the CSV module quotes."""
    pa, pc = _pa()
    col = _flat(col)
    if aliases:
        has = _nonempty(col)
        if pc.any(has).as_py():
            from tracker.importers.cleaning import guard_formula

            values = [";".join(guard_formula(p) for p in v.split(";")) for v in pc.filter(col, has).to_pylist()]
            col = _flat(pc.replace_with_mask(col, has, pa.array(values, pa.string())))
    elif text:
        starts = _rows_starting(col, FORMULA_START)
        if starts.any():
            col = _flat(pc.if_else(pa.array(starts), pc.binary_join_element_wise("'", col, ""), col))
    quote = _rows_with(col, _NEEDS_QUOTE)
    if quote is not None:
        quoted = pc.binary_join_element_wise('"', pc.replace_substring(col, '"', '""'), '"', "")
        col = _flat(pc.if_else(pa.array(quote), quoted, col))
    return col


def _in_order(col: Any, order: Any) -> Any:
    """The column's cells in `order`, gathered once for the whole table (a dictionary's indices
    only), so that the batches written are slices of it.

    Gathering batch by batch read the rows at random from the column, and from a column of
    several chunks (text columns are the parts they were made in) pyarrow joined the chunks
    again for each batch: at 10M nodes, 460 batches of a 30-million-row table, which was most
    of the write and grew with the square of the rows.
    """
    pa, _ = _pa()
    if pa.types.is_dictionary(col.type):
        return pa.DictionaryArray.from_arrays(_flat(col.indices.take(order)), col.dictionary)
    return _flat(col.take(order))


def _cut(col: Any, cut: int) -> Any:
    """Each cell without its first `cut` characters (`pc.utf8_slice_codeunits(col, cut)`).

    A source's web address is its id without "icij:": sliced as UTF-8, about 50 ns a cell (the
    2M profile put 1 s on that line), as bytes about 8. Bytes and characters are the same where
    every cell is ASCII (ids are); other columns are sliced as UTF-8.
    """
    pa, pc = _pa()
    if not pc.all(pc.string_is_ascii(col)).as_py():
        return pc.utf8_slice_codeunits(col, cut)
    return pc.binary_slice(col.view(pa.binary()), cut, (1 << 31) - 1).view(pa.string())


def _text(col: Any) -> Any:
    """A (sliced) column's cells as text (a dictionary's values, not its indices)."""
    pa, _ = _pa()
    if pa.types.is_dictionary(col.type):
        return _flat(col.dictionary.take(col.indices))
    return col


# Columns whose cells are ids, codes, kinds or dates: never quoted, never a formula (an id is
# lower-case [a-z0-9._:-], a date digits and '-').
_PLAIN = frozenset(
    {"id", "kind", "source", "target", "sources", "start", "end", "sphere", "country", "offshore", "birth_date", "url", "date"}
)


# Neighbouring dictionary columns are made one while their distinct combinations are at most this many.
_MERGED_VALUES = 1 << 18


def _merge_runs(ready: list[Any]) -> list[Any]:
    """The cells to join, with each run of neighbouring constants and dictionaries (cells, and
    the rows' indices in order) made one dictionary of their cells joined by commas.

    Joining a line costs per cell: a relation's role, nine empty cells, its start and end dates
    and four more empty cells are one cell of a dictionary of the combinations that occur
    (a few thousand), so that a relation is 8 cells joined, not 12, and a source's publisher to
    notes one, not four. The bytes are the same: the commas the join would put between those
    cells are in the merged cell. A run whose combinations exceed `_MERGED_VALUES` (or 2**62)
    is left as it is.
    """
    import numpy as np

    pa, pc = _pa()

    def is_dict(item: Any) -> bool:
        return not isinstance(item, str) and not isinstance(item[1], str) and not isinstance(item[0], (_Prefixed, _Joined))

    out: list[Any] = []
    run: list[Any] = []

    def close() -> None:
        dicts = [item for item in run if not isinstance(item, str)]
        if not dicts or len(run) == 1:
            out.extend(run)
            run.clear()
            return
        sizes = [len(cells) for cells, _ in dicts]
        if int(np.prod(np.array(sizes, dtype=np.float64))) >= 1 << 62:
            out.extend(run)
            run.clear()
            return
        key = np.zeros(len(dicts[0][1]), dtype=np.int64)
        for (_, idx), size in zip(dicts, sizes):
            key *= size
            key += np.asarray(idx)
        enc = pc.dictionary_encode(pa.array(key))
        combos = np.asarray(enc.dictionary)
        if len(combos) > _MERGED_VALUES:
            out.extend(run)
            run.clear()
            return
        # Each combination's index into each dictionary (the last dictionary varies fastest).
        parts = []
        for (cells, _), size in zip(reversed(dicts), reversed(sizes)):
            parts.append(np.asarray(cells.take(pa.array(combos % size))).astype(object) if len(combos) else np.zeros(0, object))
            combos = combos // size
        parts.reverse()
        texts = iter(parts)
        columns = [np.full(len(enc.dictionary), item, dtype=object) if isinstance(item, str) else next(texts) for item in run]
        merged = [",".join(row) for row in zip(*columns)]
        out.append((pa.array(merged, pa.string()), enc.indices))
        run.clear()

    for item in ready:
        if isinstance(item, str) or is_dict(item):
            run.append(item)
        else:
            close()
            out.append(item)
    close()
    return out


def _write_csv(path: Path, cols: list[str], table: _Table, atomic: bool = True) -> None:
    """Write `table`'s rows in its order, header `cols` (missing columns empty), as `csv.writer` would.

    `atomic` False: into `path` as it is, a temporary file the caller renames (with others)."""
    import contextlib

    import numpy as np

    pa, pc = _pa()
    from tracker.importers.writer import _TEXT_FIELDS
    from tracker.output import atomic_path

    order = table.order
    n = len(order)
    # Each column written is put in the table's order once, and let go from the table (its
    # unordered cells are freed unless another table shares them).
    ordered: dict[str, Any] = {}
    perm = pa.array(order)
    names: set[str] = set()
    for c in cols:
        spec = table.columns.get(c, "")
        if isinstance(spec, _Joined):
            names.update(spec.columns)
        elif isinstance(spec, _Prefixed):
            names.add(spec.column)
        elif not isinstance(spec, str) and (c in table.in_order or not pa.types.is_dictionary(spec.type)):
            names.add(c)
    # Dictionary columns written as they are are put in order once merged with their neighbours
    # (`_merge_runs`): one gather of a run's codes, not one per column.
    later = {
        c: _flat(table.columns[c]) for c in cols if c not in names and not isinstance(table.columns.get(c, ""), (str, _Prefixed, _Joined))
    }
    for name in sorted(names):
        ordered[name] = table.columns[name] if name in table.in_order else _in_order(table.columns[name], perm)
        table.columns[name] = ordered[name]
    # Constant columns and dictionaries are made into cells once; runs of constant columns
    # become one literal between the others (most of a relation's 21 columns are empty).
    ready: list[Any] = []
    for c in cols:
        spec = table.columns.get(c, "")
        text, aliases = c in _TEXT_FIELDS, c == "aliases"
        if isinstance(spec, str):
            cell = _cells(pa.array([spec], pa.string()), text, aliases)[0].as_py()
            if ready and isinstance(ready[-1], str):
                ready[-1] += "," + cell
            else:
                ready.append(cell)
        elif isinstance(spec, (_Prefixed, _Joined)):
            ready.append((spec, c))
        elif c in later:
            ready.append((_cells(_flat(spec.dictionary), text, aliases), later[c].indices))
        else:
            ready.append((spec, c))  # (a dictionary column already in order is written as text)
    # The dictionaries' codes (merged or not) in the table's order.
    ready = [
        item
        if isinstance(item, str) or isinstance(item[1], str) or isinstance(item[0], (_Prefixed, _Joined))
        else (item[0], _in_order(item[1], perm))
        for item in _merge_runs(ready)
    ]
    del later, perm
    # The line end goes on the last cell, so that the lines are joined once: on a constant's or
    # a dictionary's cells here, once for the table (a relation's note, a source's notes).
    ended = True
    last = ready[-1] if ready else ""
    if isinstance(last, str):
        ready[-1:] = [last + "\n"]
    elif not isinstance(last[1], str) and not isinstance(last[0], (_Prefixed, _Joined)):
        ready[-1] = (_flat(pc.binary_join_element_wise(last[0], "\n", "")), last[1])
    else:
        ended = False
    with atomic_path(path) if atomic else contextlib.nullcontext(path) as tmp, open(tmp, "wb") as fh:
        fh.write((",".join(cols) + "\n").encode("utf-8"))
        for lo in range(0, n, _WRITE_ROWS):
            m = min(_WRITE_ROWS, n - lo)
            cells = []
            # Each column's cells of the batch are made once, however many columns use them
            # (a relation's source is its `sources` too, a source's id is in its url).
            taken: dict[str, Any] = {}

            def got(name: str) -> Any:
                if name not in taken:
                    taken[name] = _text(ordered[name].slice(lo, m))
                return taken[name]

            for spec in ready:
                if isinstance(spec, str):
                    cells.append(spec)
                    continue
                first, second = spec
                if isinstance(first, _Joined):
                    joined = [got(name) for name in first.columns]
                    cell = _flat(pc.binary_join_element_wise(*joined, ""))
                    cells.append(cell if second in _PLAIN else _cells(cell, second in _TEXT_FIELDS, second == "aliases"))
                elif isinstance(first, _Prefixed):
                    base = got(first.column)
                    if first.cut:
                        base = _cut(base, first.cut)
                    cell = pc.binary_join_element_wise(first.prefix, base, "") if first.prefix else base
                    cells.append(cell if second in _PLAIN else _cells(_flat(cell), second in _TEXT_FIELDS, second == "aliases"))
                elif isinstance(second, str):
                    cell = got(second)
                    cells.append(cell if second in _PLAIN else _cells(cell, second in _TEXT_FIELDS, second == "aliases"))
                else:
                    cells.append(_flat(first.take(second.slice(lo, m))))
            if not ended:
                cells[-1] = pc.binary_join_element_wise(cells[-1], "\n", "")
            if all(isinstance(c, str) for c in cells):
                text = _const(",".join(cells), m)  # (not for these tables: the id is a column)
            else:
                text = _flat(pc.binary_join_element_wise(*cells, ","))
            # The text of consecutive strings is one buffer: the lines, in order.
            offsets = np.frombuffer(text.buffers()[1], dtype=np.int32, count=len(text) + 1, offset=text.offset * 4)
            fh.write(memoryview(text.buffers()[2])[int(offsets[0]) : int(offsets[-1])])
