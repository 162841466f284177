"""The batch function's core: plans a batch, renders what its listeners share once
(:mod:`audiofn.batch_render`) and renders the audience chunk by chunk (see
:mod:`audiofn.services.batches` for how batches start and are keyed)."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from pydantic import BaseModel, ValidationError

from audiofn.config import batch_settings
from audiofn.errors import InvalidInput, NotFound
from audiofn.models.apiaudio import MP3_TIERS
from audiofn.models.batches import (
    BatchChunkTask,
    BatchOptions,
    BatchRecord,
    BatchStartMessage,
    ListenerResult,
)
from audiofn.observability import logger
from audiofn.services.batches import (
    DEFAULT_PRESET,
    DEFAULT_VOICE,
    RENDER_VERSION,
    ROW_ERROR_KEY,
    SHARED_PREFIX,
    batch_prefix,
    check_options,
    parse_audience,
)
from audiofn.services.context import Services
from audiofn.storage.batches_table import BatchesTable
from audiofn.storage.media import MediaStore, org_prefix
from audiofn.storage.queues import send_messages
from audiofn.text.scripts import Section, check_audience_values, parse_script
from audiofn.workers.sqs import process_sqs_batch, receive_count

if TYPE_CHECKING:
    from audiofn.audio import Audio
    from audiofn.batch_render import ListenerMaster, SharedRender
    from audiofn.config import BatchSettings
    from audiofn.mp3_splice import Mp3Frames
    from audiofn.sound.stems import Stems


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
    delivery_specs: list[str] = []
    """Ids of the delivery specifications each listener gets a deliverable for."""
    placeholders: list[str]
    reference: dict[str, str]
    digest: str
    variant: str
    title: str = ""
    """The masters' title: the script's project and name, or the batch's id."""
    script_id: str | None = None
    mp3_frames: bool = False
    """Spliced MP3 masters are made from the shared render's frames (see `encode_master`)."""

    def listener_keys(self, used: dict[str, str]) -> tuple[str, str]:
        """The listener's master and report keys: the same parameters, the same master."""
        identity = json.dumps([self.digest, sorted(used.items())], ensure_ascii=False)
        digest = hashlib.sha256(identity.encode()).hexdigest()[:32]
        stem = f"{org_prefix(self.org_id)}batches/masters/{self.digest[:16]}/{digest}"
        fmt = self.end_format
        suffix = f"-{fmt.removeprefix('mp3_')}.mp3" if fmt.startswith("mp3_") else f".{fmt}"
        return stem + suffix, stem + ".report.json"

    @staticmethod
    def deliverable_key(report_key: str, spec_id: str, fmt: str) -> str:
        """A listener's deliverable for one delivery spec, beside the master and its report."""
        return f"{report_key.removesuffix('.report.json')}.{spec_id}.{fmt}"

    @property
    def shared_key(self) -> str:
        return f"{SHARED_PREFIX}{self.digest}.npz"


def make_plan(
    services: Services,
    org_id: str,
    batch_id: str,
    options: BatchOptions,
    *,
    mp3_frames: bool = True,
) -> BatchPlan:
    from audiofn.batch_render import plan_fragments
    from audiofn.fragment_cache import speech_variant
    from audiofn.services.dictionaries import org_lexicon
    from audiofn.services.mastering import resolve_delivery_specs
    from audiofn.services.scripts import get_script
    from audiofn.services.voices import resolve_speech_voice

    text = check_options(services, org_id, options)
    parsed = parse_script(text, field="scriptText")
    if options.scriptId is not None:
        script = get_script(services, org_id, options.scriptId)
        title = f"{script.project_name} / {script.script_name}"
    else:
        title = f"batch {batch_id}"
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
        "delivery_specs": [s.id for s in resolve_delivery_specs(options.deliverySpecs or [])],
        "reference": reference,
        "variant": variant,
        "cache": options.cache,  # spliced and whole masters differ: never re-use one for the other
        "script_id": options.scriptId,  # named in the masters' content credentials
        "mp3_frames": mp3_frames
        and options.cache
        and options.endFormat.strip().lower() in MP3_TIERS,
    }
    identity = json.dumps([RENDER_VERSION, fields], sort_keys=True, ensure_ascii=False)
    return BatchPlan(
        org_id=org_id,
        batch_id=batch_id,
        fragments=fragments,
        placeholders=[p.name for p in parsed.placeholders],
        digest=hashlib.sha256(identity.encode()).hexdigest(),
        title=title,
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
        self._shared_mp3: OrderedDict[tuple[str, int], Mp3Frames] = OrderedDict()
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
            plan = make_plan(
                self.services,
                org_id,
                batch_id,
                options,
                mp3_frames=self.settings.mp3_frame_splice,
            )
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
            finish = self.file_finisher(plan)
            for offset, row in enumerate(task.rows):
                results.append(
                    self.render_listener(plan, shared, task.first_index + offset, row, finish)
                )
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

    def file_finisher(self, plan: BatchPlan) -> Callable[[str, bytes], bytes]:
        """What every file of the batch's masters gets before it is stored: an MP3 its ID3
        tag (title, the organisation as artist and publisher), every format the library
        supports the organisation's content credentials."""
        from audiofn.podcast_metadata import EpisodeTags
        from audiofn.services.provenance import content_signer, tagged_and_signed

        org = self.services.table.get_org(plan.org_id)
        name = org.name if org else plan.org_id
        sign = content_signer(
            self.services,
            self.settings.table,
            plan.org_id,
            script_id=plan.script_id or f"batch:{plan.batch_id}",
            voices=[plan.voice],
            title=plan.title,
        )
        return tagged_and_signed(sign, EpisodeTags(title=plan.title, artist=name, publisher=name))

    def render_listener(
        self,
        plan: BatchPlan,
        shared: SharedRender | None,
        index: int,
        row: dict[str, Any],
        finish: Callable[[str, bytes], bytes] | None = None,
    ) -> ListenerResult:
        """One listener's master (re-used when it exists), or a failure with its reason."""
        from audiofn.batch_render import master_whole, speak_sections, splice_listener, trim_silence
        from audiofn.codecs import CONTENT_TYPES
        from audiofn.mp3_splice import frame_samples
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
                spliced_mp3 = self._splices_mp3(plan, shared)
                whole = frame_samples(shared.rate) if spliced_mp3 else 1
                rendered = splice_listener(shared, personal, whole=whole)
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
        finish = finish or self.file_finisher(plan)
        data = finish(base, self.encode_master(plan, shared, rendered))
        self.services.media.put_bytes(key, data, CONTENT_TYPES[base])
        report = {**rendered.report, "bytes": len(data), "format": plan.end_format}
        if plan.delivery_specs:
            report["deliverables"] = self.deliver(plan, report_key, rendered, finish)
        self.services.media.put_json(report_key, report)  # last: marks the listener done
        return ListenerResult(
            index=index, parameters=parameters, status="done", key=key, report=report
        )

    @staticmethod
    def _splices_mp3(plan: BatchPlan, shared: SharedRender) -> bool:
        from audiofn.codecs import MP3_SAMPLE_RATES

        return (
            plan.mp3_frames and shared.rate in MP3_SAMPLE_RATES and shared.audio.shape[1] in (1, 2)
        )

    def encode_master(
        self, plan: BatchPlan, shared: SharedRender | None, rendered: ListenerMaster
    ) -> bytes:
        """The listener's master in the batch's end format: an MP3 of a spliced listener is
        the shared render's frames with the personal stretches' frames put in their place,
        anything else is encoded whole."""
        from audiofn.codecs import encode
        from audiofn.mp3_splice import SpliceError, splice_frames

        kbps = MP3_TIERS.get(plan.end_format)
        base = "mp3" if kbps else plan.end_format
        if shared is not None and kbps and rendered.changes and self._splices_mp3(plan, shared):
            try:
                return splice_frames(
                    self.shared_mp3(plan, shared, kbps), rendered.audio.samples, rendered.changes
                )
            except SpliceError as error:
                logger.warning(
                    "MP3 frames did not splice; encoding the whole master",
                    extra={"batch": plan.batch_id, "reason": str(error)},
                )
        return encode(rendered.audio, base, bitrate_kbps=kbps)

    def shared_mp3(self, plan: BatchPlan, shared: SharedRender, kbps: int) -> Mp3Frames:
        """The shared render's MP3 frames, encoded once per process."""
        from audiofn.mp3_splice import encode_frames

        key = (plan.shared_key, kbps)
        with self._lock:
            if key in self._shared_mp3:
                return self._shared_mp3[key]
        frames = encode_frames(shared.audio, shared.rate, kbps)
        with self._lock:
            self._shared_mp3[key] = frames
            while len(self._shared_mp3) > 2:
                self._shared_mp3.popitem(last=False)
        return frames

    def deliver(
        self,
        plan: BatchPlan,
        report_key: str,
        rendered: Any,
        finish: Callable[[str, bytes], bytes],
    ) -> list[dict[str, Any]]:
        """The listener's deliverable for each delivery spec, measured and judged, stored
        beside the master (the report lists each with its key)."""
        from audiofn.codecs import CONTENT_TYPES
        from audiofn.mastering.delivery import deliver_to_spec
        from audiofn.mastering.delivery_specs import DELIVERY_SPECS

        lufs = rendered.report.get("integrated_lufs")
        made = []
        for spec_id in plan.delivery_specs:
            spec = DELIVERY_SPECS[spec_id]
            data, verdict = deliver_to_spec(
                rendered.audio,
                spec,
                master_lufs=lufs if lufs is not None else rendered.report["target_lufs"],
            )
            spec_key = plan.deliverable_key(report_key, spec_id, spec.format)
            data = finish(spec.format, data)
            self.services.media.put_bytes(spec_key, data, CONTENT_TYPES[spec.format])
            made.append({**verdict, "key": spec_key, "bytes": len(data)})
        return made

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
                **(
                    {"deliverables": _deliverable_urls(media, r.report["deliverables"])}
                    if r.report and r.report.get("deliverables")
                    else {}
                ),
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
        from audiofn.services.dictionaries import org_lexicon
        from audiofn.services.voices import resolve_speech_voice
        from audiofn.text.lexicon import Lexicon
        from audiofn.tts.registry import engine_settings_from
        from audiofn.tts.ssml_render import render_text

        voice = resolve_speech_voice(self.services, plan.org_id, plan.voice)  # custom too

        def synthesise() -> Audio:
            entries = org_lexicon(self.services, plan.org_id) if plan.variant.split(":")[1] else []
            audio = render_text(
                text,
                voice,
                plan.speed,
                engine_settings_from(self.settings),
                normalize=plan.normalize,
                lexicon=Lexicon(entries) if entries else None,
                field="scriptText",
            )
            return apply_effect(plan.effect, audio) if plan.effect else audio

        spec = FragmentSpec(
            org_id=plan.org_id,
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


def _deliverable_urls(media: MediaStore, made: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [
        {
            "spec": item["spec"],
            "verdict": item["verdict"],
            "reasons": item["reasons"],
            "url": media.presigned_get(item["key"]),
        }
        for item in made
    ]


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


def build_worker() -> BatchWorker:
    """The worker a cold start builds from the function's environment."""
    settings = batch_settings()
    return BatchWorker(Services.from_settings(settings), settings)


def handle_batch(worker: BatchWorker, event: dict[str, Any], context: Any) -> dict[str, Any]:
    """The function's SQS batch: start messages (batch queue) and chunk tasks (chunk queue),
    told apart by their shape (a chunk task has a `chunk_index`)."""

    def handle_record(record: SQSRecord) -> None:
        count = receive_count(record)
        body = json.loads(record.body)
        if isinstance(body, dict) and "chunk_index" in body:
            worker.handle_chunk(BatchChunkTask.model_validate(body), count)
            return
        try:
            message = BatchStartMessage.model_validate(body)
        except ValidationError as error:
            # No retry can fix a malformed message: it is logged and dropped, not dead-lettered.
            logger.error("batch message refused", extra={"errors": error.errors(include_url=False)})
            return
        worker.handle_start(message, record.message_id, count)

    return process_sqs_batch(event, context, handle_record)
