"""Content credentials (C2PA) for masters: a signed manifest stating that the speech is
synthetic (IPTC digital source type ``trainedAlgorithmicMedia``), with the engine, voice,
script and organisation, and for each custom voice that spoke its profile and the id and
digest of its consent record, embedded in the file; and the check that reads it back.

Each organisation signs with its own identity: an ES256 key and a certificate issued by the
organisation's own root (made by :func:`new_signing_identity`, kept by the storage layer,
never in the code). c2pa-python embeds manifests in WAV, MP3, FLAC and M4A (all four are
read back by the tests); a file that is changed after signing fails verification.
"""

from __future__ import annotations

import datetime
import io
import json
from dataclasses import dataclass
from typing import Any

TRAINED_ALGORITHMIC_MEDIA = "http://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia"
MIME_TYPES = {"wav": "audio/wav", "mp3": "audio/mpeg", "flac": "audio/flac", "m4a": "audio/mp4"}
"""End formats whose files carry embedded credentials."""
CLAIM_GENERATOR = "audiofn"
VOICE_CONSENT_LABEL = "com.audiofn.voice-consent"
"""The assertion naming each custom voice that spoke and its consent record's id and digest."""


@dataclass(frozen=True)
class SigningIdentity:
    """An organisation's signing key and certificate chain (leaf first), PEM, and the C2PA
    signature algorithm its key type takes."""

    certificate_chain_pem: str
    private_key_pem: str
    algorithm: str = "es256"


class UnusableCertificate(ValueError):
    """A certificate and key that cannot sign content credentials; the message says why."""


@dataclass(frozen=True)
class VoiceConsentReference:
    """A custom voice that spoke in the master and the consent record it was created with
    (None for a voice made before consent records, or a blend, which has no speaker)."""

    voice: str
    profile_id: int
    profile_uuid: str
    profile_name: str
    consent_id: str | None
    consent_sha256: str | None

    def to_assertion(self) -> dict[str, Any]:
        return {
            "voice": self.voice,
            "profileId": self.profile_id,
            "profileUuid": self.profile_uuid,
            "profileName": self.profile_name,
            "consentId": self.consent_id,
            "consentSha256": self.consent_sha256,
        }


@dataclass(frozen=True)
class SpeechCredentials:
    """What the manifest states about a master."""

    organisation: str
    script_id: str
    engine: str
    voice: str
    title: str
    voice_consents: tuple[VoiceConsentReference, ...] = ()


def new_signing_identity(organisation: str, *, days: int = 3650) -> SigningIdentity:
    """A self-made root and a signing certificate issued by it for the organisation: C2PA
    wants an end-entity certificate (digital signature, e-mail protection use), not a
    self-signed one."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    now = datetime.datetime.now(datetime.UTC)
    name = organisation[:60] or "organisation"
    root_key = ec.generate_private_key(ec.SECP256R1())
    root_name = x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, name),
            x509.NameAttribute(NameOID.COMMON_NAME, f"{name} content credentials root"),
        ]
    )
    root = (
        x509.CertificateBuilder()
        .subject_name(root_name)
        .issuer_name(root_name)
        .public_key(root_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=days))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=False,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .sign(root_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    leaf = (
        x509.CertificateBuilder()
        .subject_name(
            x509.Name(
                [
                    x509.NameAttribute(NameOID.ORGANIZATION_NAME, name),
                    x509.NameAttribute(NameOID.COMMON_NAME, f"{name} content credentials"),
                ]
            )
        )
        .issuer_name(root_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=days))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(
            x509.ExtendedKeyUsage([ExtendedKeyUsageOID.EMAIL_PROTECTION]), critical=False
        )
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(root_key.public_key()),
            critical=False,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(root_key, hashes.SHA256())
    )
    chain = b"".join(c.public_bytes(serialization.Encoding.PEM) for c in (leaf, root))
    private = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    return SigningIdentity(chain.decode(), private.decode())


def identity_from_pem(certificate_chain_pem: str, private_key_pem: str) -> SigningIdentity:
    """An organisation's own certificate chain (leaf first) and private key, checked: the key
    is the leaf's, the leaf is an end-entity certificate valid now, and the key type is one
    C2PA signs with (EC P-256/384/521, RSA with PSS, Ed25519)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

    try:
        chain = x509.load_pem_x509_certificates(certificate_chain_pem.encode())
    except ValueError as error:
        raise UnusableCertificate(
            f"the certificate chain is not PEM certificates: {error}"
        ) from None
    try:
        key = serialization.load_pem_private_key(private_key_pem.encode(), password=None)
    except (ValueError, TypeError) as error:
        raise UnusableCertificate(
            f"the private key is not an unencrypted PEM private key: {error}"
        ) from None
    leaf = chain[0]
    public = key.public_key()
    if public.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    ) != leaf.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    ):
        raise UnusableCertificate("the private key does not belong to the first certificate")
    try:
        if leaf.extensions.get_extension_for_class(x509.BasicConstraints).value.ca:
            raise UnusableCertificate(
                "the first certificate is a CA certificate: C2PA signs with an end-entity one"
            )
    except x509.ExtensionNotFound:
        pass
    now = datetime.datetime.now(datetime.UTC)
    if not leaf.not_valid_before_utc <= now <= leaf.not_valid_after_utc:
        raise UnusableCertificate(
            f"the certificate is valid from {leaf.not_valid_before_utc:%Y-%m-%d} to "
            f"{leaf.not_valid_after_utc:%Y-%m-%d}, not now"
        )
    if isinstance(key, ec.EllipticCurvePrivateKey):
        algorithms = {"secp256r1": "es256", "secp384r1": "es384", "secp521r1": "es512"}
        algorithm = algorithms.get(key.curve.name)
        if algorithm is None:
            raise UnusableCertificate(f"EC curve {key.curve.name} is not one C2PA signs with")
    elif isinstance(key, rsa.RSAPrivateKey):
        algorithm = "ps256"
    elif isinstance(key, ed25519.Ed25519PrivateKey):
        algorithm = "ed25519"
    else:
        raise UnusableCertificate(f"{type(key).__name__} keys are not ones C2PA signs with")
    return SigningIdentity(certificate_chain_pem, private_key_pem, algorithm)


def describe_certificate(identity: SigningIdentity) -> dict[str, Any]:
    """The signing certificate's subject, issuer and validity, for showing (never the key)."""
    from cryptography import x509

    leaf = x509.load_pem_x509_certificates(identity.certificate_chain_pem.encode())[0]
    return {
        "subject": leaf.subject.rfc4514_string(),
        "issuer": leaf.issuer.rfc4514_string(),
        "serialNumber": format(leaf.serial_number, "x"),
        "notBefore": leaf.not_valid_before_utc.isoformat(),
        "notAfter": leaf.not_valid_after_utc.isoformat(),
        "algorithm": identity.algorithm,
    }


def _manifest(credentials: SpeechCredentials) -> dict[str, Any]:
    consents = (
        [
            {
                "label": VOICE_CONSENT_LABEL,
                "data": {"voices": [c.to_assertion() for c in credentials.voice_consents]},
            }
        ]
        if credentials.voice_consents
        else []
    )
    return {
        "claim_generator_info": [{"name": CLAIM_GENERATOR}],
        "title": credentials.title,
        "assertions": [
            {
                "label": "c2pa.actions.v2",
                "data": {
                    "actions": [
                        {
                            "action": "c2pa.created",
                            "digitalSourceType": TRAINED_ALGORITHMIC_MEDIA,
                            "softwareAgent": {"name": f"{CLAIM_GENERATOR} {credentials.engine}"},
                            "parameters": {
                                "description": "synthetic speech (text to speech)",
                            },
                        }
                    ]
                },
            },
            {
                "label": "com.audiofn.speech",
                "data": {
                    "synthetic": True,
                    "engine": credentials.engine,
                    "voice": credentials.voice,
                    "scriptId": credentials.script_id,
                    "organisation": credentials.organisation,
                },
            },
            *consents,
        ],
    }


def sign(data: bytes, fmt: str, identity: SigningIdentity, credentials: SpeechCredentials) -> bytes:
    """``data`` with a signed C2PA manifest embedded (``fmt`` one of :data:`MIME_TYPES`)."""
    import c2pa

    mime = MIME_TYPES[fmt]
    info = c2pa.C2paSignerInfo(
        alg=identity.algorithm.encode(),
        sign_cert=identity.certificate_chain_pem.encode(),
        private_key=identity.private_key_pem.encode(),
        ta_url=None,
    )
    signer = c2pa.Signer.from_info(info)
    try:
        with c2pa.Builder(json.dumps(_manifest(credentials))) as builder:
            source, dest = io.BytesIO(data), io.BytesIO()
            builder.sign(signer, mime, source, dest)
            return dest.getvalue()
    finally:
        signer.close()


def verify(data: bytes, fmt: str) -> dict[str, Any]:
    """The file's active manifest and its validation: ``valid`` is false when the file was
    changed after signing (or carries no credentials). The organisation's root is not a
    public trust anchor, so an untrusted signer is reported, not counted as tampering."""
    import c2pa

    try:
        with c2pa.Reader(MIME_TYPES[fmt], io.BytesIO(data)) as reader:
            store = json.loads(reader.json())
            state = reader.get_validation_state()
            results = reader.get_validation_results() or {}
    except Exception as error:  # any bytes a caller sends reach the parser: unreadable ones fail
        reason = str(error) if isinstance(error, c2pa.C2paError) else f"unreadable: {error}"
        return {"valid": False, "state": "none", "reason": reason, "manifest": None}
    active = store.get("manifests", {}).get(store.get("active_manifest", ""), {})
    failures = [
        status
        for status in store.get("validation_status", []) or []
        if not str(status.get("code", "")).startswith("signingCredential.untrusted")
    ]
    return {
        "valid": not failures,
        "state": state,
        "failures": failures,
        "results": results,
        "manifest": active,
    }
