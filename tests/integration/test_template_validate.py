"""`sam validate` on the templates, offline: fake credentials, no telemetry, a fixed region.

The SAM CLI lives in its own virtualenv (`.venv-sam`, made by `make test`) because it pins
its own boto and Flask versions.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SAM = Path(os.environ.get("AUDIOFN_SAM", REPO / ".venv-sam" / "bin" / "sam"))
TEMPLATES = {
    "template.yaml": REPO / "template.yaml",
    "local-runtime-fixture": REPO / "tests" / "fixtures" / "local_runtime" / "template.yaml",
}


def sam_env(home: Path) -> dict[str, str]:
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(home),  # SAM writes its metadata under ~/.aws-sam
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_CONFIG_FILE": str(home / "no-aws-config"),
        "AWS_SHARED_CREDENTIALS_FILE": str(home / "no-aws-credentials"),
        "SAM_CLI_TELEMETRY": "0",
    }


def sam_validate(template: Path, home: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(SAM), "validate", *extra, "--template", str(template), "--region", "us-east-1"],
        cwd=REPO,
        env=sam_env(home),
        check=False,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.fixture(scope="module")
def sam_home(tmp_path_factory) -> Path:
    if not SAM.is_file():
        pytest.skip(f"no SAM CLI at {SAM}; `make test` creates .venv-sam")
    return tmp_path_factory.mktemp("sam-home")


@pytest.mark.parametrize("name", sorted(TEMPLATES))
def test_sam_validate_lint(name, sam_home):
    template = TEMPLATES[name]
    if not template.is_file():
        pytest.skip(f"{template} does not exist")
    result = sam_validate(template, sam_home, "--lint")
    assert result.returncode == 0, f"{result.stdout}\n{result.stderr}"
    assert "is a valid SAM Template" in result.stdout + result.stderr


def test_sam_validate_transform(sam_home):
    """Without --lint, SAM runs its own transform: it catches SAM-only mistakes."""
    result = sam_validate(TEMPLATES["template.yaml"], sam_home)
    assert result.returncode == 0, f"{result.stdout}\n{result.stderr}"


def test_sam_validate_catches_a_broken_template(sam_home, tmp_path):
    """The check is not vacuous: a reference to a missing resource fails."""
    broken = tmp_path / "template.yaml"
    broken.write_text(
        "AWSTemplateFormatVersion: '2010-09-09'\n"
        "Transform: AWS::Serverless-2016-10-31\n"
        "Resources:\n"
        "  Queue:\n"
        "    Type: AWS::SQS::Queue\n"
        "    Properties:\n"
        "      RedrivePolicy:\n"
        "        deadLetterTargetArn: !GetAtt Missing.Arn\n"
        "        maxReceiveCount: 3\n"
    )
    result = sam_validate(broken, sam_home, "--lint")
    assert result.returncode != 0


def test_samconfig_has_dev_and_prod_environments() -> None:
    import tomllib

    config = tomllib.loads((REPO / "samconfig.toml").read_text())

    for environment in ("default", "prod"):
        deploy = config[environment]["deploy"]["parameters"]
        assert deploy["capabilities"] == "CAPABILITY_IAM"
        assert "Stage=" in deploy["parameter_overrides"]


@pytest.mark.slow
def test_sam_build_succeeds_for_every_zip_function(sam_home, tmp_path_factory):
    """`sam build` of the template without its image functions (no Docker here), which
    builds every zip function and the shared layer with its requirements."""
    from audiofn_local.cfn_yaml import load_template_file

    document = load_template_file(TEMPLATES["template.yaml"])
    resources = document["Resources"]
    zip_functions = []
    for logical_id, resource in list(resources.items()):
        props = resource.get("Properties") or {}
        if resource["Type"] == "AWS::Serverless::Function":
            if props.get("PackageType") == "Image":
                del resources[logical_id]
                continue
            zip_functions.append(logical_id)
            props["CodeUri"] = str(REPO / props["CodeUri"])
        elif resource["Type"] == "AWS::Serverless::LayerVersion":
            props["ContentUri"] = str(REPO / props["ContentUri"])
    # Only the build matters here; the image functions' alarms would dangle.
    document["Resources"] = {
        k: v for k, v in resources.items() if v["Type"].startswith("AWS::Serverless::")
    }
    document.pop("Outputs", None)
    work = tmp_path_factory.mktemp("sam-build")
    template = work / "template.yaml"
    template.write_text(json.dumps(document))
    build_dir = Path(os.environ.get("AUDIOFN_SAM_BUILD_DIR", "/tmp/audiofn-sam-build"))

    result = subprocess.run(
        [
            str(SAM),
            "build",
            "--template",
            str(template),
            "--build-dir",
            str(build_dir / "out"),
            "--cache-dir",
            str(build_dir / "cache"),
            "--cached",
        ],
        cwd=work,
        env=sam_env(sam_home),
        check=False,
        capture_output=True,
        text=True,
        timeout=900,
    )

    assert result.returncode == 0, f"{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
    assert zip_functions
    for logical_id in zip_functions:
        assert (build_dir / "out" / logical_id / "app.py").is_file()
    layer = build_dir / "out" / "SharedLayer" / "python"
    for package in ("audiofn", "aws_lambda_powertools", "pydantic", "httpx", "num2words"):
        assert (layer / package).is_dir(), f"the built layer lacks {package}"
