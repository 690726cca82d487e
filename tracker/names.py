"""Names across scripts: folding, search and resolving what a user typed to one entity.

People type "Kulibayev", "Kulibaev", "Құлыбаев" or "Кулибаев" for the same man. Every name and
alias is folded to a Latin skeleton (rigour's transliteration, which knows the Kazakh letters,
then a few folds for the usual variants of Russian and Kazakh romanisation) and compared with
rapidfuzz, so search ignores case, accents, script and the order of name parts.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

from rapidfuzz import fuzz, process

from tracker.exc import AmbiguousEntity, UnknownEntity

__all__ = ["fold", "skeleton", "Match", "NameIndex"]

# Romanisation variants of the same Cyrillic letters (BGN/PCGN, scholarly, passport, Kazakh
# Latin 2021): folded together so that any one spelling finds the others. Applied in order,
# after transliteration to ASCII and lower-casing.
_FOLDS: tuple[tuple[str, str], ...] = (
    ("kh", "h"),  # х: Mukhtar / Muhtar
    ("q", "k"),  # қ: Qulybaev / Kulibaev
    ("zh", "j"),  # ж: Zhanaozen / Janaozen
    ("dzh", "j"),
    ("ts", "c"),
    ("yu", "u"),
    ("iu", "u"),
    ("ya", "a"),
    ("ia", "a"),
    ("yo", "o"),
    ("ye", "e"),
    ("w", "v"),
    ("y", "i"),  # ы/й/y: Kulibayev / Kulibaev / Qulybaev
    ("ii", "i"),
    ("ai", "a"),  # Nazarbayev -> nazarbaev after y->i
    ("ei", "e"),
)


@lru_cache(maxsize=65536)
def fold(text: str) -> str:
    """Lower-case ASCII form of a name: any script, accents and punctuation removed.

    Examples
    --------
    >>> fold("Құлыбаев Тимур")
    'qulybaev timur'
    >>> fold("Nazarbayeva, Dariga")
    'nazarbayeva dariga'
    """
    from rigour.text import ascii_text

    text = unicodedata.normalize("NFKC", text)
    ascii_form = ascii_text(text) or ""
    ascii_form = re.sub(r"[^0-9a-zA-Z]+", " ", ascii_form)
    return " ".join(ascii_form.lower().split())


@lru_cache(maxsize=65536)
def skeleton(text: str) -> str:
    """A folded name with romanisation variants collapsed, for matching.

    Examples
    --------
    >>> skeleton("Kulibayev") == skeleton("Кулибаев") == skeleton("Qulybaev")
    True
    >>> skeleton("Mukhtar Ablyazov") == skeleton("Мұхтар Әблязов")
    True
    """
    words = []
    for word in fold(text).split():
        for a, b in _FOLDS:
            word = word.replace(a, b)
        word = re.sub(r"(.)\1+", r"\1", word)  # doubled letters: Massimov / Masimov
        words.append(word)
    return " ".join(words)


@dataclass(frozen=True)
class Match:
    """One search hit: the entity id, its display name, the name that matched and a 0-100 score."""

    id: str
    name: str
    matched: str
    score: float


class NameIndex:
    """Every name and alias of a set of entities, searchable in any script.

    Built once per graph or dataset; `search` ranks entities, `resolve` turns what a user typed
    into exactly one id or raises `UnknownEntity` / `AmbiguousEntity` with close matches.
    """

    def __init__(self, entries: Iterable[tuple[str, str, Iterable[str]]]) -> None:
        self._display: dict[str, str] = {}
        self._keys: list[str] = []
        self._owner: list[tuple[str, str]] = []  # (entity id, original name) per key
        self._exact: dict[str, set[str]] = {}
        for ident, name, aliases in entries:
            self._display[ident] = name
            for n in dict.fromkeys((name, *aliases)):
                key = skeleton(n)
                if not key:
                    continue
                self._keys.append(key)
                self._owner.append((ident, n))
                self._exact.setdefault(key, set()).add(ident)
                self._exact.setdefault(fold(n), set()).add(ident)

    def __len__(self) -> int:
        return len(self._display)

    def search(self, query: str, limit: int = 10, cutoff: float = 60.0) -> list[Match]:
        """Entities whose name or alias resembles `query`, best first (score, then id)."""
        key = skeleton(query)
        if not key:
            return []
        best: dict[str, Match] = {}
        hits = process.extract(key, self._keys, scorer=fuzz.WRatio, limit=max(limit * 5, 50), score_cutoff=cutoff)
        for _, score, pos in hits:
            ident, original = self._owner[pos]
            if self._keys[pos] == key:
                score = 100.0
            prev = best.get(ident)
            if prev is None or score > prev.score:
                best[ident] = Match(ident, self._display[ident], original, round(float(score), 1))
        ranked = sorted(best.values(), key=lambda m: (-m.score, m.id))
        return ranked[:limit]

    def resolve(self, query: str) -> str:
        """The one entity id that `query` names: an id, or a name or alias in any script."""
        q = query.strip()
        if q in self._display:
            return q
        for key in (fold(q), skeleton(q)):
            found = self._exact.get(key)
            if found and len(found) == 1:
                return next(iter(found))
            if found:
                names = ", ".join(f"{self._display[i]} ({i})" for i in sorted(found))
                raise AmbiguousEntity(f"{query!r} names several entities: {names}; give an id")
        close = self.search(q, limit=5)
        if len(close) == 1 and close[0].score >= 90 or (len(close) > 1 and close[0].score >= 90 and close[1].score < close[0].score - 5):
            return close[0].id
        if close and close[0].score >= 90:
            names = ", ".join(f"{m.name} ({m.id})" for m in close if m.score >= close[0].score - 5)
            raise AmbiguousEntity(f"{query!r} names several entities: {names}; give an id")
        hint = "; close matches: " + ", ".join(f"{m.name} ({m.id})" for m in close) if close else ""
        raise UnknownEntity(f"no entity named {query!r}{hint}")
