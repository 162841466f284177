"""An organisation's own content-credentials certificate, kept in Secrets Manager or SSM
Parameter Store (moto): named by the admin on the provenance function's route, checked by
signing and verifying a test file, then used for the organisation's masters instead of its
default identity; a name outside the template's prefix, a missing secret or a key that is not
the certificate's is a 400 naming the field, and removing it returns to the default."""

from __future__ import annotations

import json
import uuid

import boto3
import pytest

from tests.conftest import http_event, load_function

ADMIN_KEY = "admin-" + "k" * 40


@pytest.fixture
def provenance(aws):
    from aws_lambda_powertools.utilities import parameters

    from audiofn.services.orgs import store_admin_key
    from audiofn.storage.table import AppTable

    parameters.clear_caches()  # values cached by an earlier test's moto
    store_admin_key(AppTable(aws.table), ADMIN_KEY)
    return load_function("provenance")


@pytest.fixture(scope="module")
def own_identity():
    """The organisation's own chain and key (made here as a stand-in for its CA's)."""
    from audiofn.provenance import new_signing_identity

    return new_signing_identity("Acme Broadcasting Ltd")


def as_secret(identity) -> str:
    return json.dumps(
        {"certificateChain": identity.certificate_chain_pem, "privateKey": identity.private_key_pem}
    )


def admin(provenance, ctx, method: str, org_id: str, body=None, key=ADMIN_KEY):
    event = http_event(method, f"/admin/orgs/{org_id}/signing-certificate", None, body)
    if key:
        event["headers"]["authorization"] = f"Bearer {key}"
    if body is not None:
        event["headers"]["content-type"] = "application/json"
    response = provenance.lambda_handler(event, ctx)
    return response["statusCode"], json.loads(response["body"])


def signed_and_read_back(aws, org_id: str) -> dict:
    """A file signed with what the organisation's masters are signed with, verified."""
    from audiofn.codecs import encode
    from audiofn.provenance import SpeechCredentials, sign, verify
    from audiofn.storage.content_credentials import org_signing_identity
    from tests.integration.test_provenance import tone

    identity = org_signing_identity(aws.table, org_id, "Test Org")
    credentials = SpeechCredentials("Test Org", "s-1", "piper", "joe", "News")
    return verify(sign(encode(tone(), "mp3"), "mp3", identity, credentials), "mp3")


def test_an_own_certificate_in_secrets_manager_signs_the_organisation_s_masters(
    provenance, lambda_context, org, aws, own_identity
):
    # Given the organisation's certificate and key in a secret under the template's prefix
    name = f"audiofn/signing/{uuid.uuid4().hex}"
    boto3.client("secretsmanager").create_secret(Name=name, SecretString=as_secret(own_identity))
    status, before = admin(provenance, lambda_context, "GET", org.org_id)
    assert status == 200 and before["source"] == "self-signed", before

    # When the admin names it for the organisation
    status, answer = admin(provenance, lambda_context, "PUT", org.org_id, {"secretsManager": name})

    # Then it is checked and shown, and what the organisation signs carries it
    assert status == 200, answer
    assert answer["source"] == "secretsmanager" and answer["name"] == name
    assert "Acme Broadcasting Ltd" in answer["subject"] and answer["algorithm"] == "es256"
    assert "privateKey" not in json.dumps(answer) and "PRIVATE" not in json.dumps(answer)
    result = signed_and_read_back(aws, org.org_id)
    assert result["valid"], result["failures"]
    assert "Acme Broadcasting Ltd" in result["manifest"]["signature_info"]["common_name"]

    # And a secret rotated to something unusable stops signing with a reason (the master's
    # job fails with it) rather than signing with another key
    from aws_lambda_powertools.utilities import parameters

    from audiofn.provenance import UnusableCertificate
    from audiofn.storage.content_credentials import org_signing_identity

    boto3.client("secretsmanager").put_secret_value(SecretId=name, SecretString="{}")
    parameters.clear_caches()
    with pytest.raises(UnusableCertificate, match="certificateChain and privateKey"):
        org_signing_identity(aws.table, org.org_id, "Test Org")

    # And removing it returns the organisation to its default certificate
    status, after = admin(provenance, lambda_context, "DELETE", org.org_id)
    assert status == 200 and after["source"] == "self-signed"
    assert after["subject"] == before["subject"]
    result = signed_and_read_back(aws, org.org_id)
    assert "Test Org" in result["manifest"]["signature_info"]["common_name"]


def test_an_own_certificate_in_an_ssm_securestring_is_used_too(
    provenance, lambda_context, org, aws, own_identity
):
    name = f"/audiofn/signing/{uuid.uuid4().hex}"
    boto3.client("ssm").put_parameter(Name=name, Value=as_secret(own_identity), Type="SecureString")

    status, answer = admin(provenance, lambda_context, "PUT", org.org_id, {"ssmParameter": name})

    assert status == 200 and answer["source"] == "ssm", answer
    result = signed_and_read_back(aws, org.org_id)
    assert "Acme Broadcasting Ltd" in result["manifest"]["signature_info"]["common_name"]


def test_unusable_certificates_are_400s_naming_the_field_and_change_nothing(
    provenance, lambda_context, org, aws, own_identity
):
    from audiofn.provenance import new_signing_identity

    secrets = boto3.client("secretsmanager")
    stranger = new_signing_identity("Someone Else")
    mismatched = f"audiofn/signing/{uuid.uuid4().hex}"
    secrets.create_secret(
        Name=mismatched,
        SecretString=json.dumps(
            {
                "certificateChain": own_identity.certificate_chain_pem,
                "privateKey": stranger.private_key_pem,
            }
        ),
    )
    not_json = f"audiofn/signing/{uuid.uuid4().hex}"
    secrets.create_secret(Name=not_json, SecretString="-----BEGIN CERTIFICATE-----")
    outside = f"other/{uuid.uuid4().hex}"
    secrets.create_secret(Name=outside, SecretString=as_secret(own_identity))

    cases = [
        ({"secretsManager": mismatched}, "secretsManager", "does not belong"),
        ({"secretsManager": not_json}, "secretsManager", "JSON object"),
        ({"secretsManager": outside}, "secretsManager", "not under 'audiofn/signing/'"),
        ({"secretsManager": "audiofn/signing/absent"}, "secretsManager", "cannot read"),
        ({"ssmParameter": "/audiofn/signing/absent"}, "ssmParameter", "cannot read"),
        ({}, "secretsManager", "one of"),
        ({"secretsManager": not_json, "ssmParameter": "x"}, "secretsManager", "one of"),
    ]
    for body, field, reason in cases:
        status, answer = admin(provenance, lambda_context, "PUT", org.org_id, body)
        assert status == 400 and answer["field"] == field, (body, answer)
        assert reason in answer["message"], (body, answer)
    assert admin(provenance, lambda_context, "GET", org.org_id)[1]["source"] == "self-signed"
    # Only the admin names certificates, and only for an organisation that exists
    body = {"secretsManager": mismatched}
    assert admin(provenance, lambda_context, "PUT", org.org_id, body, key=org.api_key)[0] == 401
    assert admin(provenance, lambda_context, "GET", "no-such-org")[0] == 404
