"""Physical names and ARNs of the local stand-ins for the template's resources.

Names are derived from logical ids (`MediaBucket` -> `audiofn-local-mediabucket`) so they are
stable across restarts, which keeps URLs and stored references valid once state persists.
"""

from __future__ import annotations

ACCOUNT_ID = "123456789012"  # moto's default account
REGION = "us-east-1"
PARTITION = "aws"
STACK_NAME = "audiofn-local"
NAME_PREFIX = "audiofn-local-"


def local_name(logical_id: str) -> str:
    """The default physical name of a resource: prefix + lower-case logical id."""
    return f"{NAME_PREFIX}{logical_id.lower()}"


def queue_arn(queue_name: str, region: str = REGION) -> str:
    return f"arn:{PARTITION}:sqs:{region}:{ACCOUNT_ID}:{queue_name}"


def bucket_arn(bucket_name: str) -> str:
    return f"arn:{PARTITION}:s3:::{bucket_name}"


def table_arn(table_name: str, region: str = REGION) -> str:
    return f"arn:{PARTITION}:dynamodb:{region}:{ACCOUNT_ID}:table/{table_name}"


def function_arn(function_name: str, region: str = REGION) -> str:
    return f"arn:{PARTITION}:lambda:{region}:{ACCOUNT_ID}:function:{function_name}"


# moto accepts any credentials; fixed fake ones make sure nothing ever signs for a real account.
FAKE_ACCESS_KEY_ID = "testing"
FAKE_SECRET_ACCESS_KEY = "testing"  # noqa: S105 - not a secret: moto ignores it
