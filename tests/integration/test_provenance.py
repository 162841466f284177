"""Content credentials (C2PA) through the API and the mastering function, against moto: each
supported format read back by the c2pa library with the synthetic-speech assertion, each
organisation signing with its own certificate, and a changed file failing verification."""

from __future__ import annotations

import pytest

from tests.conftest import call_api as call
from tests.integration.test_delivery_specs import api, long_script  # noqa: F401 (fixtures)
from tests.integration.test_mastering_handler import s3_bytes

pytestmark = pytest.mark.slow


def test_masters_carry_verifiable_credentials_stating_synthetic_speech(
    api,  # noqa: F811
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
