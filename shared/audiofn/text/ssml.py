# ruff: noqa: RUF001 -- IPA symbols look like punctuation on purpose
"""The SSML subset every engine speaks, parsed into a typed intermediate representation.

Supported: ``<speak>``, ``<break time strength>``, ``<prosody rate pitch volume>``,
``<emphasis level>``, ``<say-as interpret-as format>`` (characters, spell-out, cardinal,
ordinal, digits, date, time, telephone, currency), ``<sub alias>``,
``<phoneme alphabet="ipa" ph>``, ``<p>``, ``<s>`` and ``<lang xml:lang>``. Script text may use
the tags without a ``<speak>`` root; text without anything that looks like a tag is plain
text (a bare ``&`` or ``<`` in it is just a character).

Parsing uses the standard library's expat directly (so every tag has a position) and is
safe: a document type declaration, and with it any entity definition, is refused; only
XML's five predefined entities and numeric character references are understood. Anything
malformed -- an unclosed or unknown tag, an unknown attribute, a bad value -- raises
:class:`SSMLError` (an ``InvalidInput``) naming the tag and its line and column.

``say-as`` and ``sub`` are resolved to words here, so every renderer sees only text,
phonemes (IPA), breaks and sentence/paragraph boundaries, each text piece with its style.
"""

from __future__ import annotations

import math
import re
import unicodedata
import xml.parsers.expat
from dataclasses import dataclass, field, replace
from typing import Literal
from xml.sax.saxutils import escape, quoteattr

from audiofn.errors import InvalidInput
from audiofn.text import normalize as tn

__all__ = [
    "Boundary",
    "Break",
    "Document",
    "Phoneme",
    "Prosody",
    "Run",
    "SSMLError",
    "Segment",
    "Style",
    "Text",
    "effective_prosody",
    "escape_text",
    "is_ssml",
    "parse_ssml",
    "speech_items",
    "to_ssml",
    "validate_ipa",
]

MAX_BREAK_MS = 10_000
"""Longest pause one ``<break>`` may ask for (Polly's limit too)."""
MAX_TOTAL_BREAK_MS = 60_000
"""Most pause all the ``<break>``s of one text (a script's section) may add up to: breaks
cost no characters, so without it 212 characters could ask for minutes of silence."""

BREAK_STRENGTH_MS = {
    "none": 0,
    "x-weak": 100,
    "weak": 250,
    "medium": 400,
    "strong": 750,
    "x-strong": 1200,
}
RATE_NAMES = {
    "x-slow": 0.6,
    "slow": 0.8,
    "medium": 1.0,
    "default": 1.0,
    "fast": 1.25,
    "x-fast": 1.5,
}
PITCH_NAMES = {
    "x-low": -4.0,
    "low": -2.0,
    "medium": 0.0,
    "default": 0.0,
    "high": 2.0,
    "x-high": 4.0,
}
VOLUME_NAMES = {
    "silent": -math.inf,
    "x-soft": -12.0,
    "soft": -6.0,
    "medium": 0.0,
    "default": 0.0,
    "loud": 6.0,
    "x-loud": 10.0,
}
MIN_RATE, MAX_RATE = 0.2, 4.0
SENTENCE_PAUSE_MS = 300
"""The pause at a ``<s>`` edge (between sentences), on every engine."""
PARAGRAPH_PAUSE_MS = 700
"""The pause at a ``<p>`` edge (between paragraphs), on every engine."""
MAX_PITCH_SEMITONES = 12.0
MIN_VOLUME_DB, MAX_VOLUME_DB = -40.0, 20.0
EMPHASIS_LEVELS = ("strong", "moderate", "none", "reduced")
SAY_AS = (
    "characters",
    "spell-out",
    "cardinal",
    "number",
    "ordinal",
    "digits",
    "date",
    "time",
    "telephone",
    "currency",
)
DATE_FORMATS = ("mdy", "dmy", "ymd", "md", "dm", "ym", "my", "y", "m", "d")

_ATTRIBUTES: dict[str, frozenset[str]] = {
    "speak": frozenset({"version", "xmlns", "xml:lang", "xmlns:xsi", "xsi:schemaLocation"}),
    "break": frozenset({"time", "strength"}),
    "prosody": frozenset({"rate", "pitch", "volume"}),
    "emphasis": frozenset({"level"}),
    "say-as": frozenset({"interpret-as", "format", "detail"}),
    "sub": frozenset({"alias"}),
    "phoneme": frozenset({"alphabet", "ph"}),
    "p": frozenset({"xml:lang"}),
    "s": frozenset({"xml:lang"}),
    "lang": frozenset({"xml:lang"}),
}
_TEXT_ONLY = frozenset({"say-as", "sub", "phoneme"})
_LANGUAGE_TAG = re.compile(r"[A-Za-z]{2,3}(?:-[A-Za-z0-9]{1,8})*")
# Anything shaped like a tag (or an entity, in a document that has tags) makes text SSML.
_TAG_LIKE = re.compile(r"<\s*/?\s*[A-Za-z][\w:.-]*\s*(?:/?>|\s[^<>]*>)")
_BARE_AMP = re.compile(r"&(?!#\d+;|#x[0-9A-Fa-f]+;|[A-Za-z][\w.-]*;)")
_BARE_LT = re.compile(r"<(?![A-Za-z_/!?])")
_AMP_STANDIN, _LT_STANDIN = "\ue000", "\ue001"
_ENTITY = re.compile(r"&(#\d+|#x[0-9A-Fa-f]+|amp|lt|gt|quot|apos);")
_ENTITIES = {"amp": "&", "lt": "<", "gt": ">", "quot": '"', "apos": "'"}


class SSMLError(InvalidInput):
    """Malformed SSML: ``tag`` names the element, ``line``/``column`` (1-based) where."""

    def __init__(
        self,
        message: str,
        *,
        field: str | None,
        tag: str | None = None,
        line: int = 0,
        column: int = 0,
        offset: int = 0,
    ) -> None:
        super().__init__(message, field=field)
        self.tag = tag
        self.line = line
        self.column = column
        self.offset = offset


# --- the intermediate representation ---------------------------------------------------------


@dataclass(frozen=True)
class Prosody:
    """Relative to the voice's normal speech: rate as a factor, pitch in semitones, volume in
    dB (``-inf`` is silent). Nested prosody multiplies rates and adds the rest."""

    rate: float = 1.0
    pitch: float = 0.0
    volume: float = 0.0

    def then(self, inner: Prosody) -> Prosody:
        return Prosody(self.rate * inner.rate, self.pitch + inner.pitch, self.volume + inner.volume)

    @property
    def is_neutral(self) -> bool:
        return self.rate == 1.0 and self.pitch == 0.0 and self.volume == 0.0


EMPHASIS_PROSODY = {
    "strong": Prosody(rate=0.85, pitch=1.5, volume=4.0),
    "moderate": Prosody(rate=0.92, pitch=0.75, volume=2.0),
    "none": Prosody(),
    "reduced": Prosody(rate=1.1, pitch=-0.75, volume=-4.0),
}
"""How emphasis is said, the same on every engine (Polly's neural voices have none)."""


@dataclass(frozen=True)
class Style:
    """How a piece of speech is said: prosody, language (None: the voice's) and emphasis."""

    prosody: Prosody = field(default_factory=Prosody)
    language: str | None = None
    emphasis: str | None = None


@dataclass(frozen=True)
class Text:
    """Words to speak. ``written`` is what the script said when the words replace it
    (say-as, sub, a dictionary entry, normalisation); ``verbatim`` text is already words
    and is neither normalised nor looked up in dictionaries again."""

    text: str
    style: Style = field(default_factory=Style)
    written: str | None = None
    verbatim: bool = False


@dataclass(frozen=True)
class Phoneme:
    """A word given by its pronunciation (IPA)."""

    ipa: str
    written: str
    style: Style = field(default_factory=Style)


@dataclass(frozen=True)
class Break:
    """Silence, in milliseconds."""

    ms: int


@dataclass(frozen=True)
class Boundary:
    """A sentence or paragraph edge (``<s>``, ``<p>``); renderers pause there."""

    kind: Literal["sentence", "paragraph"]


Segment = Text | Phoneme | Break | Boundary


@dataclass(frozen=True)
class Document:
    """Parsed speech: segments in order. ``language`` is ``<speak xml:lang>`` if given."""

    segments: tuple[Segment, ...]
    language: str | None = None
    is_ssml: bool = False

    @property
    def text(self) -> str:
        """The words, as plain text (phonemes as their written word); for logs and tests."""
        parts: list[str] = []
        for segment in self.segments:
            if isinstance(segment, Text):
                parts.append(segment.text)
            elif isinstance(segment, Phoneme):
                parts.append(segment.written)
            else:
                parts.append(" ")
        return re.sub(r"\s+", " ", "".join(parts)).strip()

    def word_groups(self) -> list[tuple[str, int]]:
        """Written words with the number of spoken words said for each (see
        :meth:`audiofn.text.normalize.NormalizedText.word_groups`): captions show the left."""
        groups: list[tuple[str, int]] = []
        for segment in self.segments:
            if isinstance(segment, Text):
                if segment.written is None or segment.written == segment.text:
                    groups.extend((word, 1) for word in segment.text.split())
                elif segment.written.strip():
                    groups.append((segment.written.strip(), len(segment.text.split())))
            elif isinstance(segment, Phoneme):
                groups.append((segment.written.strip(), 1))
        return groups


# --- public helpers --------------------------------------------------------------------------


def escape_text(value: str) -> str:
    """Make a value (a listener's name, say) safe to put into script text: it is spoken as
    written and can never become markup, whether or not the script uses SSML."""
    return escape(value, {'"': "&quot;", "'": "&apos;"})


def is_ssml(text: str) -> bool:
    """Does the text use markup (anything shaped like a tag)?"""
    return _TAG_LIKE.search(text) is not None


def validate_ipa(ipa: str) -> str:
    """The IPA string cleaned (NFD, ``'`` and ``:`` as stress and length marks), or
    ValueError naming the first character that is not an IPA symbol."""
    text = unicodedata.normalize("NFD", ipa.strip()).replace("'", "ˈ").replace(":", "ː")
    if not text:
        raise ValueError("empty pronunciation")
    for char in text:
        if not _is_ipa(char):
            raise ValueError(f"{char!r} (U+{ord(char):04X}) is not an IPA symbol")
    return re.sub(r"\s+", " ", text)


_IPA_EXTRA = set("æçðøħŋœβθχεɡᵻⱱˈˌːˑ.|‖‿ ")


def _is_ipa(char: str) -> bool:
    code = ord(char)
    return (
        "a" <= char <= "z"
        or 0x0250 <= code <= 0x02FF  # IPA extensions, spacing modifier letters
        or 0x0300 <= code <= 0x036F  # combining diacritics (tie bar included)
        or 0x1D00 <= code <= 0x1DBF  # phonetic extensions
        or char in _IPA_EXTRA
    )


# --- parsing ---------------------------------------------------------------------------------


@dataclass
class _Frame:
    tag: str
    style: Style
    line: int
    column: int
    offset: int
    attrs: dict[str, str]
    text: list[str] = field(default_factory=list)


class _Parser:
    def __init__(self, source: str, field_name: str, language: str, wrapped: bool) -> None:
        self.field = field_name
        self.source = source
        self.language = language
        self.wrapped = wrapped
        self.prefix = "<speak>" if wrapped else ""
        prepared = source.replace(_AMP_STANDIN, " ").replace(_LT_STANDIN, " ")
        prepared = _BARE_AMP.sub(_AMP_STANDIN, prepared)
        prepared = _BARE_LT.sub(_LT_STANDIN, prepared)
        self.document_text = self.prefix + prepared + ("</speak>" if wrapped else "")
        self.encoded = self.document_text.encode("utf-8")
        self.stack: list[_Frame] = []
        self.segments: list[Segment] = []
        self.break_total_ms = 0
        self.root_language: str | None = None
        self.seen_root = False
        self.parser = xml.parsers.expat.ParserCreate("utf-8")
        self.parser.StartElementHandler = self.start
        self.parser.EndElementHandler = self.end
        self.parser.CharacterDataHandler = self.data
        self.parser.StartDoctypeDeclHandler = self.refuse_doctype
        self.parser.EntityDeclHandler = self.refuse_doctype
        self.parser.ProcessingInstructionHandler = None

    # positions ----------------------------------------------------------------------------

    def _offset(self, byte_index: int) -> int:
        chars = len(self.encoded[: max(byte_index, 0)].decode("utf-8", errors="ignore"))
        return min(max(chars - len(self.prefix), 0), len(self.source))

    def _line_col(self, offset: int) -> tuple[int, int]:
        before = self.source[:offset]
        line = before.count("\n") + 1
        column = offset - (before.rfind("\n") + 1) + 1
        return line, column

    def where(self, offset: int) -> str:
        line, column = self._line_col(offset)
        return f"line {line}, column {column}"

    def fail(self, message: str, tag: str | None, offset: int) -> SSMLError:
        line, column = self._line_col(offset)
        return SSMLError(
            f"{self.field}: invalid SSML at line {line}, column {column}: {message}",
            field=self.field,
            tag=tag,
            line=line,
            column=column,
            offset=offset,
        )

    def here(self) -> int:
        return self._offset(self.parser.CurrentByteIndex)

    # handlers -------------------------------------------------------------------------------

    def refuse_doctype(self, *args: object) -> None:
        raise self.fail("document type declarations and entities are not allowed", None, 0)

    def style(self) -> Style:
        return self.stack[-1].style if self.stack else Style(language=None)

    def start(self, tag: str, attrs: dict[str, str]) -> None:
        offset = self.here()
        if self.stack and self.stack[-1].tag in _TEXT_ONLY:
            parent = self.stack[-1].tag
            raise self.fail(f"<{tag}> is not allowed inside <{parent}> (text only)", tag, offset)
        if tag not in _ATTRIBUTES:
            supported = ", ".join(f"<{name}>" for name in _ATTRIBUTES)
            raise self.fail(f"unknown tag <{tag}>; supported: {supported}", tag, offset)
        if tag == "speak":
            if self.stack:
                raise self.fail("<speak> must be the outermost tag, and only once", tag, offset)
            self.seen_root = True
        elif not self.stack:
            raise self.fail(f"<{tag}> must be inside <speak>", tag, offset)
        allowed = _ATTRIBUTES[tag]
        for name in attrs:
            if name not in allowed and not name.startswith("xmlns"):
                expected = ", ".join(sorted(allowed)) or "none"
                raise self.fail(
                    f"<{tag}> has an unknown attribute '{name}' (allowed: {expected})",
                    tag,
                    offset,
                )
        style = self.element_style(tag, attrs, offset)
        line, column = self._line_col(offset)
        self.stack.append(_Frame(tag, style, line, column, offset, dict(attrs)))

    def element_style(self, tag: str, attrs: dict[str, str], offset: int) -> Style:
        """Check the element's attributes; the style its content is spoken in."""
        style = self.style()
        if "xml:lang" in attrs:
            language = attrs["xml:lang"].strip()
            if not _LANGUAGE_TAG.fullmatch(language):
                raise self.fail(
                    f"<{tag}> xml:lang '{attrs['xml:lang']}' is not a language tag like 'en-GB'",
                    tag,
                    offset,
                )
            style = replace(style, language=language)
            if tag == "speak":
                self.root_language = language
        elif tag == "lang":
            raise self.fail("<lang> needs an xml:lang attribute", tag, offset)
        if tag == "prosody":
            style = replace(style, prosody=style.prosody.then(self.prosody(attrs, offset)))
        elif tag == "emphasis":
            level = attrs.get("level", "moderate").strip()
            if level not in EMPHASIS_LEVELS:
                raise self.bad_value(tag, "level", level, ", ".join(EMPHASIS_LEVELS), offset)
            style = replace(style, emphasis=level)
        elif tag == "break":
            pause = self.break_ms(attrs, offset)
            self.segments.append(Break(pause))
            self.break_total_ms += pause
            if self.break_total_ms > MAX_TOTAL_BREAK_MS:
                raise self.fail(
                    f"<break>s add up to more than {MAX_TOTAL_BREAK_MS // 1000}s "
                    "(the limit of one text or section)",
                    "break",
                    offset,
                )
        elif tag in ("p", "s"):
            self.segments.append(Boundary("paragraph" if tag == "p" else "sentence"))
        elif tag == "say-as":
            kind = attrs.get("interpret-as", "").strip()
            if kind not in SAY_AS:
                raise self.bad_value(tag, "interpret-as", kind, ", ".join(SAY_AS), offset)
            date_format = attrs.get("format", "").strip().lower()
            if date_format and kind == "date" and date_format not in DATE_FORMATS:
                raise self.bad_value(tag, "format", date_format, ", ".join(DATE_FORMATS), offset)
        elif tag == "sub":
            if not attrs.get("alias", "").strip():
                raise self.fail("<sub> needs a non-empty alias attribute", tag, offset)
        elif tag == "phoneme":
            alphabet = attrs.get("alphabet", "ipa").strip().lower()
            if alphabet not in ("ipa", "x-ipa"):
                raise self.bad_value(tag, "alphabet", alphabet, "ipa", offset)
            if "ph" not in attrs:
                raise self.fail("<phoneme> needs a ph attribute", tag, offset)
            try:
                validate_ipa(attrs["ph"])
            except ValueError as error:
                raise self.fail(f"<phoneme> ph '{attrs['ph']}': {error}", tag, offset) from None
        return style

    def end(self, tag: str) -> None:
        frame = self.stack.pop()
        content = "".join(frame.text)
        if tag in ("p", "s"):
            self.segments.append(Boundary("paragraph" if tag == "p" else "sentence"))
        elif tag == "say-as":
            self.segments.append(self.say_as(frame, content))
        elif tag == "sub":
            self.segments.append(
                Text(
                    frame.attrs["alias"].strip(),
                    frame.style,
                    written=content.strip(),
                    verbatim=True,
                )
            )
        elif tag == "phoneme":
            ipa = validate_ipa(frame.attrs["ph"])
            self.segments.append(Phoneme(ipa, content.strip() or ipa, frame.style))

    def data(self, text: str) -> None:
        text = text.replace(_AMP_STANDIN, "&").replace(_LT_STANDIN, "<")
        if self.stack and self.stack[-1].tag in _TEXT_ONLY:
            self.stack[-1].text.append(text)
            return
        if not self.stack:
            return
        last = self.segments[-1] if self.segments else None
        style = self.style()
        if isinstance(last, Text) and last.style == style and last.written is None:
            self.segments[-1] = Text(last.text + text, style)
        else:
            self.segments.append(Text(text, style))

    # attribute values -----------------------------------------------------------------------

    def bad_value(self, tag: str, name: str, value: str, expected: str, offset: int) -> SSMLError:
        return self.fail(
            f"<{tag}> {name}='{value}' is not valid (expected {expected})", tag, offset
        )

    def break_ms(self, attrs: dict[str, str], offset: int) -> int:
        if "time" in attrs:
            value = attrs["time"].strip()
            match = re.fullmatch(r"(\d+(?:\.\d+)?|\.\d+)\s*(ms|s)", value, re.IGNORECASE)
            if not match:
                raise self.bad_value("break", "time", value, "e.g. 500ms or 1.5s", offset)
            amount = float(match.group(1)) * (1 if match.group(2).lower() == "ms" else 1000)
            if amount > MAX_BREAK_MS:
                raise self.fail(
                    f"<break> time='{value}' is longer than the {MAX_BREAK_MS // 1000}s limit",
                    "break",
                    offset,
                )
            return round(amount)
        strength = attrs.get("strength", "medium").strip()
        if strength not in BREAK_STRENGTH_MS:
            raise self.bad_value(
                "break", "strength", strength, ", ".join(BREAK_STRENGTH_MS), offset
            )
        return BREAK_STRENGTH_MS[strength]

    def prosody(self, attrs: dict[str, str], offset: int) -> Prosody:
        rate, pitch, volume = 1.0, 0.0, 0.0
        if "rate" in attrs:
            value = attrs["rate"].strip()
            parsed = _parse_rate(value)
            if parsed is None or not MIN_RATE <= parsed <= MAX_RATE:
                raise self.bad_value(
                    "prosody",
                    "rate",
                    value,
                    "x-slow, slow, medium, fast, x-fast, a percentage from 20% to 400%, "
                    "+N% / -N%, or a factor like 1.2",
                    offset,
                )
            rate = parsed
        if "pitch" in attrs:
            value = attrs["pitch"].strip()
            parsed = _parse_pitch(value)
            if parsed is None or abs(parsed) > MAX_PITCH_SEMITONES:
                raise self.bad_value(
                    "prosody",
                    "pitch",
                    value,
                    "x-low, low, medium, high, x-high, +N% / -N% or +Nst / -Nst "
                    f"within {MAX_PITCH_SEMITONES:g} semitones",
                    offset,
                )
            pitch = parsed
        if "volume" in attrs:
            value = attrs["volume"].strip()
            parsed = _parse_volume(value)
            if parsed is None or not (
                parsed == -math.inf or MIN_VOLUME_DB <= parsed <= MAX_VOLUME_DB
            ):
                raise self.bad_value(
                    "prosody",
                    "volume",
                    value,
                    "silent, x-soft, soft, medium, loud, x-loud or +NdB / -NdB "
                    f"({MIN_VOLUME_DB:g} to +{MAX_VOLUME_DB:g})",
                    offset,
                )
            volume = parsed
        return Prosody(rate, pitch, volume)

    def say_as(self, frame: _Frame, content: str) -> Text:
        kind = frame.attrs["interpret-as"].strip()
        language = (frame.style.language or self.language).lower()
        value = content.strip()
        try:
            spoken = _say_as(kind, value, frame.attrs.get("format", "").strip().lower(), language)
        except ValueError as error:
            line, column = frame.line, frame.column
            raise SSMLError(
                f"{self.field}: invalid SSML at line {line}, column {column}: "
                f"<say-as interpret-as='{kind}'> cannot read '{value}': {error}",
                field=self.field,
                tag="say-as",
                line=line,
                column=column,
                offset=frame.offset,
            ) from None
        return Text(spoken, frame.style, written=value, verbatim=True)

    # driving --------------------------------------------------------------------------------

    def parse(self) -> Document:
        try:
            self.parser.Parse(self.encoded, True)
        except xml.parsers.expat.ExpatError as error:
            raise self.explain(error) from None
        if not self.seen_root:
            raise self.fail("the document has no <speak> element", None, 0)
        return Document(tuple(self.segments), self.root_language, is_ssml=True)

    def explain(self, error: xml.parsers.expat.ExpatError) -> SSMLError:
        message = xml.parsers.expat.errors.messages[error.code]
        offset = self._offset(self.parser.ErrorByteIndex)
        errors = xml.parsers.expat.errors
        open_tags = [frame for frame in self.stack if not (self.wrapped and frame.tag == "speak")]
        if open_tags and (
            offset >= len(self.source)
            or message in (errors.XML_ERROR_NO_ELEMENTS, errors.XML_ERROR_UNCLOSED_TOKEN)
        ):
            frame = open_tags[-1]
            return self.fail(
                f"<{frame.tag}> opened at line {frame.line}, column {frame.column} is never closed",
                frame.tag,
                frame.offset,
            )
        if message == errors.XML_ERROR_TAG_MISMATCH:
            start = self.source.rfind("</", 0, offset + 1)
            offset = start if start >= 0 else offset
            closing = re.match(r"</\s*([^\s>]+)", self.source[offset:])
            name = closing.group(1) if closing else "?"
            if open_tags:
                frame = open_tags[-1]
                return self.fail(
                    f"</{name}> does not close <{frame.tag}> opened at "
                    f"line {frame.line}, column {frame.column}",
                    frame.tag,
                    offset,
                )
            return self.fail(f"</{name}> closes a tag that was never opened", name, offset)
        if message in (errors.XML_ERROR_NO_ELEMENTS, errors.XML_ERROR_UNCLOSED_TOKEN):
            snippet = self.source[offset : offset + 20]
            return self.fail(f"unfinished tag near '{snippet}'", None, offset)
        if message == errors.XML_ERROR_UNDEFINED_ENTITY:
            entity = re.match(r"&[^;\s]*;?", self.source[offset:])
            name = entity.group(0) if entity else "&"
            return self.fail(
                f"unknown entity {name} (only &amp; &lt; &gt; &quot; &apos; are known)",
                None,
                offset,
            )
        tag = open_tags[-1].tag if open_tags else None
        return self.fail(message, tag, offset)


def _parse_rate(value: str) -> float | None:
    if value in RATE_NAMES:
        return RATE_NAMES[value]
    match = re.fullmatch(r"([+-]?)(\d+(?:\.\d+)?)%", value)
    if match:
        amount = float(match.group(2)) / 100
        if match.group(1) == "+":
            return 1 + amount
        if match.group(1) == "-":
            return 1 - amount
        return amount
    if re.fullmatch(r"\d+(?:\.\d+)?", value):
        return float(value)
    return None


def _parse_pitch(value: str) -> float | None:
    if value in PITCH_NAMES:
        return PITCH_NAMES[value]
    match = re.fullmatch(r"([+-])(\d+(?:\.\d+)?)(%|st)", value)
    if not match:
        return None
    amount = float(match.group(2)) * (1 if match.group(1) == "+" else -1)
    if match.group(3) == "st":
        return amount
    if amount <= -100:
        return None
    return 12 * math.log2(1 + amount / 100)


def _parse_volume(value: str) -> float | None:
    if value in VOLUME_NAMES:
        return VOLUME_NAMES[value]
    match = re.fullmatch(r"([+-]?)(\d+(?:\.\d+)?)dB", value)
    if not match:
        return None
    return float(match.group(2)) * (-1 if match.group(1) == "-" else 1)


def _unescape(text: str) -> str:
    def one(match: re.Match[str]) -> str:
        name = match.group(1)
        if name.startswith("#x"):
            return chr(int(name[2:], 16))
        if name.startswith("#"):
            return chr(int(name[1:]))
        return _ENTITIES[name]

    return _ENTITY.sub(one, text)


def parse_ssml(text: str, *, field: str = "text", language: str = "en") -> Document:
    """Parse script text (SSML, SSML tags without ``<speak>``, or plain text) into a Document.

    ``language`` is the voice's (it decides how say-as content is read when no ``xml:lang``
    says otherwise). Raises :class:`SSMLError` for malformed markup.
    """
    stripped = text.strip()
    declaration = re.search(r"<!\s*(DOCTYPE|ENTITY)", text, re.IGNORECASE)
    if declaration:
        before = text[: declaration.start()]
        line = before.count("\n") + 1
        column = declaration.start() - (before.rfind("\n") + 1) + 1
        raise SSMLError(
            f"{field}: invalid SSML at line {line}, column {column}: "
            "document type declarations and entities are not allowed",
            field=field,
            line=line,
            column=column,
            offset=declaration.start(),
        )
    if not is_ssml(stripped) and not stripped.startswith("<speak"):
        plain = _unescape(text)
        return Document((Text(plain),) if plain.strip() else ())
    starts_with_root = re.match(r"(?:<\?xml[^>]*\?>\s*)?<speak[\s>/]", stripped) is not None
    if starts_with_root:
        lead = len(text) - len(text.lstrip())
        parser = _Parser(text[lead:], field, language, wrapped=False)
        try:
            return parser.parse()
        except SSMLError as error:
            # Report positions in the text as given, leading whitespace included.
            raise _shift(error, text, lead) from None
    return _Parser(text, field, language, wrapped=True).parse()


def _shift(error: SSMLError, text: str, lead: int) -> SSMLError:
    if not lead:
        return error
    offset = error.offset + lead
    before = text[:offset]
    line = before.count("\n") + 1
    column = offset - (before.rfind("\n") + 1) + 1
    message = re.sub(
        r"at line \d+, column \d+:", f"at line {line}, column {column}:", error.message, count=1
    )
    return SSMLError(
        message, field=error.field, tag=error.tag, line=line, column=column, offset=offset
    )


# --- say-as ----------------------------------------------------------------------------------


def _say_as(kind: str, value: str, date_format: str, language: str) -> str:
    if not value:
        raise ValueError("it is empty")
    english = language.startswith("en")
    if kind in ("characters", "spell-out"):
        return tn.spell_characters(value, language)
    if kind in ("cardinal", "number"):
        number = value.replace(" ", "")
        if not re.fullmatch(r"[+-]?(\d{1,3}(,\d{3})+|\d+)(\.\d+)?", number):
            raise ValueError("not a number")
        return tn.decimal(number, language) if "." in number else tn.cardinal(number, language)
    if kind == "ordinal":
        if not re.fullmatch(r"(\d{1,3}(,\d{3})+|\d+)(st|nd|rd|th|\.)?", value):
            raise ValueError("not an ordinal number")
        return tn.ordinal(value, language)
    if kind == "digits":
        if not re.fullmatch(r"[\d\s.,-]+", value) or not re.search(r"\d", value):
            raise ValueError("not a string of digits")
        return tn.digits(value, language)
    if kind == "telephone":
        if not re.fullmatch(r"[\d\s()+.-]+", value) or not re.search(r"\d", value):
            raise ValueError("not a telephone number")
        return tn.say_telephone(value) if english else tn.digits(value, language)
    if not english:
        spoken = tn.normalize_text(value, language)
        if spoken == value and re.search(r"\d", value):
            raise ValueError(f"no reading for {kind} in language {language!r}")
        return spoken
    if kind == "date":
        return _say_date(value, date_format)
    if kind == "time":
        return _say_time(value)
    # currency
    normalized = tn.normalize(value)
    spans = [span for span in normalized.spans if span.changed]
    if (
        len(spans) != 1
        or spans[0].written.strip() != value
        or not re.search(
            r"dollar|euro|pound|yen|rupee|cent|pence|penn|franc|won|ruble|kopek|pais",
            spans[0].spoken,
        )
    ):
        raise ValueError("not an amount of money like $4.20 or €1,250.50")
    return normalized.text.strip()


def _say_date(value: str, date_format: str) -> str:
    parts = [part for part in re.split(r"[\s/.,-]+", value) if part]
    if not date_format:
        spoken = tn.normalize(value)
        changed = [span for span in spoken.spans if span.changed]
        if len(changed) == 1 and changed[0].written.strip() == value:
            return spoken.text.strip()
        date_format = {3: "mdy", 2: "md", 1: "y"}.get(len(parts), "")
        if len(parts) == 3 and len(parts[0]) == 4:
            date_format = "ymd"
    if len(parts) != len(date_format):
        raise ValueError(f"expected {len(date_format)} parts for format '{date_format}'")
    fields: dict[str, int] = {}
    for letter, raw in zip(date_format, parts, strict=True):
        part = re.sub(r"(?i)(st|nd|rd|th)$", "", raw)
        if letter == "m" and not part.isdigit():
            month = tn._MONTH_BY_PREFIX.get(part[:3].lower())
            if month is None:
                raise ValueError(f"'{part}' is not a month")
            fields["m"] = month
        elif part.isdigit():
            fields[letter] = tn._full_year(part) if letter == "y" else int(part)
        else:
            raise ValueError(f"'{part}' is not a number")
    day_first = (
        "d" in date_format
        and "m" in date_format
        and date_format.index("d") < (date_format.index("m"))
    )
    style = "dm" if day_first else "md"
    return tn.say_date(fields.get("y"), fields.get("m"), fields.get("d"), style)


def _say_time(value: str) -> str:
    duration = re.fullmatch(r"(?:(\d+)')?\s*(?:(\d+)\")?", value)
    if duration and value:
        minutes, seconds = duration.group(1), duration.group(2)
        parts = []
        if minutes:
            parts.append(f"{tn.cardinal(minutes)} {'minute' if minutes == '1' else 'minutes'}")
        if seconds:
            parts.append(f"{tn.cardinal(seconds)} {'second' if seconds == '1' else 'seconds'}")
        return " ".join(parts)
    match = re.fullmatch(
        r"(\d{1,2})(?:[:.](\d{2}))?(?::(\d{2}))?\s*([AaPp]\.?\s?[Mm]\.?)?", value.strip()
    )
    if not match or (match.group(2) is None and match.group(4) is None):
        raise ValueError("not a time like 10:30, 10:30am or 1'21\"")
    second = int(match.group(3)) if match.group(3) else None
    return tn.say_time(int(match.group(1)), int(match.group(2) or 0), second, match.group(4))


# --- serialising -----------------------------------------------------------------------------


def effective_prosody(style: Style) -> Prosody:
    """The style's prosody with its emphasis folded in: every engine says emphasis the same
    way (slower, louder, a little higher), whether or not it has an emphasis of its own."""
    if style.emphasis in (None, "none"):
        return style.prosody
    return style.prosody.then(EMPHASIS_PROSODY[style.emphasis or "none"])


@dataclass(frozen=True)
class Run:
    """Consecutive words in one style: what a renderer synthesises in one go."""

    style: Style
    segments: tuple[Text | Phoneme, ...]

    @property
    def text(self) -> str:
        return "".join(s.text if isinstance(s, Text) else s.written for s in self.segments)


def speech_items(document: Document) -> list[Run | Break]:
    """The document as runs and pauses, ready to render.

    Whitespace-only text is dropped; a boundary becomes a pause (sentence or paragraph)
    unless it is at the very start or end; pauses that meet merge: explicit breaks add up
    and replace boundary pauses, otherwise the longest boundary pause wins.
    """
    items: list[Run | Break] = []
    current: list[Text | Phoneme] = []
    style: Style | None = None
    pause_breaks: list[int] = []
    pause_bounds: list[int] = []

    def flush_run() -> None:
        nonlocal current
        if current and any(isinstance(s, Phoneme) or s.text.strip() for s in current):
            assert style is not None
            items.append(Run(style, tuple(current)))
        current = []

    def flush_pause() -> None:
        if pause_breaks:
            items.append(Break(sum(pause_breaks)))
        elif pause_bounds and items:
            items.append(Break(max(pause_bounds)))
        pause_breaks.clear()
        pause_bounds.clear()

    for segment in document.segments:
        if isinstance(segment, Break | Boundary):
            flush_run()
            if isinstance(segment, Break):
                pause_breaks.append(segment.ms)
            else:
                pause_bounds.append(
                    PARAGRAPH_PAUSE_MS if segment.kind == "paragraph" else SENTENCE_PAUSE_MS
                )
            continue
        if isinstance(segment, Text) and not segment.text.strip() and not current:
            continue
        if pause_breaks or pause_bounds:
            flush_pause()
        if current and segment.style != style:
            flush_run()
        style = segment.style
        current.append(segment)
    flush_run()
    if pause_breaks:
        items.append(Break(sum(pause_breaks)))
    return [item for item in items if not (isinstance(item, Break) and item.ms <= 0)]


def _prosody_attributes(prosody: Prosody) -> dict[str, str]:
    attributes: dict[str, str] = {}
    if prosody.rate != 1.0:
        attributes["rate"] = f"{round(prosody.rate * 100)}%"
    if prosody.pitch:
        percent = (2 ** (prosody.pitch / 12) - 1) * 100
        attributes["pitch"] = f"{percent:+.0f}%"
    if prosody.volume == -math.inf:
        attributes["volume"] = "silent"
    elif prosody.volume:
        attributes["volume"] = f"{prosody.volume:+.1f}dB"
    return attributes


def to_ssml(
    document: Document,
    *,
    prosody: Prosody | None = None,
    markup: bool = True,
) -> str:
    """The document as ``<speak>`` SSML: what Polly is sent.

    Pauses (breaks, and the sentence/paragraph pauses boundaries make) become ``<break>``s
    of the same length every renderer uses; emphasis becomes prosody (Polly's neural voices
    have no ``<emphasis>``); ``prosody`` (the request's speed, say) applies to everything.
    With ``markup=False`` only breaks and phonemes are kept: the preview of what is said.
    """
    body: list[str] = []
    for item in speech_items(document):
        if isinstance(item, Break):
            body.append(f' <break time="{item.ms}ms"/> ')
            continue
        inner = []
        for segment in item.segments:
            if isinstance(segment, Text):
                inner.append(escape(segment.text))
            else:
                inner.append(
                    f'<phoneme alphabet="ipa" ph={quoteattr(segment.ipa)}>'
                    f"{escape(segment.written)}</phoneme>"
                )
        joined = "".join(inner)
        chunk = joined.strip()
        lead, trail = joined[: len(joined) - len(joined.lstrip())], joined[len(joined.rstrip()) :]
        effective = effective_prosody(item.style)
        if prosody is not None:
            effective = prosody.then(effective)
        attributes = _prosody_attributes(effective)
        if attributes and markup:
            rendered = " ".join(f"{key}={quoteattr(value)}" for key, value in attributes.items())
            chunk = f"<prosody {rendered}>{chunk}</prosody>"
        language = item.style.language
        if language and language != document.language and markup:
            chunk = f'<lang xml:lang="{language}">{chunk}</lang>'
        body.append(lead + chunk + trail)
    text = re.sub(r"\s+", " ", "".join(body)).strip()
    if not markup:
        return text
    language = f' xml:lang="{document.language}"' if document.language else ""
    return f"<speak{language}>{text}</speak>"
