"""Named delivery specifications: the loudness, true peak and file each platform or standard
asks for, with the published source of every figure.

Pure data (no numpy), so the API function can list them and validate names. Where a source
gives no tolerance or no file format, the value here is the project's choice and ``notes``
says so; the README cites every source.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any


@dataclass(frozen=True)
class DeliverySpec:
    """What one deliverable must measure, decoded, and the file it is delivered as."""

    id: str
    name: str
    integrated_lufs: float
    tolerance_lu: float
    true_peak_dbtp: float
    format: str
    """An end format of the encoder (``mp3``, ``wav``...)."""
    sample_rate: int
    bitrate_kbps: int | None
    source: str
    loudness_range_max_lu: float | None = None
    max_short_term_lufs: float | None = None
    min_duration_s: float | None = None
    max_duration_s: float | None = None
    notes: str = ""

    def to_api(self) -> dict[str, Any]:
        """One entry of ``GET /mastering/delivery-specs``."""
        return {
            "id": self.id,
            "name": self.name,
            **self.limits(),
            "format": self.format,
            "sampleRate": self.sample_rate,
            "bitrateKbps": self.bitrate_kbps,
            "source": self.source,
            "notes": self.notes,
        }

    def limits(self) -> dict[str, float | None]:
        """The figures a deliverable is judged against."""
        return {
            "integratedLufs": self.integrated_lufs,
            "toleranceLu": self.tolerance_lu,
            "truePeakDbtp": self.true_peak_dbtp,
            "loudnessRangeMaxLu": self.loudness_range_max_lu,
            "maxShortTermLufs": self.max_short_term_lufs,
            "minDurationS": self.min_duration_s,
            "maxDurationS": self.max_duration_s,
        }


DELIVERY_SPECS: Mapping[str, DeliverySpec] = MappingProxyType(
    {
        spec.id: spec
        for spec in (
            DeliverySpec(
                id="apple-podcasts",
                name="Apple Podcasts",
                integrated_lufs=-16.0,
                tolerance_lu=1.0,
                true_peak_dbtp=-1.0,
                format="mp3",
                sample_rate=44_100,
                bitrate_kbps=192,
                source="https://podcasters.apple.com/support/893-audio-requirements",
                notes="-16 LKFS ±1 dB, true peak at most -1 dBFS; MP3 stereo at 44.1 kHz, "
                "128-256 kbps recommended.",
            ),
            DeliverySpec(
                id="spotify",
                name="Spotify",
                integrated_lufs=-14.0,
                tolerance_lu=1.0,
                true_peak_dbtp=-1.0,
                format="mp3",
                sample_rate=44_100,
                bitrate_kbps=192,
                source="https://artists.spotify.com/help/article/loudness-normalization",
                notes="-14 LUFS integrated, below -1 dBTP. Spotify publishes no tolerance: "
                "±1 LU is applied here. MP3 at 192 kbps, as podcast feeds carry it.",
            ),
            DeliverySpec(
                id="ebu-r128",
                name="EBU R128",
                integrated_lufs=-23.0,
                tolerance_lu=0.5,
                true_peak_dbtp=-1.0,
                format="wav",
                sample_rate=48_000,
                bitrate_kbps=None,
                source="https://tech.ebu.ch/publications/r128",
                notes="-23.0 LUFS ±0.5 LU (v3.0; v4.0 allows ±1 LU in production), at most "
                "-1 dBTP. The recommendation sets no file format: 48 kHz 16-bit WAV here, "
                "the broadcast rate. LRA is reported, not limited (R 128 sets no maximum).",
            ),
            DeliverySpec(
                id="ebu-r128-s1",
                name="EBU R128 s1",
                integrated_lufs=-23.0,
                tolerance_lu=0.5,
                true_peak_dbtp=-1.0,
                format="wav",
                sample_rate=48_000,
                bitrate_kbps=None,
                max_short_term_lufs=-18.0,
                source="https://tech.ebu.ch/publications/r128s1",
                notes="Short-form content (commercials, promos): R 128's figures plus a "
                "maximum short-term loudness of -18 LUFS; LRA does not apply.",
            ),
            DeliverySpec(
                id="atsc-a85",
                name="ATSC A/85",
                integrated_lufs=-24.0,
                tolerance_lu=2.0,
                true_peak_dbtp=-2.0,
                format="wav",
                sample_rate=48_000,
                bitrate_kbps=None,
                source="https://www.atsc.org/atsc-documents/a852013-techniques-establishing-"
                "maintaining-audio-loudness-digital-television/",
                notes="-24 LKFS ±2 dB, -2 dBTP (US television; the CALM Act's reference). "
                "48 kHz 16-bit WAV.",
            ),
            DeliverySpec(
                id="soundcloud-audio-ad",
                name="SoundCloud audio ad",
                integrated_lufs=-16.0,
                tolerance_lu=1.5,
                true_peak_dbtp=-1.0,
                format="mp3",
                sample_rate=44_100,
                bitrate_kbps=192,
                min_duration_s=6.0,
                max_duration_s=30.0,
                source="https://www.southerncrossaustereo.com.au/advertise/ad-lab/"
                "digital-advertising-guidelines/ad-specs/",
                notes="Audio ad: MP3 of at least 192 kbps at 44.1 kHz, 6 to 30 s, normalised to "
                "-16 LKFS and no louder than -14.5 LUFS (hence ±1.5 LU). The source sets no "
                "true peak: -1 dBTP is applied here.",
            ),
        )
    }
)
"""Every delivery specification by id."""

MAX_DELIVERY_SPECS = len(DELIVERY_SPECS)


def _key(name: str) -> str:
    return re.sub(r"[^a-z0-9]", "", name.lower())


_BY_KEY = {
    key: spec for spec in DELIVERY_SPECS.values() for key in (_key(spec.id), _key(spec.name))
}


def find_delivery_spec(name: str) -> DeliverySpec | None:
    """A specification by its name or id, ignoring case, spaces and punctuation
    ("EBU R 128", "ebu-r128" and "EBU R128" are the same)."""
    return _BY_KEY.get(_key(name))


def delivery_specs() -> list[dict[str, Any]]:
    """``GET /mastering/delivery-specs``."""
    return [spec.to_api() for spec in DELIVERY_SPECS.values()]
