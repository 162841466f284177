"""Content credentials (C2PA) through the API and the mastering function, against moto: each
supported format read back by the c2pa library with the synthetic-speech assertion, each
organisation signing with its own certificate, a changed file failing verification, and the
verification route (``/mastering/provenance``, the provenance function) saying so."""

from __future__ import annotations

import base64
import hashlib
import json

import pytest

from tests.conftest import call_api as call
from tests.conftest import http_event, load_function
from tests.integration.test_delivery_specs import api, long_script  # noqa: F401 (fixtures)
from tests.integration.test_mastering_handler import s3_bytes
from tests.integration.test_voice_api import multipart

PROVENANCE = "/mastering/provenance"


@pytest.fixture
def provenance(aws):
    return load_function("provenance")


def send_file(
    provenance, ctx, key, data: bytes, content_type: str = "audio/mpeg", query=None
) -> tuple[int, dict]:
    event = http_event("POST", PROVENANCE, key, query=query)
    event["headers"]["content-type"] = content_type
    event["body"] = base64.b64encode(data).decode()
    event["isBase64Encoded"] = True
    response = provenance.lambda_handler(event, ctx)
    return response["statusCode"], json.loads(response["body"])


def tone():
    """One second of a 440 Hz tone, stereo."""
    import numpy as np

    from audiofn.audio import Audio

    t = np.arange(44_100, dtype=np.float32) / 44_100
    mono = (0.2 * np.sin(2 * np.pi * 440 * t)).astype(np.float32)
    return Audio(np.stack([mono, mono], axis=1), 44_100)


@pytest.fixture(scope="module")
def signed_files() -> dict[str, bytes]:
    from audiofn.codecs import encode
    from audiofn.provenance import SpeechCredentials, new_signing_identity, sign

    credentials = SpeechCredentials("Acme Audio", "s-1", "piper", "joe", "News")
    identity = new_signing_identity("Acme Audio")
    return {fmt: sign(encode(tone(), fmt), fmt, identity, credentials) for fmt in ("mp3", "wav")}


def test_a_sent_file_verifies_and_a_changed_one_does_not(
    provenance, lambda_context, org, signed_files
):
    # Given a signed MP3 and the same file with one byte of its audio changed
    signed = signed_files["mp3"]
    tampered = bytearray(signed)
    tampered[len(tampered) // 2] ^= 0x5A

    # When each is sent to the verification route
    status, good = send_file(provenance, lambda_context, org.api_key, signed)
    status_bad, bad = send_file(provenance, lambda_context, org.api_key, bytes(tampered))

    # Then the first verifies with its manifest, the second fails with the reason
    assert status == 200 and good["valid"] is True, good
    assert good["format"] == "mp3" and good["bytes"] == len(signed)
    labels = [a["label"] for a in good["manifest"]["assertions"]]
    assert "com.audiofn.speech" in labels and "c2pa.actions.v2" in labels
    assert status_bad == 200 and bad["valid"] is False
    assert bad["failures"] and "mismatch" in bad["reason"].lower(), bad


def test_a_file_sent_as_a_form_part_is_verified_too(provenance, lambda_context, org, signed_files):
    content_type, body = multipart({}, [("file", "master.wav", signed_files["wav"])])
    status, answer = send_file(provenance, lambda_context, org.api_key, body, content_type)
    assert status == 200 and answer["valid"] is True and answer["format"] == "wav", answer


@pytest.mark.parametrize(
    ("data", "content_type", "field"),
    [
        (b"", "audio/mpeg", "file"),
        (b"OggS" + bytes(200), "audio/ogg", "file"),
        (b"hello, not audio", "text/plain", "file"),
    ],
)
def test_a_file_that_cannot_carry_credentials_is_a_400_naming_it(
    provenance, lambda_context, org, data, content_type, field
):
    status, answer = send_file(provenance, lambda_context, org.api_key, data, content_type)
    assert status == 400 and answer["field"] == field, answer


def test_a_file_over_the_request_limit_is_a_400_pointing_to_the_stored_master(
    provenance, lambda_context, org
):
    from audiofn.services.provenance import MAX_UPLOAD_BYTES

    data = b"ID3" + bytes(MAX_UPLOAD_BYTES)
    status, answer = send_file(provenance, lambda_context, org.api_key, data)
    assert status == 400 and answer["field"] == "file", answer
    assert "GET /mastering/provenance" in answer["message"]


def test_a_file_without_credentials_does_not_verify(provenance, lambda_context, org):
    from audiofn.codecs import encode

    status, answer = send_file(
        provenance, lambda_context, org.api_key, encode(tone(), "flac"), "audio/flac"
    )
    assert status == 200 and answer["valid"] is False and answer["manifest"] is None, answer


def test_the_route_needs_an_organisation_key(provenance, lambda_context, signed_files):
    status, answer = send_file(provenance, lambda_context, None, signed_files["mp3"])
    assert status == 401, answer


@pytest.mark.slow
def test_masters_carry_verifiable_credentials_stating_synthetic_speech(
    api,  # noqa: F811
    provenance,
    lambda_context,
    org,
    aws,
    long_script,  # noqa: F811
    drain_mastering_queue,
    tmp_path,
):
    from audiofn.provenance import TRAINED_ALGORITHMIC_MEDIA, verify
    from audiofn_local.cli import main as cli

    # Given a master in every format that carries credentials, and an EBU R128 deliverable
    body = {
        "scriptId": long_script,
        "soundTemplate": "calm",
        "audience": [{"name": "Ada"}],
        "captions": False,
        "endFormat": ["mp3", "wav", "flac"],
        "deliverySpecs": ["EBU R128"],
    }
    assert call(api, lambda_context, "POST", "/mastering", org.api_key, body)[0] == 202
    assert all(r["batchItemFailures"] == [] for r in drain_mastering_queue())

    files = {}
    for fmt in ("mp3", "wav", "flac"):
        query = {"scriptId": long_script, "name": "Ada", "endFormat": fmt}
        status, got = call(api, lambda_context, "GET", "/mastering", org.api_key, query=query)
        assert status == 200, got
        files[fmt] = s3_bytes(aws.bucket, got["url"])
    files["ebu-r128.wav"] = s3_bytes(aws.bucket, got["deliverables"][0]["url"])

    for name, data in files.items():
        # When each file is read back by the c2pa library
        result = verify(data, name.rsplit(".", 1)[-1])

        # Then its credentials verify and state synthetic speech, engine, voice, script, org
        assert result["valid"], (name, result["failures"])
        manifest = result["manifest"]
        assertions = {a["label"]: a["data"] for a in manifest["assertions"]}
        (created,) = assertions["c2pa.actions.v2"]["actions"]
        assert created["digitalSourceType"] == TRAINED_ALGORITHMIC_MEDIA
        speech = assertions["com.audiofn.speech"]
        assert speech == {
            "synthetic": True,
            "engine": "piper",
            "voice": "joe",
            "scriptId": long_script,
            "organisation": "Test Org",
        }
        assert "Test Org" in manifest["signature_info"]["common_name"]

    # A file changed after signing fails, through the library and the CLI alike
    tampered = bytearray(files["mp3"])
    tampered[len(tampered) // 2] ^= 0x5A
    assert not verify(bytes(tampered), "mp3")["valid"]
    good, bad = tmp_path / "good.mp3", tmp_path / "bad.mp3"
    good.write_bytes(files["mp3"])
    bad.write_bytes(bytes(tampered))
    assert cli(["provenance", str(good)]) == 0
    assert cli(["provenance", str(bad)]) == 1

    # And the verification route reads each stored file back by its name
    def stored(key: str, query: dict[str, str]) -> tuple[int, dict]:
        event = http_event("GET", "/mastering/provenance", key, query=query)
        response = provenance.lambda_handler(event, lambda_context)
        return response["statusCode"], json.loads(response["body"])

    named = {"scriptId": long_script, "name": "Ada"}
    for fmt in ("mp3", "wav", "flac"):
        status, answer = stored(org.api_key, {**named, "endFormat": fmt})
        assert status == 200 and answer["valid"] is True, answer
        assert answer["sha256"] == hashlib.sha256(files[fmt]).hexdigest()
    status, answer = stored(org.api_key, {**named, "deliverySpec": "EBU R128"})
    assert status == 200 and answer["valid"] and answer["format"] == "wav", answer
    assert stored(org.api_key, {**named, "endFormat": "ogg"})[0] == 404
    assert stored(org.api_key, {"name": "Ada"})[1]["field"] == "scriptId"
    from audiofn.services.orgs import create_org
    from audiofn.storage.table import AppTable

    _, other_key = create_org(AppTable(aws.table), "Other")
    assert stored(other_key, {**named, "endFormat": "mp3"})[0] == 404


@pytest.mark.slow
def test_each_organisation_signs_with_its_own_certificate(aws):
    from audiofn.services.orgs import create_org
    from audiofn.storage.content_credentials import org_signing_identity
    from audiofn.storage.table import AppTable

    table = AppTable(aws.table)
    first, _ = create_org(table, "First")
    second, _ = create_org(table, "Second")

    one = org_signing_identity(aws.table, first.org_id, first.name)
    other = org_signing_identity(aws.table, second.org_id, second.name)

    assert one.certificate_chain_pem != other.certificate_chain_pem
    assert org_signing_identity(aws.table, first.org_id, first.name) == one
