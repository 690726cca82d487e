"""Names across scripts: folding, search and resolving what a user typed to one entity.

People type "Kulibayev", "Kulibaev", "Құлыбаев" or "Кулибаев" for the same man. Every name and
alias is folded to a Latin skeleton (rigour's transliteration, which knows the Kazakh letters,
then a few folds for the usual variants of Russian and Kazakh romanisation) and compared with
rapidfuzz, so search ignores case, accents, script and the order of name parts.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from tracker.exc import AmbiguousEntity, UnknownEntity

__all__ = [
    "fold",
    "skeleton",
    "tokens",
    "word_similarity",
    "close_words",
    "length_window",
    "NameScore",
    "score_words",
    "score_name",
    "Match",
    "Resolution",
    "NameIndex",
    "SEARCH_COLUMNS",
]

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
    text = unicodedata.normalize("NFKC", text)
    # Transliterated word by word, each distinct word once: rigour takes about a millisecond
    # per non-Latin string, which was most of compiling a store of a million names (the
    # result is the same as transliterating the whole name; tests/test_names.py checks it).
    ascii_form = text if text.isascii() else " ".join(_ascii_word(word) for word in text.split())
    ascii_form = re.sub(r"[^0-9a-zA-Z]+", " ", ascii_form)
    return " ".join(ascii_form.lower().split())


@lru_cache(maxsize=1 << 20)
def _ascii_word(word: str) -> str:
    from rigour.text import ascii_text

    return ascii_text(word) or ""


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


# A word of the query and a word of a name are "the same word" when their skeletons are equal or
# differ by a spelling slip or romanisation variant the folds miss: rapidfuzz's normalised Indel
# similarity at least TOKEN_MIN ("kulbaev"/"kulibaev" 93, "machkevich"/"mashkevich" 90), but not
# a different first name ("nurlan"/"nursultan" 80, "dariga"/"dinara" 67).
TOKEN_MIN = 85.0
# 1 - TOKEN_MIN / 100: the share of two words' lengths added that their Indel distance may reach.
TOKEN_SLACK = 0.15
# A name that is not an exact id, name or alias is taken only when every word of the query is
# matched, the name scores at least RESOLVE_MIN on both sides (query words found in the name, and
# the name's words found in the query), and no other entity comes within RESOLVE_MARGIN of it.
RESOLVE_MIN = 90.0
RESOLVE_MARGIN = 5.0
# Candidates named in an "unknown" or "ambiguous" error.
CANDIDATES_SHOWN = 8
# The columns of a search result row (`tracker search`, `tracker.paths.search`).
SEARCH_COLUMNS = ("id", "name", "matched", "score", "kind", "sphere")


def tokens(text: str) -> tuple[str, ...]:
    """The words of a name as skeletons, the unit every score is made of.

    Examples
    --------
    >>> tokens("Тимур Кулибаев"), tokens("Kulibayev, Timur")
    (('timur', 'kulibaev'), ('kulibaev', 'timur'))
    """
    return tuple(skeleton(text).split())


_RAPIDFUZZ: Any = None


def _rapidfuzz() -> Any:
    """rapidfuzz's ``(fuzz, process)``, imported on first use: a page folds its names into search
    keys (`fold`, `skeleton`) without comparing any, and the import is a few hundredths of a second."""
    global _RAPIDFUZZ
    if _RAPIDFUZZ is None:
        from rapidfuzz import fuzz, process

        _RAPIDFUZZ = (fuzz, process)
    return _RAPIDFUZZ


def word_similarity(a: str, b: str) -> float:
    """How alike two skeleton words are, 0-100, with anything below `TOKEN_MIN` counted as 0.

    Examples
    --------
    >>> word_similarity("kulbaev", "kulibaev"), word_similarity("nurlan", "nursultan")
    (93.3, 0.0)
    """
    if a == b:
        return 100.0
    r = float(_rapidfuzz()[0].ratio(a, b, score_cutoff=TOKEN_MIN))
    return round(r, 1) if r >= TOKEN_MIN else 0.0


def length_window(word: str) -> tuple[int, int]:
    """The shortest and longest words that can be close to `word` (a superset: rapidfuzz decides).

    Two words' Indel distance is at least their difference in length, and a ratio of
    `TOKEN_MIN` allows a distance of `TOKEN_SLACK` of their lengths added.

    Examples
    --------
    >>> length_window("kulibaev")
    (5, 11)
    """
    n = len(word)
    return math.floor(n * (1 - TOKEN_SLACK) / (1 + TOKEN_SLACK)), math.ceil(n * (1 + TOKEN_SLACK) / (1 - TOKEN_SLACK))


def close_words(query: Iterable[str], vocabulary: Sequence[str]) -> dict[tuple[str, str], float]:
    """``(query word, word) -> similarity`` for each word of `vocabulary` close to a query word.

    The similarity as `word_similarity` gives it (100 for the same word, else rapidfuzz's
    ratio rounded to a tenth, at least `TOKEN_MIN`): the one definition of "close" that the
    in-memory index and the store's search both use.

    Examples
    --------
    >>> close_words(["kulibaev"], ["kulbaev", "kulibaev", "nazarbaev"])
    {('kulibaev', 'kulibaev'): 100.0, ('kulibaev', 'kulbaev'): 93.3}
    """
    close: dict[tuple[str, str], float] = {}
    fuzz, process = _rapidfuzz()
    for q in dict.fromkeys(query):
        for w, s, _ in process.extract(q, vocabulary, scorer=fuzz.ratio, score_cutoff=TOKEN_MIN, limit=None):
            close[q, w] = 100.0 if w == q else round(float(s), 1)
    return close


@dataclass(frozen=True)
class NameScore:
    """How well one name answers a query.

    `score` (0-100) ranks search hits: mostly how much of the query the name holds, a little
    how much of the name the query holds, so a surname finds everyone who bears it and the
    fuller name wins. `full` weighs both sides equally; resolution uses it, so "Timur" is not
    taken for "Timur Kulibayev". `exact` counts query words that are words of the name (after
    transliteration); `complete` is True when every query word is matched.
    """

    score: float
    full: float
    exact: int
    complete: bool


def score_words(query: tuple[str, ...], name: tuple[str, ...], similarity: Any = word_similarity) -> NameScore | None:
    """Score a name's words against a query's words; None when no word is shared or close.

    The one scoring rule of search and resolution: a pure function of the two word lists, so it
    gives the same answer over names fetched from any store. `similarity(q, n)` must equal
    `word_similarity` (an index passes a faster lookup of the same values). Words weigh by their
    length, so a long surname counts more than an initial.
    """
    if not query or not name:
        return None
    best_n = dict.fromkeys(range(len(name)), 0.0)
    q_sum = 0.0
    exact = 0
    complete = True
    for q in query:
        best = 0.0
        for i, n in enumerate(name):
            s = similarity(q, n)
            if s > best:
                best = s
            if s > best_n[i]:
                best_n[i] = s
        if best == 0.0:
            complete = False
        exact += best == 100.0
        q_sum += best * len(q)
    if q_sum == 0.0:
        return None
    q_len = sum(len(q) for q in query)
    n_sum = sum(best_n[i] * len(n) for i, n in enumerate(name))
    n_len = sum(len(n) for n in name)
    q_side = q_sum / q_len
    full = (q_sum + n_sum) / (q_len + n_len)
    return NameScore(round(0.8 * q_side + 0.2 * full, 1), round(full, 1), exact, complete)


def score_name(query: str, name: str) -> NameScore | None:
    """`score_words` on two texts in any script.

    Examples
    --------
    >>> score_name("Timur Kulbayev", "Timur Kulibayev").full
    96.0
    >>> score_name("Кулибаев", "United Arab Emirates ОАЭ") is None
    True
    >>> score_name("Nurlan Nazarbayev", "Nursultan Nazarbayev").complete
    False
    """
    return score_words(tokens(query), tokens(name))


@dataclass(frozen=True)
class Match:
    """One search hit: the entity id, its display name, the name that matched and a 0-100 score.

    `full` and `exact` are `NameScore`'s, for the best-matching name of the entity.
    """

    id: str
    name: str
    matched: str
    score: float
    full: float = 0.0
    exact: int = 0
    complete: bool = False


@dataclass(frozen=True)
class Resolution:
    """The entity a query was resolved to, and the notice to show when it was not an exact name.

    `notice` is None for an id, or a name or alias spelt exactly (case, accents, punctuation,
    script, romanisation and word order aside); otherwise one line naming whom was chosen and why, which the
    caller must show (the CLI prints it on stderr).
    """

    id: str
    query: str
    score: float = 100.0
    matched: str = ""
    notice: str | None = None


def _exact_key(name: str) -> str:
    """What two spellings of one name share: its words as skeletons, in order of the alphabet.

    Names equal under this key are the same name written in another script, romanisation,
    case or word order ("Тимур Кулибаев", "Kulibaev Timur", "Timur Kulibayev"); they resolve
    without a notice.
    """
    return " ".join(sorted(tokens(name)))


class NameIndex:
    """Every name and alias of a set of entities, searchable in any script.

    Built from (id, name, aliases) rows, from a graph or from any table of names; `search`
    ranks entities, `resolve` turns what a user typed into exactly one entity or raises
    `UnknownEntity` / `AmbiguousEntity` naming the best candidates.
    """

    def __init__(self, entries: Iterable[tuple[str, str, Iterable[str]]], keys: Mapping[str, str] | None = None) -> None:
        # `keys`: each name's `skeleton`, when already known (the store keeps them), so that
        # an index over thousands of candidates does not transliterate them again.
        self._display: dict[str, str] = {}
        self._names: list[tuple[str, str, tuple[str, ...]]] = []  # (entity id, original name, words)
        self._postings: dict[str, list[int]] = {}
        self._exact: dict[str, set[str]] = {}
        for ident, name, aliases in entries:
            self._display[ident] = name
            for n in dict.fromkeys((name, *aliases)):
                known = keys.get(n) if keys is not None else None
                words = tuple(known.split()) if known is not None else tokens(n)
                if not words:
                    continue
                pos = len(self._names)
                self._names.append((ident, n, words))
                for w in dict.fromkeys(words):
                    self._postings.setdefault(w, []).append(pos)
                self._exact.setdefault(" ".join(sorted(words)), set()).add(ident)  # `_exact_key`, words known
        self._vocabulary = list(self._postings)

    def __len__(self) -> int:
        return len(self._display)

    def name(self, ident: str) -> str:
        """The display name of an entity."""
        return self._display[ident]

    def _score_all(self, query: str) -> list[Match]:
        """Every entity with a name sharing a word (or a close one) with `query`, best name each."""
        words = tokens(query)
        if not words:
            return []
        close = close_words(words, self._vocabulary)
        positions: set[int] = set()
        for _, w in close:
            positions.update(self._postings[w])

        def similarity(q: str, n: str) -> float:
            return close.get((q, n), 0.0)

        best: dict[str, Match] = {}
        for pos in sorted(positions):
            ident, original, name_words = self._names[pos]
            found = score_words(words, name_words, similarity)
            if found is None:
                continue
            prev = best.get(ident)
            if prev is None or (found.full, found.score) > (prev.full, prev.score):
                best[ident] = Match(ident, self._display[ident], original, found.score, found.full, found.exact, found.complete)
        return list(best.values())

    def search(self, query: str, limit: int = 10) -> list[Match]:
        """Entities with a name or alias sharing a word (or a close spelling of one) with `query`.

        Best first: by score, then id. No word in common, no hit.
        """
        ranked = sorted(self._score_all(query), key=lambda m: (-m.score, m.id))
        return ranked[:limit]

    def resolve(self, query: str, notice: Callable[[str], None] | None = None) -> str:
        """The id of the one entity `query` names; `notice` receives the line to show, if any.

        See `lookup` for the rule. Without `notice`, a close (not exact) match raises
        `UnknownEntity` instead: a caller that cannot tell the user whom it chose must not choose.
        """
        found = self.lookup(query)
        if found.notice is not None:
            if notice is None:
                raise UnknownEntity(f"no entity named {query!r}; closest: {self._display[found.id]} ({found.id})")
            notice(found.notice)
        return found.id

    def lookup(self, query: str) -> Resolution:
        """The one entity `query` names: an id, or a name or alias in any script, or a close spelling.

        Exact (silent): an id, or a name or alias equal up to case, accents, punctuation, script,
        romanisation and word order (`_exact_key`). Close (with a notice): every word of the query matched, a `full` score
        of at least `RESOLVE_MIN` and no other entity within `RESOLVE_MARGIN`. Anything else
        raises, naming the best candidates, those bearing a word of the query exactly first: a
        name that matches nobody well is never replaced by someone else's.
        """
        q = query.strip()
        if q in self._display:
            return Resolution(q, query, matched=q)
        found = self._exact.get(_exact_key(q))
        if found and len(found) == 1:
            ident = next(iter(found))
            return Resolution(ident, query, matched=self._display[ident])
        if found:
            names = ", ".join(f"{self._display[i]} ({i})" for i in sorted(found))
            raise AmbiguousEntity(f"{query!r} names several entities: {names}; give an id")
        matches = self._score_all(q)
        by_full = sorted(matches, key=lambda m: (-m.full, m.id))
        if by_full and by_full[0].complete and by_full[0].full >= RESOLVE_MIN:
            top = by_full[0]
            rivals = [m for m in by_full[1:] if m.full > top.full - RESOLVE_MARGIN]
            if not rivals:
                via = "" if top.matched == top.name else f" by its name {top.matched!r}"
                notice = f'resolved "{query}" to {top.name} ({top.id}){via}, score {top.full:.0f}'
                return Resolution(top.id, query, top.full, top.matched, notice)
        candidates = sorted(matches, key=lambda m: (-m.exact, -m.score, m.id))[:CANDIDATES_SHOWN]
        listed = ", ".join(f"{m.name} ({m.id})" for m in candidates)
        several = [m for m in matches if m.complete]
        if len(several) > 1 or (by_full and by_full[0].full >= RESOLVE_MIN):
            raise AmbiguousEntity(f"{query!r} names several entities: {listed}; give an id or a fuller name")
        hint = f"; close matches: {listed}" if candidates else ""
        raise UnknownEntity(f"no entity named {query!r}{hint}")
