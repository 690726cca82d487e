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
#: Below this many bytes of CSV the record path is the faster one: this path's imports and set-up
#: cost about a second, while `load` reads the curated data (a few hundred KB) in a fraction of one.
MIN_BYTES = 2 << 20

# Bytes read at a time when checking a file's encoding and quoting.
CHUNK = 1 << 24
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


def _scan(path: Path) -> None:
    """Refuse a file the two CSV readers could read differently, or that the reader rejects.

    The standard-library reader of `tracker.dataset` (strict) and pyarrow agree on files where
    every quote opens a field (at a line's or a field's start), closes one (before a comma, a
    line end or the end) or doubles another; they differ on others (pyarrow reads ``"a"b`` as
    ``ab``, the reader refuses it). The quotes are checked in order with numpy, and the bytes
    decoded as strict UTF-8 (the reader's `encoding` error); NUL bytes and a carriage return
    that is not part of CRLF are refused too.
    """
    import numpy as np

    decoder = codecs.getincrementaldecoder("utf-8")("strict")
    parity = 0  # quotes seen so far, modulo 2: odd means inside a quoted field
    prev = _LF  # the byte before the current chunk (the start counts as a line start)
    carry = b""  # the last byte of the previous chunk, checked once its successor is known
    first = True
    with path.open("rb") as fh:
        while True:
            block = fh.read(CHUNK)
            if first:
                first = False
                if block.startswith(b"\xef\xbb\xbf"):
                    block = block[3:]
            end = not block
            decoder.decode(block, final=end)
            if b"\x00" in block:
                raise _Refused(f"{path.name}: a NUL byte")
            data = carry + block
            if not data:
                break
            # Positions 0..len-2 are checked now (their next byte is known); the last one waits.
            upto = len(data) if end else len(data) - 1
            arr = np.frombuffer(data, dtype=np.uint8)
            before = np.concatenate([np.array([prev], dtype=np.uint8), arr[:-1]])
            after = np.concatenate([arr[1:], np.array([_LF], dtype=np.uint8)])  # the end acts as a line end
            cr = np.flatnonzero(arr[:upto] == _CR)
            if cr.size and not (after[cr] == _LF).all() or (end and data.endswith(b"\r")):
                raise _Refused(f"{path.name}: a carriage return outside CRLF")
            q = np.flatnonzero(arr[:upto] == _QUOTE)
            if q.size:
                ordinal = (parity + np.arange(q.size)) % 2
                opening = q[ordinal == 0]
                closing = q[ordinal == 1]
                ok_before = np.isin(before[opening], (_COMMA, _LF, _CR, _QUOTE))
                ok_after = np.isin(after[closing], (_COMMA, _LF, _CR, _QUOTE))
                if not (ok_before.all() and ok_after.all()):
                    raise _Refused(f"{path.name}: a quote inside an unquoted field or after a closing quote")
                parity = (parity + q.size) % 2
            if end:
                break
            prev = int(arr[-2]) if len(arr) > 1 else prev
            carry = data[-1:]
    if parity:
        raise _Refused(f"{path.name}: an unclosed quote")


def _read_csv(path: Path) -> tuple[list[str], Any]:
    """A data file as (stripped header, table of stripped text cells), or refused."""
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.csv as pv

    _scan(path)
    with path.open(encoding="utf-8-sig", newline="") as fh:
        header = next(csv.reader(fh, strict=True), None)
    if not header:
        raise _Refused(f"{path.name}: no header")
    names = [h.strip() for h in header]
    if len(set(header)) != len(header) or len(set(names)) != len(names):
        raise _Refused(f"{path.name}: a duplicate column")
    table = pv.read_csv(
        path,
        read_options=pv.ReadOptions(block_size=1 << 24),
        parse_options=pv.ParseOptions(newlines_in_values=True, ignore_empty_lines=True),
        convert_options=pv.ConvertOptions(column_types=dict.fromkeys(header, pa.string()), strings_can_be_null=False),
    )
    if table.column_names != header:
        raise _Refused(f"{path.name}: pyarrow read another header")
    # Strip cells as the reader does, copying only a column that has a cell to strip (importers
    # write stripped cells); columns leave `table` one by one so their memory goes as they do.
    space = _space()
    edge = f"^[{_re2_class(space)}]|[{_re2_class(space)}]$"
    cols = []
    while table.num_columns:
        col = table.column(0)
        table = table.remove_column(0)
        cols.append(pc.utf8_trim(col, characters=space) if _any(pc.match_substring_regex(col, edge)) else col)
        del col
    return names, pa.table(cols, names=names)


# --- the checks -----------------------------------------------------------------------------------


def _any(mask: Any) -> bool:
    import pyarrow.compute as pc

    return bool(pc.any(mask).as_py())


def _all(mask: Any) -> bool:
    """Whether every value is true (an empty column: yes)."""
    import pyarrow.compute as pc

    return not _any(pc.invert(mask))


def _split(col: Any) -> tuple[Any, Any]:
    """`tracker.dataset.split_list` of every cell: (parts as a list array, parent row of each part)."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    n = len(col)
    parts = pc.split_pattern(col, ";")
    parent = pc.list_parent_indices(parts).to_numpy()
    flat = pc.utf8_trim(pc.list_flatten(parts), characters=_space())
    keep = pc.greater(pc.utf8_length(flat), 0)
    values = pc.filter(flat, keep)
    counts = np.bincount(parent[keep.to_numpy(zero_copy_only=False)], minlength=n)
    offsets = np.zeros(n + 1, dtype=np.int32)
    np.cumsum(counts, out=offsets[1:])
    values = values.combine_chunks() if isinstance(values, pa.ChunkedArray) else values
    lists = pa.ListArray.from_arrays(pa.array(offsets), values)
    return lists, np.repeat(np.arange(n, dtype=np.int64), counts)


def _distinct(col: Any, fn: Callable[[str], Any], type_: Any) -> Any:
    """`fn` of every cell, called once per distinct value (the record path's own conversions)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    uniq = pc.unique(col)
    mapped = pa.array([fn(v) for v in uniq.to_pylist()], type=type_)
    out = mapped.take(pc.index_in(col, value_set=uniq))
    return out.combine_chunks() if isinstance(out, pa.ChunkedArray) else out


def _check_columns(name: str, table: Any, ck: Any) -> None:
    """validate.py `_Checker.column`/`cell` on every column: characters, lengths, required, types."""
    import pyarrow.compute as pc

    from tracker.validate import _CACHED_TYPES, LONG_CELL

    pat = _patterns()
    for spec in RESOURCES[name]:
        if spec.name not in table.column_names:
            continue
        col = table.column(spec.name)
        where = f"{FILES[name]}: {spec.name}"
        if len(col) == 0:
            continue
        lengths = pc.utf8_length(col)
        if (pc.max(lengths).as_py() or 0) > LONG_CELL:
            raise _Refused(f"{where}: a cell over {LONG_CELL} characters")
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
            lists, _ = _split(col)
            if not _all(pc.match_substring_regex(lists.flatten(), pat["id"])):
                raise _Refused(f"{where}: a bad id in a list")
        elif t == "url":
            if not _all(pc.match_substring_regex(col, pat["url"])):
                raise _Refused(f"{where}: not an http(s) URL")
        elif t not in ("text", "list"):
            raise _Refused(f"{where}: type {t!r} has no column check here")


def _duplicate_rows(name: str, table: Any) -> None:
    """validate.py `duplicate-row`: two rows of one file equal in every cell but the id."""
    import duckdb

    cols = [c for c in table.column_names if c != "id"]
    if table.num_rows < 2 or not cols:
        return
    quoted = ", ".join('"' + c.replace('"', '""') + '"' for c in cols)
    con = duckdb.connect()
    try:
        con.execute("SET enable_progress_bar = false")  # stderr carries only tracker's messages
        con.register("t", table)
        row = con.execute(f"SELECT count(*) - count(DISTINCT hash({quoted})) FROM t").fetchone()
        if row is not None and row[0]:
            # Equal hashes: compare in full (a true duplicate, or a hash collision).
            dup = con.execute(f"SELECT 1 FROM t GROUP BY {quoted} HAVING count(*) > 1 LIMIT 1").fetchone()
            if dup is not None:
                raise _Refused(f"{FILES[name]}: a duplicate row")
    finally:
        con.close()


def _sorted_ids(ids: Any) -> tuple[Any, Any, Any]:
    """(stable sort order, ids in that order, mask of rows equal to the row before them)."""
    import numpy as np
    import pyarrow.compute as pc

    order = pc.sort_indices(ids)
    ordered = ids.take(order)
    same = np.zeros(len(ordered), dtype=bool)
    if len(ordered) > 1:
        same[1:] = pc.equal(ordered.slice(1), ordered.slice(0, len(ordered) - 1)).to_numpy(zero_copy_only=False)
    return order.to_numpy(), ordered, same


def _take(table: Any, order: Any) -> Any:
    """The rows of `table` at `order`; the table itself when that is every row in place (no copy).

    Importers write rows sorted by id, so this usually saves a copy of the largest table.
    """
    import numpy as np

    if len(order) == table.num_rows and (order == np.arange(len(order))).all():
        return table
    return table.take(order)


def _folder_tables(root: Path, model: Model) -> tuple[RawDataset, dict[str, Any]]:
    """One folder read and checked on its own: descriptor, headers, columns, duplicate rows."""
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
    tables: dict[str, Any] = {}
    for name, fname in FILES.items():
        path = root / fname
        if not path.is_file():
            raise _Refused(f"{fname}: missing")
        header, table = _read_csv(path)
        raw.tables[name] = Table(name, path, header=header)
        tables[name] = table
    report = Report()
    ck = _Checker(model, report, "")
    _check_descriptor(raw, ck)
    _check_header(raw, ck)
    if report.errors or report.warnings:
        raise _Refused(str((report.errors + report.warnings)[0]))
    for name, table in tables.items():
        _check_columns(name, table, ck)
        _duplicate_rows(name, table)
    return raw, tables


def _combine(name: str, per: list[dict[str, Any]], names: list[str]) -> Any:
    """One resource of every folder as one table: every field ("" where a file lacks it), the
    folder's name as ``dataset`` and its position as ``folder``, in folder order."""
    import pyarrow as pa

    parts = []
    for i, (tables, label) in enumerate(zip(per, names, strict=True)):
        t = tables[name]
        n = t.num_rows
        cols = {}
        for spec in RESOURCES[name]:
            cols[spec.name] = t.column(spec.name) if spec.name in t.column_names else pa.repeat(pa.scalar("", pa.string()), n)
        cols["dataset"] = pa.repeat(pa.scalar(label, pa.string()), n)
        cols["folder"] = pa.repeat(pa.scalar(i, pa.int32()), n)
        parts.append(pa.table(cols))
    return pa.concat_tables(parts)


def _compile(folders: list[Path], roots: Sequence[Path] | None, tmp: Path) -> dict[str, Any]:
    """Check every folder, then write every table and the manifest into `tmp`; returns the manifest."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    from tracker import __version__
    from tracker.dataset import _bool
    from tracker.dates import parse_partial
    from tracker.store import FORMAT, MANIFEST, _record_schema, _write_table, code_signature, fingerprint, table_schema
    from tracker.validate import Report, _check_assertions, _Checker

    model = load_model()
    raws: list[RawDataset] = []
    per: list[dict[str, Any]] = []
    for root in folders:
        raw, tables = _folder_tables(root, model)
        counts = {n: t.num_rows for n, t in tables.items()}
        kinds = {str(k["values"]): int(k["counts"]) for k in pc.value_counts(tables["entities"].column("kind")).to_pylist()}
        report = Report()
        _check_assertions(raw, _Checker(model, report, ""), counts, kinds)
        if report.errors or report.warnings:
            raise _Refused(str((report.errors + report.warnings)[0]))
        raws.append(raw)
        per.append(tables)
    labels = [raw.name for raw in raws]
    src = _combine("sources", per, labels)
    ent = _combine("entities", per, labels)
    rel = _combine("relations", per, labels)
    del per

    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)

    # --- sources ---------------------------------------------------------------------------------
    order, sids, same = _sorted_ids(src.column("id"))
    if same.any():
        raise _Refused("sources.csv: a duplicate id")
    src = _take(src, order)
    sids = sids.combine_chunks()
    # validate.py `_check_date_precision`: exact, month and year need a date of that form.
    precision = pc.index_in(src.column("date_precision"), value_set=pa.array(["year", "month", "exact"]))
    qualified = pc.is_valid(precision)
    if _any(qualified):
        dates = pc.filter(src.column("date"), qualified)
        need = pc.filter(precision, qualified)
        bad = pc.or_(pc.equal(pc.utf8_length(dates), 0), pc.not_equal(pc.count_substring(dates, "-"), need))
        if _any(bad):
            raise _Refused("sources.csv: a date that does not match its date_precision")
    ranks = {name: s.rank for name, s in model.evidence_statuses.items()}
    srank = _distinct(src.column("evidence"), lambda v: ranks.get(v, 0), pa.int64()).to_numpy()
    nonempty = pc.filter(src.column("date"), pc.greater(pc.utf8_length(src.column("date")), 0))
    data_date = str(pc.max(nonempty).as_py() or "") if len(nonempty) else ""
    scols = {f: src.column(f) for f, _ in _record_schema(Source)}
    scols["mirror"] = _distinct(src.column("mirror"), lambda v: bool(_bool(v)), pa.bool_())
    _write_table(tmp / "sources.parquet", scols, table_schema("sources"))
    n_sources = src.num_rows
    del src, scols

    # --- entities --------------------------------------------------------------------------------
    # validate.py: entity sources must exist; the offshore flag is for jurisdictions (a warning).
    elists, _ = _split(ent.column("sources"))
    if not _all(pc.is_in(elists.flatten(), value_set=sids)):
        raise _Refused("entities.csv: sources: a dangling reference")
    if _any(pc.and_(pc.greater(pc.utf8_length(ent.column("offshore")), 0), pc.not_equal(ent.column("kind"), "jurisdiction"))):
        raise _Refused("entities.csv: offshore: the offshore flag on an entity that is no jurisdiction")
    order, eids, same = _sorted_ids(ent.column("id"))
    if same.any():
        # validate.py `duplicate-id`: only a jurisdiction that another folder defined first; the
        # record path keeps that first definition (stable sort: folder order within an id).
        at = np.flatnonzero(same)
        kind = ent.column("kind").to_numpy(zero_copy_only=False)
        folder = ent.column("folder").to_numpy()
        now, before = order[at], order[at - 1]
        if not ((kind[now] == "jurisdiction") & (kind[before] == "jurisdiction") & (folder[now] > folder[before])).all():
            raise _Refused("entities.csv: a duplicate id")
        order, eids = order[~same], eids.filter(pa.array(~same))
    ent = _take(ent, order)
    eids = eids.combine_chunks()

    # --- relations -------------------------------------------------------------------------------
    order, rids, same = _sorted_ids(rel.column("id"))
    if same.any():
        raise _Refused("relations.csv: a duplicate id")
    rel = _take(rel, order)
    rids = rids.combine_chunks()
    src_at = pc.index_in(rel.column("source"), value_set=eids)
    dst_at = pc.index_in(rel.column("target"), value_set=eids)
    if src_at.null_count or dst_at.null_count:
        raise _Refused("relations.csv: an entity that does not exist")
    src_idx = src_at.to_numpy().astype(np.int64)
    dst_idx = dst_at.to_numpy().astype(np.int64)
    rkinds = list(model.relation_kinds)
    ekinds = list(model.entity_kinds)
    kcode = pc.index_in(rel.column("kind"), value_set=pa.array(rkinds)).to_numpy().astype(np.int64)
    # validate.py `self-loop` and `statement-target`: a statement kind (about one entity) runs
    # from an entity to itself, every other kind between two entities.
    statement = np.array([bool(getattr(model.relation_kinds[k], "statement", False)) for k in rkinds], dtype=bool)[kcode]
    if ((src_idx == dst_idx) != statement).any():
        raise _Refused("relations.csv: a self-loop, or a statement between two entities")
    ecode = pc.index_in(ent.column("kind"), value_set=pa.array(ekinds)).to_numpy().astype(np.int64)
    ne = len(ekinds)
    for combo in np.unique((kcode * ne + ecode[src_idx]) * ne + ecode[dst_idx]).tolist():
        k, rest = divmod(int(combo), ne * ne)
        if not model.relation_kinds[rkinds[k]].allows(ekinds[rest // ne], ekinds[rest % ne]):
            raise _Refused(f"relations.csv: {rkinds[k]} between kinds it does not allow")
    for fname in model.relation_fields:
        if fname not in rel.column_names:
            continue
        used = pc.greater(pc.utf8_length(rel.column(fname)), 0).to_numpy(zero_copy_only=False)
        for k in np.unique(kcode[used]).tolist():
            if fname not in model.relation_kinds[rkinds[k]].fields:
                raise _Refused(f"relations.csv: {rkinds[k]} relations do not take {fname}")
    rlists, rparent = _split(rel.column("sources"))
    cited = rlists.flatten()
    at_source = pc.index_in(cited, value_set=sids)
    if at_source.null_count:
        raise _Refused("relations.csv: sources: a dangling reference")
    roffsets = rlists.offsets.to_numpy()
    if (np.diff(roffsets) == 0).any():
        raise _Refused("relations.csv: a relation without a source")
    refs, ref_parent = _split(rel.column("refers_to"))
    ref_to = pc.index_in(refs.flatten(), value_set=rids)
    if ref_to.null_count:
        raise _Refused("relations.csv: refers_to: a dangling reference")
    ref_to_np = ref_to.to_numpy().astype(np.int64)
    if (ref_to_np == ref_parent).any():
        raise _Refused("relations.csv: refers_to: a relation that refers to itself")

    # validate.py `_check_dates_and_shares`.
    first = _distinct(rel.column("start"), lambda v: parse_partial(v)[0].toordinal() if v else None, pa.int64())
    last = _distinct(rel.column("end"), lambda v: parse_partial(v)[1].toordinal() if v else None, pa.int64())
    if _any(pc.greater(first, last)):
        raise _Refused("relations.csv: an end before its start")
    numbers = {
        f: _distinct(rel.column(f), lambda v: float(v) if v else None, pa.float64())
        for f in ("share", "share_min", "share_max", "amount", "rank", "score")
    }
    for f in ("share", "share_min", "share_max"):
        if _any(pc.or_(pc.less(numbers[f], 0), pc.greater(numbers[f], 100))):
            raise _Refused(f"relations.csv: {f} outside 0-100")
    if _any(pc.greater(numbers["share_min"], numbers["share_max"])):
        raise _Refused("relations.csv: share_min above share_max")
    if _any(pc.and_(pc.is_valid(numbers["share"]), pc.or_(pc.is_valid(numbers["share_min"]), pc.is_valid(numbers["share_max"])))):
        raise _Refused("relations.csv: a share and a range")
    share = numbers["share"].to_numpy(zero_copy_only=False)
    direct_owner = (
        pc.and_(
            pc.and_(pc.equal(rel.column("kind"), "owns"), pc.is_valid(numbers["share"])),
            pc.and_(pc.not_equal(rel.column("direct"), "indirect"), pc.equal(pc.utf8_length(rel.column("end")), 0)),
        )
        .to_numpy(zero_copy_only=False)
        .astype(bool)
    )
    if direct_owner.any():
        # The direct-shares warning, with a margin for the order of the float additions.
        totals = np.bincount(dst_idx[direct_owner], weights=share[direct_owner], minlength=len(eids))
        if (totals > 100.0001 - 1e-6).any():
            raise _Refused("relations.csv: direct shares in one asset past 100%")

    # dataset.py `_to_relations`: an empty evidence is the strongest of the cited sources'.
    evidence = rel.column("evidence")
    unset = pc.equal(pc.utf8_length(evidence), 0)
    if _any(unset):
        if len(set(ranks.values())) != len(ranks):
            raise _Refused("schema: two evidence statuses share a rank")
        positions = at_source.to_numpy().astype(np.int64)
        strongest = np.maximum.reduceat(srank[positions], roffsets[:-1].astype(np.int64))
        by_rank = {rank: name for name, rank in ranks.items()}
        status = pa.array([by_rank.get(r, "") for r in range(int(strongest.max()) + 1)], pa.string())
        evidence = pc.if_else(unset, status.take(pa.array(strongest)), evidence)

    flags = {
        "directed": {k: v.directed for k, v in model.relation_kinds.items()},
        "ownership": {k: v.ownership for k, v in model.relation_kinds.items()},
    }
    rcols: dict[str, Any] = {"ridx": np.arange(rel.num_rows, dtype=np.int64)}
    for f, _ in _record_schema(Relation):
        rcols[f] = rel.column(f)
    rcols.update(numbers)
    rcols["sources"] = rlists
    rcols["evidence"] = evidence
    rcols["currency"] = _distinct(rel.column("currency"), str.upper, pa.string())
    rcols["refers_to"] = refs
    rcols["src"] = src_idx
    rcols["dst"] = dst_idx
    for flag, of in flags.items():
        rcols[flag] = _distinct(rel.column("kind"), of.__getitem__, pa.bool_())
    n_relations = rel.num_rows
    _write_table(tmp / "relations.parquet", rcols, table_schema("relations"))
    del rcols, rel, rlists, refs, numbers, first, last

    ridx = np.arange(n_relations, dtype=np.int64)
    node = np.concatenate([src_idx, dst_idx])
    nbr = np.concatenate([dst_idx, src_idx])
    via = np.concatenate([ridx, ridx])
    adj = np.lexsort((via, nbr, node))
    _write_table(tmp / "adjacency.parquet", {"node": node[adj], "nbr": nbr[adj], "ridx": via[adj]}, table_schema("adjacency"))
    del node, nbr, via, adj
    _write_table(tmp / "refs.parquet", {"ridx": ref_parent, "ref": ref_to_np}, table_schema("refs"))
    del sids, rids, at_source, cited, ref_to, ref_to_np, ref_parent, rparent, kcode, share, direct_owner, evidence

    # --- entities, written last: their degree counts the relations -----------------------------
    n_entities = ent.num_rows
    degree = np.bincount(np.concatenate([src_idx, dst_idx]), minlength=n_entities).astype(np.int64)
    ecols: dict[str, Any] = {"idx": np.arange(n_entities, dtype=np.int64)}
    for f, _ in _record_schema(Entity):
        ecols[f] = ent.column(f)
    for f in ("aliases", "topics", "identifiers", "sources"):
        ecols[f] = _split(ent.column(f))[0]
    ecols["country"] = _distinct(ent.column("country"), str.lower, pa.string())
    ecols["offshore"] = _distinct(ent.column("offshore"), _bool, pa.bool_())
    ecols["placeholder"] = _distinct(ent.column("placeholder"), lambda v: bool(_bool(v)), pa.bool_())
    ecols["degree"] = degree
    _write_table(tmp / "entities.parquet", ecols, table_schema("entities"))
    names, aliases = ent.column("name"), ecols["aliases"]
    del ecols, ent, src_idx, dst_idx, degree, eids, ecode
    pa.default_memory_pool().release_unused()  # hand the tables' memory back before the names' Python work
    _write_names(tmp / "names.parquet", names, aliases)
    del names, aliases

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

    from tracker.store import _write_table, table_schema

    n = len(names)
    offsets = aliases.offsets.to_numpy().astype(np.int64)
    offsets = offsets - offsets[0]
    counts = np.diff(offsets)
    n_alias = int(offsets[-1])
    # Interleave: entity e's name at e + offsets[e], its alias k (flat) at parent(k) + k + 1.
    perm = np.empty(n + n_alias, dtype=np.int64)
    perm[np.arange(n) + offsets[:-1]] = np.arange(n)
    alias_parent = np.repeat(np.arange(n, dtype=np.int64), counts)
    perm[alias_parent + np.arange(n_alias) + 1] = n + np.arange(n_alias)
    every = pa.chunked_array([*(names.chunks if isinstance(names, pa.ChunkedArray) else [names]), aliases.flatten()])
    every = every.take(pa.array(perm))
    owner = np.repeat(np.arange(n, dtype=np.int64), counts + 1)
    uniq = pc.unique(every)
    code = pc.index_in(every, value_set=uniq).to_numpy().astype(np.int64)
    first = np.sort(np.unique(owner * max(len(uniq), 1) + code, return_index=True)[1])
    owner, code = owner[first], code[first]

    pairs = _name_keys_all(uniq.to_pylist())
    key_arr = pa.array([k for k, _ in pairs], pa.string())
    fold_arr = pa.array([f for _, f in pairs], pa.string())
    del pairs
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
    within = np.arange(rows, dtype=np.int64) - np.repeat(np.cumsum(reps) - reps, reps)
    take = pa.array(row_code)
    cols = {
        "idx": np.repeat(owner, reps),
        "name": uniq.take(take),
        "key": key_arr.take(take),
        "fold": fold_arr.take(take),
        "token": tokens.take(pa.array(tok_start[row_code] + within)),
    }
    _write_table(path, cols, table_schema("names"))


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
