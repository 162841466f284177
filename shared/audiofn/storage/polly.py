"""Amazon Polly: its client and the one call the Polly engine makes, with failures sorted into
"try again later or fix the deployment" and "Polly refuses this text"."""

from __future__ import annotations

from typing import Any

# Worth retrying later, or a deployment problem rather than a problem with this text.
_UNAVAILABLE_CODES = frozenset(
    {
        "ThrottlingException",
        "Throttling",
        "TooManyRequestsException",
        "RequestLimitExceeded",
        "ServiceFailureException",
        "ServiceUnavailable",
        "AccessDeniedException",
        "UnrecognizedClientException",
        "InvalidSignatureException",
        "ExpiredTokenException",
    }
)


class PollyUnavailable(Exception):
    """Polly cannot be reached or refuses this deployment (throttled, no rights, no network)."""


class PollyRefused(Exception):
    """Polly refuses this request (its text, voice or format)."""


def polly_client(region: str) -> Any:
    import boto3

    return boto3.client("polly", region_name=region)


def synthesize_speech(client: Any, request: dict[str, str]) -> bytes:
    """The audio stream of one ``SynthesizeSpeech`` call, read whole."""
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        response = client.synthesize_speech(**request)
        with response["AudioStream"] as stream:
            return bytes(stream.read())
    except ClientError as error:
        details = error.response.get("Error", {})
        code = details.get("Code", "")
        status = error.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0)
        message = f"Amazon Polly {code}: {details.get('Message', '')}"
        if code in _UNAVAILABLE_CODES or status >= 500:
            raise PollyUnavailable(message) from error
        raise PollyRefused(message) from error
    except BotoCoreError as error:  # no connection, no credentials, timeouts
        raise PollyUnavailable(f"Amazon Polly unreachable: {error}") from error
