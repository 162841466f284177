"""The ``POST /v1/audio/speech`` request: OpenAI's fields plus the seeds' extensions.

OpenAI's fields: ``model``, ``input`` (at most 4,096 characters), ``voice``, ``response_format``
(mp3 by default), ``speed`` (0.25..4.0), ``instructions`` and ``stream_format`` (audio|sse).
Extensions: ``model_extensions.sr`` (a sample rate), and ``speech_synthesis_language``,
``sample_rate`` and ``enable_word_boundary`` either at the top level (the ``openai`` package
merges ``extra_body`` into the body) or nested under ``extra_body`` (the batch-and-streaming
seed's client, the AI Refinery SDK, sends it as one object, with a ``stream`` flag).
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from audiofn.errors import InvalidInput

MAX_INPUT_CHARS = 4096
MIN_SPEED, MAX_SPEED = 0.25, 4.0
SAMPLE_RATES = (8000, 16000, 22050, 24000, 44100, 48000)
DEFAULT_SAMPLE_RATE = 24_000  # OpenAI's rate (its pcm is 24 kHz 16-bit little-endian mono)
EXTRA_BODY_FIELDS = ("speech_synthesis_language", "sample_rate", "enable_word_boundary")
"""What the batch-and-streaming seed passes in ``extra_body``."""
RESPONSE_FORMATS = ("mp3", "opus", "aac", "flac", "wav", "pcm")
STREAM_FORMATS = ("audio", "sse")

ResponseFormat = Literal["mp3", "opus", "aac", "flac", "wav", "pcm"]

CONTENT_TYPES: dict[str, str] = {
    "mp3": "audio/mpeg",
    "opus": "audio/ogg; codecs=opus",
    "aac": "audio/aac",
    "flac": "audio/flac",
    "wav": "audio/wav",
    "pcm": "audio/pcm",
}

MODELS = ("tts-1", "tts-1-hd", "gpt-4o-mini-tts")
"""Listed by ``GET /v1/models``. Any model name is accepted (clients keep theirs): the voice,
not the model, chooses the engine."""


class ModelExtensions(BaseModel):
    """Parameters beyond OpenAI's, as the seed passes them (``model_extensions``)."""

    model_config = ConfigDict(extra="ignore")

    sr: int | None = None


class SpeechRequest(BaseModel):
    model_config = ConfigDict(extra="ignore", str_strip_whitespace=False)

    model: str = Field(min_length=1, max_length=200)
    input: str
    voice: str = Field(min_length=1, max_length=200)
    response_format: ResponseFormat = "mp3"
    """mp3 for OpenAI's clients; wav for the batch-and-streaming seed's (see ``_seed_shape``)."""
    speed: float = Field(1.0, ge=MIN_SPEED, le=MAX_SPEED)
    instructions: str | None = Field(None, max_length=MAX_INPUT_CHARS)
    stream_format: Literal["audio", "sse"] = "audio"
    model_extensions: ModelExtensions | None = None
    speech_synthesis_language: str | None = Field(None, min_length=2, max_length=35)
    sample_rate: int | None = None
    enable_word_boundary: bool = False
    stream: bool | None = None
    """The seed's client says whether it reads the reply as a stream (None: OpenAI's, always)."""

    @model_validator(mode="before")
    @classmethod
    def _seed_shape(cls, body: Any) -> Any:
        """Lift a nested ``extra_body`` to the top level (fields given there win), and default
        ``response_format`` to the seed's ``wav`` when the body has the seed's shape."""
        if not isinstance(body, dict):
            return body
        nested = body.get("extra_body")
        if nested is None and "stream" not in body:
            return body
        nested = nested if isinstance(nested, dict) else {}  # not an object: parse_ refuses it
        lifted = {key: value for key, value in body.items() if key != "extra_body"}
        lifted.update({key: nested[key] for key in EXTRA_BODY_FIELDS if key in nested})
        lifted.setdefault("response_format", "wav")
        return lifted

    @field_validator("input")
    @classmethod
    def _input_length(cls, text: str) -> str:
        if not text.strip():
            raise ValueError("input is empty: give the text to speak")
        if len(text) > MAX_INPUT_CHARS:
            raise ValueError(
                f"input is {len(text)} characters long; the maximum is {MAX_INPUT_CHARS}"
            )
        return text

    @field_validator("sample_rate")
    @classmethod
    def _known_rate(cls, rate: int | None) -> int | None:
        if rate is not None and rate not in SAMPLE_RATES:
            raise ValueError(f"must be one of {', '.join(map(str, SAMPLE_RATES))}")
        return rate

    @property
    def output_rate(self) -> int:
        """``sample_rate`` wins over ``model_extensions.sr``; OpenAI's 24 kHz otherwise."""
        if self.sample_rate is not None:
            return self.sample_rate
        if self.model_extensions is not None and self.model_extensions.sr is not None:
            return self.model_extensions.sr
        return DEFAULT_SAMPLE_RATE

    @property
    def buffered(self) -> bool:
        """Answered whole (exact WAV sizes, a Content-Length) rather than streamed: when the
        body says ``"stream": false``, and for a WAV unless it says ``"stream": true`` (a WAV
        header written before the audio cannot know its sizes)."""
        if self.stream is not None:
            return not self.stream
        return (
            self.response_format == "wav"
            and self.stream_format == "audio"
            and not self.enable_word_boundary
        )

    @property
    def content_type(self) -> str:
        if self.enable_word_boundary:
            return "application/json" if self.buffered else "application/x-ndjson"
        if self.stream_format == "sse":
            return "text/event-stream"
        return CONTENT_TYPES[self.response_format]


def parse_speech_request(body: Any) -> SpeechRequest:
    """Validate a decoded JSON body; :class:`InvalidInput` names the field that is wrong."""
    if not isinstance(body, dict):
        raise InvalidInput("the request body must be a JSON object", field=None)
    if body.get("extra_body") is not None and not isinstance(body["extra_body"], dict):
        raise InvalidInput("extra_body must be a JSON object", field="extra_body")
    try:
        request = SpeechRequest.model_validate(body)
    except ValidationError as exc:
        raise _invalid(exc) from exc
    sr = request.model_extensions.sr if request.model_extensions else None
    if sr is not None and sr not in SAMPLE_RATES:
        raise InvalidInput(
            f"model_extensions.sr must be one of {', '.join(map(str, SAMPLE_RATES))}",
            field="model_extensions.sr",
        )
    return request


def _invalid(exc: ValidationError) -> InvalidInput:
    error = exc.errors()[0]
    field = ".".join(str(part) for part in error["loc"]) or None
    kind = error["type"]
    if kind == "missing":
        return InvalidInput(f"{field} is required", field=field)
    if field == "response_format":
        return InvalidInput(
            f"response_format must be one of: {', '.join(RESPONSE_FORMATS)}", field=field
        )
    if field == "stream_format":
        return InvalidInput(
            f"stream_format must be one of: {', '.join(STREAM_FORMATS)}", field=field
        )
    if field == "speed":
        return InvalidInput(f"speed must be a number from {MIN_SPEED} to {MAX_SPEED}", field=field)
    message = str(error["msg"]).removeprefix("Value error, ")
    if message.startswith(f"{field} "):
        return InvalidInput(message, field=field)
    return InvalidInput(f"{field}: {message}", field=field)
