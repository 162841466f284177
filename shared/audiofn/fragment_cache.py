"""Content-addressed cache of synthesised speech fragments in the media bucket.

A fragment is what one engine call (plus the speech effect) makes of one stretch of text.
Its key is a hash of everything that decides the sound: engine, voice, speed, effect,
the normalised text, and a variant (text normalisation on or off, the organisation's
dictionary). The same sentence said again — by the next listener of a batch, or by a later
speech job of the same organisation — is read back instead of synthesised.

The cache is per organisation (the org id is part of the key and of the object's prefix):
a shared cache would answer another tenant's sentence in a second instead of ten, which tells
that someone said it.

Fragments are stored losslessly (32-bit float WAV) and a miss returns the stored bytes
decoded, exactly as a hit does, so what comes out of the cache is the same to the last bit
whether it was just rendered or read back. The bucket's lifecycle rule on
:data:`FRAGMENT_PREFIX` bounds the cache by age (see `template.yaml`). A fragment whose engine
timed its words (Kokoro) keeps them beside it (:func:`audiofn.tts.word_timings.timings_key`),
written before the audio, so a hit has them too.
"""

from __future__ import annotations

import hashlib
import io
import json
import re
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from audiofn.observability import logger

if TYPE_CHECKING:
    from pydantic import BaseModel

    from audiofn.audio import Audio
    from audiofn.storage.media import MediaStore
    from audiofn.tts.word_timings import TimedSpeech

FRAGMENT_PREFIX = "cache/fragments/"
"""Where fragments live in the media bucket; the template's lifecycle rule expires them."""


def normalise_text(text: str) -> str:
    """The text as the cache sees it: NFC, whitespace collapsed, trimmed (no change in sound)."""
    return re.sub(r"\s+", " ", unicodedata.normalize("NFC", text)).strip()


@dataclass(frozen=True)
class FragmentSpec:
    """Everything that decides how a fragment sounds, and whose cache it lives in."""

    org_id: str
    engine: str
    voice: str
    speed: float
    effect: str | None
    text: str
    variant: str = ""
    """Anything else that changes the sound: normalisation, the dictionary's digest."""

    @property
    def key(self) -> str:
        identity = json.dumps(
            [
                self.org_id,
                self.engine,
                self.voice,
                round(self.speed, 4),
                self.effect or "",
                normalise_text(self.text),
                self.variant,
            ],
            ensure_ascii=False,
        )
        return hashlib.sha256(identity.encode()).hexdigest()


def fragment_object_key(spec: FragmentSpec) -> str:
    digest = spec.key
    return f"{FRAGMENT_PREFIX}{spec.org_id}/{digest[:2]}/{digest}.wav"


def encode_fragment(audio: Audio) -> bytes:
    """Lossless: float32 WAV keeps every sample exactly."""
    import soundfile as sf

    buffer = io.BytesIO()
    sf.write(buffer, audio.samples, audio.sample_rate, format="WAV", subtype="FLOAT")
    return buffer.getvalue()


def decode_fragment(data: bytes) -> Audio:
    import numpy as np
    import soundfile as sf

    from audiofn.audio import Audio

    samples, rate = sf.read(io.BytesIO(data), dtype="float32", always_2d=False)
    return Audio(np.ascontiguousarray(samples, dtype=np.float32), int(rate))


@dataclass
class CacheStats:
    hits: int = 0
    misses: int = 0


@dataclass(frozen=True)
class FragmentCache:
    """Read-through cache; `enabled=False` renders every time and stores nothing."""

    media: MediaStore
    enabled: bool = True
    stats: CacheStats | None = None

    def get_or_render(self, spec: FragmentSpec, render: Callable[[], Audio]) -> Audio:
        from audiofn.tts.word_timings import TimedSpeech

        return self._get_or_render(spec, lambda: TimedSpeech(render()), timed=False).audio

    def get_or_render_timed(
        self, spec: FragmentSpec, render: Callable[[], TimedSpeech]
    ) -> TimedSpeech:
        """:meth:`get_or_render` for speech with its word timings (None if it has none)."""
        return self._get_or_render(spec, render, timed=True)

    def _get_or_render(
        self, spec: FragmentSpec, render: Callable[[], TimedSpeech], *, timed: bool
    ) -> TimedSpeech:
        from audiofn.tts.word_timings import TimedSpeech, store_words, stored_words

        key = fragment_object_key(spec)
        if self.enabled:
            data = self.media.get_bytes_if_exists(key)
            if data is not None:
                if self.stats is not None:
                    self.stats.hits += 1
                words = stored_words(self.media, key) if timed else None
                return TimedSpeech(decode_fragment(data), words)
        if self.stats is not None:
            self.stats.misses += 1
        rendered = render()
        data = encode_fragment(rendered.audio)
        if self.enabled:
            try:
                if rendered.words is not None:  # before the audio, whose presence is the hit
                    store_words(self.media, key, rendered.words)
                self.media.put_bytes(key, data, "audio/wav")
            except Exception as error:  # a cache that cannot be written is only slower
                logger.warning(
                    "fragment cache write failed", extra={"key": key, "error": str(error)}
                )
        return TimedSpeech(decode_fragment(data), rendered.words)


def speech_variant(normalize: bool, lexicon_entries: Sequence[BaseModel] = ()) -> str:
    """The variant part of a key: normalisation on or off, and a digest of the dictionary."""
    entries = sorted(json.dumps(e.model_dump(mode="json"), sort_keys=True) for e in lexicon_entries)
    digest = hashlib.sha256("\n".join(entries).encode()).hexdigest()[:16] if entries else ""
    return f"n{int(normalize)}:{digest}"
