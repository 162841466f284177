"""The media library's pure parts: names, tags, keys, and the verdict on a scanned file."""

from __future__ import annotations

import pytest

from audiofn.errors import InvalidInput
from audiofn.services.media_library import (
    _reason,
    clean_filename,
    parse_tags,
    parse_upload_key,
    upload_key,
)
from audiofn.upload_audio import AudioScan


def scan(**changes: object) -> AudioScan:
    values: dict[str, object] = {
        "format": "WAV PCM_16",
        "sample_rate": 44_100,
        "channels": 2,
        "frames": 44_100 * 5,
        "declared_frames": 44_100 * 5,
        "peak": 0.5,
        "rms": 0.2,
        "finite": True,
        "complete": True,
    }
    values.update(changes)
    return AudioScan(**values)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("bed.wav", "bed.wav"),
        ("C:\\music\\my bed.mp3", "my bed.mp3"),
        ("../../etc/passwd", "passwd"),
        ("bed?.wav", "bed_.wav"),
    ],
)
def test_filenames_keep_only_the_name(given: str, expected: str) -> None:
    assert clean_filename(given) == expected


@pytest.mark.parametrize("given", [None, "", "  ", "dir/", ".."])
def test_a_filename_is_required(given: str | None) -> None:
    with pytest.raises(InvalidInput) as error:
        clean_filename(given)
    assert error.value.field == "filename"


def test_tags_are_trimmed_and_deduplicated() -> None:
    assert parse_tags(" music, Calm ,,music,CALM") == ["music", "Calm"]
    assert parse_tags(None) == []
    with pytest.raises(InvalidInput):
        parse_tags(",".join(f"t{i}" for i in range(30)))


def test_upload_keys_round_trip_and_nothing_else_matches() -> None:
    key = upload_key("org-1", "media-2")
    assert parse_upload_key(key) == ("org-1", "media-2")
    assert parse_upload_key("orgs/org-1/media/media-2/bed.wav") is None
    assert parse_upload_key("orgs/org-1/speech/x.upload") is None


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({}, None),
        ({"frames": 44_100 * 2, "declared_frames": 44_100 * 5}, "truncated"),
        ({"finite": False}, "invalid samples"),
        ({"frames": 20_000, "declared_frames": None}, "too short"),
        ({"complete": False}, "too long"),
        ({"peak": 1e-4}, "silent"),
    ],
)
def test_the_verdict_names_the_problem(changes: dict[str, object], reason: str | None) -> None:
    found = _reason(scan(**changes))
    assert found is None if reason is None else reason in (found or "")
