"""Rendered templates (stems) and music beds of any length built from them.

A template renders to clips: the intro, each body bar and the outro, every clip holding what
the notes starting in it produce *including their ringing tails*. A bed is those clips laid
end to end and added where the tails overlap (overlap-add). Because the synthesis after the
note voices is linear and time-invariant, that sum is sample-for-sample the bed one would get
by rendering the whole arrangement in one go: the body loops without a seam to hide, the intro
rings into the body and the body into the outro exactly as played. No crossfade is needed,
and none of the musical transients at a bar line is blurred by one.

``Stems.body`` is the same body folded into one seamless loop (for the sound-project export and
for players that loop a file); beds are built from the bar clips so that they can stop after any
phrase, not only after a whole loop.
"""

from __future__ import annotations

import io
import json
import math
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property, lru_cache

import numpy as np
import numpy.typing as npt

from audiofn.audio import Audio
from audiofn.sound.arrangement import Composition, Note, Renderer, Section
from audiofn.sound.catalogue import SoundTemplate, get_template
from audiofn.sound.scores import composition as score_of

SAMPLE_RATE = 44_100
"""Beds are rendered at CD rate, stereo."""

BED_LOUDNESS_LUFS = -18.0
"""Integrated loudness of a rendered body loop; mastering re-levels beds against the voice."""

CEILING_DBTP = -1.0
"""No template part, and no bed built from them, has a true peak above this."""

_END_FADE_SECONDS = 0.05
_PEAK_MARGIN_DB = 0.05
_INTERSAMPLE_ALLOWANCE_DB = 3.0
_OUTRO_FLOOR_DB = -70.0
"""The outro is cut where its tail has fallen this far below its own peak."""

Array = npt.NDArray[np.float64]


def _audio(x: Array, sample_rate: int) -> Audio:
    samples = np.ascontiguousarray(x, dtype=np.float32)
    samples.setflags(write=False)
    return Audio(samples, sample_rate)


@dataclass(frozen=True)
class Stems:
    """A rendered template: overlapping clips and where each one starts.

    ``intro`` starts at 0 and the first body bar at ``intro_frames``; each bar clip starts
    ``bar_frames`` after the previous one; the outro starts right after the last bar played.
    Every clip is longer than its slot: the excess is its tail and is *added* to whatever
    follows (see :func:`arrange_bed`).
    """

    template: str
    sample_rate: int
    intro: Audio
    bars: tuple[Audio, ...]
    outro: Audio
    intro_frames: int
    bar_frames: int
    phrase_bars: int
    gain_db: float
    """The level applied to the raw render to reach :data:`BED_LOUDNESS_LUFS`."""

    @property
    def loop_frames(self) -> int:
        return self.bar_frames * len(self.bars)

    @cached_property
    def body(self) -> Audio:
        """The body bars folded into one loop that repeats seamlessly (every tail that runs
        past the loop end is wrapped onto its start, as it would ring into the next pass)."""
        length = self.loop_frames
        loop = np.zeros((length, 2))
        for index, bar in enumerate(self.bars):
            clip = np.asarray(bar.samples, dtype=np.float64)
            offset = index * self.bar_frames
            position = 0
            while position < len(clip):
                start = (offset + position) % length
                count = min(len(clip) - position, length - start)
                loop[start : start + count] += clip[position : position + count]
                position += count
        return _audio(loop, self.sample_rate)

    def parts(self) -> dict[str, Audio]:
        """Named clips for storage: ``intro``, ``bar1`` .. ``barN``, ``outro``."""
        named = {"intro": self.intro, "outro": self.outro}
        named.update({f"bar{index + 1}": bar for index, bar in enumerate(self.bars)})
        return named

    def manifest(self) -> dict[str, object]:
        """What :meth:`from_parts` needs besides the audio (store it next to the parts)."""
        return {
            "template": self.template,
            "sampleRate": self.sample_rate,
            "introFrames": self.intro_frames,
            "barFrames": self.bar_frames,
            "bars": len(self.bars),
            "phraseBars": self.phrase_bars,
            "gainDb": round(self.gain_db, 4),
        }

    @classmethod
    def from_parts(cls, manifest: Mapping[str, object], parts: Mapping[str, Audio]) -> Stems:
        """Rebuild stems from stored clips (e.g. decoded from S3) and their manifest."""
        count = int(str(manifest["bars"]))
        rate = int(str(manifest["sampleRate"]))
        for name, part in parts.items():
            if part.sample_rate != rate:
                raise ValueError(f"part {name} is at {part.sample_rate} Hz, expected {rate}")
        return cls(
            template=str(manifest["template"]),
            sample_rate=rate,
            intro=parts["intro"],
            bars=tuple(parts[f"bar{index + 1}"] for index in range(count)),
            outro=parts["outro"],
            intro_frames=int(str(manifest["introFrames"])),
            bar_frames=int(str(manifest["barFrames"])),
            phrase_bars=int(str(manifest["phraseBars"])),
            gain_db=float(str(manifest["gainDb"])),
        )


@dataclass(frozen=True)
class Bed:
    """A bed built from stems, and where its sections start (seconds)."""

    audio: Audio
    body_start: float
    outro_start: float
    body_bars: int


# --- rendering -------------------------------------------------------------------------------


def _trim_tail(x: Array, floor_db: float, sample_rate: int) -> Array:
    """Cut after the last frame above ``floor_db`` below the clip's peak, then fade 50 ms."""
    level = np.max(np.abs(x), axis=1)
    peak = float(level.max()) if level.size else 0.0
    if peak == 0.0:
        return x
    loud = np.flatnonzero(level > peak * 10.0 ** (floor_db / 20.0))
    fade = round(_END_FADE_SECONDS * sample_rate)
    end = min(len(x), int(loud[-1]) + 1 + fade)
    out = x[:end].copy()
    out[-fade:] *= np.linspace(1.0, 0.0, min(fade, len(out)))[:, None]
    return out


def _arrangement(composition: Composition, body_bars: int) -> Section:
    """The whole piece as one section (intro, ``body_bars`` bars cycling the body, outro):
    the reference a bed built from clips must equal."""
    notes: list[Note] = list(composition.intro.notes)
    beat = composition.intro.beats
    for index in range(body_bars):
        bar = composition.bars[index % len(composition.bars)]
        notes.extend(_shift(note, beat) for note in bar.notes)
        beat += bar.beats
    notes.extend(_shift(note, beat) for note in composition.outro.notes)
    return Section(beat + composition.outro.beats, tuple(notes))


def _shift(note: Note, beats: float) -> Note:
    return Note(
        note.instrument, note.beat + beats, note.beats, note.pitch, note.velocity, note.variant
    )


def _check_grid(composition: Composition, sample_rate: int) -> int:
    bar_beats = {section.beats for section in composition.bars}
    if len(bar_beats) != 1:
        raise ValueError("every body bar must have the same length")
    beats = bar_beats.pop()
    exact = beats * 60.0 * sample_rate / composition.tempo
    if abs(exact - round(exact)) > 1e-6:
        raise ValueError(
            f"a bar at {composition.tempo} BPM is {exact} frames at {sample_rate} Hz: the loop "
            "would drift; pick a tempo whose bar is a whole number of frames"
        )
    return round(exact)


@lru_cache(maxsize=8)
def render_template(name: str) -> Stems:
    """Render a template's clips (deterministic: the same name gives the same samples).

    Levelled so the body loop measures :data:`BED_LOUDNESS_LUFS`, then turned down further
    if any part, or the shortest bed, would exceed :data:`CEILING_DBTP` true peak.
    The result is cached per process; its arrays are read-only.
    """
    template = get_template(name)
    composition = score_of(template.name)
    sample_rate = SAMPLE_RATE
    bar_frames = _check_grid(composition, sample_rate)
    renderer = Renderer(composition, sample_rate)
    intro = renderer.render(composition.intro)
    bars = [renderer.render(bar) for bar in composition.bars]
    outro = _trim_tail(renderer.render(composition.outro), _OUTRO_FLOOR_DB, sample_rate)
    raw = Stems(
        template=template.name,
        sample_rate=sample_rate,
        intro=_audio(intro, sample_rate),
        bars=tuple(_audio(bar, sample_rate) for bar in bars),
        outro=_audio(outro, sample_rate),
        intro_frames=composition.frames(composition.intro.beats, sample_rate),
        bar_frames=bar_frames,
        phrase_bars=template.phrase_bars,
        gain_db=0.0,
    )
    gain_db = _level_gain_db(raw)
    gain = 10.0 ** (gain_db / 20.0)
    return Stems(
        template=template.name,
        sample_rate=sample_rate,
        intro=_audio(intro * gain, sample_rate),
        bars=tuple(_audio(bar * gain, sample_rate) for bar in bars),
        outro=_audio(outro * gain, sample_rate),
        intro_frames=raw.intro_frames,
        bar_frames=bar_frames,
        phrase_bars=template.phrase_bars,
        gain_db=gain_db,
    )


def _level_gain_db(raw: Stems) -> float:
    from audiofn.dsp.measure import integrated_lufs, peak_dbfs, true_peak_dbfs

    loudness = integrated_lufs(raw.body)
    gain_db = BED_LOUDNESS_LUFS - loudness
    # The loudest moments: the body (with its wrapped tails), the intro and outro with a
    # body pass on either side, and the outro straight after the intro (the shortest bed).
    # True peaks rarely exceed sample peaks by 2 dB, so oversampling is skipped when even
    # that much would leave headroom.
    peak = -math.inf
    for audio in (raw.body, arrange_bed(raw, len(raw.bars)).audio, arrange_bed(raw, 0).audio):
        estimate = peak_dbfs(audio.samples) + _INTERSAMPLE_ALLOWANCE_DB
        if estimate + gain_db > CEILING_DBTP - _PEAK_MARGIN_DB:
            estimate = true_peak_dbfs(audio.samples, audio.sample_rate)
        peak = max(peak, estimate)
    headroom = CEILING_DBTP - _PEAK_MARGIN_DB - (peak + gain_db)
    return gain_db + min(0.0, headroom)


def render_instrument_stems(name: str, body_bars: int | None = None) -> dict[str, Audio]:
    """Per-instrument tracks of one bed (intro, ``body_bars`` bars, outro; one body pass by
    default), each with its own share of the reverb, levelled like the mix: they add up to
    :func:`bed_for_duration`'s bed of the same length. For the sound-project export."""
    template = get_template(name)
    stems = render_template(template.name)
    composition = score_of(template.name)
    bars = len(composition.bars) if body_bars is None else body_bars
    renderer = Renderer(composition, stems.sample_rate)
    tracks = renderer.render_instruments(_arrangement(composition, bars))
    length = len(arrange_bed(stems, bars).audio.samples)
    gain = 10.0 ** (stems.gain_db / 20.0)
    fade = np.linspace(1.0, 0.0, round(_END_FADE_SECONDS * stems.sample_rate))[:, None]
    out = {}
    for inst, track in tracks.items():
        cut = track[:length] * gain
        cut[-len(fade) :] *= fade
        out[inst] = _audio(cut, stems.sample_rate)
    return out


def render_arrangement(name: str, body_bars: int) -> Audio:
    """The bed of ``body_bars`` bars rendered in one piece rather than from clips: slower,
    and what :func:`arrange_bed` is checked against (they must agree to float rounding)."""
    template = get_template(name)
    stems = render_template(template.name)
    composition = score_of(template.name)
    mix = Renderer(composition, stems.sample_rate).render(_arrangement(composition, body_bars))
    length = len(arrange_bed(stems, body_bars).audio.samples)
    cut = mix[:length] * 10.0 ** (stems.gain_db / 20.0)
    fade = round(_END_FADE_SECONDS * stems.sample_rate)
    cut[-fade:] *= np.linspace(1.0, 0.0, fade)[:, None]
    return _audio(cut, stems.sample_rate)


# --- beds ------------------------------------------------------------------------------------


def arrange_bed(stems: Stems, body_bars: int) -> Bed:
    """Intro, then ``body_bars`` body bars (cycling through the loop), then the outro.

    The clips are overlap-added, so every tail rings on into what follows; the bed ends with
    the outro's own decay (faded over the last 50 ms).
    """
    if body_bars < 0:
        raise ValueError(f"body_bars must be >= 0, got {body_bars}")
    outro_start = stems.intro_frames + body_bars * stems.bar_frames
    length = outro_start + len(stems.outro.samples)
    out = np.zeros((length, 2), dtype=np.float32)

    def add(clip: Audio, at: int) -> None:
        end = min(length, at + len(clip.samples))
        out[at:end] += clip.samples[: end - at]

    add(stems.intro, 0)
    for index in range(body_bars):
        add(stems.bars[index % len(stems.bars)], stems.intro_frames + index * stems.bar_frames)
    add(stems.outro, outro_start)
    fade = round(_END_FADE_SECONDS * stems.sample_rate)
    out[-fade:] *= np.linspace(1.0, 0.0, fade, dtype=np.float32)[:, None]
    rate = stems.sample_rate
    return Bed(
        audio=Audio(out, rate),
        body_start=stems.intro_frames / rate,
        outro_start=outro_start / rate,
        body_bars=body_bars,
    )


def plan_body_bars(stems: Stems, *, seconds: float = 0.0, outro_at: float | None = None) -> int:
    """Fewest body bars (a multiple of the template's phrase) for a bed that lasts at least
    ``seconds`` and whose outro starts no earlier than ``outro_at`` seconds."""
    rate = stems.sample_rate
    needed = 0
    if outro_at is not None:
        needed = max(needed, math.ceil((outro_at * rate - stems.intro_frames) / stems.bar_frames))
    total = stems.intro_frames + len(stems.outro.samples)
    needed = max(needed, math.ceil((seconds * rate - total) / stems.bar_frames))
    phrase = max(1, stems.phrase_bars)
    return max(0, math.ceil(needed / phrase) * phrase)


def bed_for_duration(template: str | Stems, seconds: float) -> Audio:
    """A bed at least ``seconds`` long and as short as the phrase grid allows: intro, as many
    body bars as needed, and the outro it ends on. ``template`` is a name or rendered stems."""
    stems = render_template(template) if isinstance(template, str) else template
    return arrange_bed(stems, plan_body_bars(stems, seconds=seconds)).audio


# --- measuring seams -------------------------------------------------------------------------


@dataclass(frozen=True)
class SeamMetrics:
    """How a loop's wrap-around compares with the rest of the loop.

    ``jump`` is the sample-to-sample step across the seam (last frame to first frame) and
    ``jump_ratio`` that step over the 99.9th percentile of steps inside the loop; ``curvature``
    and ``curvature_ratio`` do the same for the second difference (what a click is made of).
    ``flux_ratio`` is the spectral flux at the seam over the largest flux at the other bar
    lines of the loop (the seam falls on a downbeat, so it is compared with downbeats: a
    click at the seam would make it the loudest onset of the loop).
    """

    jump: float
    jump_ratio: float
    curvature: float
    curvature_ratio: float
    flux_ratio: float


def _flux(x: Array, frame: int, hop: int) -> Array:
    """Positive spectral flux per hop (L2 norm of magnitude increases, Hann frames)."""
    mono = x.mean(axis=1) if x.ndim == 2 else x
    frames = np.lib.stride_tricks.sliding_window_view(mono, frame)[::hop]
    spectra = np.abs(np.fft.rfft(frames * np.hanning(frame), axis=1))
    rises = np.maximum(np.diff(spectra, axis=0), 0.0)
    return np.sqrt(np.sum(rises**2, axis=1))


def loop_seam_metrics(loop: Audio, bar_frames: int) -> SeamMetrics:
    """Measure the seam of a loop that is meant to repeat (its bars ``bar_frames`` long)."""
    x = np.asarray(loop.samples, dtype=np.float64)
    x = x if x.ndim == 2 else x[:, None]
    twice = np.concatenate([x, x])
    seam = len(x)
    steps = np.abs(np.diff(twice, axis=0)).max(axis=1)
    jump = float(steps[seam - 1])
    curves = np.abs(np.diff(twice, n=2, axis=0)).max(axis=1)
    curvature = float(max(curves[seam - 2], curves[seam - 1]))
    inner_steps = steps[: seam - 1]
    inner_curves = curves[: seam - 2]
    frame, hop = 2048, 256
    flux = _flux(twice, frame, hop)

    def flux_at(position: int) -> float:
        # The flux hop that first contains the boundary, and its neighbours.
        centre = (position - frame // 2) // hop
        window = flux[max(0, centre - 2) : centre + 3]
        return float(window.max()) if window.size else 0.0

    bar_lines = [b * bar_frames for b in range(1, len(x) // bar_frames)]
    others = [flux_at(position) for position in bar_lines] or [flux_at(seam // 2)]
    reference = max(others)
    return SeamMetrics(
        jump=jump,
        jump_ratio=jump / max(float(np.percentile(inner_steps, 99.9)), 1e-12),
        curvature=curvature,
        curvature_ratio=curvature / max(float(np.percentile(inner_curves, 99.9)), 1e-12),
        flux_ratio=flux_at(seam) / max(reference, 1e-12),
    )


# --- the sound-project export ----------------------------------------------------------------


def sound_project_files(name: str) -> dict[str, Audio]:
    """The files of a template's sound project: the parts, the seamless body loop, a bed of
    one body pass, and that bed split per instrument (``stems/<instrument>``)."""
    stems = render_template(name)
    files: dict[str, Audio] = {
        "intro": stems.intro,
        "body_loop": stems.body,
        "outro": stems.outro,
        "bed": arrange_bed(stems, len(stems.bars)).audio,
    }
    for instrument, track in render_instrument_stems(name).items():
        files[f"stems/{instrument}"] = track
    return files


def sound_project_zip(name: str, fmt: str = "wav") -> bytes:
    """A zip of :func:`sound_project_files` encoded as ``fmt`` plus ``template.json``."""
    from audiofn.codecs import FILE_EXTENSIONS, encode, normalize_format

    fmt = normalize_format(fmt)
    template: SoundTemplate = get_template(name)
    stems = render_template(template.name)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        info = {**template.to_api(), **stems.manifest()}
        archive.writestr(f"{template.name}/template.json", json.dumps(info, indent=2))
        for path, audio in sound_project_files(template.name).items():
            data = encode(audio, fmt)
            archive.writestr(f"{template.name}/{path}{FILE_EXTENSIONS[fmt]}", data)
    return buffer.getvalue()
