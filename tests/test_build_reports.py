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
