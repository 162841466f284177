"""Drop a file, get a master: the local runtime's inbox folder and outbox folder."""

from __future__ import annotations

import io
import json
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow


def wait_for(path: Path, seconds: float = 180) -> dict:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if path.exists():
            status = json.loads(path.read_text())
            if status["status"] != "processing":
                return status
        time.sleep(0.5)
    raise AssertionError(f"{path} did not settle in {seconds} s")


def test_a_file_dropped_in_the_inbox_folder_comes_out_mastered(runtime, transcriber):
    import av

    assert runtime.inbox_dir is not None and runtime.outbox_dir is not None
    (runtime.inbox_dir / "shows").mkdir(parents=True, exist_ok=True)
    (runtime.inbox_dir / "shows" / "hello.txt").write_text(
        "---\nsoundTemplate: news\n---\nGood evening. Here is the weather for tomorrow.\n"
    )
    (runtime.inbox_dir / "notes.docx").write_bytes(b"PK\x03\x04 not a text file")

    status = wait_for(runtime.outbox_dir / "shows" / "hello" / "status.json")
    failed = wait_for(runtime.outbox_dir / "notes" / "status.json")

    assert status["status"] == "done", status
    mp3 = runtime.outbox_dir / "shows" / "hello" / "hello.mp3"
    with av.open(io.BytesIO(mp3.read_bytes())) as container:
        stream = container.streams.audio[0]
        assert stream.codec_context.name.startswith("mp3") and stream.rate in (44100, 48000)
    from audiofn.codecs import decode

    heard = transcriber.transcribe(decode(mp3.read_bytes(), "mp3")).text.lower()
    assert "weather" in heard and "tomorrow" in heard, heard
    assert failed["status"] == "failed" and "unknown extension" in failed["reason"]
    # The input stays in the inbox folder; nothing half-written is left in the outbox.
    assert (runtime.inbox_dir / "notes.docx").exists()
    assert not list(runtime.outbox_dir.rglob("*.part"))
