"""Content credentials on the local runtime, over HTTP as a client would: a master verified by
its name and as a sent file, a changed copy failing, and an organisation's own certificate
kept in the runtime's Secrets Manager (moto) signing its next master."""

from __future__ import annotations

import hashlib
import json
import time

import boto3
import httpx
import pytest

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


def master(client: httpx.Client, text: str) -> tuple[str, bytes]:
    """A spoken and mastered script's id and its MP3 master."""
    script = client.post("/script", json={"scriptText": text}).json()["scriptId"]
    assert client.post("/speech", json={"scriptId": script, "voice": "joe"}).status_code in (
        200,
        201,
        202,
    )
    body = {"scriptId": script, "endFormat": ["mp3"], "captions": False}
    assert client.post("/mastering", json=body).status_code in (200, 201, 202)
    deadline = time.monotonic() + 240
    while True:
        got = client.get("/mastering", params={"scriptId": script, "endFormat": "mp3"})
        if got.status_code == 200 or time.monotonic() > deadline:
            break
        time.sleep(1)
    assert got.status_code == 200, got.text
    return script, httpx.get(got.json()["url"], timeout=60).content


def test_masters_verify_over_http_and_an_own_certificate_signs_the_next(runtime) -> None:
    from audiofn.provenance import new_signing_identity

    with httpx.Client(
        base_url=runtime.url, headers={"x-api-key": runtime.api_key}, timeout=120
    ) as client:
        script, data = master(client, "Good morning. This master carries its credentials.")

        # A stored master, named as GET /mastering names it, verifies
        stored = client.get(
            "/mastering/provenance", params={"scriptId": script, "endFormat": "mp3"}
        )
        assert stored.status_code == 200, stored.text
        assert stored.json()["valid"] is True
        assert stored.json()["sha256"] == hashlib.sha256(data).hexdigest()
        # so does the same file sent, and a copy with one byte changed does not
        sent = client.post(
            "/mastering/provenance", content=data, headers={"content-type": "audio/mpeg"}
        )
        assert sent.status_code == 200 and sent.json()["valid"] is True, sent.text
        speech = {a["label"]: a["data"] for a in sent.json()["manifest"]["assertions"]}
        assert speech["com.audiofn.speech"]["scriptId"] == script
        changed = bytearray(data)
        changed[len(changed) // 2] ^= 0x5A
        tampered = client.post(
            "/mastering/provenance", content=bytes(changed), headers={"content-type": "audio/mpeg"}
        )
        assert tampered.status_code == 200 and tampered.json()["valid"] is False, tampered.text
        print(f"tampered file: {tampered.json()['reason']}")

        # Given the organisation's own certificate in the runtime's Secrets Manager
        org_id = client.get("/org").json()["orgId"]
        endpoint = httpx.get(f"{runtime.url}/health", timeout=10).json()["aws"]["endpointUrl"]
        secrets = boto3.client(
            "secretsmanager",
            endpoint_url=endpoint,
            region_name="us-east-1",
            aws_access_key_id="local",
            aws_secret_access_key="local",
        )
        own = new_signing_identity("Acme Broadcasting Ltd")
        name = f"audiofn/signing/{org_id}"
        value = {"certificateChain": own.certificate_chain_pem, "privateKey": own.private_key_pem}
        secrets.create_secret(Name=name, SecretString=json.dumps(value))

        # When the admin names it for the organisation
        named = httpx.put(
            f"{runtime.url}/admin/orgs/{org_id}/signing-certificate",
            headers={"authorization": f"Bearer {runtime.admin_key}"},
            json={"secretsManager": name},
            timeout=60,
        )
        assert named.status_code == 200, named.text

        # Then the organisation's next master is signed with it, and verifies
        _, data = master(client, "Good evening. This one is signed with our own certificate.")
        sent = client.post(
            "/mastering/provenance", content=data, headers={"content-type": "audio/mpeg"}
        )
        assert sent.json()["valid"] is True, sent.text
        signer = sent.json()["manifest"]["signature_info"]
        assert "Acme Broadcasting Ltd" in signer["common_name"], signer
