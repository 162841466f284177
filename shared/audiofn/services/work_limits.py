"""How much work one request may cause, judged before any of it starts.

A script's size is bounded by its characters (:data:`audiofn.text.scripts.MAX_SCRIPT_CHARS`), its
sections (:data:`audiofn.text.scripts.MAX_SECTIONS`) and the pause its breaks add up to
(:data:`audiofn.text.ssml.MAX_TOTAL_BREAK_MS`, per section); a request multiplies it by its
listeners. Two limits bound the product: the number of speech files (sections x listeners)
and the spoken duration, estimated from the characters, the speed, the breaks and the
padding. Larger audiences go through batches (``POST /batch``), which the daily quota bounds.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from audiofn.errors import InvalidInput

MAX_SPEECH_FILES = 2_000
"""Speech files (sections x listeners) one request may make."""
MAX_SPOKEN_SECONDS = 4 * 3600.0
"""Spoken duration one request may make, estimated before any work starts."""
CHARACTERS_PER_SECOND = 15.0
"""Characters a voice reads a second at normal speed (Piper, Kokoro and Polly read 13-17)."""

_TAG = re.compile(r"<[^>]*>")


@dataclass
class SpokenEstimate:
    """The running estimate of a request's speech, in seconds."""

    seconds: float = 0.0

    def add(self, text: str, *, speed: float, break_ms: int, padding_ms: int) -> None:
        """One speech file: ``text`` as rendered (markup is not spoken), ``speed`` as a factor
        (1.0 normal), ``break_ms`` its breaks, ``padding_ms`` the silence at each end."""
        characters = len(_TAG.sub("", text).strip())
        self.seconds += characters / (CHARACTERS_PER_SECOND * speed)
        self.seconds += (break_ms + 2 * padding_ms) / 1000.0


def check_speech_files(sections: int, listeners: int, *, field: str) -> None:
    if sections * listeners > MAX_SPEECH_FILES:
        raise InvalidInput(
            f"{field}: {listeners} listener(s) x {sections} section(s) is "
            f"{sections * listeners} speech files; one request may make at most "
            f"{MAX_SPEECH_FILES} (send larger audiences as a batch: POST /batch)",
            field=field,
        )


def check_spoken_seconds(estimate: SpokenEstimate, *, field: str) -> None:
    if estimate.seconds > MAX_SPOKEN_SECONDS:
        raise InvalidInput(
            f"{field}: the speech would last about {estimate.seconds / 3600:.1f} hours "
            f"(estimated at {CHARACTERS_PER_SECOND:g} characters a second at speed 100, "
            f"breaks and padding included); one request may make at most "
            f"{MAX_SPOKEN_SECONDS / 3600:g} hours",
            field=field,
        )


def break_ms(text: str) -> int:
    """The pause the ``<break>``s of a text add up to (0 for plain text)."""
    from audiofn.text.ssml import Break, is_ssml, parse_ssml

    if not is_ssml(text.strip()):
        return 0
    return sum(s.ms for s in parse_ssml(text).segments if isinstance(s, Break))
