"""Hand-checked ownership chains: direct, indirect, joint, nominee, circular, parallel and unknown shares.

The fixture tests/fixtures/analysis/ownership follows the shapes of the BODS examples
(indirect-ownership, joint-ownership, nomination, multiple-indirect-ownership).
"""

from __future__ import annotations

import json

import networkx as nx
import pytest

from tests.conftest import FIXTURES_PATH
from tracker.chains import chains_to_dict, format_chains, most_owned, owners_frame, ownership_chains, paths_frame
from tracker.cli import cli
from tracker.dataset import load
from tracker.graph import build
from tracker.report import render

OWNERSHIP_PATH = FIXTURES_PATH / "analysis" / "ownership"


@pytest.fixture(scope="module")
def G() -> nx.MultiDiGraph:
    return build(load([OWNERSHIP_PATH]))


def owners(G: nx.MultiDiGraph, entity: str, direction: str = "up", **kw: object) -> dict[str, dict[str, object]]:
    return {o["id"]: o for o in ownership_chains(G, entity, direction, **kw).owners}


def test_direct_with_parallel_unknown_control(G: nx.MultiDiGraph) -> None:
    o = owners(G, "co-direct")
    # 60% direct, plus control through Dormant Holdings with no share: a floor, no ceiling.
    assert (o["p-direct"]["share_min"], o["p-direct"]["share_max"]) == (60.0, None)
    assert o["p-direct"]["psc"] == ">50%" and o["p-direct"]["psc_possible"] == ">75%"
    assert o["p-direct"]["paths"] == 2 and o["p-direct"]["ultimate"] is True
    assert (o["hold-d"]["share_min"], o["hold-d"]["share_max"], o["hold-d"]["basis"]) == (None, None, "unknown")


def test_indirect_declared_is_not_double_counted(G: nx.MultiDiGraph) -> None:
    o = owners(G, "co-indirect")
    # 50% x 60% = 30% hop by hop, and the register declares 30% indirect: 30%, not 60%.
    assert (o["p-indirect"]["share_min"], o["p-indirect"]["share_max"]) == (30.0, 30.0)
    assert o["p-indirect"]["basis"] == "declared" and o["p-indirect"]["psc"] == ">25%"
    assert o["hold-a"]["share"] == 60.0 and o["hold-a"]["ultimate"] is False
    ch = ownership_chains(G, "co-indirect")
    computed = [p for p in ch.paths if not p.declared]
    assert [(p.nodes, p.share) for p in computed] == [
        (["co-indirect", "hold-a"], (60.0, 60.0)),
        (["co-indirect", "hold-a", "p-indirect"], (30.0, 30.0)),
    ]


def test_joint_ownership_with_a_range(G: nx.MultiDiGraph) -> None:
    o = owners(G, "co-joint")
    assert o["p-joint-1"]["share"] == 50.0 and o["p-joint-1"]["psc"] == ">25%"
    assert (o["p-joint-2"]["share_min"], o["p-joint-2"]["share_max"], o["p-joint-2"]["share"]) == (40.0, 60.0, None)
    assert o["p-joint-2"]["psc"] == ">25%" and o["p-joint-2"]["psc_possible"] == ">50%"
    assert o["joint-arr"]["psc"] == ">75%"


def test_nominee(G: nx.MultiDiGraph) -> None:
    o = owners(G, "co-nominee")
    assert o["nominee-ltd"]["share"] == 100.0  # legal title
    nominator = o["p-nominator"]
    # "more than 75%" recorded as 75-100: certainly above 50, possibly above 75.
    assert (nominator["share_min"], nominator["share_max"], nominator["basis"]) == (75.0, 100.0, "declared")
    assert (nominator["psc"], nominator["psc_possible"]) == (">50%", ">75%")


def test_circular_ownership_is_reported_not_followed(G: nx.MultiDiGraph) -> None:
    ch = ownership_chains(G, "cyc-b")
    assert ch.cycles == [["cyc-a", "cyc-b", "cyc-a"]]
    assert [p.nodes for p in ch.paths] == [["cyc-b", "cyc-a"], ["cyc-b", "cyc-a", "p-circ"]]
    o = {x["id"]: x for x in ch.owners}
    assert o["cyc-a"]["share"] == 50.0 and o["p-circ"]["share"] == 25.0
    assert "cyc-b" not in o
    down = ownership_chains(G, "p-circ", "down")
    assert down.cycles == [["cyc-a", "cyc-b", "cyc-a"]]
    assert {x["id"]: x["share"] for x in down.owners} == {"cyc-a": 50.0, "cyc-b": 25.0}


def test_parallel_paths_add(G: nx.MultiDiGraph) -> None:
    o = owners(G, "co-multi")
    assert o["p-multi"]["share"] == 35.0 and o["p-multi"]["paths"] == 2
    down = owners(G, "p-multi", "down")
    assert down["co-multi"]["share"] == 35.0 and down["m-a"]["share"] == 100.0


def test_min_share_keeps_unknown(G: nx.MultiDiGraph) -> None:
    o = owners(G, "co-multi", min_share=30)
    assert sorted(o) == ["p-multi"]
    o = owners(G, "co-direct", min_share=99)
    assert sorted(o) == ["hold-d", "p-direct"]  # unknown ceilings may be above


def test_no_owners_and_bad_input(G: nx.MultiDiGraph) -> None:
    ch = ownership_chains(G, "lone-island")
    assert ch.paths == [] and ch.owners == []
    assert "none recorded" in format_chains(G, ch)
    with pytest.raises(Exception, match="no entity with id"):
        ownership_chains(G, "nobody")


def test_depth_limit_truncates(G: nx.MultiDiGraph) -> None:
    ch = ownership_chains(G, "co-indirect", max_depth=1)
    assert ch.truncated and all(len(p.hops) == 1 for p in ch.paths)


def test_hops_carry_relations_and_sources(G: nx.MultiDiGraph) -> None:
    ch = ownership_chains(G, "co-direct")
    hop = ch.paths[0].hops[0]
    assert hop["owner"] == "hold-d" and hop["relations"][0]["id"] == "o03"
    assert hop["relations"][0]["sources"][0]["url"] == "https://news.example.com/owners"
    data = json.loads(json.dumps(chains_to_dict(G, ch)))
    assert data["owners"][0]["id"] == "p-direct" and data["paths"][0]["share_min"] is None
    text = format_chains(G, ch)
    assert "source: Who owns the circle, =and why, Example News, 2021-03, https://news.example.com/owners (news_report)" in text


def test_frames_render_deterministically(G: nx.MultiDiGraph) -> None:
    ch = ownership_chains(G, "co-direct")
    a = render(paths_frame(G, ch), "csv")
    assert a == render(paths_frame(G, ownership_chains(G, "co-direct")), "csv")
    assert a.splitlines()[1].startswith("1,hold-d,Dormant Holdings Ltd,1,,,false,,>75%,Direct Co Ltd > Dormant Holdings Ltd,o03,news-2021")
    df = owners_frame(ch)
    assert df.loc["p-direct", "share_max"] is None


def test_most_owned(G: nx.MultiDiGraph) -> None:
    assert most_owned(G, 3) == ["co-direct", "co-indirect", "co-multi"]


def test_cli_chains_json_and_text(cli_runner) -> None:  # type: ignore[no-untyped-def]
    args = ["chains", "--data", str(OWNERSHIP_PATH)]
    result = cli_runner.invoke(cli, [*args, "Марат Мультов", "--down", "--format", "json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["entity"] == "p-multi" and [h["id"] for h in data["holdings"]][-1] == "co-multi"
    result = cli_runner.invoke(cli, [*args, "cyc-b", "--format", "text"])
    assert result.exit_code == 0 and "Circle A Ltd owns Circle B Ltd owns Circle A Ltd" in result.stdout
    result = cli_runner.invoke(cli, [*args, "co-joint", "--format", "md"])
    assert result.exit_code == 0 and "| p-joint-2 | Roman Jointov |" in result.stdout
    result = cli_runner.invoke(cli, [*args, "co-multi", "--format", "csv", "--min-share", "30"])
    assert result.exit_code == 0 and result.stdout.count("\n") == 3  # header + two paths to p-multi
    # Piped without --format: JSON.
    assert json.loads(cli_runner.invoke(cli, [*args, "co-multi"]).stdout)["entity"] == "co-multi"


def test_cli_chains_errors(cli_runner) -> None:  # type: ignore[no-untyped-def]
    result = cli_runner.invoke(cli, ["chains", "--data", str(OWNERSHIP_PATH), "Nobody Atall"])
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr.startswith("Error: no entity named 'Nobody Atall'")
    result = cli_runner.invoke(cli, ["chains", "--data", str(OWNERSHIP_PATH), "co-multi", "--min-share", "150"])
    assert result.exit_code == 2
