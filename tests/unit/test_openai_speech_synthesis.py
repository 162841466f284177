"""Speaking a request piece by piece with the real Piper voice: joins, pauses, speed, stopping."""

from __future__ import annotations

import numpy as np
import pytest

from audiofn.openai_speech.request import parse_speech_request
from audiofn.openai_speech.synthesis import (
    SpeechProgress,
    iter_audio,
    iter_encoded,
    plan_speech,
)
from audiofn.tts.registry import EngineSettings

pytestmark = pytest.mark.slow
SETTINGS = EngineSettings()
TEXT = "The rain stopped at noon. Children ran outside to play. The sun dried the streets."


def _plan(voice="joe", **fields):
    request = parse_speech_request({"model": "tts-1", "voice": voice, "input": TEXT, **fields})
    return plan_speech(request, engine_settings=SETTINGS)


@pytest.mark.parametrize(("voice", "count"), [("joe", 3), ("af_heart", 4)])
def test_pieces_join_without_clicks_and_with_pauses(voice, count):
    plan = _plan(voice, response_format="pcm")
    pieces = list(iter_audio(plan, SETTINGS))
    assert len(pieces) == count  # Kokoro's first sentence is cut before "at"

    rate = plan.sample_rate
    for piece, planned in zip(pieces, plan.pieces, strict=True):
        # Each piece starts and ends quietly (faded), and ends with its pause of silence.
        assert np.max(np.abs(piece[: rate // 1000])) < 0.02
        if planned.pause_ms:
            tail = piece[-int(planned.pause_ms / 1000 * rate) :]
            assert np.max(np.abs(tail)) < 1e-4
    whole = np.concatenate(pieces)
    # No jump at any join bigger than the speech's own sample-to-sample steps.
    steps = np.abs(np.diff(whole))
    joins = np.cumsum([len(p) for p in pieces])[:-1]
    for join in joins:
        assert steps[join - 5 : join + 5].max() < 0.01
    assert np.max(np.abs(whole)) < 10 ** (-1 / 20)  # headroom kept after resampling


def test_speed_two_roughly_halves_the_duration():
    normal = sum(len(p) for p in iter_audio(_plan(), SETTINGS))
    fast = sum(len(p) for p in iter_audio(_plan(speed=2.0), SETTINGS))

    assert 0.42 <= fast / normal <= 0.58, fast / normal


def test_a_consumer_that_stops_reading_stops_the_synthesis():
    plan = _plan(response_format="mp3")
    progress = SpeechProgress(len(plan.pieces))
    chunks = iter_encoded(plan, SETTINGS, progress)

    first = next(chunks)
    chunks.close()  # what the server does when the client goes away

    assert first
    assert progress.pieces_spoken == 1
    assert progress.stopped_early and not progress.finished


def test_output_rate_follows_the_request():
    plan = _plan(response_format="wav", sample_rate=8000)
    data = b"".join(iter_encoded(plan, SETTINGS))
    assert int.from_bytes(data[24:28], "little") == 8000
