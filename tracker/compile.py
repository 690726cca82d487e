"""Compiling clean dataset folders into the store column by column: the fast path of `open_store`.

`tracker.dataset.load` makes a Python object per cell and per row: at 2M generator nodes (5.5M
relations) that took about 400 s and 10 GB before `tracker.store.compile_store` could write a
table. Imported data is clean, and whole-column operations can prove it: this module reads each
CSV with pyarrow, runs checks at least as strict as every rule of `tracker.validate` and of the
reader in `tracker.dataset`, and writes the same Parquet tables as `compile_store` (same columns,
types, row order and values) from the columns, with Python code only per distinct value.

The path is all or nothing. Anything the checks flag, an error or a warning, a folder with a
`decisions.csv`, or anything unusual (a quote the standard-library reader and pyarrow could read
differently, a lone carriage return, a file pyarrow cannot parse) makes `compile_columnar`
return None, and the caller takes the record path, so that a user sees exactly the messages
`load` gives. Being stricter than the validator only costs time; being laxer would let bad data
in, so every rule here names the rule it stands for.
"""

from __future__ import annotations

import codecs
import csv
import json
import os
import shutil
import sys
from collections.abc import Callable, Sequence
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from tracker.dataset import DESCRIPTOR, FILES, RESOURCES, Entity, RawDataset, Relation, Source, Table, content_hash, default_data_dir
from tracker.model import Model, load_model

if TYPE_CHECKING:
    from tracker.store import Store

__all__ = ["MIN_BYTES", "compile_columnar", "fast_store"]

#: Distinct names from which `fold` and `skeleton` run in worker processes, one per core.
PARALLEL_NAMES = 20_000
#: Distinct names folded at a time (their Python strings and results exist only for these).
FOLD_NAMES = 1_000_000
#: Below this many bytes of CSV the record path is the faster one: this path's imports and set-up
#: cost about a second, while `load` reads the curated data (a few hundred KB) in a fraction of one.
MIN_BYTES = 2 << 20

# Bytes read at a time when checking a file's encoding and quoting, and by pyarrow's reader.
CHUNK = 1 << 24
BLOCK = 1 << 24
#: A column whose first block has at most this many distinct values is kept dictionary-coded:
#: one-byte codes, two-byte ones once a block has more than CODE8 distinct values, text again
#: once one has more than CODE_MAX.
CODED = 1024
CODE8 = 127
CODE_MAX = 32767
#: Rows derived and written at a time (a multiple of `tracker.store.ROW_GROUP` and of
#: `POINT_ROW_GROUP`, so that the row groups are those of a whole-table write): the derived
#: columns never exist whole.
SLICE_ROWS = 8 * 128 * 1024
_QUOTE, _COMMA, _LF, _CR = 0x22, 0x2C, 0x0A, 0x0D


class _Refused(Exception):  # noqa: N818 - internal control flow, never leaves this module
    """The data needs the record path (its reason is the message)."""


def fast_store(roots: Sequence[Path] | None, dest: Path) -> Store | None:
    """`compile_columnar` for folders with at least `MIN_BYTES` of CSV, else None (`open_store`'s hook)."""
    folders = [Path(r) for r in roots] if roots else [default_data_dir()]
    size = sum((f / name).stat().st_size for f in folders for name in FILES.values() if (f / name).is_file())
    return compile_columnar(roots, dest) if size >= MIN_BYTES else None


def compile_columnar(roots: Sequence[Path] | None, dest: Path, reasons: list[str] | None = None) -> Store | None:
    """Compile these folders into a store at `dest` column by column; None when they need `load`.

    Returns the `tracker.store.Store`, or None (with nothing written and the reason appended to
    `reasons`) when any check flags anything or the data is unusual: the caller then compiles
    `load(roots)` as before. `roots` is what `open_store` got (None: the shipped data).
    """
    import pyarrow as pa

    folders = [Path(r) for r in roots] if roots else [default_data_dir()]
    tmp = dest.with_name(f".{dest.name}.tmp-{os.getpid()}")
    try:
        manifest = _compile(folders, roots, tmp)
    except (_Refused, pa.ArrowException, ValueError, OSError, csv.Error, yaml.YAMLError) as exc:
        shutil.rmtree(tmp, ignore_errors=True)
        if reasons is not None:
            reasons.append(f"{type(exc).__name__}: {exc}" if not isinstance(exc, _Refused) else str(exc))
        return None
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    from tracker.store import Store

    old = dest.with_name(f".{dest.name}.old-{os.getpid()}")
    if dest.exists():
        dest.rename(old)
    tmp.rename(dest)
    shutil.rmtree(old, ignore_errors=True)
    return Store(dest, manifest)


# --- reading: bytes, then pyarrow ----------------------------------------------------------------


@lru_cache(maxsize=1)
def _space() -> str:
    """Every character `str.strip` removes (what the reader strips from each cell).

    All of them lie below U+3001 (the ideographic space is the last; tests/test_compile.py
    checks the whole of Unicode), so the search stops there.
    """
    return "".join(c for c in map(chr, range(0x3001)) if c.isspace())


def _re2_class(chars: str) -> str:
    return "".join(f"\\x{{{ord(c):x}}}" for c in chars)


@lru_cache(maxsize=1)
def _patterns() -> dict[str, str]:
    """RE2 patterns (pyarrow.compute) equal to or stricter than the validator's Python ones."""
    from tracker.validate import BIDI_CONTROLS, ID_PATTERN

    space = _re2_class(_space())
    controls = "".join(chr(c) for c in range(32) if chr(c) not in "\n\t")
    return {
        # validate.py `_Checker.cell`: control characters but tab and newline, direction overrides.
        "suspect": f"[{_re2_class(controls + ''.join(sorted(BIDI_CONTROLS)))}]",
        # ID_PATTERN is plain ASCII classes: the same in RE2 (whose `$` is stricter than Python's).
        "id": f"^$|{ID_PATTERN.pattern}",
        # validate.URL `^https?://[^\s/$.?#][^\s]*$` (ignoring case), with Python's `\s` spelt out
        # and the scheme in ASCII letters only (Python's ignore-case also takes odd letters for s).
        "url": f"^$|^[Hh][Tt][Tt][Pp][Ss]?://[^{space}/$.?#][^{space}]*$",
    }


def _scan(path: Path) -> int:
    """Refuse a file the two CSV readers could read differently, or that the reader rejects; give
    its number of lines (line feeds, and one more for a last line without one).

    The standard-library reader of `tracker.dataset` (strict) and pyarrow agree on files where
    every quote opens a field (at a line's or a field's start), closes one (before a comma, a
    line end or the end) or doubles another; they differ on others (pyarrow reads ``"a"b`` as
    ``ab``, the reader refuses it). The quotes are checked in order with numpy, and the bytes
    checked as strict UTF-8 (the reader's `encoding` error); NUL bytes and a carriage return
    that is not part of CRLF are refused too.

    The UTF-8 check is pyarrow's (`_utf8`, some 20 times faster than decoding into a string; the
    whole scan of the 2M bench's ICIJ files, measured alone: 1.6 -> 0.7 s of CPU); where it finds
    a fault, Python's strict decoder decodes the same bytes, so the `UnicodeDecodeError` raised
    is the one decoding would raise.
    """
    import numpy as np

    cut = b""  # a character the previous chunk began and did not finish: checked with this one
    parity = 0  # quotes seen so far, modulo 2: odd means inside a quoted field
    prev = _LF  # the byte before the current chunk (the start counts as a line start)
    carry = b""  # the last byte of the previous chunk, checked once its successor is known
    first = True
    lines = 0  # line feeds so far (counted here: the ICIJ import read the file again for them)
    ends = True  # whether the last byte read is a line feed (an empty file ends as one does)
    with path.open("rb") as fh:
        while True:
            block = fh.read(CHUNK)
            if first:
                first = False
                if block.startswith(b"\xef\xbb\xbf"):
                    # (A first chunk that was only the mark is no end of the file: the next is read.)
                    block = block[3:] or fh.read(CHUNK)
            end = not block
            text = cut + block if cut else block
            keep = 0 if end else _utf8_tail(text)
            if not _utf8(memoryview(text)[: len(text) - keep]):  # (at the end, a cut character fails)
                # (A decoder holding no bytes before these: it raises what decoding the chunks would.)
                codecs.getincrementaldecoder("utf-8")("strict").decode(text, final=end)
            cut = text[len(text) - keep :] if keep else b""
            if b"\x00" in block:
                raise _Refused(f"{path.name}: a NUL byte")
            if block:
                lines += block.count(b"\n")
                ends = block.endswith(b"\n")
            data = carry + block
            if not data:
                break
            # Positions 0..len-2 are checked now (their next byte is known); the last one waits.
            upto = len(data) if end else len(data) - 1
            arr = np.frombuffer(data, dtype=np.uint8)
            last = len(arr) - 1

            def before(at: Any, arr: Any = arr, prev: int = prev) -> Any:
                return np.where(at > 0, arr[np.maximum(at - 1, 0)], prev)

            def after(at: Any, arr: Any = arr, last: int = last) -> Any:
                return np.where(at < last, arr[np.minimum(at + 1, last)], _LF)  # the end acts as a line end

            if b"\r" in data:
                cr = np.flatnonzero(arr[:upto] == _CR)
                if cr.size and not (after(cr) == _LF).all() or (end and data.endswith(b"\r")):
                    raise _Refused(f"{path.name}: a carriage return outside CRLF")
            q = np.flatnonzero(arr[:upto] == _QUOTE)
            if q.size:
                ordinal = (parity + np.arange(q.size)) % 2
                opening = q[ordinal == 0]
                closing = q[ordinal == 1]
                ok_before = np.isin(before(opening), (_COMMA, _LF, _CR, _QUOTE))
                ok_after = np.isin(after(closing), (_COMMA, _LF, _CR, _QUOTE))
                if not (ok_before.all() and ok_after.all()):
                    raise _Refused(f"{path.name}: a quote inside an unquoted field or after a closing quote")
                parity = (parity + q.size) % 2
            if end:
                break
            prev = int(arr[-2]) if len(arr) > 1 else prev
            carry = data[-1:]
    if parity:
        raise _Refused(f"{path.name}: an unclosed quote")
    return lines + (0 if ends else 1)


def _utf8_tail(data: bytes) -> int:
    """How many bytes at the end of `data` begin a character that they do not finish (0 to 3),
    as Python's incremental decoder keeps them for the next chunk: a character's valid start."""
    for back in range(1, min(4, len(data)) + 1):
        byte = data[-back]
        if byte < 0x80:
            return 0
        if byte >= 0xC0:  # a leading byte: of a 2-, 3- or 4-byte character
            need = 2 if byte < 0xE0 else 3 if byte < 0xF0 else 4
            if back >= need:
                return 0
            try:
                codecs.getincrementaldecoder("utf-8")("strict").decode(bytes(data[-back:]))
            except UnicodeDecodeError:
                return 0  # not a valid start: the chunk's check fails on it, as decoding does
            return back
    return 0


def _utf8(data: Any) -> bool:
    """Whether the bytes are strict UTF-8 as Python decodes it (no surrogates, no overlong forms,
    nothing above U+10FFFF): pyarrow's check when a binary cell becomes text."""
    import numpy as np
    import pyarrow as pa

    offsets = pa.py_buffer(np.array([0, len(data)], dtype=np.int32))
    cell = pa.Array.from_buffers(pa.binary(), 1, [None, offsets, pa.py_buffer(data)])
    try:
        cell.cast(pa.string())
    except pa.ArrowInvalid:
        return False
    return True


def _header(path: Path) -> tuple[list[str], list[str]]:
    """A data file's header as written and stripped (as the reader strips it), or refused."""
    with path.open(encoding="utf-8-sig", newline="") as fh:
        header = next(csv.reader(fh, strict=True), None)
    if not header:
        raise _Refused(f"{path.name}: no header")
    names = [h.strip() for h in header]
    if len(set(header)) != len(header) or len(set(names)) != len(names):
        raise _Refused(f"{path.name}: a duplicate column")
    return header, names


def _read_csv(path: Path, name: str, ck: Any) -> tuple[Any, Any, dict[str, int]]:
    """A data file read a block at a time, cells stripped and checked: (table, row hashes, kinds).

    Each block's cells are stripped as the reader strips them and checked (`_check_columns`);
    its rows are hashed for `_duplicate_rows`; for entities, its kinds are counted (the
    descriptor's assertions). A column whose first block holds at most `CODED` distinct values
    (a kind, a role, a publisher, a column left empty) is kept dictionary-coded: one or two bytes
    a row instead of a four-byte offset and the text, and checked once per distinct value. The
    whole file as plain text never exists (at 10M generator nodes that is 6 GB of relations).
    """
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.csv as pv

    from tracker.store import connect_duckdb

    _scan(path)
    header, names = _header(path)
    reader = pv.open_csv(
        path,
        read_options=pv.ReadOptions(block_size=BLOCK),
        parse_options=pv.ParseOptions(newlines_in_values=True, ignore_empty_lines=True),
        convert_options=pv.ConvertOptions(column_types=dict.fromkeys(header, pa.string()), strings_can_be_null=False),
    )
    if reader.schema.names != header:
        raise _Refused(f"{path.name}: pyarrow read another header")
    space = _space()
    edge = f"^[{_re2_class(space)}]|[{_re2_class(space)}]$"
    chunks: dict[str, list[Any]] = {n: [] for n in names}
    coded: dict[str, bool] = {}
    width: dict[str, Any] = {}  # a coded column's code type: one byte, two past CODE8 values in a block
    hashes: list[Any] = []
    kinds: dict[str, int] = {}
    rest = [n for n in names if n != "id"]
    quoted = ", ".join('"' + c.replace('"', '""') + '"' for c in rest)
    con = connect_duckdb()
    try:
        con.execute("SET enable_progress_bar = false")  # stderr carries only tracker's messages
        for batch in reader:
            plain: dict[str, Any] = {}  # the block's stripped cells
            view: dict[str, Any] = {}  # what the checks read: the cells, or a coded column's values
            for i, n in enumerate(names):
                col = batch.column(i)
                if n not in coded:
                    coded[n] = pc.count_distinct(col).as_py() <= CODED
                    width[n] = pa.int8()
                if coded[n]:
                    enc = pc.dictionary_encode(col)
                    if len(enc.dictionary) > CODE_MAX:  # not so few after all: plain from here on
                        coded[n] = False
                        chunks[n] = [c.cast(pa.string()) for c in chunks[n]]
                    elif len(enc.dictionary) > CODE8 and width[n] == pa.int8():  # two-byte codes from here on
                        width[n] = pa.int16()
                        chunks[n] = [pa.DictionaryArray.from_arrays(c.indices.cast(pa.int16()), c.dictionary) for c in chunks[n]]
                if not coded[n] or _any(pc.match_substring_regex(enc.dictionary, edge)):
                    if _any(pc.match_substring_regex(col, edge)):
                        col = pc.utf8_trim(col, characters=space)
                    if coded[n]:
                        enc = pc.dictionary_encode(col)
                plain[n] = col
                if coded[n]:
                    view[n] = enc.dictionary
                    chunks[n].append(pa.DictionaryArray.from_arrays(enc.indices.cast(width[n]), enc.dictionary))
                else:
                    view[n] = col
                    chunks[n].append(col)
                del col
            _check_columns(name, view, ck)
            if name == "entities":
                for k in pc.value_counts(plain["kind"]).to_pylist():
                    kinds[str(k["values"])] = kinds.get(str(k["values"]), 0) + int(k["counts"])
            if rest and batch.num_rows:
                con.register("block", pa.table([plain[n] for n in rest], names=rest))
                hashes.append(con.sql(f"SELECT hash({quoted}) FROM block").to_arrow_table().column(0).to_numpy())
                con.unregister("block")
            del batch, plain, view
    finally:
        con.close()
    columns = [pa.chunked_array(chunks[n], type=pa.dictionary(width[n], pa.string()) if coded.get(n) else pa.string()) for n in names]
    table = pa.table(columns, names=names)
    return table, np.concatenate(hashes) if hashes else np.zeros(0, dtype=np.uint64), kinds


# --- the checks -----------------------------------------------------------------------------------


def _any(mask: Any) -> bool:
    import pyarrow.compute as pc

    return bool(pc.any(mask).as_py())


def _all(mask: Any) -> bool:
    """Whether every value is true (an empty column: yes)."""
    import pyarrow.compute as pc

    return not _any(pc.invert(mask))


def _split(col: Any) -> Any:
    """`tracker.dataset.split_list` of every cell, as a list array (one list per row).

    The cells are stripped (`_read_csv` leaves them so). When none holds a separator and none is
    empty (an import's single source per row), each cell is its own one-item list: the column is
    used as the list values as it is, instead of being split, trimmed and filtered in copies.
    """
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    n = len(col)
    if n and not _any(pc.match_substring(col, ";")) and not _any(pc.equal(pc.utf8_length(col), 0)):
        return pa.ListArray.from_arrays(pa.array(np.arange(n + 1, dtype=np.int32)), _one(col))
    parts = pc.split_pattern(col, ";")
    parent = pc.list_parent_indices(parts).to_numpy()
    flat = pc.utf8_trim(pc.list_flatten(parts), characters=_space())
    keep = pc.greater(pc.utf8_length(flat), 0)
    values = pc.filter(flat, keep)
    counts = np.bincount(parent[keep.to_numpy(zero_copy_only=False)], minlength=n)
    offsets = np.zeros(n + 1, dtype=np.int32)
    np.cumsum(counts, out=offsets[1:])
    values = values.combine_chunks() if isinstance(values, pa.ChunkedArray) else values
    return pa.ListArray.from_arrays(pa.array(offsets), values)


def _distinct(col: Any, fn: Callable[[str], Any], type_: Any) -> Any:
    """`fn` of every cell, called once per distinct value (the record path's own conversions)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    uniq = pc.unique(col)
    mapped = pa.array([fn(v) for v in uniq.to_pylist()], type=type_)
    out = mapped.take(pc.index_in(col, value_set=uniq))
    return out.combine_chunks() if isinstance(out, pa.ChunkedArray) else out


def _check_columns(name: str, columns: dict[str, Any], ck: Any) -> None:
    """validate.py `_Checker.column`/`cell` on every column: characters, lengths, required, types.

    Each rule asks whether some cell breaks it, so a column may be given as its distinct values.
    """
    import pyarrow.compute as pc

    from tracker.validate import _CACHED_TYPES, long_cell

    pat = _patterns()
    for spec in RESOURCES[name]:
        if spec.name not in columns:
            continue
        col = columns[spec.name]
        where = f"{FILES[name]}: {spec.name}"
        if len(col) == 0:
            continue
        lengths = pc.utf8_length(col)
        if (pc.max(lengths).as_py() or 0) > long_cell(spec.type):
            raise _Refused(f"{where}: a cell over {long_cell(spec.type)} characters")
        if _any(pc.match_substring_regex(col, pat["suspect"])):
            raise _Refused(f"{where}: a control or direction character")
        if spec.required and _any(pc.equal(lengths, 0)):
            raise _Refused(f"{where}: an empty required cell")
        t = spec.type
        if t.startswith(_CACHED_TYPES):
            for value in pc.unique(col).to_pylist():
                if value and ck._type_error(t, value) is not None:
                    raise _Refused(f"{where}: {value!r}: {ck._type_error(t, value)[1]}")
        elif t == "id" or t.startswith("ref:"):
            if not _all(pc.match_substring_regex(col, pat["id"])):
                raise _Refused(f"{where}: a bad id")
        elif t.startswith("refs:"):
            lists = _split(col)
            if not _all(pc.match_substring_regex(lists.flatten(), pat["id"])):
                raise _Refused(f"{where}: a bad id in a list")
        elif t == "url":
            if not _all(pc.match_substring_regex(col, pat["url"])):
                raise _Refused(f"{where}: not an http(s) URL")
        elif t not in ("text", "list"):
            raise _Refused(f"{where}: type {t!r} has no column check here")


def _duplicate_rows(name: str, table: Any, hashes: Any) -> None:
    """validate.py `duplicate-row`: two rows of one file equal in every cell but the id.

    `hashes` holds one 64-bit hash of each row's other cells (`_read_csv`); rows sharing one
    are compared in full (a true duplicate, or a hash collision).
    """
    import numpy as np

    if len(hashes) < 2:
        return
    ordered = np.sort(hashes)
    twice = ordered[1:][ordered[1:] == ordered[:-1]]
    del ordered
    if not twice.size:
        return
    rows = np.flatnonzero(np.isin(hashes, twice))
    cols = [c for c in table.column_names if c != "id"]
    seen: set[tuple[Any, ...]] = set()
    picked = _take(table, rows)
    for row in zip(*(_plain(picked.column(c)).to_pylist() for c in cols), strict=True):
        if row in seen:
            raise _Refused(f"{FILES[name]}: a duplicate row")
        seen.add(row)


def _sorted_ids(ids: Any) -> tuple[Any, Any, Any]:
    """(stable sort order, ids in that order, mask of rows equal to the row before them).

    Ids already strictly increasing (importers write them so) give (None, ids, None): one pass
    over the column instead of a sort and a copy.
    """
    import numpy as np
    import pyarrow.compute as pc

    n = len(ids)
    if n < 2 or _all(pc.greater(ids.slice(1), ids.slice(0, n - 1))):
        return None, ids, None
    order = pc.sort_indices(ids)
    ordered = ids.take(order)
    same = np.zeros(n, dtype=bool)
    same[1:] = pc.equal(ordered.slice(1), ordered.slice(0, n - 1)).to_numpy(zero_copy_only=False)
    return order.to_numpy(), ordered, same


def _plain(col: Any) -> Any:
    """A column as plain text: a dictionary-coded one (`_read_csv`) decoded."""
    import pyarrow as pa

    return col.cast(pa.string()) if pa.types.is_dictionary(col.type) else col


def _plain_table(table: Any) -> Any:
    """Every column of `table` as plain text (a slice about to be checked and written)."""
    import pyarrow as pa

    return pa.table([_plain(c) for c in table.columns], names=table.column_names)


def _take(table: Any, order: Any) -> Any:
    """The rows of `table` at `order`; the table itself when `order` is None (already in order).

    A coded column's blocks have dictionaries of their own, which the take unifies: its codes
    are widened to four bytes first, so that no union of the blocks' values can overflow them.
    """
    import pyarrow as pa

    if order is None:
        return table
    cols = []
    for col in table.columns:
        if pa.types.is_dictionary(col.type):
            col = pa.chunked_array(
                [pa.DictionaryArray.from_arrays(c.indices.cast(pa.int32()), c.dictionary) for c in col.chunks],
                type=pa.dictionary(pa.int32(), pa.string()),
            )
        cols.append(col.take(order))
    return pa.table(cols, names=table.column_names)


def _one(col: Any) -> Any:
    """A column as one Array (what `value_set` and list offsets need)."""
    import pyarrow as pa

    return col.combine_chunks() if isinstance(col, pa.ChunkedArray) else col


def _release() -> None:
    """Hand freed Arrow memory back to the system, so that the next stage's peak does not add to it."""
    import pyarrow as pa

    pa.default_memory_pool().release_unused()


class _Writer:
    """One store table written a slice at a time, in `store._write_table`'s row groups and codec.

    Slices of `SLICE_ROWS` (a multiple of `store.row_group`'s sizes) give the same row groups as writing
    the whole table at once, without ever holding its derived columns whole.
    """

    def __init__(self, path: Path, schema: Any, compression: str = "zstd") -> None:
        import pyarrow.parquet as pq

        from tracker.store import row_group

        self.schema = schema
        self.file = pq.ParquetWriter(path, schema, compression=compression)
        self.row_group = row_group(path)

    def write(self, columns: dict[str, Any]) -> None:
        import pyarrow as pa

        self.file.write_table(pa.table(columns, schema=self.schema), row_group_size=self.row_group)

    def close(self) -> None:
        self.file.close()


def _slices(n: int) -> list[tuple[int, int]]:
    """(start, length) of each slice of `n` rows; one empty slice when there are none."""
    step = max(SLICE_ROWS, 1)
    return [(a, min(step, n - a)) for a in range(0, n, step)] or [(0, 0)]


def _folder_raw(root: Path, model: Model) -> RawDataset:
    """One folder's descriptor and headers, checked (validate.py `_check_descriptor`/`_check_header`)."""
    from tracker.validate import Report, _check_descriptor, _check_header, _Checker

    if not root.is_dir():
        raise _Refused(f"{root}: not a folder")
    if (root / "decisions.csv").exists():
        raise _Refused(f"{root.name}/decisions.csv: merges need the record path")
    descriptor: dict[str, Any] = {}
    dpath = root / DESCRIPTOR
    if dpath.exists():
        loaded = yaml.safe_load(dpath.read_text(encoding="utf-8-sig"))
        if loaded is None:
            loaded = {}
        if not isinstance(loaded, dict):
            raise _Refused(f"{DESCRIPTOR}: not a mapping")
        descriptor = loaded
    raw = RawDataset(root, descriptor, {}, [])
    for name, fname in FILES.items():
        path = root / fname
        if not path.is_file():
            raise _Refused(f"{fname}: missing")
        raw.tables[name] = Table(name, path, header=_header(path)[1])
    report = Report()
    ck = _Checker(model, report, "")
    _check_descriptor(raw, ck)
    _check_header(raw, ck)
    if report.errors or report.warnings:
        raise _Refused(str((report.errors + report.warnings)[0]))
    return raw


def _read_resource(name: str, raws: list[RawDataset], model: Model, counts: list[dict[str, int]]) -> tuple[Any, Any]:
    """One resource of every folder, read and checked, as (one table, folder position of each row).

    Every field is there ("" where a file lacks it), in folder order. Each folder's row count
    goes into `counts` (and, for entities, the count of each kind, under ``kind:<kind>``) for
    the descriptor's assertions. Only this resource is in memory: the others are read later.
    """
    import numpy as np
    import pyarrow as pa

    from tracker.validate import Report, _Checker

    ck = _Checker(model, Report(), "")
    parts, folder = [], []
    for i, raw in enumerate(raws):
        t, hashes, kinds = _read_csv(raw.tables[name].path, name, ck)
        _duplicate_rows(name, t, hashes)
        del hashes
        n = t.num_rows
        counts[i][name] = n
        counts[i].update({f"kind:{k}": v for k, v in kinds.items()})
        empty = pa.DictionaryArray.from_arrays(pa.array(np.zeros(n, dtype=np.int16)), pa.array([""]))
        parts.append(pa.table({s.name: t.column(s.name) if s.name in t.column_names else empty for s in RESOURCES[name]}))
        folder.append(np.full(n, i, dtype=np.int32))
        del t
    if len({p.schema for p in parts}) > 1:
        parts = _same_types(parts)
    return pa.concat_tables(parts), np.concatenate(folder)


def _same_types(parts: list[Any]) -> list[Any]:
    """The folders' tables of one resource with one type per column, so that they concatenate.

    A column that is text in some folder becomes text in all (the small folders' coded columns
    are decoded, the large one's stay as they are); otherwise the widest codes win.
    """
    import pyarrow as pa

    def widen(col: Any, to: Any) -> Any:
        chunks = [pa.DictionaryArray.from_arrays(c.indices.cast(to), c.dictionary) for c in col.chunks]
        return pa.chunked_array(chunks, type=pa.dictionary(to, pa.string()))

    out = []
    for part in parts:
        cols = []
        for name in part.column_names:
            types = [p.schema.field(name).type for p in parts]
            col = part.column(name)
            if any(not pa.types.is_dictionary(t) for t in types):
                col = _plain(col)
            elif col.type.index_type != pa.int16() and any(t.index_type == pa.int16() for t in types):
                col = widen(col, pa.int16())
            cols.append(col)
        out.append(pa.table(cols, names=part.column_names))
    return out


def _check_assertions_of(raws: list[RawDataset], model: Model, counts: list[dict[str, int]]) -> None:
    """validate.py `_check_assertions` of each folder, from the counts `_read_resource` kept."""
    from tracker.validate import Report, _check_assertions, _Checker

    for raw, got in zip(raws, counts, strict=True):
        rows = {k: v for k, v in got.items() if not k.startswith("kind:")}
        kinds = {k.split(":", 1)[1]: v for k, v in got.items() if k.startswith("kind:")}
        report = Report()
        _check_assertions(raw, _Checker(model, report, ""), rows, kinds)
        if report.errors or report.warnings:
            raise _Refused(str((report.errors + report.warnings)[0]))


def _compile(folders: list[Path], roots: Sequence[Path] | None, tmp: Path) -> dict[str, Any]:
    """Check every folder, then write every table and the manifest into `tmp`; returns the manifest.

    One resource at a time (sources, entities, relations), each freed before the next is read,
    so the peak is the largest table rather than all three: what is carried from one stage to
    the next is the sorted ids, the sources' evidence ranks, the entities' kind codes and the
    relations' endpoint positions. Entities wait in a spill file for their degree.
    """
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    from tracker import __version__
    from tracker.dataset import _bool
    from tracker.dates import parse_partial
    from tracker.store import FORMAT, MANIFEST, _record_schema, code_signature, fingerprint, table_schema

    model = load_model()
    raws = [_folder_raw(root, model) for root in folders]
    labels = [raw.name for raw in raws]
    label_of = pa.array(labels, pa.string())
    counts: list[dict[str, int]] = [{} for _ in raws]

    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)

    # --- sources ---------------------------------------------------------------------------------
    src, folder = _read_resource("sources", raws, model, counts)
    order, sids, same = _sorted_ids(_plain(src.column("id")))
    if same is not None and same.any():
        raise _Refused("sources.csv: a duplicate id")
    src = _take(src, order)
    folder = folder if order is None else folder[order]
    sids = _one(sids)
    # validate.py `_check_date_precision`: exact, month and year need a date of that form.
    precision = pc.index_in(_plain(src.column("date_precision")), value_set=pa.array(["year", "month", "exact"]))
    qualified = pc.is_valid(precision)
    if _any(qualified):
        dates = pc.filter(_plain(src.column("date")), qualified)
        need = pc.filter(precision, qualified)
        bad = pc.or_(pc.equal(pc.utf8_length(dates), 0), pc.not_equal(pc.count_substring(dates, "-"), need))
        if _any(bad):
            raise _Refused("sources.csv: a date that does not match its date_precision")
    del precision, qualified
    ranks = {name: s.rank for name, s in model.evidence_statuses.items()}
    srank = _distinct(_plain(src.column("evidence")), lambda v: ranks.get(v, 0), pa.int64()).to_numpy()
    nonempty = pc.filter(_plain(src.column("date")), pc.greater(pc.utf8_length(_plain(src.column("date"))), 0))
    data_date = str(pc.max(nonempty).as_py() or "") if len(nonempty) else ""
    del nonempty
    n_sources = src.num_rows
    out = _Writer(tmp / "sources.parquet", table_schema("sources"))
    for a, n in _slices(n_sources):
        part = _plain_table(src.slice(a, n))
        scols = {f: part.column(f) for f, _ in _record_schema(Source) if f != "dataset"}
        scols["mirror"] = _distinct(part.column("mirror"), lambda v: bool(_bool(v)), pa.bool_())
        scols["dataset"] = label_of.take(pa.array(folder[a : a + n]))
        out.write(scols)
        del part, scols
    out.close()
    del src, folder
    _release()

    # --- entities: checked, kind codes kept, rows spilled until their degree is known -----------
    ent, folder = _read_resource("entities", raws, model, counts)
    # validate.py: entity sources must exist; the offshore flag is for jurisdictions (a warning).
    if not _all(pc.is_in(_split(_plain(ent.column("sources"))).flatten(), value_set=sids)):
        raise _Refused("entities.csv: sources: a dangling reference")
    if _any(
        pc.and_(pc.greater(pc.utf8_length(_plain(ent.column("offshore"))), 0), pc.not_equal(_plain(ent.column("kind")), "jurisdiction"))
    ):
        raise _Refused("entities.csv: offshore: the offshore flag on an entity that is no jurisdiction")
    order, eids, same = _sorted_ids(_plain(ent.column("id")))
    if same is not None and same.any():
        # validate.py `duplicate-id`: only a jurisdiction that another folder defined first; the
        # record path keeps that first definition (stable sort: folder order within an id).
        at = np.flatnonzero(same)
        kind = _plain(ent.column("kind")).to_numpy(zero_copy_only=False)
        now, before = order[at], order[at - 1]
        if not ((kind[now] == "jurisdiction") & (kind[before] == "jurisdiction") & (folder[now] > folder[before])).all():
            raise _Refused("entities.csv: a duplicate id")
        order, eids = order[~same], eids.filter(pa.array(~same))
        del kind
    ent = _take(ent, order)
    folder = folder if order is None else folder[order]
    eids = _one(eids)
    n_entities = ent.num_rows
    ekinds = list(model.entity_kinds)
    ecode = pc.index_in(_plain(ent.column("kind")), value_set=pa.array(ekinds)).to_numpy().astype(np.int8)
    schema = table_schema("entities")
    spill_path = tmp / ".entities.spill.parquet"
    spill = _Writer(spill_path, pa.schema([f for f in schema if f.name != "degree"]), compression="lz4")
    for a, n in _slices(n_entities):
        part = _plain_table(ent.slice(a, n))
        ecols: dict[str, Any] = {"idx": np.arange(a, a + n, dtype=np.int64)}
        for f, _ in _record_schema(Entity):
            if f != "dataset":
                ecols[f] = part.column(f)
        for f in ("aliases", "topics", "identifiers", "sources"):
            ecols[f] = _split(part.column(f))
        ecols["country"] = _distinct(part.column("country"), str.lower, pa.string())
        ecols["offshore"] = _distinct(part.column("offshore"), _bool, pa.bool_())
        ecols["placeholder"] = _distinct(part.column("placeholder"), lambda v: bool(_bool(v)), pa.bool_())
        ecols["dataset"] = label_of.take(pa.array(folder[a : a + n]))
        spill.write(ecols)
        del part, ecols
    spill.close()
    del ent, folder, order, same
    _release()

    # --- relations -------------------------------------------------------------------------------
    rel, folder = _read_resource("relations", raws, model, counts)
    _check_assertions_of(raws, model, counts)
    order, rids, same = _sorted_ids(_plain(rel.column("id")))
    if same is not None and same.any():
        raise _Refused("relations.csv: a duplicate id")
    rel = _take(rel, order)
    folder = folder if order is None else folder[order]
    del order, same
    n_relations = rel.num_rows
    src_at = pc.index_in(_plain(rel.column("source")), value_set=eids)
    dst_at = pc.index_in(_plain(rel.column("target")), value_set=eids)
    if src_at.null_count or dst_at.null_count:
        raise _Refused("relations.csv: an entity that does not exist")
    # Positions fit int32 (index_in's own type); int64 only in the slices written.
    src_idx = _one(src_at).to_numpy()
    dst_idx = _one(dst_at).to_numpy()
    del src_at, dst_at, eids
    rkinds = list(model.relation_kinds)
    kcode = _one(pc.index_in(_plain(rel.column("kind")), value_set=pa.array(rkinds))).to_numpy().astype(np.int8)
    # validate.py `self-loop` and `statement-target`: a statement kind (about one entity) runs
    # from an entity to itself, every other kind between two entities.
    statement = np.array([bool(getattr(model.relation_kinds[k], "statement", False)) for k in rkinds], dtype=bool)[kcode]
    if ((src_idx == dst_idx) != statement).any():
        raise _Refused("relations.csv: a self-loop, or a statement between two entities")
    del statement
    ne = len(ekinds)
    combos = (kcode.astype(np.int64) * ne + ecode[src_idx]) * ne + ecode[dst_idx]
    for combo in np.unique(combos).tolist():
        k, rest = divmod(int(combo), ne * ne)
        if not model.relation_kinds[rkinds[k]].allows(ekinds[rest // ne], ekinds[rest % ne]):
            raise _Refused(f"relations.csv: {rkinds[k]} between kinds it does not allow")
    del combos, ecode
    for fname in model.relation_fields:
        if fname not in rel.column_names:
            continue
        used = pc.greater(pc.utf8_length(_plain(rel.column(fname))), 0).to_numpy(zero_copy_only=False)
        for k in np.unique(kcode[used]).tolist():
            if fname not in model.relation_kinds[rkinds[k]].fields:
                raise _Refused(f"relations.csv: {rkinds[k]} relations do not take {fname}")
        del used
    del kcode
    rlists = _split(_plain(rel.column("sources")))
    at_source = pc.index_in(rlists.flatten(), value_set=sids)
    if at_source.null_count:
        raise _Refused("relations.csv: sources: a dangling reference")
    positions = _one(at_source).to_numpy()
    del at_source, sids
    roffsets = rlists.offsets.to_numpy().astype(np.int64)
    if (np.diff(roffsets) == 0).any():
        raise _Refused("relations.csv: a relation without a source")
    refs = _split(_plain(rel.column("refers_to")))
    ref_offsets = refs.offsets.to_numpy().astype(np.int64)
    ref_parent = np.repeat(np.arange(n_relations, dtype=np.int64), np.diff(ref_offsets))
    ref_to = np.zeros(0, dtype=np.int64)
    if len(ref_parent):
        at = pc.index_in(refs.flatten(), value_set=_one(rids))
        if at.null_count:
            raise _Refused("relations.csv: refers_to: a dangling reference")
        ref_to = at.to_numpy().astype(np.int64)
        if (ref_to == ref_parent).any():
            raise _Refused("relations.csv: refers_to: a relation that refers to itself")
    del rids
    if len(set(ranks.values())) != len(ranks) and _any(pc.equal(pc.utf8_length(_plain(rel.column("evidence"))), 0)):
        raise _Refused("schema: two evidence statuses share a rank")
    by_rank = {rank: name for name, rank in ranks.items()}
    status = pa.array([by_rank.get(r, "") for r in range(int(srank.max(initial=0)) + 1)], pa.string())

    flags = {
        "directed": {k: v.directed for k, v in model.relation_kinds.items()},
        "ownership": {k: v.ownership for k, v in model.relation_kinds.items()},
    }
    totals = np.zeros(n_entities, dtype=np.float64)
    out = _Writer(tmp / "relations.parquet", table_schema("relations"))
    for a, n in _slices(n_relations):
        part = _plain_table(rel.slice(a, n))
        # validate.py `_check_dates_and_shares`, a slice at a time (each rule is per row).
        first = _distinct(part.column("start"), lambda v: parse_partial(v)[0].toordinal() if v else None, pa.int64())
        last = _distinct(part.column("end"), lambda v: parse_partial(v)[1].toordinal() if v else None, pa.int64())
        if _any(pc.greater(first, last)):
            raise _Refused("relations.csv: an end before its start")
        del first, last
        numbers = {
            f: _distinct(part.column(f), lambda v: float(v) if v else None, pa.float64())
            for f in ("share", "share_min", "share_max", "amount", "rank", "score")
        }
        for f in ("share", "share_min", "share_max"):
            if _any(pc.or_(pc.less(numbers[f], 0), pc.greater(numbers[f], 100))):
                raise _Refused(f"relations.csv: {f} outside 0-100")
        if _any(pc.greater(numbers["share_min"], numbers["share_max"])):
            raise _Refused("relations.csv: share_min above share_max")
        if _any(pc.and_(pc.is_valid(numbers["share"]), pc.or_(pc.is_valid(numbers["share_min"]), pc.is_valid(numbers["share_max"])))):
            raise _Refused("relations.csv: a share and a range")
        direct_owner = (
            pc.and_(
                pc.and_(pc.equal(part.column("kind"), "owns"), pc.is_valid(numbers["share"])),
                pc.and_(pc.not_equal(part.column("direct"), "indirect"), pc.equal(pc.utf8_length(part.column("end")), 0)),
            )
            .to_numpy(zero_copy_only=False)
            .astype(bool)
        )
        if direct_owner.any():
            share = numbers["share"].to_numpy(zero_copy_only=False)
            totals += np.bincount(dst_idx[a : a + n][direct_owner], weights=share[direct_owner], minlength=n_entities)

        # dataset.py `_to_relations`: an empty evidence is the strongest of the cited sources'.
        evidence = part.column("evidence")
        unset = pc.equal(pc.utf8_length(evidence), 0)
        if _any(unset):
            lo, hi = roffsets[a], roffsets[a + n]
            strongest = np.maximum.reduceat(srank[positions[lo:hi]], roffsets[a : a + n] - lo)
            evidence = pc.if_else(unset, status.take(pa.array(strongest)), evidence)

        rcols: dict[str, Any] = {"ridx": np.arange(a, a + n, dtype=np.int64)}
        for f, _ in _record_schema(Relation):
            if f != "dataset":
                rcols[f] = part.column(f)
        rcols.update(numbers)
        rcols["sources"] = rlists.slice(a, n)
        rcols["evidence"] = evidence
        rcols["currency"] = _distinct(part.column("currency"), str.upper, pa.string())
        rcols["refers_to"] = refs.slice(a, n)
        rcols["dataset"] = label_of.take(pa.array(folder[a : a + n]))
        rcols["src"] = src_idx[a : a + n].astype(np.int64)
        rcols["dst"] = dst_idx[a : a + n].astype(np.int64)
        for flag, of in flags.items():
            rcols[flag] = _distinct(part.column("kind"), of.__getitem__, pa.bool_())
        out.write(rcols)
        del part, rcols, numbers, evidence, unset
    out.close()
    # The direct-shares warning, with a margin for the order of the float additions.
    if (totals > 100.0001 - 1e-6).any():
        raise _Refused("relations.csv: direct shares in one asset past 100%")
    del rel, folder, rlists, refs, positions, roffsets, totals, srank
    _release()

    # --- adjacency: both directions of every relation, sorted by (node, nbr, ridx) ---------------
    # One int64 key per entry, node * n + nbr, interleaved in relation order (relation r's two
    # entries at 2r and 2r + 1): a stable sort of the key gives ridx order within equal keys,
    # which is `compile_store`'s lexsort of (node, nbr, ridx) with one key instead of three.
    width = max(n_entities, 1)
    key = np.empty(2 * n_relations, dtype=np.int64)
    key[0::2] = src_idx.astype(np.int64) * width + dst_idx
    key[1::2] = dst_idx.astype(np.int64) * width + src_idx
    order = np.argsort(key, kind="stable")
    out = _Writer(tmp / "adjacency.parquet", table_schema("adjacency"))
    for a, n in _slices(2 * n_relations):
        at = order[a : a + n]
        keys = key[at]
        node = keys // width
        out.write({"node": node, "nbr": keys - node * width, "ridx": at // 2})
        del at, keys, node
    out.close()
    del key, order
    refs_out = _Writer(tmp / "refs.parquet", table_schema("refs"))
    refs_out.write({"ridx": ref_parent, "ref": ref_to})
    refs_out.close()
    del ref_parent, ref_to

    # --- entities, written last: their degree counts the relations -----------------------------
    degree = np.bincount(src_idx, minlength=n_entities) + np.bincount(dst_idx, minlength=n_entities)
    degree = degree.astype(np.int64)
    del src_idx, dst_idx
    _release()
    out = _Writer(tmp / "entities.parquet", schema)
    spilled = pq.ParquetFile(spill_path)
    start = 0
    for batch in spilled.iter_batches(batch_size=max(SLICE_ROWS, 1)):
        cols = {f: batch.column(f) for f in batch.schema.names}
        cols["degree"] = degree[start : start + batch.num_rows]
        out.write(cols)
        start += batch.num_rows
        del batch, cols
    if start == 0:
        out.write({f.name: pa.array([], f.type) for f in schema})
    out.close()
    del degree
    named = spilled.read(columns=["name", "aliases"])
    spilled.close()
    spill_path.unlink()
    names, aliases = named.column("name"), _one(named.column("aliases"))
    del named
    _release()  # hand the tables' memory back before the names' Python work
    _write_names(tmp / "names.parquet", names, aliases)
    del names, aliases
    from tracker.words import write_words

    write_words(tmp)  # words.parquet and vocabulary.parquet, from names.parquet

    manifest = {
        "format": FORMAT,
        "tracker": __version__,
        "code": code_signature(),
        "inputs": fingerprint(roots if roots is not None else folders),
        "name": "+".join(labels),
        "names": labels,
        "content_hash": content_hash(folders),
        "data_date": data_date,
        "entities": n_entities,
        "relations": n_relations,
        "sources": n_sources,
        "warnings": [],
    }
    (tmp / MANIFEST).write_text(json.dumps(manifest, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return manifest


def _write_names(path: Path, names: Any, aliases: Any) -> None:
    """names.parquet as `compile_store` writes it, with `fold`/`skeleton` once per distinct name.

    Per entity (in id order): its name, then its aliases, each once; per name that has a
    skeleton, one row per distinct word of the skeleton, in order.
    """
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    from tracker.store import table_schema

    n = len(names)
    offsets = aliases.offsets.to_numpy().astype(np.int64)
    offsets = offsets - offsets[0]
    counts = np.diff(offsets)
    n_alias = int(offsets[-1])
    if n_alias:
        # Interleave: entity e's name at e + offsets[e], its alias k (flat) at parent(k) + k + 1.
        perm = np.empty(n + n_alias, dtype=np.int64)
        perm[np.arange(n) + offsets[:-1]] = np.arange(n)
        alias_parent = np.repeat(np.arange(n, dtype=np.int64), counts)
        perm[alias_parent + np.arange(n_alias) + 1] = n + np.arange(n_alias)
        every = pa.chunked_array([*(names.chunks if isinstance(names, pa.ChunkedArray) else [names]), aliases.flatten()])
        every = every.take(pa.array(perm))
        del perm, alias_parent
    else:
        every = names  # no aliases (an ICIJ import): one name per entity, in entity order
    owner = np.repeat(np.arange(n, dtype=np.int64), counts + 1)
    uniq = pc.unique(every)
    code = pc.index_in(every, value_set=uniq).to_numpy().astype(np.int64)
    if n_alias:
        # Each of an entity's names once (an alias may repeat its name or another alias).
        first = np.sort(np.unique(owner * max(len(uniq), 1) + code, return_index=True)[1])
        owner, code = owner[first], code[first]
        del first

    del every
    # Skeleton and fold of each distinct name, FOLD_NAMES at a time: their Python strings never
    # exist all at once (at 10M generator nodes, some 10M names).
    keys, folds = [], []
    for at in range(0, len(uniq), FOLD_NAMES):
        pairs = _name_keys_all(uniq.slice(at, FOLD_NAMES).to_pylist())
        keys.append(pa.array([k for k, _ in pairs], pa.string()))
        folds.append(pa.array([f for _, f in pairs], pa.string()))
        del pairs
    key_arr = pa.concat_arrays(keys) if keys else pa.array([], pa.string())
    fold_arr = pa.concat_arrays(folds) if folds else pa.array([], pa.string())
    del keys, folds
    # The distinct words of each skeleton, in order (a skeleton's words are single-spaced).
    words = pc.split_pattern(key_arr, " ")
    word_of = pc.list_parent_indices(words).to_numpy().astype(np.int64)
    flat = pc.list_flatten(words)
    nonblank = pc.greater(pc.utf8_length(flat), 0)
    flat, word_of = flat.filter(nonblank), word_of[nonblank.to_numpy(zero_copy_only=False)]
    distinct_words = pc.unique(flat)
    word_code = pc.index_in(flat, value_set=distinct_words).to_numpy().astype(np.int64)
    once = np.sort(np.unique(word_of * max(len(distinct_words), 1) + word_code, return_index=True)[1])
    tokens, word_of = flat.take(pa.array(once)), word_of[once]
    ntok = np.bincount(word_of, minlength=len(uniq)).astype(np.int64)
    tok_start = np.zeros(len(uniq), dtype=np.int64)
    if len(uniq):
        tok_start[1:] = np.cumsum(ntok)[:-1]
    reps = ntok[code]
    rows = int(reps.sum())
    row_code = np.repeat(code, reps)
    row_token = tok_start[row_code] + (np.arange(rows, dtype=np.int64) - np.repeat(np.cumsum(reps) - reps, reps))
    row_owner = np.repeat(owner, reps)
    del reps, owner, code, tok_start, ntok, word_of
    out = _Writer(path, table_schema("names"))
    for a, n_rows in _slices(rows):
        take = pa.array(row_code[a : a + n_rows])
        out.write(
            {
                "idx": row_owner[a : a + n_rows],
                "name": uniq.take(take),
                "key": key_arr.take(take),
                "fold": fold_arr.take(take),
                "token": tokens.take(pa.array(row_token[a : a + n_rows])),
            }
        )
    out.close()


def _name_keys(names: list[str]) -> list[tuple[str, str]]:
    """(skeleton, fold) of each name, fold left empty where the skeleton is (`compile_store`'s rule)."""
    from tracker.names import fold, skeleton

    out = []
    for name in names:
        key = skeleton(name)
        out.append((key, fold(name) if key else ""))
    return out


def _name_keys_all(names: list[str]) -> list[tuple[str, str]]:
    """`_name_keys` of many names, split over one worker process per core when there are many.

    Folding costs up to milliseconds per non-Latin name (rigour's transliteration) and is most
    of a large compile's time; names are independent, so the work splits over the cores. The
    workers are plain ``python -c`` processes fed JSON on stdin (not multiprocessing, whose
    workers re-run an unguarded ``__main__`` script); if one fails, the names are folded here.
    """
    import subprocess
    from concurrent.futures import ThreadPoolExecutor

    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    if len(names) < PARALLEL_NAMES or cores < 2:
        return _name_keys(names)
    step = -(-len(names) // cores)
    slices = [names[i : i + step] for i in range(0, len(names), step)]
    env = dict(os.environ)
    package_parent = str(Path(__file__).resolve().parents[1])
    env["PYTHONPATH"] = os.pathsep.join(p for p in (package_parent, env.get("PYTHONPATH", "")) if p)
    command = [sys.executable, "-c", "from tracker.compile import _fold_worker; _fold_worker()"]

    def run(part: list[str]) -> list[tuple[str, str]]:
        try:
            done = subprocess.run(command, input=json.dumps(part).encode(), capture_output=True, env=env, check=False)
        except OSError:
            return _name_keys(part)
        if done.returncode != 0:
            return _name_keys(part)
        return [(k, f) for k, f in json.loads(done.stdout)]

    with ThreadPoolExecutor(max_workers=len(slices)) as pool:
        return [pair for part in pool.map(run, slices) for pair in part]


def _fold_worker() -> None:
    """A worker of `_name_keys_all`: names as a JSON list on stdin, [skeleton, fold] pairs on stdout."""
    names = json.loads(sys.stdin.buffer.read())
    sys.stdout.write(json.dumps(_name_keys(names)))
