"""What `sam build` ships: the shared layer carries the `audiofn` package and its light
dependencies, and nothing of the local runtime (`audiofn_local`, moto, the gateway's server).

The build runs the SAM CLI from `.venv-sam` offline but for the package index (the layer's
requirements are installed by `sam build` itself, as in a deployment). Image functions are
built by Docker, which this machine lacks; their Dockerfiles are read instead.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from tests.integration.test_template_validate import REPO, SAM, sam_env

pytestmark = pytest.mark.slow

LOCAL_ONLY = ("audiofn_local", "moto", "uvicorn", "starlette", "werkzeug", "flask")


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    home = tmp_path_factory.mktemp("sam-home")
    build_dir = tmp_path_factory.mktemp("sam-build")
    result = subprocess.run(
        [str(SAM), "build", "WebhookFunction", "--build-dir", str(build_dir)],
        cwd=REPO,
        env=sam_env(home),
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    return build_dir


def test_the_layer_holds_the_audiofn_package_and_no_local_runtime(built: Path) -> None:
    # Given the layer sam build made for a function that uses it
    layer = built / "SharedLayer" / "python"

    # Then it holds every module of shared/audiofn, as the repository has them
    shipped = {p.relative_to(layer).as_posix() for p in (layer / "audiofn").rglob("*.py")}
    source = {
        p.relative_to(REPO / "shared").as_posix() for p in (REPO / "shared/audiofn").rglob("*.py")
    }
    assert shipped == source
    # And nothing that only the local runtime needs
    top_level = {p.name.split("-")[0].lower() for p in layer.iterdir()}
    assert not top_level & set(LOCAL_ONLY), sorted(top_level & set(LOCAL_ONLY))
    assert not list(layer.rglob("audiofn_local"))


def test_a_zip_function_ships_only_its_handler(built: Path) -> None:
    # Given a zip function built from the template
    function = built / "WebhookFunction"

    # Then its artefact is its thin handler (the code comes from the layer)
    assert sorted(p.name for p in function.iterdir()) == ["app.py"]


@pytest.mark.parametrize("dockerfile", sorted(REPO.glob("functions/*/Dockerfile")), ids=str)
def test_images_copy_the_audiofn_package_and_not_the_local_runtime(dockerfile: Path) -> None:
    copies = re.findall(r"^COPY\s+(\S+)", dockerfile.read_text(), flags=re.MULTILINE)
    assert "shared/audiofn" in copies
    assert not [source for source in copies if source.startswith("local")]


def test_the_layer_carries_the_studio_that_the_api_function_serves(built: Path) -> None:
    # Given the studio's static files in the repository
    source = {p.name for p in (REPO / "shared/audiofn/studio").iterdir()}

    # Then the layer ships every one of them beside the package's modules
    shipped = {p.name for p in (built / "SharedLayer/python/audiofn/studio").iterdir()}
    assert shipped == source
    assert "index.html" in shipped
