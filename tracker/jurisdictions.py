"""Jurisdiction exposure: how much of the network runs through each jurisdiction, and how secret it is.

For every entity of kind `jurisdiction`:

- ``registered``: entities with a `registered_in` or `located_in` relation to it;
  ``entities``: those plus non-person entities whose `country` is its code (a person's country
  is a nationality, not a registration, so persons count only through `located_in`);
- ``relations``: distinct relations touching those entities (registrations included);
- ``paths_through``: shortest paths from elite entities to City of London entities
  (`london_finance` sphere) with at least one *intermediate* entity linked to the
  jurisdiction, out of ``paths_total`` (in `attrs`). Counted exactly for every pair from the
  sources used, on the collapsed undirected graph of channel relations
  (`tracker.metrics.CHANNEL_EXCLUDE`) with jurisdiction nodes removed, so that two companies
  registered in the same place are not "linked" through the registry itself. Sources are
  bounded: above `max_sources` elite entities (and above `PATH_BUDGET` / nodes, so 20 at 1M
  nodes) a fixed-seed sample is used, stated in `attrs`;
- ``secrecy_score``: the `score` of the jurisdiction's latest `ranked` relation (e.g. the Tax
  Justice Network's Financial Secrecy Index), with its rank, index and source ids, so the figure
  can be checked; ``exposure`` = secrecy_score / 100 x relations and ``path_exposure`` =
  secrecy_score / 100 x paths_through. Without a score both are unknown (None), not zero;
- ``uk_tie``: the jurisdiction's constitutional tie to the controlling state (by default the UK,
  ``gb``) from its `constitutional_tie` relation, such as "Crown Dependency" or "Overseas
  Territory", with ``uk_tie_sources``; "none" without such a relation, and the controller's own
  name for the controller itself. The relations say why; their absence is a "none" only as far as
  the dataset's ties are complete (the curated dataset cites the UK's own lists).

- ``declared_unknown_owner``: linked entities that declare their owner unknown, withheld or
  absent (a `declared_unknown_owner` statement, current or ceased: see `tracker.chains`).

``attrs["uk_controlled"]`` measures how much of the *offshore* exposure runs through
jurisdictions tied to the controller: distinct relations touching entities linked to an offshore
jurisdiction (``offshore`` true), and the part of them touching entities linked to a tied one;
elite-to-City shortest paths with an intermediate linked to an offshore jurisdiction, and the part
with one linked to a tied one. Each share is the part over the whole (None when the whole is 0).
"""

from __future__ import annotations

import random
from collections import deque
from collections.abc import Sequence
from typing import Any

import networkx as nx
import pandas as pd

from tracker.metrics import CHANNEL_EXCLUDE
from tracker.model import load_model

__all__ = ["jurisdiction_exposure", "path_counts_through"]

LINK_KINDS = frozenset({"registered_in", "located_in"})
MAX_SOURCES = 200
#: Above PATH_BUDGET / nodes sources (e.g. 20 at 1M nodes), the elite sources are sampled too.
PATH_BUDGET = 20_000_000
SEED = 42

COLUMNS = [
    "name",
    "country",
    "offshore",
    "registered",
    "entities",
    "relations",
    "paths_through",
    "secrecy_score",
    "secrecy_rank",
    "secrecy_index",
    "secrecy_relation",
    "secrecy_sources",
    "exposure",
    "path_exposure",
    "uk_tie",
    "uk_tie_sources",
    "declared_unknown_owner",
]

TIE_KIND = "constitutional_tie"
CONTROLLER = "gb"


def path_counts_through(
    H: nx.Graph, sources: Sequence[Any], targets: Sequence[Any], groups: dict[str, set[Any]]
) -> tuple[int, dict[str, int]]:
    """Count shortest source-target paths, and those with an intermediate node in each group.

    One breadth-first search per source counts shortest paths (`sigma`) and, per group, the
    shortest paths that avoid the group's nodes as intermediates; the difference is the number
    through the group. Exact, without listing paths. The per-group pass only visits the nodes
    on some shortest path to a reached target, and skips groups with none of them.

    Examples
    --------
    >>> H = nx.Graph([("s", "a"), ("a", "t"), ("s", "b"), ("b", "t")])
    >>> path_counts_through(H, ["s"], ["t"], {"A": {"a"}, "AB": {"a", "b"}})
    (2, {'A': 1, 'AB': 2})
    """
    total = 0
    through = dict.fromkeys(groups, 0)
    target_set = set(targets)
    for s in sources:
        if s not in H:
            continue
        dist = {s: 0}
        order = [s]
        preds: dict[Any, list[Any]] = {s: []}
        queue = deque([s])
        while queue:
            u = queue.popleft()
            for w in H.neighbors(u):
                if w not in dist:
                    dist[w] = dist[u] + 1
                    preds[w] = [u]
                    order.append(w)
                    queue.append(w)
                elif dist[w] == dist[u] + 1:
                    preds[w].append(u)
        sigma = {s: 1}
        for w in order[1:]:
            sigma[w] = sum(sigma[u] for u in preds[w])
        reached = [t for t in order[1:] if t in target_set]
        if not reached:
            continue
        total += sum(sigma[t] for t in reached)
        # Only nodes on a shortest path to a reached target matter: walk back from the targets.
        useful = set(reached)
        for w in reversed(order):
            if w in useful:
                useful.update(preds[w])
        inner = useful - {s}
        sub = [w for w in order[1:] if w in useful]
        for name, nodes in groups.items():
            if not (len(nodes) < len(inner) and any(x in inner for x in nodes)) and not (
                len(nodes) >= len(inner) and any(x in nodes for x in inner)
            ):
                continue  # no intermediate of this group on any of these paths
            avoid = {s: 1}
            for w in sub:
                avoid[w] = sum(0 if (u in nodes and u != s) else avoid[u] for u in preds[w])
            through[name] += sum(sigma[t] - avoid[t] for t in reached)
    return total, through


def _coded(G: Any, ids: Sequence[Any], name: str) -> tuple[Any, list[Any]]:
    """Entity attribute `name` over `ids` as (numpy array of value numbers, values): each value once.

    A `tracker.storegraph.StoreGraph` reads its column's dictionary (`node_codes`); a networkx
    graph is read entity by entity (a missing attribute is None).
    """
    import numpy as np

    codes = getattr(G, "node_codes", None)
    if codes is not None and ids is getattr(G, "ids", None):
        coded: tuple[Any, list[Any]] = codes(name)
        return coded
    nodes = G.nodes
    index: dict[Any, int] = {}
    at = np.fromiter((index.setdefault(nodes[n].get(name), len(index)) for n in ids), dtype=np.int64, count=len(ids))
    return at, list(index)


def _each(values: list[Any], test: Any, dtype: Any = bool) -> Any:
    """`test` of each distinct value, as a numpy array to index with the value numbers of `_coded`."""
    import numpy as np

    return np.array([test(v) for v in values], dtype=dtype)


def _secrecy(G: nx.MultiDiGraph, j: str) -> dict[str, Any]:
    ranked = [
        (d.get("start", "") or "", k, v, d)
        for _, v, k, d in G.out_edges(j, keys=True, data=True)
        if d.get("kind") == "ranked" and d.get("score") is not None
    ]
    if not ranked:
        return {"secrecy_score": None, "secrecy_rank": None, "secrecy_index": "", "secrecy_relation": "", "secrecy_sources": ""}
    start, key, index, d = sorted(ranked, key=lambda r: (r[0], r[1]))[-1]
    return {
        "secrecy_score": float(d["score"]),
        "secrecy_rank": d.get("rank"),
        "secrecy_index": G.nodes[index].get("name", index),
        "secrecy_relation": key,
        "secrecy_sources": ";".join(d.get("sources", []) or []),
    }


def constitutional_ties(G: nx.MultiDiGraph, controller: str = CONTROLLER) -> dict[str, tuple[str, tuple[str, ...]]]:
    """Jurisdiction id -> (tie, source ids) for each `constitutional_tie` relation to `controller`.

    Examples
    --------
    >>> G = nx.MultiDiGraph()
    >>> _ = G.add_edge("je", "gb", key="r1", kind="constitutional_tie", role="Crown Dependency", sources=["s1"])
    >>> _ = G.add_edge("vg", "gb", key="r2", kind="registered_in")
    >>> constitutional_ties(G)
    {'je': ('Crown Dependency', ('s1',))}
    """
    ties: dict[str, tuple[str, tuple[str, ...]]] = {}
    if controller not in G:
        return ties
    for u, _, key, d in sorted(G.in_edges(controller, keys=True, data=True), key=lambda e: (e[0], e[2])):
        if d.get("kind") == TIE_KIND and u not in ties:
            ties[u] = (str(d.get("role", "") or TIE_KIND), tuple(d.get("sources", []) or ()))
    return ties


def _share(part: int, whole: int) -> float | None:
    return None if whole == 0 else round(part / whole, 6)


def jurisdiction_exposure(
    G: nx.MultiDiGraph,
    source_spheres: Sequence[str] = ("elite",),
    target_spheres: Sequence[str] = ("london_finance",),
    max_sources: int = MAX_SOURCES,
    seed: int = SEED,
    views: Any = None,
    controller: str = CONTROLLER,
) -> pd.DataFrame:
    """Per-jurisdiction exposure table (see the module docstring for every column).

    Returns
    -------
    pd.DataFrame
        Indexed by jurisdiction id, sorted by exposure (unknown last), relations, then id.
        `attrs` holds `paths_total`, `sources_used`, `sources_total` and `notes`.

    Examples
    --------
    >>> G = nx.MultiDiGraph()
    >>> G.add_node("vg", kind="jurisdiction", name="BVI", country="vg"); G.add_node("idx", kind="organisation", name="Index")
    >>> G.add_node("p", kind="person", sphere="elite"); G.add_node("bank", kind="financial_institution", sphere="london_finance")
    >>> G.add_node("co", kind="company", sphere="offshore", country="vg")
    >>> for u, v, k, kind in [("p", "co", "r1", "owns"), ("bank", "co", "r2", "financed"), ("co", "vg", "r3", "registered_in")]:
    ...     _ = G.add_edge(u, v, key=k, kind=kind)
    >>> _ = G.add_edge("vg", "idx", key="r4", kind="ranked", score=70.0, rank=9)
    >>> row = jurisdiction_exposure(G).loc["vg"]
    >>> int(row["entities"]), int(row["relations"]), int(row["paths_through"]), float(row["exposure"])
    (1, 3, 1, 2.1)
    """
    import numpy as np

    from tracker.metrics import Views

    views = views if views is not None else Views(G)
    table = views.table
    ids = table.ids
    src, dst = table.src, table.dst
    # Every per-entity figure is a numpy column over `ids` (positions), not a dict or set of ids:
    # at 10 million entities each of those was about a gigabyte.
    kind_at, kinds = _coded(G, ids, "kind")
    country_at, countries = _coded(G, ids, "country")
    sphere_at, spheres = _coded(G, ids, "sphere")
    is_juris = _each(kinds, lambda k: k == "jurisdiction")[kind_at]
    juris_at = sorted(((ids[i], i) for i in np.flatnonzero(is_juris).tolist()))
    juris = [j for j, _ in juris_at]
    jpos = np.array([i for _, i in juris_at], dtype=np.int64)
    # Each entity's country code, lowered (codes that differ only in case are one); -1 for none,
    # and for jurisdictions and persons (a person's country is a nationality, not a registration).
    lowered = sorted({str(c or "").lower() for c in countries} - {""})
    code_of = {code: k for k, code in enumerate(lowered)}
    entity_code = _each(countries, lambda c: code_of.get(str(c or "").lower(), -1), np.int64)[country_at]
    entity_code[_each(kinds, lambda k: k in ("jurisdiction", "person"))[kind_at]] = -1
    # The registrations and locations, grouped by the jurisdiction they point to.
    is_link = np.isin(table.kinds, np.array(sorted(LINK_KINDS), dtype=object))
    link_src, link_dst = src[is_link], dst[is_link]
    by_dst = np.argsort(link_dst, kind="stable")
    link_src, link_dst = link_src[by_dst], link_dst[by_dst]
    statements = {k for k, kind in load_model().relation_kinds.items() if kind.statement}
    # Entities that state their own owner unknown: a self-loop of a statement kind.
    loops = (src == dst) & np.isin(table.kinds, np.array(sorted(statements), dtype=object))
    unknown_owner = np.zeros(table.n, dtype=bool)
    unknown_owner[src[loops]] = True

    spheres_src, spheres_tgt = set(source_spheres), set(target_spheres)
    not_juris = ~is_juris
    in_src = _each(spheres, lambda s: s in spheres_src)[sphere_at] & not_juris
    in_tgt = _each(spheres, lambda s: s in spheres_tgt and s not in spheres_src)[sphere_at] & not_juris
    sources = sorted(ids[i] for i in np.flatnonzero(in_src).tolist())
    targets = sorted(ids[i] for i in np.flatnonzero(in_tgt).tolist())
    del in_src, in_tgt, not_juris
    # One Python BFS per source over the whole graph: the budget shrinks as the graph grows.
    cap = max(1, min(max_sources, PATH_BUDGET // max(table.n, 1)))
    used = sources if len(sources) <= cap else sorted(random.Random(seed).sample(sources, cap))
    paths = bool(used and targets)

    registered: dict[str, int] = {}
    linked_count: dict[str, int] = {}
    unknown_count: dict[str, int] = {}
    relations: dict[str, int] = {}
    # The linked entities' positions, kept only for the path counts (which need them as sets).
    linked_at: dict[str, Any] = {}
    ties = constitutional_ties(G, controller)
    jdata = {j: G.nodes[j] for j in juris}
    offshore_js = [j for j in juris if jdata[j].get("offshore") is True]
    tied_js = [j for j in juris if j in ties]
    offshore, tied = set(offshore_js), set(tied_js)
    member = np.zeros(table.n, dtype=bool)
    extra = {"__offshore": np.zeros(table.n, dtype=bool), "__tied": np.zeros(table.n, dtype=bool)}
    for j, jp in zip(juris, jpos.tolist()):
        lo, hi = np.searchsorted(link_dst, [jp, jp + 1])
        reg = np.unique(link_src[lo:hi])
        registered[j] = len(reg)
        code = str(jdata[j].get("country", "") or "").lower()
        # The linked entities: registered or located there, or (not a person) of its country code.
        # (Until December 2026 a jurisdiction without a code counted none, its registered
        # entities included: an operator-precedence slip, `reg | ... if code else set()`.)
        member[:] = False
        member[reg] = True
        if code and code in code_of:
            member |= entity_code == code_of[code]
        linked_count[j] = int(member.sum())
        unknown_count[j] = int((member & unknown_owner).sum())
        # Distinct relations with an end among the linked entities.
        relations[j] = int((member[src] | member[dst]).sum()) if linked_count[j] else 0
        if j in offshore:
            extra["__offshore"] |= member
        if j in tied:
            extra["__tied"] |= member
        if paths:
            linked_at[j] = np.flatnonzero(member)
    # The offshore exposure and the part of it that runs through jurisdictions tied to the controller.
    whole_part = {name: int((mask[src] | mask[dst]).sum()) if mask.any() else 0 for name, mask in extra.items()}

    total, through = 0, {j: 0 for j in juris}
    if paths:
        channels = views.channels(CHANNEL_EXCLUDE).table
        keep = ~(np.isin(channels.src, jpos) | np.isin(channels.dst, jpos))
        U = Views(table=channels.subset(keep)).undirected
        U.remove_nodes_from(juris)
        groups = {j: {ids[i] for i in linked_at[j].tolist()} for j in juris}
        groups.update({name: {ids[i] for i in np.flatnonzero(mask).tolist()} for name, mask in extra.items()})
        total, through = path_counts_through(U, used, targets, groups)
    del extra, member

    rows = []
    for j in juris:
        data = jdata[j]
        sec = _secrecy(G, j)
        score = sec["secrecy_score"]
        rows.append(
            {
                "id": j,
                "name": data.get("name", j),
                "country": data.get("country", "") or "",
                "offshore": data.get("offshore"),
                "registered": registered[j],
                "entities": linked_count[j],
                "relations": relations[j],
                "paths_through": through.get(j, 0),
                **sec,
                "exposure": None if score is None else round(score / 100.0 * relations[j], 6),
                "path_exposure": None if score is None else round(score / 100.0 * through.get(j, 0), 6),
                "uk_tie": ties[j][0] if j in ties else (str(data.get("name", j)) if j == controller else "none"),
                "uk_tie_sources": ";".join(ties[j][1]) if j in ties else "",
                "declared_unknown_owner": unknown_count[j],
            }
        )
    rows.sort(key=lambda r: (r["exposure"] is None, -(r["exposure"] or 0.0), -r["relations"], r["id"]))
    df = pd.DataFrame(rows, columns=["id", *COLUMNS]).set_index("id")
    for c in ("offshore", "secrecy_score", "secrecy_rank", "exposure", "path_exposure"):
        df[c] = pd.Series([r[c] for r in rows], index=df.index, dtype=object)
    sampled = "all" if len(used) == len(sources) else f"a fixed-seed ({seed}) sample of {len(used)}"
    off_rel, tied_rel = whole_part["__offshore"], whole_part["__tied"]
    off_paths, tied_paths = through.get("__offshore", 0), through.get("__tied", 0)
    share_rel, share_paths = _share(tied_rel, off_rel), _share(tied_paths, off_paths)
    uk_controlled: dict[str, Any] = {
        "controller": controller,
        "jurisdictions": {j: ties[j][0] for j in tied_js},
        "offshore_relations": off_rel,
        "uk_controlled_relations": tied_rel,
        "share_relations": share_rel,
        "offshore_paths": off_paths,
        "uk_controlled_paths": tied_paths,
        "share_paths": share_paths,
    }

    def pct(x: float | None) -> str:
        return "unknown" if x is None else f"{100 * x:.1f}%"

    tie_note = (
        f"{len(tied_js)} jurisdictions are constitutionally tied to {controller} ("
        + ", ".join(f"{j}: {t}" for j, t in uk_controlled["jurisdictions"].items())
        + f"); they carry {tied_rel} of the {off_rel} relations of entities linked to offshore jurisdictions "
        f"({pct(share_rel)}) and {tied_paths} of the {off_paths} elite-to-City shortest paths "
        f"through an offshore-linked entity ({pct(share_paths)})"
        if tied_js
        else f"no constitutional_tie relation to {controller} is recorded, so no share can be given"
    )
    df.attrs = {
        "paths_total": total,
        "uk_controlled": uk_controlled,
        "sources_used": len(used),
        "sources_total": len(sources),
        "notes": {
            "paths_through": (
                f"shortest paths from {sampled} of {len(sources)} {'/'.join(source_spheres)} entities to "
                f"{len(targets)} {'/'.join(target_spheres)} entities: {total} in all; counted when an intermediate "
                "entity is linked to the jurisdiction (channel relations only, jurisdiction nodes removed)"
            ),
            "exposure": "secrecy_score / 100 x relations; path_exposure = secrecy_score / 100 x paths_through; unknown without a score",
            "uk_tie": tie_note,
        },
    }
    return df
