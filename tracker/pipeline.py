"""The main job behind `tracker build`: data in, every output of the build out.

Load and validate the dataset folders (refusing to build on errors), build the canonical graph,
then hand it to each writer: the graph exports and tables (`tracker.export`), the analysis
tables and report (`tracker.report`) and the network view (`tracker.views`). Every writer
writes atomically, so an interrupted build leaves the previous outputs whole.

A large dataset builds in bounded time and memory: above the view cap the full-graph page is
skipped (the summary suggests `tracker view --focus`); above
`tracker.export.BUILD_GRAPH_FILES_MAX_RELATIONS` relations graph.graphml and graph.json are left
out (the summary gives the `tracker export` command that writes them) while the CSV tables
stream row by row; and what the analysis samples instead of computing exactly (betweenness,
closeness) is listed under "skipped" in the summary.
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import networkx as nx

from tracker.dataset import load
from tracker.exc import ViewTooLarge
from tracker.graph import build
from tracker.output import check_not_input, protect

__all__ = ["BuildResult", "run_build", "scale_notes"]

log = logging.getLogger(__name__)


@dataclass
class BuildResult:
    """What a build read and wrote, for the summary on stderr."""

    graph: nx.MultiDiGraph
    out: Path
    files: list[Path] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    warnings: int = 0
    seconds: float = 0.0
    store: Path | None = None

    def summary(self) -> list[str]:
        G = self.graph
        kinds = Counter(d.get("kind") for _, d in G.nodes(data=True))
        spheres = Counter(d.get("sphere") for _, d in G.nodes(data=True))
        rels = Counter(d.get("kind") for _, _, d in G.edges(data=True))
        lines = [
            f"built {G.graph.get('name', '')}: {G.number_of_nodes()} entities, {G.number_of_edges()} relations, "
            f"{len(G.graph.get('sources', {}))} sources ({self.warnings} warnings)",
            "  entities by kind: " + ", ".join(f"{k} {n}" for k, n in sorted(kinds.items())),
            "  entities by sphere: " + ", ".join(f"{k} {n}" for k, n in sorted(spheres.items())),
            "  relations by kind: " + ", ".join(f"{k} {n}" for k, n in sorted(rels.items())),
        ]
        lines += [f"  skipped: {s}" for s in self.skipped]
        if self.store is not None:
            lines.append(f"  store: {self.store} (queries on this data read it; `tracker store clear` deletes it)")
        lines.append(f"wrote {len(self.files)} files to {self.out}/ in {self.seconds:.1f}s:")
        lines += [f"  {p.name}" for p in self.files]
        return lines


def scale_notes(n: int) -> list[str]:
    """What the analysis does not compute exactly on a graph of `n` entities, for the summary.

    Examples
    --------
    >>> scale_notes(214)
    []
    >>> scale_notes(80_000)[0]
    'exact betweenness (O(nodes x edges)): sampled from k=500 source entities, seed 42, on igraph'
    """
    from tracker.metrics import plan

    p = plan(n)
    notes = []
    if p["betweenness_k"] is not None:
        notes.append(
            f"exact betweenness (O(nodes x edges)): sampled from k={p['betweenness_k']} source entities, seed {p['seed']}, on {p['engine']}"
        )
    if p["closeness_k"] is not None:
        notes.append(
            f"closeness and harmonic for every entity: computed for a fixed-seed sample of {p['closeness_k']} entities "
            "only (empty for the others in centrality.csv)"
        )
    return notes


def run_build(data: Sequence[Path], out: Path, view: bool = True) -> BuildResult:
    """Run the whole build; raises `InvalidData` on validation errors, before writing anything."""
    from tracker.export import build_export_skips, write_build_exports
    from tracker.report import write_build_reports

    started = time.perf_counter()
    dataset = load(list(data) or None)
    protect(dataset.roots)
    out = Path(out)
    check_not_input(out)  # an output folder inside an input dataset would change the data
    G = build(dataset)
    result = BuildResult(G, out, warnings=len(dataset.warnings))
    from tracker.query import STORE_ABOVE_BYTES, relations_bytes

    if relations_bytes(dataset.roots) > STORE_ABOVE_BYTES:
        # Large data: compile the store now, from the data already read and validated, so
        # that the questions asked next (path, neighbours, view --focus) start at once.
        from tracker.store import open_store

        store = open_store(list(data) or None, say=log.info, dataset=dataset)
        result.store = store.root
    log.info("graph built: %d nodes, %d edges", G.number_of_nodes(), G.number_of_edges())
    result.files += write_build_exports(G, out)
    result.skipped += build_export_skips(G)
    result.files += write_build_reports(G, out)
    result.skipped += scale_notes(G.number_of_nodes())
    if view:
        from tracker.views import MAX_NODES, write_view

        if G.number_of_nodes() > MAX_NODES:
            # Refused before any work: the page would take minutes to open (issue 4).
            result.skipped.append(
                f"network.html: {G.number_of_nodes()} entities is over the view cap of {MAX_NODES}; "
                "draw a neighbourhood instead: tracker view --focus ENTITY --depth 2 -o view.html"
            )
        else:
            try:
                result.files.append(write_view(G, out / "network.html", title=f"tracker: {G.graph.get('name', '')}"))
            except ViewTooLarge as exc:
                result.skipped.append(f"network.html: {exc}")
    else:
        result.skipped.append("network.html (--no-view)")
    result.seconds = time.perf_counter() - started
    return result
