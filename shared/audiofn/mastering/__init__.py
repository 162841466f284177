"""Mastering: speech sections and a music bed in, a finished programme at a loudness target out.

``master(sections, bed, preset)`` is pure (arrays in, arrays out) and does, in order:

1. **Timeline** - the sections (any rate, mono or stereo) are made mono at the master rate and
   laid end to end after ``lead_in_s`` of bed, ``gap_s`` apart; the spans are reported so that
   captions can be placed (:class:`SectionSpan`).
2. **Voice chain** - high-pass, a small low-mid cut, presence lift, an optional de-essing
   shelf (one scipy SOS cascade), a compressor and a peak limiter (pedalboard), on the voice
   levelled to -20 LUFS first so that every preset's thresholds mean the same thing whatever
   the engine's level. It runs at the speech's own rate (22.05 kHz for Piper: half the work)
   and the result is resampled to the master rate once.
3. **Bed** - a template's stems are arranged so the outro starts after the last word (plus
   ``tail_s``); any other audio is looped (equal-power crossfades) and faded out. Its level is
   set relative to the voice (``bed_level_lu``).
4. **Ducking** - a side-chain gain on the bed from the voice's activity: it starts going down
   ``duck_attack_ms`` *before* the voice (look-ahead), stays down through pauses shorter than
   ``duck_hold_ms`` and comes back up over ``duck_release_ms``.
5. **Loudness and true peak** - the mix is brought to ``target_lufs`` (ITU-R BS.1770-4
   integrated, gated) by a gain and a true-peak look-ahead limiter (4x oversampled envelope)
   at ``true_peak_dbtp``, iterated until the limited result is on target.

The :class:`MasterReport` gives what was measured on the result: integrated loudness, true
peak, loudness range (EBU Tech 3342), the voice-to-bed level difference while the voice plays,
the ducking depth, and the timeline.

Everything runs in float32 (the filters too: the loudness moves by 5e-5 LU against float64),
the 4x oversampling a chunk at a time, and every level is measured from the K-weighted power
computed once per signal (voice, bed) rather than by filtering each intermediate mix again.
A minute of programme masters in ~0.3 s of one core (``make bench``). Importing this package is
cheap (numpy and friends load on first use), so the API function can serve the preset listing.

The stages live in their own modules: :mod:`.presets`, :mod:`.voice_chain`, :mod:`.ducking`,
:mod:`.limiter`, :mod:`.mix` (the chain) and :mod:`.report`; the meters in
:mod:`audiofn.dsp.loudness` and :mod:`audiofn.dsp.true_peak`.
"""

from audiofn.mastering.mix import SAMPLE_RATE, master, plan_timeline
from audiofn.mastering.presets import (
    DEFAULT_PRESET,
    PRESETS,
    MasteringPreset,
    UnknownPreset,
    get_preset,
    mastering_presets,
)
from audiofn.mastering.report import MasterReport, MasterResult, SectionSpan

__all__ = [
    "DEFAULT_PRESET",
    "PRESETS",
    "SAMPLE_RATE",
    "MasterReport",
    "MasterResult",
    "MasteringPreset",
    "SectionSpan",
    "UnknownPreset",
    "get_preset",
    "master",
    "mastering_presets",
    "plan_timeline",
]
