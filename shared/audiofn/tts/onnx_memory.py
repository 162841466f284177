"""onnxruntime sessions that give their working memory back once a burst of runs is over.

A session's CPU memory arena keeps the largest working memory its runs have needed for as
long as the session lives. Measured in one process: one Piper sentence at a time left it
~100 MB larger for good, four Piper sentences at once ~480 MB (146 MB -> 626 MB), four Kokoro
sentences at once ~450 MB (377 MB -> 825 MB).
onnxruntime can shrink the arena at the end of a run (the `memory.enable_memory_arena_shrinkage`
run option), but doing so on every run cost ~18 % more CPU per sentence (2.61 -> 3.09 CPU-s
for twelve), since the next run maps and faults the memory in again. So the arena is shrunk
once a burst is over: when the session has run nothing for `IDLE_SECONDS`, one tiny run
(the latest inputs cut short by the engine's `small_inputs`) is made with shrinkage on, which
frees what no run holds. Runs themselves are unchanged. Once idle, Piper's session is back
to its size before the burst; Kokoro's keeps 80-130 MB of a 450 MB burst (regions the arena
does not give back), instead of all of it.
"""

from __future__ import annotations

import atexit
import threading
import time
import weakref
from collections.abc import Callable, Mapping
from typing import Any

from audiofn.observability import logger

IDLE_SECONDS = 5.0
EXIT_WAIT_SECONDS = 5.0  # a release in progress when the process exits: a tiny run
SHRINK_CPU_ARENA = ("memory.enable_memory_arena_shrinkage", "cpu:0")

Inputs = Mapping[str, Any]


class ArenaReleasingSession:
    """Wraps an `onnxruntime.InferenceSession`: `run` as before, the arena freed when idle.

    Everything else (`get_inputs`, ...) is the session's own. A daemon thread waits for the
    idle moment; with nothing to free it waits without a timeout, so an idle process does not
    wake for it. The thread holds the wrapper only weakly, and ends with it.
    """

    def __init__(
        self,
        session: Any,
        small_inputs: Callable[[Inputs], Inputs],
        idle_seconds: float | None = None,
    ) -> None:
        import onnxruntime

        self._session = session
        self._small_inputs = small_inputs
        self._idle_seconds = IDLE_SECONDS if idle_seconds is None else idle_seconds
        self._shrink = onnxruntime.RunOptions()
        self._shrink.add_run_config_entry(*SHRINK_CPU_ARENA)
        self._changed = threading.Condition()
        self._running = 0
        self._last_end = 0.0
        self._last_inputs: Inputs | None = None  # set while the arena may hold a burst's peak
        self._releaser: threading.Thread | None = None
        self.releases = 0  # arena shrinks made so far
        weakref.finalize(self, _wake, self._changed)

    def run(self, output_names: Any, input_feed: Inputs, run_options: Any = None) -> Any:
        with self._changed:
            self._running += 1
        try:
            return self._session.run(output_names, input_feed, run_options)
        finally:
            with self._changed:
                self._running -= 1
                self._last_end = time.monotonic()
                self._last_inputs = input_feed
                if self._releaser is None:
                    self._releaser = threading.Thread(
                        target=_release_when_idle,
                        args=(weakref.ref(self), self._changed),
                        name="onnx-arena-release",
                        daemon=True,
                    )
                    self._releaser.start()
                    with _releasers_lock:  # the ended ones (their sessions gone) dropped
                        _releasers[:] = [(t, c) for t, c in _releasers if t.is_alive()]
                        _releasers.append((self._releaser, self._changed))
                self._changed.notify_all()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._session, name)

    def _seconds_to_release(self) -> float | None:
        """0 when the arena should be shrunk now; None when there is nothing to shrink."""
        if self._last_inputs is None or self._running:
            return None
        return max(0.0, self._last_end + self._idle_seconds - time.monotonic())

    def _release(self, inputs: Inputs) -> None:
        try:
            self._session.run(None, inputs, self._shrink)
        except Exception:  # a failed shrink only leaves the memory where it was
            logger.exception("could not release an onnxruntime session's arena")
        else:
            self.releases += 1


_exiting = threading.Event()
_releasers: list[tuple[threading.Thread, threading.Condition]] = []
_releasers_lock = threading.Lock()


@atexit.register
def _stop_releasers() -> None:
    """No release starts once the process exits, and one under way is waited for: a daemon
    thread still inside onnxruntime while the interpreter finalises aborts the process."""
    _exiting.set()
    with _releasers_lock:
        releasers = list(_releasers)
    for thread, changed in releasers:
        _wake(changed)
        thread.join(EXIT_WAIT_SECONDS)


def _wake(changed: threading.Condition) -> None:
    with changed:
        changed.notify_all()


def _release_when_idle(ref: weakref.ref[ArenaReleasingSession], changed: Any) -> None:
    while True:
        with changed:
            wrapper = ref()
            if wrapper is None or _exiting.is_set():
                return
            wait = wrapper._seconds_to_release()
            if wait is None or wait > 0:
                del wrapper  # not held while waiting, so the session can go
                changed.wait(wait)
                continue
            assert wrapper._last_inputs is not None
            inputs = wrapper._small_inputs(wrapper._last_inputs)
            wrapper._last_inputs = None
        wrapper._release(inputs)
        del wrapper
