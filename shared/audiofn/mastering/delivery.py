"""Delivered loudness: each end format encoded, decoded and measured, and a lossy file whose
codec moved its level brought back on target, so the report describes the bytes delivered.

The same road makes a deliverable for a named specification (:mod:`.delivery_specs`): the
master, rendered once, is brought to the spec's rate, loudness and true-peak ceiling, encoded
as the spec says, decoded and measured, and judged against the spec's limits.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from audiofn.models.apiaudio import MP3_TIERS

if TYPE_CHECKING:
    from audiofn.audio import Audio
    from audiofn.mastering.delivery_specs import DeliverySpec

LOSSLESS_FORMATS = ("wav", "flac")
LOUDNESS_TOLERANCE_LU = 0.05
_PEAK_RETRIES = 2
"""Encodes that may follow one whose decoded true peak overshot the ceiling (a lossy codec
adds a few tenths of a dB to the peaks it was given), each with the limiter lowered by the
overshoot."""


CODEC_LEVEL_SHIFT_LU: dict[tuple[str, int | None], float] = {
    ("mp3", 96): -0.44,
    ("mp3", 128): -0.45,
    ("mp3", 192): -0.265,
    ("ogg", None): -0.075,
    ("m4a", 128): -0.06,
}
"""How much quieter a file decodes than the master it was encoded from (stereo 44.1 kHz
masters over three beds, spread under 0.01 LU): the gain a first encode starts with, so the
file is on target without a second encode (LAME at 320 kbps moves nothing)."""


def encode_on_target(
    audio: Any, fmt: str, master: Any, *, bitrate_kbps: int | None = None
) -> tuple[bytes, dict[str, float]]:
    """One end format's bytes, and the loudness and true peak of those bytes as decoded
    (``bitrate_kbps`` for a format whose name does not say it, such as a VAST rendition).

    Lossless files are the master itself (16-bit), so the master's figures are theirs. A lossy
    codec moves the level (:data:`CODEC_LEVEL_SHIFT_LU`), so the first encode starts with the
    gain that makes up the codec's known shift, under the master's true-peak limiter; the file is
    decoded and measured with the project's meter, and when it misses the target by more than the
    tolerance, the gain that closes the gap is applied and the file is encoded once more. The
    figures returned are always those of the bytes delivered.
    """
    from audiofn.dsp.measure import integrated_lufs, true_peak_dbfs

    base = "mp3" if fmt.startswith("mp3") else fmt
    bitrate = bitrate_kbps or MP3_TIERS.get(fmt)
    if base in LOSSLESS_FORMATS:
        from audiofn.codecs import encode

        measured = {
            "integratedLufs": master.integrated_lufs,
            "truePeakDbtp": master.true_peak_dbtp,
        }
        return encode(audio, base, bitrate_kbps=bitrate), _rounded(measured, gain_db=0.0)
    encoded = _encode_on_level(
        audio,
        base,
        bitrate,
        target_lufs=master.target_lufs,
        ceiling_dbtp=master.true_peak_limit_dbtp,
        gain_db=-CODEC_LEVEL_SHIFT_LU.get((base, bitrate), 0.0),
    )
    decoded = encoded.decoded
    lufs, peak = integrated_lufs(decoded), true_peak_dbfs(decoded.samples, decoded.sample_rate)
    return encoded.data, _rounded(
        {"integratedLufs": lufs, "truePeakDbtp": peak}, gain_db=encoded.gain_db
    )


def deliver_to_spec(
    audio: Audio, spec: DeliverySpec, *, master_lufs: float
) -> tuple[bytes, dict[str, Any]]:
    """The master as ``spec`` asks for it, and what its decoded bytes measure, with the verdict.

    The gain is the spec's target minus the master's loudness (``master_lufs``); the true-peak
    limiter holds the spec's ceiling (lowered by any overshoot the codec adds, up to
    :data:`_PEAK_RETRIES` more encodes). Whatever comes out is judged as it is: a file that
    misses a limit is reported as failing, with each limit it misses.
    """
    from audiofn.dsp.effects import resample
    from audiofn.dsp.loudness import measure_loudness
    from audiofn.dsp.measure import true_peak_dbfs

    source = resample(audio, spec.sample_rate)
    ceiling = spec.true_peak_dbtp
    gain_db = spec.integrated_lufs - master_lufs
    for attempt in range(_PEAK_RETRIES + 1):
        encoded = _encode_on_level(
            source,
            spec.format,
            spec.bitrate_kbps,
            target_lufs=spec.integrated_lufs,
            ceiling_dbtp=ceiling,
            gain_db=gain_db,
        )
        decoded = encoded.decoded
        peak = true_peak_dbfs(decoded.samples, decoded.sample_rate)
        overshoot = peak - spec.true_peak_dbtp
        if overshoot <= 0.0 or attempt == _PEAK_RETRIES:
            break
        ceiling -= overshoot + 0.05
        gain_db = encoded.gain_db
    loudness = measure_loudness(decoded)
    short_term = loudness.short_term_lufs
    measured = {
        "integratedLufs": _finite(loudness.integrated_lufs),
        "truePeakDbtp": _finite(peak),
        "loudnessRangeLu": _finite(loudness.loudness_range_lu),
        "maxShortTermLufs": _finite(float(short_term.max())) if short_term.size else None,
        "durationS": round(decoded.duration, 3),
        "sampleRate": decoded.sample_rate,
    }
    passed, reasons = judge(spec, measured)
    return encoded.data, {
        "spec": spec.name,
        "specId": spec.id,
        "format": spec.format,
        "bitrateKbps": spec.bitrate_kbps,
        "bytes": len(encoded.data),
        "gainDb": round(encoded.gain_db, 3),
        "measured": measured,
        "limits": spec.limits(),
        "verdict": "pass" if passed else "fail",
        "reasons": reasons,
        "source": spec.source,
    }


def judge(spec: DeliverySpec, measured: dict[str, Any]) -> tuple[bool, list[str]]:
    """Pass only when every limit the spec sets is met by the decoded file's figures; the
    reasons name each limit missed (or say that all were met)."""
    failures: list[str] = []
    lufs = measured.get("integratedLufs")
    low, high = spec.integrated_lufs - spec.tolerance_lu, spec.integrated_lufs + spec.tolerance_lu
    if lufs is None:
        failures.append("integrated loudness: not measurable (silence or under 0.4 s)")
    elif not low <= lufs <= high:
        failures.append(
            f"integrated loudness {lufs:.2f} LUFS is outside {spec.integrated_lufs:.1f} "
            f"±{spec.tolerance_lu:g} LU"
        )
    peak = measured.get("truePeakDbtp")
    if peak is not None and peak > spec.true_peak_dbtp:
        failures.append(f"true peak {peak:.2f} dBTP is above {spec.true_peak_dbtp:.1f} dBTP")
    lra = measured.get("loudnessRangeLu")
    if spec.loudness_range_max_lu is not None and (lra is None or lra > spec.loudness_range_max_lu):
        failures.append(f"loudness range {lra} LU is above {spec.loudness_range_max_lu:g} LU")
    short = measured.get("maxShortTermLufs")
    if (
        spec.max_short_term_lufs is not None
        and short is not None
        and short > spec.max_short_term_lufs
    ):
        failures.append(
            f"maximum short-term loudness {short:.2f} LUFS is above "
            f"{spec.max_short_term_lufs:.1f} LUFS"
        )
    duration = float(measured.get("durationS") or 0.0)
    if spec.min_duration_s is not None and duration < spec.min_duration_s:
        failures.append(f"duration {duration:.2f} s is under {spec.min_duration_s:g} s")
    if spec.max_duration_s is not None and duration > spec.max_duration_s:
        failures.append(f"duration {duration:.2f} s is over {spec.max_duration_s:g} s")
    if measured.get("sampleRate") not in (None, spec.sample_rate):
        failures.append(f"sample rate {measured['sampleRate']} Hz is not {spec.sample_rate} Hz")
    if failures:
        return False, failures
    return True, [f"meets every limit of {spec.name}"]


@dataclass(frozen=True)
class _Encoded:
    data: bytes
    decoded: Audio
    gain_db: float


def _encode_on_level(
    audio: Audio,
    base: str,
    bitrate: int | None,
    *,
    target_lufs: float,
    ceiling_dbtp: float,
    gain_db: float,
) -> _Encoded:
    """Encode with ``gain_db`` (limited to the ceiling), decode, and when the decoded file
    misses the target by more than the tolerance, correct the gain and encode once more."""
    from audiofn.codecs import decode, encode
    from audiofn.dsp.measure import integrated_lufs

    data = encode(_at_gain(audio, gain_db, ceiling_dbtp), base, bitrate_kbps=bitrate)
    decoded = decode(data)
    lufs = integrated_lufs(decoded)
    if math.isfinite(lufs) and abs(target_lufs - lufs) > LOUDNESS_TOLERANCE_LU:
        gain_db += target_lufs - lufs
        data = encode(_at_gain(audio, gain_db, ceiling_dbtp), base, bitrate_kbps=bitrate)
        decoded = decode(data)
    return _Encoded(data, decoded, gain_db)


def _at_gain(audio: Audio, gain_db: float, ceiling_dbtp: float) -> Audio:
    from audiofn.audio import Audio
    from audiofn.mastering.limiter import limit_true_peak

    if gain_db == 0.0:
        return audio
    scaled = (audio.samples * 10.0 ** (gain_db / 20.0)).astype("float32")
    if scaled.ndim == 1:
        limited, _ = limit_true_peak(scaled[:, None], audio.sample_rate, ceiling_dbtp)
        return Audio(limited[:, 0], audio.sample_rate)
    limited, _ = limit_true_peak(scaled, audio.sample_rate, ceiling_dbtp)
    return Audio(limited, audio.sample_rate)


def _finite(value: float) -> float | None:
    return round(float(value), 3) if math.isfinite(value) else None


def _rounded(measured: dict[str, float], gain_db: float) -> dict[str, float]:
    return {
        **{k: round(float(v), 3) for k, v in measured.items()},
        "codecGainDb": round(gain_db, 3),
    }
