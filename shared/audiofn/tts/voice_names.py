"""The one home of voice-name mapping: other services' voice names -> the Kokoro voice that speaks.

A name a client sends that this deployment cannot serve itself (an OpenAI voice without an
upstream, an Amazon Polly voice without Polly, an Azure neural voice) is spoken by a Kokoro
voice of the same gender and accent: OpenAI names by the Kokoro voice of the same name where one
exists. Names absent from the tables below fall back to the catalogue's stand-in rule
(:func:`audiofn.tts.catalogue.resolve_voice`). The README's mapping table is this module.
Pure Python (the API imports it).
"""

from __future__ import annotations

import re

OPENAI_TO_KOKORO: dict[str, str] = {
    # af_alloy alone is a low voice (median F0 143 Hz); with af_aoede it reads as a woman (162).
    "alloy": "af_alloy+af_aoede",
    "ash": "am_michael",
    "ballad": "bm_george",
    "coral": "af_heart",
    "echo": "am_echo",
    "fable": "bm_fable",
    "nova": "af_nova",
    "onyx": "am_onyx",
    "sage": "af_sarah",
    "shimmer": "af_bella",
    "verse": "am_puck",
}
"""OpenAI's voice names (their gender and accent: fable is British, the others American).
A value may be a blend of Kokoro voices (:mod:`audiofn.tts.voice_blend`)."""

POLLY_TO_KOKORO: dict[str, str] = {
    # US English
    "joanna": "af_heart",
    "kendra": "af_sarah",
    "kimberly": "af_nicole",
    "salli": "af_sky",
    "ruth": "af_kore",
    "ivy": "af_aoede",
    "danielle": "af_bella",
    "matthew": "am_michael",
    "joey": "am_puck",
    "stephen": "am_fenrir",
    "gregory": "am_eric",
    "justin": "am_liam",
    "kevin": "am_echo",
    # British (and Australian, New Zealand, Irish: closer to British than to American)
    "amy": "bf_emma",
    "emma": "bf_isabella",
    "brian": "bm_george",
    "arthur": "bm_lewis",
    "olivia": "bf_alice",
    "aria": "bf_lily",
    "niamh": "bf_isabella",
    # Other languages Kokoro speaks
    "lupe": "ef_dora",
    "lucia": "ef_dora",
    "conchita": "ef_dora",
    "enrique": "em_alex",
    "sergio": "em_alex",
    "celine": "ff_siwis",
    "lea": "ff_siwis",
    "bianca": "if_sara",
    "carla": "if_sara",
    "giorgio": "im_nicola",
    "adriano": "im_nicola",
    "camila": "pf_dora",
    "vitoria": "pf_dora",
    "ricardo": "pm_alex",
    "thiago": "pm_alex",
    "kajal": "hf_alpha",
}
"""Amazon Polly (and api.audio) voice names, case-insensitive, accents folded (Léa, Vitória)."""

AZURE_TO_KOKORO: dict[str, str] = {
    "en-us-jenny": "af_heart",
    "en-us-aria": "af_bella",
    "en-us-ava": "af_nicole",
    "en-us-emma": "af_kore",
    "en-us-michelle": "af_sarah",
    "en-us-sara": "af_sky",
    "en-us-nancy": "af_aoede",
    "en-us-guy": "am_michael",
    "en-us-davis": "am_fenrir",
    "en-us-andrew": "am_puck",
    "en-us-brian": "am_eric",
    "en-us-tony": "am_liam",
    "en-us-jason": "am_echo",
    "en-us-christopher": "am_onyx",
    "en-gb-sonia": "bf_emma",
    "en-gb-libby": "bf_isabella",
    "en-gb-maisie": "bf_lily",
    "en-gb-abbi": "bf_alice",
    "en-gb-ryan": "bm_george",
    "en-gb-thomas": "bm_lewis",
    "en-gb-alfie": "bm_daniel",
    "en-gb-oliver": "bm_fable",
}
"""Azure neural voices by locale and first name (``en-GB-RyanNeural`` -> ``en-gb-ryan``)."""

LOCALE_DEFAULTS: dict[tuple[str, str], str] = {
    ("en-us", "female"): "af_heart",
    ("en-us", "male"): "am_michael",
    ("en-gb", "female"): "bf_emma",
    ("en-gb", "male"): "bm_george",
    ("en-au", "female"): "bf_alice",
    ("en-au", "male"): "bm_lewis",
    ("en-ie", "female"): "bf_isabella",
    ("en-ie", "male"): "bm_daniel",
    ("en-nz", "female"): "bf_lily",
    ("en-nz", "male"): "bm_lewis",
    ("en", "female"): "af_heart",
    ("en", "male"): "am_michael",
    ("es", "female"): "ef_dora",
    ("es", "male"): "em_alex",
    ("fr", "female"): "ff_siwis",
    ("hi", "female"): "hf_alpha",
    ("hi", "male"): "hm_omega",
    ("it", "female"): "if_sara",
    ("it", "male"): "im_nicola",
    ("pt-br", "female"): "pf_dora",
    ("pt-br", "male"): "pm_alex",
}
"""For an Azure name not in the table: the Kokoro voice of its locale (or language) and gender."""

PROTOCOL_DEFAULTS: dict[str, str] = {
    "api.audio speech (POST /speech, sync TTS)": "Joanna",
    "scripts, batches, inbox, job API, voice previews": "joe",
    "OpenAI speech (/v1/audio/speech)": "(required by the protocol)",
}
"""Each protocol's default voice name, as the README documents it."""

_AZURE_NAME = re.compile(
    r"^(?P<code>[a-z]{2,3}-[a-z]{2,4}(?:-[a-z]+)?)-(?P<name>[a-z]+?)(?:multilingual)?neural$",
    re.IGNORECASE,
)
_FOLD = str.maketrans("áàâäãéèêëíìîïóòôöõúùûüç", "aaaaaeeeeiiiiooooouuuuc")


def kokoro_for(name: str) -> str | None:
    """The Kokoro voice id a foreign voice name maps to, or None when no table has it."""
    wanted = name.strip().casefold().translate(_FOLD)
    if wanted in OPENAI_TO_KOKORO:
        return OPENAI_TO_KOKORO[wanted]
    if wanted in POLLY_TO_KOKORO:
        return POLLY_TO_KOKORO[wanted]
    azure = _AZURE_NAME.match(wanted)
    if azure is None:
        return None
    code, first = azure["code"], azure["name"]
    if f"{code}-{first}" in AZURE_TO_KOKORO:
        return AZURE_TO_KOKORO[f"{code}-{first}"]
    from audiofn.tts.catalogue import azure_gender

    gender = azure_gender(first)
    genders = (gender,) if gender != "unknown" else ("female", "male")
    for key in (code, code.split("-", 1)[0]):
        for candidate in genders:
            if (key, candidate) in LOCALE_DEFAULTS:
                return LOCALE_DEFAULTS[(key, candidate)]
    return None
