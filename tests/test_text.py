"""The article as text: residue, sentences, quotes, mentions."""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from toolkit.pack.text import (
    contains_word,
    find_mentions,
    find_quote,
    split_residue,
    split_sentences,
)

from .conftest import SEEDS


def test_residue_is_split_off_the_byte_exact_article() -> None:
    raw = (SEEDS / "article.txt").read_text(encoding="utf-8")
    body, residue = split_residue(raw, "Most Commented")
    assert residue == "Most Commented"
    assert body.endswith("to hold Russia accountable for its actions.")
    assert "Most Commented" not in body


def test_no_marker_means_no_residue() -> None:
    assert split_residue("One.\nTwo.\n", None) == ("One.\nTwo.", "")
    assert split_residue("One.\n", "Most Commented") == ("One.", "")


def test_abbreviations_do_not_end_sentences() -> None:
    text = "The U.S. National Security Advisor met in Washington, D.C. Then he left. Done!"
    sentences = split_sentences(text, ["U.S."])
    assert [s.text for s in sentences] == [
        "The U.S. National Security Advisor met in Washington, D.C.",
        "Then he left.",
        "Done!",
    ]
    assert all(text[s.start : s.end] == s.text for s in sentences)


def test_sentences_of_the_article_cover_every_paragraph() -> None:
    raw = (SEEDS / "article.txt").read_text(encoding="utf-8")
    body, _ = split_residue(raw, "Most Commented")
    sentences = split_sentences(body, ["U.S.", "D.C."])
    assert {s.paragraph for s in sentences} == set(range(1, 9))
    assert all(body[s.start : s.end] == s.text for s in sentences)
    assert sentences[0].text.startswith("Top security officials")
    quote = "“We will support Ukraine in stages depending on North Korea’s movements.”"
    assert any(s.text.endswith(quote) for s in sentences)


def test_mentions_are_leftmost_longest_on_word_boundaries() -> None:
    text = "South Korea’s Presidential Office said South Korea and North Korean troops"
    aliases = {
        "South Korea": "kr",
        "South Korea’s Presidential Office": "office",
        "North Korea": "nk",
        "North Korean troops": "troops",
    }
    found = [(m.entity, m.alias) for m in find_mentions(text, aliases, [])]
    assert found == [
        ("office", "South Korea’s Presidential Office"),
        ("kr", "South Korea"),
        ("troops", "North Korean troops"),
    ]


def test_alias_inside_a_longer_word_is_not_a_mention() -> None:
    assert find_mentions("North Koreans", {"North Korea": "nk"}, []) == []


def test_quotes_and_words() -> None:
    assert find_quote("abc def", "c d") == (2, 5)
    assert find_quote("abc", "x") is None
    assert find_quote("abc", "") is None
    assert contains_word("Compensation would be Inevitable.", "inevitable")
    assert not contains_word("mayor", "may")


class _CountingList(list):  # type: ignore[type-arg]
    """A list that counts element reads."""

    reads = 0

    def __getitem__(self, index):  # type: ignore[no-untyped-def]
        _CountingList.reads += 1
        return super().__getitem__(index)


def test_sentence_lookup_reads_a_logarithmic_number_of_sentences() -> None:
    """Issue 10, item 13: each mention looked up by scanning every sentence made validation quadratic."""
    from toolkit.pack.text import Sentence, sentence_at

    sentences = _CountingList(
        Sentence(f"s{i}", i, 10 * i, 10 * i + 8, "x" * 8) for i in range(100_000)
    )
    _CountingList.reads = 0
    assert sentence_at(sentences, 10 * 77_777 + 3) == "s77777"
    assert sentence_at(sentences, 10 * 5 + 9) is None  # between sentences
    assert sentence_at(sentences, -1) is None
    assert sentence_at(sentences, 10**9) is None
    assert _CountingList.reads <= 4 * 40


def test_abbreviation_check_reads_only_the_token() -> None:
    from toolkit.pack.text import split_sentences

    body = "He met U.S. officials. They agreed. " + "Word. " * 5
    texts = [s.text for s in split_sentences(body, ["U.S."])]
    assert texts[:2] == ["He met U.S. officials.", "They agreed."]


def _flat_mentions(body: str, forms: list[str]) -> list[tuple[str, int, int]]:
    """The plain definition: one alternation, longest form first (slow with many aliases)."""
    ordered = sorted(forms, key=len, reverse=True)
    pattern = re.compile(r"(?<!\w)(?:" + "|".join(re.escape(f) for f in ordered) + r")(?!\w)")
    return [(m.group(0), m.start(), m.end()) for m in pattern.finditer(body)]


@settings(max_examples=300)
@given(
    forms=st.lists(
        st.text("ab K.’-", min_size=1, max_size=6), min_size=1, max_size=12, unique=True
    ),
    body=st.text("ab K.’-\n", max_size=80),
)
def test_mentions_match_the_plain_alternation(forms: list[str], body: str) -> None:
    """Issue 10 (a sibling of items 1 and 13b): aliases are matched through a trie so that many
    aliases over a long article take seconds, not minutes; the matches are those of the plain
    longest-first alternation."""
    found = [(m.alias, m.start, m.end) for m in find_mentions(body, dict.fromkeys(forms, "e"), [])]
    assert found == _flat_mentions(body, forms)


class _CountingStr(str):
    """A string that counts comparisons for equality."""

    compared = 0

    def __eq__(self, other: object) -> bool:
        _CountingStr.compared += 1
        return str.__eq__(self, other)

    __hash__ = str.__hash__


def test_abbreviation_lookup_does_not_scan_the_list() -> None:
    """Issue 10 (a sibling of item 13b): each full stop compared its token with every listed
    abbreviation; a pack listing many made sentence splitting quadratic."""
    abbreviations = [_CountingStr(f"X{i}.") for i in range(10_000)]
    body = "He met U.S. officials. They agreed. " * 20
    _CountingStr.compared = 0
    texts = [s.text for s in split_sentences(body, [*abbreviations, "U.S."])]
    assert texts[:2] == ["He met U.S. officials.", "They agreed."]
    assert _CountingStr.compared < 1000
