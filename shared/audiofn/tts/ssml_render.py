# ruff: noqa: RUF001 -- IPA symbols look like punctuation on purpose
"""Speak script text -- plain or SSML, through dictionaries and normalisation -- on any engine.

The entry points::

    document = prepare(text, voice, normalize=True, lexicon=lexicon)   # parse + Lexi + words
    audio = render(document, voice, speed, settings)                   # Audio
    audio = render_text(text, voice, speed, settings, normalize=True, lexicon=lexicon)
    timed = render_text_timed(text, voice, speed, settings)  # TimedSpeech: audio + words
    preview_text(text, voice, ...)        # the words as they will be said (Script.preview)
    words_not_in_dict(text, voice, ...)   # words the engine will guess

How each engine says the same markup:

* Every engine but Polly is driven run by run (:func:`audiofn.text.ssml.speech_items`): words in
  one style are synthesised together, their leading and trailing silence trimmed to short
  margins, and pauses (breaks, sentence and paragraph edges) inserted as exact silence, the
  margins counted in. Pitch is shifted (pedalboard ``PitchShift``) and volume set by gain
  the same way for all of them; rate is the engine's own where it has one (eSpeak's words
  per minute, the OpenAI API's ``speed``) and a time-stretch for Piper.
* Piper gets IPA as ``[[ ... ]]`` phoneme blocks (checked against the model's phoneme map:
  an unknown symbol is an error, never silently dropped), and other languages phonemised
  with eSpeak's data for that language.
* eSpeak NG gets IPA translated to its phoneme mnemonics (``[[...]]`` with espeakPHONEMES)
  and other languages by switching its voice (the variant kept).
* The OpenAI-compatible upstream gets plain text per run (a phoneme's written word) and
  silence between runs.
* Polly gets the document as SSML (breaks, prosody, phonemes, lang), emphasis as prosody.

Plain text with no markup and nothing to change is sent to the engine as before.

Kokoro's word timings (:mod:`audiofn.tts.word_timings`) come through every step that moves
its audio: runs trimmed and joined with their pauses, pitch, volume. Other engines give none
(``words`` is None) and are heard back by Whisper where timings are needed.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from audiofn.text.lexicon import Lexicon, ResolvedLexicon, apply_lexicon
from audiofn.text.normalize import normalize as normalize_words
from audiofn.text.ssml import (
    Break,
    Document,
    Phoneme,
    Prosody,
    Run,
    Segment,
    Text,
    effective_prosody,
    parse_ssml,
    speech_items,
    to_ssml,
)
from audiofn.tts.base import SynthesisError
from audiofn.tts.word_timings import TimedSpeech, WordTiming, shifted

if TYPE_CHECKING:
    from audiofn.audio import Audio
    from audiofn.tts.catalogue import Voice
    from audiofn.tts.registry import EngineSettings

__all__ = [
    "normalize_document",
    "prepare",
    "preview_text",
    "render",
    "render_text",
    "render_text_timed",
    "render_timed",
    "words_not_in_dict",
]

LEAD_MARGIN_MS = 20
"""Silence kept before a run's first sound when runs are joined (counted into any pause)."""
TAIL_MARGIN_MS = 50
"""Silence kept after a run's last sound (counted into any pause)."""
SILENCE_DBFS = -50.0
"""Frames quieter than this at a run's edges are trimmed."""
POLLY_SSML_CHARS = 2800
"""Polly bills at most 3000 characters of text per request; SSML documents stay under this."""
COMMON_WORD_COUNT = 100
"""A word seen at least this often in the frequency list is a regular word (see
:func:`words_not_in_dict`)."""


# --- preparing the words ---------------------------------------------------------------------


def _resolve(lexicon: Lexicon | ResolvedLexicon | None, voice: Voice) -> ResolvedLexicon | None:
    if lexicon is None:
        return None
    return lexicon.for_voice(voice) if isinstance(lexicon, Lexicon) else lexicon


def normalize_document(document: Document, language: str) -> Document:
    """Normalise every text segment that is not already words, per its language; each
    normalised stretch keeps what was written (for captions)."""
    segments: list[Segment] = []
    for segment in document.segments:
        if not isinstance(segment, Text) or segment.verbatim:
            segments.append(segment)
            continue
        normalized = normalize_words(segment.text, segment.style.language or language)
        for span in normalized.spans:
            if span.changed:
                segments.append(
                    Text(span.spoken, segment.style, written=span.written, verbatim=True)
                )
            else:
                segments.append(replace(segment, text=span.spoken))
    return replace(document, segments=tuple(segments))


def prepare(
    text: str,
    voice: Voice,
    *,
    normalize: bool = True,
    lexicon: Lexicon | ResolvedLexicon | None = None,
    field: str = "text",
) -> Document:
    """Parse script text (plain or SSML; :class:`audiofn.text.ssml.SSMLError` if malformed), apply
    the pronunciation dictionaries for the voice, then normalise (unless turned off)."""
    document = parse_ssml(text, field=field, language=voice.language_code)
    language = document.language or voice.language_code
    resolved = _resolve(lexicon, voice)
    if resolved is not None:
        document = apply_lexicon(document, resolved)
    if normalize:
        document = normalize_document(document, language)
    return document


def preview_text(
    text: str,
    voice: Voice,
    *,
    normalize: bool = True,
    lexicon: Lexicon | ResolvedLexicon | None = None,
    field: str = "text",
) -> str:
    """The text exactly as it will be spoken: dictionary words replaced, numbers and the
    like in words; pauses and pronunciations stay as ``<break>`` and ``<phoneme>`` tags."""
    document = prepare(text, voice, normalize=normalize, lexicon=lexicon, field=field)
    return to_ssml(document, markup=False)


_WORD = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)*")


def words_not_in_dict(
    text: str,
    voice: Voice,
    *,
    normalize: bool = True,
    lexicon: Lexicon | ResolvedLexicon | None = None,
    field: str = "text",
) -> list[str]:
    """Words the engine does not know and will pronounce by guessing, as written, in order.

    Words a dictionary entry, say-as, sub or normalisation replaced are known. For the rest:
    a word is known if eSpeak NG's pronunciation dictionary for the voice's language lists it
    (eSpeak speaks eSpeak voices and phonemises Piper's, so its dictionary *is* their lexicon;
    for Polly and OpenAI voices it stands in), or if it is a regular word of the language
    -- seen at least ``COMMON_WORD_COUNT`` times in pyspellchecker's frequency list, where
    eSpeak's spelling rules are reliable (eSpeak's English dictionary holds only ~6k
    irregular words; "cat" is spoken by rule). Without pyspellchecker, a word not in eSpeak's
    dictionary is reported when it looks like a name (capitalised mid-sentence, all capitals,
    mixed case). Without eSpeak, only the frequency list decides.
    """
    document = prepare(text, voice, normalize=normalize, lexicon=lexicon, field=field)
    candidates: dict[str, str] = {}
    for segment in document.segments:
        if isinstance(segment, Text) and not segment.verbatim:
            for match in _WORD.finditer(segment.text):
                candidates.setdefault(match.group(0).lower(), match.group(0))
    if not candidates:
        return []
    language = (document.language or voice.language_code).lower()
    known: set[str] = set()
    try:
        from audiofn.tts.espeak_dictionary import dictionary_words

        known |= dictionary_words(candidates, _espeak_language(voice, language))
        have_espeak = True
    except Exception:  # no eSpeak here: the other signals still answer
        have_espeak = False
    frequencies = _frequencies(language)
    unknown = []
    for key, written in candidates.items():
        if key in known:
            continue
        if frequencies is not None:
            if frequencies[key] >= COMMON_WORD_COUNT:
                continue
        elif not have_espeak or not _looks_like_a_name(written):
            continue
        unknown.append(written)
    return unknown


def _looks_like_a_name(word: str) -> bool:
    return word[:1].isupper() or (word.isupper() and len(word) > 1) or word[1:] != word[1:].lower()


_frequency_cache: dict[str, Any] = {}


def _frequencies(language: str) -> Any:
    subtag = language.split("-", 1)[0]
    if subtag not in _frequency_cache:
        try:
            from spellchecker import SpellChecker

            _frequency_cache[subtag] = SpellChecker(language=subtag).word_frequency
        except Exception:  # package missing, or no list for the language
            _frequency_cache[subtag] = None
    return _frequency_cache[subtag]


def _espeak_language(voice: Voice, language: str) -> str:
    if voice.provider == "espeak":
        return voice.engine_voice.partition("+")[0]
    return language


# --- rendering -------------------------------------------------------------------------------


def render_text(
    text: str,
    voice: Voice,
    speed: float,
    settings: EngineSettings,
    *,
    normalize: bool = True,
    lexicon: Lexicon | ResolvedLexicon | None = None,
    field: str = "text",
) -> Audio:
    """:func:`prepare` then :func:`render`: script text (a section, rendered for one
    listener) to speech with the voice's engine."""
    return render_text_timed(
        text, voice, speed, settings, normalize=normalize, lexicon=lexicon, field=field
    ).audio


def render_text_timed(
    text: str,
    voice: Voice,
    speed: float,
    settings: EngineSettings,
    *,
    normalize: bool = True,
    lexicon: Lexicon | ResolvedLexicon | None = None,
    field: str = "text",
) -> TimedSpeech:
    """:func:`render_text` with the spoken words' timings where the engine gives them."""
    document = prepare(text, voice, normalize=normalize, lexicon=lexicon, field=field)
    return render_timed(document, voice, speed, settings)


def render(document: Document, voice: Voice, speed: float, settings: EngineSettings) -> Audio:
    """Speak a prepared document with the engine that serves the voice."""
    return render_timed(document, voice, speed, settings).audio


def render_timed(
    document: Document, voice: Voice, speed: float, settings: EngineSettings
) -> TimedSpeech:
    """:func:`render` with the spoken words' timings where the engine gives them (Kokoro)."""
    from audiofn.tts.registry import get_engine

    if speed <= 0:
        raise SynthesisError(f"speed must be positive, got {speed}")
    engine = get_engine(voice.provider, settings)
    items = speech_items(document)
    if _is_plain(items, document):
        run = items[0] if items else None
        text = _squash(run.text) if isinstance(run, Run) else ""
        if voice.provider == "piper":
            text = _safe_text(text)  # Piper reads [[ ]] as phonemes: text never opens one
        timed = getattr(engine, "synthesize_timed", None)  # engines that time their words
        if timed is not None:
            spoken: TimedSpeech = timed(text, voice, speed)
            return spoken
        return TimedSpeech(engine.synthesize(text, voice, speed))
    if voice.provider == "polly":
        return TimedSpeech(_render_polly(engine, document, voice, speed))
    return _render_runs(engine, items, voice, speed, document.language)


def _is_plain(items: Sequence[Run | Break], document: Document) -> bool:
    """One run in the voice's own style with no phonemes: the engine's plain path."""
    if not items:
        return True
    if len(items) != 1 or not isinstance(items[0], Run):
        return False
    run = items[0]
    return (
        run.style.language in (None, document.language)
        and effective_prosody(run.style).is_neutral
        and all(isinstance(segment, Text) for segment in run.segments)
    )


def _render_runs(
    engine: Any, items: Sequence[Run | Break], voice: Voice, speed: float, base: str | None
) -> TimedSpeech:
    import numpy as np

    from audiofn.audio import Audio

    pieces: list[TimedSpeech | int] = []  # speech, or a pause in ms
    for item in items:
        if isinstance(item, Break):
            pieces.append(item.ms)
            continue
        prosody = effective_prosody(item.style)
        spoken = _speak_run(engine, item, voice, speed * prosody.rate, base)
        audio, moved = _trimmed(spoken.audio)
        run_words = shifted(spoken.words, moved) if spoken.words is not None else None
        pieces.append(TimedSpeech(_colour(audio, prosody), run_words))
    rates = [piece.audio.sample_rate for piece in pieces if not isinstance(piece, int)]
    if not rates:  # only pauses: silence at the engine's rate
        rate = 22050 if voice.provider == "piper" else 16000
        total = sum(piece for piece in pieces if isinstance(piece, int))
        return TimedSpeech(Audio(np.zeros(round(total * rate / 1000), np.float32), rate), ())
    rate = rates[0]
    chunks: list[np.ndarray] = []
    words: list[WordTiming] | None = []
    position = 0  # samples at ``rate`` so far
    margins = (LEAD_MARGIN_MS + TAIL_MARGIN_MS) * rate // 1000
    for index, piece in enumerate(pieces):
        if isinstance(piece, int):
            frames = round(piece * rate / 1000)
            between = 0 < index < len(pieces) - 1
            chunks.append(np.zeros(max(frames - (margins if between else 0), 0), np.float32))
        else:
            chunks.append(_at_rate(piece.audio, rate).samples)
            if words is not None and piece.words is not None:
                words += shifted(piece.words, position / rate)
            else:  # one run without timings: the whole has none
                words = None
        position += len(chunks[-1])
    samples = np.concatenate(chunks).astype(np.float32)
    peak = float(np.max(np.abs(samples))) if samples.size else 0.0
    if peak > 1.0:  # louder runs pushed past full scale: turn the whole file down
        samples = samples / peak
    return TimedSpeech(Audio(samples, rate), tuple(words) if words is not None else None)


def _speak_run(engine: Any, run: Run, voice: Voice, rate: float, base: str | None) -> TimedSpeech:
    from audiofn.dsp.effects import change_tempo

    provider = voice.provider
    language = run.style.language if run.style.language != base else None
    if provider == "piper":
        model = engine.model(voice)
        symbols = model.config.phoneme_id_map
        text = "".join(
            _safe_text(s.text) if isinstance(s, Text) else f" [[ {_piper_ipa(s, symbols)} ]] "
            for s in run.segments
        )
        espeak_voice = _espeak_voice_for(language) if language else None
        audio = engine.synthesize_phonemes(_squash(text), voice, espeak_voice=espeak_voice)
        factor = min(max(rate, 0.25), 4.0)
        return TimedSpeech(change_tempo(audio, factor) if factor != 1.0 else audio)
    if provider == "espeak":
        text = "".join(
            _safe_text(s.text) if isinstance(s, Text) else f" [[{_espeak_phonemes(s)}]] "
            for s in run.segments
        )
        language_voice = _espeak_voice_for(language) if language else None
        marked = engine.synthesize_marked(_squash(text), voice, rate, language_voice=language_voice)
        return TimedSpeech(marked)
    if provider == "kokoro":
        parts = [(s.text, False) if isinstance(s, Text) else (s.ipa, True) for s in run.segments]
        said = " ".join(s.text if isinstance(s, Text) else s.written for s in run.segments)
        language_voice = _espeak_voice_for(language) if language else None
        mixed: TimedSpeech = engine.synthesize_mixed(
            parts, voice, rate, language=language_voice, written=said
        )
        return mixed
    # Engines without phoneme input: the written word stands in for its pronunciation.
    text = "".join(s.text if isinstance(s, Text) else s.written for s in run.segments)
    return TimedSpeech(engine.synthesize(_squash(text), voice, rate))


def _squash(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def _safe_text(text: str) -> str:
    """Text can never open a phoneme block."""
    return text.replace("[[", "[ [").replace("]]", "] ]")


def _espeak_voice_for(language: str) -> str | None:
    """The eSpeak voice for a BCP-47 code ("en-GB" -> "en-gb", "fr-FR" -> "fr"), if any."""
    from audiofn.tts.espeak_engine import available_voice_names

    names = available_voice_names()
    code = language.lower().replace("_", "-")
    for candidate in (code, code.split("-", 1)[0]):
        if candidate in names:
            return candidate
    return None


def _trim(audio: Audio) -> Audio:
    """Cut a run's leading and trailing silence down to the join margins."""
    return _trimmed(audio)[0]


def _trimmed(audio: Audio) -> tuple[Audio, float]:
    """:func:`_trim`, and how many seconds later the kept sound now starts (negative: earlier)."""
    import numpy as np

    from audiofn.audio import Audio

    samples = audio.samples
    if samples.size == 0:
        return audio, 0.0
    frame = max(audio.sample_rate // 200, 1)  # 5 ms
    usable = len(samples) // frame * frame
    if usable == 0:
        return audio, 0.0
    levels = np.sqrt(np.mean(np.square(samples[:usable].reshape(-1, frame)), axis=1))
    loud = np.flatnonzero(levels > 10 ** (SILENCE_DBFS / 20))
    if loud.size == 0:
        return Audio(samples[:0], audio.sample_rate), 0.0
    lead = LEAD_MARGIN_MS * audio.sample_rate // 1000
    tail = TAIL_MARGIN_MS * audio.sample_rate // 1000
    first = max(int(loud[0]) * frame - lead, 0)
    last = min((int(loud[-1]) + 1) * frame + tail, len(samples))
    body = samples[first:last]
    # Pad to exactly the margins, so every join has the same gap whatever the engine left.
    before = lead - (int(loud[0]) * frame - first)
    after = tail - (last - (int(loud[-1]) + 1) * frame)
    body = np.pad(body, (max(before, 0), max(after, 0)))
    moved = (max(before, 0) - first) / audio.sample_rate
    return Audio(body.astype(np.float32), audio.sample_rate), moved


def _colour(audio: Audio, prosody: Prosody) -> Audio:
    """Pitch (semitones) and volume (dB) the same way for every engine."""
    import numpy as np

    from audiofn.audio import Audio

    samples = audio.samples
    if prosody.pitch and samples.size:
        import pedalboard

        shifter = pedalboard.PitchShift(semitones=prosody.pitch)
        samples = shifter(samples[np.newaxis, :], audio.sample_rate)[0]
    if prosody.volume == -math.inf:
        samples = np.zeros_like(samples)
    elif prosody.volume:
        samples = samples * (10 ** (prosody.volume / 20))
    return Audio(np.asarray(samples, dtype=np.float32), audio.sample_rate)


def _at_rate(audio: Audio, rate: int) -> Audio:
    if audio.sample_rate == rate:
        return audio
    from audiofn.dsp.effects import resample

    return resample(audio, rate)


# --- phonemes --------------------------------------------------------------------------------

_PIPER_SUBSTITUTES = {
    "g": "ɡ",
    "r": "ɹ",
    "ʧ": "tʃ",
    "ʤ": "dʒ",
    "ʦ": "ts",
    "ɚ": "ɚ",
}
_IGNORED = {"\u0361", "\u035c", ".", "|", "‖", "‿"}


def _piper_ipa(segment: Phoneme, symbols: Any) -> str:
    """IPA the Piper model can say: eSpeak's conventions (script g, turned r), ties and
    syllable marks dropped; a symbol the model has no id for is an error, not a silent gap."""
    out = []
    for char in unicodedata.normalize("NFD", segment.ipa):
        if char in _IGNORED:
            continue
        char = _PIPER_SUBSTITUTES.get(char, char)  # noqa: PLW2901
        for symbol in char:
            if symbol != " " and symbol not in symbols:
                raise SynthesisError(
                    f"the voice cannot say the IPA symbol {symbol!r} "
                    f"(in /{segment.ipa}/ for '{segment.written}')"
                )
        out.append(char)
    return "".join(out)


# IPA -> eSpeak phoneme mnemonics (Kirshenbaum-like; the English table's names, which most
# eSpeak languages share). Longest first.
_ESPEAK_PHONEMES = {
    "tʃ": "tS",
    "dʒ": "dZ",
    "eɪ": "eI",
    "aɪ": "aI",
    "ɔɪ": "OI",
    "aʊ": "aU",
    "oʊ": "oU",
    "əʊ": "@U",
    "ɪə": "i@",
    "eə": "e@",
    "ʊə": "U@",
    "ɜː": "3:",
    "ɑː": "A:",
    "ɔː": "O:",
    "iː": "i:",
    "uː": "u:",
    "ɑɹ": "A@",
    "ɔɹ": "O@",
    "ə": "@",
    "ɚ": "3",
    "ɝ": "3:",
    "ɜ": "3:",
    "æ": "a",
    "ɐ": "a#",
    "ɑ": "A:",
    "ɒ": "0",
    "ɔ": "O:",
    "ʊ": "U",
    "u": "u:",
    "ɪ": "I",
    "ᵻ": "I2",
    "i": "i",
    "ʌ": "V",
    "ɛ": "E",
    "e": "e",
    "o": "oU",
    "a": "a",
    "y": "y",
    "ø": "Y",
    "œ": "W",
    "ɵ": "8",
    "ʏ": "y",
    "θ": "T",
    "ð": "D",
    "ʃ": "S",
    "ʒ": "Z",
    "ŋ": "N",
    "ɹ": "r",
    "r": "r",
    "ɾ": "t",
    "ɫ": "l",
    "j": "j",
    "ɡ": "g",
    "g": "g",
    "ʔ": "?",
    "x": "x",
    "χ": "X",
    "ç": "C",
    "ʁ": "R",
    "ɲ": "n^",
    "ʎ": "l^",
    "β": "B",
    "ɣ": "Q",
    "ˈ": "'",
    "ˌ": ",",
    "ː": ":",
    " ": " ",
    **{c: c for c in "bdfhklmnpstvwz"},
}
_ESPEAK_KEYS = sorted(_ESPEAK_PHONEMES, key=len, reverse=True)


def _espeak_phonemes(segment: Phoneme) -> str:
    """IPA as eSpeak phoneme mnemonics; diacritics dropped; an unknown symbol is an error."""
    text = "".join(
        char
        for char in unicodedata.normalize("NFD", segment.ipa)
        if char not in _IGNORED and not unicodedata.combining(char) and char not in "ʰʲʷ"
    )
    out = []
    position = 0
    while position < len(text):
        for key in _ESPEAK_KEYS:
            if text.startswith(key, position):
                out.append(_ESPEAK_PHONEMES[key])
                position += len(key)
                break
        else:
            raise SynthesisError(
                f"eSpeak NG cannot say the IPA symbol {text[position]!r} "
                f"(in /{segment.ipa}/ for '{segment.written}')"
            )
    return "".join(out)


# --- Polly -----------------------------------------------------------------------------------


def _polly_documents(document: Document, speed: float, neural: bool) -> list[str]:
    """The document as one or more Polly SSML requests (each under Polly's size limit)."""
    prosody = Prosody(rate=min(max(speed, 0.2), 2.0))
    items = speech_items(document)
    segments = list(document.segments)
    if neural:  # Polly's neural voices ignore pitch: leave it out rather than fail
        segments = [_without_pitch(segment) for segment in segments]
    parts: list[str] = []
    current: list[Segment] = []
    for segment in segments:
        current.append(segment)
        candidate = to_ssml(replace(document, segments=tuple(current)), prosody=prosody)
        if len(candidate) > POLLY_SSML_CHARS and len(current) > 1:
            current.pop()
            parts.append(to_ssml(replace(document, segments=tuple(current)), prosody=prosody))
            current = [segment]
    if current or not items:
        parts.append(to_ssml(replace(document, segments=tuple(current)), prosody=prosody))
    return [part for part in parts if part not in ("<speak></speak>",)]


def _without_pitch(segment: Segment) -> Segment:
    if isinstance(segment, Text | Phoneme) and segment.style.prosody.pitch:
        style = replace(segment.style, prosody=replace(segment.style.prosody, pitch=0.0))
        return replace(segment, style=style)
    return segment


def _render_polly(engine: Any, document: Document, voice: Voice, speed: float) -> Audio:
    audio: Audio = engine.synthesize_ssml(_polly_documents(document, speed, voice.neural), voice)
    return audio
