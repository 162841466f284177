"""The inbox function's core: a text file in the inbox bucket becomes a script and a master.

Three steps, each started by a message on the inbox queue, so nothing waits:
  1. the S3 notification: check the file, read its settings, create the script, start speech;
  2. "master" (a follow-up sent when the speech job ends): start mastering;
  3. "publish" (sent when mastering ends): copy the outputs to the outbox, write status.json.

Every step is idempotent: the record of the file (keyed by its key, guarded by its ETag)
says what has been done, so duplicate notifications, redelivered messages and follow-ups sent
twice change nothing; a newer upload of the same key supersedes the older one's follow-ups.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Literal

from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from pydantic import BaseModel

from audiofn.config import InboxSettings, inbox_settings
from audiofn.errors import AudiofnError, InvalidInput
from audiofn.inbox_files import (
    InboxKey,
    InboxOptions,
    check_text_bytes,
    classify,
    parse_key,
    read_options,
    read_sidecar,
    script_text_for,
    split_front_matter,
)
from audiofn.models.apiaudio import CreateMasteringRequest, CreateScriptRequest, CreateSpeechRequest
from audiofn.models.records import JobRecord, utc_now
from audiofn.naming import short_hash, slug
from audiofn.observability import logger
from audiofn.services.context import Services
from audiofn.storage.aws import client
from audiofn.storage.followups_table import FollowUp, FollowUpsTable
from audiofn.storage.inbox_table import InboxRecord, InboxTable
from audiofn.storage.media import MediaStore
from audiofn.workers.s3_events import ObjectCreated, objects_created
from audiofn.workers.sqs import process_sqs_batch

MAX_AUDIENCE_FILE_BYTES = 50_000_000


class InboxStep(BaseModel):
    """A follow-up message on the inbox queue."""

    inbox: Literal["master", "publish"]
    org_id: str
    input_key: str
    etag: str


@dataclass(frozen=True)
class InboxWorker:
    services: Services
    settings: InboxSettings

    @property
    def inbox(self) -> MediaStore:
        return MediaStore(self.settings.inbox_bucket, self.settings.presign_seconds)

    @property
    def records(self) -> InboxTable:
        return InboxTable(self.settings.table)

    def handle_message(self, body: str) -> None:
        message = json.loads(body)
        if message.get("Event") == "s3:TestEvent":
            return  # S3 sends it when notifications are configured
        if "inbox" in message:
            self.handle_step(InboxStep.model_validate(message))
            return
        for created in objects_created(message):
            self.handle_object(created)

    # ------------------------------------------------------------ 1. the file arrives
    def handle_object(self, created: ObjectCreated) -> None:
        key = parse_key(created.key)
        if key is None:
            return
        kind = classify(key)
        if kind in ("own", "sidecar"):
            return
        if kind == "unknown":
            self._reject(
                key,
                created.etag,
                InvalidInput(
                    f"unknown extension '{key.extension or '(none)'}': drop .txt, .md or .ssml "
                    "files to render them, or .csv/.jsonl audience files to start a batch",
                    field="file",
                ),
            )
            return
        if kind == "audience":
            self._start_batch(key, created)
            return
        record = self.records.get(key.org_id, key.key)
        if record is not None and record.etag == created.etag and record.status != "failed":
            logger.info("duplicate inbox notification", extra={"key": key.key})
            return
        record = InboxRecord(input_key=key.key, etag=created.etag)
        self.records.put(key.org_id, record)
        try:
            options, script_text = self._read(key, created)
            record = self._start_speech(key, record, options, script_text)
        except AudiofnError as error:
            self._reject(key, created.etag, error)
            return
        self._write_status(key, record, "processing")

    def _read(self, key: InboxKey, created: ObjectCreated) -> tuple[InboxOptions, str]:
        limit = self.settings.inbox_max_bytes
        if created.size > limit:
            raise InvalidInput(
                f"file is too large: {created.size} bytes, the limit is {limit}", field="file"
            )
        text = check_text_bytes(self.inbox.get_bytes(key.key), limit)
        front, body = split_front_matter(text)
        options = read_options(self.records.get_defaults(key.org_id), "organisation defaults")
        if self.inbox.exists(key.sidecar_key):
            sidecar = read_sidecar(self.inbox.get_bytes(key.sidecar_key))
            options = options.merged(read_options(sidecar, key.sidecar_key.rsplit("/", 1)[-1]))
        options = options.merged(read_options(front, "front matter"))
        script_text = script_text_for(key, body)
        if not script_text:
            raise InvalidInput("file has settings but no text to speak", field="file")
        return options, script_text

    def _start_speech(
        self, key: InboxKey, record: InboxRecord, options: InboxOptions, script_text: str
    ) -> InboxRecord:
        from audiofn.services.scripts import create_script
        from audiofn.services.speech import create_speech

        org_id = key.org_id
        folder = key.stem.rsplit("/", 1)[0] if "/" in key.stem else "inbox"
        script = create_script(
            self.services,
            org_id,
            CreateScriptRequest(
                scriptText=script_text,
                # Stable per upload: re-processing the same file rewrites the same script.
                scriptId=f"inbox-{short_hash(key.key, record.etag, length=16)}",
                projectName=options.projectName or "inbox",
                moduleName=slug(folder) or "inbox",
                scriptName=options.scriptName or slug(key.name) or "script",
            ),
        )
        speech = create_speech(
            self.services,
            org_id,
            CreateSpeechRequest(
                scriptId=script.script_id,
                voice=options.voice,
                speed=options.speed,
                effect=options.effect,
                silence_padding=options.silence_padding,
                audience=options.audience,
                normalize=options.normalize if options.normalize is not None else True,
            ),
            queued=True,
        )
        record = record.model_copy(
            update={
                "script_id": script.script_id,
                "speech_job_id": speech.job_id,
                "options": options.model_dump(exclude_none=True),
                "stage": "speech",
            }
        )
        self.records.put(org_id, record)
        self._follow(
            speech, InboxStep(inbox="master", org_id=org_id, input_key=key.key, etag=record.etag)
        )
        return record

    def _follow(self, job: JobRecord, step: InboxStep) -> None:
        """Ask for `step` when `job` ends; if it ended already, send it now (repeats are
        harmless)."""
        body = step.model_dump_json()
        FollowUpsTable(self.settings.table).put_followup(
            job.org_id, job.job_id, FollowUp(queue_url=self.settings.inbox_queue_url, body=body)
        )
        current = self.services.table.get_job(job.org_id, job.job_id)
        if current is not None and current.status != "running":
            client("sqs").send_message(QueueUrl=self.settings.inbox_queue_url, MessageBody=body)

    # ------------------------------------------------------------ 2 and 3. follow-ups
    def handle_step(self, step: InboxStep) -> None:
        parsed = parse_key(step.input_key)
        record = self.records.get(step.org_id, step.input_key)
        if parsed is None or record is None or record.etag != step.etag:
            return  # a newer upload of the same key took over
        if record.status != "processing":
            return
        if step.inbox == "master":
            self._start_mastering(parsed, record)
        else:
            self._publish(parsed, record)

    def _start_mastering(self, key: InboxKey, record: InboxRecord) -> None:
        from audiofn.services.mastering import create_mastering

        speech = self.services.table.get_job(key.org_id, record.speech_job_id or "")
        if speech is None or speech.status == "failed":
            self._fail(key, record, f"speech failed: {speech.reason if speech else 'job missing'}")
            return
        if speech.status != "done":
            return  # not yet: its own follow-up will come
        if record.mastering_job_id:
            job = self.services.table.get_job(key.org_id, record.mastering_job_id)
        else:
            options = InboxOptions.model_validate(record.options)
            try:
                job = create_mastering(
                    self.services,
                    key.org_id,
                    CreateMasteringRequest(
                        scriptId=record.script_id or "",
                        soundTemplate=options.soundTemplate,
                        backgroundTrackId=options.backgroundTrackId,
                        audience=options.audience,
                        public=bool(options.public),
                        vast=bool(options.vast),
                        universalAdId=options.universalAdId,
                        endFormat=options.endFormat or "mp3",
                        masteringPreset=options.masteringPreset,
                        deliverySpecs=options.deliverySpecs,
                        captions=options.captions if options.captions is not None else True,
                    ),
                    queued=True,
                )
            except AudiofnError as error:
                self._fail(key, record, str(error))
                return
            record = record.model_copy(
                update={"mastering_job_id": job.job_id, "stage": "mastering"}
            )
            self.records.put(key.org_id, record)
            self._write_status(key, record, "processing")
        if job is not None:
            step = InboxStep(
                inbox="publish", org_id=key.org_id, input_key=key.key, etag=record.etag
            )
            self._follow(job, step)

    def _publish(self, key: InboxKey, record: InboxRecord) -> None:
        from audiofn.services.mastering import MasterEntry

        job = self.services.table.get_job(key.org_id, record.mastering_job_id or "")
        if job is None or job.status == "failed":
            self._fail(key, record, f"mastering failed: {job.reason if job else 'job missing'}")
            return
        if job.status != "done":
            return
        entries = [
            MasterEntry.model_validate(e) for e in self.services.media.get_json(job.manifest_key)
        ]
        outputs: list[dict[str, Any]] = []
        for entry in entries:
            stem = key.name
            if len(entries) > 1:
                who = "-".join(slug(v) for _, v in sorted(entry.parameters.items())) or "default"
                stem = f"{key.name}-{who}"
            files: dict[str, str] = {}
            sources = {**entry.files, **entry.captions, "report": entry.report_key}
            for kind, source in sources.items():
                suffix = ".report.json" if kind == "report" else "." + source.rsplit(".", 1)[-1]
                target = f"{key.outbox_prefix}{stem}{suffix}"
                self._copy_to_outbox(source, target)
                files[kind] = target
            for spec_id, source in entry.deliverables.items():  # monday.ebu-r128.wav
                target = f"{key.outbox_prefix}{stem}.{spec_id}.{source.rsplit('.', 1)[-1]}"
                self._copy_to_outbox(source, target)
                files[spec_id] = target
            listener: dict[str, Any] = {"parameters": entry.parameters, "files": files}
            if entry.public_files:
                base = self.settings.public_base_url.rstrip("/")
                listener["publicUrls"] = {f: f"{base}/{k}" for f, k in entry.public_files.items()}
                if entry.vast_key:
                    listener["vastUrl"] = f"{base}/{entry.vast_key}"
            outputs.append(listener)
        record = record.model_copy(update={"status": "done", "stage": "published"})
        self._write_status(key, record, "done", outputs=outputs)
        self.records.put(key.org_id, record)

    def _copy_to_outbox(self, source_key: str, target_key: str) -> None:
        client("s3").copy_object(
            Bucket=self.settings.inbox_bucket,
            Key=target_key,
            CopySource={"Bucket": self.settings.media_bucket, "Key": source_key},
        )

    # ------------------------------------------------------------ outcomes
    def _reject(self, key: InboxKey, etag: str, error: AudiofnError) -> None:
        """The file cannot be used: say why beside it; the input stays where it is."""
        reason = str(error)
        logger.info("inbox file rejected", extra={"key": key.key, "reason": reason})
        self.inbox.put_json(
            key.error_key,
            {
                "input": key.key,
                "etag": etag,
                "error": reason,
                "field": error.field,
                "at": utc_now(),
            },
        )
        record = InboxRecord(input_key=key.key, etag=etag, status="failed", reason=reason)
        self.records.put(key.org_id, record)
        self._write_status(key, record, "failed")

    def _fail(self, key: InboxKey, record: InboxRecord, reason: str) -> None:
        record = record.model_copy(update={"status": "failed", "reason": reason})
        self.records.put(key.org_id, record)
        self._write_status(key, record, "failed")

    def _write_status(
        self,
        key: InboxKey,
        record: InboxRecord,
        status: str,
        outputs: list[dict[str, Any]] | None = None,
    ) -> None:
        document: dict[str, Any] = {
            "status": status,
            "input": key.key,
            "etag": record.etag,
            "stage": record.stage,
            "scriptId": record.script_id,
            "speechJobId": record.speech_job_id,
            "masteringJobId": record.mastering_job_id,
            "updatedAt": utc_now(),
        }
        if record.reason:
            document["reason"] = record.reason
        if outputs is not None:
            document["outputs"] = outputs
        self.inbox.put_json(key.status_key, {k: v for k, v in document.items() if v is not None})

    def _start_batch(self, key: InboxKey, created: ObjectCreated) -> None:
        """An audience file (CSV with a header row, or JSON Lines) starts a personalisation
        batch; its settings come from the sidecar `<name>.json`, uploaded first."""
        from audiofn.services.batches import start_batch_from_audience_file

        record = self.records.get(key.org_id, key.key)
        if record is not None and record.etag == created.etag and record.status != "failed":
            return  # a repeated notification: this upload already started its batch
        try:
            if created.size > MAX_AUDIENCE_FILE_BYTES:
                raise InvalidInput(
                    f"audience file is too large: {created.size} bytes, the limit is "
                    f"{MAX_AUDIENCE_FILE_BYTES}",
                    field="file",
                )
            if not self.inbox.exists(key.sidecar_key):
                raise InvalidInput(
                    f"an audience file needs its batch settings in {key.name}.json beside it "
                    "(scriptId or scriptText, voice, soundTemplate, endFormat...): upload it "
                    "first",
                    field="sidecar",
                )
            options = read_sidecar(self.inbox.get_bytes(key.sidecar_key))
            batch = start_batch_from_audience_file(
                self.settings, key.org_id, key.key, self.inbox.get_bytes(key.key), options
            )
        except AudiofnError as error:
            self._reject(key, created.etag, error)
            return
        record = InboxRecord(
            input_key=key.key, etag=created.etag, status="done", stage="batch started"
        )
        self.records.put(key.org_id, record)
        self.inbox.put_json(
            key.status_key,
            {
                "status": "batch started",
                "input": key.key,
                "etag": created.etag,
                "batchId": batch.batch_id,
                "statusUrl": f"/batch/{batch.batch_id}",
                "total": batch.total,
                "updatedAt": utc_now(),
            },
        )


def build_worker() -> InboxWorker:
    """The worker a cold start builds from the function's environment."""
    settings = inbox_settings()
    return InboxWorker(Services.from_settings(settings), settings)


def handle_batch(worker: InboxWorker, event: dict[str, Any], context: Any) -> dict[str, Any]:
    """The function's SQS batch: S3 notifications and follow-ups."""

    def handle_record(record: SQSRecord) -> None:
        worker.handle_message(record.body)

    return process_sqs_batch(event, context, handle_record)
