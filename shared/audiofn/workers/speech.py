"""The speech function's core: one task in, one speech file in S3, job progress recorded.

When the engine timed its words (Kokoro), the timings go beside the file
(:func:`audiofn.tts.word_timings.timings_key`), written first, for the master's captions.

Idempotent: a redelivered task whose file already exists only re-records progress, and
progress is a set of task indexes, so counting it twice is impossible.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

from audiofn.config import SpeechSettings, speech_settings
from audiofn.errors import AudiofnError
from audiofn.models.messages import SpeechTask
from audiofn.observability import logger, record_cache_lookup, record_speech_render
from audiofn.services.context import Services
from audiofn.services.job_events import failed_job_ended, job_ended
from audiofn.services.voice_usage import encoded_seconds as seconds
from audiofn.services.voice_usage import record_synthesis
from audiofn.services.voices import resolve_speech_voice
from audiofn.tts.base import EngineUnavailable, SynthesisError
from audiofn.tts.catalogue import UnknownVoice
from audiofn.tts.registry import EngineSettings, engine_settings_from
from audiofn.workers.sqs import process_sqs_batch, receive_count

if TYPE_CHECKING:
    from audiofn.tts.word_timings import TimedSpeech, WordTiming

SPEECH_FORMAT = "wav"


@dataclass(frozen=True)
class SpeechWorker:
    services: Services
    settings: SpeechSettings

    @property
    def engine_settings(self) -> EngineSettings:
        return engine_settings_from(self.settings)

    def handle(self, task: SpeechTask, receive_count: int = 1) -> None:
        """Raise only for failures worth retrying; permanent ones are recorded on the job."""
        table = self.services.table
        job = table.get_job(task.org_id, task.job_id)
        if job is None or job.status == "failed":
            logger.info("skipping task of a missing or failed job", extra={"job": task.job_id})
            return
        rendered = self.services.media.exists(task.output_key)
        record_cache_lookup("Speech", hit=rendered)
        if not rendered:
            started = time.perf_counter()
            try:
                data, words = self.render(task)
            except (SynthesisError, UnknownVoice, AudiofnError, ValueError) as error:
                reason = f"section '{task.section}': {error}"
                logger.warning("speech task failed", extra={"job": task.job_id, "reason": reason})
                table.fail_job(task.org_id, task.job_id, reason, 422)
                failed_job_ended(self.services, task.org_id, task.job_id)
                return
            except Exception as error:
                if receive_count >= self.settings.max_receives:
                    status = 503 if isinstance(error, EngineUnavailable) else 500
                    table.fail_job(
                        task.org_id,
                        task.job_id,
                        f"section '{task.section}': gave up after {receive_count} tries: {error}",
                        status,
                    )
                    failed_job_ended(self.services, task.org_id, task.job_id)
                raise
            if words is not None:
                from audiofn.tts.word_timings import store_words

                store_words(self.services.media, task.output_key, words)
            self.services.media.put_bytes(task.output_key, data, _content_type(task.output_key))
            record_synthesis(self.settings, task.org_id, task.voice, len(task.text), seconds(data))
            self.score_intelligibility(task, data)
            record_speech_render(len(task.text), seconds(data))
            logger.info(
                "speech task rendered",
                extra={
                    "job": task.job_id,
                    "task": task.task_index,
                    "characters": len(task.text),
                    "seconds": round(time.perf_counter() - started, 3),
                },
            )
        job_ended(self.services, table.mark_task_done(task.org_id, task.job_id, task.task_index))

    def score_intelligibility(self, task: SpeechTask, data: bytes) -> None:
        """Opt-in: what Whisper hears against the section's text, in the file's report."""
        from audiofn.config import intelligibility_enabled

        if not intelligibility_enabled():
            return
        from audiofn.codecs import decode
        from audiofn.stt.intelligibility import intelligibility, report_key

        score = intelligibility(decode(data), task.text)
        self.services.media.put_json(report_key(task.output_key), {"intelligibility": score})

    def render(self, task: SpeechTask) -> tuple[bytes, tuple[WordTiming, ...] | None]:
        """Normalise, apply the organisation's dictionary, synthesise (SSML on every engine),
        apply the effect and padding, leave 1 dB of true-peak headroom, encode. With the
        file, its words' timings when the engine gave them (effects keep the length)."""
        from audiofn.codecs import encode
        from audiofn.dsp.effects import apply_effect, ensure_headroom, pad_silence
        from audiofn.fragment_cache import FragmentCache, FragmentSpec, speech_variant
        from audiofn.services.dictionaries import org_lexicon
        from audiofn.text.lexicon import Lexicon
        from audiofn.tts.ssml_render import render_text_timed
        from audiofn.tts.word_timings import TimedSpeech, shifted

        voice = resolve_speech_voice(self.services, task.org_id, task.voice)
        entries = org_lexicon(self.services, task.org_id)

        def synthesise() -> TimedSpeech:
            spoken = render_text_timed(
                task.text,
                voice,
                task.speed,
                self.engine_settings,
                normalize=task.normalize,
                lexicon=Lexicon(entries) if entries else None,
                field="scriptText",
            )
            if not task.effect:
                return spoken
            return TimedSpeech(apply_effect(task.effect, spoken.audio), spoken.words)

        spec = FragmentSpec(
            org_id=task.org_id,
            engine=voice.provider,
            voice=voice.id,
            speed=task.speed,
            effect=task.effect,
            text=task.text,
            variant=speech_variant(task.normalize, entries),
        )
        spoken = FragmentCache(self.services.media).get_or_render_timed(spec, synthesise)
        audio, words = spoken.audio, spoken.words
        if task.silence_padding_ms:
            audio = pad_silence(audio, task.silence_padding_ms)
            if words is not None:  # the padding goes before the speech too
                words = shifted(words, task.silence_padding_ms / 1000)
        return encode(ensure_headroom(audio), _output_format(task.output_key)), words


def _output_format(key: str) -> str:
    """The file's extension names its format (voice jobs ask for mp3, ogg...); else WAV."""
    ext = key.rsplit(".", 1)[-1].lower()
    return ext if ext in {"wav", "mp3", "ogg", "flac"} else SPEECH_FORMAT


def _content_type(key: str) -> str:
    return {"mp3": "audio/mpeg", "ogg": "audio/ogg", "flac": "audio/flac"}.get(
        _output_format(key), "audio/wav"
    )


def build_worker() -> SpeechWorker:
    """The worker a cold start builds from the function's environment."""
    settings = speech_settings()
    return SpeechWorker(Services.from_settings(settings), settings)


def handle_batch(worker: SpeechWorker, event: dict[str, Any], context: Any) -> dict[str, Any]:
    """The function's SQS batch: one speech task per record."""

    def handle_record(record: SQSRecord) -> None:
        task = SpeechTask.model_validate_json(record.body)
        logger.set_correlation_id(task.job_id)  # the id the API returned for this job
        worker.handle(task, receive_count=receive_count(record))

    return process_sqs_batch(event, context, handle_record)
