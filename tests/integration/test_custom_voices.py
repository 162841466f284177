# ruff: noqa: F811 -- the voice API fixtures, imported from its module
"""Custom voices that resemble the speaker (a style search over Kokoro's voices), voices saved
from a blend, and the pitch-shift fallback, through the API and voice-sample handlers on moto."""

from __future__ import annotations

import base64
import os
from types import SimpleNamespace
from typing import Any

import numpy as np
import pytest

from tests.conftest import call_api, drain_queue
from tests.integration.test_voice_api import (  # noqa: F401
    api,
    post_form,
    process,
    voice_aws,
)
from tests.speech_references import alsa_words, joined
from tests.voice_corpus import CONSENT, good_sample, wav_bytes

V = "/api/v1/voice"
SEARCH_CANDIDATES = 6  # a small search: the figure it reaches is what `make bench` measures


@pytest.fixture
def small_search(monkeypatch: pytest.MonkeyPatch) -> None:
    from audiofn.config import reset_settings_cache

    monkeypatch.setenv("AUDIOFN_VOICE_SEARCH_CANDIDATES", str(SEARCH_CANDIDATES))
    reset_settings_cache()


def _speak(
    api: Any,
    ctx: SimpleNamespace,
    org: SimpleNamespace,
    aws: SimpleNamespace,
    voice_id: int,
    text: str,
) -> Any:
    """Speech from the voice-management generate route, decoded from the bucket."""
    import boto3

    from audiofn.codecs import decode
    from audiofn.storage.media import org_prefix

    status, job = call_api(
        api,
        ctx,
        "POST",
        f"{V}/voices/{voice_id}/generate",
        org.api_key,
        body={"input_text": text, "audio_format": "wav"},
    )
    assert status == 200, job
    drain_queue(aws.queue_url, "speech", ctx)
    status, done = call_api(api, ctx, "GET", f"{V}/tts-jobs/{job['job_id']}/status", org.api_key)
    assert done["status"] == "completed", done
    key = f"{org_prefix(org.org_id)}voice-jobs/{job['job_id']}/speech.wav"
    body = boto3.client("s3").get_object(Bucket=aws.bucket, Key=key)["Body"].read()
    return decode(body)


def _pitch_shift_similarity(sample: Any, reference: Any, text: str) -> float:
    """Today's fallback method on the same speaker: joe shifted toward their pitch and rate."""
    from audiofn.services.voice_processing import shifts_toward
    from audiofn.services.voice_samples import measure_voice
    from audiofn.speakers.encoder import get_encoder, similarity
    from audiofn.tts import catalogue
    from audiofn.tts.custom_voice import CustomVoiceEngine, custom_voice
    from audiofn.tts.registry import EngineSettings

    joe = catalogue.resolve_voice("joe", polly_enabled=False, upstream_enabled=False)
    shift, rate = shifts_toward(joe, measure_voice([sample]), EngineSettings())
    shifted = custom_voice("custom-shift", "shift", joe, shift, rate)
    speech = CustomVoiceEngine(EngineSettings()).synthesize(text, shifted)
    return similarity(reference, get_encoder().embed_speaker([speech]))


@pytest.mark.slow
def test_a_natural_female_voice_gets_closer_than_the_pitch_shift(
    api, lambda_context, org, process, voice_aws, small_search
) -> None:
    import boto3

    from audiofn.speakers.encoder import get_encoder, similarity
    from audiofn.speakers.style_search import HELD_OUT_SENTENCES

    # Given one woman's natural speech (alsa-utils' nine announcements, about 15 s)
    sample = joined(alsa_words())
    status, body = post_form(
        api,
        lambda_context,
        f"{V}/voice-profiles",
        org.api_key,
        {"name": "Alsa", **CONSENT},
        [("file", "alsa.wav", wav_bytes(sample.samples, sample.sample_rate))],
    )
    assert status == 200 and body["progress"] == 0
    voice_id = body["id"]

    # When the voice-sample function searches Kokoro's styles for her
    process()
    status, voice = call_api(
        api, lambda_context, "GET", f"{V}/voices/{voice_id}/status", org.api_key
    )

    # Then the profile reports the closest voice we can make, and how close it is
    assert voice["status"] == "COMPLETED", voice["error_message"]
    assert voice["progress"] == 100
    synthesis = voice["synthesis"]
    assert synthesis["method"] == "style-search"
    assert "not a clone" in synthesis["description"]
    assert voice["gender"] == "female" and synthesis["base_voice"].startswith(("af_", "bf_"))
    assert synthesis["blend"] and synthesis["similarity"] == voice["similarity"]
    keys = [
        o["Key"]
        for o in boto3.client("s3").list_objects_v2(Bucket=voice_aws.samples_bucket)["Contents"]
    ]
    assert any(k.endswith("/style.npy") for k in keys)

    # and it is closer to her than the pitch-shift method, on the held-out sentence
    reference = get_encoder().embed_speaker([sample])
    shifted = _pitch_shift_similarity(sample, reference, HELD_OUT_SENTENCES["en"])
    assert voice["similarity"] > shifted + 0.05, (voice["similarity"], shifted)

    # and that is how the voice speaks through the speech function (Kokoro with its style)
    spoken = _speak(api, lambda_context, org, voice_aws, voice_id, HELD_OUT_SENTENCES["en"])
    heard = similarity(reference, get_encoder().embed_speaker([spoken]))
    print(
        f"alsa woman, held-out sentence: search ({SEARCH_CANDIDATES} candidates) "
        f"{voice['similarity']:.3f} ({synthesis['blend']}), spoken {heard:.3f}, "
        f"pitch shift {shifted:.3f}"
    )
    assert heard == pytest.approx(voice["similarity"], abs=0.03)


@pytest.mark.slow
def test_a_blend_is_saved_as_a_custom_voice_with_its_style(
    api, lambda_context, org, process, voice_aws
) -> None:
    import boto3

    from audiofn.tts.custom_voice import style_from_bytes
    from audiofn.tts.kokoro_engine import blend_styles

    status, body = post_form(
        api,
        lambda_context,
        f"{V}/voice-profiles",
        org.api_key,
        {"name": "Bella and Sky", "blend": "af_bella(2)+af_sky(1)"},
        [],
    )
    assert status == 200, body
    assert body["status"] == "PROCESSING" and body["synthesis"]["method"] == "blend"
    assert body["language"] == "en-us" and body["gender"] == "female"
    process()
    status, voice = call_api(
        api, lambda_context, "GET", f"{V}/voices/{body['id']}/status", org.api_key
    )
    assert voice["status"] == "COMPLETED", voice["error_message"]
    assert voice["synthesis"]["blend"] == "af_bella(2)+af_sky(1)"

    stored = (
        boto3.client("s3")
        .get_object(
            Bucket=voice_aws.samples_bucket,
            Key=f"voice-samples/{org.org_id}/{body['uuid']}/style.npy",
        )["Body"]
        .read()
    )
    np.testing.assert_array_equal(
        style_from_bytes(stored), blend_styles([("af_bella", 2), ("af_sky", 1)])
    )
    spoken = _speak(api, lambda_context, org, voice_aws, body["id"], "Hello there, how are you?")
    assert spoken.duration > 1.0

    # OpenAI speech speaks it too, by its id, with the same style (its pieces are cut
    # differently, so the same voice, not the same samples)
    from audiofn.codecs import decode
    from audiofn.speakers.encoder import get_encoder, similarity
    from audiofn.tts.kokoro_engine import get_kokoro, load_style
    from tests.conftest import http_event, load_function

    text = "The garden behind the old library is open again, and anyone can come and help."
    event = http_event(
        "POST",
        "/v1/audio/speech",
        org.api_key,
        {"model": "tts-1", "voice": str(body["id"]), "input": text},
    )
    response = load_function("sync_speech").lambda_handler(event, lambda_context)
    assert response["statusCode"] == 200, response.get("body")
    encoder = get_encoder()
    heard = encoder.embed_speaker([decode(base64.b64decode(response["body"]))])
    kokoro = get_kokoro()
    blend = blend_styles([("af_bella", 2), ("af_sky", 1)])
    same = similarity(heard, encoder.embed_speaker([kokoro.speak(text, blend).audio]))
    other = similarity(
        heard, encoder.embed_speaker([kokoro.speak(text, load_style("bf_emma")).audio])
    )
    print(f"blend voice through OpenAI speech: {same:.3f} to its style, {other:.3f} to bf_emma")
    assert same > 0.9 and same > other + 0.05, (same, other)

    # and so does a personalisation batch
    from tests.integration.test_batches import run_batch, start, status_of

    batch_id = start(
        voice_aws, lambda_context, org, audience=[{"name": "Ada"}], voice=str(body["id"])
    )
    run_batch(voice_aws, lambda_context, load_function("batch"))
    assert status_of(lambda_context, org, batch_id)["done"] == 1


@pytest.mark.parametrize(
    ("fields", "files", "message"),
    [
        ({"name": "x", "blend": "af_bella(0)"}, [], "above 0"),
        ({"name": "x", "blend": "af_bella+"}, [], "blend part"),
        ({"name": "x", "blend": "bella"}, [], "unknown voice 'bella'"),
        ({"name": "x", "blend": "af_bella+af_nobody"}, [], "'af_nobody' is not a Kokoro voice"),
        ({"name": "x", "blend": "jf_alpha"}, [], "unknown voice 'jf_alpha'"),
        ({"name": "x", "blend": "joe"}, [], "not a Kokoro voice or a blend"),
        ({"name": "", "blend": "af_bella"}, [], "name is required"),
        ({"name": "x", "blend": "af_bella"}, [("file", "a.wav", b"RIFF")], "not both"),
    ],
)
def test_bad_blends_are_400_naming_the_field(
    api, lambda_context, org, fields, files, message
) -> None:
    status, body = post_form(api, lambda_context, f"{V}/voice-profiles", org.api_key, fields, files)
    assert status == 400, body
    assert message in body["message"]
    assert body.get("field") in {"blend", "name"} or "blend" in body["message"]


@pytest.mark.slow
def test_a_language_kokoro_lacks_falls_back_to_the_pitch_shift(
    api, lambda_context, org, process
) -> None:
    status, body = post_form(
        api,
        lambda_context,
        f"{V}/voice-profiles",
        org.api_key,
        {"name": "Greta", "language": "de", **CONSENT},
        [("file", "greta.wav", good_sample())],
    )
    assert status == 200
    process()
    status, voice = call_api(
        api, lambda_context, "GET", f"{V}/voices/{body['id']}/status", org.api_key
    )
    assert voice["status"] == "COMPLETED", voice["error_message"]
    assert voice["synthesis"]["method"] == "base-voice-shift"
    assert voice["synthesis"]["base_voice"].startswith("espeak")
    assert voice["synthesis"]["pitch_shift_semitones"] is not None
    assert voice["similarity"] is None


def test_progress_shows_while_processing_and_not_after(api, lambda_context, org) -> None:
    from audiofn.storage.voices_table import VoicesTable

    status, body = post_form(
        api,
        lambda_context,
        f"{V}/voice-profiles",
        org.api_key,
        {"name": "P", "blend": "af_sky"},
        [],
    )
    assert status == 200, body
    table = VoicesTable(os.environ["AUDIOFN_TABLE"])
    table.set_progress(org.org_id, body["uuid"], 40)
    _, voice = call_api(api, lambda_context, "GET", f"{V}/voices/{body['id']}/status", org.api_key)
    assert voice["progress"] == 40 and voice["name"] == "P"
    profile = table.get_profile(org.org_id, body["uuid"])
    assert profile is not None
    table.put_profile(profile.model_copy(update={"status": "FAILED"}))
    table.set_progress(org.org_id, body["uuid"], 60)  # finished meanwhile: left alone
    assert table.get_profile(org.org_id, body["uuid"]).progress == 40  # type: ignore[union-attr]
    table.set_progress(org.org_id, "no-such-voice", 60)  # deleted meanwhile: not recreated
    assert table.get_profile(org.org_id, "no-such-voice") is None


@pytest.mark.slow
def test_a_voice_deleted_during_its_search_stays_deleted(
    api, lambda_context, org, process, voice_aws, small_search, monkeypatch
) -> None:
    import boto3

    from audiofn.storage.voices_table import VoicesTable

    sample = joined(alsa_words())
    status, body = post_form(
        api,
        lambda_context,
        f"{V}/voice-profiles",
        org.api_key,
        {"name": "Gone", **CONSENT},
        [("file", "alsa.wav", wav_bytes(sample.samples, sample.sample_rate))],
    )
    assert status == 200
    # Given the owner deletes the voice while its search runs
    report_progress = VoicesTable.set_progress
    deleted: list[int] = []

    def delete_first(self, org_id, uuid, percent):
        if not deleted:
            deleted.append(
                call_api(api, lambda_context, "DELETE", f"{V}/voices/{body['id']}", org.api_key)[0]
            )
        report_progress(self, org_id, uuid, percent)

    monkeypatch.setattr(VoicesTable, "set_progress", delete_first)
    process()
    # Then the finished search brings nothing back: no profile, no style, no samples
    assert deleted == [204]
    status, _ = call_api(api, lambda_context, "GET", f"{V}/voices/{body['id']}/status", org.api_key)
    assert status == 404
    left = boto3.client("s3").list_objects_v2(
        Bucket=voice_aws.samples_bucket, Prefix=f"voice-samples/{org.org_id}/{body['uuid']}/"
    )
    assert left.get("KeyCount", 0) == 0, [o["Key"] for o in left.get("Contents", [])]
