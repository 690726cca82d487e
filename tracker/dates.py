"""Partial dates (YYYY, YYYY-MM, YYYY-MM-DD) and the as-of test.

Sources often give only a year or a month. A partial date is kept as written and compared as
the interval it covers, so "2007" starts no later than any day of 2007 and ends no earlier than
31 December 2007: a relation is never hidden by an as-of date because its dates are vague.
"""

from __future__ import annotations

import calendar
import re
from datetime import date

__all__ = ["parse_partial", "earliest", "latest", "in_force", "PARTIAL_DATE"]

PARTIAL_DATE = re.compile(r"^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$")


def parse_partial(text: str) -> tuple[date, date]:
    """Return the first and last day that a partial date covers.

    Raises ValueError for anything that is not a real YYYY, YYYY-MM or YYYY-MM-DD date.

    Examples
    --------
    >>> parse_partial("2007")
    (datetime.date(2007, 1, 1), datetime.date(2007, 12, 31))
    >>> parse_partial("2020-02")[1]
    datetime.date(2020, 2, 29)
    """
    m = PARTIAL_DATE.match(text)
    if m is None:
        raise ValueError(f"not a date in the form YYYY, YYYY-MM or YYYY-MM-DD: {text!r}")
    year = int(m.group(1))
    if year < 1000:
        raise ValueError(f"year out of range: {text!r}")
    if m.group(2) is None:
        return date(year, 1, 1), date(year, 12, 31)
    month = int(m.group(2))
    if not 1 <= month <= 12:
        raise ValueError(f"month out of range: {text!r}")
    if m.group(3) is None:
        return date(year, month, 1), date(year, month, calendar.monthrange(year, month)[1])
    try:
        day = date(year, month, int(m.group(3)))
    except ValueError:
        raise ValueError(f"no such day: {text!r}") from None
    return day, day


def earliest(text: str) -> date:
    return parse_partial(text)[0]


def latest(text: str) -> date:
    return parse_partial(text)[1]


def in_force(start: str, end: str, as_of: str) -> bool:
    """Whether a relation with these (possibly empty or partial) dates holds on `as_of`.

    Empty means open: no start is "always was", no end is "still is". Partial dates count in the
    relation's favour (see the module docstring).

    Examples
    --------
    >>> in_force("2007", "", "2007-06-01")
    True
    >>> in_force("2008", "", "2007-12-31")
    False
    >>> in_force("", "2020-04", "2020-04-30")
    True
    """
    day_from, day_to = parse_partial(as_of)
    if start and earliest(start) > day_to:
        return False
    if end and latest(end) < day_from:
        return False
    return True
