"""The build's report tables at scale: float columns written once per distinct value, same text."""

from __future__ import annotations

import math

import pandas as pd

from tracker.report import _csv_column, render


def test_a_float_column_with_repeats_is_written_value_by_value_the_same() -> None:
    # 4 values repeated 600 times: the distinct-value path (more than 1000 cells, under half distinct).
    column = pd.Series([0.1234567, -0.0, math.nan, 2.0, 1e-7] * 600)
    assert _csv_column(column)[:5] == ["0.123457", "0.0", "", "2.0", "0.0"]
    assert _csv_column(column) == ["0.123457", "0.0", "", "2.0", "0.0"] * 600
    # Few cells, or mostly distinct: the plain path, the same rules.
    assert _csv_column(pd.Series([0.1234567, -0.0, math.nan, 2.5e-6])) == ["0.123457", "0.0", "", "3e-06"]
    distinct = pd.Series([i / 7 for i in range(3000)])
    assert _csv_column(distinct)[:3] == ["0.0", "0.142857", "0.285714"] and len(set(_csv_column(distinct))) == 3000


def test_render_csv_of_a_large_table_keeps_row_order() -> None:
    df = pd.DataFrame({"score": [0.5, 0.25] * 1000}, index=pd.Index([f"e{i:04d}" for i in range(2000)], name="id"))
    lines = render(df, "csv").splitlines()
    assert lines[:3] == ["id,score", "e0000,0.5", "e0001,0.25"] and lines[-1] == "e1999,0.25" and len(lines) == 2001


def test_order_by_a_metric_then_id_on_tables_in_turn() -> None:
    from tracker.metrics import _order

    first = pd.DataFrame({"degree": [1, 1, 0], "pagerank": [0.2, 0.5, 0.3]}, index=pd.Index(["b", "a", "c"], name="id"))
    assert _order(first, [("degree", False)]).tolist() == [1, 0, 2]  # a, b (degree 1, by id), then c
    assert _order(first, [("pagerank", False)]).tolist() == [1, 2, 0]  # the same table again: a, c, b
    # Another table of the same size: its own ids decide the ties, not the last table's.
    second = pd.DataFrame({"degree": [1, 1, 0]}, index=pd.Index(["a", "c", "b"], name="id"))
    assert _order(second, [("degree", False)]).tolist() == [0, 1, 2]
    assert _order(first, [("degree", True)]).tolist() == [2, 1, 0]  # back to the first: c, then a, b


def test_write_csv_a_slice_at_a_time_is_the_rendered_text(tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import tracker.report as report

    df = pd.DataFrame(
        {
            "name": ["=cmd", 'Бank, "Ltd"', "plain", None, "Ωmega", "x"],
            "score": [0.1234567, math.nan, -0.0, 2.0, 1e-7, 3.5],
            "degree": [3, 2, 1, 0, 7, 9],
            "offshore": [True, False, True, False, True, True],
        },
        index=pd.Index(["a", "b", "c", "d", "e", "f"], name="id"),
    )
    monkeypatch.setattr(report, "CSV_SLICE_ROWS", 4)  # two slices, the second short
    path = report.write_csv(tmp_path / "t.csv", df)
    text = path.read_bytes().decode("utf-8")
    # Worked out by hand: the header, then each row; a formula neutralised, quotes doubled,
    # floats to 6 places, NaN empty, -0.0 as 0.0, a missing name empty.
    assert text == (
        "id,name,score,degree,offshore\n"
        "a,'=cmd,0.123457,3,true\n"
        'b,"Бank, ""Ltd""",,2,false\n'
        "c,plain,0.0,1,true\n"
        "d,,2.0,0,false\n"
        "e,Ωmega,0.0,7,true\n"
        "f,x,3.5,9,true\n"
    )
    assert text == render(df, "csv")
    assert report.write_csv(tmp_path / "empty.csv", df.iloc[:0]).read_text(encoding="utf-8") == "id,name,score,degree,offshore\n"
