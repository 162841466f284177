"""Captions (WebVTT and SRT) from word timings, placed on the master's timeline.

Word timings come per section, relative to that section's own audio (e.g. Whisper word
timestamps of the rendered speech; Piper gives none). The mastering timeline says where each
section starts in the master, so each word is shifted by its section's start. Words are then
grouped into cues the way subtitle style guides ask for: at most 2 lines of at most 42
characters, at most 6 seconds on screen, a new cue after a sentence ends or a long pause, and
never one cue across two sections.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from audiofn.text.sentences import ends_sentence

MAX_CHARS_PER_LINE = 42
MAX_LINES = 2
MAX_CUE_SECONDS = 6.0
MIN_CUE_SECONDS = 0.8
"""Short cues stay up at least this long (if the next cue leaves room)."""
MAX_PAUSE_SECONDS = 1.0
"""A pause longer than this between two words starts a new cue."""
_MIN_SENTENCE_CUE_CHARS = 12


@dataclass(frozen=True)
class TimedWord:
    """A word and when it is spoken, in seconds."""

    text: str
    start: float
    end: float


@runtime_checkable
class _WordLike(Protocol):
    """Anything shaped like Whisper's word (``audiofn.stt.whisper.Word``)."""

    word: str
    start: float
    end: float


WordInput = TimedWord | _WordLike | tuple[str, float, float]


@dataclass(frozen=True)
class Cue:
    """One caption: shown from ``start`` to ``end`` (seconds), one or two lines."""

    start: float
    end: float
    lines: tuple[str, ...]
    section: int = 0

    @property
    def text(self) -> str:
        return " ".join(self.lines)


def _as_word(item: WordInput) -> TimedWord:
    if isinstance(item, TimedWord):
        return item
    if isinstance(item, tuple):
        text, start, end = item
        return TimedWord(str(text), float(start), float(end))
    if isinstance(item, _WordLike):
        return TimedWord(item.word, float(item.start), float(item.end))
    raise TypeError(f"not a word timing: {item!r}")


def place_words(
    section_words: Sequence[Iterable[WordInput]], section_starts: Sequence[float]
) -> list[list[TimedWord]]:
    """Shift each section's words by where that section starts on the master (seconds).

    ``section_starts`` can be taken from the mastering report:
    ``[span.start for span in report.timeline]``.
    """
    if len(section_words) != len(section_starts):
        raise ValueError(
            f"{len(section_words)} sections of words but {len(section_starts)} section starts"
        )
    placed = []
    for words, offset in zip(section_words, section_starts, strict=True):
        section = []
        for item in words:
            word = _as_word(item)
            text = word.text.strip()
            if text:
                section.append(TimedWord(text, word.start + offset, word.end + offset))
        placed.append(section)
    return placed


def split_lines(words: Sequence[str], max_chars: int = MAX_CHARS_PER_LINE) -> tuple[str, ...]:
    """One line if it fits, else two lines as even as possible (a break after punctuation
    wins ties); a third line only if two cannot hold the words (the caller avoids that)."""
    text = " ".join(words)
    if len(text) <= max_chars or len(words) == 1:
        return (text,)
    best: tuple[float, int] | None = None
    for cut in range(1, len(words)):
        first, second = " ".join(words[:cut]), " ".join(words[cut:])
        longest = max(len(first), len(second))
        if longest > max_chars:
            continue
        bonus = 0.5 if words[cut - 1][-1] in ",;:.!?" else 0.0
        score = longest - bonus
        if best is None or score < best[0]:
            best = (score, cut)
    if best is None:
        return _greedy_lines(words, max_chars)
    cut = best[1]
    return (" ".join(words[:cut]), " ".join(words[cut:]))


def _greedy_lines(words: Sequence[str], max_chars: int) -> tuple[str, ...]:
    lines: list[str] = []
    for word in words:
        if lines and len(lines[-1]) + 1 + len(word) <= max_chars:
            lines[-1] += " " + word
        else:
            lines.append(word)
    return tuple(lines)


def _fits(words: Sequence[str], max_chars: int, max_lines: int) -> bool:
    return len(_greedy_lines(words, max_chars)) <= max_lines


def build_cues(
    sections: Sequence[Sequence[TimedWord]],
    *,
    max_chars: int = MAX_CHARS_PER_LINE,
    max_lines: int = MAX_LINES,
    max_seconds: float = MAX_CUE_SECONDS,
    min_seconds: float = MIN_CUE_SECONDS,
    max_pause: float = MAX_PAUSE_SECONDS,
) -> list[Cue]:
    """Group placed words (see :func:`place_words`) into cues, in time order."""
    cues: list[Cue] = []
    for index, words in enumerate(sections):
        current: list[TimedWord] = []
        for word in sorted(words, key=lambda w: w.start):
            if current:
                texts = [w.text for w in current] + [word.text]
                too_long = word.end - current[0].start > max_seconds
                paused = word.start - current[-1].end > max_pause
                if too_long or paused or not _fits(texts, max_chars, max_lines):
                    cues.append(_cue(current, index, max_chars))
                    current = []
            current.append(word)
            text = " ".join(w.text for w in current)
            if ends_sentence(word.text) and len(text) >= _MIN_SENTENCE_CUE_CHARS:
                cues.append(_cue(current, index, max_chars))
                current = []
        if current:
            cues.append(_cue(current, index, max_chars))
    cues.sort(key=lambda cue: cue.start)
    return _spread(cues, min_seconds)


def _cue(words: Sequence[TimedWord], section: int, max_chars: int) -> Cue:
    lines = split_lines([w.text for w in words], max_chars)
    return Cue(words[0].start, words[-1].end, lines, section)


def _spread(cues: list[Cue], min_seconds: float) -> list[Cue]:
    """Keep short cues up for ``min_seconds`` where the next cue leaves room; no overlaps."""
    out = []
    for index, cue in enumerate(cues):
        limit = cues[index + 1].start if index + 1 < len(cues) else math.inf
        end = min(max(cue.end, cue.start + min_seconds), limit)
        out.append(Cue(cue.start, max(end, cue.start), cue.lines, cue.section))
    return out


def captions_for_master(
    section_words: Sequence[Iterable[WordInput]],
    section_starts: Sequence[float],
    *,
    max_chars: int = MAX_CHARS_PER_LINE,
    max_lines: int = MAX_LINES,
    max_seconds: float = MAX_CUE_SECONDS,
    min_seconds: float = MIN_CUE_SECONDS,
    max_pause: float = MAX_PAUSE_SECONDS,
) -> list[Cue]:
    """Place each section's words on the master and group them into cues."""
    return build_cues(
        place_words(section_words, section_starts),
        max_chars=max_chars,
        max_lines=max_lines,
        max_seconds=max_seconds,
        min_seconds=min_seconds,
        max_pause=max_pause,
    )


# --- formats ---------------------------------------------------------------------------------


def _timestamp(seconds: float, separator: str) -> str:
    millis = max(0, round(seconds * 1000.0))
    hours, millis = divmod(millis, 3_600_000)
    minutes, millis = divmod(millis, 60_000)
    secs, millis = divmod(millis, 1000)
    return f"{hours:02d}:{minutes:02d}:{secs:02d}{separator}{millis:03d}"


def _vtt_escape(line: str) -> str:
    return line.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def to_webvtt(cues: Sequence[Cue]) -> str:
    """A WebVTT document (``text/vtt``): numbered cues, ``HH:MM:SS.mmm`` times."""
    blocks = ["WEBVTT"]
    for number, cue in enumerate(cues, start=1):
        times = f"{_timestamp(cue.start, '.')} --> {_timestamp(cue.end, '.')}"
        text = "\n".join(_vtt_escape(line).replace("-->", "->") for line in cue.lines)
        blocks.append(f"{number}\n{times}\n{text}")
    return "\n\n".join(blocks) + "\n"


def to_srt(cues: Sequence[Cue]) -> str:
    """A SubRip document (``application/x-subrip``): ``HH:MM:SS,mmm`` times."""
    blocks = []
    for number, cue in enumerate(cues, start=1):
        times = f"{_timestamp(cue.start, ',')} --> {_timestamp(cue.end, ',')}"
        blocks.append(f"{number}\n{times}\n" + "\n".join(cue.lines))
    return "\n\n".join(blocks) + "\n"


def align_written_words(
    written: str, heard: list[tuple[str, float, float]]
) -> list[tuple[str, float, float]]:
    """Give the words as written the timings of the words as heard.

    Matched stretches map one to one; a stretch the recogniser heard differently shares the
    heard stretch's time evenly, so a misheard name still shows as written, at its place.
    """
    import difflib
    import re

    words = re.sub(r"<[^>]+>", " ", written).split()
    if not words or not heard:
        return heard

    def key(word: str) -> str:
        return re.sub(r"[^\w]", "", word.lower())

    matcher = difflib.SequenceMatcher(
        a=[key(w) for w in words], b=[key(h[0]) for h in heard], autojunk=False
    )
    timed: list[tuple[str, float, float]] = []
    for tag, a0, a1, b0, b1 in matcher.get_opcodes():
        if a0 == a1:
            continue  # heard but not written: nothing to show
        if tag == "equal":  # each word keeps its own timing
            timed += [(w, *heard[b0 + i][1:3]) for i, w in enumerate(words[a0:a1])]
            continue
        if b0 == b1:  # written but not heard: squeeze in at the previous word's end
            at = timed[-1][2] if timed else heard[0][1]
            timed += [(w, at, at) for w in words[a0:a1]]
            continue
        start, end = heard[b0][1], heard[b1 - 1][2]
        step = (end - start) / (a1 - a0)
        timed += [(w, start + i * step, start + (i + 1) * step) for i, w in enumerate(words[a0:a1])]
    return timed
