"""The main job behind `tracker build`: data in, every output of the build out.

Load and validate the dataset folders (refusing to build on errors), build the canonical graph,
then hand it to each writer: the graph exports and tables (`tracker.export`), the analysis
tables and report (`tracker.report`) and the network view (`tracker.views`). Every writer
writes atomically, so an interrupted build leaves the previous outputs whole.
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
from tracker.graph import build
from tracker.output import check_not_input, protect

__all__ = ["BuildResult", "run_build"]

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
        lines.append(f"wrote {len(self.files)} files to {self.out}/ in {self.seconds:.1f}s:")
        lines += [f"  {p.name}" for p in self.files]
        return lines


def run_build(data: Sequence[Path], out: Path, view: bool = True) -> BuildResult:
    """Run the whole build; raises `InvalidData` on validation errors, before writing anything."""
    from tracker.export import write_build_exports
    from tracker.report import write_build_reports

    started = time.perf_counter()
    dataset = load(list(data) or None)
    protect(dataset.roots)
    out = Path(out)
    check_not_input(out)  # an output folder inside an input dataset would change the data
    G = build(dataset)
    result = BuildResult(G, out, warnings=len(dataset.warnings))
    log.info("graph built: %d nodes, %d edges", G.number_of_nodes(), G.number_of_edges())
    result.files += write_build_exports(G, out)
    result.files += write_build_reports(G, out)
    if view:
        from tracker.exc import TrackerError
        from tracker.views import write_view

        try:
            result.files.append(write_view(G, out / "network.html", title=f"tracker: {G.graph.get('name', '')}"))
        except TrackerError as exc:
            if type(exc).__name__ != "ViewTooLarge":
                raise
            result.skipped.append(f"network.html: {exc}")
    else:
        result.skipped.append("network.html (--no-view)")
    result.seconds = time.perf_counter() - started
    return result
