"""Podcast metadata: ID3v2.4 tags with chapters for MP3 masters, and the podcast namespace's
JSON chapters and JSON transcript beside each master.

Chapters are the script's sections at their start times on the mastered timeline (the
mastering report's spans); the transcript is the captions' cues, so both come from the same
alignment the captions use. Tags are written by mutagen; the MP3's LAME Info frame stays the
first audio frame, so decoders keep the stream gapless and chapter times match the decoded
timeline.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

CHAPTERS_VERSION = "1.2.0"
TRANSCRIPT_VERSION = "1.0.0"
TRANSCRIPT_TYPE = "application/json"
"""The podcast namespace's JSON transcript (``<podcast:transcript type=...>``)."""
_NO_OFFSET = 0xFFFFFFFF
"""CHAP frames give byte offsets or this 'unused' value; times are what players read."""


@dataclass(frozen=True)
class Chapter:
    title: str
    start: float
    end: float


@dataclass(frozen=True)
class EpisodeTags:
    title: str
    artist: str
    publisher: str
    chapters: tuple[Chapter, ...] = ()


def section_chapters(
    names: Sequence[str], starts: Sequence[float], duration: float
) -> tuple[Chapter, ...]:
    """One chapter per section, from its start on the master to the next section's start (the
    last to the end of the programme)."""
    ends = [*starts[1:], duration]
    return tuple(
        Chapter(title=_chapter_title(names, index), start=start, end=max(start, end))
        for index, (start, end) in enumerate(zip(starts, ends, strict=True))
    )


def _chapter_title(names: Sequence[str], index: int) -> str:
    name = names[index] if index < len(names) else ""
    return name.replace("_", " ").strip() or f"Section {index + 1}"


def tag_mp3(data: bytes, tags: EpisodeTags) -> bytes:
    """The MP3 with an ID3v2.4 tag in front: title, artist, publisher, and one ``CHAP`` per
    chapter under an ordered top-level ``CTOC``."""
    from mutagen.id3 import CHAP, CTOC, ID3, TIT2, TPE1, TPUB, CTOCFlags

    id3 = ID3()
    id3.add(TIT2(encoding=3, text=[tags.title]))
    id3.add(TPE1(encoding=3, text=[tags.artist]))
    id3.add(TPUB(encoding=3, text=[tags.publisher]))
    ids = [f"chp{index}" for index in range(len(tags.chapters))]
    for element_id, chapter in zip(ids, tags.chapters, strict=True):
        id3.add(
            CHAP(
                element_id=element_id,
                start_time=round(chapter.start * 1000),
                end_time=round(chapter.end * 1000),
                start_offset=_NO_OFFSET,
                end_offset=_NO_OFFSET,
                sub_frames=[TIT2(encoding=3, text=[chapter.title])],
            )
        )
    if ids:
        id3.add(
            CTOC(
                element_id="toc",
                flags=CTOCFlags.TOP_LEVEL | CTOCFlags.ORDERED,
                child_element_ids=ids,
                sub_frames=[TIT2(encoding=3, text=["Chapters"])],
            )
        )
    buffer = io.BytesIO(data)
    id3.save(buffer, v1=0, v2_version=4, padding=lambda _info: 0)
    return buffer.getvalue()


def chapters_json(tags: EpisodeTags) -> dict[str, Any]:
    """The podcast namespace's JSON chapters document."""
    return {
        "version": CHAPTERS_VERSION,
        "title": tags.title,
        "author": tags.artist,
        "chapters": [
            {"startTime": round(c.start, 3), "endTime": round(c.end, 3), "title": c.title}
            for c in tags.chapters
        ],
    }


def transcript_json(cues: Sequence[Any]) -> dict[str, Any]:
    """The podcast namespace's JSON transcript: one segment per caption cue."""
    return {
        "version": TRANSCRIPT_VERSION,
        "segments": [
            {"startTime": round(c.start, 3), "endTime": round(c.end, 3), "body": c.text}
            for c in cues
        ],
    }
