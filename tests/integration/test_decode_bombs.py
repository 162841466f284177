"""A decode bomb (31 KB of FLAC that decodes to 123 MB) sent to each route that decodes
uploads: voice samples, /v1/audio/transcriptions and media used as a background track. Each
refuses it by its header, naming the channel limit, with little memory traced on the way."""

from __future__ import annotations

import base64
import io
import json
import tracemalloc
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np
import pytest
import soundfile as sf

from tests.conftest import call_api, http_event, load_function
from tests.integration.test_media_handler import listed, media_check, upload  # noqa: F401
from tests.integration.test_voice_api import (  # noqa: F401
    V,
    api,
    multipart,
    post_form,
    process,
    voice_aws,
)
from tests.voice_corpus import CONSENT

PEAK_BYTES = 20_000_000
"""Far below the 123 MB of the bomb decoded (moto's and the handlers' own work included)."""


@pytest.fixture(scope="module")
def bomb() -> bytes:
    buffer = io.BytesIO()
    frames = 20 * 192_000
    sf.write(buffer, np.zeros((frames, 8), np.float32), 192_000, format="FLAC")
    return buffer.getvalue()


@pytest.fixture
def traced() -> Iterator[Callable[[], int]]:
    """The peak of traced allocations since the fixture started (Python and numpy)."""
    tracemalloc.start()
    try:
        yield lambda: tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_a_voice_sample_bomb_fails_the_profile_naming_the_channel_limit(
    api,  # noqa: F811
    lambda_context,
    org,
    process,  # noqa: F811
    bomb,
    traced,
):
    status, body = post_form(
        api,
        lambda_context,
        f"{V}/voice-profiles",
        org.api_key,
        {"name": "bomb", **CONSENT},
        [("file", "bomb.flac", bomb)],
    )
    assert status == 200, body
    process()

    status, found = call_api(
        api, lambda_context, "GET", f"{V}/voices/{body['id']}/status", org.api_key
    )
    assert found["status"] == "FAILED"
    assert "8 channels; uploads may have at most 2" in found["error_message"]
    assert traced() < PEAK_BYTES, f"{traced() / 1e6:.0f} MB traced"


def test_a_background_track_bomb_is_unusable_naming_the_channel_limit(
    api,  # noqa: F811
    lambda_context,
    org,
    aws,
    media_check,  # noqa: F811
    bomb,
    traced,
):
    media_id = upload(api, lambda_context, org, aws, media_check, "bed.flac", bomb)

    files = {f["mediaId"]: f for f in listed(api, lambda_context, org)["savedAudioFiles"]}
    assert files[media_id]["status"] == "unusable"
    assert "8 channels; uploads may have at most 2" in files[media_id]["reason"]
    assert traced() < PEAK_BYTES, f"{traced() / 1e6:.0f} MB traced"


def test_a_transcription_bomb_is_a_400_naming_the_file(aws, lambda_context, org, bomb, traced):
    transcriptions = load_function("transcriptions")
    content_type, body = multipart({"model": "whisper-1"}, [("file", "bomb.flac", bomb)])
    event: dict[str, Any] = http_event("POST", "/v1/audio/transcriptions", org.api_key)
    event["headers"]["content-type"] = content_type
    event["body"] = base64.b64encode(body).decode()
    event["isBase64Encoded"] = True

    response = transcriptions.lambda_handler(event, lambda_context)

    error = json.loads(response["body"])["error"]
    assert response["statusCode"] == 400, error
    assert error["param"] == "file" and "8 channels; uploads may have at most 2" in error["message"]
    assert traced() < PEAK_BYTES, f"{traced() / 1e6:.0f} MB traced"
