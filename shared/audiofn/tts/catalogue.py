"""The voice catalogue: which voices exist, which are usable now, and how names resolve.

Pure Python on purpose: the API function lists voices on every cold start, so this module
must not import numpy or any engine.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass

DEFAULT_VOICE_ID = "joe"

PROVIDER_FULL_NAMES = {
    "piper": "piper (rhasspy)",
    "kokoro": "kokoro-82m (hexgrad)",
    "espeak": "espeak ng",
    "polly": "amazon polly",
    "openai": "openai-compatible upstream",
}
# Spellings users reach for when they mean a provider's short name.
_PROVIDER_SYNONYMS = {"aws": "polly", "amazon": "polly", "espeak-ng": "espeak"}
# Macrolanguage subtags that mean the same spoken language as our catalogue's subtag.
_LANGUAGE_SUBTAGS = {"zh": "cmn", "no": "nb"}


@dataclass(frozen=True)
class Voice:
    """One speakable voice: the id users pass, how to describe it, and what the engine needs."""

    id: str
    provider: str
    provider_full_name: str
    language: str
    language_code: str
    accent: str
    gender: str
    age_bracket: str
    tags: tuple[str, ...]
    industry_examples: tuple[str, ...]
    description: str
    engine_voice: str
    neural: bool
    aliases: tuple[str, ...] = ()
    grade: str = ""
    """The model card's quality grade (A best .. F), where it gives one."""

    @property
    def language_subtag(self) -> str:
        """The language part of the code ("en" for "en-GB"), macrolanguages folded."""
        return _language_subtag(self.language_code)

    def to_api(self) -> dict[str, str]:
        """The api.audio wire shape of a voice (GET /voice)."""
        return {
            "voiceName": self.id,
            "provider": self.provider,
            "providerFullName": self.provider_full_name,
            "language": self.language,
            "languageCode": self.language_code,
            "accent": self.accent,
            "gender": self.gender,
            "ageBracket": self.age_bracket,
            "tags": ", ".join(self.tags),
            "industryExamples": ", ".join(self.industry_examples),
            "description": self.description,
            "qualityGrade": self.grade,
        }


class UnknownVoice(ValueError):
    """No available voice (nor a stand-in for it) answers to this name."""

    def __init__(self, name: str) -> None:
        super().__init__(
            f"unknown voice {name!r}: GET /voice lists the voices available on this deployment"
        )
        self.name = name


def _language_subtag(code: str) -> str:
    subtag = code.split("-", 1)[0].lower()
    return _LANGUAGE_SUBTAGS.get(subtag, subtag)


# --- Piper -------------------------------------------------------------------------------

_PIPER = (
    Voice(
        id="joe",
        provider="piper",
        provider_full_name=PROVIDER_FULL_NAMES["piper"],
        language="english",
        language_code="en-US",
        accent="american",
        gender="male",
        age_bracket="adult",
        tags=("natural", "warm", "conversational", "clear"),
        industry_examples=("podcasts", "e-learning", "advertising", "audiobooks", "news"),
        description="Warm, natural American male narrator; neural, runs locally on the CPU.",
        engine_voice="en_US-joe-medium",
        neural=True,
        aliases=("en_US-joe-medium", "default"),
    ),
)

# --- Kokoro-82M --------------------------------------------------------------------------


def _kokoro_voices() -> tuple[Voice, ...]:
    from audiofn.tts.kokoro_voices import KOKORO_VOICE_DATA, LANGUAGE_NAMES

    voices = []
    for voice_id, name, code, accent, gender, grade, character in KOKORO_VOICE_DATA:
        language = LANGUAGE_NAMES[code.split("-", 1)[0]]
        graded = f"grade {grade}" if grade else "ungraded"
        voices.append(
            Voice(
                id=voice_id,
                provider="kokoro",
                provider_full_name=PROVIDER_FULL_NAMES["kokoro"],
                language=language,
                language_code=code,
                accent=accent,
                gender=gender,
                age_bracket="senior" if character else "adult",
                tags=("natural", "expressive", "character") if character else ("natural", "clear"),
                industry_examples=(
                    ("games", "advertising")
                    if character
                    else ("podcasts", "e-learning", "audiobooks", "advertising")
                ),
                description=(
                    f"{name}: {language.capitalize()} ({accent}) {gender} voice of Kokoro-82M "
                    f"({graded}); neural, runs locally on the CPU."
                ),
                engine_voice=voice_id,
                neural=True,
                grade=grade,
            )
        )
    return tuple(voices)


_KOKORO = _kokoro_voices()

# --- eSpeak NG ---------------------------------------------------------------------------

# (id part, language, BCP-47 code, accent, espeak-ng voice name)
_ESPEAK_LANGUAGES = (
    ("en-us", "english", "en-US", "american", "en-us"),
    ("en-gb", "english", "en-GB", "british", "en"),
    ("es", "spanish", "es-ES", "castilian", "es"),
    ("es-419", "spanish", "es-419", "latin american", "es-419"),
    ("fr", "french", "fr-FR", "parisian", "fr"),
    ("de", "german", "de-DE", "neutral", "de"),
    ("it", "italian", "it-IT", "neutral", "it"),
    ("pt-br", "portuguese", "pt-BR", "brazilian", "pt-br"),
    ("pt", "portuguese", "pt-PT", "european", "pt"),
    ("nl", "dutch", "nl-NL", "neutral", "nl"),
    ("pl", "polish", "pl-PL", "neutral", "pl"),
    ("sv", "swedish", "sv-SE", "neutral", "sv"),
    ("da", "danish", "da-DK", "neutral", "da"),
    ("nb", "norwegian", "nb-NO", "neutral", "nb"),
    ("fi", "finnish", "fi-FI", "neutral", "fi"),
    ("el", "greek", "el-GR", "neutral", "el"),
    ("cs", "czech", "cs-CZ", "neutral", "cs"),
    ("sk", "slovak", "sk-SK", "neutral", "sk"),
    ("hu", "hungarian", "hu-HU", "neutral", "hu"),
    ("ro", "romanian", "ro-RO", "neutral", "ro"),
    ("bg", "bulgarian", "bg-BG", "neutral", "bg"),
    ("uk", "ukrainian", "uk-UA", "neutral", "uk"),
    ("ru", "russian", "ru-RU", "neutral", "ru"),
    ("tr", "turkish", "tr-TR", "neutral", "tr"),
    ("az", "azerbaijani", "az-AZ", "neutral", "az"),
    ("ar", "arabic", "ar-SA", "modern standard", "ar"),
    ("he", "hebrew", "he-IL", "neutral", "he"),
    ("fa", "persian", "fa-IR", "neutral", "fa"),
    ("hi", "hindi", "hi-IN", "neutral", "hi"),
    ("id", "indonesian", "id-ID", "neutral", "id"),
    ("vi", "vietnamese", "vi-VN", "northern", "vi"),
    ("ja", "japanese", "ja-JP", "neutral", "ja"),
    ("ko", "korean", "ko-KR", "neutral", "ko"),
    ("cmn", "mandarin", "cmn-CN", "neutral", "cmn"),
)
# eSpeak variants: m3/f3 are its clearest adult voices; grandpa/grandma add age and wobble.
_ESPEAK_STYLES = {
    ("male", "adult"): ("m3", ("clear", "steady", "robotic", "fast", "lightweight")),
    ("female", "adult"): ("f3", ("clear", "bright", "robotic", "fast", "lightweight")),
    ("male", "senior"): ("grandpa", ("elderly", "shaky", "robotic", "character")),
    ("female", "senior"): ("grandma", ("elderly", "shaky", "robotic", "character")),
}
_ESPEAK_INDUSTRIES = ("accessibility", "ivr", "announcements", "prototyping")


def _espeak_voice(row: tuple[str, str, str, str, str], gender: str, age: str = "adult") -> Voice:
    key, language, code, accent, base = row
    variant, tags = _ESPEAK_STYLES[(gender, age)]
    suffix = gender if age == "adult" else f"{age}-{gender}"
    who = "elderly " if age == "senior" else ""
    return Voice(
        id=f"espeak-{key}-{suffix}",
        provider="espeak",
        provider_full_name=PROVIDER_FULL_NAMES["espeak"],
        language=language,
        language_code=code,
        accent=accent,
        gender=gender,
        age_bracket=age,
        tags=tags,
        industry_examples=_ESPEAK_INDUSTRIES,
        description=(
            f"{language.capitalize()} ({accent}) {who}{gender} voice from eSpeak NG's formant "
            "synthesiser: robotic but clear and very fast, always available offline."
        ),
        engine_voice=f"{base}+{variant}",
        neural=False,
    )


_ESPEAK = tuple(
    _espeak_voice(language, gender)
    for language in _ESPEAK_LANGUAGES
    for gender in ("male", "female")
) + tuple(  # US English also gets elderly voices, so ageBracket=senior finds something offline.
    _espeak_voice(_ESPEAK_LANGUAGES[0], gender, "senior") for gender in ("male", "female")
)

# --- Amazon Polly ------------------------------------------------------------------------

# (VoiceId, language, code, accent, gender, age, neural, tags, industries, aliases)
_PollyRow = tuple[
    str, str, str, str, str, str, bool, tuple[str, ...], tuple[str, ...], tuple[str, ...]
]
_POLLY_DATA: tuple[_PollyRow, ...] = (
    ("Joanna", "english", "en-US", "american", "female", "adult", True,
     ("natural", "friendly", "clear"), ("e-learning", "customer service", "advertising"), ()),
    ("Matthew", "english", "en-US", "american", "male", "adult", True,
     ("natural", "confident", "clear"), ("news", "corporate", "podcasts"), ()),
    ("Amy", "english", "en-GB", "british", "female", "adult", True,
     ("natural", "polished", "clear"), ("audiobooks", "e-learning", "news"), ()),
    ("Brian", "english", "en-GB", "british", "male", "adult", True,
     ("natural", "authoritative", "steady"), ("news", "documentary", "corporate"), ()),
    ("Emma", "english", "en-GB", "british", "female", "adult", True,
     ("natural", "calm", "warm"), ("audiobooks", "meditation", "e-learning"), ()),
    ("Ivy", "english", "en-US", "american", "female", "child", True,
     ("natural", "young", "playful"), ("games", "education", "children's content"), ()),
    ("Justin", "english", "en-US", "american", "male", "child", True,
     ("natural", "young", "playful"), ("games", "education", "children's content"), ()),
    ("Kendra", "english", "en-US", "american", "female", "adult", True,
     ("natural", "professional", "steady"), ("ivr", "customer service", "corporate"), ()),
    ("Kimberly", "english", "en-US", "american", "female", "adult", True,
     ("natural", "upbeat", "friendly"), ("advertising", "retail", "social media"), ()),
    ("Salli", "english", "en-US", "american", "female", "adult", True,
     ("natural", "soft", "warm"), ("e-learning", "wellness", "audiobooks"), ()),
    ("Joey", "english", "en-US", "american", "male", "adult", True,
     ("natural", "casual", "friendly"), ("podcasts", "advertising", "social media"), ()),
    ("Kevin", "english", "en-US", "american", "male", "child", True,
     ("natural", "young", "energetic"), ("games", "education", "children's content"), ()),
    ("Ruth", "english", "en-US", "american", "female", "adult", True,
     ("natural", "expressive", "warm"), ("audiobooks", "podcasts", "advertising"), ()),
    ("Stephen", "english", "en-US", "american", "male", "adult", True,
     ("natural", "expressive", "confident"), ("advertising", "podcasts", "news"), ()),
    ("Olivia", "english", "en-AU", "australian", "female", "adult", True,
     ("natural", "friendly", "bright"), ("advertising", "travel", "e-learning"), ()),
    ("Aria", "english", "en-NZ", "new zealand", "female", "adult", True,
     ("natural", "friendly", "calm"), ("travel", "customer service", "e-learning"), ()),
    ("Lupe", "spanish", "es-US", "latin american", "female", "adult", True,
     ("natural", "warm", "clear"), ("customer service", "advertising", "news"), ()),
    ("Lucia", "spanish", "es-ES", "castilian", "female", "adult", True,
     ("natural", "clear", "professional"), ("news", "e-learning", "corporate"), ()),
    ("Conchita", "spanish", "es-ES", "castilian", "female", "adult", False,
     ("clear", "steady"), ("ivr", "announcements"), ()),
    ("Enrique", "spanish", "es-ES", "castilian", "male", "adult", False,
     ("clear", "steady"), ("ivr", "announcements"), ()),
    ("Celine", "french", "fr-FR", "parisian", "female", "adult", False,
     ("clear", "steady"), ("ivr", "announcements"), ("Céline",)),
    ("Mathieu", "french", "fr-FR", "parisian", "male", "adult", False,
     ("clear", "steady"), ("ivr", "announcements"), ()),
    ("Lea", "french", "fr-FR", "parisian", "female", "adult", True,
     ("natural", "warm", "clear"), ("advertising", "e-learning", "podcasts"), ("Léa",)),
    ("Hans", "german", "de-DE", "neutral", "male", "adult", False,
     ("clear", "steady"), ("ivr", "announcements"), ()),
    ("Marlene", "german", "de-DE", "neutral", "female", "adult", False,
     ("clear", "steady"), ("ivr", "announcements"), ()),
    ("Vicki", "german", "de-DE", "neutral", "female", "adult", True,
     ("natural", "friendly", "clear"), ("advertising", "e-learning", "corporate"), ()),
    ("Giorgio", "italian", "it-IT", "neutral", "male", "adult", False,
     ("clear", "steady"), ("ivr", "announcements"), ()),
    ("Bianca", "italian", "it-IT", "neutral", "female", "adult", True,
     ("natural", "warm", "expressive"), ("advertising", "travel", "e-learning"), ()),
    ("Camila", "portuguese", "pt-BR", "brazilian", "female", "adult", True,
     ("natural", "friendly", "clear"), ("advertising", "customer service", "e-learning"), ()),
    ("Vitoria", "portuguese", "pt-BR", "brazilian", "female", "adult", True,
     ("natural", "warm", "calm"), ("audiobooks", "e-learning", "wellness"), ("Vitória",)),
    ("Tatyana", "russian", "ru-RU", "neutral", "female", "adult", False,
     ("clear", "steady"), ("ivr", "announcements"), ()),
    ("Maxim", "russian", "ru-RU", "neutral", "male", "adult", False,
     ("clear", "steady"), ("ivr", "announcements"), ()),
    ("Filiz", "turkish", "tr-TR", "neutral", "female", "adult", False,
     ("clear", "steady"), ("ivr", "announcements"), ()),
    ("Seoyeon", "korean", "ko-KR", "neutral", "female", "adult", True,
     ("natural", "bright", "clear"), ("advertising", "customer service", "e-learning"), ()),
    ("Mizuki", "japanese", "ja-JP", "neutral", "female", "adult", False,
     ("clear", "steady"), ("ivr", "announcements"), ()),
    ("Takumi", "japanese", "ja-JP", "neutral", "male", "adult", True,
     ("natural", "calm", "clear"), ("corporate", "e-learning", "news"), ()),
    ("Zhiyu", "mandarin", "cmn-CN", "neutral", "female", "adult", True,
     ("natural", "clear", "friendly"), ("e-learning", "customer service", "advertising"), ()),
)  # fmt: skip


def _polly_voice(row: _PollyRow) -> Voice:
    voice_id, language, code, accent, gender, age, neural, tags, industries, aliases = row
    kind = "neural" if neural else "standard"
    who = "child" if age == "child" else gender
    return Voice(
        id=voice_id,
        provider="polly",
        provider_full_name=PROVIDER_FULL_NAMES["polly"],
        language=language,
        language_code=code,
        accent=accent,
        gender=gender,
        age_bracket=age,
        tags=tags,
        industry_examples=industries,
        description=f"Amazon Polly {kind} {language.capitalize()} ({accent}) {who} voice.",
        engine_voice=voice_id,
        neural=neural,
        aliases=aliases,
    )


_POLLY = tuple(_polly_voice(row) for row in _POLLY_DATA)

# --- OpenAI-compatible upstream ----------------------------------------------------------

# (voice, code, accent, gender, tags, industries)
_OPENAI_DATA = (
    ("alloy", "en-US", "american", "female", ("balanced", "versatile"),
     ("corporate", "e-learning")),
    ("echo", "en-US", "american", "male", ("calm", "clear"), ("podcasts", "customer service")),
    ("fable", "en-GB", "british", "male", ("expressive", "storytelling"), ("audiobooks", "games")),
    ("onyx", "en-US", "american", "male", ("deep", "authoritative"), ("news", "documentary")),
    ("nova", "en-US", "american", "female", ("bright", "energetic"),
     ("advertising", "social media")),
    ("shimmer", "en-US", "american", "female", ("soft", "warm"), ("wellness", "audiobooks")),
)  # fmt: skip

_OPENAI = tuple(
    Voice(
        id=name,
        provider="openai",
        provider_full_name=PROVIDER_FULL_NAMES["openai"],
        language="english",
        language_code=code,
        accent=accent,
        gender=gender,
        age_bracket="adult",
        tags=("natural", *tags),
        industry_examples=industries,
        description=f"OpenAI-style voice {name!r} served by the configured upstream speech server.",
        engine_voice=name,
        neural=True,
    )
    for name, code, accent, gender, tags, industries in _OPENAI_DATA
)

VOICES: tuple[Voice, ...] = _PIPER + _KOKORO + _ESPEAK + _POLLY + _OPENAI
"""Every catalogued voice, available or not, in preference order (local voices first)."""

# --- Queries -----------------------------------------------------------------------------


def _split(value: str) -> list[str]:
    return [part.strip().casefold() for part in value.split(",") if part.strip()]


def _match_provider(voice: Voice, value: str) -> bool:
    wanted = value.strip().casefold()
    return voice.provider == _PROVIDER_SYNONYMS.get(wanted, wanted)


def _match_language(voice: Voice, value: str) -> bool:
    """A language name ("english") or a code or its prefix ("en", "en-us")."""
    wanted = value.strip().casefold()
    if wanted == voice.language:
        return True
    code = voice.language_code.casefold()
    parts = wanted.split("-", 1)
    parts[0] = _LANGUAGE_SUBTAGS.get(parts[0], parts[0])
    wanted = "-".join(parts)
    return code == wanted or code.startswith(wanted + "-")


def _match_all(values: Callable[[Voice], tuple[str, ...]]) -> Callable[[Voice, str], bool]:
    def match(voice: Voice, value: str) -> bool:
        have = {item.casefold() for item in values(voice)}
        return all(item in have for item in _split(value))

    return match


def _match_field(attribute: str) -> Callable[[Voice, str], bool]:
    def match(voice: Voice, value: str) -> bool:
        return str(getattr(voice, attribute)).casefold() == value.strip().casefold()

    return match


_FILTERS: dict[str, Callable[[Voice, str], bool]] = {
    "provider": _match_provider,
    "providerFullName": _match_field("provider_full_name"),
    "language": _match_language,
    "accent": _match_field("accent"),
    "gender": _match_field("gender"),
    "ageBracket": _match_field("age_bracket"),
    "tags": _match_all(lambda voice: voice.tags),
    "industryExamples": _match_all(lambda voice: voice.industry_examples),
}


def _available(*, polly_enabled: bool, upstream_enabled: bool) -> Iterable[Voice]:
    enabled = {"piper", "kokoro", "espeak"}
    if polly_enabled:
        enabled.add("polly")
    if upstream_enabled:
        enabled.add("openai")
    return (voice for voice in VOICES if voice.provider in enabled)


def list_voices(
    *, polly_enabled: bool, upstream_enabled: bool, **filters: str | None
) -> list[Voice]:
    """The voices usable now that match every given filter (case-insensitive).

    Filters are the api.audio query parameters: provider, providerFullName, language, accent,
    gender, ageBracket, tags and industryExamples (comma-separated; a voice must have them all).
    A filter whose value is None or empty is ignored.
    """
    checks = []
    for name, value in filters.items():
        if name not in _FILTERS:
            raise ValueError(f"unknown filter: {name}")
        if value:
            checks.append((_FILTERS[name], value))
    return [
        voice
        for voice in _available(polly_enabled=polly_enabled, upstream_enabled=upstream_enabled)
        if all(check(voice, value) for check, value in checks)
    ]


def list_parameters(
    *, polly_enabled: bool, upstream_enabled: bool, **filters: str | None
) -> dict[str, list[str]]:
    """Each filterable attribute with its sorted distinct values among the matching voices."""
    voices = list_voices(polly_enabled=polly_enabled, upstream_enabled=upstream_enabled, **filters)
    values: dict[str, set[str]] = {name: set() for name in _FILTERS}
    for voice in voices:
        values["provider"].add(voice.provider)
        values["providerFullName"].add(voice.provider_full_name)
        values["language"].add(voice.language)
        values["accent"].add(voice.accent)
        values["gender"].add(voice.gender)
        values["ageBracket"].add(voice.age_bracket)
        values["tags"].update(voice.tags)
        values["industryExamples"].update(voice.industry_examples)
    return {name: sorted(found) for name, found in values.items()}


# --- Resolution --------------------------------------------------------------------------

# Azure neural voice names: "en-GB-RyanNeural", "zh-CN-XiaoxiaoNeural",
# "en-US-AvaMultilingualNeural".
_AZURE_NAME = re.compile(
    r"^(?P<code>[a-z]{2,3}-[a-z]{2,4}(?:-[a-z]+)?)-(?P<name>[a-z]+?)(?:multilingual)?neural$",
    re.IGNORECASE,
)
_AZURE_GENDERS = {
    **dict.fromkeys(
        ("jenny", "aria", "ava", "emma", "sonia", "libby", "natasha", "clara", "elvira",
         "dalia", "denise", "katja", "elsa", "isabella", "francisca", "xiaoxiao", "xiaoyi",
         "nanami", "sunhi", "svetlana", "emel", "banu", "polina", "fenna", "agnieszka",
         "sofie", "noora", "athina", "swara", "zariyah", "vlasta", "hila", "dilara"),
        "female",
    ),
    **dict.fromkeys(
        ("guy", "davis", "andrew", "brian", "ryan", "thomas", "william", "liam", "alvaro",
         "jorge", "henri", "conrad", "killian", "diego", "antonio", "yunxi", "yunjian",
         "keita", "injoon", "dmitry", "ahmet", "babek", "ostap", "maarten", "marek",
         "mattias", "harri", "nestoras", "madhur", "hamed", "antonin", "avri"),
        "male",
    ),
}  # fmt: skip


def azure_gender(first_name: str) -> str:
    """The gender of an Azure neural voice's first name ("unknown" when we do not know it)."""
    return _AZURE_GENDERS.get(first_name.casefold(), "unknown")


def _find(name: str, voices: Iterable[Voice]) -> Voice | None:
    wanted = name.strip().casefold()
    for voice in voices:
        if voice.id.casefold() == wanted or wanted in (a.casefold() for a in voice.aliases):
            return voice
    return None


def _foreign_voice(name: str, *, polly_enabled: bool, upstream_enabled: bool) -> Voice | None:
    """The catalogue entry (or an Azure description) for a name we cannot serve directly."""
    unavailable = {
        p for p, on in (("polly", polly_enabled), ("openai", upstream_enabled)) if not on
    }
    voice = _find(name, (v for v in VOICES if v.provider in unavailable))
    if voice is not None:
        return voice
    azure = _AZURE_NAME.match(name.strip())
    if azure is None:
        return None
    return Voice(
        id=name,
        provider="azure",
        provider_full_name="azure",
        language="",
        language_code=azure["code"],
        accent="",
        gender=_AZURE_GENDERS.get(azure["name"].casefold(), "unknown"),
        age_bracket="adult",
        tags=(),
        industry_examples=(),
        description="",
        engine_voice=name,
        neural=True,
    )


def _stand_in(wanted: Voice, local: list[Voice]) -> Voice | None:
    """Apply resolve_voice's rule: the first candidate of the first rule that has one."""

    def same_gender(voice: Voice) -> bool:
        return wanted.gender in ("unknown", voice.gender)

    language = wanted.language_subtag
    code = wanted.language_code.casefold()
    neural = [v for v in local if v.neural and v.language_subtag == language]
    neural.sort(key=lambda v: v.language_code.casefold() != code)  # same accent first
    espeak = [v for v in local if v.provider == "espeak" and same_gender(v)]
    candidates = (
        [v for v in neural if same_gender(v)]
        + neural
        + [v for v in espeak if v.language_code.casefold() == code]
        + [v for v in espeak if v.language_subtag == language]
    )
    return candidates[0] if candidates else None


def resolve_voice(name: str, *, polly_enabled: bool, upstream_enabled: bool) -> Voice:
    """The voice to speak with for a requested name.

    An exact id or alias of an available voice (case-insensitive) is that voice. A blend
    (``af_bella(2)+af_sky(1)``) is a voice of its own (``InvalidBlend`` if malformed). A name we
    know but cannot serve here (an Amazon Polly voice while Polly is disabled, an OpenAI voice
    while no upstream is configured, or an Azure-style name such as ``en-GB-RyanNeural``) is
    served by the Kokoro voice :mod:`audiofn.tts.voice_names` maps it to; a name that module
    does not map gets a local stand-in, chosen by this rule:

    1. a neural local voice with the same language (the language part of the code) and gender,
       the same accent (language code) first;
    2. else a neural local voice with the same language;
    3. else an eSpeak voice with the same language code and gender, then one with the same
       language and gender (an Azure name whose gender we do not know matches either gender);
    4. else the name is unknown (``UnknownVoice``).

    The stand-in is returned as is, so a caller can tell by ``voice.id != name``.
    """
    from audiofn.tts.voice_blend import is_blend
    from audiofn.tts.voice_names import kokoro_for

    available = list(_available(polly_enabled=polly_enabled, upstream_enabled=upstream_enabled))
    voice = _find(name, available)
    if voice is not None:
        return voice
    if is_blend(name):
        return _blend(name, polly_enabled=polly_enabled, upstream_enabled=upstream_enabled)
    mapped = kokoro_for(name)
    if mapped is not None and is_blend(mapped):
        return _blend(mapped, polly_enabled=polly_enabled, upstream_enabled=upstream_enabled)
    if mapped is not None:
        voice = _find(mapped, available)
        if voice is not None:
            return voice
    wanted = _foreign_voice(name, polly_enabled=polly_enabled, upstream_enabled=upstream_enabled)
    local = [v for v in available if v.provider in ("piper", "kokoro", "espeak")]
    stand_in = _stand_in(wanted, local) if wanted is not None else None
    if stand_in is None:
        raise UnknownVoice(name)
    return stand_in


class InvalidBlend(UnknownVoice):
    """A voice blend that does not parse, or names a part that is not a Kokoro voice."""

    def __init__(self, name: str, reason: str) -> None:
        ValueError.__init__(self, f"invalid voice blend {name!r}: {reason}")
        self.name = name


def _blend(name: str, *, polly_enabled: bool, upstream_enabled: bool) -> Voice:
    """A blend of Kokoro voices (``af_bella(2)+af_sky(1)``): a voice of its own.

    Each part is a Kokoro voice or a name that resolves to one (``nova+onyx``). The blend takes
    the language, accent and gender of its heaviest part (the first among equals)."""
    from audiofn.tts.voice_blend import BlendError, format_blend, parse_blend

    try:
        parts = parse_blend(name)
    except BlendError as error:
        raise InvalidBlend(name, str(error)) from error
    voices: list[tuple[Voice, float]] = []
    for part, weight in parts:
        try:
            voice = resolve_voice(
                part, polly_enabled=polly_enabled, upstream_enabled=upstream_enabled
            )
        except UnknownVoice:
            voice = None
        if voice is None or voice.provider != "kokoro" or "+" in voice.engine_voice:
            raise InvalidBlend(
                name, f"part {part!r} is not a Kokoro voice (GET /voice?provider=kokoro lists them)"
            )
        voices.append((voice, weight))
    if len({voice.id for voice, _ in voices}) != len(voices):
        raise InvalidBlend(name, "a blend names each voice once")
    if len(voices) == 1:
        raise InvalidBlend(name, "a blend needs at least two voices")
    canonical = format_blend([(voice.id, weight) for voice, weight in voices])
    lead = max(voices, key=lambda item: item[1])[0]
    genders = {voice.gender for voice, _ in voices}
    return Voice(
        id=canonical,
        provider="kokoro",
        provider_full_name=PROVIDER_FULL_NAMES["kokoro"],
        language=lead.language,
        language_code=lead.language_code,
        accent=lead.accent,
        gender=lead.gender if len(genders) == 1 else "mixed",
        age_bracket=lead.age_bracket,
        tags=("natural", "blend"),
        industry_examples=lead.industry_examples,
        description=f"A blend of Kokoro voices: {canonical}.",
        engine_voice=canonical,
        neural=True,
    )
