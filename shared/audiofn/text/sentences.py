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
_PHRASE_STARTS = {
    "and", "but", "or", "nor", "so", "yet", "because", "while", "when", "whenever", "where",
    "which", "who", "whom", "whose", "that", "although", "though", "if", "unless", "since",
    "until", "as", "after", "before", "once", "than", "whether", "about", "above", "across",
    "against", "along", "among", "around", "at", "behind", "below", "beneath", "beside",
    "between", "beyond", "by", "despite", "during", "for", "from", "in", "inside", "into",
    "near", "of", "off", "on", "onto", "out", "outside", "over", "past", "through",
    "throughout", "to", "toward", "towards", "under", "underneath", "upon", "with", "within",
    "without",
    # determiners: a noun phrase starts with one
    "the", "a", "an", "this", "these", "those", "my", "your", "his", "her", "its", "our",
    "their", "every", "each", "some", "any", "no",
}  # fmt: skip


def starts_phrase(word: str) -> bool:
    """Whether a phrase starts with the (English) word: a conjunction, a relative, a
    preposition or a determiner. A cut before one leaves whole phrases on both sides."""
    return re.sub(r"^\W+", "", word).casefold() in _PHRASE_STARTS


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
