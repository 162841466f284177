"""Bounded work per request through the API function: a script's sections and breaks, and a
speech request's files and spoken duration, refused with a 400 that names the limit before
anything is queued."""

from __future__ import annotations

import boto3
import pytest

from tests.conftest import call_api, load_function


@pytest.fixture
def api(aws):
    return load_function("api")


def queued(aws) -> int:
    attributes = boto3.client("sqs").get_queue_attributes(
        QueueUrl=aws.queue_url, AttributeNames=["ApproximateNumberOfMessages"]
    )["Attributes"]
    return int(attributes["ApproximateNumberOfMessages"])


def create_script(api, ctx, org, text):
    return call_api(api, ctx, "POST", "/script", org.api_key, {"scriptText": text})


def test_a_script_of_1950_sections_is_refused_naming_the_section_limit(api, lambda_context, org):
    text = "".join(f"<<sectionName::s{i}>>Hi " for i in range(1950))
    assert len(text) < 50_000

    status, body = create_script(api, lambda_context, org, text)

    assert status == 400 and body["field"] == "scriptText"
    assert body["message"] == "scriptText has 1950 sections; the limit is 100"


@pytest.mark.parametrize("breaks", [10, 2630])
def test_breaks_adding_up_past_a_minute_in_a_section_are_refused(api, lambda_context, org, breaks):
    text = "Hello there. " + '<break time="10s"/>' * breaks
    status, body = create_script(api, lambda_context, org, text)

    assert status == 400 and body["field"] == "scriptText"
    assert "<break>s add up to more than 60s" in body["message"]
    # Six of them (a minute) are fine.
    ok, _ = create_script(api, lambda_context, org, "Hello there. " + '<break time="10s"/>' * 6)
    assert ok == 201 or ok == 200


def test_sections_times_listeners_past_the_limit_is_a_400_before_anything_is_queued(
    api, lambda_context, org, aws
):
    text = "".join(f"<<sectionName::s{i}>> Hello {{{{name}}}}. " for i in range(10))
    status, script = create_script(api, lambda_context, org, text)
    assert status in (200, 201), script
    audience = [{"name": f"listener {i}"} for i in range(500)]

    status, body = call_api(
        api,
        lambda_context,
        "POST",
        "/speech",
        org.api_key,
        {"scriptId": script["scriptId"], "audience": audience},
    )

    assert status == 400 and body["field"] == "audience"
    assert "500 listener(s) x 10 section(s) is 5000 speech files" in body["message"]
    assert "at most 2000" in body["message"]
    assert queued(aws) == 0


def test_a_request_estimated_past_four_hours_of_speech_is_a_400(api, lambda_context, org, aws):
    # 300 listeners x ~1,000 characters at speed 100 is about 5.6 hours of speech.
    words = "The quarterly figures are in and they look good for everyone. " * 16
    status, script = create_script(api, lambda_context, org, f"Dear {{{{name}}}}. {words}")
    assert status in (200, 201), script
    audience = [{"name": f"listener {i}"} for i in range(300)]

    status, body = call_api(
        api,
        lambda_context,
        "POST",
        "/speech",
        org.api_key,
        {"scriptId": script["scriptId"], "audience": audience},
    )

    assert status == 400 and body["field"] == "audience"
    assert "the speech would last about 5.6 hours" in body["message"]
    assert "at most 4 hours" in body["message"]
    assert queued(aws) == 0

    # The same script for 30 listeners is well within the bound.
    status, body = call_api(
        api,
        lambda_context,
        "POST",
        "/speech",
        org.api_key,
        {"scriptId": script["scriptId"], "audience": audience[:30]},
    )
    assert status != 400, body
