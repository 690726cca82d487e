"""Rows of data as text: an aligned table, CSV, JSON or Markdown, without pandas.

The one writer of the tables commands print (`tracker report`, `search`, `chains`): the report's
DataFrames go through `tracker.report.render`, which hands its rows here, and the quick
commands pass plain rows, so that `tracker search` starts without importing pandas. Missing
values are empty (JSON null); floats are rounded to 6 places (4 in a table); a CSV text cell a
spreadsheet would run as a formula is neutralised (`tracker.export.common.safe_cell`).
"""

from __future__ import annotations

import io
import json
import math
from collections.abc import Mapping, Sequence
from typing import Any

__all__ = ["FORMATS", "cell_value", "cell_text", "csv_cell", "render_rows", "share_text"]

FORMATS = ("table", "csv", "json", "md")


def cell_value(value: Any) -> Any:
    """A cell as plain JSON-able data: None for missing/NaN, floats rounded to 6 places, lists joined.

    Examples
    --------
    >>> cell_value(float("nan")), cell_value(0.1234567891), cell_value(["a", "b"]), cell_value(3)
    (None, 0.123457, 'a;b', 3)
    """
    if value is None:
        return None
    if isinstance(value, (list, tuple, set)):
        return ";".join(str(v) for v in value)
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):
        value = value.item()  # numpy scalar -> Python
    if isinstance(value, bool):
        return value
    if isinstance(value, float):
        if math.isnan(value):
            return None
        out = round(value, 6)
        return 0.0 if out == 0 else out
    return value


def cell_text(value: Any, table: bool = False) -> str:
    """A cell as text: empty for missing, booleans in lower case, floats to 4 places in a table."""
    v = cell_value(value)
    if v is None:
        return ""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float):
        return f"{v:.4f}".rstrip("0").rstrip(".") if table else repr(v)
    return str(v)


def csv_cell(value: Any) -> str:
    """A cell as CSV text, a would-be formula neutralised."""
    v = cell_value(value)
    from tracker.export.common import safe_cell  # the export package: only when a cell is written

    return safe_cell(v) if isinstance(v, str) else cell_text(v)


def render_rows(columns: Sequence[str], rows: Sequence[Sequence[Any]], fmt: str, notes: Mapping[str, str] | None = None) -> str:
    """Render rows (the first column is the key) as ``table``, ``csv``, ``json`` or ``md`` text.

    JSON is ``{"notes": {...}, "rows": [...]}``; CSV carries no notes (they go to stderr).

    Examples
    --------
    >>> print(render_rows(["id", "name", "score"], [["a", "=cmd", 0.5], ["b", "Б", None]], "csv"), end="")
    id,name,score
    a,'=cmd,0.5
    b,Б,
    >>> print(render_rows(["id", "name", "score"], [["a", "=cmd", 0.5], ["b", "Б", None]], "table"), end="")
    id  name  score
    --  ----  -----
    a   =cmd    0.5
    b   Б
    """
    notes = dict(notes or {})
    if fmt == "csv":
        buf = io.StringIO()
        from tracker.export.common import safe_cell, write_csv_rows

        write_csv_rows(buf, [safe_cell(str(c)) for c in columns], ([csv_cell(v) for v in row] for row in rows), crlf=False)
        return buf.getvalue()
    values = [[cell_value(v) for v in row] for row in rows]
    if fmt == "json":
        data = {"notes": notes, "rows": [dict(zip(columns, row)) for row in values]}
        return json.dumps(data, ensure_ascii=False, indent=2) + "\n"
    if fmt == "md":

        def esc(s: str) -> str:
            return s.replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ").replace("\r", " ")

        lines = ["| " + " | ".join(esc(c) for c in columns) + " |", "|" + "|".join(" --- " for _ in columns) + "|"]
        lines += ["| " + " | ".join(esc(cell_text(v, table=True)) for v in row) + " |" for row in values]
        if notes:
            lines.append("")
            lines += [f"- {esc(k)}: {esc(v)}" for k, v in notes.items()]
        return "\n".join(lines) + "\n"
    if fmt == "table":
        cells = [[cell_text(v, table=True).replace("\n", " ") for v in row] for row in values]
        numeric = [
            bool(values) and all(v is None or (isinstance(v, (int, float)) and not isinstance(v, bool)) for v in col)
            for col in zip(*values)
        ] or [False] * len(columns)
        widths = [max([len(c), *(len(r[i]) for r in cells)]) for i, c in enumerate(columns)]

        def line(parts: Sequence[str]) -> str:
            return "  ".join(p.rjust(w) if numeric[i] else p.ljust(w) for i, (p, w) in enumerate(zip(parts, widths))).rstrip()

        out = [line(list(columns)), line(["-" * w for w in widths])] + [line(r) for r in cells]
        if notes:
            out.append("")
            out += [f"# {k}: {v}" for k, v in notes.items()]
        return "\n".join(out) + "\n"
    raise ValueError(f"unknown format {fmt!r}; choose from {', '.join(FORMATS)}")


def share_text(d: Mapping[str, Any]) -> str:
    """A relation's ownership share as short text: "20%", "25–50%", "≥25%", "≤50%", or "" when none.

    The one formatter of a relation's `share` / `share_min` / `share_max` (the view, the dossier,
    `tracker path` and `neighbours`); an effective share along a chain is `tracker.chains`'.

    Examples
    --------
    >>> share_text({"share": 20.0}), share_text({"share_min": 25.0, "share_max": 50.0}), share_text({"share_min": 75.0}), share_text({})
    ('20%', '25–50%', '≥75%', '')
    """

    def num(x: Any) -> str | None:
        if x is None or (isinstance(x, float) and math.isnan(x)):
            return None
        return f"{float(x):g}"

    share, low, high = num(d.get("share")), num(d.get("share_min")), num(d.get("share_max"))
    if share is not None:
        return f"{share}%"
    if low is not None and high is not None:
        return f"{low}–{high}%"
    if low is not None:
        return f"≥{low}%"
    if high is not None:
        return f"≤{high}%"
    return ""
