"""Every apiaudio SDK call the README names exists in the SDK versions it says, and only there:
checked against both installed SDKs (0.17.1 in .venv, 0.8.5 in .venv-apiaudio085)."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text()
PYTHONS = {"0.8.5": ROOT / ".venv-apiaudio085" / "bin" / "python", "0.17.1": Path(sys.executable)}
HEADER = "| call | 0.8.5 | 0.17.1 | route |"
CALL = re.compile(r"`([A-Z]\w*(?:\.\w+)+)`")

PROBE = """
import json, sys, apiaudio
def has(name):
    obj = apiaudio
    for part in name.split("."):
        if not hasattr(obj, part):
            return False
        obj = getattr(obj, part)
    return callable(obj)
print(json.dumps({"version": apiaudio.__dict__.get("sdk_version"),
                  "has": {n: has(n) for n in json.loads(sys.argv[1])}}))
"""


def table_rows() -> list[tuple[list[str], dict[str, bool]]]:
    lines = README[README.index(HEADER) :].splitlines()[2:]
    rows = []
    for line in lines:
        if not line.startswith("|"):
            break
        cells = [cell.strip() for cell in line.strip("|").split("|")]
        rows.append(
            (CALL.findall(cells[0]), {"0.8.5": cells[1] == "yes", "0.17.1": cells[2] == "yes"})
        )
    return rows


def sdk_has(version: str, names: list[str]) -> dict[str, bool]:
    python = PYTHONS[version]
    if not python.exists():
        pytest.skip(f"the {version} SDK environment is not installed (make test installs it)")
    out = subprocess.run(
        [str(python), "-c", PROBE, json.dumps(names)],
        capture_output=True, text=True, check=True, timeout=120,
    ).stdout  # fmt: skip
    answer = json.loads(out)
    if version != "0.8.5":  # 0.8.5 has no sdk_version attribute
        assert answer["version"] == version
    return dict(answer["has"])


@pytest.mark.parametrize("version", sorted(PYTHONS))
def test_the_protocol_table_says_which_sdk_has_each_call(version):
    rows = table_rows()
    assert len(rows) > 10
    names = [name for calls, _ in rows for name in calls]
    found = sdk_has(version, names)

    wrong = [
        (name, "listed" if marked[version] else "not listed")
        for calls, marked in rows
        for name in calls
        if found[name] != marked[version]
    ]
    assert not wrong, f"SDK {version} disagrees with the README: {wrong}"


def test_every_sdk_call_in_the_readme_exists_in_an_sdk():
    named = sorted(set(re.findall(r"apiaudio\.([A-Z]\w*(?:\.\w+)+)", README)))
    assert named
    found = {v: sdk_has(v, named) for v in PYTHONS}
    missing = [name for name in named if not any(found[v][name] for v in PYTHONS)]
    assert not missing, missing
