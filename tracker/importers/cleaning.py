"""Cleaning the values of bulk data: ids, text cells, partial dates and country codes.

Every importer passes what it reads through these, so that one rule decides what an id, a cell,
a date or a country is, whatever the format. Each is cached where bulk data repeats values
millions of times.
"""

from __future__ import annotations

import functools
import hashlib
import re
import unicodedata
from collections.abc import Iterable
from typing import Any

__all__ = ["slug", "make_id", "clean_text", "guard_formula", "clean_date", "country_code", "country_name", "first", "MAX_CELL"]

_ID_BAD = re.compile(r"[^a-z0-9._:-]+")
FORMULA_START = ("=", "+", "-", "@")
MAX_CELL = 10_000
MONTHS = {m: i for i, m in enumerate("jan feb mar apr may jun jul aug sep oct nov dec".split(), 1)}


def slug(text: str) -> str:
    """A lower-case id fragment of `text`: ASCII, runs of other characters become '-'.

    Examples
    --------
    >>> slug("Federal Public Service Finance")
    'federal-public-service-finance'
    >>> slug("Қазақстан")
    'qazaqstan'
    """
    from rigour.text import ascii_text

    ascii_form = ascii_text(unicodedata.normalize("NFKC", text)) or ""
    return _ID_BAD.sub("-", ascii_form.lower()).strip("-._:")


def make_id(prefix: str, *parts: str) -> str:
    """A readable, collision-free id: `prefix:part:part`, lower-cased and sanitised.

    When sanitising loses information (upper case, other characters) a short hash of the
    original parts is appended, so that two original ids that differ only in case
    ("NK-Ab" and "NK-aB") never meet, and the id depends on the original alone (re-imports give
    the same ids, which a decisions file relies on).

    Examples
    --------
    >>> make_id("icij", "12000001")
    'icij:12000001'
    >>> make_id("ftm", "NK-2Tbri")
    'ftm:nk-2tbri-47150734'
    """
    raw = ":".join(parts)
    if all(p.isdigit() and p.isascii() for p in parts) and len(raw) + len(prefix) < 200:
        return f"{prefix}:{raw}"  # the common case of bulk data (numeric ids): nothing to clean
    clean = ":".join(_ID_BAD.sub("-", p.lower()).strip("-") or "x" for p in parts)
    ident = f"{prefix}:{clean}"
    lossy = clean != raw
    if lossy or len(ident) > 200:
        digest = hashlib.sha1(raw.encode("utf-8")).hexdigest()[:8]
        ident = f"{ident[:190]}-{digest}"
    return ident


def clean_text(value: Any, limit: int = MAX_CELL) -> str:
    """Text fit for a cell: NFC, no control characters but tab and newline, trimmed, bounded.

    Examples
    --------
    >>> clean_text(" Omega" + chr(0) + "Ltd" + chr(13) + chr(10)), clean_text("Cafe" + chr(0x301)) == "Caf" + chr(0xE9)
    ('Omega Ltd', True)
    """
    if value is None:
        return ""
    text = value if type(value) is str else str(value)
    # Most cells are printable (no control, format or line-separator characters) and already
    # NFC: for them cleaning is only a strip. This check runs in C and is what keeps a
    # multi-million-row import from spending most of its time here; the slow path is the rule.
    if text.isprintable() and (text.isascii() or unicodedata.is_normalized("NFC", text)):
        text = text.strip()
    else:
        text = unicodedata.normalize("NFC", text).replace("\r\n", "\n").replace("\r", "\n")
        text = "".join(c if (c >= " " or c in "\n\t") else " " for c in text).strip()
    if len(text) > limit:
        text = text[: limit - 1].rstrip() + "…"
    return text


def guard_formula(text: str) -> str:
    # A cell starting with = + - @ runs as a formula in a spreadsheet (CSV injection); a leading
    # apostrophe is what spreadsheets themselves use to mark text.
    return "'" + text if text.startswith(FORMULA_START) else text


def clean_date(value: Any) -> str:
    """A partial date (YYYY, YYYY-MM, YYYY-MM-DD) from the date forms bulk data uses, or "".

    Examples
    --------
    >>> clean_date("2019-09-11T11:17:23Z"), clean_date("20-JAN-2004"), clean_date("1961-12"), clean_date("n/a")
    ('2019-09-11', '2004-01-20', '1961-12', '')
    >>> clean_date("31/12/2010"), clean_date("2020-02-30")
    ('2010-12-31', '')
    """
    if type(value) is str:
        return _clean_date_cached(value)
    return _clean_date(value)


@functools.lru_cache(maxsize=1 << 16)
def _clean_date_cached(value: str) -> str:
    # Bulk data repeats the same few thousand dates millions of times.
    return _clean_date(value)


def _clean_date(value: Any) -> str:
    from tracker.dates import parse_partial

    text = clean_text(value, 64)
    if not text:
        return ""
    m = re.match(r"^(\d{4})(?:-(\d{1,2})(?:-(\d{1,2}))?)?(?:[T ].*)?$", text)
    if m:
        y, mo, d = m.groups()
        out = y + (f"-{int(mo):02d}" if mo else "") + (f"-{int(d):02d}" if d else "")
    else:
        m = re.match(r"^(\d{1,2})[-/. ]([A-Za-z]{3})[A-Za-z]*[-/. ](\d{4})$", text)
        if m and m.group(2).lower() in MONTHS:
            out = f"{m.group(3)}-{MONTHS[m.group(2).lower()]:02d}-{int(m.group(1)):02d}"
        else:
            m = re.match(r"^(\d{1,2})[/.](\d{1,2})[/.](\d{4})$", text)
            if not m:
                return ""
            out = f"{m.group(3)}-{int(m.group(2)):02d}-{int(m.group(1)):02d}"
    try:
        parse_partial(out)
    except ValueError:
        return ""
    return out


_COUNTRIES: frozenset[str] | None = None


def country_code(value: str) -> str:
    """An ISO 3166-1 alpha-2 code (lower case) for a code or name in any usual form, or "".

    Alpha-3 (ICIJ's "KAZ"), alpha-2, sub-national codes ("US-DE" -> "us") and names
    ("England" -> "gb") go through rigour's territory table.

    Examples
    --------
    >>> country_code("KAZ"), country_code("VGB"), country_code("US-DE"), country_code("England"), country_code("XXX")
    ('kz', 'vg', 'us', 'gb', '')
    """
    if value is None:
        return ""
    return _country_code(value) if type(value) is str else _country_code(str(value))


@functools.lru_cache(maxsize=1 << 14)
def _country_code(value: str) -> str:
    # Millions of rows name a few hundred countries; the territory lookup is the slow part.
    global _COUNTRIES
    from rigour.territories import get_territories, get_territory, lookup_territory

    if _COUNTRIES is None:
        _COUNTRIES = frozenset(t.code for t in get_territories() if len(t.code) == 2)
    text = clean_text(value, 200)
    if not text:
        return ""
    low = text.lower()
    if low in _COUNTRIES:
        return low
    terr = get_territory(low) if len(low) <= 3 else None
    if terr is None and "-" in low and low.split("-")[0] in _COUNTRIES:
        return low.split("-")[0]
    if terr is None:
        terr = lookup_territory(text)
    while terr is not None and terr.code not in _COUNTRIES:
        parent = terr.parent
        terr = parent if parent is not None and parent is not terr else None
    if terr is None:
        return ""
    return terr.code if terr.code in _COUNTRIES else ""


def country_name(code: str) -> str:
    from rigour.territories import get_territory

    terr = get_territory(code)
    return terr.name if terr is not None else code.upper()


def first(values: Iterable[Any]) -> str:
    """The first non-empty value as cleaned text, or ""."""
    for v in values:
        text = clean_text(v)
        if text:
            return text
    return ""
