"""The shipped curated dataset (datasets/): valid, complete, connected, searchable and fair.

These tests pin what users rely on first: every relation sourced, the four spheres joined in one
picture, the central persons findable by their Cyrillic names, and every legal caution of the
research notes (§6) present as data beside the claim it qualifies.
"""

from __future__ import annotations

import csv
import re
from pathlib import Path

import networkx as nx
import pytest

from tracker.dataset import Dataset, load
from tracker.graph import build, name_index
from tracker.model import load_model
from tracker.validate import validate_paths

DATASETS = Path(__file__).resolve().parents[1] / "datasets"


@pytest.fixture(scope="module")
def ds() -> Dataset:
    return load([DATASETS])


@pytest.fixture(scope="module")
def G(ds: Dataset) -> nx.MultiDiGraph:
    return build(ds)


def _rel(ds: Dataset, rid: str):
    assert rid in ds.relations, rid
    return ds.relations[rid]


def test_shipped_dataset_validates_cleanly() -> None:
    report = validate_paths([DATASETS])
    assert report.errors == []
    assert report.warnings == []
    assert report.counts["entities"] >= 200
    assert report.counts["relations"] >= 280
    assert report.counts["sources"] >= 100


def test_descriptor_asserts_the_minimum_counts() -> None:
    import yaml

    desc = yaml.safe_load((DATASETS / "datapackage.yaml").read_text(encoding="utf-8"))
    assert desc["name"] == "kz-elite-finance"
    assert desc["assertions"]["entities"]["min"] == 200
    assert desc["assertions"]["relations"]["min"] == 280
    assert desc["assertions"]["sources"]["min"] == 100
    assert "CC-BY-4.0" in [lic["name"] for lic in desc["licenses"]]


def test_all_four_spheres_and_every_entity_kind_present(ds: Dataset) -> None:
    spheres = {e.sphere for e in ds.entities.values()}
    assert {"elite", "company", "london_finance", "offshore"} <= spheres
    assert {e.kind for e in ds.entities.values()} == set(load_model().entity_kinds)


def test_largest_component_holds_at_least_90_percent(G: nx.MultiDiGraph) -> None:
    comps = sorted(nx.connected_components(G.to_undirected(as_view=True)), key=len, reverse=True)
    share = len(comps[0]) / G.number_of_nodes()
    assert share >= 0.9
    # The one known island: National Trading Standards and the group it wrote about (README).
    apart = set().union(*comps[1:]) if len(comps) > 1 else set()
    assert apart <= {"national-trading-standards", "central-asian-peps-uk-property"}
    spheres_in_lcc = {G.nodes[n]["sphere"] for n in comps[0]}
    assert {"elite", "company", "london_finance", "offshore"} <= spheres_in_lcc


def test_every_relation_has_an_http_source(ds: Dataset) -> None:
    for rel in ds.relations.values():
        assert rel.sources, rel.id
        for sid in rel.sources:
            assert re.match(r"^https?://", ds.sources[sid].url), (rel.id, sid)


def test_each_url_appears_once_and_mirrors_are_flagged(ds: Dataset) -> None:
    urls = [s.url for s in ds.sources.values()]
    assert len(urls) == len(set(urls))
    mirrors = {s.id for s in ds.sources.values() if s.mirror}
    for sid in ("bailii-2013-ewhc-510-mirror", "eurasianet-2020-luxury-uk-assets-kiar", "wikipedia-tengizchevroil-hubbry",
                "wsj-2020-11-utemuratov-freeze-londondaily", "tjn-fsi-2022-dataset-archive"):
        assert sid in mirrors
    assert ds.sources["bailii-2013-ewhc-510-mirror"].canonical_url == "http://www.bailii.org/ew/cases/EWHC/Comm/2013/510.html"
    assert {ds.sources[s].language for s in ("vestibg-2026-01-09-andrew-15m", "agcnews-2016-05-15-panama-papers", "bankkz-2024-halyk-dividends-almex")} == {"bg", "it", "ru"}


def test_every_evidence_status_of_the_sheet_appears(ds: Dataset) -> None:
    statuses = {r.evidence for r in ds.relations.values()}
    sheet = {"news_report", "investigative_report", "court_judgment", "company_filing", "allegation",
             "government_statement", "official_register"}
    assert sheet <= statuses
    assert sheet <= set(load_model().evidence_statuses)


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("Нурсултан Назарбаев", "nursultan-nazarbayev"),
        ("Нұрсұлтан Назарбаев", "nursultan-nazarbayev"),
        ("Дарига Назарбаева", "dariga-nazarbayeva"),
        ("Дариға Нұрсұлтанқызы Назарбаева", "dariga-nazarbayeva"),
        ("Динара Кулибаева", "dinara-kulibayeva"),
        ("Алия Назарбаева", "aliya-nazarbayeva"),
        ("Тимур Кулибаев", "timur-kulibayev"),
        ("Тимур Құлыбаев", "timur-kulibayev"),
        ("Kulibaev", "timur-kulibayev"),
        ("Мухтар Аблязов", "mukhtar-ablyazov"),
        ("Мұхтар Әблязов", "mukhtar-ablyazov"),
        ("Карим Масимов", "karim-masimov"),
        ("Булат Утемуратов", "bulat-utemuratov"),
        ("Кенес Ракишев", "kenes-rakishev"),
        ("Рахат Алиев", "rakhat-aliyev"),
        ("Рахат Мұхтарұлы Әлиев", "rakhat-aliyev"),
        ("Нурали Алиев", "nurali-aliyev"),
        ("Александр Машкевич", "alexander-mashkevich"),
        ("Alexander Machkevich", "alexander-mashkevich"),
        ("Патох Шодиев", "patokh-chodiev"),
        ("Алиджан Ибрагимов", "alijan-ibragimov"),
        ("Владимир Ким", "vladimir-kim"),
        ("Кайрат Боранбаев", "kairat-boranbayev"),
        ("Sunninghill Park", "sunninghill-park"),
        ("33 The Bishops Avenue", "33-the-bishops-avenue"),
        ("Mishcon de Reya", "mishcon-de-reya"),
        ("ENRC", "enrc"),
    ],
)
def test_names_resolve_in_any_script(G: nx.MultiDiGraph, query: str, expected: str) -> None:
    assert name_index(G).resolve(query) == expected


def test_no_alias_is_shared_by_two_entities(ds: Dataset) -> None:
    from tracker.names import fold

    owner: dict[str, str] = {}
    for ent in ds.entities.values():
        for name in ent.names:
            key = fold(name)
            assert owner.setdefault(key, ent.id) == ent.id, (name, owner[key], ent.id)


def test_jurisdictions_are_iso_coded_and_flagged(ds: Dataset) -> None:
    juris = {e.id: e for e in ds.entities.values() if e.kind == "jurisdiction"}
    assert len(juris) >= 28
    for jid, ent in juris.items():
        assert len(jid) == 2 and ent.country == jid and ent.offshore is not None
    assert juris["vg"].offshore and juris["pa"].offshore and not juris["gb"].offshore and not juris["kz"].offshore


def test_fsi_ranks_are_sourced_and_marked_for_reverification(ds: Dataset) -> None:
    ranked = [r for r in ds.relations.values() if r.kind == "ranked"]
    assert len(ranked) == 27
    assert all(r.target == "financial-secrecy-index" and r.rank and r.score is not None for r in ranked)
    assert all("re-verify" in r.note for r in ranked)
    uk = next(r for r in ranked if r.source == "gb")
    assert (uk.rank, uk.score) == (13.0, 47.175)


def test_placeholders_are_marked(ds: Dataset) -> None:
    for eid in ("uwo-property-vehicles", "sunninghill-purchasing-vehicle", "nazarbayev-family-extended",
                "senior-kazakh-official-unnamed"):
        assert ds.entities[eid].placeholder


# --- §6 cautions travel with the claims -----------------------------------------------------


def test_nca_uwos_show_discharge_and_refused_appeal(G: nx.MultiDiGraph, ds: Dataset) -> None:
    for rid in ("r0007", "r0008", "r0009"):
        rel = _rel(ds, rid)
        assert rel.kind == "litigation" and rel.source == "nca"
        assert "discharged" in rel.outcome and "refused" in rel.outcome
    # the claim leads to its outcome and to the denials in one lookup
    referred = set(G.edges["nca", "32-denewood-road", "r0007"]["referred_by"])
    assert {"r0020", "r0023", "r0024", "r0035"} <= referred
    assert _rel(ds, "r0019").evidence == "allegation"
    assert "unreliable" in _rel(ds, "r0019").outcome


def test_sfo_enrc_investigation_closed_without_charges(ds: Dataset) -> None:
    rel = _rel(ds, "r0120")
    assert (rel.kind, rel.source, rel.target) == ("investigated_by", "enrc", "sfo")
    assert "no charges" in rel.outcome
    assert "dismissed" in _rel(ds, "r0130").outcome


def test_utemuratov_freezing_order_lifted(ds: Dataset) -> None:
    order, withdrawal = _rel(ds, "r0225"), _rel(ds, "r0226")
    assert order.target == "bulat-utemuratov" and "lifted" in order.outcome
    assert "withdrawn" in withdrawal.outcome and withdrawal.refers_to == ("r0225",)


def test_kulibayev_denial_refers_to_the_sunninghill_claim(ds: Dataset) -> None:
    denial = _rel(ds, "r0086")
    assert (denial.kind, denial.source) == ("response", "timur-kulibayev")
    assert "r0088" in denial.refers_to
    claim = _rel(ds, "r0088")
    assert claim.kind == "alleged" and claim.evidence == "allegation" and "unproven" in claim.outcome
    assert "no finding" in _rel(ds, "r0087").outcome
    assert _rel(ds, "r0082").refers_to == ("r0077", "r0078")


def test_other_cautions_are_data(ds: Dataset) -> None:
    assert "in absentia" in _rel(ds, "r0291").outcome  # Rakhat Aliyev
    assert "closed" in _rel(ds, "r0220").outcome  # Masimov's classified trial
    assert "annulled" in _rel(ds, "r0229").outcome  # Boranbayev's sentence history
    assert "civil" in _rel(ds, "r0153").outcome and "civil" in _rel(ds, "r0177").outcome  # Ablyazov
    assert "misdemeanour" in _rel(ds, "r0278").outcome and "never charged" in _rel(ds, "r0281").outcome  # Kazakhgate
    assert "not a finding" in _rel(ds, "r0290").outcome  # Aliya Nazarbayeva's libel claim
    assert "no finding on truth" in _rel(ds, "r0074").outcome  # Jusan meaning ruling
    assert "parliamentary privilege" in _rel(ds, "r0233").outcome  # Hodge
    for rid in ("r0060", "r0062"):  # Jusan / Nazarbayev foundations: denials answer the reporting
        answered = {r.id for r in ds.relations.values() if rid in r.refers_to and r.kind == "response"}
        assert len(answered) >= 2, rid
    for rid in ("r0172", "r0173"):  # Sater complaint: pleadings only
        assert _rel(ds, rid).evidence == "allegation" and "allegations only" in _rel(ds, rid).outcome


def test_every_alleged_relation_is_an_allegation_with_an_outcome(ds: Dataset) -> None:
    for rel in ds.relations.values():
        if rel.kind == "alleged":
            assert rel.evidence == "allegation" and rel.outcome, rel.id


def test_every_litigation_and_investigation_has_an_outcome_or_answers_one(ds: Dataset) -> None:
    for rel in ds.relations.values():
        if rel.kind in ("litigation", "investigated_by", "sanctioned_by"):
            assert rel.outcome or rel.refers_to, rel.id


def test_record_ids_trace_to_fact_sheet_rows(ds: Dataset) -> None:
    for rel in ds.relations.values():
        assert re.fullmatch(r"facts:\d+", rel.record_id), rel.id
        assert rel.id.startswith(f"r{int(rel.record_id.split(':')[1]):04d}"), rel.id


def test_every_fact_sheet_row_is_represented(shared_path: Path, ds: Dataset) -> None:
    facts = shared_path / "research" / "facts.csv"
    with facts.open(encoding="utf-8", newline="") as fh:
        n_rows = sum(1 for _ in csv.DictReader(fh))
    covered = {int(r.record_id.split(":")[1]) for r in ds.relations.values()}
    readme = (DATASETS / "README.md").read_text(encoding="utf-8")
    left_out = {int(m) for m in re.findall(r"^\| facts:(\d+) \|", readme, flags=re.M)}
    assert n_rows == 292
    assert covered | left_out == set(range(1, n_rows + 1))


def test_every_sheet_url_is_a_source(shared_path: Path, ds: Dataset) -> None:
    with (shared_path / "research" / "facts.csv").open(encoding="utf-8", newline="") as fh:
        urls = {row["source_url"] for row in csv.DictReader(fh)}
    assert urls == {s.url for s in ds.sources.values()}
