"""Verifying a file's content credentials over HTTP (``/mastering/provenance``): a file sent
in the request, or one of the organisation's stored masters or deliverables named as
``GET /mastering`` names them. The answer says whether the credentials verify, why not, and
shows the manifest; the verification itself is :func:`audiofn.provenance.verify`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from audiofn.errors import InvalidInput, NotFound
from audiofn.services.context import Services

if TYPE_CHECKING:
    from audiofn.podcast_metadata import EpisodeTags

MAX_UPLOAD_BYTES = 4 * 2**20
"""A sent file: API Gateway hands Lambda a binary body base64-encoded (4/3 larger) inside a
6 MB request payload (larger files: name a stored master, or use ``audiofn provenance FILE``)."""
MAX_STORED_BYTES = 512 * 2**20
"""A stored master read back for verification (a 60-minute 48 kHz stereo WAV is ~660 MB)."""
_SIGNATURES = (
    (lambda d: d[:4] == b"RIFF" and d[8:12] == b"WAVE", "wav"),
    (lambda d: d[:4] == b"fLaC", "flac"),
    (lambda d: d[4:8] == b"ftyp", "m4a"),
    (lambda d: d[:3] == b"ID3" or (len(d) > 1 and d[0] == 0xFF and d[1] & 0xE0 == 0xE0), "mp3"),
)
_CONTENT_TYPES = {
    "audio/wav": "wav",
    "audio/x-wav": "wav",
    "audio/wave": "wav",
    "audio/mpeg": "mp3",
    "audio/mp3": "mp3",
    "audio/flac": "flac",
    "audio/x-flac": "flac",
    "audio/mp4": "m4a",
    "audio/x-m4a": "m4a",
    "audio/m4a": "m4a",
}


def content_signer(
    services: Services,
    table_name: str,
    org_id: str,
    *,
    script_id: str,
    voices: Sequence[str],
    title: str,
) -> Callable[[str, bytes], bytes]:
    """What embeds the organisation's content credentials in a master's file (WAV, MP3, FLAC;
    other formats pass as they are): synthetic speech, engine, voice, script, organisation,
    and the consent records of the custom voices that spoke. Signed with the organisation's
    own certificate when it has named one, else its default."""
    from audiofn.provenance import MIME_TYPES, SpeechCredentials, sign
    from audiofn.services.voices import resolve_speech_voice
    from audiofn.services.voices.consent import voice_consent_references
    from audiofn.storage.content_credentials import org_signing_identity

    org = services.table.get_org(org_id)
    name = org.name if org else org_id
    resolved = [resolve_speech_voice(services, org_id, v) for v in voices]
    credentials = SpeechCredentials(
        organisation=name,
        script_id=script_id,
        engine=", ".join(dict.fromkeys(v.provider for v in resolved)) or "unknown",
        voice=", ".join(v.id for v in resolved) or "unknown",
        title=title,
        voice_consents=voice_consent_references(services, org_id, voices),
    )
    identity = org_signing_identity(table_name, org_id, name)

    def signed(fmt: str, data: bytes) -> bytes:
        return sign(data, fmt, identity, credentials) if fmt in MIME_TYPES else data

    return signed


def tagged_and_signed(
    sign: Callable[[str, bytes], bytes], tags: EpisodeTags
) -> Callable[[str, bytes], bytes]:
    """What every file of a master gets before it is stored: an MP3 its ID3 tag, then every
    format ``sign``'s content credentials (last, so that they cover the tag)."""
    from audiofn.podcast_metadata import tag_mp3

    def finish(fmt: str, data: bytes) -> bytes:
        return sign(fmt, tag_mp3(data, tags) if fmt == "mp3" else data)

    return finish


def file_format(data: bytes, declared: str | None, field: str) -> str:
    """The format to read ``data`` as: what its first bytes say, else the declared one (a
    content type or a format name); a 400 naming ``field`` when it is none of those the
    credentials are embedded in."""
    from audiofn.provenance import MIME_TYPES

    for matches, fmt in _SIGNATURES:
        if matches(data):
            return fmt
    named = (declared or "").split(";")[0].strip().lower()
    fmt = _CONTENT_TYPES.get(named, named)
    if fmt in MIME_TYPES:
        return fmt
    raise InvalidInput(
        f"{field}: not a WAV, MP3, FLAC or M4A file (the formats that carry content credentials)",
        field=field,
    )


def verification(data: bytes, fmt: str) -> dict[str, Any]:
    """The verdict on ``data``'s credentials, the manifest, and what was checked."""
    from audiofn.provenance import verify

    result = verify(data, fmt)
    answer: dict[str, Any] = {
        "valid": result["valid"],
        "state": result["state"],
        "format": fmt,
        "bytes": len(data),
        "sha256": hashlib.sha256(data).hexdigest(),
        "failures": result.get("failures", []),
        "manifest": result["manifest"],
    }
    if "reason" in result:
        answer["reason"] = result["reason"]
    elif result["valid"]:
        answer["reason"] = (
            "the content is as it was signed (the signer's root is the organisation's own, "
            "not a public trust anchor)"
        )
    else:
        answer["reason"] = "; ".join(
            f"{f.get('code')}: {f.get('explanation', '')}".strip() for f in answer["failures"]
        )
    return answer


def verify_upload(data: bytes, declared: str | None) -> dict[str, Any]:
    if not data:
        raise InvalidInput("file is required: send the audio file as the body", field="file")
    if len(data) > MAX_UPLOAD_BYTES:
        raise InvalidInput(
            f"file: larger than {MAX_UPLOAD_BYTES // 1024} KB; verify a stored master with "
            "GET /mastering/provenance?scriptId=…, or with `audiofn provenance FILE`",
            field="file",
        )
    return verification(data, file_format(data, declared, "file"))


def verify_stored_master(services: Services, org_id: str, query: dict[str, str]) -> dict[str, Any]:
    """A stored master (``scriptId``, the listener's parameters, ``endFormat``) or, with
    ``deliverySpec``, its deliverable for that specification, read back and verified."""
    from audiofn.mastering.delivery_specs import find_delivery_spec
    from audiofn.services.masters import find_masters
    from audiofn.services.scripts import get_script

    script_id = query.get("scriptId", "").strip()
    if not script_id:
        raise InvalidInput("scriptId is required", field="scriptId")
    script = get_script(services, org_id, script_id)
    wanted = {k: v for k, v in query.items() if k in script.placeholder_defaults}
    asked = query.get("endFormat", "").strip().lower() or None
    spec_name = query.get("deliverySpec", "").strip()
    spec = find_delivery_spec(spec_name) if spec_name else None
    if spec_name and spec is None:
        raise InvalidInput(
            f"deliverySpec: unknown specification '{spec_name}'", field="deliverySpec"
        )
    _, matching = find_masters(
        services,
        org_id,
        script.script_id,
        wanted,
        None if spec else asked,
        public=False,
        vast=False,
    )
    entry = matching[0]
    if spec is not None:
        key = entry.deliverables.get(spec.id)
        if key is None:
            raise NotFound(f"this master has no '{spec.name}' deliverable", field="deliverySpec")
        fmt = spec.format
    else:
        made = asked or next(iter(entry.files))
        key, fmt = entry.files[made], "mp3" if made.startswith("mp3") else made
    from audiofn.provenance import MIME_TYPES

    if fmt not in MIME_TYPES:
        raise InvalidInput(
            f"endFormat: {fmt} masters carry no content credentials (WAV, MP3 and FLAC do)",
            field="endFormat",
        )
    size = services.media.size(key)
    if size > MAX_STORED_BYTES:
        raise InvalidInput(
            f"this master is {size // 2**20} MB, more than the {MAX_STORED_BYTES // 2**20} MB "
            "read back here: download it and run `audiofn provenance FILE`",
            field="scriptId",
        )
    answer = verification(services.media.get_bytes(key), fmt)
    return {"scriptId": script.script_id, "parameters": entry.parameters, **answer}


# ---------------------------------------------------------------- an organisation's own certificate


def signing_certificate(services: Services, org_id: str) -> dict[str, Any]:
    """Which certificate signs the organisation's masters, and its subject and validity."""
    from audiofn.provenance import describe_certificate
    from audiofn.storage.content_credentials import (
        default_signing_identity,
        read_signing_source,
        signing_source,
    )

    org = _org(services, org_id)
    source = signing_source(services.settings.table, org_id)
    if source is None:
        identity = default_signing_identity(services.settings.table, org_id, org.name)
        return {"orgId": org_id, "source": "self-signed", **describe_certificate(identity)}
    return {
        "orgId": org_id,
        "source": source.store,
        "name": source.name,
        **describe_certificate(read_signing_source(source)),
    }


def use_own_certificate(
    services: Services, org_id: str, store: str, name: str, field: str
) -> dict[str, Any]:
    """Sign the organisation's masters with the certificate and key kept in ``store`` under
    ``name``, once they are read, checked and a test file signed with them verifies."""
    from audiofn.errors import ConfigError
    from audiofn.provenance import UnusableCertificate
    from audiofn.storage.content_credentials import (
        SigningSource,
        read_signing_source,
        set_signing_source,
    )

    _org(services, org_id)
    name = name.strip()
    prefix = services.settings.signing_credentials_prefix
    bare = name.split(":secret:", 1)[-1] if name.startswith("arn:") else name.lstrip("/")
    if not bare.startswith(prefix):
        raise InvalidInput(
            f"{field}: '{name}' is not under '{prefix}', the prefix this deployment may read "
            "(template parameter SigningCredentialsPrefix)",
            field=field,
        )
    source = SigningSource(store=store, name=name)
    try:
        identity = read_signing_source(source)
    except ConfigError as error:
        raise InvalidInput(f"{field}: {error}", field=field) from None
    except UnusableCertificate as error:
        raise InvalidInput(f"{field}: {error}", field=field) from None
    _check_signs(identity, field)
    set_signing_source(services.settings.table, org_id, source)
    return signing_certificate(services, org_id)


def use_default_certificate(services: Services, org_id: str) -> dict[str, Any]:
    from audiofn.storage.content_credentials import set_signing_source

    _org(services, org_id)
    set_signing_source(services.settings.table, org_id, None)
    return signing_certificate(services, org_id)


def _check_signs(identity: Any, field: str) -> None:
    """Sign a tenth of a second of silence with the identity and verify it: what C2PA itself
    refuses (a certificate without the signing use it wants) is found here, not on a master."""
    import io
    import wave

    from audiofn.provenance import SpeechCredentials, sign, verify

    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(8000)
        out.writeframes(bytes(1600))
    credentials = SpeechCredentials("check", "check", "check", "check", "check")
    try:
        result = verify(sign(buffer.getvalue(), "wav", identity, credentials), "wav")
    except Exception as error:  # c2pa's own errors carry the reason
        raise InvalidInput(f"{field}: the certificate cannot sign: {error}", field=field) from None
    if not result["valid"]:
        raise InvalidInput(
            f"{field}: a file signed with this certificate does not verify: "
            f"{[f.get('code') for f in result.get('failures', [])]}",
            field=field,
        )


def _org(services: Services, org_id: str) -> Any:
    org = services.table.get_org(org_id)
    if org is None:
        raise NotFound(f"organisation '{org_id}' not found", field="orgId")
    return org
