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
