"""eSpeak NG through ctypes: ~100 languages, formant synthesis, hundreds of times real time.

libespeak-ng (shipped with its data by PyPI ``espeakng-loader``) keeps all its state in
globals, so the library is initialised once per process and every call into it holds one
module-level lock.
"""

from __future__ import annotations

import ctypes
import threading
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import TYPE_CHECKING

import numpy as np

from audiofn.audio import Audio
from audiofn.tts.base import EngineUnavailable, SynthesisError

if TYPE_CHECKING:
    from audiofn.tts.catalogue import Voice

# espeak_lib.h constants.
_AUDIO_OUTPUT_SYNCHRONOUS = 2
_POS_CHARACTER = 1
_CHARS_UTF8 = 1
_PARAM_RATE = 1
_FLAG_PHONEMES = 0x100  # espeakPHONEMES: [[...]] holds eSpeak phoneme mnemonics
_EE_OK = 0
RATE_NORMAL, RATE_MIN, RATE_MAX = 175, 80, 450
"""Words per minute at speed 1.0, and the range espeak-ng accepts."""

_SynthCallback = ctypes.CFUNCTYPE(
    ctypes.c_int, ctypes.POINTER(ctypes.c_short), ctypes.c_int, ctypes.c_void_p
)


class _EspeakVoice(ctypes.Structure):
    _fields_ = [
        ("name", ctypes.c_char_p),
        ("languages", ctypes.c_void_p),
        ("identifier", ctypes.c_char_p),
        ("gender", ctypes.c_ubyte),
        ("age", ctypes.c_ubyte),
        ("variant", ctypes.c_ubyte),
        ("xx1", ctypes.c_ubyte),
        ("score", ctypes.c_int),
        ("spare", ctypes.c_void_p),
    ]


@dataclass
class _Library:
    lib: ctypes.CDLL
    sample_rate: int
    callback: object  # the ctypes callback; referenced so it is never garbage-collected
    chunks: list[np.ndarray]


_LOCK = threading.Lock()
_library: _Library | None = None


def _load() -> _Library:
    """Load and initialise libespeak-ng once; callers hold _LOCK."""
    global _library  # noqa: PLW0603 -- the C library is process-global; so is our handle
    if _library is not None:
        return _library
    try:
        import espeakng_loader  # optional dependency, checked here

        lib = ctypes.CDLL(espeakng_loader.get_library_path())
        data_path = espeakng_loader.get_data_path()
    except (ImportError, OSError, RuntimeError) as error:
        raise EngineUnavailable(f"espeak-ng library not available: {error}") from error

    lib.espeak_Initialize.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_char_p, ctypes.c_int]
    lib.espeak_Initialize.restype = ctypes.c_int
    lib.espeak_SetSynthCallback.argtypes = [_SynthCallback]
    lib.espeak_SetSynthCallback.restype = None
    lib.espeak_SetVoiceByName.argtypes = [ctypes.c_char_p]
    lib.espeak_SetVoiceByName.restype = ctypes.c_int
    lib.espeak_GetCurrentVoice.argtypes = []
    lib.espeak_GetCurrentVoice.restype = ctypes.POINTER(_EspeakVoice)
    lib.espeak_SetParameter.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_int]
    lib.espeak_SetParameter.restype = ctypes.c_int
    lib.espeak_ListVoices.argtypes = [ctypes.POINTER(_EspeakVoice)]
    lib.espeak_ListVoices.restype = ctypes.POINTER(ctypes.POINTER(_EspeakVoice))
    lib.espeak_Synth.argtypes = [
        ctypes.c_char_p,
        ctypes.c_size_t,
        ctypes.c_uint,
        ctypes.c_int,
        ctypes.c_uint,
        ctypes.c_uint,
        ctypes.c_void_p,
        ctypes.c_void_p,
    ]
    lib.espeak_Synth.restype = ctypes.c_int

    sample_rate = lib.espeak_Initialize(_AUDIO_OUTPUT_SYNCHRONOUS, 0, data_path.encode(), 0)
    if sample_rate <= 0:
        raise EngineUnavailable(f"espeak_Initialize failed with data at {data_path}")
    chunks: list[np.ndarray] = []

    def collect(wav: ctypes._Pointer[ctypes.c_short], count: int, _events: int | None) -> int:
        if wav and count > 0:
            chunks.append(np.ctypeslib.as_array(wav, shape=(count,)).copy())
        return 0  # 0 = keep going

    callback = _SynthCallback(collect)
    lib.espeak_SetSynthCallback(callback)
    _library = _Library(lib=lib, sample_rate=sample_rate, callback=callback, chunks=chunks)
    return _library


def _list(lib: ctypes.CDLL, spec: _EspeakVoice | None) -> frozenset[str]:
    """File names (lower-case, without their folder) of the voices espeak_ListVoices returns."""
    voices = lib.espeak_ListVoices(ctypes.byref(spec) if spec is not None else None)
    names = set()
    index = 0
    while voices[index]:
        identifier = voices[index].contents.identifier.decode()
        names.add(PurePosixPath(identifier).name.lower())
        index += 1
    return frozenset(names)


def available_voice_names() -> frozenset[str]:
    """The language voices espeak_SetVoiceByName accepts, e.g. "az", "en-us", "cmn"."""
    with _LOCK:
        return _list(_load().lib, None)


def available_variants() -> frozenset[str]:
    """The variants that may follow a voice name after "+", e.g. "m3", "f3", "grandma"."""
    with _LOCK:
        spec = _EspeakVoice(languages=ctypes.cast(ctypes.c_char_p(b"variant"), ctypes.c_void_p))
        return _list(_load().lib, spec)


class EspeakEngine:
    """Speaks catalogue voices whose ``engine_voice`` is an espeak name, e.g. "az+f3"."""

    provider = "espeak"

    def __init__(self) -> None:
        with _LOCK:
            self.sample_rate = _load().sample_rate

    def synthesize(self, text: str, voice: Voice, speed: float = 1.0) -> Audio:
        """Speak text; speed scales the speaking rate (175 wpm at 1.0, clamped to 80..450)."""
        return self._synthesize(text, voice, speed, voice.engine_voice, 0)

    def synthesize_marked(
        self, text: str, voice: Voice, speed: float = 1.0, *, language_voice: str | None = None
    ) -> Audio:
        """Like :meth:`synthesize`, but ``[[...]]`` in the text holds eSpeak phoneme mnemonics
        (spoken as given), and ``language_voice`` (e.g. "fr") speaks it as another language
        with the voice's variant."""
        name = voice.engine_voice
        if language_voice:
            _, plus, variant = name.partition("+")
            name = f"{language_voice}{plus}{variant}"
        return self._synthesize(text, voice, speed, name, _FLAG_PHONEMES)

    def _synthesize(self, text: str, voice: Voice, speed: float, name: str, flags: int) -> Audio:
        if speed <= 0:
            raise SynthesisError(f"speed must be positive, got {speed}")
        rate = round(min(max(RATE_NORMAL * speed, RATE_MIN), RATE_MAX))
        encoded = text.encode("utf-8") + b"\0"
        with _LOCK:
            library = _load()
            lib = library.lib
            self._select(lib, name)
            lib.espeak_SetParameter(_PARAM_RATE, rate, 0)
            library.chunks.clear()
            status = lib.espeak_Synth(
                encoded, len(encoded), 0, _POS_CHARACTER, 0, _CHARS_UTF8 | flags, None, None
            )
            samples = np.concatenate(library.chunks) if library.chunks else np.zeros(0, np.int16)
            library.chunks.clear()
        if status != _EE_OK:
            raise SynthesisError(f"espeak_Synth failed ({status}) for voice {voice.id!r}")
        return Audio(samples=samples.astype(np.float32) / 32768.0, sample_rate=self.sample_rate)

    @staticmethod
    def _select(lib: ctypes.CDLL, name: str) -> None:
        """Select a voice, refusing espeak's silent fallbacks (it keeps the old voice or
        drops an unknown variant rather than failing)."""
        if lib.espeak_SetVoiceByName(name.encode()) != _EE_OK:
            raise SynthesisError(f"espeak-ng has no voice {name!r}")
        _, _, variant = name.partition("+")
        current = lib.espeak_GetCurrentVoice().contents.identifier.decode().lower()
        if variant and not current.endswith(f"+{variant.lower()}"):
            raise SynthesisError(f"espeak-ng has no variant {variant!r}")
