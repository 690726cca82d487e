"""Benchmarks at scale, run on demand (never in the test run).

    python benchmarks/run.py --size 10k|100k|1M|2M|10M [--steps import,store,build,report,path,path-igraph,...]

Generates a seeded synthetic dataset in the ICIJ bulk CSV layout (tracker.synthetic), then runs
each step as the user would, through the `tracker` CLI in a child process, and measures its wall
time and peak memory (the child's maximum resident set, from wait4). Beside each step it runs a
reference on the same data in the same run and prints the ratio:

- import: pyarrow's bare read of the same CSV files;
- report: igraph loading the same edge list (pyarrow read, factorised ids) and computing the same
  metrics as `tracker report` (degree, PageRank, betweenness exact or sampled with the same k
  and sources, harmonic and closeness on the same sampled entities, eigenvector per component,
  Louvain (Leiden above a million entities) with modularity, components; `tracker.metrics.plan`
  says which), conversion included;
- load: `tracker report`'s first part alone (read, validate, build the networkx graph), so the
  report's ratio can be read as load + metrics;
- path-igraph (with path): igraph loading the same edge list and running one BFS between the
  same ids (the old reference, kept for comparison with earlier runs; a step of its own, as it
  takes 11 minutes and 18 GB at 10M), and the DuckDB reference below;
- path, neighbours, view and search (issue 12): a DuckDB-over-Parquet reference process that
  answers the same question on the same compiled store with plain SQL, one statement per hop
  (`REF_DUCKDB`: written here, independent of tracker's code): a bidirectional walk with the hub
  cap for path, a 2-hop walk for neighbours and view, a name-word lookup for search;
- store: `tracker store compile` (read, validate, write Parquet), against pyarrow's bare read;
- build: no outside reference; the figures stand alone.

Query steps run on the compiled store (`--engine auto` picks it above about 10,000 relations),
so they measure answering a question, not loading the data.

Results go to stdout as a table and to benchmarks/out/<size>/results.json.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import textwrap
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))

from tracker.synthetic import generate_icij, parse_size  # noqa: E402

STEPS = ["import", "store", "build", "report", "path", "path-igraph", "neighbours", "search", "chains", "view"]


def measure(cmd: list[str], env: dict[str, str] | None = None, timeout: float = 7200) -> dict[str, object]:
    """Run a command in a child process; return wall seconds, peak RSS in MB and the exit code."""
    started = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - started
    err = proc.stderr.read().decode("utf-8", "replace") if proc.stderr else ""
    code = os.waitstatus_to_exitcode(status)
    cpu = usage.ru_utime + usage.ru_stime
    return {
        "seconds": round(wall, 3),
        "cpu": round(cpu, 3),
        "peak_mb": round(usage.ru_maxrss / 1024, 1),
        "exit": code,
        "stderr": err[-2000:],
    }


def python(code: str) -> list[str]:
    return [sys.executable, "-c", textwrap.dedent(code)]


def tracker(*args: str) -> list[str]:
    return [sys.executable, "-m", "tracker", *args]


REF_READ = """
import sys, pyarrow.csv as pc
from pathlib import Path
total = 0
for p in sorted(Path(sys.argv[1]).glob("*.csv")):
    # (A quoted cell may hold a line break, as the dataset files' notes and titles can: at 10M
    # sources.csv had one that a read without newlines_in_values refused.)
    opts = pc.ParseOptions(newlines_in_values=True)
    total += pc.read_csv(p, read_options=pc.ReadOptions(block_size=1 << 24), parse_options=opts).num_rows
print(total)
"""

REF_METRICS = """
import sys, json, random, numpy as np, pyarrow.csv as pc, igraph as ig
plan = json.loads(sys.argv[2])
seed = plan["seed"]
data = sys.argv[1]
# The same node set as tracker (every entity, sorted ids) and the same edge list.
ents = pc.read_csv(data + "/entities.csv", convert_options=pc.ConvertOptions(include_columns=["id"]))
ids = np.unique(ents.column("id").to_numpy(zero_copy_only=False).astype(str))
n = len(ids)
t = pc.read_csv(data + "/relations.csv", convert_options=pc.ConvertOptions(include_columns=["kind", "source", "target"]))
src = np.searchsorted(ids, t.column("source").to_numpy(zero_copy_only=False).astype(str))
dst = np.searchsorted(ids, t.column("target").to_numpy(zero_copy_only=False).astype(str))
und = np.isin(t.column("kind").to_numpy(zero_copy_only=False).astype(str), ["family", "associate"])
np.bincount(src, minlength=n) + np.bincount(dst, minlength=n)  # degree
d = ig.Graph(n=n, edges=np.column_stack([np.r_[src, dst[und]], np.r_[dst, src[und]]]), directed=True)
d.es["weight"] = 1.0
d.simplify(combine_edges="sum")
u = ig.Graph(n=n, edges=np.column_stack([np.minimum(src, dst), np.maximum(src, dst)]))
u.es["weight"] = 1.0
u.simplify(combine_edges="sum")
d.pagerank(weights="weight")
k = plan["betweenness_k"]
u.betweenness() if k is None else u.betweenness(sources=random.Random(seed).sample(range(n), k))
kc = plan["closeness_k"]
chosen = None if kc is None else random.Random(seed).sample(range(n), kc)
u.harmonic_centrality(vertices=chosen)
u.closeness(vertices=chosen)
comps = u.connected_components()
for comp in comps:
    if len(comp) > 1:
        sub = u.subgraph(comp)
        sub.eigenvector_centrality(weights="weight")
# Above a million entities tracker's plan takes Leiden (modularity, 2 iterations), Louvain below.
if plan.get("community") == "leiden":
    parts = u.community_leiden(objective_function="modularity", weights="weight", n_iterations=2)
else:
    parts = u.community_multilevel(weights="weight")
u.modularity(parts.membership, weights="weight")
"""

#: Above this many entities `load` (the whole graph in networkx, which the report no longer
#: builds) is not measured: at 10M it would need more than this machine's 24 GB.
LOAD_MAX = 2_000_100

LOAD_ONLY = """
import sys
from pathlib import Path
from tracker.cli.common import load_graph
load_graph([Path(sys.argv[1])])
"""

REF_DUCKDB = """
import sys, duckdb
store, question, a, b = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4]
con = duckdb.connect()
for t in ("entities", "adjacency", "names"):
    con.execute(f"CREATE VIEW {t} AS SELECT * FROM read_parquet('{store}/{t}.parquet')")
CAP = 1000
def walk(seed, depth):
    con.execute("CREATE OR REPLACE TEMP TABLE seen AS SELECT idx, 0 AS d FROM entities WHERE id = ?", [seed])
    con.execute("CREATE OR REPLACE TEMP TABLE frontier AS SELECT idx FROM seen")
    for level in range(1, depth + 1):
        if level > 1:  # only entities that are not hubs or places are walked through
            con.execute("CREATE OR REPLACE TEMP TABLE frontier AS SELECT f.idx FROM frontier f JOIN entities e ON e.idx = f.idx "
                        "WHERE e.degree <= ? AND e.kind <> 'jurisdiction'", [CAP])
        con.execute("CREATE OR REPLACE TEMP TABLE frontier AS SELECT DISTINCT nbr AS idx FROM adjacency "
                    "WHERE node IN (SELECT idx FROM frontier) AND nbr NOT IN (SELECT idx FROM seen)")
        con.execute(f"INSERT INTO seen SELECT idx, {level} FROM frontier")
    return con.execute("SELECT idx, d FROM seen").fetchall()
if question == "walk":
    print(len(walk(a, int(b))))
elif question == "path":
    da = dict(walk(a, 3)); db = dict(walk(b, 3))
    print(min((da[v] + db[v] for v in da.keys() & db.keys()), default=None))
else:
    words = [w for w in a.lower().split() if w]
    print(con.execute("SELECT count(DISTINCT idx) FROM names WHERE token IN (SELECT unnest(?))", [words]).fetchone())
"""

REF_PATH = """
import sys, pyarrow.csv as pc, numpy as np, igraph as ig
t = pc.read_csv(sys.argv[1] + "/relations.csv", convert_options=pc.ConvertOptions(include_columns=["source", "target"]))
src = t.column("source").to_numpy(zero_copy_only=False)
dst = t.column("target").to_numpy(zero_copy_only=False)
ids, inv = np.unique(np.concatenate([src, dst]), return_inverse=True)
g = ig.Graph(n=len(ids), edges=np.stack([inv[: len(src)], inv[len(src):]], axis=1), directed=False)
a, b = np.searchsorted(ids, sys.argv[2]), np.searchsorted(ids, sys.argv[3])
g.get_shortest_path(int(a), int(b))
"""


PICK = """
import json, sys, pyarrow as pa, pyarrow.compute as pc, pyarrow.csv as csv
data = sys.argv[1]
t = csv.read_csv(data + "/relations.csv", convert_options=csv.ConvertOptions(include_columns=["kind", "source", "target"]))
a = t.column("source")[0].as_py()
# b: an entity (not a jurisdiction, whose ids are country codes) half-way down the table.
half = t.slice(t.num_rows // 2).column("target")
far = pc.filter(half, pc.and_(pc.starts_with(half, "icij:"), pc.not_equal(half, a)))[0].as_py()
owning = pc.is_in(t.column("kind"), value_set=pa.array(["owns", "beneficial_owner_of", "controls"]))
owned = pc.filter(t.column("target"), owning)[0].as_py()
del t
e = csv.read_csv(data + "/entities.csv", convert_options=csv.ConvertOptions(include_columns=["name"]))
name = e.column("name")[min(999, e.num_rows - 1)].as_py()
print(json.dumps({"a": a, "b": far, "owned": owned, "search": " ".join(str(name).split()[:2]), "entities": e.num_rows}))
"""


def plan_text(p: dict[str, object]) -> str:
    bk = "exact" if p["betweenness_k"] is None else f"k={p['betweenness_k']}"
    ck = "exact" if p["closeness_k"] is None else f"{p['closeness_k']} sampled"
    return f"betweenness {bk}, closeness/harmonic {ck}, communities {p.get('community', 'louvain')}"


def pick(dataset: Path) -> dict[str, object]:
    """An officer, an entity some hops away, a company with owners, a name to search for and the
    entity count, read in a child process: the benchmark's own process stays small, so that the
    peak memory wait4 reports for a step is the step's (a forked child counts its parent's pages)."""
    out = subprocess.run(python(PICK) + [str(dataset)], check=True, capture_output=True, text=True).stdout
    return json.loads(out)  # type: ignore[no-any-return]


def run(size_text: str, steps: list[str], out_root: Path) -> list[dict[str, object]]:
    nodes = parse_size(size_text)
    out = out_root / size_text
    raw = out / "icij"
    dataset = out / "dataset"
    graphs = out / "graphs"
    results: list[dict[str, object]] = []

    def record(step: str, mine: dict[str, object], ref: dict[str, object] | None, ref_name: str = "") -> None:
        row: dict[str, object] = {"size": size_text, "step": step, **{f"tracker_{k}": v for k, v in mine.items() if k != "stderr"}}
        if ref is not None and ref.get("exit") != 0:
            # A failed reference gives no ratio (at 10M the store step's read failed and a
            # ratio against its partial time was printed as if it were one).
            row.update({f"ref_{k}": v for k, v in ref.items() if k != "stderr"})
            row["reference"] = ref_name
            row["ref_error"] = str(ref.get("stderr", "")).strip().splitlines()[-1:]
        elif ref is not None:
            row.update({f"ref_{k}": v for k, v in ref.items() if k != "stderr"})
            row["reference"] = ref_name
            row["ratio"] = round(float(mine["seconds"]) / max(float(ref["seconds"]), 1e-9), 2)  # type: ignore[arg-type]
            # CPU seconds (user + system, from wait4): the fairer ratio on a shared machine.
            row["cpu_ratio"] = round(float(mine["cpu"]) / max(float(ref["cpu"]), 1e-9), 2)  # type: ignore[arg-type]
        said = str(mine.get("stderr", "")).strip().splitlines()[-1:]
        if step.startswith("path") and mine.get("exit") == 1 and said and "no path" in said[0]:
            row["answer"] = said[0]  # exit 1 is the command's answer: both ends searched in full
        elif mine.get("exit") != 0:
            row["error"] = said or ""
        results.append(row)
        print(json.dumps(row, ensure_ascii=False), flush=True)

    if not (raw / "relationships.csv").is_file():
        t = time.perf_counter()
        counts = generate_icij(raw, nodes, seed=42)
        print(f"generated {counts.nodes} nodes, {counts.relationships} relationships in {time.perf_counter() - t:.1f}s", file=sys.stderr)
    if "import" in steps or not (dataset / "relations.csv").is_file():
        shutil.rmtree(dataset, ignore_errors=True)
        # --no-store: the store step below measures the compile on its own.
        mine = measure(tracker("import", "icij", str(raw), "--out", str(dataset), "--no-store"))
        ref = measure(python(REF_READ) + [str(raw)])
        record("import", mine, ref, "pyarrow read_csv of the same files")
    env = {**os.environ, "TRACKER_STORE": str(out / "store")}
    queries = [s for s in steps if s in ("path", "neighbours", "search", "chains", "view")]
    if not queries and "store" not in steps and "build" not in steps and "report" not in steps:
        (out / "results.json").write_text(json.dumps(results, indent=2, ensure_ascii=False), encoding="utf-8")
        return results
    ids = pick(dataset)
    a, b, owned = str(ids["a"]), str(ids["b"]), str(ids["owned"])
    if "store" in steps or not any((out / "store").glob("*/manifest.json")):
        shutil.rmtree(out / "store", ignore_errors=True)
        mine = measure(tracker("store", "compile", "--data", str(dataset)), env=env)
        ref = measure(python(REF_READ) + [str(dataset)])
        record("store", mine, ref, "pyarrow read_csv of the dataset's files")
    store = str(next((out / "store").glob("*/manifest.json")).parent)
    if "build" in steps:
        record("build", measure(tracker("build", "--data", str(dataset), "--out", str(graphs)), env=env), None)
    if "report" in steps:
        from tracker.metrics import plan

        the_plan = plan(int(ids["entities"]))  # type: ignore[call-overload]
        mine = measure(tracker("report", "--data", str(dataset), "--format", "csv", "-o", str(out / "report.csv")), env=env)
        ref = measure(python(REF_METRICS) + [str(dataset), json.dumps(the_plan)])
        record("report", mine, ref, f"igraph: load edge list + same metrics ({plan_text(the_plan)})")
        if int(ids["entities"]) <= LOAD_MAX:  # type: ignore[call-overload]
            load = measure(python(LOAD_ONLY) + [str(dataset)], env=env)
            record("load", load, None)
    duck = "DuckDB SQL per hop over the same Parquet"
    if "path" in steps:
        mine = measure(tracker("path", a, b, "--data", str(dataset), "--format", "json"), env=env)
        record("path", mine, measure(python(REF_DUCKDB) + [store, "path", a, b]), duck + " (bidirectional, 3 hops each side)")
        if "path-igraph" in steps:  # (the old reference: 11 minutes and 18 GB at 10M)
            record("path-igraph", mine, measure(python(REF_PATH) + [str(dataset), a, b]), "igraph: load edge list + one shortest path")
    if "neighbours" in steps:
        mine = measure(tracker("neighbours", a, "--depth", "2", "--data", str(dataset), "--format", "json"), env=env)
        record("neighbours", mine, measure(python(REF_DUCKDB) + [store, "walk", a, "2"]), duck + " (2 hops)")
    if "search" in steps:
        query = str(ids["search"])
        mine = measure(tracker("search", query, "--data", str(dataset), "--format", "json"), env=env)
        record("search", mine, measure(python(REF_DUCKDB) + [store, "search", query, ""]), "DuckDB lookup of the query's words")
    if "chains" in steps:
        mine = measure(tracker("chains", owned, "--up", "--data", str(dataset), "--format", "json"), env=env)
        record("chains", mine, measure(python(REF_DUCKDB) + [store, "walk", owned, "3"]), duck + " (3 hops)")
    if "view" in steps:
        mine = measure(tracker("view", "--data", str(dataset), "--focus", a, "--depth", "2", "-o", str(out / "view.html")), env=env)
        record("view", mine, measure(python(REF_DUCKDB) + [store, "walk", a, "2"]), duck + " (2 hops)")
    (out / "results.json").write_text(json.dumps(results, indent=2, ensure_ascii=False), encoding="utf-8")
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", required=True, help="10k, 100k, 1M, 2M or a number of nodes")
    parser.add_argument("--steps", default=",".join(STEPS), help="comma-separated: " + ",".join(STEPS))
    parser.add_argument("--out", type=Path, default=HERE / "out", help="working folder (git-ignored)")
    args = parser.parse_args()
    steps = [s for s in args.steps.split(",") if s]
    unknown = set(steps) - set(STEPS)
    if unknown:
        parser.error(f"unknown steps: {', '.join(sorted(unknown))}")
    # The byte code an installed tracker has (pip compiles it at install; an editable install
    # under PYTHONDONTWRITEBYTECODE never does, and each step would compile 7,000 lines, about
    # 0.1-0.2 s of CPU, that the reference's pip-installed duckdb never pays).
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(ROOT / "tracker")], check=True)
    results = run(args.size, steps, args.out)
    print(
        f"\n{'step':<11} {'tracker s':>10} {'cpu s':>8} {'peak MB':>9} {'ref s':>8} {'ref cpu':>8} {'ref MB':>8} {'ratio':>7} {'cpu':>7}  reference"
    )
    for r in results:
        print(
            f"{r['step']:<11} {r['tracker_seconds']:>10} {r['tracker_cpu']:>8} {r['tracker_peak_mb']:>9} {r.get('ref_seconds', ''):>8} "
            f"{r.get('ref_cpu', ''):>8} {r.get('ref_peak_mb', ''):>8} {str(r.get('ratio', '')) + ('x' if 'ratio' in r else ''):>7} "
            f"{str(r.get('cpu_ratio', '')) + ('x' if 'cpu_ratio' in r else ''):>7}  {r.get('reference', '')}"
            + (f"  ERROR {r['error']}" if "error" in r else "")
        )


if __name__ == "__main__":
    main()
