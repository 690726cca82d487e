"""Which entities a walk passes through: the rule every engine applies, in a module of its own.

Defined here, not in `tracker.graph`, so that a command answering from the store (a search, a
walk in DuckDB) can read the rule without importing networkx (a third of a second).
"""

from __future__ import annotations

__all__ = ["NOT_TRAVERSED", "HUB_RELATIONS"]

# Entity kinds a neighbourhood includes but does not walk through: hubs that link entities
# only by sharing a place (in ICIJ-shaped data a jurisdiction has 100,000 registered_in and
# located_in links, so two hops through it reach half the graph).
NOT_TRAVERSED = frozenset({"jurisdiction"})
# Nor through any entity with more relations than this: in ICIJ-shaped data a registered agent
# or a nominee officer links thousands of unrelated companies (at 100k generator nodes, 13% of
# the depth-2 neighbourhoods went over the view cap through them; none with this limit). The
# curated dataset's busiest entity has 29 relations, so there it changes nothing.
HUB_RELATIONS = 1000
