"""Instrument voices as pure numpy functions: one note in, its samples (with release) out.

Every voice has the signature ``voice(hz, gate_seconds, sample_rate, rng) -> samples``: the
note sounds for ``gate_seconds`` and then releases, so the returned array is longer than the
gate. Mono voices return shape ``(n,)``; voices with their own stereo image return ``(n, 2)``.
Random parts (noise in drums, detuning) come from ``rng`` only, so a seeded generator gives
the same samples every time.

The oscillators are band-limited (wavetables with only the harmonics below ~18 kHz), so high
notes do not alias; drums are the classic analogue recipes (a pitch-swept sine for the kick,
tone plus filtered noise for the snare, high-passed noise for hats).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from functools import lru_cache

import numpy as np
import numpy.typing as npt
from scipy import signal

Array = npt.NDArray[np.float64]
Voice = Callable[[float, float, int, np.random.Generator], Array]

_TABLE_SIZE = 4096
_HARMONIC_CEILING_HZ = 18_000.0
_MAX_HARMONICS = 96


def midi_to_hz(note: float) -> float:
    """Equal-tempered frequency of a MIDI note number (69 = A4 = 440 Hz)."""
    return 440.0 * 2.0 ** ((note - 69.0) / 12.0)


# --- building blocks ------------------------------------------------------------------------


_PHASE_BITS = 32
_INDEX_SHIFT = _PHASE_BITS - 12  # 4096-entry tables
_FRAC_MASK = (1 << _INDEX_SHIFT) - 1
_PHASE_MASK = (1 << _PHASE_BITS) - 1


@lru_cache(maxsize=512)
def _wavetable(shape: str, harmonics: int) -> tuple[Array, Array]:
    """One cycle of a band-limited waveform (peak near 1) and its per-entry slopes."""
    theta = np.linspace(0.0, 2.0 * np.pi, _TABLE_SIZE, endpoint=False)
    k = np.arange(1, harmonics + 1)
    if shape == "saw":
        amps = 1.0 / k
    elif shape == "square":
        amps = np.where(k % 2 == 1, 1.0 / k, 0.0)
    elif shape == "triangle":
        amps = np.where(k % 2 == 1, ((-1.0) ** ((k - 1) // 2)) / k.astype(np.float64) ** 2, 0.0)
    elif shape == "warm":  # a triangle with a little saw mixed in: soft but not hollow
        triangle = np.where(k % 2 == 1, ((-1.0) ** ((k - 1) // 2)) / k.astype(np.float64) ** 2, 0.0)
        amps = triangle + 0.3 / k
    else:
        raise ValueError(f"unknown waveform {shape!r}")
    table = np.sin(np.outer(theta, k)) @ amps
    table /= float(np.max(np.abs(table)))
    slopes = np.diff(np.append(table, table[0]))
    return table, slopes


def vibrato(frames: int, sample_rate: int, hz: float, cents: float, phase: float = 0.0) -> Array:
    """Per-frame pitch ratio of a sine vibrato (share one among an ensemble's voices)."""
    t = np.arange(frames) / sample_rate
    return np.exp2(cents / 1200.0 * np.sin(2.0 * np.pi * (hz * t + phase)))


def oscillator(
    shape: str,
    hz: float,
    frames: int,
    sample_rate: int,
    *,
    phase: float = 0.0,
    ratio: Array | None = None,
) -> Array:
    """A band-limited saw, square, triangle or "warm" wave; ``ratio`` bends the pitch per frame.

    A 32-bit integer phase accumulator indexes a 4096-entry table with linear interpolation:
    exact phase continuity and several times faster than float phase arithmetic.
    """
    top = hz * (float(np.max(ratio)) if ratio is not None and ratio.size else 1.0)
    harmonics = max(
        1, min(_MAX_HARMONICS, int(min(_HARMONIC_CEILING_HZ, 0.45 * sample_rate) / top))
    )
    table, slopes = _wavetable(shape, harmonics)
    scale = float(1 << _PHASE_BITS) / sample_rate
    start = np.uint64(int(phase % 1.0 * (1 << _PHASE_BITS)))
    if ratio is not None:
        steps = np.rint(ratio[:frames] * (hz * scale)).astype(np.uint64)
        accumulator = np.cumsum(steps)
        accumulator += np.uint64((int(start) - int(steps[0])) % (1 << 64))
    else:
        step = np.uint64(round(hz * scale))
        accumulator = np.arange(frames, dtype=np.uint64) * step + start
    accumulator &= np.uint64(_PHASE_MASK)
    index = (accumulator >> np.uint64(_INDEX_SHIFT)).astype(np.intp)
    frac = (accumulator & np.uint64(_FRAC_MASK)).astype(np.float64) * (1.0 / (_FRAC_MASK + 1))
    return table[index] + frac * slopes[index]


def sine(hz: float, frames: int, sample_rate: int, phase: float = 0.0) -> Array:
    return np.sin(2.0 * np.pi * (hz * np.arange(frames) / sample_rate + phase))


def envelope(
    gate: float,
    sample_rate: int,
    *,
    attack: float = 0.005,
    decay: float = 0.1,
    sustain: float = 1.0,
    release: float = 0.2,
) -> Array:
    """ADSR: linear attack, exponential decay to ``sustain``, exponential release after ``gate``.

    ``decay`` is a time constant; ``release`` is the time the release takes to fall 60 dB,
    after which a short linear fade reaches exactly 0, so a note never ends in a step.
    """
    gate_frames = max(1, round(gate * sample_rate))
    t = np.arange(gate_frames) / sample_rate
    body = sustain + (1.0 - sustain) * np.exp(-np.maximum(t - attack, 0.0) / max(decay, 1e-4))
    body *= np.clip(t / max(attack, 1e-4), 0.0, 1.0)
    release_frames = max(1, round(release * sample_rate))
    tail = body[-1] * np.exp(-6.9 * np.arange(1, release_frames + 1) / release_frames)
    fade = min(release_frames, max(1, round(0.005 * sample_rate)))
    tail[-fade:] *= np.linspace(1.0, 0.0, fade)
    return np.concatenate([body, tail])


def decay_envelope(seconds: float, frames: int, sample_rate: int, attack: float = 0.001) -> Array:
    """Percussive envelope: short linear attack, exponential decay, zero at the last frame."""
    t = np.arange(frames) / sample_rate
    env = np.exp(-t / seconds)
    attack_frames = max(1, round(attack * sample_rate))
    env[:attack_frames] *= np.linspace(0.0, 1.0, attack_frames)
    fade = min(frames, max(1, round(0.004 * sample_rate)))
    env[-fade:] *= np.linspace(1.0, 0.0, fade)
    return env


def _frames_for(seconds: float, sample_rate: int) -> int:
    return max(1, round(seconds * sample_rate))


@lru_cache(maxsize=256)
def _sos(kind: str, cutoff: float | tuple[float, float], sample_rate: int, order: int) -> Array:
    nyquist = 0.5 * sample_rate
    if isinstance(cutoff, tuple):
        low, high = cutoff
        wn: float | tuple[float, float] = (low / nyquist, min(high / nyquist, 0.99))
    else:
        wn = min(cutoff / nyquist, 0.99)
    return np.asarray(signal.butter(order, wn, btype=kind, output="sos"), dtype=np.float64)


def lowpass(x: Array, cutoff: float, sample_rate: int, order: int = 2) -> Array:
    return np.asarray(signal.sosfilt(_sos("lowpass", cutoff, sample_rate, order), x, axis=0))


def highpass(x: Array, cutoff: float, sample_rate: int, order: int = 2) -> Array:
    return np.asarray(signal.sosfilt(_sos("highpass", cutoff, sample_rate, order), x, axis=0))


def bandpass(x: Array, low: float, high: float, sample_rate: int, order: int = 2) -> Array:
    return np.asarray(signal.sosfilt(_sos("bandpass", (low, high), sample_rate, order), x, axis=0))


def modal(
    partials: list[tuple[float, float, float]],
    frames: int,
    sample_rate: int,
    rng: np.random.Generator,
) -> Array:
    """Sum of exponentially decaying sines: ``(hz, amplitude, decay_seconds)`` per partial.

    Each partial is the impulse response of a two-pole resonator (``A r^n sin(wn + phi)``),
    run by ``lfilter``: a few multiply-adds a sample instead of an ``exp`` and a ``sin``.
    Partials above the harmonic ceiling are dropped (they would alias).
    """
    out = np.zeros(frames)
    impulse = np.zeros(frames)
    impulse[0] = 1.0
    for hz, amp, decay in partials:
        if hz >= min(_HARMONIC_CEILING_HZ, 0.45 * sample_rate) or amp == 0.0:
            continue
        phase = rng.uniform(0.0, 2.0 * np.pi)
        omega = 2.0 * np.pi * hz / sample_rate
        r = math.exp(-1.0 / (decay * sample_rate))
        b = [amp * math.sin(phase), -amp * r * math.sin(phase - omega)]
        a = [1.0, -2.0 * r * math.cos(omega), r * r]
        out += signal.lfilter(b, a, impulse)
    return out


def _soft_clip(x: Array, drive: float) -> Array:
    return np.tanh(drive * x) / math.tanh(drive)


# --- pitched voices -------------------------------------------------------------------------


def pad(hz: float, gate: float, sample_rate: int, rng: np.random.Generator) -> Array:
    """Warm string-machine pad: three detuned saws a side, low-passed, slow attack and release."""
    env = envelope(gate, sample_rate, attack=0.6, decay=1.0, sustain=0.85, release=2.5)
    frames = env.size
    sides = []
    for detunes in ((-9.0, 0.0, 7.0), (-6.0, 2.0, 10.0)):
        voice = np.zeros(frames)
        drift = vibrato(frames, sample_rate, rng.uniform(0.15, 0.35), 3.0, rng.uniform())
        for cents in detunes:
            voice += oscillator(
                "saw",
                hz * 2.0 ** (cents / 1200.0),
                frames,
                sample_rate,
                phase=rng.uniform(),
                ratio=drift,
            )
        sides.append(lowpass(voice / 3.0, min(2400.0, hz * 6.0), sample_rate) * env)
    return np.stack(sides, axis=1)


def warm_pad(hz: float, gate: float, sample_rate: int, rng: np.random.Generator) -> Array:
    """Softer pad for ambient beds: triangles and a quiet saw, dark, very slow swell."""
    env = envelope(gate, sample_rate, attack=1.2, decay=1.5, sustain=0.9, release=3.0)
    frames = env.size
    sides = []
    for detunes in ((-5.0, 4.0), (-3.0, 6.0)):
        voice = np.zeros(frames)
        for cents in detunes:
            f = hz * 2.0 ** (cents / 1200.0)
            voice += oscillator("warm", f, frames, sample_rate, phase=rng.uniform())
        sides.append(lowpass(voice / 2.0, min(1500.0, hz * 4.0), sample_rate) * env)
    return np.stack(sides, axis=1)


def strings(hz: float, gate: float, sample_rate: int, rng: np.random.Generator) -> Array:
    """Ensemble strings: detuned saws with vibrato, bowed attack, darker than the synth pad."""
    env = envelope(gate, sample_rate, attack=0.35, decay=0.8, sustain=0.9, release=2.5)
    frames = env.size
    sides = []
    for detunes in ((-8.0, 3.0, 11.0), (-11.0, -2.0, 8.0)):
        voice = np.zeros(frames)
        bow = vibrato(frames, sample_rate, rng.uniform(4.6, 5.6), 9.0, rng.uniform())
        for cents in detunes:
            voice += oscillator(
                "saw",
                hz * 2.0 ** (cents / 1200.0),
                frames,
                sample_rate,
                phase=rng.uniform(),
                ratio=bow,
            )
        voice = lowpass(voice / 3.0, min(3200.0, hz * 5.0), sample_rate)
        sides.append(highpass(voice, 120.0, sample_rate) * env)
    return np.stack(sides, axis=1)


def staccato(hz: float, gate: float, sample_rate: int, rng: np.random.Generator) -> Array:
    """Short bowed string notes (spiccato) for ostinati."""
    gate = min(gate, 0.16)
    env = envelope(gate, sample_rate, attack=0.008, decay=0.07, sustain=0.35, release=0.3)
    voice = oscillator("saw", hz, env.size, sample_rate, phase=rng.uniform())
    voice += oscillator(
        "saw", hz * 2.0 ** (7.0 / 1200.0), env.size, sample_rate, phase=rng.uniform()
    )
    voice = lowpass(voice * 0.5, min(4000.0, hz * 8.0), sample_rate)
    return highpass(voice, 150.0, sample_rate) * env


def brass(hz: float, gate: float, sample_rate: int, rng: np.random.Generator) -> Array:
    """Low brass-like swell: saws through a filter that opens with the envelope."""
    env = envelope(gate, sample_rate, attack=0.25, decay=0.6, sustain=0.8, release=2.0)
    frames = env.size
    voice = oscillator("saw", hz, frames, sample_rate, phase=rng.uniform())
    voice += oscillator("saw", hz * 2.0 ** (5.0 / 1200.0), frames, sample_rate, phase=rng.uniform())
    dark = lowpass(voice * 0.5, min(500.0, hz * 2.5), sample_rate)
    bright = lowpass(voice * 0.5, min(1800.0, hz * 8.0), sample_rate)
    mix = env / max(float(env.max()), 1e-9)
    return (dark * (1.0 - 0.6 * mix) + bright * 0.6 * mix) * env


def sub_bass(hz: float, gate: float, sample_rate: int, rng: np.random.Generator) -> Array:
    """Round sine bass with a touch of second harmonic so small speakers hear it."""
    env = envelope(gate, sample_rate, attack=0.01, decay=0.3, sustain=0.8, release=0.4)
    x = sine(hz, env.size, sample_rate) + 0.18 * sine(2.0 * hz, env.size, sample_rate, 0.25)
    return _soft_clip(x * 0.8, 1.3) * env


def pluck_bass(hz: float, gate: float, sample_rate: int, rng: np.random.Generator) -> Array:
    """Picked electric bass: harmonics that decay faster the higher they are."""
    frames = _frames_for(gate + 0.25, sample_rate)
    partials = [(hz * k, 1.0 / k**1.2, 0.9 / (1.0 + 0.9 * (k - 1))) for k in range(1, 14)]
    x = modal(partials, frames, sample_rate, rng)
    env = envelope(gate, sample_rate, attack=0.003, decay=0.4, sustain=0.6, release=0.2)
    n = min(frames, env.size)
    out = np.zeros(max(frames, env.size))
    out[:n] = _soft_clip(0.7 * x[:n], 1.5) * env[:n]
    return out


def synth_bass(hz: float, gate: float, sample_rate: int, rng: np.random.Generator) -> Array:
    """Pulsing synth bass: square + saw through a low-pass, short and punchy."""
    env = envelope(gate, sample_rate, attack=0.003, decay=0.12, sustain=0.55, release=0.15)
    x = 0.6 * oscillator("square", hz, env.size, sample_rate, phase=0.0)
    x += 0.5 * oscillator("saw", hz * 2.0 ** (4.0 / 1200.0), env.size, sample_rate)
    x = lowpass(x, min(900.0, hz * 7.0), sample_rate)
    return _soft_clip(x, 1.6) * env + 0.5 * sine(hz, env.size, sample_rate) * env


def piano(hz: float, gate: float, sample_rate: int, rng: np.random.Generator) -> Array:
    """Acoustic-ish piano: slightly stretched partials, brighter and shorter-lived up high."""
    frames = _frames_for(min(gate, 4.0) + 0.35, sample_rate)
    inharmonic = 0.0004
    brightness = 1.0 if hz < 500.0 else 500.0 / hz
    partials = []
    for k in range(1, 16):
        f = hz * k * math.sqrt(1.0 + inharmonic * k * k)
        amp = (1.0 / k**1.1) * (brightness ** (0.3 * (k - 1)) if k > 1 else 1.0)
        decay = 2.4 * (261.6 / max(hz, 60.0)) ** 0.4 / (1.0 + 0.35 * (k - 1))
        partials.append((f, amp, decay))
    x = modal(partials, frames, sample_rate, rng)
    hammer = highpass(rng.standard_normal(frames), 2000.0, sample_rate) * decay_envelope(
        0.004, frames, sample_rate
    )
    damper = envelope(
        min(gate, 4.0), sample_rate, attack=0.001, decay=5.0, sustain=1.0, release=0.25
    )
    n = min(frames, damper.size)
    return (0.5 * x[:n] + 0.03 * hammer[:n]) * damper[:n]


def epiano(hz: float, gate: float, sample_rate: int, rng: np.random.Generator) -> Array:
    """Tine electric piano (FM): bell-like attack, mellow body, a slow stereo tremolo."""
    frames = _frames_for(min(gate, 3.0) + 0.4, sample_rate)
    t = np.arange(frames) / sample_rate
    index = 1.6 * np.exp(-t / 0.25) + 0.25
    modulator = np.sin(2.0 * np.pi * hz * t)
    body = np.sin(2.0 * np.pi * hz * t + index * modulator)
    tine = (
        0.25 * np.sin(2.0 * np.pi * hz * 14.0 * t) * np.exp(-t / 0.03) if hz * 14 < 16000 else 0.0
    )
    decay = np.exp(-t / (1.6 * (261.6 / max(hz, 80.0)) ** 0.3))
    damper = envelope(
        min(gate, 3.0), sample_rate, attack=0.002, decay=5.0, sustain=1.0, release=0.35
    )
    n = min(frames, damper.size)
    mono = ((body + tine) * decay)[:n] * damper[:n]
    tremolo = 0.18 * np.sin(2.0 * np.pi * 4.2 * t[:n] + rng.uniform(0, 2 * np.pi))
    return np.stack([mono * (1.0 + tremolo), mono * (1.0 - tremolo)], axis=1) * 0.5


def pluck(hz: float, gate: float, sample_rate: int, rng: np.random.Generator) -> Array:
    """Nylon-guitar-like pluck: bright attack, harmonics decaying by their number."""
    frames = _frames_for(min(gate, 1.5) + 0.6, sample_rate)
    position = 0.18  # pluck position along the string shapes the spectrum
    partials = [
        (
            hz * k * (1.0 + 0.0002 * k * k),
            abs(math.sin(math.pi * k * position)) / k,
            0.8 * (220.0 / max(hz, 80.0)) ** 0.3 / (1.0 + 0.6 * (k - 1)),
        )
        for k in range(1, 20)
    ]
    x = modal(partials, frames, sample_rate, rng)
    fade = min(frames, round(0.01 * sample_rate))
    x[-fade:] *= np.linspace(1.0, 0.0, fade)
    return 0.6 * x


def marimba(hz: float, gate: float, sample_rate: int, rng: np.random.Generator) -> Array:
    """Mallet bar: the tuned bar modes (1, 3.9, 9.2 x) with a soft attack."""
    frames = _frames_for(1.2, sample_rate)
    partials = [(hz, 1.0, 0.45), (hz * 3.93, 0.25, 0.12), (hz * 9.24, 0.08, 0.04)]
    x = modal(partials, frames, sample_rate, rng)
    x *= decay_envelope(10.0, frames, sample_rate, attack=0.002)
    return 0.7 * x


def bell(hz: float, gate: float, sample_rate: int, rng: np.random.Generator) -> Array:
    """Soft glockenspiel/celesta bell: FM with an inharmonic ratio, long gentle decay."""
    frames = _frames_for(2.2, sample_rate)
    t = np.arange(frames) / sample_rate
    index = 2.0 * np.exp(-t / 0.15)
    x = np.sin(2.0 * np.pi * hz * t + index * np.sin(2.0 * np.pi * hz * 3.5 * t))
    x *= decay_envelope(0.7, frames, sample_rate, attack=0.002)
    return 0.45 * x


def stab(hz: float, gate: float, sample_rate: int, rng: np.random.Generator) -> Array:
    """Bright chord stab (house / news): detuned saws, filter snapping shut."""
    gate = min(gate, 0.3)
    env = envelope(gate, sample_rate, attack=0.002, decay=0.12, sustain=0.35, release=0.35)
    frames = env.size
    sides = []
    for detunes in ((-12.0, 5.0), (-4.0, 13.0)):
        voice = sum(
            (
                oscillator(
                    "saw", hz * 2.0 ** (c / 1200.0), frames, sample_rate, phase=rng.uniform()
                )
                for c in detunes
            ),
            np.zeros(frames),
        )
        bright = lowpass(voice * 0.5, min(5000.0, hz * 10.0), sample_rate)
        dark = lowpass(voice * 0.5, min(900.0, hz * 3.0), sample_rate)
        snap = np.exp(-np.arange(frames) / (0.06 * sample_rate))
        sides.append((bright * snap + dark * (1.0 - snap)) * env)
    return np.stack(sides, axis=1)


def arp_synth(hz: float, gate: float, sample_rate: int, rng: np.random.Generator) -> Array:
    """Short square-wave arpeggio note, slightly filtered."""
    gate = min(gate, 0.12)
    env = envelope(gate, sample_rate, attack=0.002, decay=0.06, sustain=0.3, release=0.25)
    x = oscillator("square", hz, env.size, sample_rate, phase=0.0)
    return lowpass(x, min(4500.0, hz * 6.0), sample_rate) * env * 0.6


# --- drums and noises -----------------------------------------------------------------------


def kick(hz: float, gate: float, sample_rate: int, rng: np.random.Generator) -> Array:
    """Pitch-swept sine kick with a small click; ``hz`` is the resting pitch (~45-60 Hz)."""
    frames = _frames_for(0.55, sample_rate)
    t = np.arange(frames) / sample_rate
    freq = hz + (hz * 3.2) * np.exp(-t / 0.035)
    body = np.sin(2.0 * np.pi * np.cumsum(freq) / sample_rate) * decay_envelope(
        0.22, frames, sample_rate, attack=0.0005
    )
    click = lowpass(rng.standard_normal(frames), 4000.0, sample_rate) * decay_envelope(
        0.003, frames, sample_rate, attack=0.0002
    )
    return _soft_clip(0.95 * body + 0.12 * click, 1.5)


def soft_kick(hz: float, gate: float, sample_rate: int, rng: np.random.Generator) -> Array:
    """Rounder, quieter kick for lo-fi and calm beds (no click, shorter sweep)."""
    frames = _frames_for(0.45, sample_rate)
    t = np.arange(frames) / sample_rate
    freq = hz + hz * 1.8 * np.exp(-t / 0.025)
    body = np.sin(2.0 * np.pi * np.cumsum(freq) / sample_rate)
    return 0.9 * body * decay_envelope(0.16, frames, sample_rate, attack=0.001)


def snare(hz: float, gate: float, sample_rate: int, rng: np.random.Generator) -> Array:
    """Snare: two drum-head tones plus band-passed noise for the wires."""
    frames = _frames_for(0.35, sample_rate)
    tone = 0.6 * sine(185.0, frames, sample_rate) + 0.35 * sine(330.0, frames, sample_rate, 0.1)
    tone *= decay_envelope(0.06, frames, sample_rate)
    noise = bandpass(rng.standard_normal(frames), 1200.0, 9000.0, sample_rate)
    noise *= decay_envelope(0.11, frames, sample_rate)
    return 0.55 * tone + 0.5 * noise


def clap(hz: float, gate: float, sample_rate: int, rng: np.random.Generator) -> Array:
    """Hand clap: a few noise bursts 8-10 ms apart, then a short diffuse tail."""
    frames = _frames_for(0.3, sample_rate)
    noise = bandpass(rng.standard_normal(frames), 900.0, 5000.0, sample_rate)
    env = np.zeros(frames)
    for start_ms in (0.0, 9.0, 19.0):
        start = round(start_ms * sample_rate / 1000.0)
        burst = decay_envelope(0.006, frames - start, sample_rate, attack=0.0005)
        env[start:] += burst
    env += 0.55 * np.concatenate(
        [
            np.zeros(round(0.022 * sample_rate)),
            decay_envelope(0.09, frames - round(0.022 * sample_rate), sample_rate),
        ]
    )
    return 0.6 * noise * env


def rim(hz: float, gate: float, sample_rate: int, rng: np.random.Generator) -> Array:
    """Dusty rim / side-stick for lo-fi: a short woody click."""
    frames = _frames_for(0.12, sample_rate)
    x = 0.7 * sine(820.0, frames, sample_rate) + 0.4 * sine(1640.0, frames, sample_rate)
    x += 0.3 * bandpass(rng.standard_normal(frames), 1500.0, 6000.0, sample_rate)
    return 0.5 * x * decay_envelope(0.018, frames, sample_rate)


def hat(hz: float, gate: float, sample_rate: int, rng: np.random.Generator) -> Array:
    """Closed hi-hat; ``gate`` above 0.1 s opens it (longer decay)."""
    decay = 0.03 if gate < 0.1 else 0.22
    frames = _frames_for(decay * 6.0, sample_rate)
    metal = sum(
        (
            oscillator("square", f, frames, sample_rate, phase=rng.uniform())
            for f in (205.3, 304.4, 369.6, 522.7, 540.0, 800.0)
        ),
        np.zeros(frames),
    )
    x = 0.5 * rng.standard_normal(frames) + 0.15 * metal
    x = highpass(x, 7000.0, sample_rate, order=4)
    return 0.45 * x * decay_envelope(decay, frames, sample_rate)


def shaker(hz: float, gate: float, sample_rate: int, rng: np.random.Generator) -> Array:
    """Shaker: band-passed noise with a soft swell rather than a hit."""
    frames = _frames_for(0.12, sample_rate)
    x = bandpass(rng.standard_normal(frames), 4000.0, 11000.0, sample_rate)
    t = np.arange(frames) / sample_rate
    env = (t / 0.015) * np.exp(1.0 - t / 0.015)
    fade = round(0.004 * sample_rate)
    env[-fade:] *= np.linspace(1.0, 0.0, fade)
    return 0.3 * x * env


def tick(hz: float, gate: float, sample_rate: int, rng: np.random.Generator) -> Array:
    """Clock tick / ticker blip for news beds: a tiny high sine ping."""
    frames = _frames_for(0.06, sample_rate)
    x = sine(hz, frames, sample_rate) + 0.3 * sine(hz * 2.01, frames, sample_rate)
    return 0.35 * x * decay_envelope(0.012, frames, sample_rate, attack=0.0003)


def boom(hz: float, gate: float, sample_rate: int, rng: np.random.Generator) -> Array:
    """Cinematic low hit: a slow pitch-dropping sine and a low-passed noise thump."""
    frames = _frames_for(2.6, sample_rate)
    t = np.arange(frames) / sample_rate
    freq = hz + hz * 1.2 * np.exp(-t / 0.09)
    body = np.sin(2.0 * np.pi * np.cumsum(freq) / sample_rate) * decay_envelope(
        0.7, frames, sample_rate, attack=0.002
    )
    thump = lowpass(rng.standard_normal(frames), 300.0, sample_rate) * decay_envelope(
        0.12, frames, sample_rate
    )
    return _soft_clip(0.9 * body + 0.5 * thump, 1.2)


def tom(hz: float, gate: float, sample_rate: int, rng: np.random.Generator) -> Array:
    """Floor tom / taiko: a pitch-dropping sine with a little skin noise."""
    frames = _frames_for(0.9, sample_rate)
    t = np.arange(frames) / sample_rate
    freq = hz * (1.0 + 0.5 * np.exp(-t / 0.05))
    body = np.sin(2.0 * np.pi * np.cumsum(freq) / sample_rate) * decay_envelope(
        0.28, frames, sample_rate
    )
    skin = bandpass(rng.standard_normal(frames), 200.0, 2000.0, sample_rate)
    skin *= decay_envelope(0.03, frames, sample_rate)
    return 0.8 * body + 0.2 * skin


def swell(hz: float, gate: float, sample_rate: int, rng: np.random.Generator) -> Array:
    """Reverse-cymbal riser lasting ``gate``: noise that grows and brightens, ending sharply
    at the gate (the next downbeat) with a 10 ms fade."""
    frames = _frames_for(gate, sample_rate)
    ramp = np.linspace(0.0, 1.0, frames) ** 3
    noise = rng.standard_normal((frames, 2))
    dark = bandpass(noise, 300.0, 2500.0, sample_rate)
    bright = highpass(noise, 2500.0, sample_rate)
    x = dark * (1.0 - ramp[:, None]) + bright * ramp[:, None]
    x *= 0.35 * ramp[:, None]
    fade = min(frames, round(0.01 * sample_rate))
    x[-fade:] *= np.linspace(1.0, 0.0, fade)[:, None]
    return x


def crash(hz: float, gate: float, sample_rate: int, rng: np.random.Generator) -> Array:
    """Crash cymbal: long, high-passed stereo noise with a bright attack."""
    frames = _frames_for(2.5, sample_rate)
    noise = highpass(rng.standard_normal((frames, 2)), 4000.0, sample_rate)
    env = decay_envelope(0.65, frames, sample_rate, attack=0.001)
    return 0.25 * noise * env[:, None]


def vinyl(hz: float, gate: float, sample_rate: int, rng: np.random.Generator) -> Array:
    """Record surface for ``gate`` seconds: soft hiss plus sparse crackles, stereo.

    No fades: consecutive bars of it join into one continuous noise (any two independent
    noise samples are as far apart as neighbours within one noise, so the join is inaudible).
    """
    frames = _frames_for(gate, sample_rate)
    hiss = 0.02 * bandpass(rng.standard_normal((frames, 2)), 1000.0, 9000.0, sample_rate)
    crackle = np.zeros((frames, 2))
    count = rng.poisson(6.0 * gate)
    positions = rng.integers(0, frames, size=count)
    crackle[positions, rng.integers(0, 2, size=count)] = rng.uniform(-0.5, 0.5, size=count)
    crackle = bandpass(crackle, 700.0, 7000.0, sample_rate)
    return hiss + crackle


VOICES: dict[str, Voice] = {
    "pad": pad,
    "warm_pad": warm_pad,
    "strings": strings,
    "staccato": staccato,
    "brass": brass,
    "sub_bass": sub_bass,
    "pluck_bass": pluck_bass,
    "synth_bass": synth_bass,
    "piano": piano,
    "epiano": epiano,
    "pluck": pluck,
    "marimba": marimba,
    "bell": bell,
    "stab": stab,
    "arp_synth": arp_synth,
    "kick": kick,
    "soft_kick": soft_kick,
    "snare": snare,
    "clap": clap,
    "rim": rim,
    "hat": hat,
    "shaker": shaker,
    "tick": tick,
    "boom": boom,
    "tom": tom,
    "swell": swell,
    "crash": crash,
    "vinyl": vinyl,
}
"""Every voice by name; templates refer to voices by these names."""
