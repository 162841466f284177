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
import io
import json
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from audiofn.errors import InvalidInput, NotFound
from audiofn.models.apiaudio import END_FORMATS, SPEECH_EFFECTS
from audiofn.models.batches import (
    BatchOptions,
    BatchRecord,
    BatchStartMessage,
    CreateBatchRequest,
)
from audiofn.naming import new_id
from audiofn.services.context import Services
from audiofn.storage.batches_table import BatchesTable
from audiofn.storage.media import org_prefix
from audiofn.storage.queues import send_messages
from audiofn.text.scripts import parse_script

if TYPE_CHECKING:
    from audiofn.config import CommonSettings

RENDER_VERSION = "2"  # 2: masters are tagged and carry content credentials
"""Part of every listener's key: bump it when rendering changes, so old masters are not re-used."""
SHARED_PREFIX = "cache/batches/"
"""Shared renders (content-addressed like fragments; the same lifecycle rule expires them)."""
ROW_ERROR_KEY = "!error"
"""A row that could not be read from an audience file carries its reason under this key
(not a valid placeholder name, so it cannot clash with a column)."""
MAX_FAILURES_SHOWN = 100
DEFAULT_VOICE = "joe"
DEFAULT_PRESET = "podcast"


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
    from audiofn.services.mastering import resolve_delivery_specs

    resolve_delivery_specs(options.deliverySpecs or [])
    return text


def create_batch(
    services: Services, org_id: str, request: CreateBatchRequest, *, source: str = "api"
) -> BatchRecord:
    """Check the settings, store the audience, record the batch and queue its start."""
    from audiofn.services.quotas import charge_characters

    options = BatchOptions.model_validate(request.model_dump(exclude={"audience"}))
    text = check_options(services, org_id, options)
    if not services.settings.batch_queue_url:
        raise RuntimeError("AUDIOFN_BATCH_QUEUE_URL is not set: batches cannot be queued")
    characters = batch_characters(text, len(request.audience), cached=options.cache)
    charge_characters(services, org_id, characters, field="audience")
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


def batch_characters(text: str, listeners: int, *, cached: bool) -> int:
    """Characters a batch will synthesise, charged to the daily quota when it is created: with
    the fragment cache, what listeners share is spoken once and each listener's personal
    sentences (placeholders at their defaults) once each; without it, everything per listener."""
    from audiofn.batch_render import plan_fragments

    fragments = plan_fragments(parse_script(text, field="scriptText"))
    shared = sum(len(f.text) for f in fragments if not f.personal)
    personal = sum(len(f.text) for f in fragments if f.personal)
    return shared + personal * listeners if cached else (shared + personal) * listeners


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
