"""Notes, instruments and sections, and the renderer that turns a section into a stereo clip.

A clip is everything the notes *starting* in a section produce, rendered from silence and
kept until it has died away (the section length plus a tail). Everything after the note voices
is linear and time-invariant (instrument filters, pan, the reverb send, the master filter), so
clips overlap-add exactly: laying the clips of intro, body bars and outro end to end, each
ringing into the next, gives the same samples as rendering the whole piece in one go. That is
what makes loops seamless here without crossfades: there is nothing to hide at a seam.
"""

from __future__ import annotations

import math
import zlib
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt
import pedalboard as pb

from audiofn.sound import synth

Array = npt.NDArray[np.float64]

_REVERB_PREROLL = 4096
"""Silence run through the reverb first: JUCE smooths its parameters from their defaults for
the first few milliseconds after a reset, which would make a clip's first hit different from
the same hit later on."""


@dataclass(frozen=True)
class Instrument:
    """One track of a template: a synth voice plus its place in the mix."""

    name: str
    voice: str
    gain_db: float = 0.0
    pan: float = 0.0
    reverb: float = 0.15
    highpass_hz: float | None = None
    lowpass_hz: float | None = None
    humanize_ms: float = 0.0
    """Timing looseness the score applies to this instrument's notes (seeded)."""
    variants: int = 1
    """Distinct renders of the same pitch and length (noisy drums sound less mechanical)."""


@dataclass(frozen=True)
class Note:
    """A note of an instrument: start and gate length in beats from the section start."""

    instrument: str
    beat: float
    beats: float
    pitch: float
    velocity: float = 0.8
    variant: int = 0
    """Which of the instrument's ``variants`` renders plays (taken modulo ``variants``)."""


@dataclass(frozen=True)
class Section:
    """Notes starting within ``beats`` beats; the next section starts ``beats`` later."""

    beats: float
    notes: tuple[Note, ...]


@dataclass(frozen=True)
class ReverbSpec:
    room_size: float = 0.6
    damping: float = 0.5
    width: float = 1.0
    wet: float = 1.0


@dataclass(frozen=True)
class Composition:
    """A whole template: intro, the body as a sequence of bars, outro."""

    tempo: float
    instruments: tuple[Instrument, ...]
    intro: Section
    bars: tuple[Section, ...]
    outro: Section
    beats_per_bar: int = 4
    reverb: ReverbSpec = field(default_factory=ReverbSpec)
    tail_seconds: float = 4.0
    master_lowpass_hz: float | None = None
    master_highpass_hz: float | None = 30.0
    seed: int = 0

    def frames(self, beats: float, sample_rate: int) -> int:
        """Frames from a section start to a beat (rounded once, the same in every section)."""
        return round(beats * 60.0 * sample_rate / self.tempo)


def _stable_seed(*parts: object) -> int:
    """A seed from values, identical in every process (``hash`` of a str is randomised)."""
    return zlib.crc32("|".join(map(str, parts)).encode())


def _to_stereo(x: Array, pan: float) -> Array:
    """Constant-power pan of a mono note (-3 dB a side in the centre); balance of a stereo one."""
    if x.ndim == 1:
        angle = (pan + 1.0) * math.pi / 4.0
        return np.stack([x * math.cos(angle), x * math.sin(angle)], axis=1)
    return x * np.array([min(1.0, 1.0 - pan), min(1.0, 1.0 + pan)])


class Renderer:
    """Renders sections of one composition at one sample rate, caching identical notes."""

    def __init__(self, composition: Composition, sample_rate: int) -> None:
        self.composition = composition
        self.sample_rate = sample_rate
        self.instruments = {inst.name: inst for inst in composition.instruments}
        self._notes: dict[tuple[str, float, int, int], Array] = {}

    @property
    def tail_frames(self) -> int:
        return round(self.composition.tail_seconds * self.sample_rate)

    def _note(self, inst: Instrument, pitch: float, gate_frames: int, variant: int) -> Array:
        key = (inst.name, pitch, gate_frames, variant)
        cached = self._notes.get(key)
        if cached is None:
            voice = synth.VOICES[inst.voice]
            rng = np.random.default_rng(
                _stable_seed(self.composition.seed, inst.name, pitch, gate_frames, variant)
            )
            mono_or_stereo = voice(
                synth.midi_to_hz(pitch), gate_frames / self.sample_rate, self.sample_rate, rng
            )
            cached = _to_stereo(mono_or_stereo, inst.pan) * 10.0 ** (inst.gain_db / 20.0)
            self._notes[key] = cached
        return cached

    def _bus(self, inst: Instrument, notes: list[tuple[int, Note]], length: int) -> Array:
        bus = np.zeros((length, 2))
        for start, note in notes:
            gate = max(1, self.composition.frames(note.beats, self.sample_rate))
            rendered = self._note(inst, note.pitch, gate, note.variant % max(1, inst.variants))
            end = min(length, start + len(rendered))
            if end > start:
                bus[start:end] += note.velocity * rendered[: end - start]
        if inst.highpass_hz:
            bus = synth.highpass(bus, inst.highpass_hz, self.sample_rate)
        if inst.lowpass_hz:
            bus = synth.lowpass(bus, inst.lowpass_hz, self.sample_rate)
        return bus

    def _reverb(self, send: Array) -> Array:
        spec = self.composition.reverb
        reverb = pb.Reverb(
            room_size=spec.room_size,
            damping=spec.damping,
            wet_level=spec.wet,
            dry_level=0.0,
            width=spec.width,
        )
        padded = np.concatenate([np.zeros((_REVERB_PREROLL, 2)), send]).astype(np.float32)
        wet = reverb(np.ascontiguousarray(padded.T), float(self.sample_rate))
        return np.asarray(wet.T[_REVERB_PREROLL:], dtype=np.float64)

    def _master(self, mix: Array) -> Array:
        comp = self.composition
        if comp.master_highpass_hz:
            mix = synth.highpass(mix, comp.master_highpass_hz, self.sample_rate)
        if comp.master_lowpass_hz:
            mix = synth.lowpass(mix, comp.master_lowpass_hz, self.sample_rate)
        return mix

    def clip_length(self, section: Section) -> int:
        return self.composition.frames(section.beats, self.sample_rate) + self.tail_frames

    def render(self, section: Section) -> Array:
        """The section's clip, stereo float64, ``section frames + tail`` long."""
        return self._render(section, split=False)["mix"]

    def render_instruments(self, section: Section) -> dict[str, Array]:
        """The same clip split per instrument, each with its own share of the reverb; the
        instruments add up to :meth:`render` (up to float rounding)."""
        return self._render(section, split=True)

    def _render(self, section: Section, *, split: bool) -> dict[str, Array]:
        length = self.clip_length(section)
        by_instrument: dict[str, list[tuple[int, Note]]] = {}
        for note in section.notes:
            start = self.composition.frames(note.beat, self.sample_rate)
            by_instrument.setdefault(note.instrument, []).append((start, note))
        if not split:
            dry = np.zeros((length, 2))
            send = np.zeros((length, 2))
            for name, notes in by_instrument.items():
                inst = self.instruments[name]
                bus = self._bus(inst, notes, length)
                dry += bus
                if inst.reverb > 0.0:
                    send += inst.reverb * bus
            return {"mix": self._master(dry + self._reverb(send))}
        out: dict[str, Array] = {}
        for inst in self.composition.instruments:
            notes = by_instrument.get(inst.name, [])
            bus = self._bus(inst, notes, length)
            if inst.reverb > 0.0 and notes:
                bus = bus + self._reverb(inst.reverb * bus)
            out[inst.name] = self._master(bus)
        return out
