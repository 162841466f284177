"""The voice catalogue: filters, availability, name resolution, and that it matches reality."""

from __future__ import annotations

import subprocess
import sys
from typing import TypedDict

import pytest
from moto.polly.resources import VOICE_DATA

from audiofn.tts.catalogue import (
    DEFAULT_VOICE_ID,
    VOICES,
    UnknownVoice,
    Voice,
    list_parameters,
    list_voices,
    resolve_voice,
)
from audiofn.tts.espeak_engine import available_variants, available_voice_names


class Enabled(TypedDict):
    polly_enabled: bool
    upstream_enabled: bool


LOCAL: Enabled = {"polly_enabled": False, "upstream_enabled": False}
EVERYTHING: Enabled = {"polly_enabled": True, "upstream_enabled": True}
REQUIRED_ESPEAK_CODES = {
    "az-AZ", "tr-TR", "ru-RU", "ko-KR", "en-US", "en-GB", "es-ES", "fr-FR", "de-DE", "it-IT",
    "pt-BR", "nl-NL", "pl-PL", "sv-SE", "el-GR", "hi-IN", "ar-SA", "ja-JP", "cmn-CN", "uk-UA",
    "cs-CZ", "fi-FI",
}  # fmt: skip


def ids(voices: list[Voice]) -> list[str]:
    return [voice.id for voice in voices]


def test_importing_the_catalogue_loads_no_numpy_and_no_engine() -> None:
    code = (
        "import sys, audiofn.tts.catalogue\n"
        "heavy = {'numpy', 'piper', 'onnxruntime', 'soundfile', 'boto3', 'httpx'}\n"
        "print(sorted(heavy & set(sys.modules)))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_ids_and_aliases_are_unique() -> None:
    names = [name.casefold() for voice in VOICES for name in (voice.id, *voice.aliases)]
    assert len(names) == len(set(names))


def test_default_voice_is_the_local_neural_english_voice() -> None:
    voice = resolve_voice(DEFAULT_VOICE_ID, **LOCAL)
    assert (voice.provider, voice.language_code, voice.neural) == ("piper", "en-US", True)
    assert voice.engine_voice == "en_US-joe-medium"
    assert resolve_voice("default", **LOCAL) is voice
    assert resolve_voice("EN_US-JOE-MEDIUM", **LOCAL) is voice


def test_to_api_uses_the_api_audio_wire_shape() -> None:
    wire = resolve_voice("joe", **LOCAL).to_api()
    assert set(wire) == {
        "voiceName", "provider", "providerFullName", "language", "languageCode", "accent",
        "gender", "ageBracket", "tags", "industryExamples", "description", "qualityGrade",
    }  # fmt: skip
    assert wire["voiceName"] == "joe"
    assert wire["providerFullName"] == "piper (rhasspy)"
    assert wire["tags"] == "natural, warm, conversational, clear"
    assert all(isinstance(value, str) for value in wire.values())


def test_at_least_twenty_espeak_languages_each_with_a_male_and_a_female_voice() -> None:
    espeak = [voice for voice in VOICES if voice.provider == "espeak"]
    genders: dict[str, set[str]] = {}
    for voice in espeak:
        if voice.age_bracket == "adult":
            genders.setdefault(voice.language_code, set()).add(voice.gender)
    both = {code for code, found in genders.items() if found == {"male", "female"}}
    assert len({code.split("-")[0] for code in both}) >= 20
    assert both >= REQUIRED_ESPEAK_CODES
    assert {"espeak-az-male", "espeak-az-female"} <= set(ids(espeak))


def test_every_espeak_voice_exists_in_the_shipped_espeak_data() -> None:
    names, variants = available_voice_names(), available_variants()
    for voice in VOICES:
        if voice.provider == "espeak":
            base, _, variant = voice.engine_voice.partition("+")
            assert base in names, voice.id
            assert variant in variants, voice.id


def test_polly_voices_match_polly_own_voice_list() -> None:
    polly = {row["Id"]: row for row in VOICE_DATA}
    ours = [voice for voice in VOICES if voice.provider == "polly"]
    assert len(ours) >= 37
    for voice in ours:
        row = polly[voice.engine_voice]
        assert voice.language_code == row["LanguageCode"], voice.id
        assert voice.gender == str(row["Gender"]).lower(), voice.id
        assert voice.neural == ("neural" in row["SupportedEngines"]), voice.id


def test_only_configured_providers_are_listed() -> None:
    assert {voice.provider for voice in list_voices(**LOCAL)} == {"piper", "kokoro", "espeak"}
    with_polly = list_voices(polly_enabled=True, upstream_enabled=False)
    assert {voice.provider for voice in with_polly} == {"piper", "kokoro", "espeak", "polly"}
    assert {voice.provider for voice in list_voices(**EVERYTHING)} == {
        "piper", "kokoro", "espeak", "polly", "openai",
    }  # fmt: skip
    assert list_voices(**LOCAL, provider="polly") == []


def test_filters_combine_and_ignore_case() -> None:
    found = list_voices(
        **EVERYTHING, provider="AWS", language="EN", gender="Female", tags="natural , WARM"
    )
    assert ids(found) == ["Emma", "Salli", "Ruth"]
    found = list_voices(**EVERYTHING, language="english", accent="british", gender="male")
    assert ids(found) == [
        "bm_fable", "bm_george", "bm_lewis", "bm_daniel", "espeak-en-gb-male", "Brian", "fable",
    ]  # fmt: skip


def test_provider_filter_accepts_short_names_and_synonyms() -> None:
    polly = list_voices(**EVERYTHING, provider="polly")
    assert polly == list_voices(**EVERYTHING, provider="amazon")
    assert polly == list_voices(**EVERYTHING, providerFullName="Amazon Polly")
    assert {voice.provider for voice in polly} == {"polly"}


def test_language_filter_accepts_names_codes_and_code_prefixes() -> None:
    english = list_voices(**EVERYTHING, language="english")
    assert english == list_voices(**EVERYTHING, language="en")
    british = list_voices(**EVERYTHING, language="en-gb")
    assert {voice.language_code for voice in british} == {"en-GB"}
    assert set(ids(british)) < set(ids(english))
    assert ids(list_voices(**LOCAL, language="az")) == ["espeak-az-male", "espeak-az-female"]
    assert list_voices(**EVERYTHING, language="zh") == list_voices(**EVERYTHING, language="cmn")
    assert list_voices(**LOCAL, language="e") == []


def test_tags_and_industry_examples_need_every_listed_value() -> None:
    robotic_fast = list_voices(**EVERYTHING, tags="robotic,fast")
    assert robotic_fast and all({"robotic", "fast"} <= set(v.tags) for v in robotic_fast)
    assert list_voices(**EVERYTHING, tags="robotic,natural") == []
    kids = list_voices(**EVERYTHING, industryExamples="games, education")
    assert ids(kids) == ["Ivy", "Justin", "Kevin"]
    assert ids(list_voices(**EVERYTHING, ageBracket="child")) == ["Ivy", "Justin", "Kevin"]


def test_empty_filters_are_ignored_and_unknown_filters_rejected() -> None:
    assert list_voices(**LOCAL, gender=None, tags="") == list_voices(**LOCAL)
    with pytest.raises(ValueError, match="unknown filter: colour"):
        list_voices(**LOCAL, colour="blue")


def test_parameters_list_the_distinct_values_of_available_voices() -> None:
    local = list_parameters(**LOCAL)
    assert set(local) == {
        "provider", "providerFullName", "language", "accent", "gender", "ageBracket", "tags",
        "industryExamples",
    }  # fmt: skip
    assert local["provider"] == ["espeak", "kokoro", "piper"]
    assert local["ageBracket"] == ["adult", "senior"]
    assert "azerbaijani" in local["language"]
    assert all(values == sorted(set(values)) for values in local.values())
    assert "child" in list_parameters(**EVERYTHING)["ageBracket"]
    assert list_parameters(**EVERYTHING, provider="openai")["providerFullName"] == [
        "openai-compatible upstream"
    ]


def test_available_voices_resolve_to_themselves() -> None:
    assert resolve_voice("joanna", **EVERYTHING).id == "Joanna"
    assert resolve_voice("Céline", **EVERYTHING).id == "Celine"
    assert resolve_voice("nova", **EVERYTHING).provider == "openai"
    assert resolve_voice("ESPEAK-AZ-FEMALE", **LOCAL).id == "espeak-az-female"


@pytest.mark.parametrize(
    ("name", "stand_in"),
    [
        ("Joanna", "af_heart"),  # the mapping table (audiofn.tts.voice_names)
        ("Matthew", "am_michael"),
        ("Amy", "bf_emma"),
        ("Brian", "bm_george"),
        ("Lucia", "ef_dora"),
        ("Lupe", "ef_dora"),  # es-US: the Spanish voice
        ("Léa", "ff_siwis"),
        ("Mathieu", "ff_siwis"),  # no French male neural voice: rule 2 beats eSpeak
        ("Hans", "espeak-de-male"),  # no neural German voice: rule 3
        ("Filiz", "espeak-tr-female"),
        ("Maxim", "espeak-ru-male"),
        ("Zhiyu", "espeak-cmn-female"),
        ("en-GB-RyanNeural", "bm_george"),
        ("en-GB-SoniaNeural", "bf_emma"),
        ("en-US-JennyNeural", "af_heart"),
        ("en-US-AvaMultilingualNeural", "af_nicole"),
        ("en-AU-NatashaNeural", "bf_alice"),  # not in the table: locale and gender
        ("en-US-RogerNeural", "af_heart"),  # unknown gender: the locale's first voice
        ("de-DE-ConradNeural", "espeak-de-male"),
        ("az-AZ-BanuNeural", "espeak-az-female"),
        ("az-AZ-BabekNeural", "espeak-az-male"),
        ("zh-CN-XiaoxiaoNeural", "espeak-cmn-female"),
        ("ko-KR-SunHiNeural", "espeak-ko-female"),
        ("fr-FR-SomebodyNewNeural", "ff_siwis"),  # unknown gender: either
        ("nova", "af_nova"),  # OpenAI voice, no upstream: the Kokoro voice of the same name
        ("onyx", "am_onyx"),
        ("fable", "bm_fable"),
        ("shimmer", "af_bella"),  # no Kokoro shimmer: a voice of the same gender
        ("ash", "am_michael"),
    ],
)
def test_unservable_names_get_a_local_stand_in(name: str, stand_in: str) -> None:
    assert resolve_voice(name, **LOCAL).id == stand_in


def test_stand_ins_also_apply_when_other_providers_are_on() -> None:
    assert resolve_voice("de-DE-KatjaNeural", **EVERYTHING).id == "espeak-de-female"
    assert resolve_voice("Joanna", polly_enabled=False, upstream_enabled=True).id == "af_heart"


@pytest.mark.parametrize("name", ["Nobody", "xx-YY-SomeoneNeural", "", "sw-KE-ZuriNeural"])
def test_unknown_names_raise_unknown_voice(name: str) -> None:
    with pytest.raises(UnknownVoice, match="GET /voice") as raised:
        resolve_voice(name, **LOCAL)
    assert isinstance(raised.value, ValueError)
    assert raised.value.name == name
