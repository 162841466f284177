"""Intelligibility score: transcribe rendered speech and compare it with what was asked for.

Opt-in (``AUDIOFN_INTELLIGIBILITY=true``): the speech worker stores the score in a report
beside each speech file (``<file>.report.json``), the mastering worker in the master's report.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from audiofn.audio import Audio

_MARKUP = re.compile(r"<[^>]+>")


def intelligibility(audio: Audio, script_text: str) -> dict[str, Any]:
    """``{"wer", "transcript", "model"}``: the word error rate of what Whisper hears in the
    audio against the script text (markup removed, both sides normalised)."""
    from audiofn.stt.engines import WHISPER_TINY_EN, get_stt_engine
    from audiofn.stt.wer import word_error_rate

    reference = _MARKUP.sub(" ", script_text)
    heard = get_stt_engine(WHISPER_TINY_EN).transcribe(audio).text
    return {
        "wer": round(word_error_rate(reference, heard), 4),
        "transcript": heard,
        "model": WHISPER_TINY_EN,
    }


def report_key(speech_key: str) -> str:
    """Where a speech file's report lives: beside it, ``<stem>.report.json``."""
    stem = speech_key.rsplit(".", 1)[0] if "." in speech_key.rsplit("/", 1)[-1] else speech_key
    return f"{stem}.report.json"
