"""SSML, normalisation and dictionaries through the API and speech functions (moto, real
engines, Whisper listening to the result)."""

from __future__ import annotations

import io
import os
from urllib.parse import unquote, urlparse

import pytest

from tests.conftest import call_api as call
from tests.conftest import load_function


@pytest.fixture
def api(aws):
    return load_function("api")


@pytest.fixture(scope="module")
def transcriber():
    from audiofn.stt.whisper import get_transcriber

    return get_transcriber()


def speak(api, lambda_context, org, drain, text, **speech):
    """Create a script and its speech; return the decoded audio of each file."""
    import boto3

    from audiofn.codecs import decode

    status, script = call(api, lambda_context, "POST", "/script", org.api_key, {"scriptText": text})
    assert status == 200, script
    body = {"scriptId": script["scriptId"], "voice": "joe", **speech}
    assert call(api, lambda_context, "POST", "/speech", org.api_key, body)[0] == 202
    drain()
    status, urls = call(
        api, lambda_context, "GET", "/speech", org.api_key, query={"scriptId": script["scriptId"]}
    )
    assert status == 200, urls
    audio = {}
    for name, url in urls.items():
        key = unquote(urlparse(url).path.split("/", 2)[2])
        data = boto3.client("s3").get_object(Bucket=os.environ["AUDIOFN_MEDIA_BUCKET"], Key=key)[
            "Body"
        ]
        audio[name] = decode(io.BytesIO(data.read()).getvalue())
    return audio


@pytest.mark.parametrize(
    "text, fragment",
    [
        ("<speak>Hello <prosody rate='fast'>there</speak>", "column"),
        ("<speak>Hello <blink>there</blink></speak>", "blink"),
        ("<speak>Wait <break time='forever'/> now</speak>", "break"),
    ],
)
def test_malformed_ssml_is_a_400_naming_tag_and_position(api, lambda_context, org, text, fragment):
    status, body = call(api, lambda_context, "POST", "/script", org.api_key, {"scriptText": text})

    assert status == 400, body
    assert body["field"] == "scriptText"
    assert fragment in body["message"]


def test_preview_shows_the_spoken_form(api, lambda_context, org):
    text = "Dr. Smith paid $4.2 million on 3/14/2025 at 10:30am."
    _, script = call(api, lambda_context, "POST", "/script", org.api_key, {"scriptText": text})

    status, preview = call(
        api,
        lambda_context,
        "GET",
        f"/script/{script['scriptId']}",
        org.api_key,
        query={"preview": "true", "voice": "joe"},
    )

    assert status == 200
    spoken = preview["scriptText"].lower()
    assert "doctor smith" in spoken
    assert "four point two million dollars" in spoken
    assert "ten thirty" in spoken
    assert isinstance(preview["wordsNotInDict"], list)


@pytest.mark.slow
def test_normalised_text_is_heard_as_a_person_would_say_it(
    api, lambda_context, org, drain_speech_queue, transcriber
):
    from audiofn.stt.wer import word_error_rate
    from audiofn.text.normalize import normalize_text

    audio = speak(
        api,
        lambda_context,
        org,
        drain_speech_queue,
        "Dr. Smith paid $4.2 million on 3/14/2025 at 10:30am.",
    )
    heard = transcriber.transcribe(audio["default"]).text
    expected = (
        "doctor smith paid four point two million dollars on march fourteenth "
        "twenty twenty five at ten thirty a m"
    )

    # Whisper writes numbers as digits: compare both sides in spoken form
    assert word_error_rate(expected, normalize_text(heard, "en")) < 0.25, heard


@pytest.mark.slow
def test_a_dictionary_word_changes_what_is_heard(
    api, lambda_context, org, drain_speech_queue, transcriber
):
    word = {"word": "Zorblax", "replacement": "pizza", "lang": "en", "contentType": "basic"}
    assert call(api, lambda_context, "PUT", "/diction/custom/item", org.api_key, word)[0] == 200

    audio = speak(api, lambda_context, org, drain_speech_queue, "I would like a Zorblax please.")

    assert "pizza" in transcriber.transcribe(audio["default"]).text.lower()


@pytest.mark.slow
def test_listener_values_cannot_inject_markup(api, lambda_context, org, drain_speech_queue):
    audio = speak(
        api,
        lambda_context,
        org,
        drain_speech_queue,
        "Hello {{name|friend}}.",
        audience=[{"name": '<break time="10s"/>Bob'}],
    )

    (clip,) = audio.values()
    assert clip.duration < 5  # a 10 s break would have been injected otherwise


@pytest.mark.slow
def test_a_break_is_a_measured_pause(api, lambda_context, org, drain_speech_queue):
    from audiofn.dsp.measure import is_silent

    audio = speak(
        api,
        lambda_context,
        org,
        drain_speech_queue,
        '<speak>One. <break time="1500ms"/> Two.</speak>',
    )
    clip = audio["default"]
    frame = clip.sample_rate // 100
    silent = [
        is_silent(clip.samples[i : i + frame], -40)
        for i in range(0, len(clip.samples) - frame, frame)
    ]
    longest, run = 0, 0
    for quiet in silent:
        run = run + 1 if quiet else 0
        longest = max(longest, run)
    assert 1.35 <= longest / 100 <= 1.8
