"""Every field the voice-management protocol's examples read has a value of its documented
type, at the paths those examples call (``/voices`` and ``/voices/{id}`` included)."""

from __future__ import annotations

import pytest

from tests.conftest import call_api, load_function

V = "/api/v1/voice"


@pytest.fixture
def api(aws):
    return load_function("api")


def test_listings_carry_usage_stats_counted_per_voice(api, lambda_context, org) -> None:
    from audiofn.config import api_settings
    from audiofn.services.voice_usage import record_synthesis

    # Given two syntheses with joe and one with another voice
    for voice in ("joe", "joe", "espeak-tr-female"):
        record_synthesis(api_settings(), org.org_id, voice, 12, 1.5)

    # When the voices are listed at the path the protocol's examples use
    status, body = call_api(
        api, lambda_context, "GET", f"{V}/voices", org.api_key, query={"limit": "50"}
    )

    # Then each entry says how often it was used, and a rating that is a number
    assert status == 200
    stats = {v["voice_id"]: v["usage_stats"] for v in body["voices"]}
    assert stats["joe"] == {"total_generations": 2, "avg_rating": 0.0, "rating_count": 0}
    assert all(isinstance(s["avg_rating"], float) for s in stats.values())
    _, turkish = call_api(
        api, lambda_context, "GET", f"{V}/voices", org.api_key, query={"language": "tr"}
    )
    stats = {v["voice_id"]: v["usage_stats"] for v in turkish["voices"]}
    assert stats["espeak-tr-female"]["total_generations"] == 1


def test_a_voice_s_details_at_the_protocol_s_path(api, lambda_context, org) -> None:
    status, voice = call_api(api, lambda_context, "GET", f"{V}/voices/joe", org.api_key)
    assert status == 200 and voice["voice_id"] == "joe"
    assert voice["supported_features"] == {"speed_control": True, "pitch_control": True}
    status, same = call_api(api, lambda_context, "GET", f"{V}/voices/joe/status", org.api_key)
    assert same == voice
    status, _ = call_api(api, lambda_context, "GET", f"{V}/voices/nobody", org.api_key)
    assert status == 404


def test_analytics_rating_is_a_number(api, lambda_context, org) -> None:
    status, body = call_api(
        api, lambda_context, "GET", f"{V}/analytics/usage", org.api_key, query={"voice_id": "joe"}
    )
    assert status == 200
    assert f"{body['avg_rating']:.2f}" == "0.00" and body["rating_count"] == 0


def test_preview_urls_play_without_a_key(api, lambda_context, org, drain_speech_queue) -> None:
    import boto3

    from audiofn.codecs import decode
    from tests.conftest import http_event

    # Given a listing's preview_url for joe
    _, body = call_api(
        api, lambda_context, "GET", f"{V}/voices", org.api_key, query={"language": "en"}
    )
    url = next(v["preview_url"] for v in body["voices"] if v["voice_id"] == "joe")
    assert url.startswith("https://") and "/voice-previews/" in url and url.endswith("/joe.mp3")
    path = url[url.index("/voice-previews/") :]

    # When a player fetches it with no key: rendered first (the speech function), then served
    first = api.lambda_handler(http_event("GET", path), lambda_context)
    assert first["statusCode"] == 202  # this test's deployment waits 0 s for speech
    drain_speech_queue()
    answer = api.lambda_handler(http_event("GET", path), lambda_context)

    # Then it is a redirect to an MP3 of a few seconds
    assert answer["statusCode"] == 302
    location = answer["headers"]["Location"]
    bucket, key = location.split("?")[0].split("/", 3)[-1].split("/", 1)
    audio = decode(boto3.client("s3").get_object(Bucket=bucket, Key=key)["Body"].read())
    assert 1.0 < audio.duration < 10.0

    # And a token that is not an organisation's finds nothing
    forged = path.replace(path.split("/")[2], "x" * 24)
    assert api.lambda_handler(http_event("GET", forged), lambda_context)["statusCode"] == 404
