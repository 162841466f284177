# ruff: noqa: RUF001 -- IPA
"""The same markup sounds the same on every engine: pauses measured as silence, spelling,
dictionaries and normalisation checked by transcribing with the bundled Whisper model."""

from __future__ import annotations

import io
from collections.abc import Iterator
from typing import Any

import boto3
import numpy as np
import pytest
from botocore.response import StreamingBody
from botocore.stub import ANY, Stubber

from audiofn.audio import Audio
from audiofn.dsp.measure import median_f0, rms_dbfs, semitones
from audiofn.stt import whisper
from audiofn.stt.wer import normalize_text as wer_words
from audiofn.stt.wer import word_error_rate
from audiofn.text.lexicon import Lexicon, LexiconEntry
from audiofn.text.normalize import normalize_text
from audiofn.text.ssml import parse_ssml
from audiofn.tts import ssml_render
from audiofn.tts.base import SynthesisError
from audiofn.tts.catalogue import VOICES, Voice, resolve_voice
from audiofn.tts.polly_engine import PollyEngine
from audiofn.tts.registry import EngineSettings
from audiofn.tts.ssml_render import render_text

LOCAL = EngineSettings()
LOCAL_VOICES = ["joe", "espeak-en-us-male"]
SENTENCE = "Dr. Smith paid $4.2 million on 3/14/2025 at 10:30am"
SPOKEN = (
    "Doctor Smith paid four point two million dollars on March fourteenth, twenty twenty-five "
    "at ten thirty a.m."
)


def voice(name: str) -> Voice:
    return resolve_voice(name, polly_enabled=True, upstream_enabled=True)


def silences(audio: Audio, threshold_db: float = -40.0, shortest: float = 0.15) -> list[float]:
    """Lengths (s) of the quiet stretches between sounds, in 10 ms frames."""
    frame = audio.sample_rate // 100
    count = len(audio.samples) // frame
    frames = audio.samples[: count * frame].reshape(count, frame)
    quiet = np.sqrt(np.mean(np.square(frames), axis=1)) < 10 ** (threshold_db / 20)
    gaps, start = [], None
    for index, is_quiet in enumerate(quiet):
        if is_quiet and start is None:
            start = index
        elif not is_quiet and start is not None:
            if start > 0 and (index - start) / 100 >= shortest:
                gaps.append((index - start) / 100)
            start = None
    return gaps


@pytest.fixture(scope="module")
def transcriber() -> whisper.WhisperTranscriber:
    return whisper.get_transcriber()


def heard(transcriber: whisper.WhisperTranscriber, audio: Audio) -> str:
    return transcriber.transcribe(audio).text


# --- pauses ------------------------------------------------------------------------------


@pytest.mark.parametrize("name", LOCAL_VOICES)
def test_a_one_second_break_measures_one_second(name: str) -> None:
    audio = render_text('Hello there. <break time="1s"/> How are you?', voice(name), 1.0, LOCAL)
    [gap] = silences(audio)
    assert gap == pytest.approx(1.0, abs=0.15)


@pytest.mark.parametrize("name", LOCAL_VOICES)
def test_breaks_of_several_lengths_and_strengths(name: str) -> None:
    audio = render_text(
        'One <break time="500ms"/> two <break time="2s"/> three <break strength="strong"/> four',
        voice(name),
        1.0,
        LOCAL,
    )
    gaps = silences(audio)
    assert len(gaps) == 3
    assert gaps[0] == pytest.approx(0.5, abs=0.15)
    assert gaps[1] == pytest.approx(2.0, abs=0.15)
    assert gaps[2] == pytest.approx(0.75, abs=0.15)


@pytest.mark.parametrize("name", LOCAL_VOICES)
def test_a_break_at_the_start_is_silence_and_only_breaks_are_silence(name: str) -> None:
    audio = render_text('<break time="700ms"/>Hello', voice(name), 1.0, LOCAL)
    rate = audio.sample_rate
    assert np.max(np.abs(audio.samples[: int(0.65 * rate)])) == 0.0
    silent = render_text('<break time="1s"/>', voice(name), 1.0, LOCAL)
    assert silent.duration == pytest.approx(1.0, abs=0.01)
    assert not np.any(silent.samples)


# --- prosody -----------------------------------------------------------------------------


@pytest.mark.parametrize("name", LOCAL_VOICES)
def test_prosody_rate_pitch_and_volume(name: str) -> None:
    text = "The quick brown fox jumps over the lazy dog."
    normal = render_text(f"<speak>{text}<break time='10ms'/></speak>", voice(name), 1.0, LOCAL)
    slow = render_text(f'<prosody rate="x-slow">{text}</prosody>', voice(name), 1.0, LOCAL)
    high = render_text(f'<prosody pitch="+4st">{text}</prosody>', voice(name), 1.0, LOCAL)
    soft = render_text(f'<prosody volume="-12dB">{text}</prosody>', voice(name), 1.0, LOCAL)
    assert 1.4 <= slow.duration / normal.duration <= 1.9  # x-slow is 0.6 of the rate
    f0_normal = median_f0(normal.samples, normal.sample_rate)
    f0_high = median_f0(high.samples, high.sample_rate)
    assert f0_normal and f0_high
    assert semitones(f0_normal, f0_high) == pytest.approx(4.0, abs=1.0)
    assert rms_dbfs(normal.samples) - rms_dbfs(soft.samples) == pytest.approx(12.0, abs=1.0)


@pytest.mark.parametrize("name", LOCAL_VOICES)
def test_loud_runs_never_clip(name: str) -> None:
    audio = render_text(
        'Quiet. <prosody volume="x-loud">Very loud indeed.</prosody>', voice(name), 1.0, LOCAL
    )
    assert np.max(np.abs(audio.samples)) <= 1.0


def test_plain_text_takes_the_engines_own_path(monkeypatch: pytest.MonkeyPatch) -> None:
    fake = FakeUpstream()
    monkeypatch.setattr("audiofn.tts.registry.get_engine", lambda provider, settings: fake)
    render_text("Hello world. <break time='0ms'/>", voice("joe"), 1.25, LOCAL)
    render_text("  Hello   world. ", voice("joe"), 1.25, LOCAL, normalize=False)
    assert fake.calls == [("Hello world.", 1.25), ("Hello world.", 1.25)]


@pytest.mark.parametrize("name", LOCAL_VOICES)
def test_another_language_is_spoken_with_its_own_rules(name: str) -> None:
    english = render_text(
        "<speak>Mon chat est ici<break time='10ms'/></speak>", voice(name), 1.0, LOCAL
    )
    french = render_text('<lang xml:lang="fr-FR">Mon chat est ici</lang>', voice(name), 1.0, LOCAL)
    assert french.duration > 0.5
    assert french.samples.shape != english.samples.shape or not np.allclose(
        french.samples, english.samples
    )


def test_ipa_symbols_an_engine_lacks_are_errors_not_gaps() -> None:
    with pytest.raises(SynthesisError, match="ʭ"):
        render_text('<phoneme ph="aʭ">x</phoneme>', voice("joe"), 1.0, LOCAL)
    with pytest.raises(SynthesisError, match="ʘ"):
        render_text('<phoneme ph="aʘ">x</phoneme>', voice("espeak-en-us-male"), 1.0, LOCAL)


# --- what Whisper hears -------------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.parametrize("name", LOCAL_VOICES)
def test_normalised_numbers_money_dates_and_times_are_heard(
    name: str, transcriber: whisper.WhisperTranscriber
) -> None:
    text = heard(transcriber, render_text(SENTENCE, voice(name), 1.0, LOCAL))
    # Whisper writes numbers as digits: normalise what it wrote the same way.
    wer = word_error_rate(SPOKEN, normalize_text(text))
    assert wer < 0.25, f"WER {wer:.2f}: heard {text!r}"
    words = set(wer_words(normalize_text(text)).split())
    assert {"million", "dollars", "march", "thirty"} <= words, text


@pytest.mark.slow
@pytest.mark.parametrize("name", LOCAL_VOICES)
def test_say_as_characters_spells(name: str, transcriber: whisper.WhisperTranscriber) -> None:
    markup = 'Spell it: <say-as interpret-as="characters">python</say-as>.'
    text = heard(transcriber, render_text(markup, voice(name), 1.0, LOCAL))
    words = wer_words(text).split()
    # Piper is heard "P, Y, T, H, O, N"; eSpeak's formant voice as e.g. "Y-D-H-O-N".
    assert "python" not in words, text
    assert sum(len(word) == 1 for word in words) >= 4, text
    plain = heard(transcriber, render_text("Spell it: python.", voice(name), 1.0, LOCAL))
    assert sum(len(word) == 1 for word in wer_words(plain).split()) <= 1, plain


@pytest.mark.slow
@pytest.mark.parametrize("name", LOCAL_VOICES)
def test_a_dictionary_entry_changes_what_is_heard(
    name: str, transcriber: whisper.WhisperTranscriber
) -> None:
    ipa = Lexicon([LexiconEntry(word="Zorblax", replacement="bəˈnænə", kind="ipa", language="en")])
    text = Lexicon([LexiconEntry(word="zorblax", replacement="pizza", language="en")])
    before = heard(transcriber, render_text("I love Zorblax.", voice(name), 1.0, LOCAL))
    with_ipa = heard(
        transcriber, render_text("I love Zorblax.", voice(name), 1.0, LOCAL, lexicon=ipa)
    )
    with_text = heard(
        transcriber, render_text("I love ZORBLAX.", voice(name), 1.0, LOCAL, lexicon=text)
    )
    assert "banana" not in before.lower() and "pizza" not in before.lower()
    assert "banana" in with_ipa.lower(), with_ipa
    assert "pizza" in with_text.lower(), with_text


@pytest.mark.slow
def test_phonemes_in_ssml_are_heard_on_both_engines(
    transcriber: whisper.WhisperTranscriber,
) -> None:
    markup = 'I love <phoneme alphabet="ipa" ph="bəˈnænə">pear</phoneme>.'
    for name in LOCAL_VOICES:
        text = heard(transcriber, render_text(markup, voice(name), 1.0, LOCAL)).lower()
        assert "banana" in text and "pear" not in text, (name, text)


# --- engines without phoneme input, and Polly ---------------------------------------------


class FakeUpstream:
    """Records what an OpenAI-compatible engine is asked to say; answers with a tone."""

    provider = "openai"

    def __init__(self) -> None:
        self.calls: list[tuple[str, float]] = []

    def synthesize(self, text: str, voice: Voice, speed: float = 1.0) -> Audio:
        self.calls.append((text, speed))
        t = np.arange(24000 // 2) / 24000
        return Audio((0.3 * np.sin(2 * np.pi * 220 * t)).astype(np.float32), 24000)


def test_the_openai_upstream_gets_plain_text_and_silence(monkeypatch: pytest.MonkeyPatch) -> None:
    fake = FakeUpstream()
    monkeypatch.setattr("audiofn.tts.registry.get_engine", lambda provider, settings: fake)
    audio = render_text(
        'Hi $5 <break time="1s"/><prosody rate="slow">a <phoneme ph="ˈpiːkæn">pecan</phoneme>'
        "</prosody>",
        voice("alloy"),
        1.5,
        EngineSettings(upstream_url="http://127.0.0.1:9"),
    )
    assert fake.calls == [("Hi five dollars", 1.5), ("a pecan", pytest.approx(1.2))]
    assert silences(audio) == [pytest.approx(1.0, abs=0.02)]


@pytest.fixture
def polly() -> Iterator[tuple[PollyEngine, Stubber]]:
    client = boto3.client(
        "polly", region_name="eu-west-1", aws_access_key_id="x", aws_secret_access_key="x"
    )
    with Stubber(client) as stubber:
        yield PollyEngine(lambda: client), stubber
        stubber.assert_no_pending_responses()


def pcm(seconds: float) -> dict[str, Any]:
    data = np.zeros(int(16000 * seconds), "<i2").tobytes()
    return {"AudioStream": StreamingBody(io.BytesIO(data), len(data)), "ContentType": "audio/pcm"}


def test_polly_gets_ssml(
    polly: tuple[PollyEngine, Stubber], monkeypatch: pytest.MonkeyPatch
) -> None:
    engine, stubber = polly
    joanna = next(v for v in VOICES if v.provider == "polly" and v.engine_voice == "Joanna")
    expected = (
        '<speak><prosody rate="150%">Pay four dollars</prosody> <break time="1000ms"/> '
        '<prosody rate="150%" volume="+6.0dB"><phoneme alphabet="ipa" ph="ˈpiːkæn">pecan'
        "</phoneme></prosody></speak>"
    )
    stubber.add_response(
        "synthesize_speech",
        pcm(0.5),
        {
            "Text": expected,
            "TextType": "ssml",
            "VoiceId": "Joanna",
            "OutputFormat": "pcm",
            "SampleRate": "16000",
            "Engine": ANY,
        },
    )
    monkeypatch.setattr("audiofn.tts.registry.get_engine", lambda provider, settings: engine)
    audio = render_text(
        'Pay $4 <break time="1s"/><prosody volume="loud" pitch="+2st">'
        '<phoneme ph="ˈpiːkæn">pecan</phoneme></prosody>',
        joanna,
        1.5,
        EngineSettings(polly_enabled=True),
    )
    assert audio.duration == pytest.approx(0.5)


def test_long_documents_are_split_for_polly() -> None:
    joanna = next(v for v in VOICES if v.provider == "polly")
    sentence = "This is a sentence that goes on for a while. "
    document = ssml_render.prepare(
        "<speak>" + (sentence + '<break time="200ms"/>') * 200 + "</speak>", joanna
    )
    parts = ssml_render._polly_documents(document, 1.0, neural=True)
    assert len(parts) > 3
    assert all(len(part) <= ssml_render.POLLY_SSML_CHARS for part in parts)
    for part in parts:
        parse_ssml(part)
    assert sum(part.count("goes on") for part in parts) == 200
