"""Cut text into the pieces a stream synthesises one at a time.

Each piece is a sentence (or, for the first one only, its first clause when the sentence is
long, so the first audio leaves quickly whatever the text's length). Each is spoken as an
independent utterance and followed by a pause: longer after a paragraph than after a
sentence, shorter after a clause.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from audiofn.text.sentences import CLAUSE_END, split_sentences

SENTENCE_PAUSE_MS = 300
PARAGRAPH_PAUSE_MS = 600
CLAUSE_PAUSE_MS = 150
FIRST_PIECE_WORDS = 12  # a longer first sentence is cut at its first clause boundary
MAX_PIECE_CHARS = 400  # longer sentences are cut at clause boundaries (then spaces)


@dataclass(frozen=True)
class Piece:
    text: str
    pause_ms: int  # silence after the piece


def split_pieces(text: str, first_piece_words: int = FIRST_PIECE_WORDS) -> list[Piece]:
    """The text as pieces in order; joined with spaces they say the same words.

    A slower engine asks for a shorter first piece (``first_piece_words`` below the default):
    its first sentence is then cut at a clause boundary within that many words, else after
    exactly that many words (a small break in the prosody for an early first byte)."""
    pieces: list[Piece] = []
    paragraphs = [p for p in re.split(r"\n\s*\n", text) if p.strip()]
    for paragraph in paragraphs:
        sentences = split_sentences(" ".join(paragraph.split()))
        for index, sentence in enumerate(sentences):
            last = index == len(sentences) - 1
            pause = PARAGRAPH_PAUSE_MS if last else SENTENCE_PAUSE_MS
            cuts = _clauses(sentence, first=not pieces, first_words=first_piece_words)
            for part, clause_pause in cuts:
                pieces.append(Piece(part, clause_pause if clause_pause is not None else pause))
    return pieces


def _clauses(
    sentence: str, *, first: bool, first_words: int = FIRST_PIECE_WORDS
) -> list[tuple[str, int | None]]:
    """The sentence whole (pause None: the sentence's own), or cut where it must be."""
    too_long = len(sentence) > MAX_PIECE_CHARS
    if not too_long and not (first and len(sentence.split()) > first_words):
        return [(sentence, None)]
    if first and first_words < FIRST_PIECE_WORDS:
        return _short_first(sentence, first_words)
    parts = [p for p in CLAUSE_END.split(sentence) if p.strip()]
    if first and not too_long:
        # Only the first clause is cut off (at least three words): the rest stays one piece.
        for cut in range(1, len(parts)):
            head = " ".join(parts[:cut])
            if len(head.split()) >= 3:
                return [(head, CLAUSE_PAUSE_MS), (" ".join(parts[cut:]), None)]
        return [(sentence, None)]
    out: list[tuple[str, int | None]] = []
    for part in parts:
        rest = part
        while len(rest) > MAX_PIECE_CHARS:
            cut = rest.rfind(" ", 0, MAX_PIECE_CHARS)
            cut = cut if cut > 0 else MAX_PIECE_CHARS
            out.append((rest[:cut].strip(), CLAUSE_PAUSE_MS))
            rest = rest[cut:].strip()
        if rest:
            out.append((rest, CLAUSE_PAUSE_MS))
    if out:
        out[-1] = (out[-1][0], None)
    return out


def _short_first(sentence: str, words: int) -> list[tuple[str, int | None]]:
    """A first piece of at most ``words`` words (a clause if one ends in time), then the rest."""
    parts = [p for p in CLAUSE_END.split(sentence) if p.strip()]
    head = parts[0] if len(parts) > 1 and 2 <= len(parts[0].split()) <= words else ""
    if head:
        rest = sentence[len(head) :].strip()
        pause = CLAUSE_PAUSE_MS
    else:
        tokens = sentence.split()
        head, rest, pause = " ".join(tokens[:words]), " ".join(tokens[words:]), 0
    return [(head, pause), *_clauses(rest, first=False)]
