"""The article as text: residue stripped, sentences, quote spans and alias mentions.

Everything here works on plain strings and returns plain tuples, so the pack loader can turn the results
into frames and the rules stay testable on their own.
"""

from __future__ import annotations

import re
import unicodedata
from bisect import bisect_right
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Sentence:
    """A sentence of the article, by character span into the article body."""

    id: str
    paragraph: int
    start: int
    end: int
    text: str


@dataclass(frozen=True)
class Mention:
    """One occurrence of an entity alias in the article body."""

    entity: str
    alias: str
    sentence: str
    start: int
    end: int


def split_residue(raw: str, marker: str | None) -> tuple[str, str]:
    """Split the file text into (article body, trailing web residue).

    The residue starts at the last line that begins with `marker` (e.g. "Most Commented"); the body is
    everything before it with trailing whitespace removed. With no marker or no such line, there is no
    residue.
    """
    if marker:
        lines = raw.splitlines(keepends=True)
        offset = len(raw)
        for line in reversed(lines):
            offset -= len(line)
            if line.startswith(marker):
                return raw[:offset].rstrip(), raw[offset:]
    return raw.rstrip(), ""


_BOUNDARY = re.compile(r"[.!?][\"”’]?(?=\s+[\"“‘]?[A-Z0-9])")


def split_sentences(body: str, abbreviations: Iterable[str] = ()) -> list[Sentence]:
    """Split the article body into sentences within paragraphs (one paragraph per line).

    A full stop ends a sentence when whitespace and a capital follow, unless the token it ends is a
    listed abbreviation ("U.S.", "D.C.").
    """
    abbrev = frozenset(abbreviations)
    sentences: list[Sentence] = []
    offset = 0
    for paragraph, line in enumerate(body.split("\n"), start=1):
        start = 0
        for match in _BOUNDARY.finditer(line):
            end = match.end()
            if _token_before(line, end).rstrip('"”’') in abbrev:
                continue
            _append(sentences, paragraph, line, offset, start, end)
            start = end
        _append(sentences, paragraph, line, offset, start, len(line))
        offset += len(line) + 1
    return sentences


def _token_before(line: str, end: int) -> str:
    """The whitespace-free token that ends at `end` (read backwards: linear in its length only)."""
    start = end
    while start > 0 and not line[start - 1].isspace():
        start -= 1
    return line[start:end]


def _append(
    out: list[Sentence], paragraph: int, line: str, offset: int, start: int, end: int
) -> None:
    chunk = line[start:end]
    lead = len(chunk) - len(chunk.lstrip())
    text = chunk.strip()
    if text:
        begin = offset + start + lead
        out.append(Sentence(f"s{len(out) + 1:02d}", paragraph, begin, begin + len(text), text))


def sentence_at(sentences: Sequence[Sentence], position: int) -> str | None:
    """The id of the sentence holding character `position`, if any (`sentences` in article order,
    as `split_sentences` returns them: a binary search, so a long article stays linear overall)."""
    i = bisect_right(sentences, position, key=lambda s: s.start) - 1
    if i >= 0 and position < sentences[i].end:
        return sentences[i].id
    return None


def find_quote(body: str, quote: str) -> tuple[int, int] | None:
    """The (start, end) span of the first verbatim occurrence of `quote`, or None."""
    if not quote:
        return None
    start = body.find(quote)
    return None if start < 0 else (start, start + len(quote))


def quote_not_found(body: str, quote: str, where: str) -> str:
    """Why `quote` is no verbatim span of `body` (`where` names it), in one line: with a hint when
    the two differ only in Unicode normalization (an accent composed in one, "é", and decomposed in
    the other, "e" and a combining accent), which looks the same on screen. A quote stays a
    verbatim span: such a quote is refused, not matched."""
    reason = f"quote not found verbatim in {where}"
    if quote and unicodedata.normalize("NFC", quote) in unicodedata.normalize("NFC", body):
        reason += (
            " (it differs from the text only in Unicode normalization, composed or decomposed "
            "accents: copy the quote from the text itself)"
        )
    return reason


def find_mentions(
    body: str, aliases: Mapping[str, str], sentences: Sequence[Sentence]
) -> list[Mention]:
    """Every alias occurrence on word boundaries, leftmost-longest across all aliases.

    `aliases` maps a surface form to its entity id. Matching is case-sensitive.
    """
    if not aliases:
        return []
    pattern = re.compile(r"(?<!\w)" + _trie_pattern(aliases))
    return [
        Mention(
            entity=aliases[m.group(0)],
            alias=m.group(0),
            sentence=sentence_at(sentences, m.start()) or "",
            start=m.start(),
            end=m.end(),
        )
        for m in pattern.finditer(body)
    ]


def _trie_pattern(forms: Iterable[str]) -> str:
    """A regular expression for any of `forms` followed by no word character, longest first.

    The forms share their prefixes as a trie, so the matcher reads each character of the text once
    per form prefix it continues rather than trying every form in turn (a flat alternation of many
    aliases over a long article takes minutes). At each node the longer continuations come before
    the end of a shorter form, so backtracking finds the longest form that ends on a word boundary.
    """
    trie: dict[str, Any] = {}
    for form in forms:
        node = trie
        for char in form:
            node = node.setdefault(char, {})
        node[""] = {}  # "" marks the end of a form (a key of one character never is "")

    def pattern(node: dict[str, Any]) -> str:
        branches = []
        for first in sorted(k for k in node if k):
            literal, child = first, node[first]
            while len(child) == 1 and "" not in child:  # a chain of single characters: one literal
                ((char, child),) = child.items()
                literal += char
            branches.append(re.escape(literal) + pattern(child))
        if "" in node:
            branches.append(r"(?!\w)")
        return branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"

    return pattern(trie)


def contains_word(text: str, word: str) -> bool:
    """Whether `word` occurs in `text` as a whole word or phrase, ignoring case."""
    return re.search(r"(?<!\w)" + re.escape(word) + r"(?!\w)", text, re.IGNORECASE) is not None
