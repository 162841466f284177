"""What each function in template.yaml ships, installed for the Lambda platform and measured.

A zip function ships its CodeUri, its `requirements.txt` (when it has one) and its layers; a
layer with `BuildMethod: python3.11` ships its ContentUri plus its `requirements.txt`. The
dependency closure of those requirement files is installed as `sam build` would, but for
Lambda's platform whatever this machine is (`pip install --platform manylinux2014_x86_64
--only-binary=:all: --python-version 3.11 --target DIR`), into a cache directory keyed by the
requirements' text, so a second run costs only the measuring.

An image function is measured the same way from the requirement files its Dockerfile names,
for the record (its limit is 10 GB).

`python -m bench.lambda_packages` prints the table the docs quote.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from audiofn_local.cfn_yaml import load_template_file
from audiofn_local.sam_globals import apply_globals

ROOT = Path(__file__).resolve().parents[1]
TEMPLATE = ROOT / "template.yaml"
CACHE = Path(os.environ.get("AUDIOFN_LAMBDA_CLOSURE_CACHE", "/tmp/audiofn-lambda-closures"))
ZIP_LIMIT_BYTES = 250 * 1024 * 1024  # unzipped: function code plus every layer
IMAGE_LIMIT_BYTES = 10 * 1024**3
PLATFORM = ("manylinux2014_x86_64", "3.11")
# What the python3.11 runtime (and its base image) already holds: never packaged.
RUNTIME_PROVIDED = ("boto3", "botocore", "s3transfer", "jmespath", "python-dateutil", "urllib3")


@dataclass(frozen=True)
class FunctionPackage:
    logical_id: str
    package_type: str  # "Zip" or "Image"
    source_dirs: tuple[Path, ...]  # code copied as is (CodeUri, layer ContentUri, COPY'd dirs)
    requirement_files: tuple[Path, ...]
    dockerfile: Path | None = None


def function_packages(template_path: Path = TEMPLATE) -> dict[str, FunctionPackage]:
    """Every AWS::Serverless::Function of the template, with what its package is made of."""
    document = load_template_file(template_path)
    base = template_path.parent
    resources: Mapping[str, Any] = document.get("Resources") or {}
    globals_section = document.get("Globals") or {}
    packages: dict[str, FunctionPackage] = {}
    for logical_id, resource in resources.items():
        if resource.get("Type") != "AWS::Serverless::Function":
            continue
        properties = apply_globals(
            "AWS::Serverless::Function", resource.get("Properties") or {}, globals_section
        )
        if properties.get("PackageType", "Zip") == "Image":
            packages[logical_id] = _image_package(logical_id, resource, base)
        else:
            packages[logical_id] = _zip_package(logical_id, properties, resources, base)
    return packages


def _zip_package(
    logical_id: str, properties: Mapping[str, Any], resources: Mapping[str, Any], base: Path
) -> FunctionPackage:
    code = (base / str(properties["CodeUri"])).resolve()
    sources, requirements = [code], [code / "requirements.txt"]
    for layer in properties.get("Layers") or []:
        if not (isinstance(layer, dict) and "Ref" in layer):
            raise ValueError(f"{logical_id}: layer {layer!r} is not a layer of this template")
        layer_resource = resources[layer["Ref"]]
        content = (base / str(layer_resource["Properties"]["ContentUri"])).resolve()
        sources.append(content)
        if (layer_resource.get("Metadata") or {}).get("BuildMethod"):
            requirements.append(content / "requirements.txt")
    return FunctionPackage(
        logical_id,
        "Zip",
        tuple(sources),
        tuple(path for path in requirements if path.is_file()),
    )


def _image_package(logical_id: str, resource: Mapping[str, Any], base: Path) -> FunctionPackage:
    metadata = resource.get("Metadata") or {}
    context = (base / str(metadata.get("DockerContext", "."))).resolve()
    dockerfile = context / str(metadata.get("Dockerfile", "Dockerfile"))
    requirements: list[Path] = []
    sources: list[Path] = []
    for line in dockerfile.read_text().splitlines() if dockerfile.is_file() else []:
        words = line.split()
        if len(words) >= 3 and words[0].upper() == "COPY" and not words[1].startswith("--"):
            for source in words[1:-1]:
                path = (context / source).resolve()
                (requirements if path.name == "requirements.txt" else sources).append(path)
    return FunctionPackage(
        logical_id, "Image", tuple(sources), tuple(requirements), dockerfile=dockerfile
    )


def requirement_lines(files: Iterable[Path]) -> list[str]:
    lines: list[str] = []
    for path in files:
        for raw in path.read_text().splitlines():
            line = raw.split("#", 1)[0].strip()
            if line and line not in lines:
                lines.append(line)
    return lines


def install_closure(requirements: list[str], cache: Path = CACHE) -> Path:
    """Install the requirements' closure for Lambda's platform; reuse an earlier install."""
    digest = hashlib.sha256("\n".join([*PLATFORM, *sorted(requirements)]).encode()).hexdigest()
    target = cache / digest[:16]
    if (target / ".complete").is_file():
        return target
    shutil.rmtree(target, ignore_errors=True)
    target.mkdir(parents=True)
    wheels = cache / "sdist-wheels"
    for _ in range(10):
        if not requirements:
            break
        failure = _pip_install_for_lambda(requirements, target, wheels, cache)
        if failure is None:
            break
        # An sdist-only dependency (num2words needs docopt): `sam build` builds it into a
        # wheel, so do the same, keeping only pure-Python ones, and try again.
        missing = re.search(r"No matching distribution found for ([A-Za-z0-9_.\-]+)", failure)
        if missing is None:
            raise RuntimeError(f"pip failed for {requirements}:\n{failure}")
        _build_pure_wheel(missing.group(1), wheels, failure)
    else:
        raise RuntimeError(f"could not install {requirements} for Lambda")
    (target / ".complete").write_text("\n".join(requirements) + "\n")
    return target


def _pip_install_for_lambda(
    requirements: list[str], target: Path, wheels: Path, cache: Path
) -> str | None:
    """`pip install` for Lambda's platform into `target`; pip's stderr when it fails."""
    platform, python = PLATFORM
    wheels.mkdir(parents=True, exist_ok=True)
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
            "--no-compile",
            "--platform",
            platform,
            "--python-version",
            python,
            "--implementation",
            "cp",
            "--only-binary=:all:",
            "--find-links",
            str(wheels),
            "--cache-dir",
            str(cache / "pip-cache"),
            "--target",
            str(target),
            *requirements,
        ],
        check=False,
        capture_output=True,
        text=True,
    )
    return None if result.returncode == 0 else result.stderr


def _build_pure_wheel(requirement: str, wheels: Path, failure: str) -> None:
    name = re.split(r"[<>=!~ ;\[]", requirement, maxsplit=1)[0]
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "-w", str(wheels), name],
        check=True,
    )
    built = [w for w in wheels.glob("*.whl") if w.name.lower().startswith(name.lower() + "-")]
    if not built or not all(w.name.endswith("-none-any.whl") for w in built):
        raise RuntimeError(f"{name} has no wheel for Lambda and is not pure Python:\n{failure}")


def tree_bytes(path: Path, skip_runtime: bool = False) -> int:
    """Bytes of regular files under `path` (caches and the runtime's own packages left out)."""
    total = 0
    skipped = {name.replace("-", "_") for name in RUNTIME_PROVIDED} if skip_runtime else set()
    for dirpath, dirnames, filenames in os.walk(path):
        dirnames[:] = [
            d
            for d in dirnames
            if d not in {"__pycache__", ".pytest_cache", ".mypy_cache"}
            and d.removesuffix(".dist-info").split("-")[0].lower() not in skipped
            and d.lower() not in skipped
            and not d.endswith(".egg-info")
        ]
        for name in filenames:
            file = Path(dirpath, name)
            if not file.is_symlink() and name != ".complete":
                total += file.stat().st_size
    return total


@dataclass(frozen=True)
class Measured:
    logical_id: str
    package_type: str
    code_bytes: int
    dependency_bytes: int
    closure: Path

    @property
    def total_bytes(self) -> int:
        return self.code_bytes + self.dependency_bytes


def measure(package: FunctionPackage, cache: Path = CACHE) -> Measured:
    closure = install_closure(requirement_lines(package.requirement_files), cache)
    code = sum(tree_bytes(source) if source.is_dir() else 0 for source in package.source_dirs)
    code += sum(
        source.stat().st_size
        for source in package.source_dirs
        if source.is_file() and source.name != "requirements.txt"
    )
    return Measured(
        package.logical_id,
        package.package_type,
        code,
        tree_bytes(closure, skip_runtime=True),
        closure,
    )


def main() -> None:
    print(f"{'function':<22}{'package':<8}{'code MB':>9}{'deps MB':>9}{'total MB':>10}  limit")
    for package in function_packages().values():
        result = measure(package)
        limit = ZIP_LIMIT_BYTES if package.package_type == "Zip" else IMAGE_LIMIT_BYTES
        print(
            f"{result.logical_id:<22}{result.package_type:<8}"
            f"{result.code_bytes / 2**20:>9.1f}{result.dependency_bytes / 2**20:>9.1f}"
            f"{result.total_bytes / 2**20:>10.1f}  {limit / 2**20:.0f} MB"
        )


if __name__ == "__main__":
    main()
