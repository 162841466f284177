"""Personalisation batches: one script and its settings, rendered for an audience of any size.

Three roads start a batch: `POST /batch` (:func:`create_batch`), an audience file in the
bucket (:func:`start_batch_from_audience_file`, called by the inbox function) and a message
on the batch queue from any other system (:class:`BatchStartMessage`). All end in the batch
function, which plans the batch, renders what every listener shares once
(:mod:`audiofn.batch_render`) and fans the audience out in chunks through the chunk queue.

Every listener's master is keyed by a hash of the batch's settings and the listener's
placeholder values, so a re-run (a redelivered message, a retried chunk, the same batch
started again) re-uses finished masters. Progress is two sets of listener indexes on the
batch record, so counting a listener twice is impossible. A chunk writes its results before
it counts them; the chunk that completes the count writes the manifest (CSV and JSON) and
ends the batch.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import threading
from collections import OrderedDict
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ValidationError

from audiofn.errors import InvalidInput, NotFound
from audiofn.models.apiaudio import END_FORMATS, SPEECH_EFFECTS
from audiofn.models.batches import (
    BatchChunkTask,
    BatchOptions,
    BatchRecord,
    BatchStartMessage,
    CreateBatchRequest,
    ListenerResult,
)
from audiofn.naming import new_id
from audiofn.observability import logger
from audiofn.scripts import Section, check_audience_values, parse_script
from audiofn.services.context import Services
from audiofn.storage.batches_table import BatchesTable
from audiofn.storage.media import org_prefix
from audiofn.storage.queues import send_messages

if TYPE_CHECKING:
    from audiofn.audio import Audio
    from audiofn.batch_render import SharedRender
    from audiofn.config import BatchSettings, CommonSettings
    from audiofn.sound.stems import Stems

RENDER_VERSION = "1"
"""Part of every listener's key: bump it when rendering changes, so old masters are not re-used."""
SHARED_PREFIX = "cache/batches/"
"""Shared renders (content-addressed like fragments; the same lifecycle rule expires them)."""
ROW_ERROR_KEY = "!error"
"""A row that could not be read from an audience file carries its reason under this key
(not a valid placeholder name, so it cannot clash with a column)."""
MAX_FAILURES_SHOWN = 100
DEFAULT_VOICE = "joe"
DEFAULT_PRESET = "podcast"
MP3_TIERS = {"mp3": 192, "mp3_low": 96, "mp3_medium": 128, "mp3_high": 192, "mp3_very_high": 320}


def batch_prefix(org_id: str, batch_id: str) -> str:
    return f"{org_prefix(org_id)}batches/{batch_id}/"


def batches_table(services: Services) -> BatchesTable:
    return BatchesTable(services.settings.table)


# ---------------------------------------------------------------------- starting a batch


def check_options(services: Services, org_id: str, options: BatchOptions) -> str:
    """Validate the settings (4xx naming the field); the script's text."""
    from audiofn.mastering import PRESETS
    from audiofn.services.scripts import get_script
    from audiofn.services.sound_library import check_template
    from audiofn.services.voices import resolve_speech_voice
    from audiofn.tts.catalogue import UnknownVoice

    if options.scriptId is not None:
        text = get_script(services, org_id, options.scriptId).script_text
    else:
        text = options.scriptText or ""
        parse_script(text, field="scriptText")
    try:
        resolve_speech_voice(services, org_id, options.voice or DEFAULT_VOICE)  # custom too
    except UnknownVoice as exc:
        raise InvalidInput(f"voice: {exc}", field="voice") from exc
    if options.effect is not None and options.effect not in SPEECH_EFFECTS:
        raise InvalidInput(
            f"effect: unknown effect '{options.effect}'; "
            f"choose one of: {', '.join(SPEECH_EFFECTS)}",
            field="effect",
        )
    if options.soundTemplate is not None:
        check_template(options.soundTemplate, "soundTemplate")
    preset = (options.masteringPreset or DEFAULT_PRESET).strip().lower()
    if preset not in PRESETS:
        raise InvalidInput(
            f"masteringPreset: unknown preset '{preset}'; choose one of: {', '.join(PRESETS)}",
            field="masteringPreset",
        )
    if options.endFormat.strip().lower() not in END_FORMATS:
        raise InvalidInput(
            f"endFormat: unsupported format '{options.endFormat}'; choose from: "
            f"{', '.join(END_FORMATS)}",
            field="endFormat",
        )
    return text


def create_batch(
    services: Services, org_id: str, request: CreateBatchRequest, *, source: str = "api"
) -> BatchRecord:
    """Check the settings, store the audience, record the batch and queue its start."""
    options = BatchOptions.model_validate(request.model_dump(exclude={"audience"}))
    check_options(services, org_id, options)
    if not services.settings.batch_queue_url:
        raise RuntimeError("AUDIOFN_BATCH_QUEUE_URL is not set: batches cannot be queued")
    batch_id = new_id()
    audience_key = batch_prefix(org_id, batch_id) + "audience.json"
    services.media.put_json(audience_key, request.audience)
    record = BatchRecord(
        batch_id=batch_id,
        org_id=org_id,
        source=source,
        total=len(request.audience),
        end_format=options.endFormat.strip().lower(),
    )
    batches_table(services).create_batch(record)
    message = BatchStartMessage.model_validate(
        {**options.model_dump(), "orgId": org_id, "batchId": batch_id, "audienceKey": audience_key}
    )
    send_messages(services.settings.batch_queue_url, [message])
    return record


def parse_audience(body: bytes, key: str) -> list[dict[str, Any]]:
    """Listener rows from a CSV file with a header row, JSON Lines, or a JSON list.

    A row that cannot be read is kept, with its reason, so it is reported as a failed
    listener instead of failing the whole file.
    """
    try:
        text = body.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InvalidInput(
            f"audience file: not UTF-8 text ({exc.reason})", field="audience"
        ) from exc
    lower = key.lower()
    rows: list[dict[str, Any]] = []
    if lower.endswith(".csv"):
        reader = csv.DictReader(io.StringIO(text))
        header = reader.fieldnames or []
        if not header or any(not (name or "").strip() for name in header):
            raise InvalidInput(
                "audience file: the CSV needs a header row naming every column", field="audience"
            )
        for line, record in enumerate(reader, start=2):
            if None in record:
                rows.append({ROW_ERROR_KEY: f"line {line}: more fields than the header has"})
                continue
            rows.append({k.strip(): v for k, v in record.items() if v is not None})
    elif lower.endswith(".jsonl") or lower.endswith(".ndjson"):
        for line, raw in enumerate(text.splitlines(), start=1):
            if not raw.strip():
                continue
            try:
                value = json.loads(raw)
            except json.JSONDecodeError as exc:
                rows.append({ROW_ERROR_KEY: f"line {line}: not JSON ({exc.msg})"})
                continue
            rows.append(
                value if isinstance(value, dict) else {ROW_ERROR_KEY: f"line {line}: not an object"}
            )
    elif lower.endswith(".json"):
        try:
            value = json.loads(text)
        except json.JSONDecodeError as exc:
            raise InvalidInput(f"audience file: not JSON ({exc.msg})", field="audience") from exc
        if not isinstance(value, list):
            raise InvalidInput(
                "audience file: a JSON audience is a list of objects", field="audience"
            )
        rows = [
            v if isinstance(v, dict) else {ROW_ERROR_KEY: f"item {i}: not an object"}
            for i, v in enumerate(value)
        ]
    else:
        raise InvalidInput(
            "audience file: use .csv (with a header row), .jsonl or .json", field="audience"
        )
    if not rows:
        raise InvalidInput("audience file: no listeners in it", field="audience")
    return rows


def start_batch_from_audience_file(
    settings: CommonSettings,
    org_id: str,
    key: str,
    body: bytes,
    options: BatchOptions | dict[str, Any],
) -> BatchRecord:
    """Start a batch for an audience file found in the bucket (`.csv`, `.jsonl`, `.json`);
    `options` are the batch's settings (the file's sidecar)."""
    rows = parse_audience(body, key)
    settings_dict = options.model_dump() if isinstance(options, BatchOptions) else dict(options)
    try:
        request = CreateBatchRequest.model_validate({**settings_dict, "audience": rows})
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(p) for p in first["loc"]) or "options"
        raise InvalidInput(f"{field}: {first['msg']}", field=field) from exc
    return create_batch(Services.from_settings(settings), org_id, request, source=f"file:{key}")


# ---------------------------------------------------------------------- reporting


def get_batch_status(services: Services, org_id: str, batch_id: str) -> dict[str, Any]:
    table = batches_table(services)
    record = table.get_batch(org_id, batch_id)
    if record is None:
        raise NotFound(f"batch '{batch_id}' not found", field="batchId")
    body: dict[str, Any] = {
        "batchId": record.batch_id,
        "status": record.status,
        "total": record.total,
        "done": record.done,
        "failed": record.failed,
        "remaining": max(0, record.total - record.done - record.failed),
        "endFormat": record.end_format,
        "source": record.source,
        "createdAt": record.created_at,
    }
    if record.reason:
        body["reason"] = record.reason
    if record.failed:
        body["failures"] = table.list_failures(org_id, batch_id, MAX_FAILURES_SHOWN)
    if record.manifest_json_key and record.manifest_csv_key:
        body["manifest"] = {
            "json": services.media.presigned_get(record.manifest_json_key),
            "csv": services.media.presigned_get(record.manifest_csv_key),
        }
    return body


# ---------------------------------------------------------------------- the batch function


class BatchPlan(BaseModel):
    """What every chunk of a batch needs, worked out once and stored next to the batch."""

    org_id: str
    batch_id: str
    script_text: str
    voice: str
    speed: float
    effect: str | None
    normalize: bool
    sound_template: str | None
    preset: str
    end_format: str
    cache: bool
    fragments: list[dict[str, Any]]
    placeholders: list[str]
    reference: dict[str, str]
    digest: str
    variant: str

    def listener_keys(self, used: dict[str, str]) -> tuple[str, str]:
        """The listener's master and report keys: the same parameters, the same master."""
        identity = json.dumps([self.digest, sorted(used.items())], ensure_ascii=False)
        digest = hashlib.sha256(identity.encode()).hexdigest()[:32]
        stem = f"{org_prefix(self.org_id)}batches/masters/{self.digest[:16]}/{digest}"
        fmt = self.end_format
        suffix = f"-{fmt.removeprefix('mp3_')}.mp3" if fmt.startswith("mp3_") else f".{fmt}"
        return stem + suffix, stem + ".report.json"

    @property
    def shared_key(self) -> str:
        return f"{SHARED_PREFIX}{self.digest}.npz"


def make_plan(services: Services, org_id: str, batch_id: str, options: BatchOptions) -> BatchPlan:
    from audiofn.batch_render import plan_fragments
    from audiofn.fragment_cache import speech_variant
    from audiofn.services.dictionaries import org_lexicon
    from audiofn.services.voices import resolve_speech_voice

    text = check_options(services, org_id, options)
    parsed = parse_script(text, field="scriptText")
    voice = resolve_speech_voice(services, org_id, options.voice or DEFAULT_VOICE).id
    fragments = [f.__dict__ for f in plan_fragments(parsed)]
    reference = {p.name: (p.default or p.name) for p in parsed.placeholders}
    variant = speech_variant(options.normalize, org_lexicon(services, org_id))
    fields = {
        "script_text": text,
        "voice": voice,
        "speed": (options.speed or 100.0) / 100.0,
        "effect": options.effect,
        "normalize": options.normalize,
        "sound_template": options.soundTemplate,
        "preset": (options.masteringPreset or DEFAULT_PRESET).strip().lower(),
        "end_format": options.endFormat.strip().lower(),
        "reference": reference,
        "variant": variant,
        "cache": options.cache,  # spliced and whole masters differ: never re-use one for the other
    }
    identity = json.dumps([RENDER_VERSION, fields], sort_keys=True, ensure_ascii=False)
    return BatchPlan(
        org_id=org_id,
        batch_id=batch_id,
        fragments=fragments,
        placeholders=[p.name for p in parsed.placeholders],
        digest=hashlib.sha256(identity.encode()).hexdigest(),
        **fields,
    )


class _Permanent(Exception):
    """A listener (or a whole batch) that no retry can render."""


class BatchWorker:
    """The batch function's core: start messages and chunk tasks."""

    def __init__(self, services: Services, settings: BatchSettings) -> None:
        self.services = services
        self.settings = settings
        self.table = BatchesTable(settings.table)
        self._lock = threading.Lock()
        self._shared: OrderedDict[str, SharedRender] = OrderedDict()
        self._plans: OrderedDict[str, BatchPlan] = OrderedDict()
        self._beds: dict[str, Stems] = {}

    # ------------------------------------------------------------------ start

    def handle_start(
        self, message: BatchStartMessage, message_id: str, receive_count: int = 1
    ) -> str:
        """Plan the batch, render what listeners share, queue its chunks. Returns the batch id."""
        org_id = message.orgId
        batch_id = message.batchId or "q" + hashlib.sha256(message_id.encode()).hexdigest()[:24]
        options = BatchOptions.model_validate(
            message.model_dump(exclude={"orgId", "batchId", "audience", "audienceKey"})
        )
        self.table.create_batch(
            BatchRecord(
                batch_id=batch_id,
                org_id=org_id,
                source="queue",
                end_format=options.endFormat.strip().lower(),
            )
        )
        record = self.table.get_batch(org_id, batch_id)
        if record is None or record.status in {"done", "failed"}:
            return batch_id
        try:
            rows = self._audience(message)
            if not rows:
                raise InvalidInput("audience: no listeners", field="audience")
            plan = make_plan(self.services, org_id, batch_id, options)
            plan_key = batch_prefix(org_id, batch_id) + "plan.json"
            self.services.media.put_json(plan_key, plan.model_dump())
            if plan.cache:
                self.shared_render(plan)
        except (InvalidInput, NotFound, _Permanent) as error:
            self.table.fail_batch(org_id, batch_id, _message(error))
            logger.warning("batch refused", extra={"batch": batch_id, "reason": _message(error)})
            return batch_id
        except Exception as error:
            if receive_count >= self.settings.max_receives:
                self.table.fail_batch(
                    org_id, batch_id, f"start: gave up after {receive_count} tries: {error}"
                )
            raise
        size = self.settings.chunk_size
        chunks = [
            BatchChunkTask(
                org_id=org_id,
                batch_id=batch_id,
                chunk_index=number,
                plan_key=plan_key,
                first_index=start,
                rows=rows[start : start + size],
            )
            for number, start in enumerate(range(0, len(rows), size))
        ]
        self.table.set_planned(org_id, batch_id, len(rows), len(chunks), plan_key)
        send_messages(self.settings.batch_chunk_queue_url, chunks)
        logger.info("batch planned", extra={"batch": batch_id, "listeners": len(rows)})
        return batch_id

    def _audience(self, message: BatchStartMessage) -> list[dict[str, Any]]:
        if message.audience is not None:
            return message.audience
        key = message.audienceKey or ""
        if not key.startswith((org_prefix(message.orgId), f"inbox/{message.orgId}/")):
            raise InvalidInput(
                f"audienceKey must be under orgs/{message.orgId}/ or inbox/{message.orgId}/",
                field="audienceKey",
            )
        data = self.services.media.get_bytes_if_exists(key)
        if data is None:
            raise InvalidInput(f"audienceKey: no object '{key}'", field="audienceKey")
        if key.endswith("audience.json") or key.lower().endswith(".json"):
            value = json.loads(data)
            if not isinstance(value, list):
                raise InvalidInput(
                    "audienceKey: a JSON audience is a list of objects", field="audienceKey"
                )
            return [v if isinstance(v, dict) else {ROW_ERROR_KEY: "not an object"} for v in value]
        return parse_audience(data, key)

    # ------------------------------------------------------------------ chunks

    def handle_chunk(self, task: BatchChunkTask, receive_count: int = 1) -> None:
        """Render a chunk's listeners; count them; end the batch when it is the last."""
        record = self.table.get_batch(task.org_id, task.batch_id)
        if record is None or record.status == "done":
            logger.info(
                "skipping a chunk of a missing or finished batch", extra={"batch": task.batch_id}
            )
            return
        results: list[ListenerResult] = []
        try:
            plan = self.plan(task.plan_key)
            shared = self.shared_render(plan) if plan.cache else None
            for offset, row in enumerate(task.rows):
                results.append(self.render_listener(plan, shared, task.first_index + offset, row))
        except Exception as error:
            if receive_count < self.settings.max_receives:
                raise
            reason = f"chunk {task.chunk_index}: gave up after {receive_count} tries: {error}"
            finished = {r.index for r in results}
            results += [
                ListenerResult(
                    index=task.first_index + offset,
                    parameters=_parameters(row),
                    status="failed",
                    error=reason,
                )
                for offset, row in enumerate(task.rows)
                if task.first_index + offset not in finished
            ]
            self.table.note_reason(task.org_id, task.batch_id, reason)
            self._record(task, results)
            raise
        self._record(task, results)

    def _record(self, task: BatchChunkTask, results: list[ListenerResult]) -> None:
        prefix = batch_prefix(task.org_id, task.batch_id)
        self.services.media.put_json(
            f"{prefix}chunks/{task.chunk_index:05d}.json", [r.model_dump() for r in results]
        )
        failed = [r for r in results if r.status == "failed"]
        if failed:
            self.table.put_failures(task.org_id, task.batch_id, failed)
        record = self.table.record_listeners(
            task.org_id,
            task.batch_id,
            done=[r.index for r in results if r.status == "done"],
            failed=[r.index for r in failed],
        )
        if record.finished:
            self.finish(record)

    def render_listener(
        self, plan: BatchPlan, shared: SharedRender | None, index: int, row: dict[str, Any]
    ) -> ListenerResult:
        """One listener's master (re-used when it exists), or a failure with its reason."""
        from audiofn.batch_render import master_whole, speak_sections, splice_listener, trim_silence
        from audiofn.codecs import CONTENT_TYPES, encode
        from audiofn.tts.base import SynthesisError

        parameters = _parameters(row)
        field = f"audience[{index}]"
        try:
            if ROW_ERROR_KEY in row:
                raise _Permanent(f"{field}: {row[ROW_ERROR_KEY]}")
            values = check_audience_values(row, field=field)
            used = {name: values.get(name, "") for name in plan.placeholders}
            key, report_key = plan.listener_keys(used)
            existing = self.services.media.get_bytes_if_exists(report_key)
            if existing is not None:
                return ListenerResult(
                    index=index,
                    parameters=parameters,
                    status="done",
                    key=key,
                    report=json.loads(existing),
                )
            fragments = plan.fragments
            texts = [
                Section(
                    name=f.get("name") or str(f["section"]), text=f["text"], placeholders=()
                ).render(values, field=field)
                for f in fragments
            ]
            if shared is not None:
                personal = [
                    trim_silence(self.speak(plan, text))
                    for f, text in zip(fragments, texts, strict=True)
                    if f["personal"]
                ]
                rendered = splice_listener(shared, personal)
            else:
                spoken = speak_sections(
                    _fragments(plan), texts, lambda text: self.speak(plan, text)
                )
                rendered = master_whole(spoken, self.bed(plan), plan.preset)
        except (InvalidInput, SynthesisError, _Permanent) as error:
            return ListenerResult(
                index=index, parameters=parameters, status="failed", error=_message(error)
            )
        base = "mp3" if plan.end_format.startswith("mp3") else plan.end_format
        data = encode(rendered.audio, base, bitrate_kbps=MP3_TIERS.get(plan.end_format))
        self.services.media.put_bytes(key, data, CONTENT_TYPES[base])
        report = {**rendered.report, "bytes": len(data), "format": plan.end_format}
        self.services.media.put_json(report_key, report)  # last: marks the listener done
        return ListenerResult(
            index=index, parameters=parameters, status="done", key=key, report=report
        )

    # ------------------------------------------------------------------ the end

    def finish(self, record: BatchRecord) -> None:
        """Write the manifest (JSON and CSV), link it, end the batch and tell its webhook."""
        from audiofn.services.notifications import notify

        prefix = batch_prefix(record.org_id, record.batch_id)
        media = self.services.media
        results: list[ListenerResult] = []
        for number in range(record.chunks):
            results += [
                ListenerResult.model_validate(item)
                for item in media.get_json(f"{prefix}chunks/{number:05d}.json")
            ]
        results.sort(key=lambda r: r.index)
        entries = [
            {
                "index": r.index,
                "parameters": r.parameters,
                "status": r.status,
                **({"key": r.key, "url": media.presigned_get(r.key)} if r.key else {}),
                **({"error": r.error} if r.error else {}),
                **({"report": r.report} if r.report else {}),
            }
            for r in results
        ]
        json_key, csv_key = prefix + "manifest.json", prefix + "manifest.csv"
        media.put_json(json_key, entries)
        media.put_bytes(csv_key, _manifest_csv(entries).encode(), "text/csv")
        status = "failed" if record.reason else "done"
        self.table.finish(record.org_id, record.batch_id, status, json_key, csv_key)
        done = sum(1 for r in results if r.status == "done")
        notify(
            self.settings,
            record.org_id,
            "batch.done",
            record.batch_id,
            {
                "batchId": record.batch_id,
                "status": status,
                "total": record.total,
                "done": done,
                "failed": len(results) - done,
                "manifestKey": json_key,
                "manifestCsvKey": csv_key,
            },
        )
        logger.info(
            "batch finished", extra={"batch": record.batch_id, "done": done, "total": record.total}
        )

    # ------------------------------------------------------------------ shared work

    def plan(self, key: str) -> BatchPlan:
        with self._lock:
            if key in self._plans:
                return self._plans[key]
        plan = BatchPlan.model_validate(self.services.media.get_json(key))
        with self._lock:
            self._plans[key] = plan
            while len(self._plans) > 16:
                self._plans.popitem(last=False)
        return plan

    def speak(self, plan: BatchPlan, text: str) -> Audio:
        """A fragment of the batch's script, through the fragment cache when the batch uses it."""
        from audiofn.dsp.effects import apply_effect
        from audiofn.fragment_cache import FragmentCache, FragmentSpec
        from audiofn.lexicon import Lexicon
        from audiofn.services.dictionaries import org_lexicon
        from audiofn.services.voices import resolve_speech_voice
        from audiofn.tts.registry import EngineSettings
        from audiofn.tts.ssml_render import render_text

        voice = resolve_speech_voice(self.services, plan.org_id, plan.voice)  # custom too

        def synthesise() -> Audio:
            entries = org_lexicon(self.services, plan.org_id) if plan.variant.split(":")[1] else []
            audio = render_text(
                text,
                voice,
                plan.speed,
                EngineSettings(
                    polly_enabled=self.settings.polly_enabled,
                    upstream_url=self.settings.upstream_tts_url,
                    upstream_api_key=self.settings.upstream_tts_api_key,
                    aws_region=self.settings.aws_region,
                ),
                normalize=plan.normalize,
                lexicon=Lexicon(entries) if entries else None,
                field="scriptText",
            )
            return apply_effect(plan.effect, audio) if plan.effect else audio

        spec = FragmentSpec(
            engine=voice.provider,
            voice=voice.id,
            speed=plan.speed,
            effect=plan.effect,
            text=text,
            variant=plan.variant,
        )
        return FragmentCache(self.services.media, enabled=plan.cache).get_or_render(
            spec, synthesise
        )

    def bed(self, plan: BatchPlan) -> Stems | None:
        from audiofn.services.sound_library import ensure_template

        name = plan.sound_template
        if name is None:
            return None
        with self._lock:
            if name in self._beds:
                return self._beds[name]
        stems = ensure_template(self.services.media, name)
        with self._lock:
            self._beds[name] = stems
        return stems

    def shared_render(self, plan: BatchPlan) -> SharedRender:
        """The batch's reference master: from memory, from S3, or rendered (and stored) now."""
        from audiofn.batch_render import SharedRender, build_shared, speak_sections

        key = plan.shared_key
        with self._lock:
            if key in self._shared:
                self._shared.move_to_end(key)
                return self._shared[key]
        data = self.services.media.get_bytes_if_exists(key)
        if data is not None:
            shared = SharedRender.from_bytes(data)
        else:
            texts = [
                Section(
                    name=f.get("name") or str(f["section"]), text=f["text"], placeholders=()
                ).render(plan.reference, field="reference")
                for f in plan.fragments
            ]
            try:
                spoken = speak_sections(
                    _fragments(plan), texts, lambda text: self.speak(plan, text)
                )
                shared = build_shared(spoken, self.bed(plan), plan.preset)
            except (InvalidInput, ValueError) as error:
                raise _Permanent(
                    f"the shared part of the script cannot be rendered: {_message(error)}"
                ) from error
            self.services.media.put_bytes(key, shared.to_bytes(), "application/octet-stream")
        with self._lock:
            self._shared[key] = shared
            while len(self._shared) > 2:
                self._shared.popitem(last=False)
        return shared


def _fragments(plan: BatchPlan) -> list[Any]:
    from audiofn.batch_render import Fragment

    return [Fragment(**f) for f in plan.fragments]


def _parameters(row: dict[str, Any]) -> dict[str, str]:
    return {str(k): str(v) for k, v in row.items() if k != ROW_ERROR_KEY}


def _message(error: Exception) -> str:
    message = getattr(error, "message", None)
    return str(message or error)


def _manifest_csv(entries: list[dict[str, Any]]) -> str:
    columns: list[str] = []
    for entry in entries:
        for name in entry["parameters"]:
            if name not in columns:
                columns.append(name)
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["index", *columns, "status", "url", "key", "error"])
    for entry in entries:
        writer.writerow(
            [
                entry["index"],
                *(entry["parameters"].get(name, "") for name in columns),
                entry["status"],
                entry.get("url", ""),
                entry.get("key", ""),
                entry.get("error", ""),
            ]
        )
    return buffer.getvalue()
