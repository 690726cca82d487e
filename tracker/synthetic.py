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


# The first node number of each file, as in ICIJ's own numbering (entities from 10,000,000).
_ID_BASES = {"entities": 10_000_000, "intermediaries": 11_000_000, "officers": 12_000_000, "addresses": 14_000_000, "others": 80_000_000}


def _id_bases(counts: dict[str, int]) -> dict[str, int]:
    """The first node number of each file: `_ID_BASES`, scaled by ten until no two files' numbers
    meet. (Above about 2.5M nodes the entities ran into the intermediaries' numbers: one number
    in two files, which an import merges into one node.)"""
    scale = 1
    while True:
        bases = {k: v * scale for k, v in _ID_BASES.items()}
        spans = sorted((bases[k], bases[k] + counts[k]) for k in counts)
        if all(end <= start for (_, end), (start, _) in zip(spans, spans[1:])):
            return bases
        scale *= 10


def generate_icij(out: Path, nodes: int, seed: int = 42) -> SyntheticCounts:
    """Write the six ICIJ bulk CSV files for about `nodes` nodes into `out`."""
    import numpy as np
    import pandas as pd

    from tracker.output import atomic_path

    rng = np.random.default_rng(seed)
    out.mkdir(parents=True, exist_ok=True)
    n = {k: max(1, int(nodes * share)) for k, share in _SHARES.items()}
    n["entities"] = nodes - sum(v for k, v in n.items() if k != "entities")
    base = _id_bases(n)
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


# --- UK Companies House PSC snapshot ------------------------------------------------------------

PSC_SNAPSHOT = "persons-with-significant-control-snapshot-2024-12-19.txt"
# Record kinds and their shares, after the real snapshot's totals line (12.8 million PSCs, most of
# them individuals, about a tenth corporate; 774,000 statements; 77 exemptions) and the Register of
# Overseas Entities' beneficial owners (company numbers OE...).
_PSC_KINDS = (
    ("individual-person-with-significant-control", 0.835),
    ("corporate-entity-person-with-significant-control", 0.095),
    ("legal-person-person-with-significant-control", 0.003),
    ("super-secure-person-with-significant-control", 0.0005),
    ("persons-with-significant-control-statement", 0.057),
    ("exemptions", 0.0003),
    ("individual-beneficial-owner", 0.005),
    ("corporate-entity-beneficial-owner", 0.003),
    ("legal-person-beneficial-owner", 0.0012),
)
_PSC_NATURES = (
    ("ownership-of-shares-25-to-50-percent", "voting-rights-25-to-50-percent"),
    ("ownership-of-shares-50-to-75-percent", "voting-rights-50-to-75-percent"),
    ("ownership-of-shares-75-to-100-percent", "voting-rights-75-to-100-percent", "right-to-appoint-and-remove-directors"),
    ("significant-influence-or-control",),
    ("ownership-of-shares-25-to-50-percent-as-trust", "significant-influence-or-control-as-trust"),
    (
        "right-to-share-surplus-assets-25-to-50-percent-limited-liability-partnership",
        "right-to-appoint-and-remove-members-limited-liability-partnership",
    ),
    ("ownership-of-shares-75-to-100-percent-as-firm",),
)
_ROE_NATURES = (
    (
        "ownership-of-shares-more-than-25-percent-registered-overseas-entity",
        "voting-rights-more-than-25-percent-registered-overseas-entity",
    ),
    ("significant-influence-or-control-as-trust-registered-overseas-entity",),
    ("right-to-appoint-and-remove-directors-registered-overseas-entity",),
)
_PSC_STATEMENTS = (
    "no-individual-or-entity-with-signficant-control",
    "psc-exists-but-not-identified",
    "psc-details-not-confirmed",
    "steps-to-find-psc-not-yet-completed",
    "psc-has-failed-to-confirm-changed-details",
)
_RESIDENCE = ("England", "United Kingdom", "Wales", "Scotland", "Northern Ireland", "Kazakhstan", "Russia", "Cyprus", "Switzerland", "")
_NATIONALITY = ("British", "Kazakh", "Russian", "Cypriot", "Swiss", "Irish", "")
_REGISTERS = (
    ("England And Wales", "Companies Act 2006", "Private Limited Company", "Companies House"),
    ("England", "United Kingdom (England And Wales)", "Limited By Shares", "Register Of Companies For England And Wales"),
    ("British Virgin Islands", "BVI Business Companies Act 2004", "Limited Company", "BVI Registry of Corporate Affairs"),
    ("Cyprus", "Cyprus Companies Law", "Private Company Limited By Shares", "Department Of Registrar Of Companies"),
    ("Kazakhstan", "Civil Code Of The Republic Of Kazakhstan", "Limited Liability Partnership", "Ministry Of Justice"),
)
_LEGAL = (
    ("Government Ministry", "Republic Of Kazakhstan"),
    ("Non-Uk Government", "Czech Republic"),
    ("Charity", "Charities Act 2011"),
    ("Local Authority", "Local Government Act 1972"),
)
# Cells that have broken importers elsewhere: spreadsheet formulas, markup, control characters,
# other scripts, over-long text, separators, stray spaces.
_HOSTILE = (
    '=HYPERLINK("http://example.org","x")',
    "+44 Holdings",
    "-1 Ltd",
    "@SUM(A1:A2)",
    "<script>alert(1)</script>",
    "<b>Bold</b> & Co",
    "Тимур Құлыбаев",
    "Назарбаева Дарига",
    "  spaced  out  ",
    'semi;colon, comma "quoted"',
    "tab\there",
    "line\nbreak",
    "nul\u0000byte",
    "Cafe\u0301 decomposed",
    "x" * 12_000,
    "Ω" * 600,
)


def generate_psc(out: Path, records: int, seed: int = 42, hostile: float = 0.002) -> SyntheticCounts:
    """Write a PSC snapshot of `records` JSON lines (plus its totals line) into the folder `out`.

    The mix follows the real snapshot: individuals, corporate entities (some registered at
    Companies House under a number that is itself a company of the snapshot, so that chains
    join), legal persons, super-secure PSCs, statements and a few exemptions, plus Register of
    Overseas Entities owners; about a quarter ceased; one to three natures of control each.
    Company sizes are heavy-tailed (a few companies have hundreds of PSC records). A share
    `hostile` of the text cells holds a hostile value (formula starts, markup, control
    characters, Cyrillic, 12,000 characters). The same arguments give the same bytes.
    """
    import json

    import numpy as np

    from tracker.output import atomic_path

    rng = np.random.default_rng(seed)
    out.mkdir(parents=True, exist_ok=True)
    kinds = [k for k, _ in _PSC_KINDS]
    weights = np.array([w for _, w in _PSC_KINDS])
    kind_idx = rng.choice(len(kinds), size=records, p=weights / weights.sum())
    # Company sizes: Zipf-distributed (three in four companies have one PSC record, a few hundreds),
    # the records of a company together, as in the snapshot.
    sizes = np.minimum(rng.zipf(2.5, size=records), 2_000)
    n_companies = int(np.searchsorted(np.cumsum(sizes), records)) + 1
    company = np.repeat(np.arange(n_companies), sizes[:n_companies])[:records]
    numbers = [f"{n:08d}" for n in (1_000_000 + rng.permutation(n_companies * 8)[:n_companies])]
    prefixed = rng.random(n_companies) < 0.08  # Scottish, Northern Irish, LLPs
    numbers = [(rng.choice(["SC", "NI", "OC", "SO"]) + n[2:]) if p else n for n, p in zip(numbers, prefixed)]
    overseas = [f"OE{n:06d}" for n in range(1, max(2, n_companies // 50) + 1)]
    order = np.arange(records)
    letters = np.frombuffer(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_", dtype=np.uint8)
    keys = letters[rng.integers(0, len(letters), (records, 27))]
    hexdigits = np.frombuffer(b"0123456789abcdef", dtype=np.uint8)
    etags = hexdigits[rng.integers(0, 16, (records, 40))]
    # Plain Python lists: indexing numpy scalars one at a time is what would make this slow.
    floats = rng.random((records, 8)).tolist()
    ints = rng.integers(0, 1 << 30, (records, 8)).tolist()
    # A corporate PSC's UK registration: any company of the set, or one of a few group holdings.
    parents = np.where(rng.random(records) < 0.3, _zipf_choice(rng, n_companies, records, a=1.5), rng.integers(0, n_companies, records))
    parents = parents.tolist()
    company_of = company.tolist()
    kind_of = kind_idx.tolist()

    def text(value: str, i: int, slot: int) -> str:
        return str(_HOSTILE[ints[i][slot] % len(_HOSTILE)]) if floats[i][slot] < hostile else value

    def day(i: int, slot: int, lo: int = 2016, span: int = 4) -> str:
        v = int(ints[i][slot])
        return f"{lo + v % span:04d}-{1 + v // span % 12:02d}-{1 + v // (span * 12) % 28:02d}"

    counts: dict[str, int] = dict.fromkeys(kinds, 0)
    exempt: set[str] = set()
    with atomic_path(out / PSC_SNAPSHOT) as tmp, open(tmp, "w", encoding="utf-8", newline="\n") as fh:
        for i in order.tolist():
            kind = kinds[kind_of[i]]
            roe = kind.endswith("beneficial-owner")
            number = overseas[int(ints[i][0]) % len(overseas)] if roe else numbers[company_of[i]]
            if kind == "exemptions" and number in exempt:
                kind = "persons-with-significant-control-statement"  # one exemptions record a company
            if kind == "exemptions":
                exempt.add(number)
            counts[kind] += 1
            key = keys[i].tobytes().decode("ascii")
            section = {
                "persons-with-significant-control-statement": "persons-with-significant-control-statements",
                "exemptions": "exemptions",
            }.get(kind, "persons-with-significant-control/" + kind.replace("-person-with-significant-control", ""))
            data: dict[str, Any] = {
                "etag": etags[i].tobytes().decode("ascii"),
                "kind": kind,
                "links": {"self": f"/company/{number}/{section}" + ("" if kind == "exemptions" else f"/{key}")},
            }
            ceased = floats[i][0] < 0.25
            if kind == "exemptions":
                data["exemptions"] = {
                    "psc_exempt_as_trading_on_regulated_market": {
                        "exemption_type": "psc-exempt-as-trading-on-regulated-market",
                        "items": [{"exempt_from": day(i, 1)}],
                    }
                }
            elif kind == "persons-with-significant-control-statement":
                data["notified_on"] = day(i, 1)
                data["statement"] = _PSC_STATEMENTS[int(ints[i][2]) % len(_PSC_STATEMENTS)]
                if ceased:
                    data["ceased_on"] = day(i, 3, 2020)
            elif kind.startswith("super-secure"):
                data["ceased"] = False
                data["description"] = "super-secure-persons-with-significant-control"
            else:
                street = f"{1 + int(ints[i][4]) % 300} {_COMPANY[int(ints[i][5]) % len(_COMPANY)]} Street"
                data["address"] = {
                    "address_line_1": text(street, i, 1),
                    "country": _RESIDENCE[int(ints[i][6]) % 9],
                    "locality": "London",
                    "postal_code": f"N{int(ints[i][7]) % 20} 0AA",
                    "premises": str(1 + int(ints[i][4]) % 99),
                }
                if kind.startswith("individual"):
                    first = _FIRST[int(ints[i][1]) % len(_FIRST)]
                    last = _LAST[int(ints[i][2]) % len(_LAST)]
                    title = ("Mr", "Mrs", "Ms", "Dr", "")[int(ints[i][3]) % 5]
                    elements = {"forename": text(first, i, 2), "surname": last, "title": title}
                    if floats[i][3] < 0.3:
                        elements["middle_name"] = _FIRST[int(ints[i][3]) % len(_FIRST)]
                    data["name"] = text(" ".join(p for p in (title, first, elements.get("middle_name", ""), last) if p), i, 3)
                    data["name_elements"] = elements
                    data["date_of_birth"] = {"month": 1 + int(ints[i][5]) % 12, "year": 1940 + int(ints[i][6]) % 60}
                    data["nationality"] = _NATIONALITY[int(ints[i][7]) % len(_NATIONALITY)]
                    data["country_of_residence"] = _RESIDENCE[int(ints[i][1]) % len(_RESIDENCE)]
                else:
                    name = f"{_LAST[int(ints[i][1]) % len(_LAST)]} {_COMPANY[int(ints[i][2]) % len(_COMPANY)]} Limited"
                    data["name"] = text(name, i, 3)
                    if kind.startswith("corporate"):
                        country, authority, form, place = _REGISTERS[int(ints[i][3]) % len(_REGISTERS)]
                        ident = {"country_registered": country, "legal_authority": authority, "legal_form": form, "place_registered": place}
                        if int(ints[i][3]) % len(_REGISTERS) < 2 and not roe:
                            # A UK parent: often itself a company of the snapshot (a group's holding).
                            ident["registration_number"] = numbers[parents[i]]
                        else:
                            ident["registration_number"] = str(int(ints[i][4]) % 10_000_000)
                        data["identification"] = ident
                    else:
                        form, authority = _LEGAL[int(ints[i][3]) % len(_LEGAL)]
                        data["identification"] = {"legal_authority": authority, "legal_form": form}
                    if roe:
                        data["is_sanctioned"] = bool(floats[i][4] < 0.01)
                        data["principal_office_address"] = dict(data["address"])
                natures = _ROE_NATURES if roe else _PSC_NATURES
                data["natures_of_control"] = list(natures[int(ints[i][0]) % len(natures)])
                data["notified_on"] = day(i, 1)
                if ceased:
                    data["ceased_on"] = day(i, 2, 2020)
            line = {"company_number": number, "data": dict(sorted(data.items())), "ContentDate": "2024-12-19"}
            fh.write(json.dumps(line, ensure_ascii=False, separators=(",", ":")) + "\n")
        statements = counts["persons-with-significant-control-statement"]
        pscs = records - statements - counts["exemptions"]
        totals = {
            "kind": "totals#persons-of-significant-control-snapshot",
            "persons_of_significant_control_count": pscs,
            "statements_count": statements,
            "exemptions_count": counts["exemptions"],
            "generated_at": "2024-12-19T03:43:03Z",
        }
        fh.write(json.dumps({"data": totals}, separators=(",", ":")) + "\n")
    return SyntheticCounts(records, 0, {PSC_SNAPSHOT: records + 1, **counts})
