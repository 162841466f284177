"""Every function in template.yaml has a deliberate package type, and each package fits.

Zip functions: the function's code, its requirements and its layers, installed for Lambda's
platform, stay under 250 MB unzipped, carry no neural model runtime, and their handler
imports with nothing else on the path. Image functions: a Dockerfile on Lambda's Python 3.11
base image, the Metadata `sam build` needs, and a handler the local runtime can find.

The closures are installed once into a cache directory (AUDIOFN_LAMBDA_CLOSURE_CACHE,
default /tmp/audiofn-lambda-closures); later runs only measure.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from audiofn_local.cfn_yaml import load_template_file
from audiofn_local.sam_globals import apply_globals
from bench.lambda_packages import (
    RUNTIME_PROVIDED,
    ZIP_LIMIT_BYTES,
    function_packages,
    install_closure,
    measure,
)

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = load_template_file(ROOT / "template.yaml")
RESOURCES = TEMPLATE["Resources"]
PACKAGES = function_packages(ROOT / "template.yaml")
ZIP_FUNCTIONS = sorted(name for name, p in PACKAGES.items() if p.package_type == "Zip")
IMAGE_FUNCTIONS = sorted(name for name, p in PACKAGES.items() if p.package_type == "Image")
LAMBDA_BASE_IMAGE = "public.ecr.aws/lambda/python:3.11"
# Packages that mean a neural model rides along: those functions are images.
NEURAL = ("onnxruntime", "ctranslate2", "piper", "faster_whisper", "torch", "tensorflow")


def properties(logical_id: str) -> dict:
    return apply_globals(
        "AWS::Serverless::Function",
        RESOURCES[logical_id].get("Properties") or {},
        TEMPLATE.get("Globals") or {},
    )


def stand_in(name: str, value: object) -> str:
    """A variable's value for an import check: literals and parameter defaults as written, a
    resource reference as a URL (queue URLs are the strictest such values)."""
    if isinstance(value, str | int | float):
        return str(value)
    if isinstance(value, dict) and value.get("Ref") in (TEMPLATE.get("Parameters") or {}):
        return str(TEMPLATE["Parameters"][value["Ref"]].get("Default", ""))
    return f"https://sqs.us-east-1.amazonaws.com/123456789012/{name}"


def requirement_names(text: str) -> list[str]:
    names = []
    for raw in text.splitlines():
        line = raw.split("#", 1)[0].strip()
        if line:
            names.append(re.split(r"[<>=!~ ;\[]", line, maxsplit=1)[0].lower())
    return names


def test_there_are_both_kinds():
    assert "ApiFunction" in ZIP_FUNCTIONS
    assert {"SpeechFunction", "MasteringFunction"} <= set(IMAGE_FUNCTIONS)


@pytest.mark.parametrize("logical_id", ZIP_FUNCTIONS)
def test_zip_function_declares_runtime_and_the_shared_layer(logical_id):
    """Globals cannot carry Runtime or Layers (SAM rejects them on image functions)."""
    props = properties(logical_id)
    assert props.get("Runtime") == "python3.11", f"{logical_id}: add `Runtime: python3.11`"
    assert {"Ref": "SharedLayer"} in (props.get("Layers") or []), (
        f"{logical_id}: add `Layers: [!Ref SharedLayer]`"
    )
    assert (ROOT / props["CodeUri"] / f"{props['Handler'].rsplit('.', 1)[0]}.py").is_file()


@pytest.mark.parametrize("logical_id", IMAGE_FUNCTIONS)
def test_image_function_is_buildable_by_sam(logical_id):
    props, metadata = properties(logical_id), RESOURCES[logical_id].get("Metadata") or {}
    assert {"Dockerfile", "DockerContext", "DockerTag"} <= set(metadata)
    assert not {"Runtime", "Handler", "Layers", "CodeUri"} & set(props)
    dockerfile = PACKAGES[logical_id].dockerfile
    assert dockerfile is not None and dockerfile.is_file(), f"{logical_id}: no {dockerfile}"
    text = dockerfile.read_text()
    assert f"FROM {LAMBDA_BASE_IMAGE}" in text
    if "FunctionUrlConfig" in props:
        # A streamed Function URL: the web adapter extension fronts uvicorn serving app:app.
        assert "aws-lambda-adapter" in text and 'CMD ["app:app"]' in text
        assert (dockerfile.parent / "app.py").is_file()
        return
    command = props["ImageConfig"]["Command"]
    assert f'CMD ["{command[0]}"]' in text
    # The handler the image runs is the file beside the Dockerfile, which the local runtime runs.
    assert (dockerfile.parent / f"{command[0].rsplit('.', 1)[0]}.py").is_file()
    for source in PACKAGES[logical_id].source_dirs + PACKAGES[logical_id].requirement_files:
        assert source.exists(), f"{dockerfile} copies {source}, which does not exist"


def test_layer_requirements_are_the_packages_light_dependencies():
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    declared = requirement_names("\n".join(pyproject["project"]["dependencies"]))
    layer = requirement_names((ROOT / "shared" / "requirements.txt").read_text())
    assert sorted(layer) == sorted(n for n in declared if n not in RUNTIME_PROVIDED)


def test_function_requirements_are_installed_by_make_test():
    """What an image installs must also be in pyproject.toml, so the tests exercise it."""
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    known = set(requirement_names("\n".join(pyproject["dependencies"])))
    for extra in pyproject["optional-dependencies"].values():
        known |= set(requirement_names("\n".join(extra)))
    for requirements in ROOT.glob("functions/*/requirements.txt"):
        missing = set(requirement_names(requirements.read_text())) - known
        assert not missing, f"{requirements}: {missing} not in pyproject.toml"


# ------------------------------------------------------------------ installed for Lambda


@pytest.fixture(scope="module")
def runtime_sdk() -> Path:
    """boto3 and friends, which Lambda's runtime provides (never packaged, never counted)."""
    return install_closure(list(RUNTIME_PROVIDED[:1]))


@pytest.mark.slow
@pytest.mark.parametrize("logical_id", ZIP_FUNCTIONS)
def test_zip_function_fits_lambda_and_imports_from_its_package_alone(logical_id, runtime_sdk):
    package = PACKAGES[logical_id]
    measured = measure(package)

    assert measured.total_bytes < ZIP_LIMIT_BYTES, (
        f"{logical_id}: {measured.total_bytes / 2**20:.0f} MB unzipped; make it an image"
    )
    carried = [n for n in NEURAL if (measured.closure / n).exists()]
    assert not carried, f"{logical_id} carries {carried}: make it an image"

    # Lambda's view: the code, the layers' contents and the closure; no site-packages.
    path = [str(p) for p in package.source_dirs] + [str(measured.closure), str(runtime_sdk)]
    props = properties(logical_id)
    module = props["Handler"].rsplit(".", 1)[0]
    variables = {
        **(TEMPLATE["Globals"]["Function"].get("Environment") or {}).get("Variables", {}),
        **(props.get("Environment") or {}).get("Variables", {}),
    }
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "AWS_REGION": "us-east-1",
        "AWS_DEFAULT_REGION": "us-east-1",
        **{name: stand_in(name, value) for name, value in variables.items()},
        "POWERTOOLS_LOG_LEVEL": "INFO",
    }
    program = f"import sys; sys.path[:0] = {path!r}; import {module}; print('imported')"
    result = subprocess.run(
        [sys.executable, "-S", "-c", program],
        env=env,
        cwd=package.source_dirs[0],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0 and "imported" in result.stdout, result.stderr[-3000:]


@pytest.mark.slow
def test_the_import_check_fails_without_the_closure(runtime_sdk):
    """Not vacuous: without the layer's dependencies the API handler does not import."""
    api = PACKAGES["ApiFunction"]
    path = [str(p) for p in api.source_dirs] + [str(runtime_sdk)]
    program = f"import sys; sys.path[:0] = {path!r}; import app"
    result = subprocess.run(
        [sys.executable, "-S", "-c", program],
        cwd=api.source_dirs[0],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode != 0
    assert "ModuleNotFoundError" in result.stderr
