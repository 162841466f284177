"""Splicing listeners into a batch's shared render: fragments, levels, loudness, seams."""

from __future__ import annotations

import numpy as np
import pytest

from audiofn.audio import Audio
from audiofn.batch_render import (
    Fragment,
    SharedRender,
    build_shared,
    master_whole,
    plan_fragments,
    speak_sections,
    splice_listener,
    trim_silence,
)
from audiofn.dsp.loudness import measure_loudness
from audiofn.text.scripts import Section, parse_script

SCRIPT = (
    "<<sectionName::hello>> Good morning, {{name|friend}}! Here is the news. The park opens soon. "
    "<<sectionName::bye>> That was all. Thank you for listening."
)


def test_sentences_with_placeholders_are_personal_and_the_rest_is_joined() -> None:
    fragments = plan_fragments(parse_script(SCRIPT))
    assert fragments == [
        Fragment(0, "Good morning, {{name|friend}}!", True, "hello"),
        Fragment(0, "Here is the news. The park opens soon.", False, "hello"),
        Fragment(1, "That was all. Thank you for listening.", False, "bye"),
    ]
    # a section with markup is not cut
    marked = plan_fragments(parse_script('Hi {{name}}. <break time="1s"/> Bye.'))
    assert marked == [Fragment(0, 'Hi {{name}}. <break time="1s"/> Bye.', True, "default")]


@pytest.fixture(scope="module")
def speak():
    from audiofn.tts.catalogue import resolve_voice
    from audiofn.tts.registry import EngineSettings
    from audiofn.tts.ssml_render import render_text

    voice = resolve_voice("espeak-en-us-female", polly_enabled=False, upstream_enabled=False)
    return lambda text: render_text(text, voice, 1.0, EngineSettings())


def texts(values: dict[str, str]) -> list[str]:
    return [
        Section(f.name, f.text, ()).render(values) for f in plan_fragments(parse_script(SCRIPT))
    ]


def bed() -> Audio:
    rng = np.random.default_rng(3)
    return Audio((rng.standard_normal((44100 * 4, 2)) * 0.05).astype(np.float32), 44100)


@pytest.fixture(scope="module")
def reference(speak) -> Audio:
    return trim_silence(speak(texts({})[0]))


@pytest.fixture(scope="module")
def shared(speak, reference) -> SharedRender:
    fragments = plan_fragments(parse_script(SCRIPT))
    # the reference sentence as the fragment cache would give it back
    cached = {texts({})[0]: reference}
    spoken = speak_sections(fragments, texts({}), lambda text: cached.get(text) or speak(text))
    render = build_shared(spoken, bed(), "podcast")
    return SharedRender.from_bytes(render.to_bytes())  # as chunk workers get it


def test_the_reference_sentence_spliced_back_gives_the_reference_master(shared, reference) -> None:
    result = splice_listener(shared, [reference])
    assert len(result.audio.samples) == len(shared.audio)
    difference = result.audio.samples - shared.audio
    # the same voice at the same level over the same bed: only the seams and limiter differ
    assert np.sqrt(np.mean(difference**2)) < 0.1 * np.sqrt(np.mean(shared.audio**2))


def test_a_listener_of_another_length_is_spliced_at_the_target_loudness(
    shared, speak, reference
) -> None:
    sentence = trim_silence(speak(texts({"name": "Maximilian Alexander of Habsburg"})[0]))
    result = splice_listener(shared, [sentence])
    grown = (len(result.audio.samples) - len(shared.audio)) / shared.rate
    assert abs(grown - (sentence.duration - reference.duration)) < 0.001
    measured = measure_loudness(result.audio).integrated_lufs
    assert abs(result.report["integrated_lufs"] - measured) < 0.05  # the cheap measurement holds
    assert abs(measured - -16.0) < 0.5
    assert result.report["true_peak_dbtp"] <= -0.9
    # no clicks at the seams: no sample-to-sample jump larger than the programme's own
    jumps = np.abs(np.diff(result.audio.samples, axis=0)).max()
    assert jumps <= np.abs(np.diff(shared.audio, axis=0)).max() * 1.5


def test_uncached_listeners_are_mastered_whole(speak) -> None:
    fragments = plan_fragments(parse_script(SCRIPT))
    spoken = speak_sections(fragments, texts({"name": "Ada"}), speak)
    result = master_whole(spoken, bed(), "podcast")
    assert abs(result.report["integrated_lufs"] - -16.0) < 0.1
    assert result.report["spliced"] is False


def test_personal_sentences_close_together_are_each_spliced(speak) -> None:
    # Given a personal sentence at the end of one section and the start of the next, with
    # the preset that has the shortest gap between sections
    script = (
        "<<sectionName::a>> Here we go. Hello {{name}}! <<sectionName::b>> Still {{name}}? Bye."
    )
    fragments = plan_fragments(parse_script(script))
    assert [f.personal for f in fragments] == [False, True, True, False]

    def words(values: dict[str, str]) -> list[str]:
        return [Section(f.name, f.text, ()).render(values) for f in fragments]

    cached: dict[str, Audio] = {}

    def said(text: str) -> Audio:
        return cached.setdefault(text, trim_silence(speak(text)))

    shared = build_shared(speak_sections(fragments, words({"name": "Bo"}), said), None, "ad")
    assert len(shared.regions) == 2

    # When both are replaced by longer ones
    personal = [
        said(t)
        for f, t in zip(fragments, words({"name": "Bartholomew"}), strict=True)
        if f.personal
    ]
    result = splice_listener(shared, personal)

    # Then the master grew by exactly what the two sentences grew
    before = [said(t) for f, t in zip(fragments, words({"name": "Bo"}), strict=True) if f.personal]
    grown = sum(p.duration for p in personal) - sum(p.duration for p in before)
    assert abs((len(result.audio.samples) - len(shared.audio)) / shared.rate - grown) < 0.001
