"""Consent records for custom voices made from samples.

A voice from a person's recordings is created only with a record of who attests that the
speaker consented and to what: the creating request's own fields (``consent_attested_by``,
``consent_statement``), or, for clients that cannot send them (the ``audiopod`` SDK sends only
name, description and the file), the standing attestation of the API key that creates the
voice, made by whoever minted it (``POST /keys`` with ``voiceConsent``). The record says which
(``basis``), holds the samples' SHA-256 digests computed here from the bytes received, and is
digested itself so masters' content credentials can reference it. Nothing is attested on a
caller's behalf: without either, creation is a 400 naming the field.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from audiofn.errors import InvalidInput
from audiofn.models.records import ApiKeyRecord, ConsentAttestation, utc_now
from audiofn.models.voices import ConsentBasis, ConsentedSample, VoiceConsentRecord
from audiofn.naming import new_id

if TYPE_CHECKING:
    from audiofn.provenance import VoiceConsentReference
    from audiofn.services.context import Services
    from audiofn.services.voices.profiles import UploadedSample

ATTESTED_BY_FIELD = "consent_attested_by"
STATEMENT_FIELD = "consent_statement"
MISSING_CONSENT = (
    "a custom voice from samples needs a consent record: send consent_attested_by (who "
    "attests that the speaker consented) and consent_statement (what they consented to), "
    "or create it with an API key minted with a standing attestation (POST /keys with "
    "voiceConsent)"
)


def requested_attestation(attested_by: str, statement: str) -> ConsentAttestation | None:
    """The attestation a request's form fields carry, None when it sends neither; a 400 naming
    the field when one is missing or out of bounds."""
    attested_by, statement = attested_by.strip(), statement.strip()
    if not attested_by and not statement:
        return None
    if not attested_by:
        raise InvalidInput(
            f"{ATTESTED_BY_FIELD} is required: {MISSING_CONSENT}", field=ATTESTED_BY_FIELD
        )
    if not statement:
        raise InvalidInput(
            f"{STATEMENT_FIELD} is required: {MISSING_CONSENT}", field=STATEMENT_FIELD
        )
    try:
        return ConsentAttestation(attested_by=attested_by, statement=statement)
    except ValidationError as error:
        first = error.errors()[0]
        field = ATTESTED_BY_FIELD if first["loc"][0] == "attested_by" else STATEMENT_FIELD
        raise InvalidInput(f"{field}: {first['msg']}", field=field) from None


def consent_record(
    requested: ConsentAttestation | None,
    key: ApiKeyRecord | None,
    samples: Sequence[UploadedSample],
    filenames: Sequence[str],
) -> VoiceConsentRecord:
    """The record a new voice is stored with: the request's attestation, else the creating
    key's standing one; the samples' digests from the bytes received."""
    basis: ConsentBasis
    if requested is not None:
        given, basis = requested, "request"
    elif key is not None and key.voice_consent is not None:
        given, basis = key.voice_consent, "api-key"
    else:
        raise InvalidInput(MISSING_CONSENT, field=STATEMENT_FIELD)
    record = VoiceConsentRecord(
        consent_id=new_id(),
        basis=basis,
        attested_by=given.attested_by,
        statement=given.statement,
        attested_at=given.attested_at,
        recorded_at=utc_now(),
        key_id=key.key_id if key is not None else None,
        samples=[
            ConsentedSample(
                filename=name,
                sha256=hashlib.sha256(sample.data).hexdigest(),
                bytes=len(sample.data),
            )
            for sample, name in zip(samples, filenames, strict=True)
        ],
    )
    return record.model_copy(update={"sha256": consent_digest(record)})


def consent_digest(record: VoiceConsentRecord) -> str:
    """SHA-256 of the record without its digest, as sorted compact JSON."""
    body = record.model_dump(mode="json", exclude={"sha256"})
    return hashlib.sha256(
        json.dumps(body, sort_keys=True, separators=(",", ":")).encode()
    ).hexdigest()


def consent_to_api(record: VoiceConsentRecord | None, *, owner: bool) -> dict[str, Any] | None:
    """The record in the voice-management wire shape; another organisation viewing a public
    voice sees that consent was recorded, its digest and statement, not who attested."""
    if record is None:
        return None
    body = record.model_dump(mode="json")
    if not owner:
        body.update(attested_by=None, key_id=None)
        body["samples"] = [{"sha256": s.sha256, "bytes": s.bytes} for s in record.samples]
    return body


def voice_consent_references(
    services: Services, org_id: str, voice_names: Sequence[str]
) -> tuple[VoiceConsentReference, ...]:
    """The custom voices among a master's voices, each with its consent record's id and
    digest, for the master's content credentials."""
    from audiofn.provenance import VoiceConsentReference
    from audiofn.services.voices.access import CUSTOM_PREFIX, find_custom

    found: dict[str, VoiceConsentReference] = {}
    for name in voice_names:
        profile = find_custom(services, org_id, name)
        if profile is None or profile.method == "blend" or profile.uuid in found:
            continue
        consent = profile.consent
        found[profile.uuid] = VoiceConsentReference(
            voice=CUSTOM_PREFIX + profile.uuid,
            profile_id=profile.id,
            profile_uuid=profile.uuid,
            profile_name=profile.name,
            consent_id=consent.consent_id if consent else None,
            consent_sha256=consent.sha256 if consent else None,
        )
    return tuple(found.values())
