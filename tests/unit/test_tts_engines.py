# ruff: noqa: RUF001 -- the sample sentences are meant to be in other scripts
"""The TTS engines, run for real: Piper and eSpeak NG locally, Polly through botocore's Stubber
and moto, the OpenAI-compatible engine against a real HTTP server on 127.0.0.1."""

from __future__ import annotations

import dataclasses
import io
import json
import struct
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, ClassVar

import boto3
import numpy as np
import pytest
import soundfile
from botocore.config import Config
from botocore.response import StreamingBody
from botocore.stub import Stubber
from moto import mock_aws

from audiofn.audio import Audio
from audiofn.tts import registry
from audiofn.tts.base import EngineUnavailable, SynthesisError
from audiofn.tts.catalogue import VOICES, Voice, resolve_voice
from audiofn.tts.espeak_engine import EspeakEngine
from audiofn.tts.openai_engine import OpenAICompatibleEngine
from audiofn.tts.polly_engine import PollyEngine, split_text
from audiofn.tts.registry import EngineSettings, get_engine

LOCAL = EngineSettings()
ESPEAK_VOICES = [voice for voice in VOICES if voice.provider == "espeak"]
SAMPLE_TEXT = {
    "en": "Hello, this is a short test of the voice.",
    "es": "Hola, esta es una prueba corta de la voz.",
    "fr": "Bonjour, ceci est un court essai de la voix.",
    "de": "Hallo, dies ist ein kurzer Test der Stimme.",
    "it": "Ciao, questa è una breve prova della voce.",
    "pt": "Olá, este é um teste curto da voz.",
    "nl": "Hallo, dit is een korte test van de stem.",
    "pl": "Cześć, to jest krótki test głosu.",
    "sv": "Hej, det här är ett kort test av rösten.",
    "da": "Hej, dette er en kort test af stemmen.",
    "nb": "Hei, dette er en kort test av stemmen.",
    "fi": "Hei, tämä on lyhyt äänen testi.",
    "el": "Γεια σας, αυτή είναι μια σύντομη δοκιμή της φωνής.",
    "cs": "Ahoj, toto je krátký test hlasu.",
    "sk": "Ahoj, toto je krátky test hlasu.",
    "hu": "Szia, ez egy rövid hangteszt.",
    "ro": "Bună ziua, acesta este un test scurt al vocii.",
    "bg": "Здравейте, това е кратък тест на гласа.",
    "uk": "Привіт, це короткий тест голосу.",
    "ru": "Привет, это короткая проверка голоса.",
    "tr": "Merhaba, bu sesin kısa bir testidir.",
    "az": "Salam, bu səsin qısa sınağıdır.",
    "ar": "مرحبا، هذا اختبار قصير للصوت.",
    "he": "שלום, זו בדיקה קצרה של הקול.",
    "fa": "سلام، این یک آزمایش کوتاه صدا است.",
    "hi": "नमस्ते, यह आवाज़ का एक छोटा परीक्षण है।",
    "id": "Halo, ini adalah tes singkat suara.",
    "vi": "Xin chào, đây là một bài kiểm tra giọng nói ngắn.",
    "ja": "こんにちは、これは声の短いテストです。",
    "ko": "안녕하세요, 이것은 짧은 음성 테스트입니다.",
    "cmn": "你好，这是一个简短的语音测试。",
}


def voice(name: str) -> Voice:
    return resolve_voice(name, polly_enabled=True, upstream_enabled=True)


def rms(audio: Audio) -> float:
    return float(np.sqrt(np.mean(np.square(audio.samples, dtype=np.float64))))


def median_f0(audio: Audio) -> float:
    """Median fundamental frequency (Hz) of the voiced 40 ms frames, by autocorrelation."""
    x = audio.samples.astype(np.float64)
    size = int(0.04 * audio.sample_rate)
    lo, hi = audio.sample_rate // 400, audio.sample_rate // 60
    frames = [x[i : i + size] for i in range(0, len(x) - size, size // 2)]
    loudest = max(np.sqrt(np.mean(frame**2)) for frame in frames)
    pitches = []
    for frame in frames:
        if np.sqrt(np.mean(frame**2)) < 0.3 * loudest:
            continue
        centred = frame - frame.mean()
        corr = np.correlate(centred, centred, "full")[size - 1 :]
        corr /= corr[0]
        lag = lo + int(np.argmax(corr[lo:hi]))
        if corr[lag] > 0.5:  # clearly periodic: voiced
            pitches.append(audio.sample_rate / lag)
    assert len(pitches) >= 5, "too few voiced frames to estimate pitch"
    return float(np.median(pitches))


def tone_pcm(seconds: float, rate: int = 16000) -> bytes:
    t = np.arange(int(seconds * rate)) / rate
    return (np.sin(2 * np.pi * 440 * t) * 16000).astype("<i2").tobytes()


# --- Piper -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def piper() -> Any:
    return get_engine("piper", LOCAL)


def test_piper_speaks_hello_world(piper: Any) -> None:
    audio = piper.synthesize("Hello world", voice("joe"))
    assert audio.sample_rate == 22050
    assert audio.samples.dtype == np.float32 and audio.samples.ndim == 1
    assert 0.5 <= audio.duration <= 3.0
    assert rms(audio) > 0.01
    assert np.abs(audio.samples).max() <= 1.0


def test_piper_speed_changes_tempo_not_pitch(piper: Any) -> None:
    text = "The quick brown fox jumps over the lazy dog near the river bank."
    normal = piper.synthesize(text, voice("joe"))
    fast = piper.synthesize(text, voice("joe"), speed=2.0)
    slow = piper.synthesize(text, voice("joe"), speed=0.5)
    assert 0.4 <= fast.duration / normal.duration <= 0.65
    assert 1.7 <= slow.duration / normal.duration <= 2.3
    assert median_f0(fast) == pytest.approx(median_f0(normal), rel=0.15)


def test_piper_handles_several_sentences_and_empty_text(piper: Any) -> None:
    one = piper.synthesize("Hello world.", voice("joe"))
    three = piper.synthesize("Hello world. How are you today? I am fine!", voice("joe"))
    assert three.duration > 2 * one.duration
    assert len(piper.synthesize("", voice("joe")).samples) == 0


def test_piper_rejects_a_model_it_does_not_have(piper: Any) -> None:
    unknown = dataclasses.replace(voice("joe"), engine_voice="en_GB-nobody-low")
    with pytest.raises(SynthesisError, match="en_GB-nobody-low"):
        piper.synthesize("Hello", unknown)


def test_engines_are_built_once_per_process(piper: Any) -> None:
    assert get_engine("piper", LOCAL) is piper
    assert get_engine("piper", EngineSettings(polly_enabled=True)) is piper
    with ThreadPoolExecutor(4) as pool:
        engines = list(pool.map(lambda _: get_engine("espeak", LOCAL), range(8)))
    assert all(engine is engines[0] for engine in engines)


# --- eSpeak NG ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def espeak() -> Any:
    return get_engine("espeak", LOCAL)


@pytest.mark.parametrize("espeak_voice", ESPEAK_VOICES, ids=lambda v: v.id)
def test_every_espeak_voice_speaks(espeak: Any, espeak_voice: Voice) -> None:
    audio = espeak.synthesize(SAMPLE_TEXT[espeak_voice.language_subtag], espeak_voice)
    assert audio.sample_rate == 22050
    assert audio.duration > 0.5
    assert rms(audio) > 0.01


@pytest.mark.parametrize("language", ["en-us", "en-gb", "az", "tr", "ru", "ko", "ar", "cmn"])
def test_espeak_female_voices_are_higher_pitched(espeak: Any, language: str) -> None:
    text = SAMPLE_TEXT[voice(f"espeak-{language}-male").language_subtag]
    male = median_f0(espeak.synthesize(text, voice(f"espeak-{language}-male")))
    female = median_f0(espeak.synthesize(text, voice(f"espeak-{language}-female")))
    assert 70 < male < 160
    assert female > 1.4 * male


def test_espeak_speed_changes_duration(espeak: Any) -> None:
    text = "Hello, this is a short test of the voice, spoken at a few speeds."
    normal = espeak.synthesize(text, voice("espeak-en-us-male")).duration
    assert 0.4 < espeak.synthesize(text, voice("espeak-en-us-male"), 2.0).duration / normal < 0.6
    assert 1.7 < espeak.synthesize(text, voice("espeak-en-us-male"), 0.5).duration / normal < 2.3


def test_espeak_is_safe_under_concurrent_calls(espeak: Any) -> None:
    jobs = [
        (SAMPLE_TEXT[v.language_subtag], v)
        for v in (voice("espeak-az-female"), voice("espeak-ru-male"), voice("espeak-en-gb-male"))
    ] * 8
    alone = [espeak.synthesize(text, v).duration for text, v in jobs[:3]]
    with ThreadPoolExecutor(4) as pool:
        together = list(pool.map(lambda job: espeak.synthesize(*job), jobs))
    for index, audio in enumerate(together):
        assert rms(audio) > 0.01
        # eSpeak adds a little randomness; crosstalk between calls would change lengths a lot.
        assert audio.duration == pytest.approx(alone[index % 3], rel=0.05)


def test_espeak_refuses_voices_and_variants_it_does_not_have(espeak: Any) -> None:
    with pytest.raises(SynthesisError, match="no voice"):
        espeak.synthesize("hello", dataclasses.replace(voice("joe"), engine_voice="xx-nowhere"))
    with pytest.raises(SynthesisError, match="no variant"):
        espeak.synthesize("hello", dataclasses.replace(voice("joe"), engine_voice="en-us+zz9"))


def test_a_second_espeak_engine_reuses_the_initialised_library(espeak: Any) -> None:
    assert EspeakEngine().sample_rate == espeak.sample_rate == 22050


# --- Amazon Polly ------------------------------------------------------------------------


@pytest.fixture
def polly_client() -> Iterator[tuple[Any, Stubber]]:
    client = boto3.client(
        "polly",
        region_name="eu-west-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    with Stubber(client) as stubber:
        yield client, stubber
        stubber.assert_no_pending_responses()


def pcm_response(pcm: bytes) -> dict[str, Any]:
    return {
        "AudioStream": StreamingBody(io.BytesIO(pcm), len(pcm)),
        "ContentType": "audio/pcm",
        "RequestCharacters": 11,
    }


def test_polly_decodes_pcm_and_asks_for_the_voice_engine(
    polly_client: tuple[Any, Stubber],
) -> None:
    client, stubber = polly_client
    pcm = tone_pcm(0.5)
    stubber.add_response(
        "synthesize_speech",
        pcm_response(pcm),
        {
            "Text": "Hello world",
            "TextType": "text",
            "VoiceId": "Joanna",
            "OutputFormat": "pcm",
            "SampleRate": "16000",
            "Engine": "neural",
        },
    )
    audio = PollyEngine(lambda: client).synthesize("Hello world", voice("Joanna"))
    assert audio.sample_rate == 16000
    assert audio.duration == pytest.approx(0.5)
    assert rms(audio) == pytest.approx(16000 / 32768 / np.sqrt(2), rel=0.01)
    expected = np.frombuffer(pcm, "<i2") / 32768.0
    np.testing.assert_allclose(audio.samples, expected, atol=1e-6)


def test_polly_speed_becomes_escaped_ssml_on_standard_voices(
    polly_client: tuple[Any, Stubber],
) -> None:
    client, stubber = polly_client
    stubber.add_response(
        "synthesize_speech",
        pcm_response(tone_pcm(0.1)),
        {
            "Text": '<speak><prosody rate="150%">Tom &amp; Jerry &lt;3</prosody></speak>',
            "TextType": "ssml",
            "VoiceId": "Filiz",
            "OutputFormat": "pcm",
            "SampleRate": "16000",
            "Engine": "standard",
        },
    )
    PollyEngine(lambda: client).synthesize("Tom & Jerry <3", voice("Filiz"), speed=1.5)


def test_polly_splits_long_text_and_joins_the_audio(polly_client: tuple[Any, Stubber]) -> None:
    client, stubber = polly_client
    text = " ".join(["This sentence is exactly forty characters."] * 100)
    pieces = list(split_text(text))
    assert len(pieces) == 2 and all(len(piece) <= 2500 for piece in pieces)
    assert " ".join(pieces) == text
    for _ in pieces:
        stubber.add_response("synthesize_speech", pcm_response(tone_pcm(1.0)))
    assert PollyEngine(lambda: client).synthesize(text, voice("Matthew")).duration == 2.0


def test_split_text_cuts_runaway_sentences_and_words() -> None:
    assert list(split_text("")) == []
    assert list(split_text("a" * 25, limit=10)) == ["a" * 10, "a" * 10, "a" * 5]
    assert list(split_text("aaa bbb ccc ddd", limit=8)) == ["aaa bbb", "ccc ddd"]


@pytest.mark.parametrize(
    ("code", "status", "error"),
    [
        ("ThrottlingException", 400, EngineUnavailable),
        ("ServiceFailureException", 500, EngineUnavailable),
        ("UnrecognizedClientException", 403, EngineUnavailable),
        ("InvalidSsmlException", 400, SynthesisError),
        ("TextLengthExceededException", 400, SynthesisError),
    ],
)
def test_polly_errors_say_whether_to_retry(
    polly_client: tuple[Any, Stubber], code: str, status: int, error: type[Exception]
) -> None:
    client, stubber = polly_client
    stubber.add_client_error("synthesize_speech", code, "upstream says no", status)
    with pytest.raises(error, match=code):
        PollyEngine(lambda: client).synthesize("Hello", voice("Joanna"))


def test_polly_unreachable_is_unavailable() -> None:
    client = boto3.client(
        "polly",
        region_name="eu-west-1",
        endpoint_url="http://127.0.0.1:9",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        config=Config(retries={"max_attempts": 1}, connect_timeout=2),
    )
    with pytest.raises(EngineUnavailable, match="unreachable"):
        PollyEngine(lambda: client).synthesize("Hello", voice("Joanna"))


def test_polly_through_moto(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.setenv(name, "testing")
    with mock_aws():
        engine = PollyEngine(lambda: boto3.client("polly", region_name="us-east-1"))
        audio = engine.synthesize("Hello world", voice("Joanna"))
        assert audio.sample_rate == 16000
        assert len(audio.samples) == 4  # moto answers with 8 bytes of silence
        with pytest.raises(SynthesisError, match="InvalidParameterValue"):
            engine.synthesize("Hello", dataclasses.replace(voice("Joanna"), engine_voice="Zed"))


# --- OpenAI-compatible upstream ----------------------------------------------------------


def wav_bytes(seconds: float, rate: int = 24000, channels: int = 1) -> bytes:
    t = np.arange(int(seconds * rate)) / rate
    tone = np.sin(2 * np.pi * 440 * t).astype(np.float32) * 0.5
    buffer = io.BytesIO()
    soundfile.write(buffer, np.tile(tone[:, None], (1, channels)), rate, format="WAV")
    return buffer.getvalue()


def streamed_wav_bytes(seconds: float, rate: int = 24000) -> bytes:
    """A WAV written before its length was known: RIFF and data sizes of 0."""
    pcm = tone_pcm(seconds, rate)
    fmt = struct.pack("<IHHIIHH", 16, 1, 1, rate, rate * 2, 2, 16)
    return b"RIFF" + bytes(4) + b"WAVEfmt " + fmt + b"data" + bytes(4) + pcm


class SpeechServer(BaseHTTPRequestHandler):
    """Answers POST /v1/audio/speech with whatever the test queued, recording each request."""

    replies: ClassVar[list[tuple[int, str, bytes]]] = []
    requests: ClassVar[list[dict[str, Any]]] = []

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.requests.append(
            {"path": self.path, "headers": dict(self.headers), "json": json.loads(body)}
        )
        status, content_type, payload = self.replies.pop(0)
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *args: Any) -> None:
        """Keep test output quiet."""


@pytest.fixture
def upstream(loopback_allowed: None) -> Iterator[tuple[str, type[SpeechServer]]]:
    SpeechServer.replies, SpeechServer.requests = [], []
    server = ThreadingHTTPServer(("127.0.0.1", 0), SpeechServer)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", SpeechServer
    finally:
        server.shutdown()
        server.server_close()


def test_openai_engine_posts_the_speech_request_and_decodes_wav(
    upstream: tuple[str, type[SpeechServer]],
) -> None:
    url, server = upstream
    server.replies.append((200, "audio/wav", wav_bytes(0.75, channels=2)))
    engine = OpenAICompatibleEngine(url + "/", api_key="sk-test", model="kokoro")
    audio = engine.synthesize("Hello world", voice("nova"), speed=1.25)
    engine.close()
    assert (audio.sample_rate, audio.samples.ndim) == (24000, 1)
    assert audio.duration == pytest.approx(0.75)
    assert rms(audio) == pytest.approx(0.5 / np.sqrt(2), rel=0.01)
    [request] = server.requests
    assert request["path"] == "/v1/audio/speech"
    assert request["headers"]["Authorization"] == "Bearer sk-test"
    assert request["json"] == {
        "model": "kokoro",
        "input": "Hello world",
        "voice": "nova",
        "response_format": "wav",
        "speed": 1.25,
    }


def test_openai_engine_reads_streamed_wav_and_accepts_a_v1_base_url(
    upstream: tuple[str, type[SpeechServer]],
) -> None:
    url, server = upstream
    server.replies.append((200, "audio/wav", streamed_wav_bytes(0.5)))
    engine = OpenAICompatibleEngine(url + "/v1")
    audio = engine.synthesize("Hi", voice("alloy"), speed=10)
    engine.close()
    assert audio.duration == pytest.approx(0.5)
    assert server.requests[0]["path"] == "/v1/audio/speech"
    assert "Authorization" not in server.requests[0]["headers"]
    assert server.requests[0]["json"]["speed"] == 4.0


@pytest.mark.parametrize(
    ("status", "body", "error", "message"),
    [
        (400, b'{"error": {"message": "voice not found"}}', SynthesisError, "voice not found"),
        (422, b"input too long", SynthesisError, "input too long"),
        (429, b'{"error": "slow down"}', EngineUnavailable, "slow down"),
        (503, b"overloaded", EngineUnavailable, "overloaded"),
        (200, b"not audio at all", SynthesisError, "cannot read"),
    ],
)
def test_openai_engine_maps_upstream_failures(
    upstream: tuple[str, type[SpeechServer]],
    status: int,
    body: bytes,
    error: type[Exception],
    message: str,
) -> None:
    url, server = upstream
    server.replies.append((status, "application/json", body))
    engine = OpenAICompatibleEngine(url)
    with pytest.raises(error, match=message):
        engine.synthesize("Hello", voice("echo"))
    engine.close()


def test_openai_engine_unreachable_is_unavailable(loopback_allowed: None) -> None:
    engine = OpenAICompatibleEngine("http://127.0.0.1:9", timeout=2)
    with pytest.raises(EngineUnavailable, match="unreachable"):
        engine.synthesize("Hello", voice("echo"))
    engine.close()


# --- Registry ----------------------------------------------------------------------------


def test_registry_synthesizes_with_the_voice_provider(
    upstream: tuple[str, type[SpeechServer]],
) -> None:
    url, server = upstream
    server.replies.append((200, "audio/wav", wav_bytes(0.25)))
    settings = EngineSettings(upstream_url=url, upstream_api_key="key")
    assert settings.upstream_enabled and not LOCAL.upstream_enabled
    assert registry.synthesize("Hi", voice("shimmer"), 1.0, settings).duration == 0.25
    assert get_engine("openai", settings) is get_engine("openai", settings)
    assert rms(registry.synthesize("Salam", voice("espeak-az-male"), 1.0, LOCAL)) > 0.01


def test_registry_refuses_providers_that_are_not_configured() -> None:
    with pytest.raises(EngineUnavailable, match="Polly"):
        get_engine("polly", LOCAL)
    with pytest.raises(EngineUnavailable, match="upstream"):
        get_engine("openai", LOCAL)
    with pytest.raises(ValueError, match="unknown TTS provider"):
        get_engine("azure", LOCAL)


def test_registry_builds_a_polly_engine_for_the_configured_region() -> None:
    engine = get_engine("polly", EngineSettings(polly_enabled=True, aws_region="eu-west-1"))
    assert isinstance(engine, PollyEngine)
    assert engine._client.meta.region_name == "eu-west-1"
