# ruff: noqa: RUF001, RUF002 -- full-width and typographic punctuation end sentences on purpose
"""The one sentence splitter: where sentences and clauses end, for every road that cuts text
(streamed pieces, job chunks, batch fragments, Polly requests, caption cues).

A sentence ends at . ! ? … (or the full-width 。！？), with any closing quotes or brackets,
before whitespace. "Dr. Smith" and "e.g. this" stay whole: a dot after a known abbreviation or
a single letter, or before a lower-case word, does not end a sentence. A clause ends at
, ; : — – (and the Arabic and full-width commas and colons) before whitespace.
"""

from __future__ import annotations

import re

_SENTENCE_END = re.compile(r"(?<=[.!?…。！？])[\"'”’»)\]]*\s+")
_ENDS_SENTENCE = re.compile(r"[.!?…。！？][\"'”’»)\]]*$")
_ABBREVIATIONS = {
    "mr", "mrs", "ms", "dr", "prof", "sr", "jr", "st", "vs", "etc", "e.g", "i.e", "no",
    "fig", "inc", "ltd", "co", "mt", "jan", "feb", "mar", "apr", "jun", "jul", "aug",
    "sep", "sept", "oct", "nov", "dec",
}  # fmt: skip
CLAUSE_END = re.compile(r"(?<=[,;:—–،、，；：])\s+")
"""Whitespace after a clause mark: ``CLAUSE_END.split(sentence)`` gives the clauses."""


def split_sentences(paragraph: str) -> list[str]:
    """The paragraph's sentences in order, stripped; joined with spaces they say the same."""
    sentences: list[str] = []
    start = 0
    for match in _SENTENCE_END.finditer(paragraph):
        candidate = paragraph[start : match.start()].rstrip()
        following = paragraph[match.end() : match.end() + 1]
        last_word = re.sub(r"^\W+", "", candidate.rsplit(" ", 1)[-1]).rstrip(".").casefold()
        if candidate.endswith(".") and (
            last_word in _ABBREVIATIONS or len(last_word) == 1 or following.islower()
        ):
            continue
        sentences.append(paragraph[start : match.end()].strip())
        start = match.end()
    rest = paragraph[start:].strip()
    if rest:
        sentences.append(rest)
    return sentences


def ends_sentence(word: str) -> bool:
    """Whether a word closes its sentence (its last mark is a sentence end)."""
    return bool(_ENDS_SENTENCE.search(word))
