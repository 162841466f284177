"""Operations wiring read off template.yaml and samconfig.toml: an alarm for every function and
DLQ, reserved concurrency for the API and the TTS functions, the deploy parameters."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from audiofn.mastering import PRESETS
from audiofn_local.cfn_yaml import load_template_file, load_template_text
from bench.lambda_packages import function_packages, requirement_lines
from ops.alarms import TOPIC_CONDITION, TOPIC_PARAMETER, required_alarms

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = load_template_file(ROOT / "template.yaml")
RESOURCES = TEMPLATE["Resources"]
ALARMS = required_alarms(TEMPLATE)
NOTIFY = {"Fn::If": [TOPIC_CONDITION, [{"Ref": TOPIC_PARAMETER}], {"Ref": "AWS::NoValue"}]}


def test_every_function_and_dlq_has_its_alarms():
    missing = [alarm for alarm in ALARMS if alarm.logical_id not in RESOURCES]
    assert not missing, (
        "add to the operations block of template.yaml (python -m ops.alarms prints them):\n"
        + "\n".join(alarm.yaml for alarm in missing)
    )


@pytest.mark.parametrize("alarm", ALARMS, ids=lambda alarm: alarm.logical_id)
def test_alarm_matches_what_its_function_or_queue_needs(alarm):
    """The alarm in the template watches the right thing with the right threshold (a changed
    timeout moves its duration threshold)."""
    expected = load_template_text(alarm.yaml)[alarm.logical_id]["Properties"]
    actual = RESOURCES[alarm.logical_id]["Properties"]
    for key in ("Threshold", "Dimensions", "Metrics", "MetricName", "Namespace"):
        assert actual.get(key) == expected.get(key), f"{alarm.logical_id}.{key}"
    assert actual["AlarmActions"] == NOTIFY and actual["OKActions"] == NOTIFY


def test_alarms_notify_an_optional_topic():
    assert TEMPLATE["Parameters"][TOPIC_PARAMETER]["Default"] == ""
    assert TOPIC_CONDITION in TEMPLATE["Conditions"]


def tts_functions() -> list[str]:
    """Functions that synthesise speech themselves: their package installs a TTS engine."""
    return sorted(
        name
        for name, package in function_packages(ROOT / "template.yaml").items()
        if any(
            line.startswith("piper-tts") for line in requirement_lines(package.requirement_files)
        )
    )


def test_api_and_tts_functions_take_a_concurrency_reservation():
    assert "SpeechFunction" in tts_functions()
    for name in ["ApiFunction", *tts_functions()]:
        reserved = RESOURCES[name]["Properties"].get("ReservedConcurrentExecutions")
        assert isinstance(reserved, dict) and "Fn::If" in reserved, name
        _, value, otherwise = reserved["Fn::If"]
        assert value["Ref"] in TEMPLATE["Parameters"] and otherwise == {"Ref": "AWS::NoValue"}


def test_speech_poller_is_capped_with_the_speech_reservation():
    event = RESOURCES["SpeechFunction"]["Properties"]["Events"]["SpeechTasks"]["Properties"]
    _, cap, _ = event["ScalingConfig"]["Fn::If"]
    reserved = RESOURCES["SpeechFunction"]["Properties"]["ReservedConcurrentExecutions"]
    assert cap["MaximumConcurrency"] == reserved["Fn::If"][1]


def test_default_loudness_preset_parameter_lists_the_presets():
    parameter = TEMPLATE["Parameters"]["DefaultMasteringPreset"]
    assert sorted(parameter["AllowedValues"]) == sorted(PRESETS)
    assert parameter["Default"] in PRESETS


def overrides(environment: str) -> dict[str, str]:
    config = tomllib.loads((ROOT / "samconfig.toml").read_text())
    text = config[environment]["deploy"]["parameters"]["parameter_overrides"]
    pairs = [item.split("=", 1) for item in text.split()]
    return {key: value.strip('"') for key, value in pairs}


@pytest.mark.parametrize("environment", ["dev", "prod"])
def test_samconfig_environment_sets_the_deployment_parameters(environment):
    values = overrides(environment)
    assert values["Stage"] == environment
    for name in ("PublicDomain", "DefaultMasteringPreset", "UpstreamTtsUrl", "PollyEnabled"):
        assert name in values, f"{environment}: {name}"
    assert set(values) <= set(TEMPLATE["Parameters"]), set(values) - set(TEMPLATE["Parameters"])
    preset = TEMPLATE["Parameters"]["DefaultMasteringPreset"]["AllowedValues"]
    assert values["DefaultMasteringPreset"] in preset
