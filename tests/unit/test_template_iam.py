"""Least privilege, read off template.yaml: no wildcard without a written reason.

Every function's `Policies` entry must be a SAM policy template scoped by reference to one
resource of this template, or an inline statement naming its actions and resources. Any `*`
in an action, a resource or a principal (in function policies, IAM resources, bucket and queue
policies), any unscoped policy template and any managed policy needs a comment on the line
directly above it (or at its end) of the form

    # iam-wildcard: <why nothing narrower works>
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from audiofn_local.cfn_yaml import TemplateLoader

ROOT = Path(__file__).resolve().parents[2]
MARK = "# iam-wildcard:"

# Policy templates whose every parameter names one resource (a table, bucket, queue...).
SCOPED_TEMPLATES = {
    "DynamoDBCrudPolicy",
    "DynamoDBReadPolicy",
    "DynamoDBWritePolicy",
    "DynamoDBStreamReadPolicy",
    "S3CrudPolicy",
    "S3ReadPolicy",
    "S3WritePolicy",
    "SQSSendMessagePolicy",
    "SQSPollerPolicy",
    "SNSPublishMessagePolicy",
    "LambdaInvokePolicy",
    "SSMParameterReadPolicy",
    "SSMParameterWithSlashPrefixReadPolicy",
    "AWSSecretsManagerGetSecretValuePolicy",
    "KMSDecryptPolicy",
    "StepFunctionsExecutionPolicy",
}
POLICY_RESOURCES = {
    "AWS::IAM::Policy",
    "AWS::IAM::ManagedPolicy",
    "AWS::IAM::Role",
    "AWS::S3::BucketPolicy",
    "AWS::SQS::QueuePolicy",
    "AWS::SNS::TopicPolicy",
}
INTRINSICS = {"Ref", "Fn::GetAtt", "Fn::Sub", "Fn::ImportValue", "Fn::Select", "Fn::If"}


class LineStr(str):
    """A string that remembers the template line it came from (1-based)."""

    line: int


class LineLoader(TemplateLoader):
    def construct_scalar(self, node: yaml.ScalarNode) -> Any:
        value = super().construct_scalar(node)
        if isinstance(value, str):
            marked = LineStr(value)
            marked.line = node.start_mark.line + 1
            return marked
        return value


@dataclass(frozen=True)
class Wildcard:
    where: str
    value: str
    line: int


def load(text: str) -> dict[str, Any]:
    return yaml.load(text, Loader=LineLoader)  # a SafeLoader subclass


def line_of(value: Any) -> int:
    return getattr(value, "line", 0)


def strings(value: Any) -> Iterator[str]:
    """Every string inside a value, intrinsics included (a `!Sub` template is a string)."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, list):
        for item in value:
            yield from strings(item)
    elif isinstance(value, dict):
        for item in value.values():
            yield from strings(item)


def statement_wildcards(statements: Any, where: str) -> Iterator[Wildcard]:
    for index, statement in enumerate(statements if isinstance(statements, list) else []):
        if not isinstance(statement, dict):
            continue
        for key in ("Action", "NotAction", "Resource", "NotResource", "Principal"):
            for text in strings(statement.get(key)):
                if "*" in text:
                    yield Wildcard(f"{where}.Statement[{index}].{key}", text, line_of(text))


def policy_wildcards(policy: Any, where: str) -> Iterator[Wildcard]:
    """One entry of a function's `Policies`."""
    if isinstance(policy, str):  # a managed policy name or ARN: broad by construction
        yield Wildcard(where, policy, line_of(policy))
        return
    if not isinstance(policy, dict):
        return
    if "Fn::If" in policy:
        _, *branches = policy["Fn::If"]
        for branch in branches:
            if branch != {"Ref": "AWS::NoValue"}:
                yield from policy_wildcards(branch, where)
        return
    if "Statement" in policy:
        yield from statement_wildcards(policy["Statement"], where)
        return
    for name, parameters in policy.items():
        if name not in SCOPED_TEMPLATES:
            yield Wildcard(f"{where}.{name}", name, line_of(name))
            continue
        for parameter, value in (parameters or {}).items():
            scoped = isinstance(value, dict) and set(value) <= INTRINSICS
            if not scoped or "*" in "".join(strings(value)):
                yield Wildcard(f"{where}.{name}.{parameter}", str(value), line_of(parameter))


def wildcards(template: dict[str, Any]) -> Iterator[Wildcard]:
    functions = (template.get("Globals") or {}).get("Function") or {}
    for index, policy in enumerate(functions.get("Policies") or []):
        yield from policy_wildcards(policy, f"Globals.Function.Policies[{index}]")
    for logical_id, resource in (template.get("Resources") or {}).items():
        kind = resource.get("Type")
        props = resource.get("Properties") or {}
        if kind == "AWS::Serverless::Function":
            policies = props.get("Policies") or []
            for index, policy in enumerate(policies if isinstance(policies, list) else [policies]):
                yield from policy_wildcards(policy, f"{logical_id}.Policies[{index}]")
        elif kind in POLICY_RESOURCES:
            documents = [props.get("PolicyDocument")]
            documents += [p.get("PolicyDocument") for p in props.get("Policies") or []]
            for arn in props.get("ManagedPolicyArns") or []:
                yield Wildcard(f"{logical_id}.ManagedPolicyArns", str(arn), line_of(arn))
            for document in documents:
                if isinstance(document, dict):
                    yield from statement_wildcards(document.get("Statement"), logical_id)


def justified(lines: list[str], wildcard: Wildcard) -> bool:
    if wildcard.line < 1:
        return False
    own = lines[wildcard.line - 1]
    above = lines[wildcard.line - 2].strip() if wildcard.line >= 2 else ""
    for text in (own[own.find(MARK) :] if MARK in own else "", above):
        if text.startswith(MARK) and len(text[len(MARK) :].strip()) >= 10:
            return True
    return False


def unjustified(text: str) -> list[Wildcard]:
    lines = text.splitlines()
    return [w for w in wildcards(load(text)) if not justified(lines, w)]


# ------------------------------------------------------------------ the repository's template


def test_template_has_no_unjustified_wildcard():
    problems = unjustified((ROOT / "template.yaml").read_text())
    assert not problems, "\n".join(
        f"template.yaml:{w.line}: {w.where} = {w.value!r}: scope it, or say why above it "
        f"with '{MARK} <reason>'"
        for w in problems
    )


def test_every_function_policy_is_read_by_the_check():
    """Each function's policies are walked (a new policy shape would not slip past)."""
    template = load((ROOT / "template.yaml").read_text())
    for logical_id, resource in template["Resources"].items():
        if resource["Type"] != "AWS::Serverless::Function":
            continue
        for policy in resource["Properties"].get("Policies") or []:
            assert isinstance(policy, dict), f"{logical_id}: {policy!r}"
            names = set(policy) - {"Statement", "Fn::If"}
            assert names <= SCOPED_TEMPLATES or not names, f"{logical_id}: {names}"


# ------------------------------------------------------------------ the check itself

BASE = """
Resources:
  Bucket:
    Type: AWS::S3::Bucket
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      Policies:
{policies}
"""


@pytest.mark.parametrize(
    ("policies", "count"),
    [
        ("        - S3CrudPolicy:\n            BucketName: !Ref Bucket", 0),
        ('        - S3CrudPolicy:\n            BucketName: "*"', 1),
        ("        - AmazonS3FullAccess", 1),
        ("        - PollyFullAccessPolicy: {}", 1),
        (
            "        - Statement:\n"
            "            - Effect: Allow\n"
            "              Action: [s3:*]\n"
            "              Resource: !GetAtt Bucket.Arn",
            1,
        ),
        (
            "        - Statement:\n"
            "            - Effect: Allow\n"
            "              Action: [polly:SynthesizeSpeech]\n"
            '              Resource: "*"',
            1,
        ),
        (
            "        - Statement:\n"
            "            - Effect: Allow\n"
            "              Action: [polly:SynthesizeSpeech]\n"
            "              # iam-wildcard: Polly has no resource-level permissions\n"
            '              Resource: "*"',
            0,
        ),
        (
            "        - Statement:\n"
            "            - Effect: Allow\n"
            "              Action: [s3:GetObject]\n"
            '              Resource: !Sub "${Bucket.Arn}/*"  # iam-wildcard: every object\n',
            0,
        ),
        (
            "        - Statement:\n"
            "            - Effect: Allow\n"
            "              # iam-wildcard:\n"
            '              Resource: "*"\n'
            "              Action: [polly:SynthesizeSpeech]",
            1,
        ),
    ],
)
def test_the_check_finds_unjustified_wildcards(policies, count):
    assert len(unjustified(BASE.format(policies=policies))) == count
