"""The style search's pure parts: which languages and voices it starts from, how a mix reads."""

from __future__ import annotations

import numpy as np
import pytest

from audiofn.models.voices import VoiceSampleManifest
from audiofn.speakers.style_search import (
    LanguageNotCovered,
    candidate_voices,
    describe_mix,
    espeak_language,
    kokoro_language,
    mix_style,
)
from audiofn.tts.kokoro_engine import blend_styles, load_style


def test_languages_kokoro_speaks_and_their_phonemes() -> None:
    assert kokoro_language("en-GB") == "en" and kokoro_language("pt-br") == "pt"
    assert kokoro_language("de") is None and kokoro_language("az") is None
    assert espeak_language("en") == "en-us" and espeak_language("en-gb") == "en"
    assert espeak_language("pt") == "pt-br" and espeak_language("fr") == "fr"


def test_candidates_put_the_speakers_gender_and_accent_first() -> None:
    women = candidate_voices("en-gb", "female")
    assert women[0].startswith("bf_") and all(n[1] == "f" for n in women[:15])
    assert {n[0] for n in women} == {"a", "b"}
    men = candidate_voices("en", "male")
    assert men[0] == "am_fenrir"  # American first, then the best graded
    assert candidate_voices("en", "female")[:2] == ["af_heart", "af_bella"]
    assert "am_santa" not in men  # no character voices
    assert candidate_voices("it", None) == ["if_sara", "im_nicola"]
    with pytest.raises(LanguageNotCovered):
        candidate_voices("de", "female")


def test_a_mix_is_the_weighted_mean_and_reads_as_a_blend() -> None:
    mix = (("af_bella", 2 / 3), ("af_sky", 1 / 3))
    np.testing.assert_allclose(
        mix_style(mix), blend_styles([("af_bella", 2), ("af_sky", 1)]), atol=1e-6
    )
    assert describe_mix(mix) == "af_bella(0.67)+af_sky(0.33)"
    assert describe_mix((("af_sky", 1.0),)) == "af_sky"
    # past a voice: a negative weight moves away from it
    beyond = mix_style((("af_bella", 1.2), ("af_sky", -0.2)))
    np.testing.assert_allclose(
        beyond, 1.2 * load_style("af_bella") - 0.2 * load_style("af_sky"), atol=1e-5
    )


def test_a_manifest_names_samples_or_a_blend() -> None:
    VoiceSampleManifest(org_id="o", voice_uuid="v", blend="af_sky")
    VoiceSampleManifest(org_id="o", voice_uuid="v", sample_keys=["k"], filenames=["f"])
    with pytest.raises(ValueError, match="samples or a blend"):
        VoiceSampleManifest(org_id="o", voice_uuid="v")
    with pytest.raises(ValueError, match="samples or a blend"):
        VoiceSampleManifest(
            org_id="o", voice_uuid="v", blend="af_sky", sample_keys=["k"], filenames=["f"]
        )
