"""Pronunciation dictionary routes (the 0.17.1 SDK's Lexi calls), against moto."""

from __future__ import annotations

import pytest

from tests.conftest import call_api as call
from tests.conftest import load_function


@pytest.fixture
def api(aws):
    return load_function("api")


def test_words_are_registered_listed_and_deleted(api, lambda_context, org):
    word = {
        "word": "Aflorithmic",
        "replacement": "a flow rhythmic",
        "lang": "en",
        "specialization": "default",
        "contentType": "basic",
    }

    status, body = call(api, lambda_context, "PUT", "/diction/custom/item", org.api_key, word)
    assert status == 200 and body["entry"]["replacement"] == "a flow rhythmic"

    status, words = call(
        api, lambda_context, "GET", "/diction/custom/item", org.api_key, query={"lang": "en"}
    )
    assert status == 200 and [w["word"] for w in words] == ["Aflorithmic"]

    status, dicts = call(api, lambda_context, "GET", "/diction/custom", org.api_key)
    assert dicts == [{"lang": "en", "specialization": "default", "words": 1}]

    query = {"word": "Aflorithmic", "lang": "en", "specialization": "default"}
    assert (
        call(api, lambda_context, "DELETE", "/diction/custom/item", org.api_key, query=query)[0]
        == 200
    )
    assert (
        call(api, lambda_context, "DELETE", "/diction/custom/item", org.api_key, query=query)[0]
        == 404
    )


@pytest.mark.parametrize(
    "patch, field",
    [
        ({"word": ""}, "word"),
        ({"replacement": ""}, "replacement"),
        ({"contentType": "mp3"}, "contentType"),
        ({"lang": "not a language!"}, "lang"),
        ({"contentType": "ipa", "replacement": "<not ipa>"}, "replacement"),
    ],
)
def test_bad_words_are_400_naming_the_field(api, lambda_context, org, patch, field):
    word = {"word": "Acme", "replacement": "ack me", "lang": "en", **patch}

    status, body = call(api, lambda_context, "PUT", "/diction/custom/item", org.api_key, word)

    assert status == 400, body
    assert body["field"] == field


def test_dictionaries_are_per_organisation(api, lambda_context, org, aws):
    from audiofn.services.orgs import create_org
    from audiofn.storage.table import AppTable

    _, other = create_org(AppTable(aws.table), "Other")
    word = {"word": "Acme", "replacement": "ack me", "lang": "en"}
    call(api, lambda_context, "PUT", "/diction/custom/item", org.api_key, word)

    status, words = call(api, lambda_context, "GET", "/diction/custom/item", other)

    assert status == 200 and words == []
