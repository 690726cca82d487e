"""nodes.csv, edges.csv and sources.csv streamed from the compiled store, for the build at scale.

At millions of relations the build cannot afford a networkx graph (14 GB at 2M ICIJ nodes) just
to write three tables that are the store's tables plus a few joined columns. Here DuckDB reads
the Parquet tables in slices of rows in id order (`entities.idx`, `relations.ridx` are the
positions in sorted id order, so a slice is a range), adds what the graph path derives (the
names of a relation's two ends and the citation of a row's one source, looked up by position in
arrays made once (`_Lookups`); the citations and web addresses of several sources, the
relations that answer it, an entity's statements that its owner is unknown, joined in SQL), and makes each
row's whole CSV line with the same rules as `tracker.export.tables.cell` (`_lines_sql`). The
lines come back as one Arrow string column whose buffer is written to the file as it is: no
Python object per row. sources.csv is the Parquet file's batches, in id order, through the
same SQL. A slice SQL cannot write exactly (a number in exponent form) is written cell by cell
in Python instead (`_node_rows`, `_edge_rows`).

The bytes are those `tracker.export.tables.write_csv(G, folder, all_sources=True)` writes for
the graph of the same data: the same columns in the same order, the same number format, list
separator, formula guard (`safe_cell`), citation text and CRLF lines (tests compare the two).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, BinaryIO

from tracker.export.common import _SUSPECT_START, format_number, safe_cell, write_csv_rows
from tracker.export.tables import EDGE_COLUMNS, LIST_SEP, NODE_COLUMNS, SOURCE_COLUMNS
from tracker.output import atomic_path, safe_child

__all__ = ["write_store_csv", "SLICE_ROWS"]

# Rows per slice. A slice no longer reads the whole entities or sources table (`_Lookups`), so
# smaller slices cost little more CPU; a quarter of a million lines of edges are about 125 MB of
# Arrow text and DuckDB's own working set, held to `tracker.pipeline.STORE_MEMORY_LIMIT` (or
# `CSV_MEMORY_LIMIT` in the build's second process). Measured at 2M ICIJ nodes, the three tables
# alone: 500,000 rows and 1 GB peaked at 2,129 MB, 250,000 and 512 MB at 1,563 MB (256 MB spilled
# more and peaked higher, 1,778 MB).
SLICE_ROWS = 250_000


# One source's citation as `tracker.export.common.citation_text` writes it: "title — publisher,
# date <url>", the date qualified by its precision, the address only when it is http(s).
def _dated(t: str = "") -> str:
    """The SQL of a source's date as cited, its columns read from table alias `t` (``"s."``) or bare."""
    return f"""CASE {t}date_precision
    WHEN 'approximate' THEN CASE WHEN coalesce({t}date, '') <> '' THEN 'c. ' || {t}date ELSE 'date approximate' END
    WHEN 'not_shown' THEN CASE WHEN coalesce({t}date, '') <> '' THEN {t}date || ' (date not shown; estimated)' ELSE 'undated' END
    ELSE coalesce({t}date, '') END"""


def _web(t: str = "") -> str:
    return f"(lower(coalesce({t}url, '')) LIKE 'http://%' OR lower(coalesce({t}url, '')) LIKE 'https://%')"


def _cite(t: str = "") -> str:
    return f"""coalesce(nullif({t}title, ''), {t}id)
    || CASE WHEN coalesce(nullif({t}publisher, ''), nullif({_dated(t)}, '')) IS NULL THEN ''
            ELSE ' — ' || concat_ws(', ', nullif({t}publisher, ''), nullif({_dated(t)}, '')) END
    || CASE WHEN {_web(t)} THEN ' <' || {t}url || '>' ELSE '' END"""


_DATED, _WEB, _CITE = _dated(), _web(), _cite()

# The citations and web addresses of the rows of one slice of a table with a `sources` list:
# one row per (position, cited source id), joined to the sources table; a cited id that is not
# in it is kept as "[id]", as `citation_text` keeps it.
_CITED = """
WITH part AS (SELECT {key} AS k, sources FROM {table} WHERE {key} >= $lo AND {key} < $hi),
cited AS (SELECT k, unnest(sources) AS sid, unnest(range(len(sources))) AS pos FROM part)
SELECT c.k AS k,
       string_agg(coalesce(s.cite, '[' || c.sid || ']'), '; ' ORDER BY c.pos) AS citations,
       list(s.web ORDER BY c.pos) FILTER (WHERE s.web IS NOT NULL) AS urls
FROM cited c LEFT JOIN (SELECT id, {cite} AS cite, CASE WHEN {web} THEN url END AS web FROM sources) s ON s.id = c.sid
GROUP BY c.k
"""


def _text_cells(values: list[Any]) -> list[str]:
    suspect = _SUSPECT_START
    return ["" if v is None else v if not v or v[0] not in suspect else safe_cell(v) for v in values]


def _cells(column: Any) -> list[str]:
    """One Arrow column as CSV cells, by its type: what `tables.cell` gives for each value."""
    import pyarrow as pa

    kind = column.type
    values = column.to_pylist()
    if pa.types.is_string(kind) or pa.types.is_large_string(kind):
        return _text_cells(values)
    if pa.types.is_list(kind) or pa.types.is_large_list(kind):
        return ["" if v is None else safe_cell(LIST_SEP.join(str(x) for x in v)) for v in values]
    if pa.types.is_boolean(kind):
        return ["" if v is None else "true" if v else "false" for v in values]
    if pa.types.is_integer(kind) or pa.types.is_floating(kind):
        return ["" if v is None else format_number(v) for v in values]
    return _text_cells([None if v is None else str(v) for v in values])


def _slices(total: int) -> Iterator[tuple[int, int]]:
    for lo in range(0, total, SLICE_ROWS):
        yield lo, min(lo + SLICE_ROWS, total)


def _query(con: Any, sql: str, lo: int, hi: int) -> Any:
    rel = con.sql(sql, params={"lo": lo, "hi": hi})
    return rel.to_arrow_table() if hasattr(rel, "to_arrow_table") else rel.arrow()


def _joined(base: Any, extra: Any, key: str, names: list[str]) -> dict[str, list[Any]]:
    """Columns `names` of `extra` aligned with `base` by `key` (None where `extra` has no row)."""
    at = {k: i for i, k in enumerate(extra.column("k").to_pylist())}
    rows = [at.get(k) for k in base.column(key).to_pylist()]
    out: dict[str, list[Any]] = {}
    for name in names:
        values = extra.column(name).to_pylist()
        out[name] = [None if i is None else values[i] for i in rows]
    return out


def _write(path: Path, header: list[str], rows: Iterator[list[str]] | Iterator[tuple[str, ...]]) -> Path:
    with atomic_path(path) as tmp, open(tmp, "w", encoding="utf-8", newline="") as stream:
        write_csv_rows(stream, header, rows)
    return Path(path)


# --- whole lines in SQL -------------------------------------------------------------------------
#
# Cells made and joined into CSV lines by DuckDB, a vector at a time: `safe_cell` (the formula
# guard, also after leading blanks), the csv module's minimal quoting with CRLF lines (a cell
# with a comma, a quote, CR or LF is quoted, quotes doubled), `format_number`. A number whose
# text DuckDB writes in exponent form (below 1e-4 or an integer of 1e18 or more) makes its line
# NULL, and that slice is written by the Python path below instead.
_GUARD = "^([\\t\\r]|[ \\n\\r\\t]*[=+@\uff1d\uff0b\uff0d\uff20-])"
# The first characters after which `safe_cell` looks further (`_SUSPECT_START`), as code points.
_SUSPECTS = ", ".join(str(ord(c)) for c in sorted(_SUSPECT_START))
_MACROS = (
    """CREATE OR REPLACE TEMP MACRO _csv_number(x) AS
        CASE WHEN x IS NULL OR isnan(x) OR isinf(x) THEN ''
             WHEN x = trunc(x) AND abs(x) < 1e18 THEN CAST(CAST(x AS BIGINT) AS VARCHAR)
             WHEN contains(CAST(x AS VARCHAR), 'e') THEN NULL
             ELSE CAST(x AS VARCHAR) END""",
    "CREATE OR REPLACE TEMP MACRO _csv_flag(x) AS CASE WHEN x IS NULL THEN '' WHEN x THEN 'true' ELSE 'false' END",
)


def _sql_cell(expr: str, kind: Any) -> tuple[str, bool]:
    """The SQL of one cell's text from column `expr` of Arrow type `kind`, and whether it is free text.

    Free text is then guarded and quoted (`_lines_sql`); numbers and flags are final as they are.
    """
    import pyarrow as pa

    if pa.types.is_list(kind) or pa.types.is_large_list(kind):
        return f"coalesce(array_to_string({expr}, '{LIST_SEP}'), '')", True
    if pa.types.is_boolean(kind):
        return f"_csv_flag({expr})", False
    if pa.types.is_integer(kind) or pa.types.is_floating(kind):
        return f"_csv_number(CAST({expr} AS DOUBLE))", False
    return f"coalesce(CAST({expr} AS VARCHAR), '')", True


def _lines_sql(cells: list[tuple[str, bool]], key: str, source: str) -> str:
    """One CSV line per row of `source` (SQL after SELECT ... ), with its `key` as ``_k`` (`_lines` orders by it).

    Three layers, so that each cell's text is computed once and then only referred to by name:
    the texts; the formula guard of the free-text ones (`safe_cell`); the csv module's minimal
    quoting, and the line.
    """
    names = [f"c{i}" for i in range(len(cells))]
    texts = ", ".join(f"{expr} AS {n}" for (expr, _), n in zip(cells, names, strict=True))
    guarded = ", ".join(
        f"CASE WHEN ascii({n}) NOT IN ({_SUSPECTS}) THEN {n} WHEN regexp_matches({n}, '{_GUARD}') THEN chr(39) || {n} ELSE {n} END AS {n}"
        if free
        else n
        for (_, free), n in zip(cells, names, strict=True)
    )
    quoted = ", ".join(
        f"CASE WHEN contains({n}, ',') OR contains({n}, '\"') OR contains({n}, chr(13)) OR contains({n}, chr(10)) "
        f"THEN '\"' || replace({n}, '\"', '\"\"') || '\"' ELSE {n} END"
        if free
        else n
        for (_, free), n in zip(cells, names, strict=True)
    )
    # concat_ws, not a chain of ||: each || copies the line so far (measured 6x slower). It
    # skips NULL cells, so a number it cannot write exactly is flagged in `bad` instead.
    bad = " OR ".join(f"{n} IS NULL" for (_, free), n in zip(cells, names, strict=True) if not free) or "false"
    # Each line ends in CRLF already, so that a slice's lines, end to end, are the file's bytes.
    return (
        f"SELECT concat_ws(',', {quoted}) || chr(13) || chr(10) AS line, {bad} AS bad, _k "
        f"FROM (SELECT _k, {guarded} FROM (SELECT {key} AS _k, {texts} {source}))"
    )


# The citations and web addresses (in citation order, each once) of the rows of `part` that cite
# two sources or more. A row citing one source (every row of an imported leak) takes its text
# straight from that source (`_ONE_CTE`, `_one_cells`): the ordered aggregation below costs three
# times the rest of a line, and for one source it is that source's citation and address.
_CITED_CTES = """
cited AS (SELECT {key} AS k, unnest(sources) AS sid, unnest(range(len(sources))) AS pos FROM part WHERE len(sources) > 1),
joined AS (SELECT c.k, c.pos, c.sid, {cite} AS cite, CASE WHEN {web} THEN url END AS web
           FROM cited c LEFT JOIN sources s ON s.id = c.sid),
cites AS (SELECT k, string_agg(coalesce(cite, '[' || sid || ']'), '; ' ORDER BY pos) AS citations FROM joined GROUP BY k),
urls AS (SELECT k, string_agg(web, '{sep}' ORDER BY first) AS urls
         FROM (SELECT k, web, min(pos) AS first FROM joined WHERE web IS NOT NULL GROUP BY k, web) GROUP BY k)
"""


# The citation and web address of the rows citing one source: looked up by position in texts
# made once for every source (`_Lookups`), handed in as the slice's table `_slice_ext`. Joined
# in SQL, each slice scanned and hashed the whole sources table again (at 10M, 10 million
# sources for every 500,000 lines). A cited id not in the sources table has no text here
# (NULL), and the cell keeps it as "[id]".
_ONE_CTE = "one AS (SELECT * FROM _slice_ext)"


def _one_join(key: str) -> str:
    return f"LEFT JOIN one ON one.k = part.{key}"


def _one_cells() -> tuple[str, str]:
    """The citations and source_urls cells: one source's own text (`_ONE_CTE`), or the aggregated ones (`_CITED_CTES`)."""
    one = "len(part.sources) = 1"
    citations = f"coalesce(CASE WHEN {one} THEN coalesce(one.cite, '[' || part.sources[1] || ']') ELSE cites.citations END, '')"
    urls = f"coalesce(CASE WHEN {one} THEN one.web ELSE urls.urls END, '')"
    return citations, urls


def _node_lines_sql() -> str:
    from tracker.store import table_schema

    types = {f.name: f.type for f in table_schema("entities")}
    derived = {"citations": (_one_cells()[0], True), "declared_unknown_owner": ("coalesce(declared.d, '')", True)}
    cells = [derived[c] if c in derived else _sql_cell(f'part."{c}"', types[c]) for c in NODE_COLUMNS]
    ctes = _CITED_CTES.format(key="idx", cite=_CITE, web=_WEB, sep=LIST_SEP) + ", " + _ONE_CTE
    # `tracker.export.common.declared_unknown_owner`: an entity's statements about its own
    # owner, oldest first, as "reason (dates)".
    when = """CASE WHEN coalesce("end", '') <> '' THEN coalesce(nullif(start, ''), '?') || '..' || "end" || ', ceased'
                   WHEN coalesce(start, '') <> '' THEN 'since ' || start ELSE 'undated' END"""
    return f"""
WITH part AS (SELECT * FROM entities WHERE idx >= $lo AND idx < $hi), {ctes},
declared AS (SELECT src AS k, string_agg(coalesce(nullif(role, ''), 'no reason given') || ' (' || {when} || ')', '{LIST_SEP}'
                                         ORDER BY coalesce(start, ''), id) AS d
             FROM relations WHERE src = dst AND src >= $lo AND src < $hi AND list_contains($kinds, kind) GROUP BY src)
{_lines_sql(cells, "part.idx", f"FROM part LEFT JOIN cites ON cites.k = part.idx LEFT JOIN declared ON declared.k = part.idx {_one_join('idx')}")}"""


def _edge_lines_sql() -> str:
    from tracker.store import table_schema

    types = {f.name: f.type for f in table_schema("relations")}
    derived = {
        "label": ("coalesce(l.label, '')", True),
        "source_name": ("coalesce(one.a_name, '')", True),
        "target_name": ("coalesce(one.b_name, '')", True),
        "referred_by": ("coalesce(answers.referred_by, '')", True),
        "source_urls": (_one_cells()[1], True),
        "citations": (_one_cells()[0], True),
    }
    cells = [derived[c] if c in derived else _sql_cell(f'part."{c}"', types[c]) for c in EDGE_COLUMNS]
    ctes = _CITED_CTES.format(key="ridx", cite=_CITE, web=_WEB, sep=LIST_SEP) + ", " + _ONE_CTE
    joins = (
        "FROM part LEFT JOIN labels l ON l.kind = part.kind "
        "LEFT JOIN cites ON cites.k = part.ridx LEFT JOIN urls ON urls.k = part.ridx LEFT JOIN answers ON answers.k = part.ridx "
        + _one_join("ridx")
    )
    return f"""
WITH part AS (SELECT * FROM relations WHERE ridx >= $lo AND ridx < $hi), {ctes},
answers AS (SELECT f.ref AS k, string_agg(r.id, '{LIST_SEP}' ORDER BY f.ridx) AS referred_by
            FROM refs f JOIN relations r ON r.ridx = f.ridx WHERE f.ref >= $lo AND f.ref < $hi GROUP BY f.ref),
labels AS (SELECT unnest($kinds) AS kind, unnest($labels) AS label)
{_lines_sql(cells, "part.ridx", joins)}"""


def _lines(con: Any, sql: str, params: dict[str, Any]) -> Any:
    """The CSV lines of one slice as an Arrow column, or None when one needs the Python path (see `_MACROS`)."""
    import pyarrow.compute as pc

    rel = con.sql(sql, params=params)
    table = rel.to_arrow_table() if hasattr(rel, "to_arrow_table") else rel.arrow()
    if hasattr(table, "read_all"):  # a record batch reader
        table = table.read_all()
    if table.num_rows and pc.any(table.column("bad")).as_py():
        return None
    # In key order: DuckDB keeps the slice's order through its joins as a rule (an ORDER BY in
    # SQL sorted every line, 10% of the time), and where it does not, the lines are sorted here.
    key = table.column("_k").to_numpy()
    if len(key) > 1 and not bool((key[1:] > key[:-1]).all()):
        table = table.take(pc.sort_indices(table.column("_k")))
    return table.column("line")


def _write_bytes(stream: BinaryIO, lines: Any) -> None:
    """Write a column of whole lines (each ending in CRLF) as they are: the bytes of its string buffers.

    No Python string is made per line: a slice of half a million lines is a few writes.
    """
    import numpy as np
    import pyarrow as pa

    for chunk in lines.chunks:
        if not len(chunk):
            continue
        if chunk.null_count:  # never from `_lines_sql` (concat_ws is never NULL); the safe way anyway
            chunk = chunk.fill_null("")
        if not (pa.types.is_string(chunk.type) or pa.types.is_large_string(chunk.type)):
            chunk = chunk.cast(pa.large_string())
        width = np.int64 if pa.types.is_large_string(chunk.type) else np.int32
        _, offsets, data = chunk.buffers()
        ends = np.frombuffer(offsets, dtype=width, count=len(chunk) + 1, offset=chunk.offset * np.dtype(width).itemsize)
        if data is not None and ends[-1] > ends[0]:
            stream.write(memoryview(data)[int(ends[0]) : int(ends[-1])])


def _header_bytes(header: list[str]) -> bytes:
    buffer = io.StringIO()
    write_csv_rows(buffer, header, [])
    return buffer.getvalue().encode("utf-8")


def _rows_bytes(rows: Iterator[tuple[str, ...]] | Iterator[list[str]]) -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL).writerows(rows)
    return buffer.getvalue().encode("utf-8")


class _Lookups:
    """What a slice's lines look up by position rather than join in SQL: entity names, source citations.

    Joined in each slice's SQL, an edge's two end names and a row's one source made DuckDB scan
    and hash the whole entities and sources tables again for every 500,000 lines: at 10M ICIJ
    nodes (10 million entities and sources, 59 slices of edges) that was 30 of each slice's 38
    seconds, and edges.csv took 13.6 times its 2M time for 5 times the rows. Here each is read
    or made once, in position order (`entities.idx`; the sources file's row order), and a
    slice takes its rows' values by position (`slice_table`): entity names (about 320 MB of
    text at 10M), every source's citation text and web address (as `_cite`, `_web` make them),
    and the position of the one source each row cites (-1 when it cites none, several, or an
    id the sources table lacks), found by one join of each table's first source ids.
    """

    def __init__(self, store: Any, con: Any) -> None:
        import pyarrow as pa
        import pyarrow.parquet as pq

        self.con = con
        self.store = store
        self.names = _one_chunk(pq.read_table(store.path("entities"), columns=["name"]).column("name"))
        path = _sql_text(str(store.path("sources")))
        # One chunk of 64-bit offsets straight from DuckDB: at 10M sources the citations are 2 GB
        # of text (past 32-bit offsets), and joining chunks afterwards would hold it twice.
        count = int(con.execute(f"SELECT count(*) FROM read_parquet({path})").fetchone()[0])
        large = con.execute("SELECT current_setting('arrow_large_buffer_size')").fetchone()[0]
        con.execute("SET arrow_large_buffer_size = true")
        try:
            rel = con.sql(
                f"SELECT {_CITE} AS cite, CASE WHEN {_WEB} THEN url END AS web, file_row_number AS n FROM read_parquet({path}, file_row_number = true)"
            )
            texts = rel.to_arrow_table(count + 1) if hasattr(rel, "to_arrow_table") else _arrow(rel)
        finally:
            con.execute(f"SET arrow_large_buffer_size = {'true' if large else 'false'}")
        order = texts.column("n").to_numpy()
        if len(order) and not bool((order == _range(len(order))).all()):
            texts = texts.take(pa.array(order.argsort(kind="stable")))
        self.cites, self.webs = _one_chunk(texts.column("cite")), _one_chunk(texts.column("web"))
        del texts
        self.first: dict[str, Any] = {}

    def free(self) -> None:
        self.names = self.cites = self.webs = None
        self.first.clear()

    def first_source(self, table: str, key: str, count: int) -> Any:
        """The sources-file position of the one source each row of `table` cites (-1 if it cites not exactly one known source), by `key`."""
        import numpy as np

        if table not in self.first:
            path = _sql_text(str(self.store.path("sources")))
            found = _arrow(
                self.con.sql(
                    f"SELECT t.{key} AS k, s.file_row_number AS pos FROM (SELECT {key}, sources[1] AS sid FROM {table} WHERE len(sources) = 1) t "
                    f"JOIN (SELECT id, file_row_number FROM read_parquet({path}, file_row_number = true)) s ON s.id = t.sid"
                )
            )
            at = np.full(count, -1, dtype=np.int64 if count > 2**31 else np.int32)
            at[found.column("k").to_numpy()] = found.column("pos").to_numpy()
            self.first[table] = at
        return self.first[table]

    def slice_table(self, table: str, key: str, count: int, lo: int, hi: int) -> Any:
        """The table `_slice_ext` of rows `lo`..`hi` of `table`: k, cite, web (and a_name, b_name of a relation's ends)."""
        import numpy as np
        import pyarrow as pa

        at = self.first_source(table, key, count)[lo:hi]
        known = at >= 0
        where = pa.array(np.where(known, at, 0), mask=~known)
        columns = {"k": pa.array(_range(hi - lo) + lo), "cite": self.cites.take(where), "web": self.webs.take(where)}
        if table == "relations":
            ends = _arrow(
                self.con.sql("SELECT src, dst FROM relations WHERE ridx >= $lo AND ridx < $hi ORDER BY ridx", params={"lo": lo, "hi": hi})
            )
            columns["a_name"] = self.names.take(ends.column("src"))
            columns["b_name"] = self.names.take(ends.column("dst"))
        return pa.table(columns)


def _range(n: int) -> Any:
    import numpy as np

    return np.arange(n, dtype=np.int64)


def _one_chunk(column: Any) -> Any:
    """A text column as one array of 64-bit offsets: `take` on a column of several chunks joins them again on every call."""
    import pyarrow as pa

    if column.num_chunks == 1 and column.type == pa.large_string():
        return column.chunk(0)  # as it is: no copy
    return column.cast(pa.large_string()).combine_chunks()


def _arrow(rel: Any) -> Any:
    table = rel.to_arrow_table() if hasattr(rel, "to_arrow_table") else rel.arrow()
    return table.read_all() if hasattr(table, "read_all") else table


def _sql_text(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _write_table(
    path: Path,
    header: list[str],
    con: Any,
    total: int,
    sql: str,
    params: dict[str, Any],
    fallback: Callable[[int, int], Iterator[tuple[str, ...]]],
    ext: Callable[[int, int], Any],
) -> Path:
    with atomic_path(path) as tmp, open(tmp, "wb") as stream:
        stream.write(_header_bytes(header))
        for lo, hi in _slices(total):
            con.register("_slice_ext", ext(lo, hi))
            try:
                lines = _lines(con, sql, {**params, "lo": lo, "hi": hi})
            finally:
                con.unregister("_slice_ext")
            if lines is None:
                stream.write(_rows_bytes(fallback(lo, hi)))
            else:
                _write_bytes(stream, lines)
    return Path(path)


# --- the Python path: cells per column, for a slice whose lines SQL cannot make exactly --------


def _node_rows(store: Any, lo: int, hi: int) -> Iterator[tuple[str, ...]]:
    from tracker.model import load_model

    con = store.sql
    kinds = load_model().relation_kinds
    statements = sorted(k for k, kind in kinds.items() if kind.statement)
    fields = [c for c in NODE_COLUMNS if c not in ("citations", "declared_unknown_owner")]
    select = ", ".join(f'"{c}"' for c in fields)
    cited = _CITED.format(key="idx", table="entities", cite=_CITE, web=_WEB)
    loops = 'SELECT src, id, role, start, "end" FROM relations WHERE src = dst AND src >= $lo AND src < $hi AND list_contains($kinds, kind)'
    part = _query(con, f"SELECT {select}, idx FROM entities WHERE idx >= $lo AND idx < $hi ORDER BY idx", lo, hi)
    cols = {c: _cells(part.column(c)) for c in fields}
    cols["citations"] = _text_cells(_joined(part, _query(con, cited, lo, hi), "idx", ["citations"])["citations"])
    rel = con.execute(loops, {"lo": lo, "hi": hi, "kinds": statements})
    declared: dict[int, list[tuple[str, str, str]]] = {}
    for src, rid, role, start, end in rel.fetchall():
        # `tracker.export.common.declared_unknown_owner`: oldest first, "reason (dates)".
        start, end = str(start or ""), str(end or "")
        when = f"{start or '?'}..{end}, ceased" if end else f"since {start}" if start else "undated"
        declared.setdefault(int(src), []).append((start, str(rid), f"{role or 'no reason given'} ({when})"))
    idx = part.column("idx").to_pylist()
    cols["declared_unknown_owner"] = [safe_cell(LIST_SEP.join(t for *_, t in sorted(declared[i]))) if i in declared else "" for i in idx]
    return zip(*(cols[c] for c in NODE_COLUMNS), strict=True)


def _edge_rows(store: Any, lo: int, hi: int) -> Iterator[tuple[str, ...]]:
    from tracker.model import load_model

    con = store.sql
    labels = {name: kind.label for name, kind in load_model().relation_kinds.items()}
    derived = {"label", "source_name", "target_name", "referred_by", "source_urls", "citations"}
    fields = [c for c in EDGE_COLUMNS if c not in derived]
    select = ", ".join(f'r."{c}"' for c in fields)
    main = (
        f"SELECT {select}, r.ridx, a.name AS source_name, b.name AS target_name FROM relations r "
        "JOIN entities a ON a.idx = r.src JOIN entities b ON b.idx = r.dst "
        "WHERE r.ridx >= $lo AND r.ridx < $hi ORDER BY r.ridx"
    )
    cited = _CITED.format(key="ridx", table="relations", cite=_CITE, web=_WEB)
    answers = (
        "SELECT f.ref AS k, list(r.id ORDER BY f.ridx) AS referred_by FROM refs f JOIN relations r ON r.ridx = f.ridx "
        "WHERE f.ref >= $lo AND f.ref < $hi GROUP BY f.ref"
    )
    part = _query(con, main, lo, hi)
    cols = {c: _cells(part.column(c)) for c in fields}
    cols["source_name"] = _text_cells(part.column("source_name").to_pylist())
    cols["target_name"] = _text_cells(part.column("target_name").to_pylist())
    cols["label"] = _text_cells([labels.get(k) for k in part.column("kind").to_pylist()])
    cite = _joined(part, _query(con, cited, lo, hi), "ridx", ["citations", "urls"])
    cols["citations"] = _text_cells(cite["citations"])
    cols["source_urls"] = ["" if not u else safe_cell(LIST_SEP.join(dict.fromkeys(u))) for u in cite["urls"]]
    refs = _joined(part, _query(con, answers, lo, hi), "ridx", ["referred_by"])["referred_by"]
    cols["referred_by"] = ["" if not r else safe_cell(LIST_SEP.join(r)) for r in refs]
    return zip(*(cols[c] for c in EDGE_COLUMNS), strict=True)


class _Unsorted(Exception):
    """sources.parquet is not in id order (the compiles write it sorted; this is the safety net)."""


def _sorted_source_rows(store: Any) -> Iterator[tuple[str, ...]]:
    """Every source in id order, sorted by DuckDB (when the file is not)."""
    select = ", ".join(f'"{c}"' for c in SOURCE_COLUMNS)
    rel = store.sql.sql(f"SELECT {select} FROM sources ORDER BY id")
    reader = rel.to_arrow_reader(SLICE_ROWS) if hasattr(rel, "to_arrow_reader") else rel.record_batch(SLICE_ROWS)
    for batch in reader:
        yield from zip(*(_cells(batch.column(c)) for c in SOURCE_COLUMNS), strict=True)


def _write_sources(store: Any, path: Path) -> Path:
    """sources.csv from the Parquet file as written (sorted by id, checked as it is read), lines made by DuckDB.

    Each batch of rows is handed to DuckDB as the Arrow table it is read as (no copy), with its
    row numbers, and comes back as lines (`_lines_sql`); a batch with a number SQL cannot write
    exactly is written by the Python path. Raises `_Unsorted` when the file is not in id order.
    """
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    from tracker.store import table_schema

    types = {f.name: f.type for f in table_schema("sources")}
    sql = _lines_sql([_sql_cell(f'"{c}"', types[c]) for c in SOURCE_COLUMNS], "_n", "FROM _source_batch")
    con = store.sql
    last: str | None = None
    with atomic_path(path) as tmp, open(tmp, "wb") as stream:
        stream.write(_header_bytes(list(SOURCE_COLUMNS)))
        for batch in pq.ParquetFile(store.path("sources")).iter_batches(batch_size=SLICE_ROWS, columns=list(SOURCE_COLUMNS)):
            ids = batch.column("id")
            if not len(ids):
                continue
            first = ids[0].as_py()
            ordered = len(ids) < 2 or pc.all(pc.less(ids.slice(0, len(ids) - 1), ids.slice(1))).as_py()
            if ids.null_count or not ordered or (last is not None and not last < first):
                raise _Unsorted
            last = ids[len(ids) - 1].as_py()
            table = pa.Table.from_batches([batch]).append_column("_n", pa.array(np.arange(len(ids), dtype=np.int64)))
            con.register("_source_batch", table)
            try:
                lines = _lines(con, sql, {})
            finally:
                con.unregister("_source_batch")
            if lines is None:
                stream.write(_rows_bytes(zip(*(_cells(batch.column(c)) for c in SOURCE_COLUMNS), strict=True)))
            else:
                _write_bytes(stream, lines)
    return Path(path)


def write_store_csv(store: Any, folder: Path, say: Callable[[str], None] | None = None) -> list[Path]:
    """Write nodes.csv, edges.csv and sources.csv (every source) of a store into `folder`; return their paths.

    The same bytes as `tracker.export.tables.write_csv` of the store's data as a graph, with
    every source (as the build writes them), in bounded memory: one slice of rows at a time.
    """
    from tracker.model import load_model

    folder = Path(folder)
    con = store.sql
    for macro in _MACROS:
        con.execute(macro)
    kinds = load_model().relation_kinds
    statements = sorted(k for k, kind in kinds.items() if kind.statement)
    names = sorted(kinds)
    tell = say or (lambda _: None)
    look = _Lookups(store, con)
    entities, relations = store.entity_count, store.relation_count
    out = [
        _write_table(
            safe_child(folder, "nodes.csv"),
            list(NODE_COLUMNS),
            con,
            entities,
            _node_lines_sql(),
            {"kinds": statements},
            lambda lo, hi: _node_rows(store, lo, hi),
            lambda lo, hi: look.slice_table("entities", "idx", entities, lo, hi),
        )
    ]
    tell("wrote nodes.csv")
    out.append(
        _write_table(
            safe_child(folder, "edges.csv"),
            list(EDGE_COLUMNS),
            con,
            relations,
            _edge_lines_sql(),
            {"kinds": names, "labels": [kinds[k].label for k in names]},
            lambda lo, hi: _edge_rows(store, lo, hi),
            lambda lo, hi: look.slice_table("relations", "ridx", relations, lo, hi),
        )
    )
    look.free()  # the names and citations of every row: not held through sources.csv
    tell("wrote edges.csv")
    try:
        out.append(_write_sources(store, safe_child(folder, "sources.csv")))
    except _Unsorted:
        out.append(_write(safe_child(folder, "sources.csv"), list(SOURCE_COLUMNS), _sorted_source_rows(store)))
    tell("wrote sources.csv")
    return out
