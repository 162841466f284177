"""Speak a speech request piece by piece, and encode each piece as soon as it is spoken.

Every piece (see :mod:`.sentences`) is an independent utterance: its leading and trailing
silence is cut to short margins, its edges faded over a few milliseconds, and a pause of
digital silence follows it. Pieces therefore join without clicks or uneven gaps, and the
stream's first bytes leave once the first piece is spoken. A consumer that stops reading
stops the synthesis: nothing is spoken ahead of what has been sent.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Generator, Iterator
from dataclasses import dataclass, field

import numpy as np

from audiofn.audio import Audio, Samples
from audiofn.openai_speech.encoders import stream_encoder
from audiofn.openai_speech.request import SpeechRequest
from audiofn.openai_speech.sentences import FIRST_PIECE_WORDS, Piece, split_pieces
from audiofn.openai_speech.voices import speech_voice
from audiofn.text.lexicon import Lexicon, LexiconEntry, ResolvedLexicon
from audiofn.text.ssml import is_ssml
from audiofn.tts.catalogue import Voice
from audiofn.tts.registry import EngineSettings
from audiofn.tts.word_timings import WordTiming

FADE_MS = 5
FIRST_PIECE_WORDS_BY_PROVIDER = {"kokoro": 4}
"""A shorter first piece for engines that take longer per word (first byte within 0.6 s)."""
GAIN = 10 ** (-2.0 / 20)  # Piper renders at full scale: leave lossy encoders headroom


@dataclass(frozen=True)
class SpeechPlan:
    """What will be spoken, how, and into which format: everything checked before the first
    byte (a stream cannot turn into an error response once it has started)."""

    voice: Voice
    pieces: tuple[Piece, ...]
    speed: float
    sample_rate: int
    response_format: str
    stream_format: str
    lexicon: ResolvedLexicon | None
    input_chars: int


@dataclass
class SpeechProgress:
    """How far a stream got; read by tests, logs and the benchmark."""

    pieces_total: int
    pieces_spoken: int = 0
    audio_seconds: float = 0.0
    finished: bool = False
    stopped_early: bool = False
    piece_seconds: list[float] = field(default_factory=list)


def plan_speech(
    request: SpeechRequest,
    *,
    engine_settings: EngineSettings,
    lexicon_entries: list[LexiconEntry] | None = None,
    custom_voice: Voice | None = None,
) -> SpeechPlan:
    voice = custom_voice or speech_voice(
        request.voice,
        request.speech_synthesis_language,
        polly_enabled=engine_settings.polly_enabled,
        upstream_enabled=engine_settings.upstream_enabled,
    )
    text = request.input
    # SSML is spoken whole: cutting markup at sentence ends would break its elements.
    first_words = FIRST_PIECE_WORDS_BY_PROVIDER.get(voice.provider, FIRST_PIECE_WORDS)
    pieces = (Piece(text.strip(), 0),) if is_ssml(text) else tuple(split_pieces(text, first_words))
    lexicon = Lexicon(lexicon_entries).for_voice(voice) if lexicon_entries else None
    return SpeechPlan(
        voice=voice,
        pieces=pieces,
        speed=request.speed,
        sample_rate=request.output_rate,
        response_format=request.response_format,
        stream_format=request.stream_format,
        lexicon=lexicon,
        input_chars=len(text),
    )


def speak_piece(plan: SpeechPlan, piece: Piece, settings: EngineSettings) -> Samples:
    """One piece at the output rate, trimmed, faded and followed by its pause."""
    return speak_piece_timed(plan, piece, settings)[0]


def speak_piece_timed(
    plan: SpeechPlan, piece: Piece, settings: EngineSettings
) -> tuple[Samples, tuple[WordTiming, ...] | None]:
    """:func:`speak_piece`, with its words' timings where the engine gives them."""
    from audiofn.dsp.effects import resample
    from audiofn.tts.ssml_render import _trimmed, render_text_timed
    from audiofn.tts.word_timings import shifted

    spoken = render_text_timed(
        piece.text, plan.voice, plan.speed, settings, lexicon=plan.lexicon, field="input"
    )
    audio = spoken.audio
    if audio.samples.ndim > 1:
        audio = Audio(audio.samples.mean(axis=1).astype(np.float32), audio.sample_rate)
    audio, moved = _trimmed(audio)
    words = shifted(spoken.words, moved) if spoken.words is not None else None
    samples = np.asarray(audio.samples, dtype=np.float32) * np.float32(GAIN)
    fade = min(FADE_MS * audio.sample_rate // 1000, len(samples) // 2)
    if fade:
        ramp = np.linspace(0.0, 1.0, fade, dtype=np.float32)
        samples[:fade] *= ramp
        samples[-fade:] *= ramp[::-1]
    said = resample(Audio(samples, audio.sample_rate), plan.sample_rate).samples
    pause = round(piece.pause_ms / plan.speed * plan.sample_rate / 1000)
    return np.concatenate([said, np.zeros(pause, dtype=np.float32)]), words


def iter_audio(
    plan: SpeechPlan, settings: EngineSettings, progress: SpeechProgress | None = None
) -> Iterator[Samples]:
    """Each piece's samples, spoken only when the previous one has been taken."""
    for samples, _ in iter_timed_audio(plan, settings, progress):
        yield samples


def iter_timed_audio(
    plan: SpeechPlan, settings: EngineSettings, progress: SpeechProgress | None = None
) -> Iterator[tuple[Samples, tuple[WordTiming, ...] | None]]:
    """:func:`iter_audio`, each piece with its words' timings where the engine gives them."""
    import time

    for piece in plan.pieces:
        started = time.perf_counter()
        samples, words = speak_piece_timed(plan, piece, settings)
        if progress is not None:
            progress.pieces_spoken += 1
            progress.audio_seconds += len(samples) / plan.sample_rate
            progress.piece_seconds.append(time.perf_counter() - started)
        yield samples, words


def iter_encoded(
    plan: SpeechPlan, settings: EngineSettings, progress: SpeechProgress | None = None
) -> Generator[bytes, None, None]:
    """The response body in ``plan.response_format``, chunk by chunk (closing the generator
    stops the synthesis after the piece being spoken)."""
    progress = progress if progress is not None else SpeechProgress(len(plan.pieces))
    encoder = stream_encoder(plan.response_format, plan.sample_rate)
    try:
        for samples in iter_audio(plan, settings, progress):
            data = encoder.encode(samples)
            if data:
                yield data
        tail = encoder.finish()
        progress.finished = True
        if tail:
            yield tail
    finally:
        if not progress.finished:
            progress.stopped_early = True
            close = getattr(encoder, "close", None)
            if close is not None:
                close()


def iter_sse(
    plan: SpeechPlan, settings: EngineSettings, progress: SpeechProgress | None = None
) -> Iterator[bytes]:
    """Server-sent events: ``speech.audio.delta`` (base64 audio) then ``speech.audio.done``."""
    progress = progress if progress is not None else SpeechProgress(len(plan.pieces))
    for chunk in iter_encoded(plan, settings, progress):
        event = {"type": "speech.audio.delta", "audio": base64.b64encode(chunk).decode()}
        yield f"data: {json.dumps(event)}\n\n".encode()
    output_tokens = round(progress.audio_seconds * 10)  # ~10 audio tokens per second spoken
    input_tokens = max(1, plan.input_chars // 4)
    done = {
        "type": "speech.audio.done",
        "usage": {
            "input_tokens": input_tokens,
            "output_tokens": output_tokens,
            "total_tokens": input_tokens + output_tokens,
        },
    }
    yield f"data: {json.dumps(done)}\n\n".encode()


def iter_body(
    plan: SpeechPlan, settings: EngineSettings, progress: SpeechProgress | None = None
) -> Iterator[bytes]:
    """The body the request asked for: audio bytes, or server-sent events."""
    if plan.stream_format == "sse":
        return iter_sse(plan, settings, progress)
    return iter_encoded(plan, settings, progress)


def synthesize_bytes(plan: SpeechPlan, settings: EngineSettings) -> bytes:
    """The whole body at once (the buffered API). WAV gets its real sizes here."""
    body = b"".join(iter_body(plan, settings))
    if plan.response_format == "wav" and plan.stream_format == "audio":
        from audiofn.openai_speech.encoders import wav_stream_header

        header = wav_stream_header(plan.sample_rate)
        body = wav_stream_header(plan.sample_rate, len(body) - len(header)) + body[len(header) :]
    return body
