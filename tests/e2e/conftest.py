"""The local runtime, started once per session as `make run` starts it, on free ports."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from audiofn_local.subprocess_runtime import RunningRuntime, start_runtime

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def runtime(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningRuntime]:
    with start_runtime(
        tmp_path_factory.mktemp("audiofn-data"),
        cwd=ROOT,
        AUDIOFN_REALTIME_IDLE_SECONDS="4",  # idle websocket clients are dropped sooner
        AUDIOFN_VOICE_SEARCH_CANDIDATES="4",  # the smallest custom-voice search
    ) as started:
        yield started


@pytest.fixture(scope="session")
def transcriber():
    from audiofn.stt.whisper import get_transcriber

    return get_transcriber()
