"""Word boundaries: when each word of the input is spoken, with the audio that says it.

The batch-and-streaming seed's ``extra_body.enable_word_boundary`` asks for them, in its
client's event shape (``type: "word_boundary"``, ``text``, ``audio_offset_ms``,
``duration_ms``, ``text_offset``, ``word_length``, ``boundary_type`` of ``word``,
``punctuation`` or ``sentence``). Answered whole, the body is ``{"audio": <base64 file>,
"word_boundaries": [...]}``; streamed, it is NDJSON: ``{"type": "audio", "data": <base64>}``
lines as the audio is encoded, each followed by its piece's boundary events.

Timings come the way captions get theirs: the engine's own where it gives them (Kokoro's
phoneme durations), else Whisper hears each spoken piece with word timestamps; the written
words take those words' times (``align_written_words``). Whisper tiny.en only knows English,
so a piece of another engine in another language (or one it hears nothing in) shares its
spoken time among its words by their length.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Iterator
from typing import Any

import numpy as np

from audiofn.audio import Audio, Samples
from audiofn.openai_speech.encoders import stream_encoder, wav_stream_header
from audiofn.openai_speech.synthesis import SpeechPlan, SpeechProgress, iter_timed_audio
from audiofn.tts.registry import EngineSettings
from audiofn.tts.word_timings import WordTiming

_TOKEN = re.compile("\\w[\\w'\u2019-]*|[^\\w\\s]+")


def boundary_event(
    text: str, start: float, end: float, text_offset: int, boundary_type: str
) -> dict[str, Any]:
    """One event in the seed client's ``TTSWordBoundaryEvent`` shape (times in seconds in)."""
    return {
        "type": "word_boundary",
        "text": text,
        "audio_offset_ms": round(start * 1000, 1),
        "duration_ms": round(max(0.0, end - start) * 1000, 1),
        "text_offset": text_offset,
        "word_length": len(text),
        "boundary_type": boundary_type,
    }


def piece_offsets(text: str, pieces: tuple[str, ...]) -> list[int]:
    """Where each piece starts in the input (pieces are cut from it in order)."""
    offsets, cursor = [], 0
    for piece in pieces:
        found = text.find(piece, cursor)
        at = found if found >= 0 else cursor
        offsets.append(at)
        cursor = at + len(piece) if found >= 0 else cursor
    return offsets


def _spoken_seconds(samples: Samples, sample_rate: int) -> float:
    """Up to the last sample that is not the pause's digital silence."""
    voiced = np.flatnonzero(np.abs(samples) > 1e-6)
    return float(voiced[-1] + 1) / sample_rate if voiced.size else 0.0


def _heard_words(
    samples: Samples, sample_rate: int, english: bool
) -> list[tuple[str, float, float]]:
    if not english:
        return []
    from audiofn.stt.whisper import transcribe

    heard = transcribe(Audio(samples, sample_rate), word_timestamps=True).words
    return [(w.word, w.start, w.end) for w in heard]


def _by_length(words: list[str], spoken: float) -> list[tuple[str, float, float]]:
    total = sum(len(w) for w in words) or 1
    timed, at = [], 0.0
    for word in words:
        step = spoken * len(word) / total
        timed.append((word, at, at + step))
        at += step
    return timed


def piece_boundaries(
    piece: str,
    samples: Samples,
    sample_rate: int,
    *,
    english: bool,
    text_offset: int,
    audio_offset: float,
    given: tuple[WordTiming, ...] | None = None,
) -> list[dict[str, Any]]:
    """The sentence, then its words and punctuation, on the whole stream's clock; ``given``
    is the engine's own timing of the piece's words, if it gave one."""
    from audiofn.captions import align_written_words

    spoken = _spoken_seconds(samples, sample_rate)
    written = piece.split()
    if given is not None:
        heard = [(w.word, w.start, w.end) for w in given]
    else:
        heard = _heard_words(samples, sample_rate, english)
    timed = align_written_words(piece, heard) if heard else []
    if len(timed) != len(written):
        timed = _by_length(written, spoken)
    events = [boundary_event(piece, audio_offset, audio_offset + spoken, text_offset, "sentence")]
    cursor = 0
    for token, (_, start, end) in zip(written, timed, strict=True):
        at = piece.find(token, cursor)
        cursor = at + len(token)
        for part in _TOKEN.finditer(token):
            kind = "word" if part.group()[0].isalnum() or part.group()[0] == "_" else "punctuation"
            # punctuation takes no time of its own: it sits where its word ends
            begin = start if kind == "word" else end
            events.append(
                boundary_event(
                    part.group(),
                    audio_offset + begin,
                    audio_offset + end,
                    text_offset + at + part.start(),
                    kind,
                )
            )
    return events


def iter_timed_chunks(
    plan: SpeechPlan, settings: EngineSettings, text: str, progress: SpeechProgress
) -> Iterator[tuple[bytes, list[dict[str, Any]]]]:
    """Each piece's encoded bytes with its boundary events; the encoder's tail comes last."""
    english = plan.voice.language_subtag == "en"
    offsets = piece_offsets(text, tuple(piece.text for piece in plan.pieces))
    encoder = stream_encoder(plan.response_format, plan.sample_rate)
    clock = 0.0
    pieces = iter(zip(plan.pieces, offsets, strict=True))
    for samples, words in iter_timed_audio(plan, settings, progress):
        piece, offset = next(pieces)
        events = piece_boundaries(
            piece.text,
            samples,
            plan.sample_rate,
            english=english,
            text_offset=offset,
            audio_offset=clock,
            given=words,
        )
        clock += len(samples) / plan.sample_rate
        yield encoder.encode(samples), events
    tail = encoder.finish()
    progress.finished = True
    yield tail, []


def iter_ndjson(
    plan: SpeechPlan, settings: EngineSettings, text: str, progress: SpeechProgress
) -> Iterator[bytes]:
    """The streamed body: audio lines, each followed by the boundaries of what it says."""
    for data, events in iter_timed_chunks(plan, settings, text, progress):
        lines = [{"type": "audio", "data": base64.b64encode(data).decode()}] if data else []
        lines += events
        if lines:
            yield "".join(json.dumps(line) + "\n" for line in lines).encode()


def boundaries_json(plan: SpeechPlan, settings: EngineSettings, text: str) -> bytes:
    """The whole body: the complete file (a WAV with its real sizes) and every boundary."""
    progress = SpeechProgress(len(plan.pieces))
    chunks, events = [], []
    for data, piece_events in iter_timed_chunks(plan, settings, text, progress):
        chunks.append(data)
        events += piece_events
    audio = b"".join(chunks)
    if plan.response_format == "wav":
        header = wav_stream_header(plan.sample_rate)
        audio = wav_stream_header(plan.sample_rate, len(audio) - len(header)) + audio[len(header) :]
    return json.dumps(
        {"audio": base64.b64encode(audio).decode(), "word_boundaries": events}
    ).encode()
