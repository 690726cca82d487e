"""The view in a real headless Chromium, offline: no request leaves the page, nothing errs.

Every request other than the page itself is counted and aborted; console errors (CSP
violations included) are collected. Both must stay empty in every test.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import networkx as nx
import pytest
from conftest import FIXTURES_PATH, MINI_PATH

from tracker.dataset import load
from tracker.graph import build, filter_graph
from tracker.views import LAYOUT_THRESHOLD, write_view

pytestmark = pytest.mark.browser

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[1] / "test-artifacts"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


class Page:
    """A loaded view with the requests it tried and the errors it logged."""

    def __init__(self, page: Any, outside: list[str], errors: list[str]) -> None:
        self.page, self.outside, self.errors = page, outside, errors

    def js(self, expression: str, arg: Any = None) -> Any:
        return self.page.evaluate(expression, arg)

    def clean(self) -> None:
        assert self.outside == [] and self.errors == []


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not CHROMIUM.exists():
        pytest.skip("/usr/bin/chromium is absent")
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield b
        b.close()


READY = "() => window.trackerView && window.trackerView.rendered === true"


def open_page(browser: Any, path: Path, ready: str | None, width: int = 1300) -> tuple[Any, Any, list[str], list[str]]:
    """Open a local page in a fresh context; every other request is counted and aborted.

    Returns the context, the page, the outside requests tried and the console errors logged.
    """
    url = path.resolve().as_uri()
    context = browser.new_context(viewport={"width": width, "height": 900}, service_workers="block")
    page = context.new_page()
    outside: list[str] = []
    errors: list[str] = []

    def route(r: Any) -> None:
        if r.request.url == url:
            r.continue_()
        else:
            outside.append(r.request.url)
            r.abort()

    context.route("**/*", route)
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(url)
    if ready:
        page.wait_for_function(ready, timeout=60_000)
    else:
        page.wait_for_load_state("load")
    return context, page, outside, errors


@pytest.fixture()
def open_view(browser: Any, tmp_path: Path) -> Iterator[Any]:
    contexts: list[Any] = []

    def opener(G: nx.MultiDiGraph, name: str = "view.html", **kwargs: Any) -> Page:
        path = write_view(G, tmp_path / name, **kwargs)
        context, page, outside, errors = open_page(browser, path, READY, width=1400)
        contexts.append(context)
        return Page(page, outside, errors)

    yield opener
    for c in contexts:
        c.close()


@pytest.fixture(scope="module")
def mini() -> nx.MultiDiGraph:
    return build(load([MINI_PATH]))


def test_network_holds_the_graph_and_makes_no_request(open_view: Any, mini: nx.MultiDiGraph) -> None:
    v = open_view(mini)
    assert v.js("[trackerView.nodes.length, trackerView.edges.length]") == [14, 18]
    assert v.js("trackerView.visibleEdges()") == sorted(k for _, _, k in mini.edges(keys=True))
    assert v.js("document.characterSet") == "UTF-8"
    v.clean()


def test_search_finds_an_entity_by_a_cyrillic_alias(open_view: Any, mini: nx.MultiDiGraph) -> None:
    v = open_view(mini)
    for query in ("Құлыбаев", "кулибаев", "KULIBAYEV", "Альфа"):
        assert v.js("q => trackerView.search(q)[0]", query) in {"gamma-soninlaw", "alpha-ruler"}, query
    assert v.js("trackerView.skeleton('Гамма Құлыбаев')") == v.js("trackerView.skeleton('gamma kulibayev')")
    box = v.page.locator("#search-input")
    box.fill("Құлыбаев")
    first = v.page.locator("#search-results li").first
    assert first.get_attribute("data-id") == "gamma-soninlaw"
    assert "Гамма Құлыбаев" in first.inner_text()
    box.press("Enter")
    assert v.js("trackerView.network.getSelectedNodes()") == ["gamma-soninlaw"]
    assert v.page.locator("#panel-body h2").inner_text() == "Gamma Qulybaev"
    v.clean()


def test_clicking_an_edge_shows_its_sources_and_its_denial(open_view: Any, mini: nx.MultiDiGraph) -> None:
    v = open_view(mini)
    assert v.js("trackerView.selectEdge('r12')") is True
    panel = v.page.locator("#panel-body")
    assert panel.get_attribute("data-showing") == "relation:r12"
    link = panel.locator(".source[data-source='claim-2010'] a").first
    assert link.get_attribute("href") == "http://claims.example.net/claim"
    assert link.get_attribute("rel") == "noopener noreferrer" and link.get_attribute("target") == "_blank"
    assert link.inner_text() == "Adversary alleges bribe"
    text = panel.inner_text()
    assert "Allegation" in text and "Example Wire" in text and "unproven" in text
    answer = panel.locator(".answer[data-relation='r13']")
    assert "Denied the claim." in answer.inner_text()
    ARTIFACTS.mkdir(exist_ok=True)
    v.page.screenshot(path=str(ARTIFACTS / "view-edge.png"))
    v.clean()


def test_real_click_on_a_node_opens_the_panel(open_view: Any, mini: nx.MultiDiGraph) -> None:
    v = open_view(mini)
    x, y = v.js(
        """() => { const n = trackerView.network, p = n.canvasToDOM(n.getPosition('zeta-bank'));
                   const r = document.getElementById('network').getBoundingClientRect(); return [r.left + p.x, r.top + p.y]; }"""
    )
    v.page.mouse.click(x, y)
    panel = v.page.locator("#panel-body")
    assert panel.get_attribute("data-showing") == "entity:zeta-bank"
    assert "Financial institution" in panel.inner_text()
    mirror = v.js("[...document.querySelectorAll('#panel-body .badge.mirror')].length")
    assert mirror == 0
    v.clean()


@pytest.mark.parametrize("as_of", ["2007", "2007-06", "2019-05-22", "2021"])
def test_as_of_hides_the_same_relations_as_python(open_view: Any, mini: nx.MultiDiGraph, as_of: str) -> None:
    v = open_view(mini)
    v.page.locator("#as-of").fill(as_of)
    expected = sorted(k for _, _, k in filter_graph(mini, as_of=as_of).edges(keys=True))
    assert v.js("trackerView.visibleEdges()") == expected
    assert v.js("trackerView.edges.get({filter: e => !e.hidden}).map(e => e.id).sort()") == expected
    v.clean()


def test_filters_hide_edges_and_nodes(open_view: Any, mini: nx.MultiDiGraph) -> None:
    v = open_view(mini)
    v.page.locator("#filter-evidence input[value='allegation']").click()
    visible = v.js("trackerView.visibleEdges()")
    assert "r12" not in visible and "r13" not in visible and len(visible) == 16
    v.page.locator("#filter-sphere input[value='offshore']").click()
    nodes = v.js("trackerView.visibleNodes()")
    # lambda-ngo's only relations are an allegation and one to an offshore entity: left without
    # a shown relation, it is hidden too, until the toggle shows it again.
    assert "vg" not in nodes and "delta-holdings" not in nodes and "lambda-ngo" not in nodes and len(nodes) == 8
    v.page.locator("#hide-orphans").click()
    assert len(v.js("trackerView.visibleNodes()")) == 9 and "lambda-ngo" in v.js("trackerView.visibleNodes()")
    v.page.locator("#hide-orphans").click()
    assert "r09" not in v.js("trackerView.visibleEdges()")  # delta-holdings -> vg
    v.page.locator("#filter-relation input[value='family']").click()
    assert "r01" not in v.js("trackerView.visibleEdges()")
    v.page.locator("#reset").click()
    assert len(v.js("trackerView.visibleEdges()")) == 18
    v.clean()


def test_hostile_names_run_no_script(open_view: Any) -> None:
    G = build(load([FIXTURES_PATH / "views" / "hostile"]))
    G.graph["sources"]["src-b"]["canonical_url"] = "javascript:window.__pwned=8"
    v = open_view(G, focus="img-person")
    assert v.js("typeof window.__pwned") == "undefined"
    panel = v.page.locator("#panel-body")
    assert panel.locator("h2").inner_text() == '<img src=x onerror="window.__pwned=1">'
    assert "<script>window.__pwned=2</script>" in panel.inner_text()
    assert v.js("document.querySelectorAll('#panel-body img, #panel-body script, #panel-body svg, #panel-body iframe').length") == 0
    assert v.js("trackerView.search('Құлыбаев-Хостиле')") == ["img-person"]
    v.js("trackerView.selectEdge('h2')")
    hrefs = v.js("[...document.querySelectorAll('#panel-body a')].map(a => a.getAttribute('href'))")
    assert hrefs == ["https://example.org/b"]  # the javascript: "original" stays text
    assert "javascript:window.__pwned=8" in panel.inner_text()
    v.js("trackerView.selectEdge('h3')")
    assert '<a href="javascript:window.__pwned=6">click</a>' in panel.inner_text()
    v.page.locator("#search-input").fill("<script>")
    assert v.js("typeof window.__pwned") == "undefined"
    ARTIFACTS.mkdir(exist_ok=True)
    v.page.screenshot(path=str(ARTIFACTS / "view-hostile.png"))
    v.clean()


def test_large_view_uses_fixed_positions(open_view: Any) -> None:
    G = nx.MultiDiGraph(name="ring", content_hash="x", data_date="2024", sources={})
    n = LAYOUT_THRESHOLD + 20
    for i in range(n):
        G.add_node(f"n{i}", kind="person", name=f"Person {i}", sphere="elite", aliases=[], sources=[])
        G.add_edge(f"n{i}", f"n{(i + 1) % n}", key=f"r{i}", kind="associate", directed=False, evidence="news_report", sources=[])
    v = open_view(copy.deepcopy(G))
    assert v.js("trackerView.network.physics.physicsEnabled") is False
    assert v.js("trackerView.edges.length") == n
    v.clean()


def test_screenshot_of_the_focus_view(open_view: Any) -> None:
    G = build(load([MINI_PATH]))
    v = open_view(G, focus="gamma-soninlaw", highlight=[["alpha-ruler", "beta-daughter", "theta-foundation", "pa"]])
    v.js("trackerView.selectEdge('r05')")
    ARTIFACTS.mkdir(exist_ok=True)
    v.page.screenshot(path=str(ARTIFACTS / "view-mini.png"))
    assert (ARTIFACTS / "view-mini.png").stat().st_size > 10_000
    v.clean()


def test_shared_hostile_fixture_is_inert(open_view: Any) -> None:
    """The project-wide hostile fixture: every panel opens, nothing runs, disguises show."""
    G = build(load([FIXTURES_PATH / "hostile"]))
    v = open_view(G)
    for ident in sorted(G.nodes):
        assert v.js("id => trackerView.selectNode(id)", ident) is True
    for key in sorted(k for _, _, k in G.edges(keys=True)):
        assert v.js("id => trackerView.selectEdge(id)", key) is True
    assert v.js("Object.keys(window).filter(k => k.startsWith('__pwned'))") == []
    v.js("trackerView.selectNode('x-rtl')")
    assert v.page.locator("#panel-body h2").inner_text() == "Invoice [U+202E]gnp.exe Holdings"
    assert v.js("trackerView.labelOf('x-rtl')") == "Invoice gnp.exe Holdings"
    assert len(v.js("trackerView.labelOf('x-long')")) == 60
    assert v.js("trackerView.labelOf('x..y:z')") == "{{7*7}} ${7*7} <%= 7*7 %>"
    v.clean()
