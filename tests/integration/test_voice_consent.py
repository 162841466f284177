# ruff: noqa: F811 -- the voice API fixtures, imported from its module
"""Consent records for custom voices, through the API on moto: required at creation (a 400
naming the field, nothing stored), kept with the profile with the samples' digests computed
here, attested by the request or by the creating key's standing attestation, shown wherever
the profile is, and referenced from the content credentials of a master spoken with it."""

from __future__ import annotations

import hashlib

import boto3
import pytest

from tests.conftest import call_api
from tests.integration.test_voice_api import V, api, post_form, voice_aws  # noqa: F401
from tests.voice_corpus import CONSENT, good_sample


def stored_samples(voice_aws) -> list[str]:
    listed = boto3.client("s3").list_objects_v2(Bucket=voice_aws.samples_bucket)
    return [o["Key"] for o in listed.get("Contents", [])]


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({}, "consent_statement"),
        ({"consent_attested_by": "Sam Reed"}, "consent_statement"),
        ({"consent_statement": CONSENT["consent_statement"]}, "consent_attested_by"),
        ({"consent_attested_by": "Sam Reed", "consent_statement": "ok"}, "consent_statement"),
        (
            {"consent_attested_by": "x" * 201, **{"consent_statement": "a" * 20}},
            "consent_attested_by",
        ),
    ],
)
def test_a_voice_from_samples_without_consent_is_a_400_naming_the_field_and_stores_nothing(
    api, lambda_context, org, voice_aws, fields, field
) -> None:
    # Given a good sample and incomplete consent fields
    files = [("file", "host.wav", good_sample("wav"))]

    # When the voice is created
    status, body = post_form(
        api, lambda_context, f"{V}/voice-profiles", org.api_key, {"name": "Host", **fields}, files
    )

    # Then it is refused naming the field, and no sample or profile is kept
    assert status == 400 and body["field"] == field, body
    assert stored_samples(voice_aws) == []
    status, listing = call_api(
        api,
        lambda_context,
        "GET",
        f"{V}/voice-profiles",
        org.api_key,
        query={"voice_type": "CUSTOM"},
    )
    assert listing["voices"] == []


def test_the_consent_record_is_kept_with_the_samples_digests_and_shown_with_the_profile(
    api, lambda_context, org, voice_aws
) -> None:
    from audiofn.models.voices import VoiceConsentRecord
    from audiofn.services.voices.consent import consent_digest

    samples = [good_sample("wav"), good_sample("wav", semitones=2.0)]
    files = [("voice_files", f"s{n}.wav", data) for n, data in enumerate(samples)]

    status, created = post_form(
        api,
        lambda_context,
        f"{V}/voice-profiles/multi-sample",
        org.api_key,
        {"name": "Duo", **CONSENT},
        files,
    )

    assert status == 200, created
    consent = created["consent"]
    assert consent["basis"] == "request" and consent["key_id"]
    assert consent["attested_by"] == CONSENT["consent_attested_by"]
    assert consent["statement"] == CONSENT["consent_statement"]
    assert consent["attested_at"] and consent["recorded_at"]
    assert [s["sha256"] for s in consent["samples"]] == [
        hashlib.sha256(data).hexdigest() for data in samples
    ]
    assert [s["bytes"] for s in consent["samples"]] == [len(d) for d in samples]
    assert consent["sha256"] == consent_digest(VoiceConsentRecord.model_validate(consent))
    # the same record wherever the profile is shown
    status, details = call_api(
        api, lambda_context, "GET", f"{V}/voices/{created['id']}/status", org.api_key
    )
    assert details["consent"] == consent
    status, listing = call_api(
        api,
        lambda_context,
        "GET",
        f"{V}/voice-profiles",
        org.api_key,
        query={"voice_type": "CUSTOM"},
    )
    assert [v["consent"] for v in listing["voices"]] == [consent]
    status, updated = call_api(
        api,
        lambda_context,
        "PATCH",
        f"{V}/voices/{created['id']}",
        org.api_key,
        body={"description": "two takes"},
    )
    assert status == 200 and updated["consent"] == consent


def test_a_key_minted_with_a_standing_attestation_records_it_for_clients_without_the_fields(
    api, lambda_context, org, voice_aws
) -> None:
    # Given a key minted with a standing attestation, and one without
    attestation = {
        "attestedBy": "Dana Cole, head of audio",
        "statement": "Every sample sent with this key is of a speaker who agreed in writing.",
    }
    status, minted = call_api(
        api,
        lambda_context,
        "POST",
        "/keys",
        org.api_key,
        body={"name": "sdk", "prefix": "ap_", "voiceConsent": attestation},
    )
    assert status == 201 and minted["voiceConsent"]["attestedBy"] == attestation["attestedBy"]
    status, plain = call_api(api, lambda_context, "POST", "/keys", org.api_key, body={})
    sample = good_sample("wav")

    # When each creates a voice sending only name and file (as the audiopod SDK does)
    files = [("file", "host.wav", sample)]
    status, refused = post_form(
        api, lambda_context, f"{V}/voice-profiles", plain["apiKey"], {"name": "Host"}, files
    )
    status_ok, created = post_form(
        api, lambda_context, f"{V}/voice-profiles", minted["apiKey"], {"name": "Host"}, files
    )

    # Then the plain key is refused and the attested one records its key's attestation
    assert status == 400 and refused["field"] == "consent_statement"
    assert "voiceConsent" in refused["message"]
    assert status_ok == 200, created
    consent = created["consent"]
    assert consent["basis"] == "api-key" and consent["key_id"] == minted["keyId"]
    assert consent["attested_by"] == attestation["attestedBy"]
    assert consent["attested_at"] == minted["voiceConsent"]["attestedAt"]
    assert consent["samples"][0]["sha256"] == hashlib.sha256(sample).hexdigest()
    listed = call_api(api, lambda_context, "GET", "/keys", org.api_key)[1]["keys"]
    assert {k["keyId"]: k["voiceConsent"] for k in listed}[minted["keyId"]] == (
        minted["voiceConsent"]
    )


def test_a_bad_standing_attestation_is_a_400_naming_its_field(api, lambda_context, org) -> None:
    status, body = call_api(
        api,
        lambda_context,
        "POST",
        "/keys",
        org.api_key,
        body={"voiceConsent": {"attestedBy": "Dana", "statement": "yes"}},
    )
    assert status == 400 and body["field"] == "voiceConsent.statement", body


def test_a_blend_needs_no_consent(api, lambda_context, org, voice_aws) -> None:
    fields = {"name": "Bella and Sky", "blend": "af_bella(2)+af_sky(1)"}
    status, body = post_form(api, lambda_context, f"{V}/voice-profiles", org.api_key, fields, [])
    assert status == 200 and body["consent"] is None


@pytest.mark.slow
def test_a_master_spoken_with_a_custom_voice_references_its_consent_record(
    api, lambda_context, org, voice_aws, drain_speech_queue, drain_mastering_queue
) -> None:
    from audiofn.provenance import VOICE_CONSENT_LABEL, verify
    from audiofn.storage.voices_table import VoicesTable
    from tests.integration.test_delivery_specs import LONG_TEXT
    from tests.integration.test_mastering_handler import s3_bytes

    # Given a custom voice created with consent, ready (the built-in voice shifted toward
    # the speaker: this test is about the record, not the likeness)
    files = [("file", "host.wav", good_sample("wav"))]
    status, created = post_form(
        api, lambda_context, f"{V}/voice-profiles", org.api_key, {"name": "Host", **CONSENT}, files
    )
    assert status == 200, created
    table = VoicesTable(voice_aws.table)
    profile = table.get_profile(org.org_id, created["uuid"])
    assert profile is not None
    table.put_profile(
        profile.model_copy(
            update={"status": "COMPLETED", "method": "base-voice-shift", "base_voice_id": "joe"}
        )
    )

    # When a script is spoken with it and mastered
    _, script = call_api(
        api, lambda_context, "POST", "/script", org.api_key, {"scriptText": LONG_TEXT}
    )
    body = {"scriptId": script["scriptId"], "voice": str(created["id"])}
    assert call_api(api, lambda_context, "POST", "/speech", org.api_key, body)[0] == 202
    drain_speech_queue()
    body = {"scriptId": script["scriptId"], "endFormat": ["mp3"], "captions": False}
    assert call_api(api, lambda_context, "POST", "/mastering", org.api_key, body)[0] == 202
    assert all(r["batchItemFailures"] == [] for r in drain_mastering_queue())
    query = {"scriptId": script["scriptId"], "endFormat": "mp3"}
    status, got = call_api(api, lambda_context, "GET", "/mastering", org.api_key, query=query)
    assert status == 200, got

    # Then its credentials verify and name the profile and its consent record
    result = verify(s3_bytes(voice_aws.bucket, got["url"]), "mp3")
    assert result["valid"], result["failures"]
    assertions = {a["label"]: a["data"] for a in result["manifest"]["assertions"]}
    assert assertions[VOICE_CONSENT_LABEL]["voices"] == [
        {
            "voice": f"custom-{created['uuid']}",
            "profileId": created["id"],
            "profileUuid": created["uuid"],
            "profileName": "Host",
            "consentId": created["consent"]["consent_id"],
            "consentSha256": created["consent"]["sha256"],
        }
    ]


def test_another_organisation_sees_a_public_voice_s_record_without_who_attested(
    api, lambda_context, org, voice_aws
) -> None:
    from audiofn.services.orgs import create_org
    from audiofn.storage.table import AppTable
    from audiofn.storage.voices_table import VoicesTable

    # Given org A's public voice, created with consent and ready
    files = [("file", "host.wav", good_sample("wav"))]
    fields = {"name": "Shared host", "is_public": "true", **CONSENT}
    status, created = post_form(
        api, lambda_context, f"{V}/voice-profiles", org.api_key, fields, files
    )
    assert status == 200, created
    table = VoicesTable(voice_aws.table)
    profile = table.get_profile(org.org_id, created["uuid"])
    assert profile is not None
    table.put_profile(profile.model_copy(update={"status": "COMPLETED", "base_voice_id": "joe"}))
    _, b_key = create_org(AppTable(voice_aws.table), "Org B")

    # When org B reads it
    status, seen = call_api(api, lambda_context, "GET", f"{V}/voices/{created['id']}", b_key)

    # Then B sees that consent was recorded, its digest and statement, not who or which key
    assert status == 200, seen
    consent, own = seen["consent"], created["consent"]
    assert consent["sha256"] == own["sha256"] and consent["statement"] == own["statement"]
    assert consent["attested_by"] is None and consent["key_id"] is None
    assert consent["samples"] == [
        {"sha256": s["sha256"], "bytes": s["bytes"]} for s in own["samples"]
    ]
