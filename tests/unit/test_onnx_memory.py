"""Piper and Kokoro sessions give their working memory back once a burst of syntheses is over.

onnxruntime's arena otherwise keeps the largest burst's memory for the session's life; see
`audiofn.tts.onnx_memory` for the figures and why it is shrunk when idle, not after each run.
"""

from __future__ import annotations

import gc
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from audiofn.tts import onnx_memory
from audiofn.tts.catalogue import resolve_voice
from audiofn.tts.kokoro_engine import KokoroEngine
from audiofn.tts.onnx_memory import ArenaReleasingSession
from audiofn.tts.piper_engine import PiperEngine
from audiofn_local.process_memory import return_large_blocks_to_the_system

SENTENCES = [
    "The council approved the riverside park, and construction starts in the spring.",
    "Local businesses expect more visitors once the new footbridge opens in June.",
    "The weather stays mild this week, with light rain on Thursday afternoon.",
    "Thank you for listening to the briefing, and have a wonderful week ahead.",
]


def _rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise AssertionError("no VmRSS")


def _released(session: ArenaReleasingSession, times: int, within: float = 10) -> bool:
    deadline = time.monotonic() + within
    while session.releases < times and time.monotonic() < deadline:
        time.sleep(0.05)
    return session.releases == times


def measure_burst(voice_id: str) -> dict[str, Any]:
    """A burst of four syntheses at once on a warm, released voice: the process's growth
    during the burst and after the session went idle, and what the releasing thread did."""
    onnx_memory.IDLE_SECONDS = 0.5
    return_large_blocks_to_the_system()  # as the runtime's processes do (freed maps unmap)
    voice = resolve_voice(voice_id, polly_enabled=False, upstream_enabled=False)
    engine: Any
    if voice.provider == "piper":
        engine = PiperEngine()
        session = engine.model(voice).session
    else:
        engine = KokoroEngine()
        session = engine._session
    assert isinstance(session, ArenaReleasingSession)
    engine.synthesize(SENTENCES[0], voice)
    warm_released = _released(session, 1)
    before = _rss_mb()
    threads = [threading.Thread(target=engine.synthesize, args=(s, voice)) for s in SENTENCES]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    releases_during = session.releases
    grown = _rss_mb() - before
    idle_released = _released(session, 2)
    after = _rss_mb() - before
    time.sleep(1.0)
    releases_idle = session.releases
    releaser = session._releaser
    assert releaser is not None
    del engine, session
    gc.collect()
    releaser.join(5)
    return {
        "warm_released": warm_released,
        "releases_during": releases_during,
        "grown": grown,
        "idle_released": idle_released,
        "after": after,
        "releases_idle": releases_idle,
        "releaser_alive": releaser.is_alive(),
    }


BURST_PROGRAM = """
import json, sys
from tests.unit.test_onnx_memory import measure_burst
print(json.dumps(measure_burst(sys.argv[1])))
"""


@pytest.mark.parametrize("voice_id", ["joe", "af_heart"])
def test_a_burst_of_syntheses_leaves_no_memory_behind_once_idle(voice_id: str) -> None:
    import json
    import subprocess
    import sys

    # A fresh process: memory other tests freed but the allocator kept would hide the growth.
    done = subprocess.run(
        [sys.executable, "-c", BURST_PROGRAM, voice_id],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        cwd=Path(__file__).resolve().parents[2],
    )
    assert done.returncode == 0, done.stderr[-2000:]
    burst = json.loads(done.stdout.strip().splitlines()[-1])
    # Given a warm voice whose arena has been released
    assert burst["warm_released"]
    # When four sentences are synthesised at once,
    # then the arena holds the burst's memory until the session is idle, not after
    assert burst["releases_during"] == 1
    assert burst["idle_released"]
    grown, after = burst["grown"], burst["after"]
    assert grown > 50, f"the burst grew the process by {grown:.0f} MB only"
    # (Piper's comes back whole; Kokoro keeps about a fifth, the arena's regions still in use
    # by its own bookkeeping)
    assert after < grown / 2, f"{after:.0f} MB stayed after the burst (it had grown {grown:.0f})"
    # and an idle session releases nothing more
    assert burst["releases_idle"] == 2
    # and its releasing thread does not keep a dropped engine alive
    assert not burst["releaser_alive"]


EXIT_PROGRAM = """
import sys, time
from audiofn.tts import onnx_memory
from audiofn.tts.catalogue import resolve_voice
from audiofn.tts.registry import EngineSettings, synthesize

voice = resolve_voice("joe", polly_enabled=False, upstream_enabled=False)
onnx_memory.IDLE_SECONDS = 0.3
synthesize("Every morning the small harbour town wakes up slowly.", voice, 1.0, EngineSettings())
time.sleep(float(sys.argv[1]))
"""


@pytest.mark.parametrize("exit_after", [0.28, 0.3, 0.31, 0.32])
def test_a_process_that_exits_as_the_arena_is_released_exits_cleanly(exit_after: float) -> None:
    """The release may be running in onnxruntime when the interpreter finalises; a daemon
    thread caught there aborts the process ("terminate called without an active exception")."""
    import subprocess
    import sys

    done = subprocess.run(
        [sys.executable, "-c", EXIT_PROGRAM, str(exit_after)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
