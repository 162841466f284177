"""The mastering function's core: one listener's speech in, a master (every end format, its
report, captions, and when public a public copy and VAST file) out.

Idempotent: the report is written last, so a redelivered task whose report exists only
records progress; anything written before a crash is overwritten with equivalent output.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from audiofn.config import MasteringSettings
from audiofn.errors import AudiofnError
from audiofn.models.messages import MasteringTask
from audiofn.observability import logger, record_cache_lookup, record_master_render
from audiofn.services.context import Services
from audiofn.services.job_events import failed_job_ended, job_ended
from audiofn.services.mastering import MasterEntry
from audiofn.services.media_library import load_media_bed
from audiofn.services.sound_library import ensure_template
from audiofn.storage.media import MediaStore

# The protocol's mp3 quality tiers.
MP3_TIERS = {"mp3": 192, "mp3_low": 96, "mp3_medium": 128, "mp3_high": 192, "mp3_very_high": 320}


@dataclass(frozen=True)
class MasteringWorker:
    services: Services
    settings: MasteringSettings

    @property
    def public(self) -> MediaStore:
        return MediaStore(self.settings.public_bucket, self.settings.presign_seconds)

    def handle(self, task: MasteringTask, receive_count: int = 1) -> None:
        """Raise only for failures worth retrying; permanent ones are recorded on the job."""
        table, media = self.services.table, self.services.media
        job = table.get_job(task.org_id, task.job_id)
        if job is None or job.status == "failed":
            return
        entry = MasterEntry.model_validate(media.get_json(job.manifest_key)[task.task_index])
        rendered = media.exists(entry.report_key)
        record_cache_lookup("Master", hit=rendered)
        if not rendered:
            started = time.perf_counter()
            try:
                report = self.render(task, entry)
            except (AudiofnError, ValueError) as error:
                table.fail_job(
                    task.org_id, task.job_id, f"listener {task.task_index}: {error}", 422
                )
                failed_job_ended(self.services, task.org_id, task.job_id)
                return
            except Exception as error:
                if receive_count >= self.settings.max_receives:
                    table.fail_job(
                        task.org_id,
                        task.job_id,
                        f"listener {task.task_index}: gave up after {receive_count} tries: {error}",
                        500,
                    )
                    failed_job_ended(self.services, task.org_id, task.job_id)
                raise
            logger.info(
                "master rendered",
                extra={
                    "job": task.job_id,
                    "task": task.task_index,
                    "seconds": round(time.perf_counter() - started, 3),
                    "lufs": report["integrated_lufs"],
                },
            )
            record_master_render(float(report["duration"]))
        job_ended(self.services, table.mark_task_done(task.org_id, task.job_id, task.task_index))

    def render(self, task: MasteringTask, entry: MasterEntry) -> dict[str, Any]:
        from audiofn.codecs import CONTENT_TYPES, decode
        from audiofn.mastering import master

        media = self.services.media
        sections = [decode(media.get_bytes(key)) for key in task.section_keys]
        bed: Any = None
        if task.sound_template:
            bed = ensure_template(media, task.sound_template)
        elif task.background_media_id:
            bed = load_media_bed(self.services, task.org_id, task.background_media_id)
        result = master(sections, bed, task.preset)
        report = result.report.to_dict()

        outputs: dict[str, bytes] = {}
        report["formats"] = {}
        for fmt, key in entry.files.items():
            base = "mp3" if fmt.startswith("mp3") else fmt
            data, delivered = encode_on_target(result.audio, fmt, result.report)
            outputs[fmt] = data
            media.put_bytes(key, data, CONTENT_TYPES[base])
            report["formats"][fmt] = {
                "bytes": len(data),
                "bitrateKbps": MP3_TIERS.get(fmt),
                **delivered,
            }
        # The report describes the file the default URL serves (the first end format).
        default = report["formats"][next(iter(entry.files))]
        report["integrated_lufs"] = default["integratedLufs"]
        report["true_peak_dbtp"] = default["truePeakDbtp"]

        captions: dict[str, str] = {}
        if task.captions:
            captions = self.captions(sections, task.section_texts, result.report)
            for kind, key in entry.captions.items():
                media.put_bytes(key, captions[kind].encode(), _CAPTION_TYPES[kind])

        if entry.public_files:
            self.publish(
                task,
                entry,
                outputs=outputs,
                captions=captions,
                duration=result.audio.duration,
                report=report,
            )

        from audiofn.config import intelligibility_enabled

        if intelligibility_enabled():  # opt-in: what Whisper hears against the script
            from audiofn.stt.intelligibility import intelligibility

            report["intelligibility"] = intelligibility(result.audio, " ".join(task.section_texts))
        media.put_json(entry.report_key, report)  # last: marks the listener done
        return report

    def captions(self, sections: list[Any], texts: list[str], report: Any) -> dict[str, str]:
        """The script's words, timed by recognising each section's speech, placed where the
        section lands in the mix."""
        from audiofn.captions import captions_for_master, to_srt, to_webvtt
        from audiofn.stt.whisper import transcribe

        words = [
            align_written_words(
                written,
                [(w.word, w.start, w.end) for w in transcribe(audio, word_timestamps=True).words],
            )
            for audio, written in zip(sections, texts or [""] * len(sections), strict=True)
        ]
        cues = captions_for_master(words, [span.start for span in report.timeline])
        return {"vtt": to_webvtt(cues), "srt": to_srt(cues)}

    def publish(
        self,
        task: MasteringTask,
        entry: MasterEntry,
        *,
        outputs: dict[str, bytes],
        captions: dict[str, str],
        duration: float,
        report: dict[str, Any],
    ) -> None:
        from audiofn.codecs import CONTENT_TYPES
        from audiofn.vast import AudioAd, build_vast

        public = self.public
        for fmt, key in entry.public_files.items():
            base = "mp3" if fmt.startswith("mp3") else fmt
            public.put_bytes(key, outputs[fmt], CONTENT_TYPES[base])
        for kind, key in entry.public_captions.items():
            public.put_bytes(key, captions[kind].encode(), _CAPTION_TYPES[kind])
        if entry.vast_key and entry.tracking_token:
            fmt = next(f for f in entry.public_files if f.startswith("mp3"))
            base_url = self.settings.public_base_url.rstrip("/")
            api_url = self.settings.api_url.rstrip("/")
            token = entry.tracking_token
            ad = AudioAd(
                ad_id=token,
                title=task.title,
                media_url=f"{base_url}/{entry.public_files[fmt]}",
                duration_seconds=duration,
                bitrate_kbps=MP3_TIERS[fmt],
                tracking_url=lambda event: f"{api_url}/track/{token}/{event}",
                file_size=len(outputs[fmt]),
            )
            public.put_bytes(entry.vast_key, build_vast(ad).encode(), "application/xml")
            report["vast"] = {"mediaFile": ad.media_url, "duration": duration}


LOSSLESS_FORMATS = ("wav", "flac")
LOUDNESS_TOLERANCE_LU = 0.05


def encode_on_target(audio: Any, fmt: str, master: Any) -> tuple[bytes, dict[str, float]]:
    """One end format's bytes, and the loudness and true peak of those bytes as decoded.

    Lossless files are the master itself (16-bit), so the master's figures are theirs. A lossy
    codec moves the level (LAME at 192 kbps reads 0.27 LU quieter, at 96 kbps 0.44 LU; Vorbis
    0.07 LU): the file is decoded and measured with the project's meter, and when it misses the
    target by more than the tolerance, the gain that closes the gap is applied, the master's
    limiter holds the preset's true-peak limit, and the file is encoded once more. The figures
    returned are always those of the bytes delivered.
    """
    from audiofn.audio import Audio
    from audiofn.codecs import decode, encode
    from audiofn.mastering import limit_true_peak

    base = "mp3" if fmt.startswith("mp3") else fmt
    bitrate = MP3_TIERS.get(fmt)
    data = encode(audio, base, bitrate_kbps=bitrate)
    if base in LOSSLESS_FORMATS:
        measured = {
            "integratedLufs": master.integrated_lufs,
            "truePeakDbtp": master.true_peak_dbtp,
        }
        return data, _rounded(measured, gain_db=0.0)
    lufs, peak = _measure_delivered(decode(data))
    gain_db = 0.0
    if abs(master.target_lufs - lufs) > LOUDNESS_TOLERANCE_LU:
        gain_db = master.target_lufs - lufs
        scaled = (audio.samples * 10.0 ** (gain_db / 20.0)).astype("float32")
        limited, _ = limit_true_peak(scaled, audio.sample_rate, master.true_peak_limit_dbtp)
        data = encode(Audio(limited, audio.sample_rate), base, bitrate_kbps=bitrate)
        lufs, peak = _measure_delivered(decode(data))
    return data, _rounded({"integratedLufs": lufs, "truePeakDbtp": peak}, gain_db=gain_db)


def _measure_delivered(decoded: Any) -> tuple[float, float]:
    from audiofn.dsp.measure import integrated_lufs, true_peak_dbfs

    return integrated_lufs(decoded), true_peak_dbfs(decoded.samples, decoded.sample_rate)


def _rounded(measured: dict[str, float], gain_db: float) -> dict[str, float]:
    return {
        **{k: round(float(v), 3) for k, v in measured.items()},
        "codecGainDb": round(gain_db, 3),
    }


def align_written_words(
    written: str, heard: list[tuple[str, float, float]]
) -> list[tuple[str, float, float]]:
    """Give the words as written the timings of the words as heard.

    Matched stretches map one to one; a stretch the recogniser heard differently shares the
    heard stretch's time evenly, so a misheard name still shows as written, at its place.
    """
    import difflib
    import re

    words = re.sub(r"<[^>]+>", " ", written).split()
    if not words or not heard:
        return heard

    def key(word: str) -> str:
        return re.sub(r"[^\w]", "", word.lower())

    matcher = difflib.SequenceMatcher(
        a=[key(w) for w in words], b=[key(h[0]) for h in heard], autojunk=False
    )
    timed: list[tuple[str, float, float]] = []
    for _, a0, a1, b0, b1 in matcher.get_opcodes():
        if a0 == a1:
            continue  # heard but not written: nothing to show
        if b0 == b1:  # written but not heard: squeeze in at the previous word's end
            at = timed[-1][2] if timed else heard[0][1]
            timed += [(w, at, at) for w in words[a0:a1]]
            continue
        start, end = heard[b0][1], heard[b1 - 1][2]
        step = (end - start) / (a1 - a0)
        timed += [(w, start + i * step, start + (i + 1) * step) for i, w in enumerate(words[a0:a1])]
    return timed


_CAPTION_TYPES = {"vtt": "text/vtt", "srt": "application/x-subrip"}
