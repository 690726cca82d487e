"""The store's word tables, and the statements that find the names a search or a resolve reads.

A search scores every name sharing a word (or a close spelling of one) with the query
(`tracker.names.score_words`). At two million entities a common word ("trading") is borne by
a hundred thousand names: too many to score in Python, and reading their names and skeletons
back from ``names.parquet`` costs a second of decoding text. So the store keeps a second index
of the same rows, ``words.parquet``: one row per word of a name's skeleton, sorted by word,
holding only numbers besides the word (the entity, which of the table's names it is, the
name's letters and how often the word occurs in it). The score of a name depends on those
numbers and the query alone, so the engine computes it there, for every name at once.
``vocabulary.parquet`` holds each word once: the close spellings of a query word are looked
for among some 66,000 words at 2M entities, not eight million rows.

The engine's arithmetic is not Python's (sums in another order, its own rounding), so it only
*selects*: each entity gets a lower and an upper bound of the score, in tenths, that Python's
rounded score provably lies between, and `candidates_sql` keeps the entities that could still
be among the best `limit` ranked by (score, id) (`resolve_sql`: what a resolve reads). Python
then scores those few exactly with the same `tracker.names.NameIndex` as in memory: the
answers are identical, not close.

A store compiled before these tables existed has none; its search reads the same numbers from
``names.parquet`` (`NAMES_AS_WORDS`): the same answers, slower.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

__all__ = [
    "WORDS",
    "VOCABULARY",
    "NAMES_AS_WORDS",
    "words_schema",
    "write_words",
    "candidates_sql",
    "bounds_sql",
    "vocabulary_sql",
    "quoted",
]

WORDS = "words"
VOCABULARY = "vocabulary"
# Rows per row group: the table is sorted by word, so a lookup of a few words reads a few groups.
ROW_GROUP = 128 * 1024
# The word table's columns computed from ``names`` (a store without ``words.parquet``): a name is
# told apart by its text instead of its number, its letters and the word's count from its skeleton
# (a skeleton's words are single-spaced and never contain a space; doubling the spaces makes the
# occurrences of " word " disjoint, so that replacing them counts each once).
NAMES_AS_WORDS = """(
    SELECT token, idx, name,
        length(replace(key, ' ', '')) AS size,
        CAST((length(concat(' ', replace(key, ' ', '  '), ' '))
              - length(replace(concat(' ', replace(key, ' ', '  '), ' '), concat(' ', token, ' '), '')))
             / (length(token) + 2) AS BIGINT) AS count
    FROM names
)"""


def words_schema() -> Any:
    """``token`` (a word of a name's skeleton), ``idx`` (the entity), ``name`` (which name of
    ``names.parquet``: its number, counted in table order), ``size`` (the letters of that
    name's skeleton, spaces left out) and ``count`` (how often the word occurs in it)."""
    import pyarrow as pa

    return pa.schema([("token", pa.string()), ("idx", pa.int64()), ("name", pa.int64()), ("size", pa.int32()), ("count", pa.int32())])


def write_words(folder: Path) -> int:
    """Write the word tables of the store in `folder` from its ``names.parquet``; returns the words' rows.

    ``words.parquet`` (`words_schema`, sorted by word) and ``vocabulary.parquet`` (``token``:
    each word once, in order), in which the close spellings of a query word are looked for.

    Both compiles write ``names.parquet`` with each name's rows together (one row per distinct
    word of its skeleton); a name starts where the entity or the name's text changes. Read one
    row group at a time; only the words and four numbers a row are kept for the sort.
    """
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    folder = Path(folder)
    source = pq.ParquetFile(folder / "names.parquet")
    tokens: list[Any] = []
    idxs, names, sizes, counts = [], [], [], []
    last_idx: int | None = None
    last_name: str | None = None
    number = -1
    for group in range(source.num_row_groups):
        t = source.read_row_group(group, columns=["idx", "name", "key", "token"])
        n = t.num_rows
        if not n:
            continue
        idx = t.column("idx").to_numpy().astype(np.int64)
        name = t.column("name").combine_chunks()
        key = t.column("key").combine_chunks()
        token = t.column("token").combine_chunks()
        new = np.ones(n, dtype=bool)
        if n > 1:
            same_name = pc.equal(name.slice(1), name.slice(0, n - 1)).to_numpy(zero_copy_only=False)
            new[1:] = (idx[1:] != idx[:-1]) | ~same_name
        new[0] = not (last_idx == int(idx[0]) and last_name == name[0].as_py())
        number_of = number + np.cumsum(new)
        number = int(number_of[-1])
        last_idx, last_name = int(idx[-1]), name[n - 1].as_py()
        spaces = pc.count_substring(key, " ").to_numpy().astype(np.int32)
        size = pc.utf8_length(key).to_numpy().astype(np.int32) - spaces
        # How often each row's word occurs among its skeleton's words: once, unless the skeleton
        # has more words than the name has rows here (a repeated word, or a name that goes on
        # in the next row group); only those rows are split and counted.
        start = new.copy()
        start[0] = True
        run = np.cumsum(start) - 1
        count = np.ones(n, dtype=np.int32)
        odd = np.flatnonzero(spaces + 1 != np.bincount(run)[run])
        if len(odd):
            which = pa.array(odd)
            split = pc.split_pattern(key.take(which), " ")
            parent = pc.list_parent_indices(split).to_numpy()
            hit = pc.equal(pc.list_flatten(split), token.take(which).take(pa.array(parent))).to_numpy(zero_copy_only=False)
            count[odd] = np.bincount(parent[hit], minlength=len(odd))
        tokens.append(token)
        idxs.append(idx)
        names.append(number_of.astype(np.int64))
        sizes.append(size)
        counts.append(count)
    schema = words_schema()
    if not tokens:
        pq.write_table(schema.empty_table(), folder / f"{WORDS}.parquet", compression="zstd")
        pq.write_table(pa.table({"token": pa.array([], pa.string())}), folder / f"{VOCABULARY}.parquet", compression="zstd")
        return 0
    every = pa.chunked_array(tokens, type=pa.string())
    del tokens
    # A stable sort by word keeps each word's rows in table order (entity, then name).
    codes = pc.dictionary_encode(every).combine_chunks()
    del every
    dictionary = codes.dictionary
    alphabetical = pc.sort_indices(dictionary).to_numpy()
    rank = np.empty(len(dictionary), dtype=np.int64)
    rank[alphabetical] = np.arange(len(dictionary), dtype=np.int64)
    ranks = rank[codes.indices.to_numpy()]
    del codes
    order = np.argsort(ranks, kind="stable")
    in_order = pc.take(dictionary, pa.array(alphabetical))
    pq.write_table(pa.table({"token": in_order}), folder / f"{VOCABULARY}.parquet", row_group_size=ROW_GROUP, compression="zstd")
    table = pa.table(
        {
            "token": pc.take(in_order, pa.array(ranks[order])),
            "idx": np.concatenate(idxs)[order],
            "name": np.concatenate(names)[order],
            "size": np.concatenate(sizes)[order],
            "count": np.concatenate(counts)[order],
        },
        schema=schema,
    )
    # Sorted words compress to a small dictionary per row group; the numbers would not.
    pq.write_table(table, folder / f"{WORDS}.parquet", row_group_size=ROW_GROUP, compression="zstd", use_dictionary=["token"])
    return int(table.num_rows)


def vocabulary_sql(table: str) -> str:
    """The distinct words of `table` (``vocabulary``, or ``names`` in a store without it) whose
    length is between two parameters and whose edit distance to a third is at most
    `tracker.names.TOKEN_SLACK` of the two lengths added (the fourth: its length): every word the
    name index may find close (their Indel distance is never below the edit distance), and a few
    more that `tracker.names.close_words` then leaves out."""
    from tracker.names import TOKEN_SLACK

    return (
        f"SELECT DISTINCT token FROM {table} WHERE length(token) BETWEEN ? AND ? "
        f"AND levenshtein(token, ?) <= {TOKEN_SLACK!r} * (length(token) + ?)"
    )


def quoted(words: Sequence[str]) -> str | None:
    """`words` as a list of SQL literals, or None if one is not a plain skeleton word.

    A filter on literals reaches the Parquet reader (row groups whose words cannot match are
    skipped); the words are the store's own skeleton words, lower-case letters and digits,
    checked here all the same.
    """
    if not words or not all(w.isascii() and w.isalnum() and w == w.lower() for w in words):
        return None
    return ", ".join(f"'{w}'" for w in words)


def bounds_sql(source: str, close: str, query: Sequence[str], words: Sequence[str]) -> str:
    """One statement: ``(idx, lo, hi)`` of every entity with a name bearing a close word.

    `source` holds the word rows (``words``, or `NAMES_AS_WORDS`); `close` is a table of ``w``
    (a name word close to a query word) and ``s0``, ``s1``, ... (its similarity to each distinct
    query word, in order of first appearance, 0 where not close), as
    `tracker.names.close_words` gives them; `words` lists the ``w`` (a literal filter). Per
    name, as `tracker.names.score_words` computes it: each query word's best similarity among
    the name's words (a query word repeated counts each time), each name word's best among the
    query's, weighted by length. ``lo`` and ``hi`` bracket the name's rounded score in tenths
    (equal unless the score lies within 1e-7 of a rounding boundary, where the engine's
    arithmetic and Python's may round apart); an entity's span its names (the name shown is
    the one whose `full` score is best, which the engine does not decide).
    """
    return _scored(source, close, query, words) + " SELECT idx, lo, hi FROM ents"


def candidates_sql(source: str, close: str, query: Sequence[str], words: Sequence[str], limit: int) -> str:
    """One statement: the positions of the entities that may be among the best `limit` for `query`.

    With the bounds of `bounds_sql`, and (L, I) the lower bound and position of the
    `limit`-th entity ranked by lower bound then position, an entity is kept when its upper
    bound is above L, or equal with a position at most I: any other ranks below `limit`
    entities for sure (below on score, or level on score and after on id, as positions are
    in id order). Portable SQL (DuckDB and Spark SQL); the numbers in it come from the query.
    """
    return (
        _scored(source, close, query, words)
        + f"""
        , kth AS (SELECT lo AS klo, idx AS kidx FROM ents ORDER BY lo DESC, idx LIMIT 1 OFFSET {int(limit) - 1})
        SELECT e.idx FROM ents AS e LEFT JOIN kth ON 1 = 1
        WHERE kth.klo IS NULL OR e.hi > kth.klo OR (e.hi = kth.klo AND e.idx <= kth.kidx)
        ORDER BY e.idx
    """
    )


def resolve_sql(source: str, close: str, query: Sequence[str], words: Sequence[str]) -> str:
    """One statement: the positions of the entities `tracker.names.NameIndex.lookup` may read.

    Resolving a name (`lookup`) reads more of the ranking than a search: every entity with a
    name of the query's very words (scored 100 on both sides, so upper bound of ``full`` 1000:
    all of them, as an ambiguity names them all); the best two by ``full`` (the choice and its
    nearest rival); the best `tracker.names.CANDIDATES_SHOWN` by words matched exactly, then
    score (the candidates an error names); and whether more than one entity matches every
    query word (two surely complete ones, or else every one that may be). Each best-k is kept
    as in `candidates_sql`, on its own bounds.
    """
    from tracker.names import CANDIDATES_SHOWN

    return (
        _scored(source, close, query, words)
        + f"""
        , kfull AS (SELECT f_lo AS klo, idx AS kidx FROM ents ORDER BY f_lo DESC, idx LIMIT 1 OFFSET 1),
        kshown AS (SELECT e_lo AS klo, idx AS kidx FROM ents ORDER BY e_lo DESC, idx LIMIT 1 OFFSET {CANDIDATES_SHOWN - 1}),
        sure AS (SELECT idx FROM ents WHERE c_min = 1 ORDER BY idx LIMIT 2)
        SELECT e.idx FROM ents AS e LEFT JOIN kfull ON 1 = 1 LEFT JOIN kshown ON 1 = 1
        WHERE e.f_hi >= 1000
           OR kfull.klo IS NULL OR e.f_hi > kfull.klo OR (e.f_hi = kfull.klo AND e.idx <= kfull.kidx)
           OR kshown.klo IS NULL OR e.e_hi > kshown.klo OR (e.e_hi = kshown.klo AND e.idx <= kshown.kidx)
           OR e.idx IN (SELECT idx FROM sure)
           OR (e.c_max = 1 AND (SELECT count(*) FROM sure) < 2)
        ORDER BY e.idx
    """
    )


def _scored(source: str, close: str, query: Sequence[str], words: Sequence[str]) -> str:
    """The common table expressions of the statements above, up to ``ents``: per entity, the
    bounds in tenths of the score (``lo``, ``hi``) and of ``full`` (``f_lo``, ``f_hi``), of
    words matched exactly times 10,000 plus the score (``e_lo``, ``e_hi``), and whether every
    name or some name matches every query word (``c_min``, ``c_max``)."""
    distinct = list(dict.fromkeys(query))
    if not distinct:
        raise ValueError("a query of no words has no candidates")
    weights = [len(q) * query.count(q) for q in distinct]
    q_len = sum(len(q) for q in query)
    cols = [f"c.s{j}" for j in range(len(distinct))]
    best_of_name = cols[0] if len(cols) == 1 else f"greatest({', '.join(cols)})"
    q_sum = " + ".join(f"max(h.s{j}) * {w}" for j, w in enumerate(weights))
    exact = " + ".join(f"CASE WHEN max(h.s{j}) = 100 THEN {query.count(q)} ELSE 0 END" for j, q in enumerate(distinct))
    complete = " AND ".join(f"max(h.s{j}) > 0" for j in range(len(distinct)))
    full = f"(q_sum + n_sum) / ({q_len} + n_len)"
    score = f"0.8 * q_sum / {q_len} + 0.2 * {full}"

    def tenths(v: str, side: str) -> str:
        return f"floor(({v}) * 10 + 0.5 {side} 1e-6)"

    literals = quoted(words)
    only = f"WHERE w.token IN ({literals})" if literals else ""
    return f"""
        WITH hits AS (
            SELECT w.idx, w.name, w.size, {", ".join(cols)}, {best_of_name} * length(w.token) * w.count AS nb
            FROM {source} AS w JOIN {close} AS c ON w.token = c.w {only}
        ),
        per_name AS (
            SELECT h.idx, {q_sum} AS q_sum, sum(h.nb) AS n_sum, max(h.size) AS n_len,
                {exact} AS exact, CASE WHEN {complete} THEN 1 ELSE 0 END AS complete
            FROM hits AS h GROUP BY h.idx, h.name
        ),
        ents AS (
            SELECT idx,
                min({tenths(score, "-")}) AS lo, max({tenths(score, "+")}) AS hi,
                min({tenths(full, "-")}) AS f_lo, max({tenths(full, "+")}) AS f_hi,
                min(exact * 10000 + {tenths(score, "-")}) AS e_lo, max(exact * 10000 + {tenths(score, "+")}) AS e_hi,
                min(complete) AS c_min, max(complete) AS c_max
            FROM per_name GROUP BY idx
        )"""
