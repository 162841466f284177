"""Which words eSpeak NG knows from its pronunciation dictionary, and which it guesses.

eSpeak (and Piper, which phonemises with eSpeak's data) pronounces a word either from its
language's dictionary (``en_list``: irregular and common words, names, abbreviations) or by
its spelling rules. The library reports which, when asked for a translation trace
(``espeak_SetPhonemeTrace`` with the trace bit): "Found: 'word'" for a dictionary hit,
"Translate 'word'" for a rule-based guess. The trace goes to a C ``FILE*``, opened here on a
temporary file through libc.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import re
import tempfile
from collections.abc import Iterable

from audiofn.tts.base import EngineUnavailable
from audiofn.tts.espeak_engine import _LOCK, _load

_TRACE = 8  # phonememode bit 3: trace how each word was translated
_CHARS_UTF8 = 1
_FOUND = re.compile(r"^Found: '([^']+)'", re.MULTILINE)
_FLAGS = re.compile(r"^Flags:\s+(\S+)", re.MULTILINE)

_libc: ctypes.CDLL | None = None


def _c_library() -> ctypes.CDLL:
    global _libc  # noqa: PLW0603 -- one handle per process
    if _libc is None:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or None)
        libc.fopen.restype = ctypes.c_void_p
        libc.fopen.argtypes = [ctypes.c_char_p, ctypes.c_char_p]
        libc.fclose.argtypes = [ctypes.c_void_p]
        libc.fclose.restype = ctypes.c_int
        _libc = libc
    return _libc


def dictionary_words(words: Iterable[str], espeak_voice: str) -> frozenset[str]:
    """The words (lower-cased) that eSpeak's dictionary for ``espeak_voice`` (e.g. "en-us")
    lists; every other word is pronounced by its spelling rules."""
    unique = sorted({word.lower() for word in words if word.strip()})
    if not unique:
        return frozenset()
    libc = _c_library()
    fd, path = tempfile.mkstemp(prefix="espeak-trace-", suffix=".txt")
    os.close(fd)
    try:
        with _LOCK:
            lib = _load().lib
            lib.espeak_SetPhonemeTrace.argtypes = [ctypes.c_int, ctypes.c_void_p]
            lib.espeak_SetPhonemeTrace.restype = None
            lib.espeak_TextToPhonemes.argtypes = [
                ctypes.POINTER(ctypes.c_void_p),
                ctypes.c_int,
                ctypes.c_int,
            ]
            lib.espeak_TextToPhonemes.restype = ctypes.c_char_p
            if lib.espeak_SetVoiceByName(espeak_voice.encode()) != 0:
                raise EngineUnavailable(f"espeak-ng has no voice {espeak_voice!r}")
            stream = libc.fopen(path.encode(), b"w")
            if not stream:
                raise EngineUnavailable("cannot open a trace file for espeak-ng")
            try:
                lib.espeak_SetPhonemeTrace(_TRACE, stream)
                # One word per clause: a full stop keeps words from joining into phrases.
                text = ". ".join(unique).encode("utf-8") + b"\0"
                buffer = ctypes.create_string_buffer(text)
                pointer = ctypes.c_void_p(ctypes.addressof(buffer))
                for _ in range(len(unique) * 2 + 2):
                    if not pointer.value:
                        break
                    lib.espeak_TextToPhonemes(ctypes.byref(pointer), _CHARS_UTF8, 0)
            finally:
                lib.espeak_SetPhonemeTrace(0, None)
                libc.fclose(stream)
        with open(path, encoding="utf-8", errors="replace") as handle:
            trace = handle.read()
    finally:
        os.unlink(path)
    found = {name.lower() for name in _FOUND.findall(trace)}
    found |= {name.lower() for name in _FLAGS.findall(trace)}
    return frozenset(word for word in unique if word in found)
