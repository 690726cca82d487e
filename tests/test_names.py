"""Names in Latin and Cyrillic find each other."""

from __future__ import annotations

import pytest

from tracker.exc import AmbiguousEntity, UnknownEntity
from tracker.names import NameIndex, fold, skeleton


@pytest.mark.parametrize(
    "a,b",
    [
        ("Timur Kulibayev", "Тимур Кулибаев"),
        ("Timur Kulibaev", "Тимур Құлыбаев"),
        ("Mukhtar Ablyazov", "Мұхтар Әблязов"),
        ("Karim Massimov", "Кәрім Мәсімов"),
        ("Nursultan Nazarbayev", "Нұрсұлтан Назарбаев"),
        ("Zhanaozen", "Жанаозен"),
    ],
)
def test_transliterations_share_a_skeleton(a: str, b: str) -> None:
    assert skeleton(a) == skeleton(b)


def test_fold_drops_case_accents_and_punctuation() -> None:
    assert fold("  ÉNRC, plc ") == "enrc plc"


@pytest.fixture()
def index() -> NameIndex:
    return NameIndex(
        [
            ("dariga-nazarbayeva", "Dariga Nazarbayeva", ["Назарбаева Дарига Нурсултановна", "Дарига Назарбаева"]),
            ("nursultan-nazarbayev", "Nursultan Nazarbayev", ["Нұрсұлтан Назарбаев"]),
            ("aliya-nazarbayeva", "Aliya Nazarbayeva", []),
            ("a1", "Twin Name", []),
            ("a2", "Twin Name", []),
        ]
    )


def test_resolve_by_id_name_alias_and_other_script(index: NameIndex) -> None:
    assert index.resolve("dariga-nazarbayeva") == "dariga-nazarbayeva"
    assert index.resolve("dariga nazarbayeva") == "dariga-nazarbayeva"
    assert index.resolve("Дарига Назарбаева") == "dariga-nazarbayeva"
    assert index.resolve("Nazarbayeva Dariga") == "dariga-nazarbayeva"  # name order
    assert index.resolve("Нурсултан Назарбаев") == "nursultan-nazarbayev"  # Russian spelling of a Kazakh alias


def test_resolve_errors_name_close_matches(index: NameIndex) -> None:
    with pytest.raises(UnknownEntity, match=r"no entity named 'Nazarbayev Foundation'; close matches: .*\(nursultan-nazarbayev\)"):
        index.resolve("Nazarbayev Foundation")
    with pytest.raises(AmbiguousEntity, match=r"names several entities: Twin Name \(a1\), Twin Name \(a2\)"):
        index.resolve("twin name")


def test_search_ranks_and_scores(index: NameIndex) -> None:
    hits = index.search("Назарбаева")
    assert {h.id for h in hits[:2]} == {"dariga-nazarbayeva", "aliya-nazarbayeva"}
    assert all(0 < h.score <= 100 for h in hits)
    assert index.search("") == []


def test_score_needs_a_shared_or_close_word() -> None:
    from tracker.names import score_name

    assert score_name("Кулибаев", "United Arab Emirates ОАЭ") is None
    assert score_name("Кулибаев", "gb United Kingdom UK") is None
    # kulbaev/kulibaev: 2 * 7 / 15 = 93.3 per word; timur 100; weighted by length (5, 7 / 5, 8)
    s = score_name("Timur Kulbayev", "Timur Kulibayev")
    assert s is not None and (s.full, s.exact, s.complete) == (96.0, 1, True)
    # nurlan/nursultan: 80, below the 85 a word needs: only the surname is shared
    s = score_name("Nurlan Nazarbayev", "Nursultan Nazarbayev")
    assert s is not None and (s.exact, s.complete) == (1, False)


def test_close_name_resolves_with_a_notice() -> None:
    index = NameIndex([("timur-kulibayev", "Timur Kulibayev", ["Тимур Кулибаев"]), ("dinara-kulibayeva", "Dinara Kulibayeva", [])])
    found = index.lookup("Timur Kulbayev")
    assert (found.id, found.notice) == ("timur-kulibayev", 'resolved "Timur Kulbayev" to Timur Kulibayev (timur-kulibayev), score 96')
    assert index.lookup("Тимур Кулибаев").notice is None  # an alias: silent
    assert index.lookup("kulibayev timur").notice is None  # the name, another order: silent
    heard: list[str] = []
    assert index.resolve("Timur Kulbayev", notice=heard.append) == "timur-kulibayev"
    assert heard == ['resolved "Timur Kulbayev" to Timur Kulibayev (timur-kulibayev), score 96']
    # A caller that cannot show the notice does not get a guess.
    with pytest.raises(UnknownEntity, match=r"no entity named 'Timur Kulbayev'; closest: Timur Kulibayev \(timur-kulibayev\)"):
        index.resolve("Timur Kulbayev")


def test_a_different_first_name_is_never_taken(index: NameIndex) -> None:
    with pytest.raises(
        UnknownEntity, match=r"^no entity named 'Nurlan Nazarbayev'; close matches: Nursultan Nazarbayev \(nursultan-nazarbayev\), "
    ):
        index.lookup("Nurlan Nazarbayev")
    with pytest.raises(UnknownEntity, match=r"^no entity named 'Timur'$"):
        index.lookup("Timur")


def test_ambiguity_lists_exact_surnames_first() -> None:
    rows = [(f"p{i}", f"{first} Nazarbayeva", []) for i, first in enumerate(["Aliya", "Dariga", "Dinara", "Zhanna", "Gulnara", "Saule"])]
    index = NameIndex([*rows, ("nn", "Nursultan Nazarbayev", [])])
    with pytest.raises(AmbiguousEntity, match=r"^'Nazarbayev' names several entities: Nursultan Nazarbayev \(nn\), "):
        index.lookup("Nazarbayev")
    assert [m.id for m in index.search("Nazarbayev", limit=2)] == ["nn", "p0"]


def test_search_returns_nothing_without_a_shared_word() -> None:
    index = NameIndex([("ae", "United Arab Emirates", ["ОАЭ", "UAE"]), ("tk", "Timur Kulibayev", ["Тимур Кулибаев"])])
    # the query's one word is all in the name (0.8 * 100), the name's 13 letters only 8 (0.2 * 1600 / 21)
    assert [(m.id, m.score) for m in index.search("Кулибаев")] == [("tk", 95.2)]


def test_fold_word_by_word_equals_whole_name_transliteration():
    """fold transliterates each word once (speed at a million names); the result must not change."""
    import re
    import unicodedata

    from rigour.text import ascii_text

    from tracker.names import fold

    def whole(text: str) -> str:
        text = unicodedata.normalize("NFKC", text)
        return " ".join(re.sub(r"[^0-9a-zA-Z]+", " ", ascii_text(text) or "").lower().split())

    names = [
        "Құлыбаев Тимур Асқарұлы",
        "Назарбаева Дарига",
        "Ахметов Resources 68939 Foundation",
        "Ёлкин-Щукин, Юрий",
        "Әбілов Ғани",
        "Ömer Çelik",
        "ТОО «Қазақмыс»",
    ]
    assert [fold(n) for n in names] == [whole(n) for n in names]
    assert fold("Құлыбаев Тимур") == "qulybaev timur"
