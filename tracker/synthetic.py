"""A seeded generator of synthetic data in the ICIJ Offshore Leaks bulk CSV layout.

For benchmarks and scale tests: the real bulk data (about 2 million nodes and 3.3 million
relationships) cannot ship with the project, so this writes files with the same names, columns
and shape. The shape follows the real data: about 40% entities, 38% officers, 20% addresses,
1.4% intermediaries and a few "others"; about 1.65 relationships per node; heavy tails, so a few
intermediaries and addresses carry thousands of links (Zipf-distributed choices); some names in
Cyrillic; a few multi-line quoted fields. The same seed and size give the same bytes.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = ["SIZES", "ICIJ_COLUMNS", "SyntheticCounts", "generate_icij", "parse_size"]

SIZES = {"1k": 1_000, "10k": 10_000, "100k": 100_000, "1M": 1_000_000, "2M": 2_000_000}

# Column layouts of ICIJ's current bulk download (full-oldb, 2021-2023), per file.
ICIJ_COLUMNS: dict[str, list[str]] = {
    "nodes-entities.csv": [
        "node_id",
        "name",
        "original_name",
        "former_name",
        "jurisdiction",
        "jurisdiction_description",
        "company_type",
        "address",
        "internal_id",
        "incorporation_date",
        "inactivation_date",
        "struck_off_date",
        "dorm_date",
        "status",
        "service_provider",
        "ibcRUC",
        "country_codes",
        "countries",
        "sourceID",
        "valid_until",
        "note",
    ],
    "nodes-officers.csv": ["node_id", "name", "countries", "country_codes", "sourceID", "valid_until", "note"],
    "nodes-intermediaries.csv": [
        "node_id",
        "name",
        "status",
        "internal_id",
        "address",
        "countries",
        "country_codes",
        "sourceID",
        "valid_until",
        "note",
    ],
    "nodes-addresses.csv": ["node_id", "address", "name", "countries", "country_codes", "sourceID", "valid_until", "note"],
    "nodes-others.csv": [
        "node_id",
        "name",
        "type",
        "incorporation_date",
        "struck_off_date",
        "closed_date",
        "jurisdiction",
        "jurisdiction_description",
        "countries",
        "country_codes",
        "sourceID",
        "valid_until",
        "note",
    ],
    "relationships.csv": ["node_id_start", "node_id_end", "rel_type", "link", "status", "start_date", "end_date", "sourceID"],
}

_SHARES = {"entities": 0.40, "officers": 0.38, "addresses": 0.20, "intermediaries": 0.014, "others": 0.006}
_JURISDICTIONS = [
    ("BVI", "British Virgin Islands", "VGB"),
    ("PMA", "Panama", "PAN"),
    ("SEY", "Seychelles", "SYC"),
    ("BAH", "Bahamas", "BHS"),
    ("NIUE", "Niue", "NIU"),
    ("SAM", "Samoa", "WSM"),
    ("CYP", "Cyprus", "CYP"),
    ("JE", "Jersey", "JEY"),
    ("GB", "United Kingdom", "GBR"),
    ("KAZ", "Kazakhstan", "KAZ"),
]
_COUNTRIES = [
    ("GBR", "United Kingdom"),
    ("KAZ", "Kazakhstan"),
    ("RUS", "Russia"),
    ("CHE", "Switzerland"),
    ("CYP", "Cyprus"),
    ("VGB", "British Virgin Islands"),
    ("PAN", "Panama"),
    ("HKG", "Hong Kong"),
    ("USA", "United States"),
    ("ARE", "United Arab Emirates"),
]
_FIRST = [
    "Timur",
    "Dariga",
    "Nurali",
    "Aliya",
    "Bulat",
    "Kenes",
    "Karim",
    "John",
    "Maria",
    "Olga",
    "Chen",
    "Ahmed",
    "Тимур",
    "Дарига",
    "Нұрлан",
    "Ерлан",
    "Айгүл",
    "Сергей",
]
_LAST = [
    "Smith",
    "Ivanov",
    "Akhmetov",
    "Suleimenov",
    "Nurlanov",
    "Brown",
    "Garcia",
    "Wong",
    "Müller",
    "Kim",
    "Ахметов",
    "Сулейменов",
    "Құлыбаев",
    "Иванова",
    "Абенов",
]
_COMPANY = ["Holdings", "Investments", "Trading", "Capital", "Ventures", "Resources", "Properties", "Finance"]
_SUFFIX = ["Limited", "Ltd.", "S.A.", "Inc.", "Corp.", "LLC", "Foundation"]
_SOURCES = ["Panama Papers", "Paradise Papers - Appleby", "Pandora Papers - Trident Trust", "Offshore Leaks", "Bahamas Leaks"]
_LINKS = [
    ("officer_of", "shareholder of"),
    ("officer_of", "director of"),
    ("officer_of", "beneficiary of"),
    ("officer_of", "secretary of"),
    ("officer_of", "nominee shareholder of"),
    ("officer_of", "protector of"),
]


@dataclass(frozen=True)
class SyntheticCounts:
    """How many rows each file got."""

    nodes: int
    relationships: int
    per_file: dict[str, int]


def parse_size(text: str) -> int:
    """'10k' -> 10000; '2M' -> 2000000; a plain integer is taken as is."""
    if text in SIZES:
        return SIZES[text]
    t = text.strip().lower().replace("_", "")
    mult = 1
    if t.endswith("k"):
        mult, t = 1_000, t[:-1]
    elif t.endswith("m"):
        mult, t = 1_000_000, t[:-1]
    value = int(float(t) * mult)
    if value < 100:
        raise ValueError(f"size {text!r} is too small: at least 100 nodes")
    return value


def _zipf_choice(rng: Any, n_targets: int, size: int, a: float = 1.6) -> Any:
    """Indices into n_targets with a heavy tail: a few targets get thousands of picks."""
    import numpy as np

    ranks = rng.zipf(a, size=size) - 1
    ranks = ranks % n_targets
    perm = rng.permutation(n_targets)  # heavy hitters spread over the id range
    return perm[ranks].astype(np.int64)


def generate_icij(out: Path, nodes: int, seed: int = 42) -> SyntheticCounts:
    """Write the six ICIJ bulk CSV files for about `nodes` nodes into `out`."""
    import numpy as np
    import pandas as pd

    from tracker.output import atomic_path

    rng = np.random.default_rng(seed)
    out.mkdir(parents=True, exist_ok=True)
    n = {k: max(1, int(nodes * share)) for k, share in _SHARES.items()}
    n["entities"] = nodes - sum(v for k, v in n.items() if k != "entities")
    base = {"entities": 10_000_000, "officers": 12_000_000, "intermediaries": 11_000_000, "addresses": 14_000_000, "others": 80_000_000}
    ids = {k: base[k] + np.arange(n[k], dtype=np.int64) for k in n}

    def pick(options: list[str], size: int) -> Any:
        return np.asarray(options, dtype=object)[rng.integers(0, len(options), size)]

    def person_names(size: int) -> Any:
        return pick(_FIRST, size) + " " + pick(_LAST, size) + " " + rng.integers(1, 10_000, size).astype(str)

    def company_names(size: int) -> Any:
        return pick(_LAST, size) + " " + pick(_COMPANY, size) + " " + rng.integers(1, 100_000, size).astype(str) + " " + pick(_SUFFIX, size)

    def countries(size: int) -> tuple[Any, Any]:
        idx = rng.integers(0, len(_COUNTRIES), size)
        codes = np.asarray([c for c, _ in _COUNTRIES], dtype=object)[idx]
        names = np.asarray([c for _, c in _COUNTRIES], dtype=object)[idx]
        two = rng.random(size) < 0.05  # some rows list two countries, ';'-joined as ICIJ does
        idx2 = (idx + rng.integers(1, len(_COUNTRIES), size)) % len(_COUNTRIES)  # a different one
        codes = np.where(two, codes + ";" + np.asarray([c for c, _ in _COUNTRIES], dtype=object)[idx2], codes)
        names = np.where(two, names + ";" + np.asarray([c for _, c in _COUNTRIES], dtype=object)[idx2], names)
        return codes, names

    valid = "The Panama Papers  data is current through 2015"
    frames: dict[str, pd.DataFrame] = {}

    m = n["entities"]
    jur = rng.integers(0, len(_JURISDICTIONS), m)
    codes, names = countries(m)
    years = rng.integers(1990, 2016, m)
    frames["nodes-entities.csv"] = pd.DataFrame(
        {
            "node_id": ids["entities"],
            "name": company_names(m),
            "original_name": "",
            "former_name": "",
            "jurisdiction": np.asarray([j[0] for j in _JURISDICTIONS], dtype=object)[jur],
            "jurisdiction_description": np.asarray([j[1] for j in _JURISDICTIONS], dtype=object)[jur],
            "company_type": "",
            "address": "",
            "internal_id": rng.integers(1, 10**6, m),
            "incorporation_date": pd.Series(rng.integers(1, 28, m)).astype(str).str.zfill(2) + "-JAN-" + years.astype(str),
            "inactivation_date": "",
            "struck_off_date": "",
            "dorm_date": "",
            "status": pick(["Active", "Defaulted", "Struck / Defunct / Deregistered"], m),
            "service_provider": pick(["Mossack Fonseca", "Appleby", "Trident Trust"], m),
            "ibcRUC": "",
            "country_codes": codes,
            "countries": names,
            "sourceID": pick(_SOURCES, m),
            "valid_until": valid,
            "note": "",
        }
    )
    m = n["officers"]
    codes, names = countries(m)
    officer_names = person_names(m)
    corporate = rng.random(m) < 0.3
    officer_names = np.where(corporate, company_names(m), officer_names)
    frames["nodes-officers.csv"] = pd.DataFrame(
        {
            "node_id": ids["officers"],
            "name": officer_names,
            "countries": names,
            "country_codes": codes,
            "sourceID": pick(_SOURCES, m),
            "valid_until": valid,
            "note": "",
        }
    )
    m = n["intermediaries"]
    codes, names = countries(m)
    frames["nodes-intermediaries.csv"] = pd.DataFrame(
        {
            "node_id": ids["intermediaries"],
            "name": company_names(m),
            "status": pick(["ACTIVE", "SUSPENDED", ""], m),
            "internal_id": rng.integers(1, 10**6, m),
            "address": "",
            "countries": names,
            "country_codes": codes,
            "sourceID": pick(_SOURCES, m),
            "valid_until": valid,
            "note": "",
        }
    )
    m = n["addresses"]
    codes, names = countries(m)
    street = rng.integers(1, 300, m).astype(str) + " " + pick(["Bishops Avenue", "Baker Street", "Abai Avenue", "Main Street"], m)
    multiline = rng.random(m) < 0.01  # multi-line quoted fields, as in the real files
    address = np.where(multiline, street + "\n" + names, street + ", " + names)
    frames["nodes-addresses.csv"] = pd.DataFrame(
        {
            "node_id": ids["addresses"],
            "address": address,
            "name": "",
            "countries": names,
            "country_codes": codes,
            "sourceID": pick(_SOURCES, m),
            "valid_until": valid,
            "note": "",
        }
    )
    m = n["others"]
    codes, names = countries(m)
    frames["nodes-others.csv"] = pd.DataFrame(
        {
            "node_id": ids["others"],
            "name": company_names(m),
            "type": pick(["LIMITED LIABILITY COMPANY", "FOUNDATION"], m),
            "incorporation_date": "",
            "struck_off_date": "",
            "closed_date": "",
            "jurisdiction": "",
            "jurisdiction_description": "",
            "countries": names,
            "country_codes": codes,
            "sourceID": pick(_SOURCES, m),
            "valid_until": valid,
            "note": "",
        }
    )

    # Relationships: officers -> entities (roles), intermediaries -> entities (heavy tail),
    # entities/officers -> addresses (heavy tail), a few entity -> entity links.
    total_rel = int(nodes * 1.65)
    parts = {"officer": int(total_rel * 0.55), "intermediary": int(total_rel * 0.2), "address": int(total_rel * 0.2)}
    parts["other"] = total_rel - sum(parts.values())
    rels = []
    k = parts["officer"]
    link_idx = rng.integers(0, len(_LINKS), k)
    rels.append(
        pd.DataFrame(
            {
                "node_id_start": ids["officers"][rng.integers(0, n["officers"], k)],
                "node_id_end": ids["entities"][rng.integers(0, n["entities"], k)],
                "rel_type": "officer_of",
                "link": np.asarray([x[1] for x in _LINKS], dtype=object)[link_idx],
                "status": "",
                "start_date": pd.Series(rng.integers(1, 28, k)).astype(str).str.zfill(2)
                + "-MAR-"
                + rng.integers(1995, 2016, k).astype(str),
                "end_date": "",
                "sourceID": pick(_SOURCES, k),
            }
        )
    )
    k = parts["intermediary"]
    rels.append(
        pd.DataFrame(
            {
                "node_id_start": ids["intermediaries"][_zipf_choice(rng, n["intermediaries"], k)],
                "node_id_end": ids["entities"][rng.integers(0, n["entities"], k)],
                "rel_type": "intermediary_of",
                "link": "intermediary of",
                "status": "",
                "start_date": "",
                "end_date": "",
                "sourceID": pick(_SOURCES, k),
            }
        )
    )
    k = parts["address"]
    from_officer = rng.random(k) < 0.5
    starts = np.where(from_officer, ids["officers"][rng.integers(0, n["officers"], k)], ids["entities"][rng.integers(0, n["entities"], k)])
    rels.append(
        pd.DataFrame(
            {
                "node_id_start": starts,
                "node_id_end": ids["addresses"][_zipf_choice(rng, n["addresses"], k)],
                "rel_type": "registered_address",
                "link": "registered address",
                "status": "",
                "start_date": "",
                "end_date": "",
                "sourceID": pick(_SOURCES, k),
            }
        )
    )
    k = parts["other"]
    rels.append(
        pd.DataFrame(
            {
                "node_id_start": ids["entities"][rng.integers(0, n["entities"], k)],
                "node_id_end": np.concatenate([ids["others"], ids["entities"]])[rng.integers(0, n["others"] + n["entities"], k)],
                "rel_type": pick(["similar", "connected_to", "same_name_as"], k),
                "link": pick(["similar name and address as", "connected to", "same name as"], k),
                "status": "",
                "start_date": "",
                "end_date": "",
                "sourceID": pick(_SOURCES, k),
            }
        )
    )
    frames["relationships.csv"] = pd.concat(rels, ignore_index=True)

    per_file = {}
    for fname, df in frames.items():
        df = df[ICIJ_COLUMNS[fname]]
        with atomic_path(out / fname) as tmp:
            df.to_csv(tmp, index=False, encoding="utf-8", lineterminator="\n")
        per_file[fname] = len(df)
    node_count = sum(v for f, v in per_file.items() if f.startswith("nodes-"))
    return SyntheticCounts(node_count, per_file["relationships.csv"], per_file)
