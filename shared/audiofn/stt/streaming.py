"""Live transcription: 16-bit PCM in, partial and final transcripts of utterances out.

Endpointing is by energy, on 20 ms frames: a frame is voiced when its level is well above a
running noise floor (and above an absolute floor, so digital silence and room hum are not
speech). An utterance starts at the first voiced frame (with a little audio before it, so a
soft onset is not clipped) and ends after ``endpoint_ms`` of silence; it is then decoded once
more and sent as a final transcript. While it is open, it is decoded every
``partial_interval_ms`` of new audio and sent as a partial transcript.

The final comes quickly because it is decoded speculatively: as soon as ``speculate_ms`` of
silence follows the last voiced frame, the utterance is decoded in the background of the
wait; if the silence lasts until the endpoint, that result is the final and no decode is left
to do. If speech resumes, the guess is dropped.

The recogniser's whole state is plain data (:class:`RecogniserState`) so a stateless function
(Lambda behind a WebSocket API) can save it between messages and carry on.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

import numpy as np
import numpy.typing as npt
from pydantic import BaseModel

from audiofn.audio import Audio
from audiofn.stt.whisper import WHISPER_SAMPLE_RATE

if TYPE_CHECKING:
    from audiofn.stt.engines import STTEngine
    from audiofn.stt.whisper import Transcript

RATE = WHISPER_SAMPLE_RATE
FRAME = RATE // 50  # 20 ms
_MS = RATE // 1000  # samples per millisecond

MessageType = Literal["PartialTranscript", "FinalTranscript"]


@dataclass(frozen=True)
class EndpointSettings:
    """How utterances are cut; every duration in milliseconds."""

    endpoint_ms: int = 300
    speculate_ms: int = 100
    partial_interval_ms: int = 600
    pre_roll_ms: int = 200
    tail_ms: int = 200
    min_speech_ms: int = 120
    max_utterance_ms: int = 20_000
    margin_db: float = 12.0
    floor_dbfs: float = -50.0


class WordTiming(BaseModel):
    start: int
    end: int
    confidence: float
    text: str


class TranscriptMessage(BaseModel):
    """One message of the realtime protocol; times are ms since the session started."""

    message_type: MessageType
    audio_start: int
    audio_end: int
    confidence: float
    text: str
    words: list[WordTiming]
    created: str


class Decoded(BaseModel):
    """A decode of the open utterance up to ``voiced_end`` (kept for the speculative final)."""

    start: int
    voiced_end: int
    end: int
    text: str
    confidence: float
    words: list[WordTiming]


class RecogniserState(BaseModel):
    """Everything needed to resume: sample positions are at 16 kHz since the session start."""

    received: int = 0  # samples received so far (the end of the buffer)
    buffer_start: int = 0  # position of the first buffered sample
    noise_db: float = -70.0
    in_speech: bool = False
    utterance_start: int = 0
    voiced_end: int = 0  # end of the last voiced frame
    voiced_samples: int = 0
    closed_at: int = 0  # end of the last final: the next utterance starts after it
    last_partial_at: int = 0
    guess: Decoded | None = None


@dataclass
class StreamingRecogniser:
    """Feed audio with :meth:`add_audio`, then :meth:`step` to decode what is due.

    ``add_audio`` is cheap (levels only); ``step`` runs the model. A caller that falls
    behind feeds every chunk waiting and steps once, so a backlog never queues decodes.
    """

    engine: STTEngine
    settings: EndpointSettings = field(default_factory=EndpointSettings)
    state: RecogniserState = field(default_factory=RecogniserState)
    buffer: npt.NDArray[np.float32] = field(default_factory=lambda: np.zeros(0, dtype=np.float32))
    # Ended utterances not yet decoded: (start, voiced_end, end). Empty after every step.
    _pending: list[tuple[int, int, int]] = field(default_factory=list)
    _decode_seconds: float = 0.0  # the last decode's wall time

    # ------------------------------------------------------------------ audio in

    def add_audio(self, samples: npt.NDArray[np.float32]) -> None:
        """Append 16 kHz mono float samples and update the endpointer, frame by frame."""
        state = self.state
        analysed = state.received - (state.received % FRAME)
        self.buffer = np.concatenate([self.buffer, samples.astype(np.float32, copy=False)])
        state.received += len(samples)
        while analysed + FRAME <= state.received:
            self._frame(analysed)
            analysed += FRAME
        if not state.in_speech:
            self._trim(state.received - self.settings.pre_roll_ms * _MS - FRAME)

    def _frame(self, start: int) -> None:
        state, cfg = self.state, self.settings
        frame = self.buffer[start - state.buffer_start : start - state.buffer_start + FRAME]
        level = 10.0 * math.log10(float(np.mean(np.square(frame, dtype=np.float64))) + 1e-12)
        voiced = level > max(state.noise_db + cfg.margin_db, cfg.floor_dbfs)
        if not voiced:
            # The floor follows quiet frames: fast down, slowly up (speech never lifts it).
            rate = 0.3 if level < state.noise_db else 0.02
            state.noise_db = max(-90.0, state.noise_db + rate * (level - state.noise_db))
        if voiced:
            if not state.in_speech:
                state.in_speech = True
                state.utterance_start = max(
                    state.buffer_start, state.closed_at, start - cfg.pre_roll_ms * _MS
                )
                state.voiced_samples = 0
                state.last_partial_at = start
                state.guess = None
            state.voiced_end = start + FRAME
            state.voiced_samples += FRAME
            if state.guess is not None and state.guess.voiced_end != state.voiced_end:
                state.guess = None  # speech resumed: the speculative decode is stale
        elif state.in_speech:
            silence = start + FRAME - state.voiced_end
            if silence >= cfg.endpoint_ms * _MS:
                end = state.voiced_end + cfg.tail_ms * _MS
                self._pending.append((state.utterance_start, state.voiced_end, end))
                self._close_utterance(end)
        if state.in_speech and start + FRAME - state.utterance_start >= cfg.max_utterance_ms * _MS:
            self._pending.append((state.utterance_start, start + FRAME, start + FRAME))
            self._close_utterance(start + FRAME)

    def _close_utterance(self, at: int) -> None:
        state = self.state
        if state.voiced_samples < self.settings.min_speech_ms * _MS:
            self._pending.pop()  # a click or a breath: nothing to decode
        state.in_speech = False
        state.voiced_samples = 0
        state.closed_at = at

    def _trim(self, keep_from: int) -> None:
        """Drop buffered audio before ``keep_from`` unless a pending final still needs it."""
        state = self.state
        needed = [item[0] for item in self._pending]
        keep_from = min([keep_from, *needed]) if needed else keep_from
        drop = keep_from - state.buffer_start
        if drop > 0:
            self.buffer = self.buffer[drop:]
            state.buffer_start = keep_from

    # ------------------------------------------------------------------ decoding

    def step(self, now: str) -> list[TranscriptMessage]:
        """Decode what is due: finals of ended utterances, then a partial of the open one."""
        messages: list[TranscriptMessage] = []
        state, cfg = self.state, self.settings
        while self._pending:
            start, voiced_end, end = self._pending[0]
            guess = state.guess
            if guess is not None and (guess.start, guess.voiced_end) == (start, voiced_end):
                decoded = guess
            else:
                decoded = self._decode(start, voiced_end, end)
            self._pending.pop(0)
            state.guess = None
            messages.append(_message("FinalTranscript", decoded, now))
        if not state.in_speech:
            self._trim(state.received - cfg.pre_roll_ms * _MS - FRAME)
            return messages
        silence = state.received - state.voiced_end
        speculate = silence >= cfg.speculate_ms * _MS and (
            state.guess is None or state.guess.voiced_end != state.voiced_end
        )
        # On a busy machine partials back off, so decoding keeps up and finals stay prompt.
        interval = max(cfg.partial_interval_ms * _MS, int(2 * self._decode_seconds * RATE))
        partial_due = state.received - state.last_partial_at >= interval
        if (speculate or partial_due) and state.voiced_samples >= cfg.min_speech_ms * _MS:
            end = min(state.received, state.voiced_end + cfg.tail_ms * _MS)
            decoded = self._decode(state.utterance_start, state.voiced_end, end)
            state.last_partial_at = state.received
            if speculate:
                state.guess = decoded
            messages.append(_message("PartialTranscript", decoded, now))
        return messages

    def finish(self, now: str) -> list[TranscriptMessage]:
        """The stream ended: the open utterance (if it holds speech) becomes a final."""
        state = self.state
        if state.in_speech:
            end = state.received
            self._pending.append((state.utterance_start, state.voiced_end, end))
            self._close_utterance(end)
        return self.step(now)

    def _decode(self, start: int, voiced_end: int, end: int) -> Decoded:
        state = self.state
        clip = self.buffer[start - state.buffer_start : end - state.buffer_start]
        started = time.perf_counter()
        transcript = self.engine.transcribe(
            Audio(np.ascontiguousarray(clip), RATE), word_timestamps=True, fast=True
        )
        self._decode_seconds = time.perf_counter() - started
        return _decoded(transcript, start, voiced_end, end)


def _decoded(transcript: Transcript, start: int, voiced_end: int, end: int) -> Decoded:
    offset_ms = start / _MS
    words = [
        WordTiming(
            start=round(offset_ms + w.start * 1000),
            end=round(offset_ms + w.end * 1000),
            confidence=round(float(w.probability), 4),
            text=w.word,
        )
        for w in transcript.words
        if w.word
    ]
    confidence = sum(w.confidence for w in words) / len(words) if words else 0.0
    return Decoded(
        start=start,
        voiced_end=voiced_end,
        end=end,
        text=transcript.text,
        confidence=round(confidence, 4),
        words=words,
    )


def _message(kind: MessageType, decoded: Decoded, now: str) -> TranscriptMessage:
    return TranscriptMessage(
        message_type=kind,
        audio_start=decoded.start // _MS,
        audio_end=decoded.end // _MS,
        confidence=decoded.confidence,
        text=decoded.text,
        words=decoded.words,
        created=now,
    )
