"""The CloudWatch alarms every function and every dead-letter queue of template.yaml needs.

Per function: an error-rate alarm (Errors / Invocations above ERROR_RATE_PERCENT over two
five-minute periods) and a duration alarm (p95 above DURATION_FRACTION of the function's
timeout). Per DLQ: an alarm as soon as one message is visible. All notify the optional
`AlarmTopicArn` parameter's SNS topic.

`python -m ops.alarms` prints the YAML of the alarms the template lacks (all of them with
`--all`), ready to paste into the operations block at the end of `Resources:`; the test
`tests/unit/test_template_operations.py` fails, naming them, until they are there.
"""

from __future__ import annotations

import argparse
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from audiofn_local.cfn_yaml import load_template_file
from audiofn_local.sam_globals import apply_globals

ROOT = Path(__file__).resolve().parents[1]
TEMPLATE = ROOT / "template.yaml"
ERROR_RATE_PERCENT = 5
DURATION_FRACTION = 0.8
PERIOD_SECONDS = 300
TOPIC_PARAMETER = "AlarmTopicArn"
TOPIC_CONDITION = "HasAlarmTopic"
LAMBDA_DEFAULT_TIMEOUT = 3


@dataclass(frozen=True)
class Alarm:
    logical_id: str
    yaml: str


def functions_and_dlqs(document: Mapping[str, Any]) -> tuple[dict[str, int], list[str]]:
    """Each function's timeout in seconds, and the queues some RedrivePolicy targets."""
    resources = document.get("Resources") or {}
    globals_section = document.get("Globals") or {}
    timeouts: dict[str, int] = {}
    dlqs: list[str] = []
    for logical_id, resource in resources.items():
        kind = resource.get("Type")
        props = apply_globals(kind, resource.get("Properties") or {}, globals_section)
        if kind == "AWS::Serverless::Function":
            timeouts[logical_id] = int(props.get("Timeout", LAMBDA_DEFAULT_TIMEOUT))
        elif kind == "AWS::SQS::Queue":
            target = (props.get("RedrivePolicy") or {}).get("deadLetterTargetArn")
            if isinstance(target, dict) and "Fn::GetAtt" in target:
                dlq = target["Fn::GetAtt"][0]
                if dlq not in dlqs:
                    dlqs.append(dlq)
    return timeouts, dlqs


def duration_threshold_ms(timeout_seconds: int) -> int:
    return int(timeout_seconds * 1000 * DURATION_FRACTION)


_TOPIC = f"!If [{TOPIC_CONDITION}, [!Ref {TOPIC_PARAMETER}], !Ref AWS::NoValue]"
_ACTIONS = f"      AlarmActions: {_TOPIC}\n      OKActions: {_TOPIC}\n"


def error_rate_alarm(function: str) -> Alarm:
    logical_id = f"{function}ErrorRateAlarm"
    about = f"{function} failed more than {ERROR_RATE_PERCENT}% of its invocations for 10 minutes."

    def metric(name: str) -> str:
        return (
            "            Metric:\n"
            "              Namespace: AWS/Lambda\n"
            f"              MetricName: {name}\n"
            f"              Dimensions: [{{Name: FunctionName, Value: !Ref {function}}}]\n"
            f"            Period: {PERIOD_SECONDS}\n"
            "            Stat: Sum\n"
        )

    return Alarm(
        logical_id,
        f"""  {logical_id}:
    Type: AWS::CloudWatch::Alarm
    Properties:
      AlarmDescription: {about}
      ComparisonOperator: GreaterThanThreshold
      Threshold: {ERROR_RATE_PERCENT}
      EvaluationPeriods: 2
      DatapointsToAlarm: 2
      TreatMissingData: notBreaching
      Metrics:
        - Id: rate
          Label: error rate (%)
          Expression: IF(invocations > 0, 100 * errors / invocations, 0)
          ReturnData: true
        - Id: errors
          ReturnData: false
          MetricStat:
{metric("Errors")}        - Id: invocations
          ReturnData: false
          MetricStat:
{metric("Invocations")}{_ACTIONS}""",
    )


def duration_alarm(function: str, timeout_seconds: int) -> Alarm:
    logical_id = f"{function}DurationAlarm"
    threshold = duration_threshold_ms(timeout_seconds)
    percent = int(DURATION_FRACTION * 100)
    about = f"{function} p95 duration above {percent}% of its {timeout_seconds} s timeout."
    return Alarm(
        logical_id,
        f"""  {logical_id}:
    Type: AWS::CloudWatch::Alarm
    Properties:
      AlarmDescription: {about}
      Namespace: AWS/Lambda
      MetricName: Duration
      Dimensions: [{{Name: FunctionName, Value: !Ref {function}}}]
      ExtendedStatistic: p95
      Period: {PERIOD_SECONDS}
      EvaluationPeriods: 3
      DatapointsToAlarm: 2
      Threshold: {threshold}
      ComparisonOperator: GreaterThanThreshold
      TreatMissingData: notBreaching
{_ACTIONS}""",
    )


def dlq_alarm(queue: str) -> Alarm:
    logical_id = f"{queue}MessagesAlarm"
    return Alarm(
        logical_id,
        f"""  {logical_id}:
    Type: AWS::CloudWatch::Alarm
    Properties:
      AlarmDescription: Work failed every retry and is waiting in {queue}; see docs/operations.md.
      Namespace: AWS/SQS
      MetricName: ApproximateNumberOfMessagesVisible
      Dimensions: [{{Name: QueueName, Value: !GetAtt {queue}.QueueName}}]
      Statistic: Maximum
      Period: 60
      EvaluationPeriods: 1
      Threshold: 0
      ComparisonOperator: GreaterThanThreshold
      TreatMissingData: notBreaching
{_ACTIONS}""",
    )


def required_alarms(document: Mapping[str, Any]) -> list[Alarm]:
    timeouts, dlqs = functions_and_dlqs(document)
    alarms: list[Alarm] = []
    for function, timeout in timeouts.items():
        alarms += [error_rate_alarm(function), duration_alarm(function, timeout)]
    alarms += [dlq_alarm(queue) for queue in dlqs]
    return alarms


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--all", action="store_true", help="every alarm, not just missing ones")
    parser.add_argument("--template", type=Path, default=TEMPLATE)
    args = parser.parse_args(argv)
    document = load_template_file(args.template)
    present = set(document.get("Resources") or {})
    for alarm in required_alarms(document):
        if args.all or alarm.logical_id not in present:
            print(alarm.yaml)


if __name__ == "__main__":
    main()
