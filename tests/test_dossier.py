"""The dossier: one page about one entity, for every entity of the curated data, escaped and offline."""

from __future__ import annotations

import base64
import hashlib
import re
from pathlib import Path

import networkx as nx
import pytest
from click.testing import CliRunner
from conftest import FIXTURES_PATH, MINI_PATH

from tracker.cli import cli
from tracker.dataset import load
from tracker.dossier import build_dossier, dossier_html, dossier_markdown, scripts_of, write_dossier
from tracker.graph import build
from tracker.metrics import centrality

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def curated() -> nx.MultiDiGraph:
    return build(load([REPO / "datasets"]))


def test_every_curated_entity_has_a_dossier(curated: nx.MultiDiGraph) -> None:
    """Walk every entity: both formats render, every relation and every cited source is in them."""
    table = centrality(curated)
    for ident in sorted(curated):
        d = build_dossier(curated, ident, table)
        page = dossier_html(curated, ident, dossier=d)
        md = dossier_markdown(curated, ident, dossier=d)
        relations = {k for u, v, k in curated.edges(keys=True) if ident in (u, v)}
        assert {r["id"] for g in d["relations"] for r in g["relations"]} == relations, ident
        cited = {s for u, v, k, e in curated.edges(keys=True, data=True) if k in relations for s in e.get("sources") or []}
        cited |= set(curated.nodes[ident].get("sources") or [])
        for sid in cited:
            assert f"({sid})</span></li>" in page, (ident, sid)
        assert md.count("[^") >= 2 * len(cited) or not cited, ident  # cited in the text and listed once
        assert "not an allegation of wrongdoing" in page and "not an allegation of wrongdoing" in md
        assert page.count("<svg") == 1 and "<script" not in page, ident
        assert {r["metric"] for r in d["ranks"]} >= {"degree", "pagerank", "betweenness"}, ident


def test_dossier_of_timur_kulibayev(curated: nx.MultiDiGraph) -> None:
    d = build_dossier(curated, "timur-kulibayev")
    assert d["names"]["Latin"][0] == "Timur Kulibayev" and "Тимур Құлыбаев" in d["names"]["Cyrillic"]
    kinds = [g["kind"] for g in d["relations"]]
    assert kinds[:2] == ["family", "associate"]  # the schema's order of relation kinds
    # the claim about Prince Andrew's role carries the Palace's answer
    associate = next(g for g in d["relations"] if g["kind"] == "associate")["relations"]
    answered = [r for r in associate if r["answers"]]
    assert answered and answered[0]["answers"][0]["role_in_claim"] == "answers this"
    # shortest explained paths to the City and to an offshore jurisdiction, as tracker path finds them
    from tracker.paths import explained_paths

    assert d["to_city"] and all(curated.nodes[p["target"]]["sphere"] == "london_finance" for p in d["to_city"])
    first = d["to_city"][0]
    from tracker.metrics import tie_kinds
    from tracker.model import load_model

    ties = tie_kinds(load_model())
    T = nx.MultiDiGraph(**curated.graph)
    T.add_nodes_from(curated.nodes(data=True))
    T.add_edges_from((u, v, k, e) for u, v, k, e in curated.edges(keys=True, data=True) if e["kind"] in ties)
    assert first["nodes"] == explained_paths(T, "timur-kulibayev", first["target"], k=1)[0]["nodes"]
    # a report about both ends, a ranking or a denial is not a channel: only ties between actors
    hops = [r["kind"] for p in d["to_city"] + d["to_offshore"] for h in p["hops"] for r in h["relations"]]
    assert hops and all(kind in ties for kind in hops)
    assert all(curated.nodes[p["target"]].get("offshore") is True for p in d["to_offshore"])
    ranks = {r["metric"]: r for r in d["ranks"]}
    assert ranks["degree"]["of"] == curated.number_of_nodes() and ranks["degree"]["rank"] >= 1


def test_chains_up_and_down_in_the_dossier(mini_graph: nx.MultiDiGraph) -> None:
    from tracker.chains import ownership_chains

    d = build_dossier(mini_graph, "delta-holdings")
    up = ownership_chains(mini_graph, "delta-holdings", "up")
    down = ownership_chains(mini_graph, "delta-holdings", "down")
    assert [o["id"] for o in d["up"]["owners"]] == [o["id"] for o in up.owners]
    assert [o["id"] for o in d["down"]["owners"]] == [o["id"] for o in down.owners]
    assert d["up"]["owners"] or d["down"]["owners"]


def test_scripts_of() -> None:
    assert scripts_of("Назарбаева Дарига") == "Cyrillic" and scripts_of("Dariga") == "Latin"
    assert scripts_of("ENRC 2013") == "Latin" and scripts_of("1234") == "Other"


def test_dossier_html_is_offline_escaped_and_deterministic(tmp_path: Path) -> None:
    G = build(load([FIXTURES_PATH / "views" / "hostile"]))
    for ident in sorted(G):
        page = dossier_html(G, ident)
        assert page == dossier_html(G, ident)
        assert "<script" not in page.lower() and "<img" not in page.lower() and "onerror=" not in page.replace("onerror=&quot;", "")
        assert 'href="javascript' not in page.lower()
        style = re.findall(r"<style>(.*?)</style>", page, re.S)
        digest = "'sha256-" + base64.b64encode(hashlib.sha256(style[0].encode()).digest()).decode() + "'"
        assert f"style-src {digest};" in page and "unsafe" not in page and ' style="' not in page
        md = dossier_markdown(G, ident)
        assert "<img" not in md and "<script" not in md and "](javascript" not in md
    page = dossier_html(G, "img-person")
    assert "&lt;img src=x onerror=&quot;window.__pwned=1&quot;&gt;" in page


def test_markdown_links_only_http_sources(mini_graph: nx.MultiDiGraph) -> None:
    md = dossier_markdown(mini_graph, "lambda-ngo")
    assert "javascript:alert(1)" not in re.findall(r"\]\(<([^>]*)>\)", md)
    links = re.findall(r"\]\(<([^>]*)>\)", md)
    assert links and all(u.lower().startswith(("http://", "https://")) for u in links)


def test_cli_dossier(cli_runner: CliRunner, tmp_path: Path) -> None:
    out = tmp_path / "g.html"
    result = cli_runner.invoke(cli, ["dossier", "--data", str(MINI_PATH), "Гамма Құлыбаев", "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert result.stderr == f"wrote {out} (dossier of Gamma Qulybaev)\n"
    assert "<h1>Gamma Qulybaev</h1>" in out.read_text(encoding="utf-8")
    result = cli_runner.invoke(cli, ["dossier", "--data", str(MINI_PATH), "gamma-soninlaw", "--format", "md"])
    assert result.exit_code == 0 and result.stdout.startswith("# Gamma Qulybaev\n")
    result = cli_runner.invoke(cli, ["dossier", "--data", str(MINI_PATH), "nobody at all"])
    assert result.exit_code == 1 and result.stderr.startswith("Error: no entity named 'nobody at all'")
    result = cli_runner.invoke(cli, ["dossier", "--data", str(MINI_PATH), "gamma-soninlaw", "--format", "pdf"])
    assert result.exit_code == 2


def test_write_dossier(mini_graph: nx.MultiDiGraph, tmp_path: Path) -> None:
    a = write_dossier(mini_graph, "alpha-ruler", tmp_path / "a.md", fmt="md").read_bytes()
    b = write_dossier(mini_graph, "alpha-ruler", tmp_path / "b.md", fmt="md").read_bytes()
    assert a == b and a.startswith(b"# Alpha Ruler\n")
    with pytest.raises(ValueError, match="format"):
        write_dossier(mini_graph, "alpha-ruler", tmp_path / "c.pdf", fmt="pdf")
