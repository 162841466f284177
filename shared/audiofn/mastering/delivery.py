"""Delivered loudness: each end format encoded, decoded and measured, and a lossy file whose
codec moved its level brought back on target, so the report describes the bytes delivered."""

from __future__ import annotations

from typing import Any

from audiofn.models.apiaudio import MP3_TIERS

LOSSLESS_FORMATS = ("wav", "flac")
LOUDNESS_TOLERANCE_LU = 0.05


def encode_on_target(audio: Any, fmt: str, master: Any) -> tuple[bytes, dict[str, float]]:
    """One end format's bytes, and the loudness and true peak of those bytes as decoded.

    Lossless files are the master itself (16-bit), so the master's figures are theirs. A lossy
    codec moves the level (LAME at 192 kbps reads 0.27 LU quieter, at 96 kbps 0.44 LU; Vorbis
    0.07 LU): the file is decoded and measured with the project's meter, and when it misses the
    target by more than the tolerance, the gain that closes the gap is applied, the master's
    limiter holds the preset's true-peak limit, and the file is encoded once more. The figures
    returned are always those of the bytes delivered.
    """
    from audiofn.audio import Audio
    from audiofn.codecs import decode, encode
    from audiofn.mastering.limiter import limit_true_peak

    base = "mp3" if fmt.startswith("mp3") else fmt
    bitrate = MP3_TIERS.get(fmt)
    data = encode(audio, base, bitrate_kbps=bitrate)
    if base in LOSSLESS_FORMATS:
        measured = {
            "integratedLufs": master.integrated_lufs,
            "truePeakDbtp": master.true_peak_dbtp,
        }
        return data, _rounded(measured, gain_db=0.0)
    lufs, peak = _measure_delivered(decode(data))
    gain_db = 0.0
    if abs(master.target_lufs - lufs) > LOUDNESS_TOLERANCE_LU:
        gain_db = master.target_lufs - lufs
        scaled = (audio.samples * 10.0 ** (gain_db / 20.0)).astype("float32")
        limited, _ = limit_true_peak(scaled, audio.sample_rate, master.true_peak_limit_dbtp)
        data = encode(Audio(limited, audio.sample_rate), base, bitrate_kbps=bitrate)
        lufs, peak = _measure_delivered(decode(data))
    return data, _rounded({"integratedLufs": lufs, "truePeakDbtp": peak}, gain_db=gain_db)


def _measure_delivered(decoded: Any) -> tuple[float, float]:
    from audiofn.dsp.measure import integrated_lufs, true_peak_dbfs

    return integrated_lufs(decoded), true_peak_dbfs(decoded.samples, decoded.sample_rate)


def _rounded(measured: dict[str, float], gain_db: float) -> dict[str, float]:
    return {
        **{k: round(float(v), 3) for k, v in measured.items()},
        "codecGainDb": round(gain_db, 3),
    }
