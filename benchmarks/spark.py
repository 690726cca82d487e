"""The Spark engine at scale, run on demand (never in the test run).

    python benchmarks/spark.py --data DATASET --store STORE_ROOT [--steps path,neighbours,chains]
                               [--ids A B OWNED] [--master local[2]] [--repeat N]

Times `tracker path`, `neighbours --depth 2` and `chains --up` with ``--engine spark`` on an
already compiled store, each as a whole child process (so the Spark session's start, the JVM
and its exit are in the figures), and beside each, in the same run and on the same store:

- the same command with ``--engine duckdb`` (the default engine: the ratio is what Spark costs
  over it for the same answer), whose stdout must be byte for byte Spark's;
- the bare DuckDB SQL reference of `benchmarks/run.py` (``REF_DUCKDB``: one statement per hop,
  written independently of tracker's code), read from run.py's source, not imported.

Wall and CPU seconds (user + system of the child and every descendant it waited for, from
``wait4``; tracker waits for the JVM it starts, so the JVM's CPU counts) and two peaks: the
largest single process (``wait4``'s maximum resident set: the JVM or Python, whichever is
larger) and the whole process tree's resident memory sampled every 0.2 s (Python and the JVM
together). The parent process loads no data and imports nothing heavy, so that ``wait4``'s
figure is the child's: ids are picked by a child process (run.py's ``PICK``) unless given.

Results go to stdout as a table and to ``--json`` if given. Do not run it at 10M on a shared
machine; at 2M and above hold the team's memory lock around it.
"""

from __future__ import annotations

import argparse
import ast
import hashlib
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
STEPS = ("path", "neighbours", "chains")


def run_constant(name: str) -> str:
    """A string constant of benchmarks/run.py, read from its source (importing it would load tracker)."""
    tree = ast.parse((HERE / "run.py").read_text(encoding="utf-8"))
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == name for t in node.targets):
            value = ast.literal_eval(node.value)
            if isinstance(value, str):
                return value
    raise SystemExit(f"benchmarks/run.py has no string constant {name}")


def _tree_rss_kb(root: int) -> int:
    """Resident kB of `root` and all its descendants, from /proc (0 where /proc is missing)."""
    children: dict[int, list[int]] = {}
    rss: dict[int, int] = {}
    page_kb = os.sysconf("SC_PAGE_SIZE") // 1024
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
            pid = int(stat.parent.name)
            children.setdefault(int(fields[1]), []).append(pid)
            rss[pid] = int(fields[21]) * page_kb
        except (OSError, ValueError, IndexError):
            continue
    total, todo = 0, [root]
    while todo:
        pid = todo.pop()
        total += rss.get(pid, 0)
        todo.extend(children.get(pid, []))
    return total


def measure(cmd: list[str], env: dict[str, str], out_dir: Path, label: str) -> dict[str, object]:
    """Run `cmd` as a child; wall and CPU seconds, peaks, exit code, stdout digest and stderr."""
    stdout_path = out_dir / f"{label}.stdout"
    stderr_path = out_dir / f"{label}.stderr"
    peak_tree = [0]
    done = threading.Event()
    with open(stdout_path, "wb") as out, open(stderr_path, "wb") as err:
        started = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=out, stderr=err, env=env)

        def sample() -> None:
            while not done.wait(0.2):
                peak_tree[0] = max(peak_tree[0], _tree_rss_kb(proc.pid))

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - started
        done.set()
        sampler.join()
    proc.returncode = os.waitstatus_to_exitcode(status)
    digest = hashlib.sha256()
    with open(stdout_path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    err_text = stderr_path.read_text(encoding="utf-8", errors="replace")
    return {
        "seconds": round(wall, 2),
        "cpu": round(usage.ru_utime + usage.ru_stime, 2),
        "peak_mb": round(usage.ru_maxrss / 1024),
        "tree_mb": round(peak_tree[0] / 1024),
        "exit": proc.returncode,
        "stdout_sha256": digest.hexdigest(),
        "stderr_lines": len(err_text.splitlines()),
        "stderr_tail": err_text[-1500:],
    }


def pick_ids(dataset: Path) -> tuple[str, str, str]:
    """run.py's ids (its ``PICK``: an officer, an entity half-way down the relation table, a
    company with owners), read in a child process: the relation table is gigabytes at 2M."""
    out = subprocess.run([sys.executable, "-c", run_constant("PICK"), str(dataset)], capture_output=True, text=True, check=True).stdout
    picked = json.loads(out)
    return str(picked["a"]), str(picked["b"]), str(picked["owned"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, required=True, help="the dataset folder the store was compiled from")
    parser.add_argument("--store", type=Path, required=True, help="the store root (TRACKER_STORE) holding its compiled store")
    parser.add_argument("--steps", default=",".join(STEPS), help="comma-separated: " + ",".join(STEPS))
    parser.add_argument("--ids", nargs=3, metavar=("A", "B", "OWNED"), help="path ends and a company with owners (default: run.py's PICK)")
    parser.add_argument("--master", default="local[2]", help="TRACKER_SPARK for the Spark runs (default local[2])")
    parser.add_argument("--repeat", type=int, default=1, help="runs of each command; the median by wall time is shown")
    parser.add_argument("--json", type=Path, help="write the results here too")
    args = parser.parse_args()
    steps = [s for s in args.steps.split(",") if s]
    if set(steps) - set(STEPS):
        parser.error(f"unknown steps: {', '.join(sorted(set(steps) - set(STEPS)))}")
    manifests = sorted(args.store.glob("*/manifest.json"))
    if not manifests:
        parser.error(f"no compiled store under {args.store}")
    store = str(manifests[0].parent)
    a, b, owned = args.ids or pick_ids(args.data)
    print(f"ids: path {a} -> {b}; neighbours {a}; chains --up {owned}", file=sys.stderr)
    ref_sql = run_constant("REF_DUCKDB")
    env = {**os.environ, "TRACKER_STORE": str(args.store), "TRACKER_SPARK": args.master}
    py = sys.executable
    data = ["--data", str(args.data), "--format", "json"]
    questions = {
        "path": ([py, "-m", "tracker", "path", a, b, *data], [py, "-c", ref_sql, store, "path", a, b], "bidirectional 3+3 hops"),
        "neighbours": ([py, "-m", "tracker", "neighbours", a, "--depth", "2", *data], [py, "-c", ref_sql, store, "walk", a, "2"], "2 hops"),
        "chains": ([py, "-m", "tracker", "chains", owned, "--up", *data], [py, "-c", ref_sql, store, "walk", owned, "3"], "3 hops"),
    }
    results: list[dict[str, object]] = []
    with tempfile.TemporaryDirectory(prefix="spark-bench-") as tmp:
        out_dir = Path(tmp)
        for step in steps:
            cmd, ref, ref_note = questions[step]
            runs: dict[str, list[dict[str, object]]] = {"spark": [], "duckdb": [], "sql": []}
            for i in range(max(args.repeat, 1)):
                runs["spark"].append(measure([*cmd, "--engine", "spark"], env, out_dir, f"{step}-spark-{i}"))
                runs["duckdb"].append(measure([*cmd, "--engine", "duckdb"], env, out_dir, f"{step}-duckdb-{i}"))
                runs["sql"].append(measure(ref, env, out_dir, f"{step}-sql-{i}"))
            med = {k: sorted(v, key=lambda r: float(r["seconds"]))[len(v) // 2] for k, v in runs.items()}  # type: ignore[arg-type]
            same = med["spark"]["stdout_sha256"] == med["duckdb"]["stdout_sha256"]
            for engine in ("spark", "duckdb", "sql"):
                r = med[engine]
                row: dict[str, object] = {"step": step, "engine": engine, **{k: v for k, v in r.items() if k != "stderr_tail"}}
                row["walls"] = [x["seconds"] for x in runs[engine]]
                for ref_name in ("duckdb", "sql"):
                    if engine != ref_name:
                        row[f"wall_vs_{ref_name}"] = round(float(r["seconds"]) / max(float(med[ref_name]["seconds"]), 1e-9), 2)  # type: ignore[arg-type]
                        row[f"cpu_vs_{ref_name}"] = round(float(r["cpu"]) / max(float(med[ref_name]["cpu"]), 1e-9), 2)  # type: ignore[arg-type]
                if engine == "spark":
                    row["same_answer_as_duckdb"] = same
                # Exit 1 with a message is an answer ("no path within 6 hops") when DuckDB gives it too.
                if r["exit"] != 0 and (r["exit"] != med["duckdb"]["exit"] or int(r["exit"]) > 1):  # type: ignore[call-overload]
                    row["error"] = str(r["stderr_tail"]).strip().splitlines()[-1:]
                elif r["exit"] != 0:
                    row["answer"] = str(r["stderr_tail"]).strip().splitlines()[-1:]
                row["reference"] = f"DuckDB SQL per hop ({ref_note})" if engine == "sql" else f"tracker --engine {engine}"
                results.append(row)
                print(json.dumps(row), flush=True)
    if args.json:
        args.json.write_text(json.dumps(results, indent=2), encoding="utf-8")
    load = os.getloadavg() if hasattr(os, "getloadavg") else ("?",)
    print(f"\nmaster {args.master}; load average at the end {load[0]:.1f}; median of {max(args.repeat, 1)} run(s)")
    head = f"{'step':<11} {'engine':<7} {'wall s':>8} {'CPU s':>8} {'peak MB':>8} {'tree MB':>8} {'vs duckdb':>16} {'vs SQL':>16}  notes"
    print(head + "\n" + "-" * len(head))
    for r in results:
        vs_d = f"{r['wall_vs_duckdb']}x / {r['cpu_vs_duckdb']}x" if "wall_vs_duckdb" in r else ""
        vs_s = f"{r['wall_vs_sql']}x / {r['cpu_vs_sql']}x" if "wall_vs_sql" in r else ""
        notes = []
        if r["engine"] == "spark":
            notes.append("same stdout as duckdb" if r["same_answer_as_duckdb"] else "DIFFERENT stdout from duckdb")
            notes.append(f"{r['stderr_lines']} stderr lines")  # the answer's own message included
        if "error" in r:
            notes.append(f"ERROR exit {r['exit']}: {r['error']}")
        elif "answer" in r:
            notes.append(f"exit {r['exit']} as duckdb: {r['answer']}")
        print(
            f"{r['step']:<11} {r['engine']:<7} {r['seconds']:>8} {r['cpu']:>8} {r['peak_mb']:>8} {r['tree_mb']:>8} {vs_d:>16} {vs_s:>16}  "
            + "; ".join(notes)
        )
    print("(ratios: wall / CPU; peak MB: largest process, from wait4; tree MB: Python and JVM together, sampled)")


if __name__ == "__main__":
    main()
