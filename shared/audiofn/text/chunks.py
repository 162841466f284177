"""Split long text into sentence chunks an engine can speak one at a time.

Whole sentences are grouped up to a size limit; a sentence longer than the limit is cut at
a clause mark (, ; :) or, failing that, at a space. Paragraph ends are kept, so the joined
speech pauses longer there. Pure string work: no audio imports.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from audiofn.text.sentences import CLAUSE_END, split_sentences

DEFAULT_CHUNK_CHARS = 400

_PARAGRAPHS = re.compile(r"\n\s*\n")


@dataclass(frozen=True)
class Chunk:
    text: str
    ends_paragraph: bool


def _cut_long(sentence: str, limit: int) -> list[str]:
    """Pieces of at most `limit` characters, cut at clause marks first, then at spaces."""
    pieces: list[str] = []
    rest = sentence
    while len(rest) > limit:
        window = rest[: limit + 1]
        cut = max((m.end() for m in CLAUSE_END.finditer(window)), default=0)
        if cut == 0:
            cut = window.rfind(" ") + 1
        if cut <= 0:
            cut = limit  # one unbroken word longer than the limit
        pieces.append(rest[:cut].strip())
        rest = rest[cut:].strip()
    if rest:
        pieces.append(rest)
    return [piece for piece in pieces if piece]


def split_into_chunks(text: str, max_chars: int = DEFAULT_CHUNK_CHARS) -> list[Chunk]:
    """The text as chunks of whole sentences, each at most `max_chars` long."""
    if max_chars < 1:
        raise ValueError(f"max_chars must be positive, got {max_chars}")
    chunks: list[Chunk] = []
    for paragraph in _PARAGRAPHS.split(text.replace("\r\n", "\n").replace("\r", "\n")):
        sentences = [
            piece
            for sentence in split_sentences(" ".join(paragraph.split()))
            for piece in _cut_long(sentence, max_chars)
        ]
        current: list[str] = []
        size = 0
        for sentence in sentences:
            added = len(sentence) + (1 if current else 0)
            if current and size + added > max_chars:
                chunks.append(Chunk(" ".join(current), ends_paragraph=False))
                current, size = [], 0
                added = len(sentence)
            current.append(sentence)
            size += added
        if current:
            chunks.append(Chunk(" ".join(current), ends_paragraph=True))
    return chunks
