"""The article as text: residue, sentences, quotes, mentions."""

from __future__ import annotations

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
