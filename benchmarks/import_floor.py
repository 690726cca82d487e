"""What writing the ICIJ import's output costs at the least, beside what the import costs.

    python benchmarks/import_floor.py --size 2M [--rounds 2]

Issue 12 asks for the ICIJ import at most 5x pyarrow's bare read of the same files. The import
reads about 560 MB at 2M nodes and writes about 2.0 GB: the dataset format's three tables, each
in id order (the record path's order, which the outputs must keep byte for byte). This script
measures, in one run and alternating rounds, each in a child process (`run.measure`):

- `tracker`: `tracker import icij --no-store`, as `run.py`'s import step runs it;
- `read`: pyarrow's bare read of the same files (`run.REF_READ`, the issue's reference);
- `floor-pyarrow` and `floor-duckdb`, each `unordered` and `ordered`: the same files read and
  the three tables written with the least mapping that gives them their shape (the dataset's
  columns, ids made from node ids, the sources' title, url and leak note, the located-in and
  link relations; no cleaning, no kinds, no checks, no jurisdictions), by pyarrow (`write_csv`)
  or by DuckDB (`COPY ... TO`, two threads); `ordered` puts each table in id order first.

The floors are written here, independent of tracker's code, and are not tracker's output: they
show what the read, the sort and the write of output of this size cost on this machine, which
bounds what any import writing the dataset format can reach. Results go to stdout (one JSON
line per run, then a table of ratios to the same round's `read`) and to
benchmarks/out/<size>/import-floor.json.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from run import REF_READ, measure, python, tracker  # noqa: E402

# The node files, with the kind a floor gives their rows (the import decides it per row).
NODE_FILES = [
    ("nodes-entities.csv", "company"),
    ("nodes-officers.csv", "person"),
    ("nodes-intermediaries.csv", "professional_firm"),
    ("nodes-others.csv", "company"),
    ("nodes-addresses.csv", "address"),
]
PUBLISHER = "International Consortium of Investigative Journalists (ICIJ)"
LICENCE = "ODbL-1.0 (database); CC BY-SA 3.0 (contents)"
CAVEAT = "ICIJ: there are legitimate uses for offshore companies and trusts; appearing in the leak data is not evidence of wrongdoing."
ENTITY_COLUMNS = ["id", "kind", "name", "aliases", "sphere", "country", "topics", "offshore", "placeholder"]
ENTITY_COLUMNS += ["birth_date", "identifiers", "sources", "record_id", "notes"]
RELATION_COLUMNS = ["id", "kind", "source", "target", "role", "share", "share_min", "share_max", "direct", "amount"]
RELATION_COLUMNS += ["currency", "rank", "score", "start", "end", "evidence", "outcome", "refers_to", "sources", "record_id", "note"]
SOURCE_COLUMNS = ["id", "url", "title", "publisher", "date", "date_precision", "evidence", "archived_url", "mirror"]
SOURCE_COLUMNS += ["canonical_url", "language", "licence", "retrieved", "notes"]


def floor_pyarrow(icij: Path, out: Path, ordered: bool) -> None:
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.csv as csv

    read_options = csv.ReadOptions(block_size=1 << 24)
    parse_options = csv.ParseOptions(newlines_in_values=True)

    def read(path: Path) -> dict[str, pa.Array]:
        table = csv.read_csv(path, read_options=read_options, parse_options=parse_options)
        return {c: pc.fill_null(table[c].cast(pa.string()).combine_chunks(), "") for c in table.column_names}

    def table(columns: list[str], given: dict[str, pa.Array], n: int) -> pa.Table:
        return pa.table({c: given[c] if c in given else pa.repeat("", n) for c in columns})

    entities, sources, relations = [], [], []
    for file, kind in NODE_FILES:
        if not (icij / file).is_file():
            continue
        cols = read(icij / file)
        n = len(cols["node_id"])
        node = cols["node_id"]
        ident = pc.binary_join_element_wise("icij", node, ":")
        name = cols.get("name", cols.get("address"))
        codes = cols["country_codes"]
        country = pc.utf8_lower(pc.utf8_slice_codeunits(codes, 0, 2))
        entities.append(
            table(
                ENTITY_COLUMNS,
                {
                    "id": ident,
                    "kind": pa.repeat(kind, n),
                    "name": name,
                    "sphere": pa.repeat("other", n),
                    "country": country,
                    "sources": ident,
                    "record_id": node,
                },
                n,
            )
        )
        leak = cols["sourceID"]
        title = pc.binary_join_element_wise(name, " - ICIJ Offshore Leaks Database (", leak, ")", "")
        note = pc.binary_join_element_wise(leak, ". ", cols["valid_until"], ". " + CAVEAT, "")
        url = pc.binary_join_element_wise("https://offshoreleaks.icij.org/nodes/", node, "")
        given = {"id": ident, "url": url, "title": title, "publisher": pa.repeat(PUBLISHER, n), "date": pa.repeat("2021", n)}
        given |= {"evidence": pa.repeat("investigative_report", n), "licence": pa.repeat(LICENCE, n), "notes": note}
        sources.append(table(SOURCE_COLUMNS, given, n))
        has = pc.not_equal(codes, "")
        m = pc.sum(has).as_py() or 0
        src, target = pc.filter(ident, has), pc.filter(country, has)
        rid = pc.binary_join_element_wise(src, "located-in", target, ":")
        given = {"id": rid, "kind": pa.repeat("located_in", m), "source": src, "target": target, "role": pa.repeat("address country", m)}
        relations.append(table(RELATION_COLUMNS, given | {"sources": src, "record_id": pc.filter(node, has)}, m))
    links = read(icij / "relationships.csv")
    m = len(links["node_id_start"])
    src = pc.binary_join_element_wise("icij", links["node_id_start"], ":")
    target = pc.binary_join_element_wise("icij", links["node_id_end"], ":")
    rid = pc.binary_join_element_wise(src, links["rel_type"], links["node_id_end"], ":")
    record = pc.binary_join_element_wise(links["node_id_start"], links["rel_type"], links["node_id_end"], "-")
    given = {"id": rid, "kind": links["rel_type"], "source": src, "target": target, "role": links["link"], "start": links["start_date"]}
    relations.append(table(RELATION_COLUMNS, given | {"end": links["end_date"], "sources": src, "record_id": record}, m))
    del links
    for name, parts in (("entities", entities), ("sources", sources), ("relations", relations)):
        whole = pa.concat_tables(parts).combine_chunks()
        parts.clear()
        if ordered:
            whole = whole.take(pc.sort_indices(whole["id"]))
        csv.write_csv(whole, out / f"{name}.csv")
        del whole


def floor_duckdb(icij: Path, out: Path, ordered: bool) -> None:
    import duckdb

    con = duckdb.connect(config={"threads": 2, "preserve_insertion_order": False})

    def read(path: Path) -> str:
        return f"read_csv('{path}', all_varchar = true, header = true)"

    def blank(columns: list[str], given: dict[str, str]) -> str:
        return ", ".join(f'{given.get(c, chr(39) * 2)} AS "{c}"' for c in columns)

    nodes = []
    for file, kind in NODE_FILES:
        if (icij / file).is_file():
            name = "name" if file != "nodes-addresses.csv" else "coalesce(name, address)"
            nodes.append(
                f"SELECT node_id, coalesce({name}, '') AS name, coalesce(country_codes, '') AS codes, coalesce(sourceID, '') AS leak, "
                f"coalesce(valid_until, '') AS valid, '{kind}' AS kind FROM {read(icij / file)}"
            )
    con.execute(
        f"CREATE TEMP TABLE n AS SELECT 'icij:' || node_id AS ident, lower(left(codes, 2)) AS country, * FROM ({' UNION ALL '.join(nodes)})"
    )
    order = " ORDER BY 1" if ordered else ""
    entity = {
        "id": "ident",
        "kind": "kind",
        "name": "name",
        "sphere": "'other'",
        "country": "country",
        "sources": "ident",
        "record_id": "node_id",
    }
    con.execute(f"COPY (SELECT {blank(ENTITY_COLUMNS, entity)} FROM n{order}) TO '{out / 'entities.csv'}' (HEADER)")
    source = {
        "id": "ident",
        "url": "'https://offshoreleaks.icij.org/nodes/' || node_id",
        "title": "name || ' - ICIJ Offshore Leaks Database (' || leak || ')'",
        "publisher": f"'{PUBLISHER}'",
        "date": "'2021'",
        "evidence": "'investigative_report'",
        "licence": f"'{LICENCE}'",
        "notes": f"leak || '. ' || valid || '. {CAVEAT}'",
    }
    con.execute(f"COPY (SELECT {blank(SOURCE_COLUMNS, source)} FROM n{order}) TO '{out / 'sources.csv'}' (HEADER)")
    located = {
        "id": "ident || ':located-in:' || country",
        "kind": "'located_in'",
        "source": "ident",
        "target": "country",
        "role": "'address country'",
    }
    located |= {"sources": "ident", "record_id": "node_id"}
    link = {
        "id": "'icij:' || node_id_start || ':' || rel_type || ':' || node_id_end",
        "kind": "rel_type",
        "source": "'icij:' || node_id_start",
        "target": "'icij:' || node_id_end",
        "role": "coalesce(link, '')",
        "start": "coalesce(start_date, '')",
        "end": "coalesce(end_date, '')",
        "sources": "'icij:' || node_id_start",
        "record_id": "node_id_start || '-' || rel_type || '-' || node_id_end",
    }
    rels = f"SELECT {blank(RELATION_COLUMNS, located)} FROM n WHERE codes <> '' UNION ALL SELECT {blank(RELATION_COLUMNS, link)} FROM {read(icij / 'relationships.csv')}"
    con.execute(f"COPY (SELECT * FROM ({rels}){order}) TO '{out / 'relations.csv'}' (HEADER)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", required=True, help="a size run.py has generated (its benchmarks/out/<size>/icij)")
    parser.add_argument("--icij", type=Path, help="the ICIJ folder (default: benchmarks/out/<size>/icij)")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--floor", choices=["pyarrow", "duckdb"], help=argparse.SUPPRESS)  # (a child's run)
    parser.add_argument("--ordered", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    icij = args.icij or HERE / "out" / args.size / "icij"
    if args.floor:
        (floor_pyarrow if args.floor == "pyarrow" else floor_duckdb)(icij, args.out, args.ordered)
        return
    if not (icij / "relationships.csv").is_file():
        sys.exit(f"{icij}: no relationships.csv (run benchmarks/run.py --size {args.size} --steps import first)")
    runs = ["tracker", "read", "floor-pyarrow-unordered", "floor-pyarrow-ordered", "floor-duckdb-unordered", "floor-duckdb-ordered"]
    results = []
    for round_ in range(1, args.rounds + 1):
        ref: dict[str, object] = {}
        for name in runs if round_ % 2 else runs[::-1]:
            (HERE / "out").mkdir(exist_ok=True)
            with tempfile.TemporaryDirectory(prefix="import-floor-", dir=HERE / "out") as tmp:
                out = Path(tmp) / "out"
                out.mkdir()
                if name == "tracker":
                    shutil.rmtree(out)
                    cmd = tracker("import", "icij", str(icij), "--out", str(out), "--no-store")
                elif name == "read":
                    cmd = python(REF_READ) + [str(icij)]
                else:
                    _, engine, order = name.split("-")
                    cmd = [sys.executable, __file__, "--size", args.size, "--icij", str(icij), "--floor", engine, "--out", str(out)]
                    cmd += ["--ordered"] if order == "ordered" else []
                got = measure(cmd)
                written = sum(p.stat().st_size for p in out.glob("*.csv")) if out.is_dir() else 0
            row = {
                "round": round_,
                "run": name,
                **{k: got[k] for k in ("seconds", "cpu", "peak_mb", "exit")},
                "written_mb": round(written / 1e6),
            }
            if got["exit"] != 0:
                row["stderr"] = got["stderr"]
            if name == "read":
                ref = row
            results.append(row)
            print(json.dumps(row), flush=True)
        for row in results:
            if row["round"] == round_ and ref:
                row["ratio_wall"] = round(float(row["seconds"]) / float(ref["seconds"]), 2)  # type: ignore[arg-type]
                row["ratio_cpu"] = round(float(row["cpu"]) / float(ref["cpu"]), 2)  # type: ignore[arg-type]
    print(
        f"\n{'round':>5} {'run':<24} {'wall s':>8} {'CPU s':>8} {'peak MB':>8} {'written MB':>10} {'x read (wall)':>13} {'x read (CPU)':>12}"
    )
    for row in results:
        print(
            f"{row['round']:>5} {row['run']:<24} {row['seconds']:>8} {row['cpu']:>8} {row['peak_mb']:>8} {row['written_mb']:>10} "
            f"{row.get('ratio_wall', ''):>13} {row.get('ratio_cpu', ''):>12}"
        )
    target = HERE / "out" / args.size
    target.mkdir(parents=True, exist_ok=True)
    (target / "import-floor.json").write_text(json.dumps(results, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
