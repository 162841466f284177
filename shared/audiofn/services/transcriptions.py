"""OpenAI-compatible transcription: an uploaded audio file in, text in one of five formats out.

``json`` ({"text"}), ``text``, ``srt``, ``vtt`` (one cue per recognised segment, as OpenAI
cuts them) and ``verbose_json`` (segments, and words with timings when asked for with
``timestamp_granularities[]=word``).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any, Literal

from pydantic import BaseModel, Field

from audiofn.errors import InvalidInput

ResponseFormat = Literal["json", "text", "srt", "vtt", "verbose_json"]
RESPONSE_FORMATS: tuple[str, ...] = ("json", "text", "srt", "vtt", "verbose_json")
MAX_UPLOAD_BYTES = 4_000_000  # Lambda's 6 MB request limit, after base64
MAX_AUDIO_SECONDS = 600.0
"""Longest recording transcribed: Whisper tiny.en must finish within the function's 29 s."""


class TranscriptionRequest(BaseModel):
    model: str
    response_format: ResponseFormat = "json"
    language: str | None = None
    prompt: str | None = None
    temperature: float = Field(0.0, ge=0, le=1)
    timestamp_granularities: list[Literal["word", "segment"]] = ["segment"]


class TranscriptionResult(BaseModel):
    body: str
    content_type: str


def transcribe_upload(
    data: bytes, filename: str | None, request: TranscriptionRequest
) -> TranscriptionResult:
    from audiofn.codecs import UnsupportedFormat
    from audiofn.stt.engines import UnknownModel, get_stt_engine
    from audiofn.stt.whisper import WHISPER_SAMPLE_RATE
    from audiofn.upload_audio import UploadLimits, decode_upload

    if request.language and request.language.split("-")[0].lower() != "en":
        raise InvalidInput(
            f"language '{request.language}' is not available; this model transcribes English",
            field="language",
        )
    try:
        engine = get_stt_engine(request.model)
    except UnknownModel as error:
        raise InvalidInput(str(error), field="model") from None
    if not data:
        raise InvalidInput("file is empty", field="file")
    if len(data) > MAX_UPLOAD_BYTES:
        raise InvalidInput(f"file is larger than {MAX_UPLOAD_BYTES} bytes", field="file")
    try:
        audio = decode_upload(
            data,
            UploadLimits(max_seconds=MAX_AUDIO_SECONDS),
            sample_rate=WHISPER_SAMPLE_RATE,
            mono=True,
        )
    except UnsupportedFormat as error:
        name = f" '{filename}'" if filename else ""
        raise InvalidInput(f"file{name}: {error}", field="file") from None
    words = request.response_format == "verbose_json" and "word" in request.timestamp_granularities
    transcript = engine.transcribe(audio, word_timestamps=words, prompt=request.prompt)
    fmt = request.response_format
    if fmt == "text":
        return TranscriptionResult(body=transcript.text + "\n", content_type="text/plain")
    if fmt == "srt":
        return TranscriptionResult(body=to_srt(transcript.segments), content_type="text/plain")
    if fmt == "vtt":
        return TranscriptionResult(body=to_vtt(transcript.segments), content_type="text/vtt")
    body: dict[str, Any] = {"text": transcript.text}
    if fmt == "verbose_json":
        body = {
            "task": "transcribe",
            "language": "english",
            "duration": round(transcript.duration, 3),
            "text": transcript.text,
            "segments": [
                {
                    "id": index,
                    "seek": 0,
                    "start": round(segment.start, 3),
                    "end": round(segment.end, 3),
                    "text": segment.text,
                    "tokens": [],
                    "temperature": request.temperature,
                    "avg_logprob": 0.0,
                    "compression_ratio": 0.0,
                    "no_speech_prob": 0.0,
                }
                for index, segment in enumerate(transcript.segments)
            ],
        }
        if words:
            body["words"] = [
                {"word": w.word, "start": round(w.start, 3), "end": round(w.end, 3)}
                for w in transcript.words
            ]
    return TranscriptionResult(body=json.dumps(body), content_type="application/json")


def _clock(seconds: float, separator: str) -> str:
    millis = round(max(0.0, seconds) * 1000)
    hours, millis = divmod(millis, 3_600_000)
    minutes, millis = divmod(millis, 60_000)
    secs, millis = divmod(millis, 1000)
    return f"{hours:02d}:{minutes:02d}:{secs:02d}{separator}{millis:03d}"


def to_srt(segments: Sequence[Any]) -> str:
    cues = [
        f"{i}\n{_clock(s.start, ',')} --> {_clock(s.end, ',')}\n{s.text}\n"
        for i, s in enumerate(segments, start=1)
    ]
    return "\n".join(cues)


def to_vtt(segments: Sequence[Any]) -> str:
    cues = [f"{_clock(s.start, '.')} --> {_clock(s.end, '.')}\n{s.text}\n" for s in segments]
    return "WEBVTT\n\n" + "\n".join(cues)
