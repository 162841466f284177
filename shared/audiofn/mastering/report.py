"""What mastering returns: the master, its measured report and, on request, its tracks."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any, TypeAlias

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

    from audiofn.audio import Audio
    from audiofn.dsp.loudness import LoudnessSeries

    Float64: TypeAlias = npt.NDArray[np.float64]
    Float32: TypeAlias = npt.NDArray[np.float32]


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
    short_term_loudness: LoudnessSeries | None = None
    """Short-term loudness (3 s windows) every 0.5 s or more, of the master before encoding:
    the loudness-over-time plot."""

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready, rounded for humans (the job record / API)."""
        raw = asdict(self)
        del raw["short_term_loudness"]  # written in its own form below, or left out
        for key, value in raw.items():
            if isinstance(value, float):
                raw[key] = round(value, 3)
        raw["timeline"] = [
            {"index": s.index, "start": round(s.start, 3), "end": round(s.end, 3)}
            for s in self.timeline
        ]
        if self.short_term_loudness is not None:
            raw["short_term_loudness"] = self.short_term_loudness.to_dict()
        return raw


@dataclass(frozen=True)
class MasterResult:
    audio: Audio
    report: MasterReport
    voice: Audio | None = None
    """With ``keep_tracks``: the processed voice as it went into the mix (final gain applied)."""
    bed: Audio | None = None
    """With ``keep_tracks``: the ducked bed as it went into the mix (final gain applied)."""
