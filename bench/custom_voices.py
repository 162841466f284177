"""Custom-voice figures: speaker similarity on a held-out sentence, pitch shift versus the style
search, for natural-speech references from Debian's packages, and the search's wall time.

References (ops/speech-references.sh): alsa-utils' nine announcements (one woman, ~13 s of
speech) and the first 12 Asterisk prompts of at least 2 s (Allison Smith, ~80 s). For each:

- the encoder's own yardstick: the same speaker's two halves, and the two speakers apart;
- pitch shift: today's fallback (Piper `joe` shifted toward the speaker's pitch and rate);
- nearest voice: the best single Kokoro voice the search found, alone;
- search: the style search (BENCH_SEARCH_CANDIDATES candidates, 100 by default).

All three speak the same held-out sentence, which the search never scored. Run alone with
`python -m bench.custom_voices`; `make bench SECTIONS=custom-voices`.
"""

from __future__ import annotations

import os
import time

from audiofn.audio import Audio
from tests.speech_references import allison_prompts, alsa_words, joined


def _references() -> dict[str, list[Audio]]:
    return {
        "alsa-utils (woman, 9 words)": [joined(alsa_words())],
        "asterisk Allison (woman, 12 prompts)": list(allison_prompts(12)),
    }


def _pitch_shift(recordings: list[Audio], text: str) -> Audio:
    from audiofn.services.voice_processing import shifts_toward
    from audiofn.services.voice_samples import measure_voice
    from audiofn.tts import catalogue
    from audiofn.tts.custom_voice import CustomVoiceEngine, custom_voice
    from audiofn.tts.registry import EngineSettings

    joe = catalogue.resolve_voice("joe", polly_enabled=False, upstream_enabled=False)
    shift, rate = shifts_toward(joe, measure_voice(recordings), EngineSettings())
    voice = custom_voice("custom-bench", "bench", joe, shift, rate)
    return CustomVoiceEngine(EngineSettings()).synthesize(text, voice)


def yardstick() -> None:
    from audiofn.speakers.encoder import get_encoder, similarity

    encoder = get_encoder()
    words, prompts = alsa_words(), allison_prompts(24)
    halves = {
        "alsa": (
            encoder.embed_speaker([joined(words[:5])]),
            encoder.embed_speaker([joined(words[5:])]),
        ),
        "allison": (
            encoder.embed_speaker(list(prompts[:12])),
            encoder.embed_speaker(list(prompts[12:])),
        ),
    }
    same = [similarity(a, b) for a, b in halves.values()]
    apart = similarity(halves["alsa"][0], halves["allison"][1])
    seconds = sum(p.duration for p in prompts)
    start = time.perf_counter()
    encoder.embed_speaker(list(prompts))
    took = time.perf_counter() - start
    print(
        f"speaker encoder: same speaker (two halves) {same[0]:.3f} alsa, {same[1]:.3f} allison; "
        f"the two women apart {apart:.3f}; {seconds / took:.0f}x real time"
    )


def main() -> None:
    from audiofn.services.voice_samples import measure_voice
    from audiofn.speakers.encoder import get_encoder, similarity
    from audiofn.speakers.style_search import (
        HELD_OUT_SENTENCES,
        held_out_similarity,
        mix_style,
        search_style,
    )

    candidates = int(os.environ.get("BENCH_SEARCH_CANDIDATES", "100"))
    held_out = HELD_OUT_SENTENCES["en"]
    encoder = get_encoder()
    yardstick()
    for label, recordings in _references().items():
        reference = encoder.embed_speaker(recordings)
        shifted = similarity(reference, encoder.embed_speaker([_pitch_shift(recordings, held_out)]))
        gender = "male" if measure_voice(recordings).median_pitch_hz < 165 else "female"
        start = time.perf_counter()
        result = search_style(reference, "en", gender=gender, candidates=candidates)
        wall = time.perf_counter() - start
        nearest = held_out_similarity(reference, mix_style(((result.nearest_voice, 1.0),)), "en")
        print(
            f"custom voice, {label}: held-out similarity pitch shift {shifted:.3f}, "
            f"nearest voice {result.nearest_voice} {nearest:.3f}, search {result.similarity:.3f} "
            f"(search sentence {result.search_similarity:.3f}; {result.candidates} candidates "
            f"in {wall:.0f} s wall, {wall / result.candidates:.1f} s each)"
        )
        print(f"  found: {result.blend}")


if __name__ == "__main__":
    main()
