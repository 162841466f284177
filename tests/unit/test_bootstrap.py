"""The first start's background work yields the CPU to requests."""

from __future__ import annotations

import os
import sys
import threading

import pytest

from audiofn.bootstrap import _yield_the_cpu


@pytest.mark.skipif(sys.platform != "linux", reason="per-thread priority is Linux's")
def test_the_sound_library_thread_alone_runs_at_the_lowest_priority():
    seen: dict[str, int] = {}

    def background() -> None:
        _yield_the_cpu()
        seen["thread"] = os.getpriority(os.PRIO_PROCESS, threading.get_native_id())

    before = os.getpriority(os.PRIO_PROCESS, threading.get_native_id())
    worker = threading.Thread(target=background)
    worker.start()
    worker.join()
    assert seen["thread"] == 19
    assert os.getpriority(os.PRIO_PROCESS, threading.get_native_id()) == before
