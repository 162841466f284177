"""When each word of synthesised speech is spoken: the engine's own timings, else Whisper's.

Kokoro's model predicts every phoneme's duration before it speaks (frames of 600 samples at
24 kHz), so its speech comes with word timings for free (:mod:`audiofn.tts.kokoro_engine`).
Engines that give none (Piper, eSpeak NG, Polly, an OpenAI-compatible upstream) are heard
back by Whisper with word timestamps. :func:`spoken_words` is that choice, made in one place.

Timings follow the audio through every step that moves it: SSML runs trimmed and joined with
pauses (:mod:`audiofn.tts.ssml_render`), the fragment cache, silence padding, and a speech
file's sidecar (:func:`timings_key`) that the mastering function reads to place captions
where each section lands on the master.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from audiofn.audio import Audio
    from audiofn.storage.media import MediaStore

TIMINGS_SUFFIX = ".words.json"


@dataclass(frozen=True)
class WordTiming:
    """A spoken word and when it is said, in seconds from the start of its audio."""

    word: str
    start: float
    end: float


@dataclass(frozen=True)
class TimedSpeech:
    """Audio and its words' timings; ``words`` is None when the engine gave none."""

    audio: Audio
    words: tuple[WordTiming, ...] | None = None


def shifted(words: Iterable[WordTiming], seconds: float) -> tuple[WordTiming, ...]:
    """The words moved later by ``seconds`` (earlier when negative, never before 0)."""
    return tuple(
        WordTiming(
            w.word, round(max(w.start + seconds, 0.0), 3), round(max(w.end + seconds, 0.0), 3)
        )
        for w in words
    )


def scaled(words: Iterable[WordTiming], factor: float) -> tuple[WordTiming, ...]:
    """The words' times multiplied by ``factor`` (audio stretched by it)."""
    return tuple(
        WordTiming(w.word, round(w.start * factor, 3), round(w.end * factor, 3)) for w in words
    )


def timings_key(audio_key: str) -> str:
    """Where a speech file's word timings are stored: beside it, as JSON."""
    return audio_key + TIMINGS_SUFFIX


def words_to_json(words: Sequence[WordTiming]) -> dict[str, Any]:
    return {"words": [[w.word, w.start, w.end] for w in words]}


def words_from_json(value: Any) -> tuple[WordTiming, ...]:
    """The words of :func:`words_to_json`'s document (ValueError if it is not one)."""
    try:
        return tuple(
            WordTiming(str(word), float(start), float(end)) for word, start, end in value["words"]
        )
    except (KeyError, TypeError, ValueError) as error:
        raise ValueError(f"not a word-timings document: {error}") from error


def store_words(media: MediaStore, audio_key: str, words: Sequence[WordTiming]) -> None:
    """Keep the timings beside the audio object (write them before the audio itself)."""
    media.put_json(timings_key(audio_key), words_to_json(words))


def stored_words(media: MediaStore, audio_key: str) -> tuple[WordTiming, ...] | None:
    """The timings kept beside an audio object; None when there are none or they are
    unreadable (then the audio is heard instead)."""
    import json

    stored = media.get_bytes_if_exists(timings_key(audio_key))
    if stored is None:
        return None
    try:
        return words_from_json(json.loads(stored))
    except ValueError:
        return None


def heard_words(audio: Audio) -> tuple[WordTiming, ...]:
    """The words Whisper hears, with its word timestamps."""
    from audiofn.stt.whisper import transcribe

    heard = transcribe(audio, word_timestamps=True).words
    return tuple(WordTiming(w.word.strip(), w.start, w.end) for w in heard if w.word.strip())


def spoken_words(audio: Audio, given: Sequence[WordTiming] | None) -> tuple[WordTiming, ...]:
    """The engine's own timings when it gave them, else what Whisper hears."""
    return tuple(given) if given is not None else heard_words(audio)
