"""The TTS job function's core: one queued job in, one MP3 in S3, its status recorded.

waiting -> preparing (text read) -> processing (split into sentence chunks) ->
synthesizing (chunks spoken, joined, encoded) -> ready, or failed with the reason.

Idempotent: the MP3's key is fixed per job, a redelivered message for a job whose MP3 exists
only marks it ready, and status moves are conditional, so a finished (or deleted) job is
never moved again.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

from audiofn.config import TtsJobSettings, tts_job_settings
from audiofn.errors import AudiofnError
from audiofn.models.tts_jobs import TtsJobRecord, TtsJobStatus, TtsJobTask
from audiofn.observability import logger
from audiofn.services.context import Services
from audiofn.services.notifications import notify
from audiofn.services.tts_jobs import voice_of_job
from audiofn.storage.tts_jobs_table import TtsJobsTable
from audiofn.text.chunks import Chunk, split_into_chunks
from audiofn.tts.base import SynthesisError
from audiofn.tts.catalogue import UnknownVoice, Voice
from audiofn.tts.registry import EngineSettings, engine_settings_from
from audiofn.workers.sqs import process_sqs_batch, receive_count

if TYPE_CHECKING:
    from audiofn.audio import Audio
    from audiofn.text.lexicon import Lexicon

MP3_BITRATE_KBPS = 64  # mono speech: transparent at 64 kbps, half the size of 128
EDGE_SILENCE_DBFS = -50.0
LEAD_MARGIN_MS = 20
TAIL_MARGIN_MS = 50
PROGRESS_EVERY_SECONDS = 2.0


class JobGone(Exception):
    """The job was deleted or finished while this message was being worked on."""


@dataclass(frozen=True)
class TtsJobWorker:
    services: Services
    settings: TtsJobSettings

    @property
    def table(self) -> TtsJobsTable:
        return TtsJobsTable(self.settings.table)

    @property
    def engine_settings(self) -> EngineSettings:
        return engine_settings_from(self.settings)

    def handle(self, task: TtsJobTask, receive_count: int = 1) -> None:
        """Raise only for failures worth retrying; permanent ones fail the job at once."""
        job = self.table.get_job(task.org_id, task.job_id)
        if job is None or job.status in ("ready", "failed"):
            logger.info("skipping a deleted or finished TTS job", extra={"job": task.job_id})
            return
        started = time.perf_counter()
        try:
            if not self.services.media.exists(job.audio_key):
                data = self.render(job)
                self.services.media.put_bytes(job.audio_key, data, "audio/mpeg")
        except JobGone:
            logger.info("TTS job finished or deleted meanwhile", extra={"job": job.job_id})
            return
        except (SynthesisError, UnknownVoice, AudiofnError, ValueError) as error:
            self.fail(job, str(error))
            return
        except Exception as error:
            if receive_count >= self.settings.max_receives:
                self.fail(job, f"gave up after {receive_count} tries: {error}")
            raise
        self.table.move_job(job.org_id, job.job_id, "ready")
        logger.info(
            "TTS job ready",
            extra={
                "job": job.job_id,
                "characters": job.character_count,
                "seconds": round(time.perf_counter() - started, 3),
            },
        )

    def fail(self, job: TtsJobRecord, reason: str) -> None:
        logger.warning("TTS job failed", extra={"job": job.job_id, "reason": reason})
        if self.table.move_job(job.org_id, job.job_id, "failed", reason=reason):
            notify(
                self.settings,
                job.org_id,
                "job.failed",
                # Job ids are per organisation; the subject must be unique across them.
                f"tts-job:{job.org_id}:{job.job_id}",
                {"kind": "tts", "id": job.job_id, "status": "failed", "reason": reason},
            )

    def advance(self, job: TtsJobRecord, status: TtsJobStatus) -> None:
        if not self.table.move_job(job.org_id, job.job_id, status):
            raise JobGone(job.job_id)

    def render(self, job: TtsJobRecord) -> bytes:
        from audiofn.codecs import encode
        from audiofn.dsp.effects import ensure_headroom

        self.advance(job, "preparing")
        text = self.services.media.get_bytes(job.text_key).decode("utf-8")
        self.advance(job, "processing")
        chunks = split_into_chunks(text)
        if not chunks:
            raise ValueError("the text has nothing to speak")
        voice = voice_of_job(self.services, job)
        self.advance(job, "synthesizing")
        audio = self.speak(chunks, voice, job.org_id, ChunkProgress(self.table, job, len(chunks)))
        return encode(ensure_headroom(audio), "mp3", bitrate_kbps=MP3_BITRATE_KBPS)

    def speak(
        self,
        chunks: list[Chunk],
        voice: Voice,
        org_id: str,
        progress: Callable[[int], None] | None = None,
    ) -> Audio:
        from audiofn.services.dictionaries import org_lexicon
        from audiofn.text.lexicon import Lexicon

        entries = org_lexicon(self.services, org_id)
        lexicon = Lexicon(entries) if entries else None
        return speak_chunks(chunks, voice, self.engine_settings, lexicon, progress)


class ChunkProgress:
    """Records how many chunks are spoken: at the first, then at most every few seconds (a
    write per chunk would cost more than it tells), and at the last."""

    def __init__(self, table: TtsJobsTable, job: TtsJobRecord, total: int) -> None:
        self.table, self.job, self.total = table, job, total
        self.written_at = 0.0

    def __call__(self, done: int) -> None:
        now = time.monotonic()
        if done in (1, self.total) or now - self.written_at >= PROGRESS_EVERY_SECONDS:
            self.table.set_progress(self.job.org_id, self.job.job_id, done, self.total)
            self.written_at = now


def speak_chunks(
    chunks: list[Chunk],
    voice: Voice,
    engine_settings: EngineSettings,
    lexicon: Lexicon | None = None,
    progress: Callable[[int], None] | None = None,
) -> Audio:
    """Each chunk spoken on its own (escaped: job text is never markup), edges trimmed,
    joined with the same sentence and paragraph pauses scripts get; `progress` hears how
    many chunks are spoken."""
    import numpy as np

    from audiofn.audio import Audio
    from audiofn.dsp.effects import resample, to_mono
    from audiofn.text.ssml import PARAGRAPH_PAUSE_MS, SENTENCE_PAUSE_MS, escape_text
    from audiofn.tts.ssml_render import render_text

    pieces: list[np.ndarray] = []
    rate = 0
    for index, chunk in enumerate(chunks):
        spoken = to_mono(
            render_text(escape_text(chunk.text), voice, 1.0, engine_settings, lexicon=lexicon)
        )
        if rate == 0:
            rate = spoken.sample_rate
        elif spoken.sample_rate != rate:
            spoken = resample(spoken, rate)
        pieces.append(trim_edges(spoken).samples)
        if progress is not None:
            progress(index + 1)
        if index < len(chunks) - 1:
            pause_ms = PARAGRAPH_PAUSE_MS if chunk.ends_paragraph else SENTENCE_PAUSE_MS
            pause_ms -= LEAD_MARGIN_MS + TAIL_MARGIN_MS  # the margins count as pause
            pieces.append(np.zeros(round(rate * pause_ms / 1000), dtype=np.float32))
    return Audio(np.concatenate(pieces).astype(np.float32, copy=False), rate)


def trim_edges(audio: Audio) -> Audio:
    """Cut leading and trailing silence, keeping short margins, so chunk joins sound like
    the sentence pauses they stand for rather than whatever silence the engine added."""
    import numpy as np

    from audiofn.audio import Audio

    samples = audio.samples
    threshold = 10.0 ** (EDGE_SILENCE_DBFS / 20.0)
    loud = np.flatnonzero(np.abs(samples) > threshold)
    if loud.size == 0:
        return audio
    lead = round(audio.sample_rate * LEAD_MARGIN_MS / 1000)
    tail = round(audio.sample_rate * TAIL_MARGIN_MS / 1000)
    start = max(int(loud[0]) - lead, 0)
    end = min(int(loud[-1]) + 1 + tail, len(samples))
    return Audio(samples[start:end], audio.sample_rate)


def build_worker() -> TtsJobWorker:
    """The worker a cold start builds from the function's environment."""
    settings = tts_job_settings()
    return TtsJobWorker(Services.from_settings(settings), settings)


def handle_batch(worker: TtsJobWorker, event: dict[str, Any], context: Any) -> dict[str, Any]:
    """The function's SQS batch: one job per record."""

    def handle_record(record: SQSRecord) -> None:
        task = TtsJobTask.model_validate_json(record.body)
        worker.handle(task, receive_count=receive_count(record))

    return process_sqs_batch(event, context, handle_record)
