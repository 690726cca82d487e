"""Ownership and control chains, and the effective share an owner ends up with.

Open Ownership's BODS records shares hop by hop and leaves effective ownership along chains
"out of scope"; this module computes it, conservatively, from the relations whose kind has
`ownership: true` in the schema (owns, beneficial_owner_of, controls, registered_owner_of).
The rules, each chosen so that a figure is never stronger than its sources:

- **A hop** is a pair (owner, owned). Its share is taken from the ownership relations between
  the two: an exact share ``s`` is the range ``[s, s]``; ``share_min``/``share_max`` give a
  range, and a missing bound takes its logical limit (0 or 100). Several relations on one pair
  (e.g. ``owns`` and ``registered_owner_of``) describe the same holding from different angles,
  so they are not added: the hop takes the largest bounds among those with a share. A hop with
  no share at all (``controls`` without a percentage) is **unknown**, never zero.
- **A path**'s effective share is the product of its hops' fractions, bound by bound. One
  unknown hop makes the whole path unknown (``share_min = share_max = None``).
- **An owner**'s effective share sums its paths (parallel paths add), the upper bound capped at
  100. If some of its paths are unknown, the known ones still give a floor (``share_min``)
  but the ceiling is unknown (``share_max = None``); if all are unknown, both are None.
- **Declared indirect interests**: a relation marked ``direct = indirect`` is the source's own
  statement of what a chain adds up to (BODS "indirect"), and the data may also list the chain
  hop by hop. Adding both would count one interest twice, so paths through an indirect hop are
  summed apart ("declared") from the hop-by-hop ones ("computed"); the owner's figure is the
  declared one when it is known, else the computed one, and `basis` says which.
- **PSC bands** follow the UK register of persons with significant control: more than 25%,
  50%, 75%. `psc` is the highest band the share certainly exceeds (its lower bound);
  `psc_possible` the highest it may exceed (its upper bound, or every band when unknown).
- **Cycles** (A owns B owns A) are found and listed, never followed.
- **Declared-unknown owners**: a company's own statement that its owner is unknown, withheld or
  absent (a `statement` relation kind, `declared_unknown_owner`, from the company to itself) is
  a finding, not a gap. The entity asked about and every entity its chains reach are checked for
  one, and each comes back in `Chains.declared_unknown` with its reason code verbatim, its
  description, dates (a ceased statement keeps its end) and sources, so that "who owns this"
  answers "declared unknown, reason X" rather than nothing.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import networkx as nx

from tracker.exc import TrackerError
from tracker.paths import format_relation, format_source, relation_detail

if TYPE_CHECKING:
    import pandas as pd  # imported by the two table functions only: a second of every `chains --format json`

__all__ = [
    "PSC_THRESHOLDS",
    "ChainPath",
    "Chains",
    "relation_share",
    "hop_share",
    "path_share",
    "sum_shares",
    "psc_bands",
    "ownership_chains",
    "declared_unknown",
    "most_owned",
    "owners_frame",
    "paths_frame",
    "chains_to_dict",
    "format_chains",
]

#: UK PSC thresholds (Companies Act 2006, Sch. 1A): "more than 25%", 50%, 75%.
PSC_THRESHOLDS = (25.0, 50.0, 75.0)

Range = tuple[float | None, float | None]
UNKNOWN: Range = (None, None)


def _is_ownership(d: dict[str, Any]) -> bool:
    if "ownership" in d:
        return bool(d["ownership"])
    from tracker.model import load_model

    kind = load_model().relation_kinds.get(str(d.get("kind", "")))
    return bool(kind and kind.ownership)


def relation_share(d: dict[str, Any]) -> Range:
    """The share range a relation states, in percent, or ``(None, None)`` if it states none.

    Examples
    --------
    >>> relation_share({"share": 20.0}), relation_share({"share_min": 25.0}), relation_share({})
    ((20.0, 20.0), (25.0, 100.0), (None, None))
    """
    share = d.get("share")
    if share is not None:
        return (float(share), float(share))
    lo, hi = d.get("share_min"), d.get("share_max")
    if lo is None and hi is None:
        return UNKNOWN
    return (0.0 if lo is None else float(lo), 100.0 if hi is None else float(hi))


def hop_share(relations: Iterable[dict[str, Any]]) -> Range:
    """The share of one hop from the ownership relations of one pair (largest stated bounds).

    Examples
    --------
    >>> hop_share([{"share": 10.0}, {"share_min": 5.0, "share_max": 15.0}, {}])
    (10.0, 15.0)
    >>> hop_share([{"kind": "controls"}])
    (None, None)
    """
    known = [r for r in (relation_share(d) for d in relations) if r != UNKNOWN]
    if not known:
        return UNKNOWN
    return (max(r[0] for r in known if r[0] is not None), max(r[1] for r in known if r[1] is not None))


def path_share(hops: Sequence[Range]) -> Range:
    """The effective share along a path: the product of its hops, unknown if any hop is.

    Examples
    --------
    >>> path_share([(50.0, 50.0), (60.0, 60.0)])
    (30.0, 30.0)
    >>> path_share([(25.0, 50.0), (20.0, 20.0)])
    (5.0, 10.0)
    >>> path_share([(50.0, 50.0), (None, None)])
    (None, None)
    """
    lo = hi = 1.0
    for a, b in hops:
        if a is None or b is None:
            return UNKNOWN
        lo *= a / 100.0
        hi *= b / 100.0
    return (_clean(lo * 100.0), _clean(hi * 100.0))


def _clean(x: float) -> float:
    # Products of percentages pick up float noise (0.5 * 0.6 * 100 = 30.000000000000004);
    # twelve significant digits is far beyond what any register states.
    return float(f"{x:.12g}")


def sum_shares(shares: Sequence[Range]) -> Range:
    """Parallel paths add: known lower bounds sum to a floor; any unknown path hides the ceiling.

    Examples
    --------
    >>> sum_shares([(30.0, 30.0), (20.0, 40.0)])
    (50.0, 70.0)
    >>> sum_shares([(30.0, 30.0), (None, None)])
    (30.0, None)
    >>> sum_shares([(None, None)])
    (None, None)
    >>> sum_shares([(60.0, 80.0), (50.0, 50.0)])
    (100.0, 100.0)
    """
    known = [s for s in shares if s[0] is not None and s[1] is not None]
    if not known:
        return UNKNOWN
    lo = _clean(min(100.0, sum(float(s[0]) for s in known if s[0] is not None)))
    if len(known) < len(shares):
        return (lo, None)
    hi = _clean(min(100.0, sum(float(s[1]) for s in known if s[1] is not None)))
    return (lo, hi)


def psc_bands(share: Range) -> tuple[str, str]:
    """(band certainly exceeded, highest band possibly exceeded) for a share range.

    Examples
    --------
    >>> psc_bands((30.0, 30.0)), psc_bands((20.0, 60.0)), psc_bands((None, None)), psc_bands((25.0, 25.0))
    (('>25%', '>25%'), ('', '>50%'), ('', '>75%'), ('', ''))
    """
    lo, hi = share

    def band(x: float | None, unknown: bool) -> str:
        reached = [t for t in PSC_THRESHOLDS if unknown or (x is not None and x > t)]
        return f">{max(reached):g}%" if reached else ""

    return band(lo, False), band(hi, hi is None)


@dataclass
class ChainPath:
    """One ownership path from the entity asked about to an owner (up) or a holding (down)."""

    nodes: list[str]
    hops: list[dict[str, Any]]
    share: Range
    declared: bool

    @property
    def end(self) -> str:
        return self.nodes[-1]


@dataclass
class Chains:
    """Every ownership path above or below an entity, the per-owner totals, and the cycles."""

    entity: str
    direction: str
    paths: list[ChainPath] = field(default_factory=list)
    owners: list[dict[str, Any]] = field(default_factory=list)
    cycles: list[list[str]] = field(default_factory=list)
    truncated: bool = False
    min_share: float | None = None
    declared_unknown: list[dict[str, Any]] = field(default_factory=list)


def _links(G: nx.MultiDiGraph, node: str, up: bool) -> dict[str, list[tuple[str, str, str]]]:
    """Ownership neighbours of `node`: owners (up) or holdings (down), each with its edges."""
    found: dict[str, list[tuple[str, str, str]]] = {}
    edges = G.in_edges(node, keys=True, data=True) if up else G.out_edges(node, keys=True, data=True)
    for u, v, k, d in edges:
        if not _is_ownership(d):
            continue
        other = u if up else v
        found.setdefault(other, []).append((u, v, k))
    return {n: sorted(found[n]) for n in sorted(found)}


def _is_statement(d: dict[str, Any]) -> bool:
    from tracker.model import load_model

    kind = load_model().relation_kinds.get(str(d.get("kind", "")))
    return bool(kind and kind.statement)


def declared_unknown(G: nx.MultiDiGraph, entity: str) -> list[dict[str, Any]]:
    """The entity's statements that its owner is unknown, withheld or absent, oldest first.

    Each is the statement relation (from the entity to itself) as plain data: `reason` is the
    code exactly as the source gives it, `description` the note, `current` whether it has no
    end date (a ceased statement keeps its dates and is not current).

    Examples
    --------
    >>> G = nx.MultiDiGraph(sources={})
    >>> _ = G.add_node("co", name="Co Ltd")
    >>> _ = G.add_edge("co", "co", key="u1", kind="declared_unknown_owner", role="psc-exists-but-not-identified", start="2017-04-06")
    >>> [(d["relation"], d["reason"], d["current"]) for d in declared_unknown(G, "co")]
    [('u1', 'psc-exists-but-not-identified', True)]
    """
    if entity not in G or not G.has_edge(entity, entity):
        return []
    out = []
    for key, d in G[entity][entity].items():
        if not _is_statement(d):
            continue
        detail = relation_detail(G, entity, entity, key)
        out.append(
            {
                "entity": entity,
                "name": G.nodes[entity].get("name", entity),
                "relation": key,
                "kind": detail["kind"],
                "reason": detail["role"],
                "description": detail.get("note", ""),
                "start": detail["start"],
                "end": detail["end"],
                "current": not detail["end"],
                "evidence": detail["evidence"],
                "sources": detail["sources"],
            }
        )
    return sorted(out, key=lambda x: (x["start"], x["relation"]))


def _canonical_cycle(nodes: list[str]) -> list[str]:
    ring = nodes[:-1]
    i = ring.index(min(ring))
    ring = ring[i:] + ring[:i]
    return ring + [ring[0]]


def ownership_chains(
    G: nx.MultiDiGraph,
    entity: str,
    direction: str = "up",
    min_share: float | None = None,
    max_depth: int = 12,
    max_paths: int = 5000,
) -> Chains:
    """Every ownership and control path above (`up`) or below (`down`) an entity.

    Parameters
    ----------
    G : nx.MultiDiGraph
        The canonical graph.
    entity : str
        An entity id.
    direction : {"up", "down"}
        ``up``: who owns or controls the entity, directly or through others. ``down``: what the
        entity holds, directly or through others.
    min_share : float, optional
        Keep only owners (holdings) whose total effective share may reach this percentage, and
        their paths: an owner is dropped when its ceiling is *known* to be below it (an unknown
        ceiling is kept, it may be above; two 20% paths to one owner make 40% and pass 30).
    max_depth, max_paths : int
        Bounds on the search; `Chains.truncated` says when one was hit.

    Returns
    -------
    Chains
        Paths (shortest first, then by ids), per-owner totals (largest floor first) and cycles,
        each cycle listed once in ownership order (owner first) starting from its smallest id.

    Examples
    --------
    >>> G = nx.MultiDiGraph()
    >>> _ = G.add_edge("p", "hold", key="r1", kind="owns", ownership=True, share=50.0)
    >>> _ = G.add_edge("hold", "co", key="r2", kind="owns", ownership=True, share=60.0)
    >>> _ = G.add_edge("p", "co", key="r3", kind="owns", ownership=True, share=10.0)
    >>> ch = ownership_chains(G, "co")
    >>> [(o["id"], o["share_min"], o["share_max"], o["psc"]) for o in ch.owners]
    [('hold', 60.0, 60.0, '>50%'), ('p', 40.0, 40.0, '>25%')]
    """
    if entity not in G:
        raise TrackerError(f"no entity with id {entity!r}")
    if direction not in ("up", "down"):
        raise TrackerError(f"direction must be 'up' or 'down', not {direction!r}")
    up = direction == "up"
    result = Chains(entity, direction, min_share=min_share)
    cycles: dict[tuple[str, ...], list[str]] = {}
    links_cache: dict[str, dict[str, list[tuple[str, str, str]]]] = {}

    def links(node: str) -> dict[str, list[tuple[str, str, str]]]:
        if node not in links_cache:
            links_cache[node] = _links(G, node, up)
        return links_cache[node]

    raw: list[ChainPath] = []
    # Depth-first over simple paths; a neighbour already on the path closes a cycle.
    stack: list[tuple[list[str], list[dict[str, Any]]]] = [([entity], [])]
    while stack:
        nodes, hops = stack.pop()
        last = nodes[-1]
        for other, edges in reversed(list(links(last).items())):
            if other in nodes:
                loop = nodes[nodes.index(other) :] + [other]
                ordered = list(reversed(loop)) if up else loop
                canon = _canonical_cycle(ordered)
                cycles.setdefault(tuple(canon), canon)
                continue
            if len(raw) >= max_paths:
                result.truncated = True
                break
            rels = [relation_detail(G, u, v, k) for u, v, k in edges]
            owner, owned = (other, last) if up else (last, other)
            share = hop_share(rels)
            indirect = all(r.get("direct") == "indirect" for r in rels)
            hop = {
                "owner": owner,
                "owner_name": G.nodes[owner].get("name", owner),
                "owned": owned,
                "owned_name": G.nodes[owned].get("name", owned),
                "share_min": share[0],
                "share_max": share[1],
                "indirect": indirect,
                "relations": rels,
            }
            new_nodes, new_hops = nodes + [other], hops + [hop]
            shares = [(h["share_min"], h["share_max"]) for h in new_hops]
            raw.append(ChainPath(new_nodes, new_hops, path_share(shares), any(h["indirect"] for h in new_hops)))
            if len(new_hops) < max_depth:
                stack.append((new_nodes, new_hops))
            elif links(other):
                result.truncated = True
    raw.sort(key=lambda p: (len(p.nodes), p.nodes))

    by_end: dict[str, list[ChainPath]] = {}
    for p in raw:
        by_end.setdefault(p.end, []).append(p)
    owners = []
    for end, paths in by_end.items():
        computed = [p.share for p in paths if not p.declared]
        declared = [p.share for p in paths if p.declared]
        declared_sum = sum_shares(declared) if declared else UNKNOWN
        if declared and declared_sum != UNKNOWN:
            share, basis = declared_sum, "declared"
        elif computed:
            share, basis = sum_shares(computed), "computed"
        else:
            share, basis = declared_sum, "declared"
        psc, possible = psc_bands(share)
        data = G.nodes[end]
        owners.append(
            {
                "id": end,
                "name": data.get("name", end),
                "kind": data.get("kind", ""),
                "sphere": data.get("sphere", ""),
                "paths": len(paths),
                "min_depth": min(len(p.hops) for p in paths),
                "ultimate": not links(end),
                "share_min": share[0],
                "share_max": share[1],
                "share": share[0] if share[0] is not None and share[0] == share[1] else None,
                "basis": basis if share != UNKNOWN else "unknown",
                "psc": psc,
                "psc_possible": possible,
            }
        )

    def below(share: Range) -> bool:
        return min_share is not None and share[1] is not None and share[1] < min_share

    result.owners = sorted(
        (o for o in owners if not below((o["share_min"], o["share_max"]))),
        key=lambda o: (-(o["share_min"] if o["share_min"] is not None else -1.0), o["min_depth"], o["id"]),
    )
    kept = {o["id"] for o in result.owners}
    result.paths = [p for p in raw if p.end in kept]
    result.cycles = [cycles[k] for k in sorted(cycles)]
    reached = [entity, *sorted({n for p in result.paths for n in p.nodes[1:]})]
    result.declared_unknown = [d for n in reached for d in declared_unknown(G, n)]
    return result


def most_owned(G: nx.MultiDiGraph, top: int = 5) -> list[str]:
    """Entities with the most ownership relations pointing at them (then most owners, then id).

    Examples
    --------
    >>> G = nx.MultiDiGraph()
    >>> _ = G.add_edge("a", "x", key="r1", ownership=True); _ = G.add_edge("b", "x", key="r2", ownership=True)
    >>> _ = G.add_edge("a", "y", key="r3", ownership=True)
    >>> most_owned(G)
    ['x', 'y']
    """
    relations: dict[str, int] = {}
    owners: dict[str, set[str]] = {}
    for u, v, d in G.edges(data=True):  # one pass over the relations, not one per node
        if _is_ownership(d):
            relations[v] = relations.get(v, 0) + 1
            owners.setdefault(v, set()).add(u)
    return sorted(relations, key=lambda n: (-relations[n], -len(owners[n]), n))[:top]


def owners_frame(chains: Chains) -> pd.DataFrame:
    """Per-owner (or per-holding) totals as a DataFrame indexed by entity id."""
    import pandas as pd

    cols = ["name", "kind", "sphere", "paths", "min_depth", "ultimate", "share_min", "share_max", "share", "basis", "psc", "psc_possible"]
    df = pd.DataFrame(chains.owners, columns=["id", *cols]).set_index("id")
    for c in ("share_min", "share_max", "share"):
        df[c] = pd.Series([o[c] for o in chains.owners], index=df.index, dtype=object)
    df.attrs.update(_attrs(chains))
    return df


def paths_frame(G: nx.MultiDiGraph, chains: Chains) -> pd.DataFrame:
    """One row per path: where it ends, its effective share and PSC bands, its route, relations and sources."""
    import pandas as pd

    rows = []
    for i, p in enumerate(chains.paths, start=1):
        psc, possible = psc_bands(p.share)
        rel_ids = [r["id"] for h in p.hops for r in h["relations"]]
        src_ids = sorted({s["id"] for h in p.hops for r in h["relations"] for s in r["sources"]})
        rows.append(
            {
                "path": i,
                "end": p.end,
                "end_name": G.nodes[p.end].get("name", p.end),
                "hops": len(p.hops),
                "share_min": p.share[0],
                "share_max": p.share[1],
                "declared": p.declared,
                "psc": psc,
                "psc_possible": possible,
                "route": " > ".join(str(G.nodes[n].get("name", n)) for n in p.nodes),
                "relations": ";".join(rel_ids),
                "sources": ";".join(src_ids),
            }
        )
    cols = ["path", "end", "end_name", "hops", "share_min", "share_max", "declared", "psc", "psc_possible", "route", "relations", "sources"]
    df = pd.DataFrame(rows, columns=cols).set_index("path")
    for c in ("share_min", "share_max"):
        df[c] = pd.Series([r[c] for r in rows], index=df.index, dtype=object)
    df.attrs.update(_attrs(chains))
    return df


def _attrs(chains: Chains) -> dict[str, Any]:
    notes = {
        "chains": (
            f"ownership and control {'above' if chains.direction == 'up' else 'below'} {chains.entity}: "
            f"{len(chains.paths)} paths, {len(chains.cycles)} cycles" + ("; search truncated" if chains.truncated else "")
        ),
        "shares": "effective share = product along a path, summed over parallel paths; None = unknown, not zero",
    }
    for i, c in enumerate(chains.cycles, start=1):
        notes[f"cycle {i}"] = " owns ".join(c)
    for i, d in enumerate(chains.declared_unknown, start=1):
        notes[f"declared unknown owner {i}"] = _unknown_text(d)
    return {"notes": notes}


def _unknown_text(d: dict[str, Any]) -> str:
    when = f"{d['start'] or '?'}..{d['end']}" if d["end"] else f"since {d['start']}" if d["start"] else "undated"
    status = "current" if d["current"] else "ceased"
    text = f"{d['name']} ({d['entity']}): {d['reason'] or 'no reason given'} [{status}, {when}; {d['relation']}]"
    return text + (f" {d['description']}" if d["description"] else "")


def _share_text(share: Range) -> str:
    lo, hi = share
    if lo is None and hi is None:
        return "unknown"
    if hi is None:
        return f"at least {lo:g}% (rest unknown)"
    if lo == hi:
        return f"{lo:g}%"
    return f"{lo:g}-{hi:g}%"


def chains_to_dict(G: nx.MultiDiGraph, chains: Chains) -> dict[str, Any]:
    """The whole result as plain data for JSON: owners, paths with hops, relations and sources, cycles."""
    return {
        "entity": chains.entity,
        "name": G.nodes[chains.entity].get("name", chains.entity),
        "direction": chains.direction,
        "min_share": chains.min_share,
        "truncated": chains.truncated,
        "owners" if chains.direction == "up" else "holdings": chains.owners,
        "paths": [
            {
                "nodes": p.nodes,
                "share_min": p.share[0],
                "share_max": p.share[1],
                "declared": p.declared,
                "psc": psc_bands(p.share)[0],
                "psc_possible": psc_bands(p.share)[1],
                "hops": p.hops,
            }
            for p in chains.paths
        ],
        "cycles": [{"nodes": c, "names": [G.nodes[n].get("name", n) for n in c]} for c in chains.cycles],
        "declared_unknown": chains.declared_unknown,
    }


def format_chains(G: nx.MultiDiGraph, chains: Chains) -> str:
    """Readable text: totals per owner, then every path hop by hop with relations and sources."""

    def name(n: str) -> str:
        return f"{G.nodes[n].get('name', n)} ({n})"

    up = chains.direction == "up"
    lines = [
        f"{'Owners and controllers of' if up else 'Holdings of'} {name(chains.entity)}: "
        f"{len(chains.owners)} {'owners' if up else 'holdings'}, {len(chains.paths)} paths, {len(chains.cycles)} cycles"
        + (f" (min share {chains.min_share:g}%)" if chains.min_share is not None else "")
    ]
    if chains.truncated:
        lines.append("  (search stopped at its depth or path limit; some paths are not listed)")
    if not chains.paths:
        lines.append("  none recorded" + ("; the owner is declared unknown (below)" if chains.declared_unknown else ""))
    if chains.declared_unknown:
        lines.append("")
        lines.append("Declared unknown owner (the company's own statement that its owner is unknown, withheld or absent):")
        for d in chains.declared_unknown:
            lines.append(f"  {_unknown_text(d)}")
            for src in d["sources"]:
                lines.append(f"    source: {format_source(src)}")
    if chains.owners:
        lines.append("")
        lines.append("Effective share (product along each path, summed over parallel paths):")
        for o in chains.owners:
            psc = o["psc"] or "-"
            possible = f", could exceed {o['psc_possible']}" if o["psc_possible"] and o["psc_possible"] != o["psc"] else ""
            tag = "ultimate" if o["ultimate"] else "intermediate"
            lines.append(
                f"  {name(o['id'])}: {_share_text((o['share_min'], o['share_max']))} [{o['basis']}; {tag}; "
                f"{o['paths']} path{'s' if o['paths'] != 1 else ''}; PSC {psc}{possible}]"
            )
    for i, p in enumerate(chains.paths, start=1):
        lines.append("")
        route = " <- ".join(G.nodes[n].get("name", n) for n in p.nodes) if up else " -> ".join(G.nodes[n].get("name", n) for n in p.nodes)
        lines.append(f"[{i}] {route}")
        lines.append(f"    effective share {_share_text(p.share)}" + (" (declared indirect interest)" if p.declared else ""))
        for h in p.hops:
            lines.append(f"    {h['owner_name']} -> {h['owned_name']}: share {_share_text((h['share_min'], h['share_max']))}")
            for r in h["relations"]:
                lines.append(f"      {format_relation(G, r)}")
                for s in r["sources"]:
                    lines.append(f"        source: {format_source(s)}")
    if chains.cycles:
        lines.append("")
        lines.append("Cycles (reported, not followed):")
        for c in chains.cycles:
            lines.append("  " + " owns ".join(G.nodes[n].get("name", n) for n in c))
    return "\n".join(lines) + "\n"
