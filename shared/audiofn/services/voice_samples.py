"""Voice samples: decode, check against the upload requirements, clean, and measure the speaker.

Pure functions over :class:`~audiofn.audio.Audio` (numpy) with decoding at the edge, so every
check is testable with synthetic signals. The requirements are the voice-management protocol's:
10-60 s of clear speech from one speaker, at 22.05 kHz or more, not clipped, not noisy.
"""

from __future__ import annotations

import io
import math
import wave
from dataclasses import dataclass

import numpy as np
from pydantic import BaseModel

from audiofn.audio import Audio, Samples
from audiofn.models.voices import SAMPLE_EXTENSIONS

MIN_SAMPLES_PER_PROFILE = 2
MAX_SAMPLES_PER_PROFILE = 5

_ANALYSIS_RATE = 16_000
_FRAME = 480  # 30 ms at 16 kHz: the frame webrtcvad and the energy checks share
_PITCH_MIN_HZ, _PITCH_MAX_HZ = 60.0, 400.0
_TARGET_LUFS = -20.0
_CLIP_LEVEL = 0.995


@dataclass(frozen=True)
class SampleRequirements:
    min_seconds: float = 10.0
    max_seconds: float = 60.0
    min_sample_rate: int = 22_050
    silence_dbfs: float = -50.0  # a sample whose loudest 30 ms is quieter than this is silent
    max_clipped_fraction: float = 0.01
    min_snr_db: float = 15.0
    min_speech_fraction: float = 0.25  # of the sample's duration, by voice activity


REQUIREMENTS = SampleRequirements()


class SampleUnreadable(ValueError):
    """The bytes are not a usable audio file (empty, truncated, mislabelled, unknown format)."""


class SampleCheck(BaseModel):
    name: str
    passed: bool
    value: float | None = None
    message: str


class SampleReport(BaseModel):
    """What the checks found in one sample; `failures` names every failed check."""

    filename: str
    duration: float
    sample_rate: int
    checks: list[SampleCheck]

    @property
    def passed(self) -> bool:
        return all(check.passed for check in self.checks)

    @property
    def failures(self) -> list[str]:
        return [f"{check.name}: {check.message}" for check in self.checks if not check.passed]


class VoiceTraits(BaseModel):
    """The speaker's measured voice: what a stand-in voice is shifted toward."""

    median_pitch_hz: float
    pitch_range_semitones: float  # 10th to 90th percentile of voiced frames
    speaking_rate: float  # syllable nuclei per second of speech (estimated)
    speech_seconds: float


# ------------------------------------------------------------------ decoding


def extension_of(filename: str) -> str:
    return filename.rsplit(".", 1)[-1].lower() if "." in filename else ""


SAMPLE_UPLOAD_SECONDS = 2 * REQUIREMENTS.max_seconds
"""Longest sample decoded at all: up to it a long sample fails the named duration check."""


def decode_sample(data: bytes, filename: str) -> Audio:
    """Decode an uploaded sample, or say precisely why it cannot be used."""
    from audiofn.codecs import UnsupportedFormat
    from audiofn.upload_audio import AudioRefused, UploadLimits, decode_upload

    ext = extension_of(filename)
    if ext not in SAMPLE_EXTENSIONS:
        raise SampleUnreadable(
            f"'{filename}': format '{ext or 'none'}' is not accepted; "
            f"use {', '.join(SAMPLE_EXTENSIONS).upper()}"
        )
    if not data:
        raise SampleUnreadable(f"'{filename}': the file is empty")
    if ext == "wav":
        _check_wav_container(data, filename)
    try:
        audio = decode_upload(data, UploadLimits(max_seconds=SAMPLE_UPLOAD_SECONDS))
    except AudioRefused as error:
        raise SampleUnreadable(f"'{filename}': {error}") from error
    except (UnsupportedFormat, ValueError, RuntimeError) as error:
        raise SampleUnreadable(
            f"'{filename}': not a readable {ext.upper()} file ({error})"
        ) from error
    if audio.samples.size == 0:
        raise SampleUnreadable(f"'{filename}': the file holds no audio frames")
    if not np.all(np.isfinite(audio.samples)):
        raise SampleUnreadable(f"'{filename}': the audio holds invalid (NaN or infinite) values")
    return audio


def _check_wav_container(data: bytes, filename: str) -> None:
    """libsndfile reads a cut-off WAV without complaint; the header's length tells the truth."""
    if data[:4] != b"RIFF" or data[8:12] != b"WAVE":
        raise SampleUnreadable(f"'{filename}': not a WAV file (no RIFF/WAVE header)")
    declared = int.from_bytes(data[4:8], "little") + 8
    if declared > len(data):
        raise SampleUnreadable(
            f"'{filename}': the file is truncated ({len(data)} of {declared} bytes)"
        )
    try:
        with wave.open(io.BytesIO(data)) as reader:
            expected = reader.getnframes() * reader.getsampwidth() * reader.getnchannels()
            frames = reader.readframes(reader.getnframes())
    except (wave.Error, EOFError):
        return  # a WAV flavour the wave module does not know (float, extensible): libsndfile
    if len(frames) < expected:
        raise SampleUnreadable(
            f"'{filename}': the file is truncated ({len(frames)} of {expected} audio bytes)"
        )


# ------------------------------------------------------------------ analysis helpers


def mono(audio: Audio) -> Samples:
    samples = audio.samples
    if samples.ndim == 2:
        samples = samples.mean(axis=1)
    return np.ascontiguousarray(samples, dtype=np.float32)


def _at_analysis_rate(audio: Audio) -> Samples:
    import soxr

    samples = mono(audio)
    if audio.sample_rate == _ANALYSIS_RATE:
        return samples
    return np.asarray(soxr.resample(samples, audio.sample_rate, _ANALYSIS_RATE), np.float32)


def _frames(samples: Samples, size: int = _FRAME, hop: int | None = None) -> Samples:
    hop = hop or size
    if len(samples) < size:
        samples = np.pad(samples, (0, size - len(samples)))
    count = 1 + (len(samples) - size) // hop
    return np.lib.stride_tricks.as_strided(
        samples, shape=(count, size), strides=(samples.strides[0] * hop, samples.strides[0])
    )


def _frame_db(samples: Samples) -> Samples:
    energy = np.mean(np.square(_frames(samples), dtype=np.float64), axis=1)
    return (10.0 * np.log10(energy + 1e-12)).astype(np.float32)


def speech_frames(samples16k: Samples) -> np.ndarray:
    """Voice activity per 30 ms frame (webrtcvad, aggressiveness 2), gated by energy."""
    import webrtcvad

    vad = webrtcvad.Vad(2)
    pcm = (np.clip(samples16k, -1, 1) * 32767).astype("<i2")
    usable = len(pcm) - len(pcm) % _FRAME
    frames = pcm[:usable].reshape(-1, _FRAME)
    levels = _frame_db(samples16k[:usable]) if usable else np.zeros(0, np.float32)
    gate = (np.max(levels) - 45.0) if len(levels) else 0.0
    return np.array(
        [
            vad.is_speech(frame.tobytes(), _ANALYSIS_RATE) and level > gate
            for frame, level in zip(frames, levels, strict=True)
        ],
        dtype=bool,
    )


def estimate_snr_db(samples16k: Samples) -> float:
    """Loud frames against the noise floor (the 10th percentile of 30 ms frame energies)."""
    levels = _frame_db(samples16k)
    floor = float(np.percentile(levels, 10))
    signal = float(np.percentile(levels, 90))
    return min(signal - floor, 99.0)


def pitch_track(samples16k: Samples) -> Samples:
    """F0 of voiced 40 ms frames (10 ms hop) by normalised autocorrelation; 0 where unvoiced."""
    size, hop = 640, 160
    frames = _frames(samples16k, size, hop).astype(np.float64)
    frames = frames - frames.mean(axis=1, keepdims=True)
    window = np.hanning(size)
    spectrum = np.fft.rfft(frames * window, n=2 * size, axis=1)
    corr = np.fft.irfft(np.abs(spectrum) ** 2, axis=1)[:, :size]
    energy = corr[:, 0] + 1e-12
    lo = int(_ANALYSIS_RATE / _PITCH_MAX_HZ)
    hi = int(_ANALYSIS_RATE / _PITCH_MIN_HZ)
    # Normalise by the window's own autocorrelation so long lags are not penalised.
    wcorr = np.fft.irfft(np.abs(np.fft.rfft(window, n=2 * size)) ** 2)[:size]
    norm = corr[:, lo:hi] / energy[:, None] / (wcorr[lo:hi] / wcorr[0])[None, :]
    # The first lag close to the best peak, not the best itself: sub-harmonics (two or three
    # periods) correlate almost as well and would halve the pitch.
    peak = np.max(norm, axis=1, keepdims=True)
    best = np.argmax(norm >= 0.9 * peak, axis=1)
    rows = np.arange(len(norm))
    for _ in range(hi - lo):  # climb to the local maximum
        step = np.minimum(best + 1, hi - lo - 1)
        better = norm[rows, step] > norm[rows, best]
        if not better.any():
            break
        best = np.where(better, step, best)
    strength = norm[rows, best]
    level = 10 * np.log10(energy / size)
    loud = level > (np.max(level) - 35.0)
    voiced = (strength > 0.6) & loud
    f0 = _ANALYSIS_RATE / (best + lo)
    return np.where(voiced, f0, 0.0).astype(np.float32)


def speaking_rate(samples16k: Samples, speech_seconds: float) -> float:
    """Syllable nuclei per second: peaks of the 100-900 Hz envelope at least 120 ms apart."""
    from scipy.signal import butter, find_peaks, sosfiltfilt

    sos = butter(4, [100, 900], btype="bandpass", fs=_ANALYSIS_RATE, output="sos")
    band = sosfiltfilt(sos, samples16k.astype(np.float64))
    hop = 160
    env = np.sqrt(np.mean(np.square(_frames(band.astype(np.float32), 320, hop)), axis=1))
    kernel = np.hanning(7)
    env = np.convolve(env, kernel / kernel.sum(), mode="same")
    env_db = 20 * np.log10(env + 1e-9)
    peaks, _ = find_peaks(env_db, distance=12, prominence=4.0, height=np.max(env_db) - 30.0)
    return float(len(peaks) / speech_seconds) if speech_seconds > 0 else 0.0


# ------------------------------------------------------------------ checks


def check_sample(
    audio: Audio, filename: str, requirements: SampleRequirements = REQUIREMENTS
) -> SampleReport:
    """Every requirement, checked and named; nothing stops at the first failure."""
    req = requirements
    duration = audio.duration
    checks = [
        SampleCheck(
            name="duration",
            passed=req.min_seconds <= duration <= req.max_seconds,
            value=round(duration, 2),
            message=(
                f"{duration:.1f} s is too short (at least {req.min_seconds:g} s)"
                if duration < req.min_seconds
                else f"{duration:.1f} s is too long (at most {req.max_seconds:g} s)"
                if duration > req.max_seconds
                else f"{duration:.1f} s"
            ),
        ),
        SampleCheck(
            name="sample_rate",
            passed=audio.sample_rate >= req.min_sample_rate,
            value=audio.sample_rate,
            message=(
                f"{audio.sample_rate} Hz"
                if audio.sample_rate >= req.min_sample_rate
                else f"{audio.sample_rate} Hz is too low (at least {req.min_sample_rate} Hz)"
            ),
        ),
    ]
    samples = mono(audio)
    peak_frame_db = float(np.max(_frame_db(samples))) if samples.size else -120.0
    silent = peak_frame_db < req.silence_dbfs
    checks.append(
        SampleCheck(
            name="silence",
            passed=not silent,
            value=round(peak_frame_db, 1),
            message=(
                f"the sample is silent (loudest moment {peak_frame_db:.0f} dBFS)"
                if silent
                else f"loudest moment {peak_frame_db:.0f} dBFS"
            ),
        )
    )
    clipped = float(np.mean(np.abs(audio.samples) >= _CLIP_LEVEL))
    checks.append(
        SampleCheck(
            name="clipping",
            passed=clipped < req.max_clipped_fraction,
            value=round(clipped * 100, 3),
            message=(
                f"{clipped * 100:.2f} % of samples are clipped (under "
                f"{req.max_clipped_fraction * 100:g} % allowed)"
                if clipped >= req.max_clipped_fraction
                else f"{clipped * 100:.2f} % clipped"
            ),
        )
    )
    if silent:
        return SampleReport(
            filename=filename, duration=duration, sample_rate=audio.sample_rate, checks=checks
        )
    analysis = _at_analysis_rate(audio)
    snr = estimate_snr_db(analysis)
    checks.append(
        SampleCheck(
            name="noise",
            passed=snr >= req.min_snr_db,
            value=round(snr, 1),
            message=(
                f"estimated signal-to-noise ratio {snr:.0f} dB is too low "
                f"(at least {req.min_snr_db:g} dB): record somewhere quieter or send denoise=true"
                if snr < req.min_snr_db
                else f"estimated signal-to-noise ratio {snr:.0f} dB"
            ),
        )
    )
    speech = speech_frames(analysis)
    fraction = float(speech.mean()) if speech.size else 0.0
    voiced = pitch_track(analysis)
    voiced_fraction = float(np.mean(voiced > 0)) if voiced.size else 0.0
    has_speech = fraction >= req.min_speech_fraction and voiced_fraction >= 0.1
    checks.append(
        SampleCheck(
            name="speech",
            passed=has_speech,
            value=round(fraction * 100, 1),
            message=(
                f"too little speech: voice activity in {fraction * 100:.0f} % of the sample, "
                f"voiced in {voiced_fraction * 100:.0f} % (at least "
                f"{req.min_speech_fraction * 100:g} % speech from one speaker needed)"
                if not has_speech
                else f"speech in {fraction * 100:.0f} % of the sample"
            ),
        )
    )
    return SampleReport(
        filename=filename, duration=duration, sample_rate=audio.sample_rate, checks=checks
    )


# ------------------------------------------------------------------ cleaning and measuring


def denoise(audio: Audio) -> Audio:
    """Stationary spectral gating (noisereduce): steady room noise out, speech kept."""
    import noisereduce

    cleaned = noisereduce.reduce_noise(
        y=mono(audio), sr=audio.sample_rate, stationary=True, prop_decrease=0.9
    )
    return Audio(np.asarray(cleaned, dtype=np.float32), audio.sample_rate)


def trim_silence(audio: Audio, margin_seconds: float = 0.15) -> Audio:
    """Leading and trailing silence out (relative to the loudest 30 ms), a small margin kept."""
    samples = mono(audio)
    frame = max(1, int(audio.sample_rate * 0.03))
    levels = _frame_db_sized(samples, frame)
    loud = np.nonzero(levels > np.max(levels) - 40.0)[0]
    if loud.size == 0:
        return Audio(samples, audio.sample_rate)
    margin = int(margin_seconds * audio.sample_rate)
    start = max(0, loud[0] * frame - margin)
    end = min(len(samples), (loud[-1] + 1) * frame + margin)
    return Audio(samples[start:end].copy(), audio.sample_rate)


def _frame_db_sized(samples: Samples, frame: int) -> Samples:
    energy = np.mean(np.square(_frames(samples, frame), dtype=np.float64), axis=1)
    return (10.0 * np.log10(energy + 1e-12)).astype(np.float32)


def normalize_loudness(audio: Audio, target_lufs: float = _TARGET_LUFS) -> Audio:
    """Integrated loudness to the target (BS.1770), peaks kept under -1 dBFS."""
    from audiofn.dsp.measure import integrated_lufs

    samples = mono(audio)
    loudness = integrated_lufs(Audio(samples, audio.sample_rate))
    if not math.isfinite(loudness):
        return Audio(samples, audio.sample_rate)
    gain = 10 ** ((target_lufs - loudness) / 20)
    out = samples * gain
    peak = float(np.max(np.abs(out))) if out.size else 0.0
    ceiling = 10 ** (-1 / 20)
    if peak > ceiling:
        out = out * (ceiling / peak)
    return Audio(out.astype(np.float32), audio.sample_rate)


def clean_sample(audio: Audio, *, remove_noise: bool) -> Audio:
    """Denoise when asked, trim leading and trailing silence, normalise loudness (mono)."""
    if remove_noise:
        audio = denoise(audio)
    return normalize_loudness(trim_silence(audio))


def measure_voice(samples: list[Audio]) -> VoiceTraits:
    """Median pitch, pitch range and speaking rate over all of a speaker's samples."""
    pitches: list[Samples] = []
    rates: list[tuple[float, float]] = []
    speech_total = 0.0
    for audio in samples:
        analysis = _at_analysis_rate(audio)
        track = pitch_track(analysis)
        pitches.append(track[track > 0])
        speech_seconds = float(speech_frames(analysis).sum()) * _FRAME / _ANALYSIS_RATE
        speech_total += speech_seconds
        rates.append((speaking_rate(analysis, speech_seconds), speech_seconds))
    voiced = np.concatenate(pitches) if pitches else np.zeros(0, np.float32)
    if voiced.size == 0:
        raise ValueError("no voiced speech to measure")
    median = float(np.median(voiced))
    p10, p90 = np.percentile(voiced, [10, 90])
    weight = sum(seconds for _, seconds in rates) or 1.0
    rate = sum(r * seconds for r, seconds in rates) / weight
    return VoiceTraits(
        median_pitch_hz=round(median, 1),
        pitch_range_semitones=round(float(12 * np.log2(p90 / p10)), 2),
        speaking_rate=round(rate, 2),
        speech_seconds=round(speech_total, 2),
    )
