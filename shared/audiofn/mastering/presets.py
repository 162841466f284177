"""Mastering presets: the loudness target, voice chain, bed level and ducking of each kind of
programme."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, TypeAlias

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

    Float64: TypeAlias = npt.NDArray[np.float64]
    Float32: TypeAlias = npt.NDArray[np.float32]


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
