"""Rendering a batch: what every listener shares is rendered once, each listener's own
sentences are synthesised and spliced in.

A script is cut into fragments at sentence ends: a sentence with a placeholder is personal,
a run of sentences without one is shared. The *shared render* is one complete master made
with reference values (speech, bed, voice chain, ducking, loudness, limiter), kept with its
ducked bed and its K-weighted power. A listener's master is that master with each personal
stretch replaced: the listener's sentence is synthesised (through the fragment cache), put
through the same voice chain at the reference level, laid over the same ducked bed, limited,
and crossfaded in where the reference has a pause (the cut points sit in the silence between
sentences, where only the bed plays). Loudness is measured per listener from the shared
power plus the new stretch's, so it costs a few milliseconds, not a pass over the master.

Everything here is pure: arrays and audio in, arrays and audio out.
"""

from __future__ import annotations

import io
import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from audiofn.text.sentences import split_sentences

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

    from audiofn.audio import Audio
    from audiofn.mp3_splice import Change
    from audiofn.sound.stems import Stems
    from audiofn.text.scripts import ParsedScript

    Float32 = npt.NDArray[np.float32]

SENTENCE_PAUSE_S = 0.35
"""Silence between two fragments of a section (a sentence pause)."""
SPLICE_MARGIN_S = 0.15
"""A personal stretch is cut this far before its first and after its last sound: inside the
pauses around it, where the reference master has only the bed."""
HEAD_CROSSFADE_S = 0.02
TAIL_CROSSFADE_S = 0.08
"""After a personal stretch of another length, the bed jumps in time: crossfaded, under
the ducking, over this long."""
_TRIM_DBFS = -50.0
_LEAD_MARGIN_S = 0.02
_TAIL_MARGIN_S = 0.05
_LOUDNESS_CONTEXT_S = 0.2
_PLACEHOLDER = re.compile(r"\{\{")


@dataclass(frozen=True)
class Fragment:
    """One stretch of a section's text (placeholders not yet filled)."""

    section: int
    text: str
    personal: bool
    name: str = ""
    """The section's name (for messages)."""


def plan_fragments(parsed: ParsedScript) -> list[Fragment]:
    """Cut every section at sentence ends; join neighbouring sentences of the same kind.

    A section with markup is one fragment: SSML is not cut inside its elements.
    """
    fragments: list[Fragment] = []
    for index, section in enumerate(parsed.sections):
        sentences = [section.text] if "<" in section.text else split_sentences(section.text)
        for sentence in (s.strip() for s in sentences):
            if not sentence:
                continue
            personal = bool(_PLACEHOLDER.search(sentence))
            last = fragments[-1] if fragments else None
            if last is not None and last.section == index and last.personal == personal:
                fragments[-1] = Fragment(index, f"{last.text} {sentence}", personal, section.name)
            else:
                fragments.append(Fragment(index, sentence, personal, section.name))
    return fragments


def trim_silence(audio: Audio) -> Audio:
    """Mono, with the silence at both ends cut to short margins."""
    import numpy as np

    from audiofn.audio import Audio
    from audiofn.dsp.effects import to_mono

    samples = to_mono(audio).samples
    loud = np.flatnonzero(np.abs(samples) > 10.0 ** (_TRIM_DBFS / 20.0))
    if loud.size == 0:
        return Audio(samples, audio.sample_rate)
    start = max(0, int(loud[0]) - round(_LEAD_MARGIN_S * audio.sample_rate))
    end = min(len(samples), int(loud[-1]) + 1 + round(_TAIL_MARGIN_S * audio.sample_rate))
    return Audio(np.ascontiguousarray(samples[start:end]), audio.sample_rate)


@dataclass(frozen=True)
class SpokenSections:
    sections: list[Audio]
    personal_spans: list[tuple[int, int, int]]
    """(section, first sample, end sample) of each personal fragment, at the voice's rate."""
    personal_audio: list[Audio]


def speak_sections(
    fragments: Sequence[Fragment], texts: Sequence[str], speak: Callable[[str], Audio]
) -> SpokenSections:
    """Speak each fragment (texts filled in for one listener) and lay them out per section."""
    import numpy as np

    from audiofn.audio import Audio

    by_section: dict[int, list[Audio]] = {}
    spans: list[tuple[int, int, int]] = []
    personal: list[Audio] = []
    rate = 0
    for fragment, text in zip(fragments, texts, strict=True):
        audio = trim_silence(speak(text))
        rate = rate or audio.sample_rate
        if audio.sample_rate != rate:
            raise ValueError("the fragments of one batch must share a sample rate")
        pieces = by_section.setdefault(fragment.section, [])
        offset = sum(len(p.samples) for p in pieces)
        if pieces:
            gap = Audio(np.zeros(round(SENTENCE_PAUSE_S * rate), dtype=np.float32), rate)
            pieces.append(gap)
            offset += len(gap.samples)
        pieces.append(audio)
        if fragment.personal:
            spans.append((fragment.section, offset, offset + len(audio.samples)))
            personal.append(audio)
    sections = [
        Audio(np.concatenate([p.samples for p in by_section[index]]), rate)
        for index in sorted(by_section)
    ]
    return SpokenSections(sections, spans, personal)


@dataclass(frozen=True)
class Region:
    """A personal stretch of the shared render, in master samples."""

    start: int
    """Cut point before the stretch (in the pause before it)."""
    end: int
    """Cut point after it."""
    lead: int
    """Samples from the cut point to the voice."""
    trail: int
    """Samples from the voice's end to the cut point after it."""
    gain: float
    """Scales the chain's output (levelled alone) to the reference's level in the master."""


@dataclass
class SharedRender:
    """The reference master of a batch and what splicing needs of it."""

    rate: int
    audio: Float32
    bed: Float32
    power: Float32
    regions: list[Region]
    preset: str
    true_peak_limit_dbtp: float
    target_lufs: float
    true_peak_dbtp: float
    integrated_lufs: float
    extra: dict[str, Any] = field(default_factory=dict)

    def to_bytes(self) -> bytes:
        import json

        import numpy as np

        meta = {
            "rate": self.rate,
            "regions": [r.__dict__ for r in self.regions],
            "preset": self.preset,
            "true_peak_limit_dbtp": self.true_peak_limit_dbtp,
            "target_lufs": self.target_lufs,
            "true_peak_dbtp": self.true_peak_dbtp,
            "integrated_lufs": self.integrated_lufs,
        }
        buffer = io.BytesIO()
        np.savez(
            buffer,
            audio=self.audio,
            bed=self.bed,
            power=self.power,
            meta=np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8),
        )
        return buffer.getvalue()

    @classmethod
    def from_bytes(cls, data: bytes) -> SharedRender:
        import json

        import numpy as np

        with np.load(io.BytesIO(data), allow_pickle=False) as arrays:
            meta = json.loads(arrays["meta"].tobytes())
            return cls(
                rate=int(meta["rate"]),
                audio=arrays["audio"],
                bed=arrays["bed"],
                power=arrays["power"],
                regions=[Region(**r) for r in meta["regions"]],
                preset=meta["preset"],
                true_peak_limit_dbtp=meta["true_peak_limit_dbtp"],
                target_lufs=meta["target_lufs"],
                true_peak_dbtp=meta["true_peak_dbtp"],
                integrated_lufs=meta["integrated_lufs"],
            )


def _mono_at(audio: Audio, rate: int) -> Float32:
    import numpy as np

    from audiofn.dsp.effects import resample, to_mono

    return np.ascontiguousarray(resample(to_mono(audio), rate).samples, dtype=np.float32)


def _rms(samples: Float32) -> float:
    import numpy as np

    return float(np.sqrt(np.mean(np.square(samples, dtype=np.float64)))) if samples.size else 0.0


def build_shared(spoken: SpokenSections, bed: Audio | Stems | None, preset: str) -> SharedRender:
    """Master the reference listener once, and find where its personal stretches sit."""
    import numpy as np

    from audiofn.dsp.loudness import channel_power, k_weight
    from audiofn.mastering import get_preset, master
    from audiofn.mastering.voice_chain import process_voice

    chosen = get_preset(preset)
    result = master(spoken.sections, bed, chosen, keep_tracks=True)
    rate = result.audio.sample_rate
    audio = result.audio.samples
    voice_rate = spoken.sections[0].sample_rate
    voice_track = result.voice.samples if result.voice is not None else None
    bed_track = (
        result.bed.samples if result.bed is not None else np.zeros_like(audio, dtype=np.float32)
    )
    margin = round(SPLICE_MARGIN_S * rate)
    regions: list[Region] = []
    for (section, first, end), fragment in zip(
        spoken.personal_spans, spoken.personal_audio, strict=True
    ):
        section_start = round(result.report.timeline[section].start * rate)
        voice_start = section_start + round(first * rate / voice_rate)
        voice_end = section_start + round(end * rate / voice_rate)
        cut_start = max(0, voice_start - margin)
        cut_end = min(len(audio), voice_end + margin)
        alone = process_voice(_mono_at(fragment, rate), rate, chosen)
        reference = voice_track[voice_start:voice_end] if voice_track is not None else alone
        level = _rms(alone[: len(reference)])
        regions.append(
            Region(
                start=cut_start,
                end=cut_end,
                lead=voice_start - cut_start,
                # measured from the fragment as a listener's is laid: the reference's own
                # sentence spliced back gives the reference's length exactly
                trail=cut_end - (voice_start + len(alone)),
                gain=_rms(reference) / level if level > 0 else 1.0,
            )
        )
    return SharedRender(
        rate=rate,
        audio=np.ascontiguousarray(audio, dtype=np.float32),
        bed=np.ascontiguousarray(bed_track, dtype=np.float32),
        power=channel_power(k_weight(audio, rate)),
        regions=regions,
        preset=chosen.name,
        true_peak_limit_dbtp=chosen.true_peak_dbtp,
        target_lufs=chosen.target_lufs,
        true_peak_dbtp=result.report.true_peak_dbtp,
        integrated_lufs=result.report.integrated_lufs,
    )


@dataclass(frozen=True)
class ListenerMaster:
    audio: Audio
    report: dict[str, Any]
    changes: list[Change] = field(default_factory=list)
    """Where it differs from the shared render (spliced masters only)."""


def _slice(samples: Float32, start: int, length: int) -> Float32:
    """``length`` frames from ``start``, zero-padded past the end."""
    import numpy as np

    out = np.zeros((length, *samples.shape[1:]), dtype=np.float32)
    piece = samples[start : start + length]
    out[: len(piece)] = piece
    return out


def splice_listener(
    shared: SharedRender, personal: Sequence[Audio], *, whole: int = 1
) -> ListenerMaster:
    """The shared render with each personal stretch replaced by this listener's.

    ``whole``: each stretch's pause after the voice is lengthened so that the stretch differs
    in length from the one it replaces by a multiple of this many samples (an MP3 frame: the
    shared audio after it then moves by whole frames, see :mod:`audiofn.mp3_splice`).
    """
    import numpy as np

    from audiofn.audio import Audio
    from audiofn.dsp.loudness import channel_power, integrated_loudness, k_weight
    from audiofn.mastering.voice_chain import process_voice
    from audiofn.mp3_splice import Change

    if len(personal) != len(shared.regions):
        raise ValueError("one personal fragment per region of the shared render")
    rate = shared.rate
    head = round(HEAD_CROSSFADE_S * rate)
    tail = round(TAIL_CROSSFADE_S * rate)
    context = round(_LOUDNESS_CONTEXT_S * rate)
    pieces: list[Float32] = []
    powers: list[Float32] = []
    position = 0
    true_peak = shared.true_peak_dbtp
    durations = []
    changes: list[Change] = []
    shift = 0
    for number, (region, fragment) in enumerate(zip(shared.regions, personal, strict=True)):
        if number + 1 < len(shared.regions):  # the next stretch may follow closely
            tail = min(tail, max(0, shared.regions[number + 1].start - region.end))
        voice = process_voice(_mono_at(fragment, rate), rate, shared.preset)
        voice *= np.float32(region.gain)
        length = region.lead + len(voice) + region.trail
        length += -(length - (region.end - region.start)) % whole
        mix = _slice(shared.bed, region.start, length + tail)
        mix[region.lead : region.lead + len(voice)] += voice[:, None]
        mix, peak = _limit(mix, rate, shared.true_peak_limit_dbtp)
        true_peak = max(true_peak, peak)
        theta = np.linspace(0.0, math.pi / 2.0, head, dtype=np.float32)[:, None]
        mix[:head] = shared.audio[region.start : region.start + head] * np.cos(theta) + mix[
            :head
        ] * np.sin(theta)
        theta = np.linspace(0.0, math.pi / 2.0, tail, dtype=np.float32)[:, None]
        after = _slice(shared.audio, region.end, tail)
        mix[length:] = mix[length:] * np.cos(theta) + after * np.sin(theta)
        # K-weighting needs a little of what came before to settle.
        before = shared.audio[max(0, region.start - context) : region.start]
        weighted = k_weight(np.concatenate([before, mix]), rate)[len(before) :]
        pieces += [shared.audio[position : region.start], mix]
        powers += [shared.power[position : region.start], channel_power(weighted)]
        start = region.start + shift
        shift += length - (region.end - region.start)
        changes.append(Change(start, start + len(mix), shift))
        position = region.end + tail
        durations.append(len(voice) / rate)
    pieces.append(shared.audio[position:])
    powers.append(shared.power[position:])
    samples = np.concatenate(pieces)
    loudness = integrated_loudness(np.concatenate(powers), rate)
    report = {
        "preset": shared.preset,
        "duration": round(len(samples) / rate, 3),
        "integrated_lufs": round(loudness, 2) if math.isfinite(loudness) else None,
        "target_lufs": shared.target_lufs,
        "true_peak_dbtp": round(true_peak, 2),
        "true_peak_limit_dbtp": shared.true_peak_limit_dbtp,
        "personal_seconds": [round(d, 3) for d in durations],
        # where this master differs from every other listener's (seconds, on its timeline)
        "personal_spans": [[round(c.start / rate, 3), round(c.end / rate, 3)] for c in changes],
        "spliced": True,
    }
    return ListenerMaster(Audio(samples, rate), report, changes)


def _limit(mix: Float32, rate: int, ceiling_dbtp: float) -> tuple[Float32, float]:
    from audiofn.mastering.limiter import limit_true_peak

    limited, peak = limit_true_peak(mix, rate, ceiling_dbtp)
    return limited, peak


def master_whole(spoken: SpokenSections, bed: Audio | Stems | None, preset: str) -> ListenerMaster:
    """A listener mastered from scratch (the batch's uncached road)."""
    from audiofn.mastering import master

    result = master(spoken.sections, bed, preset)
    report = result.report
    return ListenerMaster(
        result.audio,
        {
            "preset": report.preset,
            "duration": round(report.duration, 3),
            "integrated_lufs": round(report.integrated_lufs, 2),
            "target_lufs": report.target_lufs,
            "true_peak_dbtp": round(report.true_peak_dbtp, 2),
            "true_peak_limit_dbtp": report.true_peak_limit_dbtp,
            "spliced": False,
        },
    )
