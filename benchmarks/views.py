"""Benchmark of the HTML view, run on demand (never in the test run).

    python benchmarks/views.py [--sizes 100,1000,5000] [--repeat 1] [--no-browser]

For each size it builds a seeded synthetic canonical graph (people, companies, banks, vehicles and
jurisdictions with ~2 relations per entity, every relation citing a source), then measures:

- write: `tracker.views.write_view` wall time (centrality, layout, JSON, template), best of --repeat;
- size: the HTML file in bytes;
- first render: in Debian's headless Chromium, from navigation start to the page's own
  `trackerView.rendered` flag (set on vis-network's first `afterDrawing`), with every request
  other than the file itself aborted and counted (it must stay zero).

Results go to stdout as a table and to benchmarks/out/views/results.json.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from pathlib import Path
from typing import Any

import networkx as nx

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))

from tracker.views import write_view  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]

KINDS = [
    ("person", "elite", 0.35),
    ("company", "company", 0.3),
    ("financial_institution", "london_finance", 0.1),
    ("professional_firm", "london_finance", 0.05),
    ("trust_or_foundation", "offshore", 0.1),
    ("property", "london_finance", 0.07),
    ("jurisdiction", "offshore", 0.03),
]
RELATIONS = ["owns", "beneficial_owner_of", "officer_of", "advised", "financed", "registered_in", "family", "alleged"]
EVIDENCE = ["official_register", "court_judgment", "company_filing", "news_report", "investigative_report", "allegation"]


def synthetic_graph(n: int, seed: int = 42) -> nx.MultiDiGraph:
    """A canonical-looking graph: preferential attachment, ~2 relations per entity."""
    rng = random.Random(seed)
    sources = {
        f"s{i}": {
            "id": f"s{i}",
            "url": f"https://example.org/{i}",
            "title": f"Source {i}",
            "publisher": "Example",
            "date": "2020",
            "evidence": rng.choice(EVIDENCE),
            "mirror": False,
        }
        for i in range(max(10, n // 5))
    }
    G = nx.MultiDiGraph(name=f"synthetic-{n}", content_hash=f"{n:064d}", data_date="2024", sources=sources)
    weights = [k[2] for k in KINDS]
    for i in range(n):
        kind, sphere, _ = rng.choices(KINDS, weights)[0]
        G.add_node(
            f"e{i:05d}",
            kind=kind,
            sphere=sphere,
            name=f"Entity {i} Құлыбаев" if i % 50 == 0 else f"Entity {i}",
            aliases=[f"Сущность {i}"],
            sources=[],
        )
    targets: list[str] = ["e00000"]
    r = 0
    for i in range(1, n):
        me = f"e{i:05d}"
        for _ in range(2 if i > 2 else 1):
            other = rng.choice(targets)
            if other == me:
                continue
            kind = rng.choice(RELATIONS)
            share = round(rng.uniform(1, 100), 1) if kind == "owns" else None
            G.add_edge(
                other,
                me,
                key=f"r{r:06d}",
                kind=kind,
                label=kind.replace("_", " "),
                directed=kind != "family",
                ownership=kind in {"owns", "beneficial_owner_of"},
                share=share,
                evidence=rng.choice(EVIDENCE),
                sources=[f"s{rng.randrange(len(sources))}"],
                start=str(rng.randint(1995, 2022)),
                end="",
                referred_by=[],
                refers_to=[],
            )
            targets += [other, me]
            r += 1
    return G


def first_render(path: Path) -> tuple[float, int, list[str]]:
    """Seconds to the page's `rendered` flag, outside requests attempted, console errors."""
    from playwright.sync_api import sync_playwright

    url = path.resolve().as_uri()
    outside: list[str] = []
    errors: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 900})

        def route(r: Any) -> None:
            if r.request.url == url:
                r.continue_()
            else:
                outside.append(r.request.url)
                r.abort()

        page.route("**/*", route)
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(str(e)))
        start = time.perf_counter()
        page.goto(url, wait_until="commit")
        page.wait_for_function("() => window.trackerView && window.trackerView.rendered === true", timeout=600_000)
        seconds = time.perf_counter() - start
        browser.close()
    return seconds, len(outside), errors


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="100,1000,5000")
    ap.add_argument("--repeat", type=int, default=1)
    ap.add_argument("--no-browser", action="store_true")
    args = ap.parse_args()
    out_dir = HERE / "out" / "views"
    out_dir.mkdir(parents=True, exist_ok=True)
    rows = []
    for n in (int(s) for s in args.sizes.split(",")):
        G = synthetic_graph(n)
        path = out_dir / f"view-{n}.html"
        best = float("inf")
        for _ in range(max(1, args.repeat)):
            t = time.perf_counter()
            write_view(G, path)
            best = min(best, time.perf_counter() - t)
        row: dict[str, Any] = {
            "nodes": G.number_of_nodes(),
            "edges": G.number_of_edges(),
            "write_s": round(best, 2),
            "bytes": path.stat().st_size,
        }
        if not args.no_browser:
            seconds, outside, errors = first_render(path)
            row.update({"first_render_s": round(seconds, 2), "outside_requests": outside, "console_errors": len(errors)})
        rows.append(row)
        print(json.dumps(row), flush=True)
    (out_dir / "results.json").write_text(json.dumps(rows, indent=2) + "\n", encoding="utf-8")
    print(f"\n{'nodes':>6} {'edges':>6} {'write s':>8} {'size MB':>8} {'render s':>9} {'requests':>8} {'errors':>6}")
    for r in rows:
        print(
            f"{r['nodes']:>6} {r['edges']:>6} {r['write_s']:>8.2f} {r['bytes'] / 1e6:>8.2f} "
            f"{r.get('first_render_s', float('nan')):>9.2f} {r.get('outside_requests', '-')!s:>8} {r.get('console_errors', '-')!s:>6}"
        )


if __name__ == "__main__":
    main()
