"""The job API's documented voice ids map to built-in voices of the same language and gender."""

from __future__ import annotations

import pytest

from audiofn.services.tts_jobs import SEED_VOICES
from audiofn.tts.catalogue import resolve_voice

# From the job API's voice list: id -> (language subtag, gender)
DOCUMENTED = {
    "325640": ("az", "female"),
    "325641": ("az", "female"),
    "325642": ("az", "male"),
    "325643": ("az", "male"),
    "325648": ("az", "male"),
    "325647": ("tr", "female"),
    "325646": ("tr", "male"),
    "325644": ("tr", "female"),
    "325645": ("ru", "female"),
}


@pytest.mark.parametrize(("voice_id", "expected"), sorted(DOCUMENTED.items()))
def test_each_documented_voice_is_a_local_voice_of_its_language_and_gender(voice_id, expected):
    _name, catalogue_id = SEED_VOICES[voice_id]
    voice = resolve_voice(catalogue_id, polly_enabled=False, upstream_enabled=False)
    assert voice.id == catalogue_id
    assert (voice.language_subtag, voice.gender) == expected
    assert voice.provider in {"piper", "espeak"}


def test_every_documented_id_is_mapped():
    assert set(SEED_VOICES) == set(DOCUMENTED)
