# ruff: noqa: RUF001 -- IPA
"""Pronunciation dictionaries: which entry applies to a voice, matching, and application to
text and to the SSML representation."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from pydantic import ValidationError

from audiofn.text.lexicon import Lexicon, LexiconEntry, apply_lexicon, apply_lexicon_to_text
from audiofn.text.ssml import Phoneme, Text, parse_ssml
from audiofn.tts.catalogue import resolve_voice
from audiofn.tts.ssml_render import prepare, preview_text, words_not_in_dict


@dataclass(frozen=True)
class FakeVoice:
    id: str = "joe"
    provider: str = "piper"
    language_code: str = "en-US"
    aliases: tuple[str, ...] = ("default",)


JOE = FakeVoice()
AMY = FakeVoice(id="amy", provider="polly", language_code="en-GB", aliases=())
HANS = FakeVoice(id="hans", provider="espeak", language_code="de-DE", aliases=())


def entry(word: str, replacement: str, **kwargs: str) -> LexiconEntry:
    return LexiconEntry(word=word, replacement=replacement, **kwargs)


def test_precedence_voice_over_provider_over_language_over_default() -> None:
    lexicon = Lexicon(
        [
            entry("data", "any language"),
            entry("data", "english", language="en"),
            entry("data", "american", language="en-US"),
            entry("data", "piper voices", language="en", specialization="piper"),
            entry("data", "joe only", language="en", specialization="joe"),
        ]
    )
    assert lexicon.for_voice(JOE).lookup("DATA").replacement == "joe only"  # type: ignore[union-attr]
    assert lexicon.for_voice(AMY).lookup("data").replacement == "english"  # type: ignore[union-attr]
    assert lexicon.for_voice(HANS).lookup("data").replacement == "any language"  # type: ignore[union-attr]
    us_polly = FakeVoice(id="joanna", provider="polly")
    assert lexicon.for_voice(us_polly).lookup("data").replacement == "american"  # type: ignore[union-attr]


def test_later_dictionaries_override_earlier_ones_at_equal_rank() -> None:
    built_in = [entry("SQL", "sequel", language="en")]
    custom = [entry("sql", "S Q L", language="en")]
    assert Lexicon(built_in, custom).for_voice(JOE).lookup("Sql").replacement == "S Q L"  # type: ignore[union-attr]
    assert Lexicon(custom, built_in).for_voice(JOE).lookup("Sql").replacement == "sequel"  # type: ignore[union-attr]


def test_entries_for_other_voices_or_languages_do_not_apply() -> None:
    lexicon = Lexicon(
        [
            entry("Grüße", "greetings", language="de"),
            entry("hello", "howdy", specialization="amy"),
        ]
    )
    assert lexicon.for_voice(JOE).entries == {}
    assert lexicon.for_voice(HANS).lookup("GRÜSSE") is not None
    assert len(lexicon.for_voice(HANS).entries) == 1


def test_matching_is_case_insensitive_on_word_boundaries() -> None:
    resolved = Lexicon(
        [
            entry("AWS", "Amazon Web Services"),
            entry("New York", "the Big Apple"),
            entry("C++", "C plus plus"),
        ]
    ).for_voice(JOE)
    text = "aws, AWSome laws; new  york and New Yorker love c++ and AWS."
    assert apply_lexicon_to_text(text, resolved) == (
        "Amazon Web Services, AWSome laws; the Big Apple and New Yorker love C plus plus "
        "and Amazon Web Services."
    )


def test_ipa_entries_become_phonemes_and_text_entries_remember_the_written_word() -> None:
    resolved = Lexicon(
        [entry("pecan", "pɪˈkɑːn", kind="ipa"), entry("Qwerty", "kwer tee")]
    ).for_voice(JOE)
    document = apply_lexicon(
        parse_ssml(
            '<speak>A Pecan <say-as interpret-as="characters">pecan</say-as> from Qwerty</speak>'
        ),
        resolved,
    )
    phonemes = [s for s in document.segments if isinstance(s, Phoneme)]
    assert [(p.ipa, p.written) for p in phonemes] == [("pɪˈkɑːn", "Pecan")]
    spelled = [s for s in document.segments if isinstance(s, Text) and s.written == "pecan"]
    assert spelled and spelled[0].text == "P, E, C, A, N"  # say-as output is left alone
    replaced = [s for s in document.segments if isinstance(s, Text) and s.written == "Qwerty"]
    assert replaced[0].text == "kwer tee" and replaced[0].verbatim
    assert ("Qwerty", 2) in document.word_groups()


def test_entry_validation() -> None:
    with pytest.raises(ValidationError, match="IPA"):
        entry("x", "HELLO", kind="ipa")
    with pytest.raises(ValidationError, match="markup"):
        entry("x", "<break/>")
    with pytest.raises(ValidationError, match="language code"):
        entry("x", "y", language="English!")
    with pytest.raises(ValidationError):
        entry("", "y")
    assert entry("x", "ˈɛks", kind="ipa").replacement == "ˈɛks"
    assert entry("x", "'eks:", kind="ipa").replacement == "ˈeksː"


def test_from_api_maps_the_sdk_fields() -> None:
    api = LexiconEntry.from_api("GIF", "dʒɪf", lang="en", specialization="joe", content_type="ipa")
    assert (api.kind, api.language, api.specialization) == ("ipa", "en", "joe")
    basic = LexiconEntry.from_api("GIF", "jif", lang=None)
    assert (basic.kind, basic.language, basic.specialization) == ("text", "*", "default")


def test_prepare_applies_dictionaries_before_normalisation() -> None:
    joe = resolve_voice("joe", polly_enabled=False, upstream_enabled=False)
    lexicon = Lexicon([entry("Dr.", "Drive", language="en"), entry("ACME", "ack me")])
    document = prepare("ACME is on 5 Oak Dr. now", joe, lexicon=lexicon)
    assert document.text == "ack me is on five Oak Drive now"
    assert prepare("ACME is 5", joe, normalize=False, lexicon=lexicon).text == "ack me is 5"
    assert preview_text("Call me at 10:30am", joe) == "Call me at ten thirty a.m."


def test_words_not_in_dict_uses_espeaks_dictionary_and_word_frequencies() -> None:
    joe = resolve_voice("joe", polly_enabled=False, upstream_enabled=False)
    text = "The colonel met Zorblax and Quux at the cat shop on 3/14 with Dr. Smith."
    assert words_not_in_dict(text, joe) == ["Zorblax", "Quux"]
    lexicon = Lexicon([entry("Zorblax", "zor blacks")])
    assert words_not_in_dict(text, joe, lexicon=lexicon) == ["Quux"]
    assert words_not_in_dict('<sub alias="hello">Quux</sub>', joe) == []
