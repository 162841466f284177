"""Content credentials in each format the c2pa library embeds in: signed, read back with the
synthetic-speech assertion, and failing once a byte of the audio changes."""

from __future__ import annotations

import numpy as np
import pytest

from audiofn.audio import Audio
from audiofn.codecs import encode
from audiofn.provenance import (
    MIME_TYPES,
    TRAINED_ALGORITHMIC_MEDIA,
    SpeechCredentials,
    new_signing_identity,
    sign,
    verify,
)

CREDENTIALS = SpeechCredentials(
    organisation="Acme Audio", script_id="s-1", engine="piper", voice="joe", title="News"
)


@pytest.fixture(scope="module")
def identity():
    return new_signing_identity("Acme Audio")


@pytest.fixture(scope="module")
def tone() -> Audio:
    t = np.arange(2 * 44_100, dtype=np.float32) / 44_100
    mono = (0.2 * np.sin(2 * np.pi * 440 * t)).astype(np.float32)
    return Audio(np.stack([mono, mono], axis=1), 44_100)


@pytest.mark.parametrize("fmt", list(MIME_TYPES))
def test_credentials_are_embedded_read_back_and_broken_by_a_change(fmt, identity, tone):
    signed = sign(encode(tone, fmt), fmt, identity, CREDENTIALS)

    result = verify(signed, fmt)

    assert result["valid"], result["failures"]
    assertions = {a["label"]: a["data"] for a in result["manifest"]["assertions"]}
    assert assertions["c2pa.actions.v2"]["actions"][0]["digitalSourceType"] == (
        TRAINED_ALGORITHMIC_MEDIA
    )
    assert assertions["com.audiofn.speech"]["voice"] == "joe"
    changed = bytearray(signed)
    changed[len(changed) // 2] ^= 0x5A  # inside the audio
    assert not verify(bytes(changed), fmt)["valid"]


def test_a_file_without_credentials_does_not_verify(tone):
    assert not verify(encode(tone, "wav"), "wav")["valid"]
