"""The mastering function's core: one listener's speech in, a master (every end format, its
report, captions, and when public a public copy and VAST file) out.

Idempotent: the report is written last, so a redelivered task whose report exists only
records progress; anything written before a crash is overwritten with equivalent output.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

from audiofn.config import MasteringSettings, mastering_settings
from audiofn.errors import AudiofnError
from audiofn.mastering.delivery import encode_on_target
from audiofn.models.apiaudio import MP3_TIERS
from audiofn.models.messages import MasteringTask
from audiofn.observability import logger, record_cache_lookup, record_master_render
from audiofn.podcast_metadata import (
    EpisodeTags,
    chapters_json,
    section_chapters,
    tag_mp3,
    transcript_json,
)
from audiofn.services.context import Services
from audiofn.services.job_events import failed_job_ended, job_ended
from audiofn.services.mastering import MasterEntry
from audiofn.services.media_library import load_media_bed
from audiofn.services.sound_library import ensure_template
from audiofn.storage.media import MediaStore
from audiofn.workers.sqs import process_sqs_batch, receive_count


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
        report: dict[str, Any] = result.report.to_dict()

        tags = self.episode_tags(task, result)
        sign = self.signer(task)
        outputs: dict[str, bytes] = {}
        report["formats"] = {}
        for fmt, key in entry.files.items():
            base = "mp3" if fmt.startswith("mp3") else fmt
            data, delivered = encode_on_target(result.audio, fmt, result.report)
            if base == "mp3":
                data = tag_mp3(data, tags)
            data = sign(base, data)
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
        deliverables = self.deliver(task, entry, result, tags, sign)
        if deliverables:
            report["deliverables"] = deliverables

        captions: dict[str, str] = {}
        cues: list[Any] = []
        if task.captions:
            from audiofn.captions import to_srt, to_webvtt

            cues = self.caption_cues(task.section_keys, sections, task.section_texts, result.report)
            captions = {"vtt": to_webvtt(cues), "srt": to_srt(cues)}
            for kind, key in entry.captions.items():
                media.put_bytes(key, captions[kind].encode(), _CAPTION_TYPES[kind])
        podcast = {"chapters": chapters_json(tags), "transcript": transcript_json(cues)}
        for kind, key in entry.podcast.items():
            media.put_json(key, podcast[kind])

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

    def deliver(
        self,
        task: MasteringTask,
        entry: MasterEntry,
        result: Any,
        tags: EpisodeTags,
        sign: Callable[[str, bytes], bytes],
    ) -> list[dict[str, Any]]:
        """One deliverable per delivery spec, from the same render: each encoded as its spec
        says, decoded, measured and judged; public copies beside the master's when public."""
        from audiofn.codecs import CONTENT_TYPES
        from audiofn.mastering.delivery import deliver_to_spec
        from audiofn.mastering.delivery_specs import DELIVERY_SPECS

        delivered = []
        for spec_id in task.delivery_specs:
            spec = DELIVERY_SPECS[spec_id]
            data, verdict = deliver_to_spec(
                result.audio, spec, master_lufs=result.report.integrated_lufs
            )
            if spec.format == "mp3":
                data = tag_mp3(data, tags)
            data = sign(spec.format, data)
            verdict["bytes"] = len(data)
            self.services.media.put_bytes(
                entry.deliverables[spec_id], data, CONTENT_TYPES[spec.format]
            )
            if spec_id in entry.public_deliverables:
                self.public.put_bytes(
                    entry.public_deliverables[spec_id], data, CONTENT_TYPES[spec.format]
                )
            delivered.append(verdict)
        return delivered

    def signer(self, task: MasteringTask) -> Callable[[str, bytes], bytes]:
        """Embeds the organisation's content credentials in a file (WAV, MP3, FLAC; other
        formats pass as they are): synthetic speech, engine, voice, script, organisation."""
        from audiofn.provenance import MIME_TYPES, SpeechCredentials, sign
        from audiofn.services.voices import resolve_speech_voice
        from audiofn.storage.content_credentials import org_signing_identity

        org = self.services.table.get_org(task.org_id)
        name = org.name if org else task.org_id
        voices = [resolve_speech_voice(self.services, task.org_id, v) for v in task.voices]
        credentials = SpeechCredentials(
            organisation=name,
            script_id=task.script_id,
            engine=", ".join(dict.fromkeys(v.provider for v in voices)) or "unknown",
            voice=", ".join(v.id for v in voices) or "unknown",
            title=task.title,
        )
        identity = org_signing_identity(self.settings.table, task.org_id, name)

        def signed(fmt: str, data: bytes) -> bytes:
            return sign(data, fmt, identity, credentials) if fmt in MIME_TYPES else data

        return signed

    def episode_tags(self, task: MasteringTask, result: Any) -> EpisodeTags:
        """Title from the script, artist and publisher from the organisation, chapters from
        the sections where they land on the master."""
        org = self.services.table.get_org(task.org_id)
        name = org.name if org else task.org_id
        chapters = section_chapters(
            task.section_names,
            [span.start for span in result.report.timeline],
            result.audio.duration,
        )
        return EpisodeTags(title=task.title, artist=name, publisher=name, chapters=chapters)

    def caption_cues(
        self, keys: list[str], sections: list[Any], texts: list[str], report: Any
    ) -> list[Any]:
        """The script's words, timed by the engine that spoke each section (Kokoro's own
        durations, stored beside its file) or else by recognising its speech, placed where
        the section lands in the mix, grouped into caption cues."""
        from audiofn.captions import align_written_words, captions_for_master
        from audiofn.tts.word_timings import spoken_words, stored_words

        media = self.services.media
        words = [
            align_written_words(
                written,
                [(w.word, w.start, w.end) for w in spoken_words(audio, stored_words(media, key))],
            )
            for key, audio, written in zip(
                keys, sections, texts or [""] * len(sections), strict=True
            )
        ]
        return captions_for_master(words, [span.start for span in report.timeline])

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


_CAPTION_TYPES = {"vtt": "text/vtt", "srt": "application/x-subrip"}


def build_worker() -> MasteringWorker:
    """The worker a cold start builds from the function's environment."""
    settings = mastering_settings()
    return MasteringWorker(Services.from_settings(settings), settings)


def handle_batch(worker: MasteringWorker, event: dict[str, Any], context: Any) -> dict[str, Any]:
    """The function's SQS batch: one listener's master per record."""

    def handle_record(record: SQSRecord) -> None:
        task = MasteringTask.model_validate_json(record.body)
        logger.set_correlation_id(task.job_id)  # the id the API returned for this job
        worker.handle(task, receive_count=receive_count(record))

    return process_sqs_batch(event, context, handle_record)
