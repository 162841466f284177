"""The scores of the sound templates, written out as notes.

Each score is a chord progression per body bar with its bass, drums and ornaments, an intro
that leads into the body, and an outro that resolves. All randomness (velocity and timing
humanisation, drum variants) is seeded, so a template always renders to the same samples.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from types import MappingProxyType

import numpy as np

from audiofn.sound.arrangement import Composition, Instrument, Note, ReverbSpec, Section
from audiofn.sound.catalogue import get_template

_ROOTS = {
    "C": 0,
    "C#": 1,
    "Db": 1,
    "D": 2,
    "D#": 3,
    "Eb": 3,
    "E": 4,
    "F": 5,
    "F#": 6,
    "Gb": 6,
    "G": 7,
    "G#": 8,
    "Ab": 8,
    "A": 9,
    "A#": 10,
    "Bb": 10,
    "B": 11,
}
_QUALITIES: dict[str, tuple[int, ...]] = {
    "": (0, 4, 7),
    "m": (0, 3, 7),
    "maj7": (0, 4, 7, 11),
    "m7": (0, 3, 7, 10),
    "7": (0, 4, 7, 10),
    "sus2": (0, 2, 7),
    "sus4": (0, 5, 7),
    "7sus4": (0, 5, 7, 10),
    "add9": (0, 4, 7, 14),
    "madd9": (0, 3, 7, 14),
    "maj9": (0, 4, 7, 11, 14),
    "m9": (0, 3, 7, 10, 14),
    "6": (0, 4, 7, 9),
}


def chord_root(name: str) -> int:
    """Pitch class (0 = C) of a chord symbol such as ``F#m7``."""
    root = name[:2] if len(name) > 1 and name[1] in "#b" else name[:1]
    return _ROOTS[root]


def chord_tones(name: str, low: int, span: int = 12) -> list[int]:
    """The chord's notes folded into ``[low, low + span)``: close voicings that move little
    from chord to chord (the inversion follows from the register, like a player's hand)."""
    root = name[:2] if len(name) > 1 and name[1] in "#b" else name[:1]
    intervals = _QUALITIES[name[len(root) :]]
    tones = []
    for interval in intervals:
        pitch = low + (_ROOTS[root] + interval - low) % 12
        while pitch >= low + span:
            pitch -= 12
        tones.append(pitch)
    return sorted(set(tones))


def bass_note(name: str, low: int = 36) -> int:
    """The chord's root in the octave starting at ``low``."""
    return low + (chord_root(name) - low) % 12


class _Score:
    """Collects the notes of one section, with seeded velocity, timing and variant choices."""

    def __init__(
        self, rng: np.random.Generator, instruments: Iterable[Instrument], tempo: float
    ) -> None:
        self.rng = rng
        self.notes: list[Note] = []
        self._looseness = {
            inst.name: inst.humanize_ms * tempo / 60_000.0
            for inst in instruments
            if inst.humanize_ms > 0.0
        }

    def add(
        self, instrument: str, beat: float, beats: float, pitch: float, velocity: float = 0.8
    ) -> None:
        jitter = float(self.rng.uniform(0.92, 1.04))
        variant = int(self.rng.integers(0, 12))
        looseness = self._looseness.get(instrument, 0.0)
        if looseness and beat > 0.0:
            beat = max(0.0, beat + float(self.rng.uniform(-1.0, 1.0)) * looseness)
        self.notes.append(
            Note(instrument, beat, beats, pitch, min(1.0, velocity * jitter), variant)
        )

    def chord(
        self,
        instrument: str,
        beat: float,
        beats: float,
        pitches: Iterable[int],
        velocity: float = 0.8,
    ) -> None:
        for pitch in pitches:
            self.add(instrument, beat, beats, pitch, velocity)

    def pattern(
        self,
        instrument: str,
        beats: Iterable[float],
        pitch: float,
        *,
        length: float = 0.1,
        velocity: float = 0.8,
        accent: float | None = None,
    ) -> None:
        """One hit per beat position; ``accent`` is the velocity of hits on whole beats."""
        for beat in beats:
            strong = accent is not None and abs(beat - round(beat)) < 1e-9
            self.add(instrument, beat, length, pitch, accent if strong and accent else velocity)

    def section(self, beats: float) -> Section:
        for note in self.notes:
            if not 0.0 <= note.beat < beats:
                raise ValueError(f"note at beat {note.beat} outside a {beats}-beat section")
        return Section(beats, tuple(self.notes))


def _eighths(bars: int = 1, offset: float = 0.0) -> list[float]:
    return [offset + 0.5 * i for i in range(8 * bars)]


def _sixteenths(bars: int = 1) -> list[float]:
    return [0.25 * i for i in range(16 * bars)]


def _swing(beat: float, amount: float) -> float:
    """Delay off-beat eighths: ``amount`` 0.5 is straight, 0.6 a lazy lo-fi swing."""
    whole = np.floor(beat)
    frac = beat - whole
    if abs(frac - 0.5) < 1e-9:
        return float(whole + amount)
    return beat


# --- the scores ------------------------------------------------------------------------------


def _calm(seed: int) -> Composition:
    rng = np.random.default_rng(seed)
    tempo = 72.0
    progression = ("Dmaj9", "Bm9", "Gmaj9", "A7sus4")
    instruments = (
        Instrument("pad", "warm_pad", gain_db=-13.0, reverb=0.35),
        Instrument("piano", "piano", gain_db=-5.0, pan=0.15, reverb=0.45, lowpass_hz=5000.0),
        Instrument("bass", "sub_bass", gain_db=-7.5, reverb=0.0),
        Instrument("bell", "bell", gain_db=-5.0, pan=-0.35, reverb=0.6),
        Instrument("shaker", "shaker", gain_db=0.0, pan=0.3, reverb=0.25, variants=4),
    )
    arpeggio = (0, 1, 2, 3, 4, 3, 2, 1)

    intro = _Score(rng, instruments, tempo)
    intro.chord("pad", 0.0, 4.0, chord_tones("A7sus4", 57))
    intro.add("bass", 2.0, 2.0, bass_note("A", 33), 0.6)
    intro.add("bell", 0.0, 1.0, 81, 0.5)
    intro.add("bell", 2.5, 1.0, 76, 0.45)

    bars = []
    for index, name in enumerate(progression):
        bar = _Score(rng, instruments, tempo)
        bar.chord("pad", 0.0, 4.0, chord_tones(name, 55))
        bar.add("bass", 0.0, 3.8, bass_note(name, 38), 0.75)
        tones = chord_tones(name, 62, 19)
        for step, degree in enumerate(arpeggio):
            pitch = tones[degree % len(tones)] + 12 * (degree // len(tones))
            bar.add("piano", 0.5 * step, 1.5, pitch, 0.5 if step % 2 == 0 else 0.38)
        bar.pattern("shaker", [0.5, 1.5, 2.5, 3.5], 60, velocity=0.45)
        if index in (0, 2):
            bar.add("bell", 2.0, 1.0, chord_tones(name, 76)[-1], 0.45)
        bars.append(bar.section(4.0))

    outro = _Score(rng, instruments, tempo)
    outro.chord("pad", 0.0, 7.0, chord_tones("Dmaj9", 55))
    outro.add("bass", 0.0, 6.0, bass_note("D", 38), 0.7)
    for step, pitch in enumerate((62, 66, 69, 73, 76)):
        outro.add("piano", 0.5 * step, 5.0, pitch, 0.45)
    outro.add("bell", 4.0, 1.0, 86, 0.45)
    return Composition(
        tempo=tempo,
        instruments=instruments,
        intro=intro.section(4.0),
        bars=tuple(bars),
        outro=outro.section(8.0),
        reverb=ReverbSpec(room_size=0.85, damping=0.55, width=1.0),
        tail_seconds=5.0,
        seed=seed,
    )


def _corporate(seed: int) -> Composition:
    rng = np.random.default_rng(seed)
    tempo = 112.0
    progression = ("Cadd9", "G", "Am7", "Fmaj7")
    bass_line = (36, 35, 33, 29)  # C B A F: a falling line under the chords
    instruments = (
        Instrument("kick", "kick", gain_db=-7.0, reverb=0.0),
        Instrument("clap", "clap", gain_db=1.0, reverb=0.18, variants=3),
        Instrument("hats", "hat", gain_db=2.5, pan=0.25, reverb=0.05, variants=4),
        Instrument("shaker", "shaker", gain_db=-4.0, pan=-0.3, reverb=0.1, variants=4),
        Instrument("bass", "pluck_bass", gain_db=-6.5, reverb=0.0, lowpass_hz=2500.0),
        Instrument("piano", "piano", gain_db=-11.0, pan=-0.1, reverb=0.25),
        Instrument("guitar", "pluck", gain_db=-7.0, pan=0.35, reverb=0.2, humanize_ms=4.0),
        Instrument("pad", "pad", gain_db=-21.5, reverb=0.3),
        Instrument("swell", "swell", gain_db=-14.0, reverb=0.2),
        Instrument("crash", "crash", gain_db=-10.5, reverb=0.2),
    )
    pick = (0, 2, 1, 3, 2, 1, 0, 2)

    def guitar(score: _Score, name: str, offset: float = 0.0) -> None:
        tones = chord_tones(name, 64, 19)
        for step, degree in enumerate(pick):
            pitch = tones[degree % len(tones)] + 12 * (degree // len(tones))
            score.add("guitar", offset + 0.5 * step, 0.5, pitch, 0.75 if step % 2 == 0 else 0.55)

    intro = _Score(rng, instruments, tempo)
    intro.chord("piano", 0.0, 2.0, chord_tones("Cadd9", 60))
    guitar(intro, "Cadd9")
    guitar(intro, "Cadd9", 4.0)
    intro.pattern("hats", _eighths(1, 4.0), 60, velocity=0.45, accent=0.65)
    intro.add("swell", 4.0, 4.0, 60, 0.8)
    intro.add("kick", 7.5, 0.1, 43, 0.6)

    bars = []
    for index, name in enumerate(progression):
        bar = _Score(rng, instruments, tempo)
        bar.pattern("kick", [0.0, 2.0, 2.5] if index % 2 else [0.0, 2.0], 43, velocity=0.9)
        bar.pattern("clap", [1.0, 3.0], 60, velocity=0.8)
        bar.pattern("hats", _eighths(), 60, velocity=0.4, accent=0.6)
        bar.pattern("shaker", _sixteenths(), 60, velocity=0.35)
        for beat in (0.0, 1.0, 1.5, 2.0, 3.0, 3.5):
            bar.add("bass", beat, 0.45, bass_line[index], 0.85 if beat in (0.0, 2.0) else 0.65)
        for beat, length in ((0.0, 1.4), (1.5, 0.9), (3.0, 0.9)):
            bar.chord("piano", beat, length, chord_tones(name, 58), 0.6)
        guitar(bar, name)
        bar.chord("pad", 0.0, 4.0, chord_tones(name, 60))
        bars.append(bar.section(4.0))

    outro = _Score(rng, instruments, tempo)
    outro.add("kick", 0.0, 0.1, 43, 0.9)
    outro.add("crash", 0.0, 1.0, 60, 0.8)
    outro.chord("piano", 0.0, 6.0, chord_tones("Cadd9", 58), 0.65)
    outro.add("bass", 0.0, 4.0, 36, 0.8)
    outro.chord("pad", 0.0, 6.0, chord_tones("Cadd9", 60))
    for step, pitch in enumerate((64, 67, 72, 74, 76)):
        outro.add("guitar", 0.5 * step, 3.0, pitch, 0.6)
    return Composition(
        tempo=tempo,
        instruments=instruments,
        intro=intro.section(8.0),
        bars=tuple(bars),
        outro=outro.section(8.0),
        reverb=ReverbSpec(room_size=0.55, damping=0.5, width=0.9),
        tail_seconds=3.5,
        seed=seed,
    )


def _upbeat(seed: int) -> Composition:
    rng = np.random.default_rng(seed)
    tempo = 126.0
    progression = ("G", "D", "Em", "Cadd9")
    instruments = (
        Instrument("kick", "kick", gain_db=-6.5, reverb=0.0),
        Instrument("clap", "clap", gain_db=2.5, reverb=0.2, variants=3),
        Instrument("hats", "hat", gain_db=2.5, pan=0.2, reverb=0.05, variants=4),
        Instrument("open_hat", "hat", gain_db=3.5, pan=-0.2, reverb=0.1, variants=2),
        Instrument("bass", "synth_bass", gain_db=-9.0, reverb=0.0),
        Instrument("stabs", "stab", gain_db=-6.5, reverb=0.2),
        Instrument("intro_stabs", "stab", gain_db=-6.5, reverb=0.25, lowpass_hz=1200.0),
        Instrument("arp", "arp_synth", gain_db=-9.0, pan=0.3, reverb=0.25),
        Instrument("pad", "pad", gain_db=-20.0, reverb=0.3),
        Instrument("swell", "swell", gain_db=-11.5, reverb=0.2),
        Instrument("crash", "crash", gain_db=-9.5, reverb=0.2),
    )
    stab_rhythm = (0.0, 0.75, 1.5, 2.5, 3.25)

    intro = _Score(rng, instruments, tempo)
    for bar_index, name in enumerate(("G", "D")):
        for beat in stab_rhythm:
            intro.chord("intro_stabs", 4.0 * bar_index + beat, 0.25, chord_tones(name, 62), 0.7)
    intro.pattern("kick", [4.0, 5.0, 6.0, 7.0], 45, velocity=0.85)
    intro.pattern("hats", [4.5, 5.5, 6.5, 7.5], 60, velocity=0.5)
    intro.add("clap", 7.0, 0.1, 60, 0.7)
    intro.add("clap", 7.5, 0.1, 60, 0.6)
    intro.add("swell", 4.0, 4.0, 60, 0.9)

    bars = []
    for name in progression:
        bar = _Score(rng, instruments, tempo)
        bar.pattern("kick", [0.0, 1.0, 2.0, 3.0], 45, velocity=0.95)
        bar.pattern("clap", [1.0, 3.0], 60, velocity=0.85)
        bar.pattern("hats", _sixteenths(), 60, velocity=0.32, accent=0.5)
        bar.pattern("open_hat", [0.5, 1.5, 2.5, 3.5], 60, length=0.2, velocity=0.6)
        root = bass_note(name, 31)
        for beat in (0.5, 1.5, 2.5, 3.5):
            bar.add("bass", beat, 0.35, root + 12, 0.8)
        bar.add("bass", 0.0, 0.3, root, 0.7)
        for beat in stab_rhythm:
            bar.chord("stabs", beat, 0.25, chord_tones(name, 62), 0.7)
        tones = chord_tones(name, 74)
        for step in range(16):
            bar.add(
                "arp",
                0.25 * step,
                0.2,
                tones[step % len(tones)] + (12 if step % 8 >= 4 else 0),
                0.55,
            )
        bar.chord("pad", 0.0, 4.0, chord_tones(name, 55))
        bars.append(bar.section(4.0))

    outro = _Score(rng, instruments, tempo)
    outro.add("kick", 0.0, 0.1, 45, 0.95)
    outro.add("crash", 0.0, 1.0, 60, 0.9)
    outro.chord("stabs", 0.0, 0.3, chord_tones("G", 62), 0.8)
    outro.chord("stabs", 0.75, 0.3, chord_tones("G", 62), 0.55)
    outro.add("bass", 0.0, 1.5, bass_note("G", 31), 0.8)
    outro.chord("pad", 0.0, 5.0, chord_tones("G", 55))
    for step, pitch in enumerate((74, 79, 83, 86)):
        outro.add("arp", 0.25 * step, 0.2, pitch, 0.5)
    return Composition(
        tempo=tempo,
        instruments=instruments,
        intro=intro.section(8.0),
        bars=tuple(bars),
        outro=outro.section(8.0),
        reverb=ReverbSpec(room_size=0.5, damping=0.45, width=1.0),
        tail_seconds=3.5,
        seed=seed,
    )


def _cinematic(seed: int) -> Composition:
    rng = np.random.default_rng(seed)
    tempo = 84.0
    progression = ("Dm", "Bb", "F", "C")
    motif = (74, 72, 77, 76)
    instruments = (
        Instrument("strings", "strings", gain_db=-9.5, reverb=0.45),
        Instrument("brass", "brass", gain_db=-9.5, pan=-0.1, reverb=0.35),
        Instrument("ostinato", "staccato", gain_db=-3.5, pan=-0.25, reverb=0.3, humanize_ms=3.0),
        Instrument("boom", "boom", gain_db=-7.0, reverb=0.3),
        Instrument("taiko", "tom", gain_db=-9.0, pan=0.2, reverb=0.35, variants=3),
        Instrument("piano", "piano", gain_db=-10.5, pan=0.3, reverb=0.6),
        Instrument("bass", "sub_bass", gain_db=-10.0, reverb=0.0),
        Instrument("swell", "swell", gain_db=-12.5, reverb=0.4),
    )
    intro = _Score(rng, instruments, tempo)
    intro.chord("strings", 0.0, 4.0, chord_tones("A", 50), 0.5)
    intro.add("swell", 0.0, 4.0, 60, 1.0)
    intro.add("taiko", 3.0, 0.2, 45, 0.6)
    intro.add("taiko", 3.5, 0.2, 45, 0.8)

    bars = []
    for index, name in enumerate(progression):
        bar = _Score(rng, instruments, tempo)
        bar.chord("strings", 0.0, 4.0, chord_tones(name, 53), 0.7)
        bar.add("strings", 0.0, 4.0, chord_tones(name, 65)[-1], 0.5)
        bar.chord("brass", 0.0, 4.0, (bass_note(name, 38), bass_note(name, 38) + 7), 0.7)
        bar.add("bass", 0.0, 3.9, bass_note(name, 26), 0.8)
        tones = chord_tones(name, 57)
        for step in range(8):
            pitch = tones[(0, 2, 1, 2)[step % 4] % len(tones)]
            bar.add("ostinato", 0.5 * step, 0.25, pitch, 0.85 if step % 4 == 0 else 0.6)
        if index % 2 == 0:
            bar.add("boom", 0.0, 0.5, 33, 0.9)
        bar.pattern("taiko", [1.5, 2.0] if index % 2 == 0 else [2.0, 3.0, 3.5], 47, velocity=0.7)
        bar.add("piano", 0.0, 2.0, motif[index], 0.55)
        bar.add("piano", 2.0, 2.0, motif[index] - 5, 0.45)
        bars.append(bar.section(4.0))

    outro = _Score(rng, instruments, tempo)
    outro.add("boom", 0.0, 0.5, 33, 1.0)
    outro.chord("strings", 0.0, 6.0, chord_tones("Dm", 53), 0.75)
    outro.add("strings", 0.0, 6.0, 74, 0.5)
    outro.chord("brass", 0.0, 5.0, (38, 45), 0.75)
    outro.add("bass", 0.0, 5.0, 26, 0.8)
    outro.add("piano", 0.0, 4.0, 74, 0.55)
    outro.add("piano", 2.0, 4.0, 69, 0.45)
    outro.add("piano", 4.0, 4.0, 62, 0.4)
    return Composition(
        tempo=tempo,
        instruments=instruments,
        intro=intro.section(4.0),
        bars=tuple(bars),
        outro=outro.section(8.0),
        reverb=ReverbSpec(room_size=0.9, damping=0.4, width=1.0),
        tail_seconds=6.0,
        seed=seed,
    )


def _news(seed: int) -> Composition:
    rng = np.random.default_rng(seed)
    tempo = 120.0
    progression = ("Em", "C", "Am", "B7")
    instruments = (
        Instrument("ticker", "tick", gain_db=-2.5, pan=0.25, reverb=0.1),
        Instrument("bass", "synth_bass", gain_db=-11.0, reverb=0.0),
        Instrument("stabs", "stab", gain_db=-11.0, reverb=0.25),
        Instrument("strings", "strings", gain_db=-18.5, reverb=0.35),
        Instrument("kick", "kick", gain_db=-9.5, reverb=0.0),
        Instrument("snare", "snare", gain_db=-6.0, reverb=0.2, variants=3),
        Instrument("toms", "tom", gain_db=-14.5, pan=-0.2, reverb=0.25, variants=2),
        Instrument("boom", "boom", gain_db=-8.5, reverb=0.3),
        Instrument("crash", "crash", gain_db=-12.0, reverb=0.2),
        Instrument("swell", "swell", gain_db=-14.5, reverb=0.2),
    )

    def ticker(score: _Score, bars: int, offset: float = 0.0, fade: bool = False) -> None:
        for step in range(16 * bars):
            beat = offset + 0.25 * step
            velocity = 0.8 if step % 4 == 0 else 0.45
            if fade:
                velocity *= 1.0 - step / (16 * bars)
            score.add("ticker", beat, 0.05, 100 if step % 4 == 0 else 96, velocity)

    intro = _Score(rng, instruments, tempo)
    intro.chord("stabs", 0.0, 0.3, chord_tones("Em", 59), 0.9)
    intro.add("boom", 0.0, 0.5, 28, 0.9)
    intro.add("crash", 0.0, 1.0, 60, 0.7)
    ticker(intro, 2)
    for beat in (4.0, 4.75, 5.5, 6.0, 6.75, 7.5):
        intro.add("bass", beat, 0.3, bass_note("Em", 28), 0.75)
    intro.add("swell", 4.0, 4.0, 60, 0.7)
    intro.pattern("toms", [7.0, 7.25, 7.5, 7.75], 45, velocity=0.6)

    bars = []
    for index, name in enumerate(progression):
        bar = _Score(rng, instruments, tempo)
        ticker(bar, 1)
        root = bass_note(name, 28)
        for beat in (0.0, 0.75, 1.5, 2.0, 2.75, 3.5):
            bar.add("bass", beat, 0.3, root, 0.85 if beat in (0.0, 2.0) else 0.65)
        bar.chord("stabs", 0.0, 0.3, chord_tones(name, 59), 0.8)
        bar.chord("stabs", 1.5, 0.3, chord_tones(name, 59), 0.6)
        bar.chord("strings", 0.0, 4.0, chord_tones(name, 52), 0.6)
        bar.pattern("kick", [0.0, 1.5, 2.5], 44, velocity=0.9)
        bar.pattern("snare", [1.0, 3.0], 60, velocity=0.75)
        if index == len(progression) - 1:
            bar.pattern("toms", [3.0, 3.25, 3.5, 3.75], 45, velocity=0.55)
        bars.append(bar.section(4.0))

    outro = _Score(rng, instruments, tempo)
    outro.chord("stabs", 0.0, 0.4, chord_tones("Em", 59), 0.95)
    outro.add("boom", 0.0, 0.5, 28, 1.0)
    outro.add("crash", 0.0, 1.0, 60, 0.8)
    outro.add("kick", 0.0, 0.1, 44, 0.9)
    outro.chord("strings", 0.0, 5.0, chord_tones("Em", 52), 0.6)
    outro.add("bass", 0.0, 1.0, 28, 0.8)
    ticker(outro, 1, fade=True)
    return Composition(
        tempo=tempo,
        instruments=instruments,
        intro=intro.section(8.0),
        bars=tuple(bars),
        outro=outro.section(8.0),
        reverb=ReverbSpec(room_size=0.5, damping=0.5, width=1.0),
        tail_seconds=3.5,
        seed=seed,
    )


def _lofi(seed: int) -> Composition:
    rng = np.random.default_rng(seed)
    tempo = 80.0
    progression = ("Fmaj7", "Em7", "Dm9", "Cmaj9")
    swing = 0.6
    instruments = (
        Instrument("keys", "epiano", gain_db=-8.0, reverb=0.25, lowpass_hz=3800.0, humanize_ms=8.0),
        Instrument("intro_keys", "epiano", gain_db=-10.0, reverb=0.3, lowpass_hz=900.0),
        Instrument("kick", "soft_kick", gain_db=-5.0, reverb=0.0, lowpass_hz=3000.0),
        Instrument("snare", "snare", gain_db=-3.0, reverb=0.2, lowpass_hz=4500.0, variants=3),
        Instrument("rim", "rim", gain_db=0.0, pan=0.2, reverb=0.15, variants=2),
        Instrument("hats", "hat", gain_db=4.0, pan=-0.25, variants=4),
        Instrument("bass", "sub_bass", gain_db=-11.0, reverb=0.0),
        Instrument("vinyl", "vinyl", gain_db=-4.0, reverb=0.0),
    )

    intro = _Score(rng, instruments, tempo)
    intro.chord("intro_keys", 0.0, 2.5, chord_tones("G7sus4", 55), 0.7)
    intro.chord("intro_keys", _swing(2.5, swing), 1.2, chord_tones("G7sus4", 55), 0.55)
    intro.add("vinyl", 0.0, 4.0, 60, 1.0)
    intro.add("rim", 3.0, 0.1, 60, 0.6)

    bars = []
    for index, name in enumerate(progression):
        bar = _Score(rng, instruments, tempo)
        voicing = chord_tones(name, 53, 14)
        bar.chord("keys", 0.0, 1.6, voicing, 0.65)
        bar.chord("keys", _swing(2.5, swing), 1.3, voicing, 0.5)
        if index % 2 == 1:
            bar.add("keys", _swing(3.5, swing), 0.4, chord_tones(name, 72)[-1], 0.4)
        bar.pattern("kick", [0.0, _swing(1.5, swing) + 0.25 * (index % 2), _swing(2.5, swing)], 48)
        bar.pattern("snare", [1.0, 3.0], 60, velocity=0.7)
        bar.pattern("hats", [_swing(b, swing) for b in _eighths()], 60, velocity=0.35, accent=0.5)
        root = bass_note(name, 33)
        bar.add("bass", 0.0, 1.4, root, 0.85)
        bar.add("bass", _swing(2.5, swing), 1.0, root + 7 if index % 2 == 0 else root, 0.7)
        bar.add("vinyl", 0.0, 4.0, 60, 1.0)
        bars.append(bar.section(4.0))

    outro = _Score(rng, instruments, tempo)
    outro.chord("keys", 0.0, 3.5, chord_tones("Fmaj7", 53, 14), 0.6)
    outro.chord("keys", 4.0, 4.0, chord_tones("Cmaj9", 53, 14), 0.55)
    outro.add("bass", 0.0, 3.0, bass_note("F", 33), 0.75)
    outro.add("bass", 4.0, 3.0, bass_note("C", 33), 0.7)
    outro.add("kick", 0.0, 0.1, 48, 0.8)
    outro.add("rim", 3.0, 0.1, 60, 0.5)
    outro.add("vinyl", 0.0, 4.0, 60, 1.0)
    outro.add("vinyl", 4.0, 4.0, 60, 1.0)
    return Composition(
        tempo=tempo,
        instruments=instruments,
        intro=intro.section(4.0),
        bars=tuple(bars),
        outro=outro.section(8.0),
        reverb=ReverbSpec(room_size=0.4, damping=0.7, width=0.8),
        tail_seconds=3.0,
        master_lowpass_hz=9000.0,
        seed=seed,
    )


SCORES: Mapping[str, Callable[[int], Composition]] = MappingProxyType(
    {
        "calm": _calm,
        "corporate": _corporate,
        "upbeat": _upbeat,
        "cinematic": _cinematic,
        "news": _news,
        "lofi": _lofi,
    }
)
"""The score of every template in :data:`audiofn.sound.catalogue.TEMPLATES`."""


def composition(name: str) -> Composition:
    """The template's full score, seeded with the template's seed."""
    template = get_template(name)
    return SCORES[template.name](template.seed)
