"""ICIJ Offshore Leaks import: link table row by row, layouts, countries, multi-line fields."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import FIXTURES_PATH
from tracker.dataset import load
from tracker.exc import InvalidData
from tracker.graph import build
from tracker.importers import country_code, run_import
from tracker.importers.icij import LINKS, link_kind
from tracker.model import load_model
from tracker.validate import validate_paths

ICIJ = FIXTURES_PATH / "import" / "icij"


@pytest.mark.parametrize(
    ("rel_type", "link", "expected"),
    [
        ("officer_of", "director of", (("officer_of",), "director")),
        ("officer_of", "Nominee Director of", (("officer_of",), "nominee director")),
        ("officer_of", "shareholder of", (("owns",), "shareholder")),
        ("officer_of", "Nominee Shareholder of", (("registered_owner_of",), "nominee shareholder")),
        ("officer_of", "beneficiary of", (("beneficial_owner_of", "owns"), "beneficiary")),
        ("officer_of", "Beneficial Owner of", (("beneficial_owner_of", "owns"), "beneficial owner")),
        ("officer_of", "secretary of", (("officer_of",), "secretary")),
        ("officer_of", "protector of", (("controls",), "protector")),
        ("officer_of", "trustee of trust of", (("controls",), "trustee")),
        ("officer_of", "settlor of", (("founder_of",), "settlor")),
        ("officer_of", "power of attorney of", (("officer_of",), "power of attorney")),
        ("officer_of", "auditor of", (("advised",), "auditor")),
        ("officer_of", "legal advisor of", (("advised",), "legal adviser")),
        ("intermediary_of", "intermediary of", (("advised",), "intermediary")),
        ("registered_address", "registered address", (("located_in",), "registered address")),
        ("officer_of", "custodian of", (("officer_of",), "custodian of")),
        ("same_name_as", "same name as", None),
        ("similar", "similar name and address as", None),
        ("connected_to", "connected to", None),
    ],
)
def test_link_table(rel_type: str, link: str, expected: object) -> None:
    assert link_kind(rel_type, link) == expected


def test_link_table_kinds_exist() -> None:
    kinds = load_model().relation_kinds
    assert all(k in kinds for _, cands, _ in LINKS for k in cands)


@pytest.mark.parametrize(("code", "alpha2"), [("KAZ", "kz"), ("GBR", "gb"), ("VGB", "vg"), ("JEY", "je"), ("XXX", ""), ("", "")])
def test_alpha3_codes(code: str, alpha2: str) -> None:
    assert country_code(code) == alpha2


@pytest.fixture(scope="module")
def icij_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("icij")
    run_import("icij", [ICIJ], out)
    return out


def test_icij_folder_validates_and_builds(icij_dir: Path) -> None:
    assert validate_paths([icij_dir]).ok
    ds = load([icij_dir])
    G = build(ds)
    kappa = ds.entities["icij:10000001"]
    assert (kappa.kind, kappa.sphere, kappa.country, kappa.birth_date) == ("company", "offshore", "vg", "2006-03-12")
    assert ds.entities["icij:10000002"].kind == "trust_or_foundation"
    assert "with a note on two lines" in ds.entities["icij:10000002"].notes  # a quoted field over two lines
    assert ds.entities["icij:12000002"].kind == "company"  # OMEGA NOMINEES LTD. in the officers file
    assert ds.entities["icij:11000002"].kind == "person"  # "DOE, JOHN (MR.)" intermediary
    assert ds.entities["icij:11000001"].kind == "professional_firm"
    assert ds.entities["icij:12000003"].name == "Гамма Құлыбаев"
    edges = {(u, v, d["kind"], d["role"]) for u, v, d in G.edges(data=True) if v.startswith("icij:")}
    assert edges == {
        ("icij:12000001", "icij:10000001", "beneficial_owner_of", "beneficiary"),
        ("icij:12000002", "icij:10000001", "registered_owner_of", "nominee shareholder"),
        ("icij:12000003", "icij:10000002", "controls", "protector"),
        ("icij:11000001", "icij:10000001", "advised", "intermediary"),
        ("icij:12000001", "icij:14000001", "located_in", "registered address"),
    }
    nominee = next(d for _, v, d in G.out_edges("icij:12000002", data=True) if v == "icij:10000001")
    assert (nominee["start"], nominee["end"]) == ("2006-03-12", "2010-01-31")


def test_icij_countries_become_jurisdictions(icij_dir: Path) -> None:
    ds = load([icij_dir])
    assert {e.id for e in ds.entities.values() if e.kind == "jurisdiction"} == {"ch", "gb", "je", "kz", "pa", "sg", "vg"}
    assert ds.entities["kz"].offshore is False and ds.entities["pa"].offshore is True
    gamma = {(r.target, r.role) for r in ds.relations.values() if r.source == "icij:12000003" and r.kind == "located_in"}
    assert gamma == {("kz", "address country"), ("gb", "address country")}
    addr = [r for r in ds.relations.values() if r.role == "registered address"]
    assert [(r.source, r.target) for r in addr] == [("icij:12000001", "icij:14000001")]


def test_icij_addresses_are_entities_in_their_country(icij_dir: Path) -> None:
    ds = load([icij_dir])
    almaly = ds.entities["icij:14000001"]
    assert (almaly.kind, almaly.name, almaly.country, almaly.sphere) == (
        "address",
        '"Almaly Village" v.5, Almaty Kazakhstan',
        "kz",
        "other",
    )
    assert ds.relations["icij:14000001:located-in:kz"].target == "kz"
    # The 2016 layout (no name column) gives the address text as the name too.
    assert ds.entities["icij:14000009"].kind == "address"


def test_shared_address_links_companies_but_a_hub_address_is_not_walked() -> None:
    import networkx as nx

    from tracker.graph import HUB_RELATIONS, reach

    G = nx.MultiDiGraph()
    G.add_node("agent-address", kind="address")
    G.add_node("small-address", kind="address")
    for i in range(HUB_RELATIONS + 1):
        G.add_node(f"co{i}", kind="company")
        G.add_edge(f"co{i}", "agent-address", key=f"r{i}", kind="located_in")
    G.add_edge("co0", "small-address", key="s0", kind="located_in")
    G.add_node("shell", kind="company")
    G.add_edge("shell", "small-address", key="s1", kind="located_in")
    # Two companies at one ordinary address meet in two hops; the 1,001-company address is an end point.
    assert reach(G, ["shell"], 2) == {"shell": 0, "small-address": 1, "co0": 2}
    assert sorted(reach(G, ["co1"], 2)) == ["agent-address", "co1"]


def test_icij_sources_link_node_pages(icij_dir: Path) -> None:
    ds = load([icij_dir])
    src = ds.sources["icij:12000001"]
    assert src.url == "https://offshoreleaks.icij.org/nodes/12000001"
    assert (src.evidence, src.date) == ("investigative_report", "2016")
    assert "not evidence of wrongdoing" in src.notes
    assert ds.entities["icij:12000001"].sources == ("icij:12000001",)


def test_icij_files_one_by_one_and_summary(tmp_path: Path) -> None:
    summary = run_import("icij", [ICIJ / "relationships.csv", ICIJ / "nodes-officers.csv", ICIJ / "nodes-entities.csv"], tmp_path / "o")
    assert validate_paths([tmp_path / "o"]).ok
    assert summary.skipped["identity or unspecific link (same_name_as), not a relation"] == 1
    assert summary.skipped["registered_address to an address not in the import"] == 1
    dangling = "relation to an entity not in the import (dangling reference)"
    assert summary.skipped[dangling] == 2  # the intermediary (file not given) and node 99999999
    assert summary.examples[dangling] == ["icij:11000001", "icij:99999999"]


def test_icij_old_address_layout_recognised(tmp_path: Path) -> None:
    summary = run_import("icij", [ICIJ / "Addresses_2016.csv"], tmp_path / "o")
    assert "Addresses_2016.csv: older (2016) address layout recognised" in summary.info
    assert summary.read == 1


def test_icij_old_edge_layout_rejected(tmp_path: Path) -> None:
    edges = tmp_path / "all_edges.csv"
    edges.write_text("node_1,rel_type,node_2\n1,officer_of,2\n", encoding="utf-8")
    with pytest.raises(InvalidData, match=r"^all_edges.csv:1: ICIJ 2016 edge layout"):
        run_import("icij", [edges], tmp_path / "o")


def test_icij_unknown_layout_rejected(tmp_path: Path) -> None:
    other = tmp_path / "other.csv"
    other.write_text("a,b\n1,2\n", encoding="utf-8")
    with pytest.raises(InvalidData, match=r"^other.csv:1: not an ICIJ Offshore Leaks file"):
        run_import("icij", [other], tmp_path / "o")


@pytest.mark.parametrize("rel_type", ["officer_of", "intermediary_of", "Odd Type", "-lead", "x:y", "123", "", "É", "a" * 300])
@pytest.mark.parametrize("ends", [("12", "34"), ("1" * 100, "2" * 100), ("١٢", "34")])
def test_link_and_node_ids_are_what_make_id_gives(rel_type: str, ends: tuple[str, str]) -> None:
    # The importer builds ids without make_id's checks where they cannot change the result.
    from tracker.importers import make_id
    from tracker.importers.icij import _link_id, _node_id, slug_rel

    start, end = ends
    assert _link_id(start, rel_type, end) == make_id("icij", start, slug_rel(rel_type), end)
    assert _node_id(start) == make_id("icij", start)
