"""The realtime transcription protocol, independent of the transport that carries it.

A session receives an init text message (``{"sample_rate": 16000}``, optional ``encoding``
and ``end_utterance_silence_threshold`` in ms), then binary chunks of 16-bit little-endian PCM,
then ``{"done": true}``; it answers with PartialTranscript and FinalTranscript messages. The
local runtime's websocket route and the Lambda behind the WebSocket API both drive this class;
the Lambda saves :meth:`RealtimeSession.snapshot` between messages.

Protocol errors raise :class:`ProtocolError`; the transport sends :func:`error_message` and
closes with the error's code.
"""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from audiofn.stt.streaming import (
    RATE,
    EndpointSettings,
    RecogniserState,
    StreamingRecogniser,
    TranscriptMessage,
)

if TYPE_CHECKING:
    from audiofn.stt.engines import STTEngine

CLOSE_NORMAL = 1000
CLOSE_POLICY = 1008  # the client broke the protocol (bad init, text for audio, idle)
CLOSE_SERVER_ERROR = 1011
ENCODINGS = ("pcm_s16le",)
MAX_CHUNK_BYTES = 1_000_000  # 30 s of 16 kHz audio: a client sending more is not streaming


class ProtocolError(Exception):
    """The client sent something the protocol does not allow; the session ends."""

    def __init__(self, message: str, code: int = CLOSE_POLICY):
        super().__init__(message)
        self.message = message
        self.code = code


class InitMessage(BaseModel):
    model_config = ConfigDict(extra="ignore")

    sample_rate: int = Field(ge=8000, le=48000)
    encoding: Literal["pcm_s16le"] = "pcm_s16le"
    end_utterance_silence_threshold: int | None = Field(None, ge=100, le=5000)


class SessionSnapshot(BaseModel):
    """A session between two messages, for a transport that keeps no process alive."""

    phase: Literal["init", "audio", "closed"] = "init"
    init: InitMessage | None = None
    carry: str = ""  # base64 of an odd trailing byte of the last chunk
    recogniser: RecogniserState = Field(default_factory=RecogniserState)


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def error_message(message: str) -> dict[str, Any]:
    """An error as the server sends it. ``text`` is empty so clients that read it on every
    message (the protocol's own example does) skip it instead of failing."""
    return {"message_type": "Error", "error": message, "text": "", "created": now_iso()}


def transcript_payload(message: TranscriptMessage) -> dict[str, Any]:
    return message.model_dump()


class RealtimeSession:
    """One client's stream: feed it messages, send what it returns."""

    def __init__(
        self,
        engine: STTEngine,
        endpointing: EndpointSettings | None = None,
        snapshot: SessionSnapshot | None = None,
        audio: np.ndarray | None = None,
    ):
        self.engine = engine
        self.endpointing = endpointing or EndpointSettings()
        snapshot = snapshot or SessionSnapshot()
        self.phase = snapshot.phase
        self.init: InitMessage | None = snapshot.init
        self._carry = base64.b64decode(snapshot.carry) if snapshot.carry else b""
        self.recogniser = StreamingRecogniser(
            engine,
            self._settings_for(self.init),
            snapshot.recogniser,
            np.zeros(0, np.float32) if audio is None else audio.astype(np.float32),
        )

    # ------------------------------------------------------------------ messages in

    def receive_text(self, text: str) -> list[dict[str, Any]]:
        """The init message, or the termination message once audio flows."""
        if self.phase == "closed":
            raise ProtocolError("the session has ended")
        payload = _json_object(text)
        if self.phase == "init":
            self._start(payload)
            return []
        if payload.get("done") is True:
            return self.finish()
        raise ProtocolError(
            'expected binary audio or {"done": true} after the init message; '
            f"got a text message with fields {sorted(payload)}"
        )

    def receive_audio(self, data: bytes) -> None:
        """Append one binary chunk; decoding waits for :meth:`step`."""
        if self.phase == "init":
            raise ProtocolError('send the init message ({"sample_rate": ...}) before audio')
        if self.phase == "closed":
            raise ProtocolError("the session has ended")
        if len(data) > MAX_CHUNK_BYTES:
            raise ProtocolError(f"an audio chunk may hold at most {MAX_CHUNK_BYTES} bytes")
        data = self._carry + data
        usable = len(data) - len(data) % 2
        self._carry = data[usable:]
        if usable:
            self.recogniser.add_audio(self._to_model_rate(data[:usable]))

    def step(self) -> list[dict[str, Any]]:
        """Decode what is due (finals first); returns the messages to send."""
        if self.phase != "audio":
            return []
        return [transcript_payload(m) for m in self.recogniser.step(now_iso())]

    def finish(self) -> list[dict[str, Any]]:
        """End of stream: the last utterance becomes a final; the session is closed."""
        messages = []
        if self.phase == "audio":
            messages = [transcript_payload(m) for m in self.recogniser.finish(now_iso())]
        self.phase = "closed"
        return messages

    # ------------------------------------------------------------------ state

    def snapshot(self) -> SessionSnapshot:
        return SessionSnapshot(
            phase=self.phase,
            init=self.init,
            carry=base64.b64encode(self._carry).decode(),
            recogniser=self.recogniser.state,
        )

    @property
    def buffered_audio(self) -> np.ndarray:
        """The recogniser's buffered samples (16 kHz float32), saved beside the snapshot."""
        return self.recogniser.buffer

    # ------------------------------------------------------------------ pieces

    def _start(self, payload: dict[str, Any]) -> None:
        if "sample_rate" not in payload:
            raise ProtocolError("sample_rate is required in the init message")
        try:
            self.init = InitMessage.model_validate(payload)
        except ValidationError as error:
            first = error.errors()[0]
            field = ".".join(str(p) for p in first["loc"]) or "init"
            raise ProtocolError(f"{field}: {first['msg']}") from error
        self.recogniser.settings = self._settings_for(self.init)
        self.phase = "audio"

    def _settings_for(self, init: InitMessage | None) -> EndpointSettings:
        if init is None or init.end_utterance_silence_threshold is None:
            return self.endpointing
        from dataclasses import replace

        return replace(self.endpointing, endpoint_ms=init.end_utterance_silence_threshold)

    def _to_model_rate(self, pcm: bytes) -> np.ndarray:
        assert self.init is not None
        samples = np.frombuffer(pcm, dtype="<i2").astype(np.float32) / 32768.0
        if self.init.sample_rate == RATE:
            return samples
        import soxr

        return np.asarray(soxr.resample(samples, self.init.sample_rate, RATE), dtype=np.float32)


def _json_object(text: str) -> dict[str, Any]:
    try:
        payload = json.loads(text)
    except ValueError:
        raise ProtocolError("text messages must be JSON objects") from None
    if not isinstance(payload, dict):
        raise ProtocolError("text messages must be JSON objects")
    return payload
