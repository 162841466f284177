"""Cut text into the pieces a stream synthesises one at a time.

Each piece is a sentence, except that a long first sentence gives up a short first piece: a
clause or a phrase of a few words, so the first audio leaves after a few words' synthesis
whatever the text's length. Later pieces stay sentence-sized for their prosody. Each piece is
spoken as an independent utterance and followed by a pause: longer after a paragraph than
after a sentence, shorter after a clause, shortest after a phrase.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from audiofn.text.sentences import CLAUSE_END, split_sentences, starts_phrase

SENTENCE_PAUSE_MS = 300
PARAGRAPH_PAUSE_MS = 600
CLAUSE_PAUSE_MS = 150
PHRASE_PAUSE_MS = 40  # before a phrase (no clause mark): a breath, not a stop
FIRST_PIECE_WORDS = 8  # a longer first sentence gives up a first piece of 4 to 8 words
MAX_PIECE_CHARS = 400  # longer sentences are cut at clause boundaries (then spaces)
SHORT_ENOUGH_WORDS = 4  # a first sentence this much longer than its first piece stays whole


@dataclass(frozen=True)
class Piece:
    text: str
    pause_ms: int  # silence after the piece


def split_pieces(text: str, first_piece_words: int = FIRST_PIECE_WORDS) -> list[Piece]:
    """The text as pieces in order; joined with spaces they say the same words.

    A first sentence longer than ``first_piece_words`` is cut once, within its first
    ``first_piece_words`` words (half as many at least): a slower engine asks for fewer."""
    pieces: list[Piece] = []
    paragraphs = [p for p in re.split(r"\n\s*\n", text) if p.strip()]
    for paragraph in paragraphs:
        sentences = split_sentences(" ".join(paragraph.split()))
        for index, sentence in enumerate(sentences):
            last = index == len(sentences) - 1
            pause = PARAGRAPH_PAUSE_MS if last else SENTENCE_PAUSE_MS
            cuts: list[tuple[str, int | None]] = []
            rest = sentence
            if not pieces:
                cuts, rest = _first_piece(sentence, first_piece_words)
            cuts += _clauses(rest) if rest else []
            for part, own_pause in cuts:
                pieces.append(Piece(part, own_pause if own_pause is not None else pause))
    return pieces


def _first_piece(sentence: str, most: int) -> tuple[list[tuple[str, int | None]], str]:
    """The first piece cut off a long first sentence (with its pause), and the rest.

    Where, in order of preference: after a clause mark within ``most`` words (three at
    least); before a word a phrase starts with, for a piece of ``most // 2`` to ``most``
    words; after a clause mark up to two words later; before a phrase of the sentence's
    third word or later. A sentence with none of these is cut after exactly ``most`` words (a
    small break in the prosody, no pause), unless it is short enough to speak whole."""
    words = sentence.split()
    if len(words) <= most:
        return [], sentence
    fewest = max(2, most // 2)

    def ends_clause(count: int) -> bool:
        return count < len(words) and CLAUSE_END.search(words[count - 1] + " ") is not None

    choices = (
        ([n for n in range(min(3, fewest), most + 1) if ends_clause(n)], CLAUSE_PAUSE_MS),
        ([n for n in range(fewest, most + 1) if starts_phrase(words[n])], PHRASE_PAUSE_MS),
        ([n for n in range(most + 1, most + 3) if ends_clause(n)], CLAUSE_PAUSE_MS),
        ([n for n in range(2, fewest) if starts_phrase(words[n])], PHRASE_PAUSE_MS),
        ([] if len(words) <= most + SHORT_ENOUGH_WORDS else [most], 0),
    )
    found = next(((cuts[0], pause) for cuts, pause in choices if cuts), None)
    if found is None:
        return [], sentence
    count, pause = found
    return [(" ".join(words[:count]), pause)], " ".join(words[count:])


def _clauses(sentence: str) -> list[tuple[str, int | None]]:
    """The sentence whole (pause None: the sentence's own), or cut below the piece limit."""
    if len(sentence) <= MAX_PIECE_CHARS:
        return [(sentence, None)]
    out: list[tuple[str, int | None]] = []
    for part in (p for p in CLAUSE_END.split(sentence) if p.strip()):
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
