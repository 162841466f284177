"""The whole chain: sections laid on a timeline, the voice chain, the bed fitted and ducked,
the mix normalised and limited (:func:`master`)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, TypeAlias

from audiofn.dsp.loudness import (
    channel_power,
    integrated_loudness,
    k_weight,
    loudness_from_hops,
    power_to_lufs,
    short_term_series,
)
from audiofn.mastering.ducking import duck_curve, voice_activity
from audiofn.mastering.limiter import normalise_and_limit
from audiofn.mastering.presets import DEFAULT_PRESET, MasteringPreset, get_preset
from audiofn.mastering.report import MasterReport, MasterResult, SectionSpan
from audiofn.mastering.signals import db_to_gain, mono_at, stereo_at
from audiofn.mastering.voice_chain import run_voice_chain, voice_chain_rate

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

    from audiofn.audio import Audio
    from audiofn.sound.stems import Stems

    Float64: TypeAlias = npt.NDArray[np.float64]
    Float32: TypeAlias = npt.NDArray[np.float32]


SAMPLE_RATE = 44_100
"""Masters are stereo at CD rate (MP3 and AAC both support it natively)."""
_BED_LOOP_CROSSFADE_SECONDS = 1.0
_BED_FADE_OUT_SECONDS = 2.5


def _fit_audio_bed(bed: Audio, length: int, rate: int) -> Float32:
    """Loop an arbitrary bed (equal-power crossfades) to ``length`` and fade out its end."""
    import numpy as np

    x = stereo_at(bed, rate)
    if len(x) == 0:
        return np.zeros((length, 2), dtype=np.float32)
    fade = min(round(_BED_LOOP_CROSSFADE_SECONDS * rate), len(x) // 4)
    out = x
    if len(out) < length and fade > 0:
        theta = np.linspace(0.0, math.pi / 2.0, fade, dtype=np.float32)[:, None]
        fade_in, fade_out = np.sin(theta), np.cos(theta)
        pieces = [out]
        total = len(out)
        while total < length:
            previous = pieces[-1]
            pieces[-1] = previous[:-fade]
            joint = previous[-fade:] * fade_out + x[:fade] * fade_in
            pieces += [joint, x[fade:]]
            total += len(x) - fade
        out = np.concatenate(pieces)
    elif len(out) < length:
        out = np.concatenate([out, np.zeros((length - len(out), 2), dtype=np.float32)])
    out = np.array(out[:length], dtype=np.float32)
    fade_frames = min(length, round(_BED_FADE_OUT_SECONDS * rate))
    if fade_frames:
        out[-fade_frames:] *= np.linspace(1.0, 0.0, fade_frames, dtype=np.float32)[:, None] ** 2
    return out


def _active_loudness_db(power: Float32, active_samples: npt.NDArray[np.bool_]) -> float:
    import numpy as np

    selected = power[active_samples]
    if selected.size == 0:
        return -math.inf
    return float(power_to_lufs(float(selected.mean(dtype=np.float64))))


def plan_timeline(
    durations: Sequence[float], preset: str | MasteringPreset = DEFAULT_PRESET
) -> tuple[SectionSpan, ...]:
    """Where sections of these durations (seconds) will sit on the master."""
    chosen = get_preset(preset)
    spans = []
    position = chosen.lead_in_s
    for index, seconds in enumerate(durations):
        spans.append(SectionSpan(index, position, position + seconds))
        position += seconds + chosen.gap_s
    return tuple(spans)


@dataclass
class _Mix:
    samples: Float32
    power: Float32
    """K-weighted power per frame, channels summed."""
    bed: Float32 | None
    speech_to_bed_db: float | None
    ducking_db: float | None


def _place_sections(
    sections: Sequence[Audio], rate: int, preset: MasteringPreset
) -> tuple[list[Float32], list[int], tuple[SectionSpan, ...]]:
    """Each section mono at ``rate``, and where it starts (frames at that rate, and spans)."""
    voices = [mono_at(section, rate) for section in sections]
    if not voices or not any(len(v) for v in voices):
        raise ValueError("nothing to master: no speech sections with samples")
    gap = round(preset.gap_s * rate)
    starts, position = [], round(preset.lead_in_s * rate)
    for voice in voices:
        starts.append(position)
        position += len(voice) + gap
    timeline = tuple(
        SectionSpan(index, start / rate, (start + len(v)) / rate)
        for index, (start, v) in enumerate(zip(starts, voices, strict=True))
    )
    return voices, starts, timeline


def _prepare_bed(
    bed: Audio | Stems | None, speech_end: int, rate: int, preset: MasteringPreset
) -> tuple[Float32 | None, int, float | None]:
    """The bed at the master rate, the programme length (frames) and the outro's start (s).

    Template stems are arranged so the outro follows the last word; other audio is looped
    and faded out; without a bed the programme ends ``tail_s`` after the voice.
    """
    import numpy as np

    from audiofn.audio import Audio
    from audiofn.sound.stems import Stems, arrange_bed, plan_body_bars

    if isinstance(bed, Stems):
        arranged = arrange_bed(bed, plan_body_bars(bed, outro_at=speech_end / rate + preset.tail_s))
        samples = stereo_at(arranged.audio, rate)
        length = max(len(samples), speech_end)
        if len(samples) < length:
            samples = np.pad(samples, ((0, length - len(samples)), (0, 0)))
        return samples, length, arranged.outro_start
    if isinstance(bed, Audio):
        length = speech_end + round((preset.tail_s + _BED_FADE_OUT_SECONDS) * rate)
        return _fit_audio_bed(bed, length, rate), length, None
    return None, speech_end + round(preset.tail_s * rate), None


def _mix(
    voice: Float32,
    voice_weighted: Float32,
    bed: Float32 | None,
    rate: int,
    preset: MasteringPreset,
    *,
    keep_bed: bool,
) -> _Mix:
    """Level the bed against the voice, duck it under the voice, and add them up (into the
    bed's own array unless ``keep_bed``)."""
    import numpy as np

    if bed is None:
        return _Mix(
            samples=np.stack([voice, voice], axis=1),
            power=np.float32(2.0) * np.square(voice_weighted),
            bed=None,
            speech_to_bed_db=None,
            ducking_db=None,
        )
    length = len(voice)
    active, hop = voice_activity(voice, rate)
    active_samples = np.zeros(length, dtype=bool)
    spread = np.repeat(active, hop)[:length]
    active_samples[: len(spread)] = spread
    # The bed's K-weighted power and channel sum, before any gain: the gain curve g is slow
    # against the K filter, so the mix's power per frame follows from them without filtering
    # again: sum over channels of (g*b + v)^2 = g^2*sum(b^2) + 2*g*v*sum(b) + channels*v^2.
    bed_weighted = k_weight(bed, rate)
    bed_power = channel_power(bed_weighted)
    bed_sum = bed_weighted[:, 0].copy()
    for channel in range(1, bed_weighted.shape[1]):
        bed_sum += bed_weighted[:, channel]
    del bed_weighted
    # The voice sits in the centre: it is in both channels of the mix.
    voice_power = np.float32(2.0) * np.square(voice_weighted)
    voice_lufs = integrated_loudness(voice_power, rate)
    bed_lufs = integrated_loudness(bed_power, rate)
    bed_gain_db = 0.0
    if math.isfinite(voice_lufs) and math.isfinite(bed_lufs):
        bed_gain_db = voice_lufs + preset.bed_level_lu - bed_lufs
    gains, curve_db = duck_curve(active, hop, length, rate, preset)
    gains *= np.float32(db_to_gain(bed_gain_db))
    bed *= gains[:, None]
    bed_power *= gains
    bed_power *= gains  # now the ducked bed's power
    speech_to_bed = ducking = None
    if active.any():
        ducking = float(-curve_db[: len(active)][active].mean())
        speech_to_bed = _active_loudness_db(voice_power, active_samples) - _active_loudness_db(
            bed_power, active_samples
        )
    cross = np.multiply(gains, voice_weighted, out=gains)
    cross *= bed_sum
    cross *= np.float32(2.0)
    mix_power = np.add(bed_power, voice_power, out=bed_power)
    mix_power += cross
    return _Mix(
        samples=bed + voice[:, None] if keep_bed else np.add(bed, voice[:, None], out=bed),
        power=mix_power,
        bed=bed if keep_bed else None,
        speech_to_bed_db=speech_to_bed,
        ducking_db=ducking,
    )


def master(
    sections: Sequence[Audio],
    bed: Audio | Stems | None = None,
    preset: str | MasteringPreset = DEFAULT_PRESET,
    *,
    sample_rate: int = SAMPLE_RATE,
    keep_tracks: bool = False,
) -> MasterResult:
    """Mix the speech sections over the bed and master the result to the preset.

    ``bed`` is a template's :class:`~audiofn.sound.stems.Stems` (arranged to fit, ending on its
    outro), any other audio (looped and faded to fit), or None (voice only). The result is
    stereo at ``sample_rate``; see the module docstring for the chain.
    """
    import numpy as np

    from audiofn.audio import Audio

    chosen = get_preset(preset)
    rate = sample_rate
    voice_rate = voice_chain_rate(sections, rate)
    voices, starts, timeline = _place_sections(sections, voice_rate, chosen)
    speech_end = round(timeline[-1].end * rate)
    bed_samples, length, outro_start = _prepare_bed(bed, speech_end, rate, chosen)
    voice_track = np.zeros(math.ceil(length * voice_rate / rate), dtype=np.float32)
    for start, voice in zip(starts, voices, strict=True):
        voice_track[start : start + len(voice)] += voice
    del voices
    voice_track, voice_weighted = run_voice_chain(
        voice_track, voice_rate, chosen, rate=rate, length=length
    )
    mixed = _mix(voice_track, voice_weighted, bed_samples, rate, chosen, keep_bed=keep_tracks)
    del voice_weighted, bed_samples
    limited = normalise_and_limit(
        mixed.samples, mixed.power, rate, chosen.target_lufs, chosen.true_peak_dbtp
    )
    audio = Audio(limited.samples, rate)
    measured = loudness_from_hops(limited.hop_sums, rate)
    report = MasterReport(
        preset=chosen.name,
        duration=audio.duration,
        sample_rate=rate,
        channels=audio.channels,
        integrated_lufs=measured.integrated_lufs,
        true_peak_dbtp=limited.true_peak_dbtp,
        loudness_range_lu=measured.loudness_range_lu,
        target_lufs=chosen.target_lufs,
        true_peak_limit_dbtp=chosen.true_peak_dbtp,
        speech_to_bed_db=mixed.speech_to_bed_db,
        ducking_db=mixed.ducking_db,
        limiter_max_reduction_db=limited.max_reduction_db,
        speech_start=timeline[0].start,
        speech_end=timeline[-1].end,
        bed_outro_start=outro_start,
        timeline=timeline,
        short_term_loudness=short_term_series(limited.hop_sums, rate),
    )
    voice_out = bed_out = None
    if keep_tracks:
        final_gain = np.float32(db_to_gain(limited.gain_db))
        voice_out = Audio(voice_track * final_gain, rate)
        if mixed.bed is not None:
            bed_out = Audio(mixed.bed * final_gain, rate)
    return MasterResult(audio=audio, report=report, voice=voice_out, bed=bed_out)
