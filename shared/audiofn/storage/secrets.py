"""Secrets the functions use, from SSM Parameter Store or Secrets Manager in AWS and the
environment locally.

Powertools' parameters utility fetches a SecureString decrypted (or a secret's string) and
caches it for SECRET_MAX_AGE_SECONDS, so a rotated value (`aws ssm put-parameter --overwrite`,
`aws secretsmanager put-secret-value`) reaches running functions within that time, without a
redeploy.
"""

from __future__ import annotations

from audiofn.config import CommonSettings
from audiofn.errors import ConfigError

SECRET_MAX_AGE_SECONDS = 300


def parameter_value(name: str) -> str:
    """A SecureString (or String) parameter's value, decrypted, cached by Powertools."""
    from aws_lambda_powertools.utilities import parameters

    try:
        value = parameters.get_parameter(name, decrypt=True, max_age=SECRET_MAX_AGE_SECONDS)
    except parameters.exceptions.GetParameterError as error:
        raise ConfigError(f"cannot read SSM parameter {name!r}: {error}") from error
    return str(value)


def secret_value(name: str) -> str:
    """A Secrets Manager secret's string value (by name or ARN), cached by Powertools."""
    from aws_lambda_powertools.utilities import parameters

    try:
        value = parameters.get_secret(name, max_age=SECRET_MAX_AGE_SECONDS)
    except parameters.exceptions.GetParameterError as error:
        raise ConfigError(f"cannot read secret {name!r}: {error}") from error
    return str(value)


def upstream_tts_api_key(settings: CommonSettings) -> str:
    """The upstream TTS server's key: from its SSM parameter when one is named, else the
    AUDIOFN_UPSTREAM_TTS_API_KEY variable (empty when the server needs none)."""
    if settings.upstream_tts_api_key_parameter:
        return parameter_value(settings.upstream_tts_api_key_parameter)
    return settings.upstream_tts_api_key
