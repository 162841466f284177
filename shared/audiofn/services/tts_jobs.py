"""Job-based text-to-speech: submit a text (or a text file), follow its status, fetch the MP3.

The API side only: it validates, stores the text, records the job and queues it. The
TTS job function (`audiofn.workers.tts_job`) speaks it. Nothing here imports audio code.
"""

from __future__ import annotations

from dataclasses import dataclass

from audiofn.errors import AudiofnError, InvalidInput, NotFound, ServiceUnavailable
from audiofn.models.tts_jobs import (
    FINISHED_STATUSES,
    TtsJobRecord,
    TtsJobStatus,
    TtsJobTask,
)
from audiofn.observability import logger
from audiofn.services.context import Services
from audiofn.services.quotas import charge_characters
from audiofn.storage.media import org_prefix
from audiofn.storage.queues import send_messages
from audiofn.storage.tts_jobs_table import TtsJobsTable
from audiofn.tts.catalogue import (
    InvalidBlend,
    UnknownVoice,
    Voice,
    list_voices,
    resolve_voice,
)

# The job API's documented voice ids, each spoken by a built-in voice of the same language
# and gender (eSpeak NG: the only offline engine for these languages). Two documented
# voices of one language and gender share a built-in voice.
SEED_VOICES: dict[str, tuple[str, str]] = {
    # id: (documented name, catalogue voice)
    "325640": ("Aytac", "espeak-az-female"),
    "325641": ("Aynur", "espeak-az-female"),
    "325642": ("Ramin", "espeak-az-male"),
    "325643": ("Elchin", "espeak-az-male"),
    "325648": ("Kamil", "espeak-az-male"),
    "325647": ("Zeynep", "espeak-tr-female"),
    "325646": ("Mesut", "espeak-tr-male"),
    "325644": ("Sibel", "espeak-tr-female"),
    "325645": ("Anna", "espeak-ru-female"),
}
CATALOGUE_NUMBERS_FROM, CATALOGUE_NUMBERS = 500_000, 400_000
DEFAULT_LIST_LIMIT = 10
MAX_LIST_LIMIT = 100
MP3_CONTENT_TYPE = "audio/mpeg"


class StatusNotAcceptable(AudiofnError):
    """The job's status does not allow this request yet (or any more): 406."""

    status_code = 406

    def __init__(
        self,
        message: str,
        *,
        allowed: str | list[str],
        current: str,
        extra: dict[str, object] | None = None,
    ) -> None:
        super().__init__(message)
        self.allowed = allowed
        self.current = current
        self.extra = extra or {}

    def to_body(self) -> dict[str, object]:
        return {
            "message": self.message,
            "allowedStatuses": self.allowed,
            "currentStatus": self.current,
            **self.extra,
        }


class UnsupportedMediaType(AudiofnError):
    """The request body, or the uploaded file, is of a type these routes do not read: 415."""

    status_code = 415


@dataclass(frozen=True)
class JobVoice:
    voice_id: str  # what the caller sent, or the default chosen for the language
    voice: Voice


def resolve_custom_voice(services: Services, org_id: str, voice_id: str) -> Voice | None:
    """The organisation's own custom voice (or another's public one) with this id, if any:
    numeric ids from 1,000,000 up or UUIDs of the voice-management API. It must be ready
    (a PROCESSING or FAILED voice is a 409 saying so)."""
    from audiofn.services.voices import find_custom, resolve_speech_voice

    if find_custom(services, org_id, voice_id) is None:
        return None
    return resolve_speech_voice(services, org_id, voice_id)


def resolve_job_voice(
    services: Services, org_id: str, voice_id: str | None, language: str
) -> JobVoice:
    """The voice for a job: a documented seed id, a custom voice, or a catalogue voice name;
    without one, the first voice of the language. The voice must speak `language`."""
    settings = services.settings
    speakers = list_voices(
        polly_enabled=settings.polly_enabled,
        upstream_enabled=bool(settings.upstream_tts_url),
        language=language,
    )
    if not speakers:
        raise InvalidInput(
            f"lang: no voice on this deployment speaks '{language}' "
            "(use a language code such as az, tr, ru or en)",
            field="lang",
        )
    if voice_id is None:
        for seed_id, (_name, catalogue_id) in SEED_VOICES.items():
            if any(voice.id == catalogue_id for voice in speakers):
                return JobVoice(seed_id, _catalogue_voice(services, catalogue_id))
        return JobVoice(catalogue_voice_number(speakers[0].id), speakers[0])
    voice: Voice | None
    if voice_id in SEED_VOICES:
        voice = _catalogue_voice(services, SEED_VOICES[voice_id][1])
    else:
        voice = resolve_custom_voice(services, org_id, voice_id)
        if voice is None and voice_id.isdigit():
            voice = _numbered_catalogue_voice(services, voice_id)
        elif voice is None:
            try:
                voice = _catalogue_voice(services, voice_id)
            except InvalidBlend as exc:
                raise InvalidInput(f"voice_id: {exc}", field="voice_id") from exc
            except UnknownVoice:
                voice = None
            else:  # reported by its number: this protocol's voice ids are integers
                voice_id = catalogue_voice_number(voice.id)
    if voice is None:
        known = ", ".join(SEED_VOICES)
        raise InvalidInput(
            f"voice_id: unknown voice '{voice_id}' (documented ids: {known}; a built-in voice "
            "name such as 'joe' also works)",
            field="voice_id",
        )
    if all(speaker.id != voice.id for speaker in speakers) and all(
        speaker.language_code != voice.language_code for speaker in speakers
    ):  # a blend is in no listing, but speaks its voices' language
        raise InvalidInput(
            f"lang: voice {voice_id} speaks {voice.language} ({voice.language_code}), "
            f"not '{language}'",
            field="lang",
        )
    return JobVoice(voice_id, voice)


def catalogue_voice_number(voice_id: str) -> str:
    """A built-in voice's integer id in this protocol, stable across deployments: 500000 to
    899999 from a CRC of its name (clear of the documented ids and of custom voices')."""
    import zlib

    return str(CATALOGUE_NUMBERS_FROM + zlib.crc32(voice_id.encode()) % CATALOGUE_NUMBERS)


def _numbered_catalogue_voice(services: Services, number: str) -> Voice | None:
    settings = services.settings
    voices = list_voices(
        polly_enabled=settings.polly_enabled, upstream_enabled=bool(settings.upstream_tts_url)
    )
    return next((v for v in voices if catalogue_voice_number(v.id) == number), None)


def voice_of_job(services: Services, job: TtsJobRecord) -> Voice:
    """The voice the worker speaks a stored job with: the catalogue voice recorded at submit,
    or, for a custom voice, whatever `resolve_custom_voice` gives for the job's voice id."""
    try:
        return _catalogue_voice(services, job.voice)
    except UnknownVoice:
        custom = resolve_custom_voice(services, job.org_id, job.voice_id)
        if custom is None:
            raise
        return custom


def _catalogue_voice(services: Services, name: str) -> Voice:
    return resolve_voice(
        name,
        polly_enabled=services.settings.polly_enabled,
        upstream_enabled=bool(services.settings.upstream_tts_url),
    )


# --- reading the input --------------------------------------------------------------------

# Leading bytes of document formats people upload instead of plain text.
_DOCUMENT_SIGNATURES: tuple[tuple[bytes, str], ...] = (
    (b"%PDF", "PDF documents"),
    (b"PK\x03\x04", "ZIP-based documents (DOCX, ODT, EPUB, XLSX)"),
    (b"\xd0\xcf\x11\xe0", "legacy Office documents (DOC, XLS)"),
    (b"{\\rtf", "RTF documents"),
    (b"\x89PNG", "images"),
    (b"\xff\xd8\xff", "images"),
    (b"GIF8", "images"),
)
_ACCEPTED = "upload plain text encoded as UTF-8 (or UTF-16 with a byte-order mark)"


def read_text_file(file_name: str, data: bytes) -> str:
    """The text of an uploaded file: UTF-8 (BOM optional) or UTF-16 with a BOM; anything
    else is refused with 415 naming what it looks like."""
    for signature, kind in _DOCUMENT_SIGNATURES:
        if data.startswith(signature):
            raise UnsupportedMediaType(
                f"file: '{file_name}' looks like one of the {kind}, which are not read; "
                f"{_ACCEPTED}",
                field="file",
            )
    try:
        if data.startswith((b"\xff\xfe", b"\xfe\xff")):
            text = data.decode("utf-16")
        else:
            text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise UnsupportedMediaType(
            f"file: '{file_name}' is not UTF-8 text (invalid byte at offset {error.start}); "
            f"{_ACCEPTED}",
            field="file",
        ) from error
    if "\x00" in text:
        raise UnsupportedMediaType(
            f"file: '{file_name}' is binary, not text; {_ACCEPTED}", field="file"
        )
    return text


def check_text(services: Services, text: str, field: str) -> str:
    if not text.strip():
        raise InvalidInput(f"{field}: there is no text to speak", field=field)
    limit = services.settings.tts_job_max_characters
    if len(text) > limit:
        raise InvalidInput(
            f"{field}: {len(text)} characters is more than this deployment's limit of {limit}",
            field=field,
        )
    return text


# --- jobs --------------------------------------------------------------------------------


def submit_job(
    services: Services,
    org_id: str,
    *,
    text: str,
    language: str,
    voice_id: str | None,
    file_name: str | None = None,
    file_data: bytes | None = None,
) -> TtsJobRecord:
    """Record the job as waiting under the next id, store its text (and the uploaded file),
    then queue it. Nothing here speaks or loads a model, and a store that does not answer is
    a 503 (the job, if it was recorded, is marked failed with the reason): never a 500."""
    import uuid

    field = "file" if file_data is not None else "text"
    check_text(services, text, field)
    job_voice = resolve_job_voice(services, org_id, voice_id, language)
    charge_characters(services, org_id, len(text), field=field)
    table = TtsJobsTable(services.settings.table)
    token = uuid.uuid4().hex

    def record(job_id: int) -> TtsJobRecord:
        prefix = f"{org_prefix(org_id)}tts-jobs/{job_id}/"
        return TtsJobRecord(
            job_id=job_id,
            org_id=org_id,
            voice_id=job_voice.voice_id,
            voice=job_voice.voice.id,
            language=language,
            character_count=len(text),
            source="file" if file_data is not None else "text",
            file_name=file_name,
            prefix=prefix,
            text_key=prefix + "text.txt",
            audio_key=prefix + "speech.mp3",
            request_token=token,
        )

    try:
        job = table.create_job(org_id, record)
    except Exception as error:
        logger.exception("could not record a TTS job")
        raise ServiceUnavailable(
            "the job store did not answer; no job was made, try again"
        ) from error
    try:
        services.media.put_bytes(job.text_key, text.encode("utf-8"), "text/plain; charset=utf-8")
        if file_data is not None:
            services.media.put_bytes(job.prefix + "upload", file_data, "application/octet-stream")
        send_messages(
            services.settings.tts_job_queue_url, [TtsJobTask(org_id=org_id, job_id=job.job_id)]
        )
    except Exception as error:
        logger.exception("could not store or queue a TTS job", extra={"job": job.job_id})
        reason = f"could not be stored or queued: {type(error).__name__}"
        try:
            table.move_job(org_id, job.job_id, "failed", reason=reason)
        except Exception:
            logger.exception("could not mark the TTS job failed", extra={"job": job.job_id})
        raise ServiceUnavailable(f"job {job.job_id} {reason}; try again") from error
    return job


def parse_job_id(value: str) -> int:
    if not value.isdigit() or len(value) > 12:
        raise NotFound("ID not found.", field="id")
    return int(value)


def get_job(services: Services, org_id: str, job_id: int) -> TtsJobRecord:
    job = TtsJobsTable(services.settings.table).get_job(org_id, job_id)
    if job is None:
        raise NotFound("ID not found.", field="id")
    return job


def list_jobs(
    services: Services, org_id: str, limit: int, offset: int
) -> tuple[int, list[TtsJobRecord]]:
    """(how many jobs the organisation has, the page of them newest first)."""
    table = TtsJobsTable(services.settings.table)
    return table.count_jobs(org_id), table.list_jobs(org_id, limit, offset)


def job_audio(services: Services, org_id: str, job_id: int) -> bytes:
    """The job's MP3; 406 until the job is ready."""
    job = get_job(services, org_id, job_id)
    if job.status != "ready":
        raise StatusNotAcceptable("Not acceptable", allowed="ready", current=job.status)
    return services.media.get_bytes(job.audio_key)


def job_audio_url(services: Services, org_id: str, job_id: int) -> str:
    job = get_job(services, org_id, job_id)
    return services.media.presigned_get(job.audio_key)


def delete_job(services: Services, org_id: str, job_id: int) -> None:
    """Remove the text, the uploaded file, the audio and the record of a finished job."""
    job = get_job(services, org_id, job_id)
    allowed: list[TtsJobStatus] = list(FINISHED_STATUSES)
    if job.status not in allowed:
        raise _cannot_delete(job.status)
    services.media.delete_prefix(job.prefix)
    if not TtsJobsTable(services.settings.table).delete_job(org_id, job_id, allowed):
        current = get_job(services, org_id, job_id).status  # deleted meanwhile: 404 here
        raise _cannot_delete(current)


def _cannot_delete(status: str) -> StatusNotAcceptable:
    return StatusNotAcceptable(
        "Not acceptable",
        allowed=list(FINISHED_STATUSES),
        current=status,
        extra={"deleted": False},
    )
