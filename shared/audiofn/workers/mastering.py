"""The mastering function's core: one listener's speech in, a master (every end format, its
report, captions, and when public a public copy and VAST file) out.

Idempotent: the report is written last, so a redelivered task whose report exists only
records progress; anything written before a crash is overwritten with equivalent output.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

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
    transcript_json,
)
from audiofn.services.context import Services
from audiofn.services.job_events import failed_job_ended, job_ended
from audiofn.services.mastering import MasterEntry
from audiofn.services.media_library import load_media_bed
from audiofn.services.sound_library import ensure_template
from audiofn.storage.media import MediaStore
from audiofn.workers.sqs import process_sqs_batch, receive_count

if TYPE_CHECKING:
    from audiofn.vast import MediaFile


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

        from audiofn.services.provenance import tagged_and_signed

        tags = self.episode_tags(task, result)
        finish = tagged_and_signed(self.signer(task), tags)
        outputs: dict[str, bytes] = {}
        report["formats"] = {}
        for fmt, key in entry.files.items():
            base = "mp3" if fmt.startswith("mp3") else fmt
            data, delivered = encode_on_target(result.audio, fmt, result.report)
            data = finish(base, data)
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
        deliverables = self.deliver(task, entry, result, finish)
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
            self.publish(entry, outputs=outputs, captions=captions)
        if entry.vast_key and entry.tracking_token:
            report["vast"] = self.publish_vast(
                task,
                entry,
                result,
                outputs=outputs,
                formats=report["formats"],
                finish=finish,
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
        finish: Callable[[str, bytes], bytes],
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
            data = finish(spec.format, data)
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
        from audiofn.services.provenance import content_signer

        return content_signer(
            self.services,
            self.settings.table,
            task.org_id,
            script_id=task.script_id,
            voices=task.voices,
            title=task.title,
        )

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
        self, entry: MasterEntry, *, outputs: dict[str, bytes], captions: dict[str, str]
    ) -> None:
        from audiofn.codecs import CONTENT_TYPES

        public = self.public
        for fmt, key in entry.public_files.items():
            base = "mp3" if fmt.startswith("mp3") else fmt
            public.put_bytes(key, outputs[fmt], CONTENT_TYPES[base])
        for kind, key in entry.public_captions.items():
            public.put_bytes(key, captions[kind].encode(), _CAPTION_TYPES[kind])

    def publish_vast(
        self,
        task: MasteringTask,
        entry: MasterEntry,
        result: Any,
        *,
        outputs: dict[str, bytes],
        formats: dict[str, dict[str, Any]],
        finish: Callable[[str, bytes], bytes],
    ) -> dict[str, Any]:
        """The VAST file and the files it lists (:meth:`vast_renditions`, the lossless
        Mezzanine). Returns what the report says of them."""
        from audiofn.vast import DEFAULT_ID_REGISTRY, AudioAd, build_vast

        token, vast_key = entry.tracking_token, entry.vast_key
        if token is None or vast_key is None:
            return {}
        media_files, listed = self.vast_renditions(
            entry, result, outputs=outputs, formats=formats, finish=finish
        )
        mezzanine = self.vast_mezzanine(entry, result, outputs=outputs, finish=finish)
        api_url = self.settings.api_url.rstrip("/")
        ad = AudioAd(
            ad_id=token,
            title=task.title,
            media_files=tuple(media_files),
            mezzanine=mezzanine,
            duration_seconds=result.audio.duration,
            tracking_url=lambda event: f"{api_url}/track/{token}/{event}",
            universal_ad_id=task.universal_ad_id,
            universal_ad_id_registry=task.universal_ad_id_registry or DEFAULT_ID_REGISTRY,
        )
        self.public.put_bytes(vast_key, build_vast(ad).encode(), "application/xml")
        summary: dict[str, Any] = {
            "mediaFile": media_files[0].url,
            "duration": result.audio.duration,
            "mediaFiles": listed,
            "universalAdId": {
                "idRegistry": ad.universal_ad_id_registry,
                "value": ad.universal_ad_id or ad.ad_id,
            },
        }
        if mezzanine is not None:
            summary["mezzanine"] = {
                "url": mezzanine.url,
                "type": mezzanine.mime_type,
                "bytes": mezzanine.file_size,
            }
        return summary

    def vast_renditions(
        self,
        entry: MasterEntry,
        result: Any,
        *,
        outputs: dict[str, bytes],
        formats: dict[str, dict[str, Any]],
        finish: Callable[[str, bytes], bytes],
    ) -> tuple[list[MediaFile], list[dict[str, Any]]]:
        """The ad's MediaFiles, and the report's line for each: an end format's file as it is,
        and each other rendition encoded once from the same master (on its loudness target,
        tagged and signed as the end formats are) and published."""
        from audiofn.codecs import CONTENT_TYPES, audio_bitrate_kbps
        from audiofn.mastering.delivery import encode_on_target
        from audiofn.vast import CODECS, MediaFile, parse_rendition

        base_url = self.settings.public_base_url.rstrip("/")
        made = {key: fmt for fmt, key in entry.public_files.items()}
        # A manifest from before renditions lists none: the first MP3 end format, as then.
        first_mp3 = next(f for f in entry.public_files if f.startswith("mp3"))
        renditions = entry.vast_media or {
            f"mp3-{MP3_TIERS[first_mp3]}k": entry.public_files[first_mp3]
        }
        media_files, listed = [], []
        for name, key in renditions.items():
            rendition = parse_rendition(name)
            if key in made:  # an end format: made, measured and published already
                data = outputs[made[key]]
                measured = {k: v for k, v in formats[made[key]].items() if k in _LOUDNESS_KEYS}
            else:
                data, measured = encode_on_target(
                    result.audio,
                    rendition.format,
                    result.report,
                    bitrate_kbps=rendition.bitrate_kbps,
                )
                data = finish(rendition.format, data)
                self.public.put_bytes(key, data, CONTENT_TYPES[rendition.format])
            # Declared as measured: the average of an MP3 is its CBR rate; AAC's varies.
            kbps = max(1, round(audio_bitrate_kbps(data)))
            media = MediaFile(
                url=f"{base_url}/{key}",
                mime_type=CONTENT_TYPES[rendition.format],
                bitrate_kbps=kbps,
                file_size=len(data),
                codec=CODECS.get(rendition.format),
                id=f"{entry.tracking_token}-{name}",
            )
            media_files.append(media)
            listed.append(
                {
                    "url": media.url,
                    "type": media.mime_type,
                    "bitrateKbps": kbps,
                    "encoderKbps": rendition.bitrate_kbps,
                    "bytes": len(data),
                    **measured,
                }
            )
        return media_files, listed

    def vast_mezzanine(
        self,
        entry: MasterEntry,
        result: Any,
        *,
        outputs: dict[str, bytes],
        finish: Callable[[str, bytes], bytes],
    ) -> MediaFile | None:
        """The lossless Mezzanine: the FLAC end format when there is one, else made here."""
        from audiofn.codecs import CONTENT_TYPES, encode
        from audiofn.vast import MEZZANINE_FORMAT, MediaFile

        key = entry.vast_mezzanine
        if key is None:
            return None
        made = {made_key: fmt for fmt, made_key in entry.public_files.items()}
        if key in made:
            data = outputs[made[key]]
        else:
            data = finish(MEZZANINE_FORMAT, encode(result.audio, MEZZANINE_FORMAT))
            self.public.put_bytes(key, data, CONTENT_TYPES[MEZZANINE_FORMAT])
        return MediaFile(
            url=f"{self.settings.public_base_url.rstrip('/')}/{key}",
            mime_type=CONTENT_TYPES[MEZZANINE_FORMAT],
            file_size=len(data),
            id=f"{entry.tracking_token}-mezzanine",
        )


_LOUDNESS_KEYS = ("integratedLufs", "truePeakDbtp", "codecGainDb")
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
