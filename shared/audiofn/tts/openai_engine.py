"""Any OpenAI-compatible speech server (``POST /v1/audio/speech``), asked for WAV."""

from __future__ import annotations

import io
from typing import TYPE_CHECKING

import httpx
import numpy as np

from audiofn.audio import Audio
from audiofn.outbound import OutboundPolicy, OutboundRefused, outbound_policy
from audiofn.tts.base import EngineUnavailable, SynthesisError

if TYPE_CHECKING:
    from audiofn.tts.catalogue import Voice

MIN_SPEED, MAX_SPEED = 0.25, 4.0
"""The speed range the OpenAI speech API accepts."""


def _error_message(response: httpx.Response) -> str:
    """The upstream's own explanation: OpenAI's ``{"error": {"message": ...}}`` or the body."""
    try:
        body = response.json()
    except ValueError:
        return response.text[:500]
    error = body.get("error") if isinstance(body, dict) else None
    if isinstance(error, dict) and error.get("message"):
        return str(error["message"])
    if isinstance(error, str):
        return error
    return response.text[:500]


def _decode_wav(content: bytes) -> tuple[np.ndarray, int]:
    """Decode WAV bytes to (frames, channels) float32, tolerating a streamed WAV's header."""
    import soundfile  # audio extra; the light API function lacks it

    try:
        samples, rate = soundfile.read(io.BytesIO(content), dtype="float32", always_2d=True)
        data_at = content.find(b"data", 12)
        if len(samples) == 0 and content.startswith(b"RIFF") and 0 < data_at < len(content) - 8:
            # Streaming servers write the header before they know the length: sizes of 0.
            # 0xFFFFFFFF ("to the end") is the convention libsndfile reads.
            patched = bytearray(content)
            patched[4:8] = patched[data_at + 4 : data_at + 8] = b"\xff\xff\xff\xff"
            samples, rate = soundfile.read(io.BytesIO(patched), dtype="float32", always_2d=True)
    except soundfile.SoundFileError as error:
        raise SynthesisError(f"speech upstream sent audio we cannot read: {error}") from error
    return samples, int(rate)


class OpenAICompatibleEngine:
    """Speaks catalogue voices whose ``engine_voice`` is an upstream voice name."""

    provider = "openai"

    def __init__(
        self,
        base_url: str,
        api_key: str | None = None,
        model: str = "tts-1",
        timeout: float = 60,
        policy: OutboundPolicy | None = None,
    ) -> None:
        base = base_url.rstrip("/")
        # The outbound rule, checked before each call: the call goes to the address checked.
        self.policy = policy or outbound_policy()
        self.url = base + ("/audio/speech" if base.endswith("/v1") else "/v1/audio/speech")
        self.model = model
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        # One pooled client per engine; httpx clients are safe to share between threads.
        self._client = httpx.Client(headers=headers, timeout=timeout)

    def synthesize(self, text: str, voice: Voice, speed: float = 1.0) -> Audio:
        """Speak text; speed is passed through (clamped to the API's 0.25..4)."""
        if speed <= 0:
            raise SynthesisError(f"speed must be positive, got {speed}")
        payload = {
            "model": self.model,
            "input": text,
            "voice": voice.engine_voice,
            "response_format": "wav",
            "speed": min(max(speed, MIN_SPEED), MAX_SPEED),
        }
        try:
            target = self.policy.check(self.url)
        except OutboundRefused as refused:
            raise SynthesisError(f"speech upstream refused: {refused}") from refused
        try:
            response = self._client.post(
                target.pinned_url,
                json=payload,
                headers={"Host": target.host_header},
                extensions={"sni_hostname": target.host},
            )
        except httpx.HTTPError as error:  # connection refused, DNS, timeouts
            raise EngineUnavailable(f"speech upstream unreachable: {error}") from error
        if response.status_code == 429 or response.status_code >= 500:
            raise EngineUnavailable(
                f"speech upstream HTTP {response.status_code}: {_error_message(response)}"
            )
        if response.status_code >= 400:
            raise SynthesisError(
                f"speech upstream HTTP {response.status_code}: {_error_message(response)}"
            )
        samples, rate = _decode_wav(response.content)
        return Audio(samples=np.ascontiguousarray(samples.mean(axis=1)), sample_rate=rate)

    def close(self) -> None:
        """Release the connection pool."""
        self._client.close()
