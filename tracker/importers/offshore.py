"""The curated list of offshore financial centres that importers default to.

Kept apart from the importers so that the list and its provenance are read in one place; a
curated jurisdiction row given with `--base` always wins over it.
"""

from __future__ import annotations

__all__ = ["OFFSHORE", "VEHICLE_KINDS"]

# Offshore financial centres, ISO 3166-1 alpha-2 (lower case). Derived from: IMF, "Offshore
# Financial Centers", IMF Background Paper, 23 June 2000, Table 1 (the 46 jurisdictions assessed
# as OFCs); Labuan appears there as part of Malaysia and is left out, as is the dissolved
# Netherlands Antilles (an) kept for old records. Used only for importers' defaults (the
# jurisdiction's `offshore` flag and the `offshore` sphere of vehicles registered there); a
# curated jurisdiction row given with --base wins.
OFFSHORE: frozenset[str] = frozenset(
    """ad ag ai an aw bb bh bm bs bz cr ck cy dm gd gg gi hk ie im je kn ky lb lc li lu mc mh
    mo ms mt mu nr nu pa pw sc sg ch tc vc vg vu ws""".split()
)

# Entity kinds that are vehicles: registered in an offshore jurisdiction, they are in the
# offshore sphere rather than their kind's usual one.
VEHICLE_KINDS = frozenset({"company", "trust_or_foundation"})
